package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"testing"

	"github.com/yangtze-delta/settlement/api"
)

// TestCodeTable: every code has one entry with an HTTP error status and a
// description; Codes is sorted.
func TestCodeTable(t *testing.T) {
	codes := api.Codes()
	if !sort.SliceIsSorted(codes, func(i, j int) bool { return codes[i].Code < codes[j].Code }) {
		t.Fatal("Codes is not sorted")
	}
	seen := map[api.Code]bool{}
	for _, c := range codes {
		t.Run(string(c.Code), func(t *testing.T) {
			if seen[c.Code] {
				t.Fatal("listed twice")
			}
			seen[c.Code] = true
			if !c.Code.Known() || c.Code.HTTPStatus() != c.Status || c.Status < 400 || c.Status > 599 || c.Doc == "" {
				t.Fatalf("%+v", c)
			}
		})
	}
}

// TestCodeStatuses pins the statuses the gateway answers with; the table
// here is written out independently of api's.
func TestCodeStatuses(t *testing.T) {
	tests := []struct {
		code   api.Code
		status int
	}{
		{api.CodeInvalidArgument, http.StatusBadRequest},
		{api.CodeBatchTooLarge, http.StatusBadRequest},
		{api.CodeClockSkew, http.StatusBadRequest},
		{api.CodeForbidden, http.StatusForbidden},
		{api.CodeNotFound, http.StatusNotFound},
		{api.CodeAlreadyExists, http.StatusConflict},
		{api.CodeDuplicatePayment, http.StatusConflict},
		{api.CodeInputSpent, http.StatusConflict},
		{api.CodeNotApproved, http.StatusConflict},
		{api.CodeProposalClosed, http.StatusConflict},
		{api.CodeAccountFrozen, http.StatusUnprocessableEntity},
		{api.CodeAccountClosed, http.StatusUnprocessableEntity},
		{api.CodeInsufficientFunds, http.StatusUnprocessableEntity},
		{api.CodeInputNotOwned, http.StatusUnprocessableEntity},
		{api.CodeLimitExceeded, http.StatusUnprocessableEntity},
		{api.CodeBalanceCapExceeded, http.StatusUnprocessableEntity},
		{api.CodeBalanceNotZero, http.StatusUnprocessableEntity},
		{api.CodeCeilingExceeded, http.StatusUnprocessableEntity},
		{api.CodeNotConfigured, http.StatusServiceUnavailable},
		{api.CodeInternal, http.StatusInternalServerError},
		{"NO_SUCH_CODE", 0},
		{"", 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			if got := tt.code.HTTPStatus(); got != tt.status {
				t.Fatalf("HTTPStatus = %d, want %d", got, tt.status)
			}
			if tt.code.Known() != (tt.status != 0) {
				t.Fatalf("Known = %v", tt.code.Known())
			}
		})
	}
}

func TestErrorChain(t *testing.T) {
	base := api.Errorf(api.CodeInputSpent, "output %s", "x.1")
	if base.Error() != "INPUT_SPENT: output x.1" {
		t.Fatalf("Error() = %q", base.Error())
	}
	cause := errors.New("disk on fire")
	internal := api.Internal(cause, "read %s", "k")
	wrapped := fmt.Errorf("transfer p1: %w", base)
	tests := []struct {
		name string
		err  error
		code api.Code
		msg  string
	}{
		{"nil", nil, "", ""},
		{"an *Error", base, api.CodeInputSpent, "output x.1"},
		{"wrapped with %w", wrapped, api.CodeInputSpent, "output x.1"},
		{"a plain error is internal", cause, api.CodeInternal, "disk on fire"},
		{"Internal", internal, api.CodeInternal, "read k: disk on fire"},
		{"Internal wrapped", fmt.Errorf("ctx: %w", internal), api.CodeInternal, "read k: disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := api.CodeOf(tt.err); got != tt.code {
				t.Fatalf("CodeOf = %q, want %q", got, tt.code)
			}
			if tt.err != nil && api.MessageOf(tt.err) != tt.msg {
				t.Fatalf("MessageOf = %q, want %q", api.MessageOf(tt.err), tt.msg)
			}
		})
	}
	if !errors.Is(internal, cause) {
		t.Fatal("Internal lost its cause")
	}
	var e *api.Error
	if !errors.As(internal, &e) || e.Code != api.CodeInternal {
		t.Fatal("Internal is not an *Error")
	}
	if internal.Error() != "INTERNAL: read k: disk on fire" {
		t.Fatalf("Internal renders %q", internal.Error())
	}
}
