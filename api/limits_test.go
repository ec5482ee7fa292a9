package api_test

import (
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/api"
)

// codeIs fails unless err has code want ("" for nil).
func codeIs(t *testing.T, err error, want api.Code) {
	t.Helper()
	if got := api.CodeOf(err); got != want {
		t.Fatalf("err %v: code %q, want %q", err, got, want)
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		name, id string
		code     api.Code
	}{
		{"letters, digits and ._:-", "SH-ICBC:acc_1.x", ""},
		{"at the limit", strings.Repeat("a", api.MaxIDLen), ""},
		{"empty", "", api.CodeInvalidArgument},
		{"one past the limit", strings.Repeat("a", api.MaxIDLen+1), api.CodeInvalidArgument},
		{"a space", "a b", api.CodeInvalidArgument},
		{"a NUL (composite key separator)", "a\x00b", api.CodeInvalidArgument},
		{"a slash", "a/b", api.CodeInvalidArgument},
		{"non-ASCII", "账户", api.CodeInvalidArgument},
		{"U+10FFFF (range end)", "a\U0010FFFF", api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, api.ValidateID("id", tt.id, api.MaxIDLen), tt.code) })
	}
}

func TestNamespaces(t *testing.T) {
	ns := []struct{ id, want string }{
		{"SH-ICBC:alice", "SH-ICBC"},
		{"ShanghaiMSP:p1", "ShanghaiMSP"},
		{"a:b:c", "a"},
		{"plain", ""},
		{":x", ""},
		{"", ""},
	}
	for _, tt := range ns {
		if got := api.NamespaceOf(tt.id); got != tt.want {
			t.Errorf("NamespaceOf(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
	namespaced := []struct {
		name, id string
		code     api.Code
	}{
		{"bank and local", "SH-ICBC:alice", ""},
		{"local with a colon", "SH-ICBC:a:b", ""},
		{"no namespace", "alice", api.CodeInvalidArgument},
		{"empty namespace", ":alice", api.CodeInvalidArgument},
		{"empty local part", "SH-ICBC:", api.CodeInvalidArgument},
		{"bad character", "SH-ICBC:a b", api.CodeInvalidArgument},
		{"too long", "SH-ICBC:" + strings.Repeat("a", api.MaxIDLen), api.CodeInvalidArgument},
	}
	for _, tt := range namespaced {
		t.Run("namespaced/"+tt.name, func(t *testing.T) {
			codeIs(t, api.ValidateNamespaced("id", tt.id, api.MaxIDLen), tt.code)
		})
	}
	banks := []struct {
		name, code string
		want       api.Code
	}{
		{"a commercial bank", "SH-ICBC", ""},
		{"a central-bank branch", "SH-PBC", ""},
		{"digits", "B2", ""},
		{"at the limit", strings.Repeat("A", api.MaxBankLen), ""},
		{"one letter", "A", api.CodeInvalidArgument},
		{"empty", "", api.CodeInvalidArgument},
		{"too long", strings.Repeat("A", api.MaxBankLen+1), api.CodeInvalidArgument},
		{"lower case", "sh-icbc", api.CodeInvalidArgument},
		{"the namespace separator", "SH:ICBC", api.CodeInvalidArgument},
		{"a dot", "SH.ICBC", api.CodeInvalidArgument},
	}
	for _, tt := range banks {
		t.Run("bank/"+tt.name, func(t *testing.T) { codeIs(t, api.ValidateBank("bank", tt.code), tt.want) })
	}
}

func TestValidateTextAndPage(t *testing.T) {
	texts := []struct {
		name, s  string
		required bool
		code     api.Code
	}{
		{"printable", "AML review 反洗钱", true, ""},
		{"empty, optional", "", false, ""},
		{"empty, required", "", true, api.CodeInvalidArgument},
		{"a newline", "a\nb", false, api.CodeInvalidArgument},
		{"DEL", "a\x7fb", false, api.CodeInvalidArgument},
		{"invalid UTF-8", "a\xffb", false, api.CodeInvalidArgument},
		{"too long", strings.Repeat("x", api.MaxReasonLen+1), false, api.CodeInvalidArgument},
	}
	for _, tt := range texts {
		t.Run("text/"+tt.name, func(t *testing.T) {
			codeIs(t, api.ValidateText("reason", tt.s, api.MaxReasonLen, tt.required), tt.code)
		})
	}
	pages := []struct {
		name     string
		size     int
		bookmark string
		code     api.Code
	}{
		{"default", 0, "", ""},
		{"largest", api.MaxPageSize, "", ""},
		{"negative", -1, "", api.CodeInvalidArgument},
		{"too large", api.MaxPageSize + 1, "", api.CodeInvalidArgument},
		{"longest bookmark", 10, strings.Repeat("b", api.MaxBookmarkLen), ""},
		{"bookmark too long", 10, strings.Repeat("b", api.MaxBookmarkLen+1), api.CodeInvalidArgument},
	}
	for _, tt := range pages {
		t.Run("page/"+tt.name, func(t *testing.T) { codeIs(t, api.ValidatePage(tt.size, tt.bookmark), tt.code) })
	}
	if api.PageSize(0) != api.DefaultPageSize || api.PageSize(7) != 7 {
		t.Fatal("PageSize")
	}
}
