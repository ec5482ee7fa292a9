package strictjson

import (
	"errors"
	"strings"
	"testing"
)

type item struct {
	ID     string `json:"id"`
	Amount string `json:"amount,omitempty"`
}

type req struct {
	To    string            `json:"to"`
	Items []item            `json:"items"`
	Meta  map[string]string `json:"meta"`
	Inner *item             `json:"inner"`
	N     int               `json:"n"`
	skip  int
}

func TestUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		name, in, path string // path of the error; "" with ok
		ok             bool
	}{
		{name: "exact keys", in: `{"to":"a","items":[{"id":"x","amount":"1"}],"meta":{"K":"v"},"inner":{"id":"i"},"n":3}`, ok: true},
		{name: "case-folded key", in: `{"TO":"a"}`, path: "TO"},
		{name: "case-folded twin", in: `{"amount":"0.01","AMOUNT":"0.03"}`, path: "amount"},
		{name: "duplicate key", in: `{"to":"a","to":"b"}`, path: "to"},
		{name: "duplicate in array item", in: `{"items":[{"id":"a"},{"id":"b","id":"c"}]}`, path: "items[1].id"},
		{name: "case-folded in nested", in: `{"inner":{"ID":"x"}}`, path: "inner.ID"},
		{name: "duplicate map key", in: `{"meta":{"a":"1","a":"2"}}`, path: "meta.a"},
		{name: "unknown key", in: `{"to":"a","extra":1}`, path: "extra"},
		{name: "unexported field name", in: `{"skip":1}`, path: "skip"},
		{name: "two values", in: `{"to":"a"} {"to":"b"}`},
		{name: "empty", in: ``},
		{name: "not JSON", in: `to=a`},
		{name: "wrong type", in: `{"n":"3"}`, path: "n"},
		{name: "deep", in: strings.Repeat("[", 100) + strings.Repeat("]", 100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r req
			err := Unmarshal([]byte(tc.in), &r)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if tc.path != "" && se.Path != tc.path {
				t.Fatalf("path %q, want %q (%v)", se.Path, tc.path, err)
			}
		})
	}
}

func TestCaseHint(t *testing.T) {
	var r req
	err := Unmarshal([]byte(`{"To":"a"}`), &r)
	if err == nil || !strings.Contains(err.Error(), `"to"`) {
		t.Fatalf("want a hint naming \"to\": %v", err)
	}
}
