package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/rest"
)

// TestStrictEdges: bad input gets a clear 4xx and changes nothing.
func TestStrictEdges(t *testing.T) {
	h := funded(t, harnessOptions{})
	pay := func(body string) string { return body }
	for _, tc := range []struct {
		name, method, path, body, contentType string
		status                                int
		code                                  string
	}{
		{"case-folded twin key", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01","AMOUNT":"0.03"}`), "application/json", 400, rest.CodeInvalidRequest},
		{"case-folded key", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e2","from":"SH-CITY:settle","To":"SH-CITY:shop","amount":"0.01"}`), "application/json", 400, rest.CodeInvalidRequest},
		{"duplicate key", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e3","from":"SH-CITY:settle","to":"SH-CITY:shop","to":"JS-CITY:shop","amount":"0.01"}`), "application/json", 400, rest.CodeInvalidRequest},
		{"unknown key", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e4","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01","memo":"x"}`), "application/json", 400, rest.CodeInvalidRequest},
		{"two values", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e5","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01"}{}`), "application/json", 400, rest.CodeInvalidRequest},
		{"no content type", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e6","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01"}`), "", 415, rest.CodeUnsupportedMedia},
		{"form content type", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e7","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01"}`), "application/x-www-form-urlencoded", 415, rest.CodeUnsupportedMedia},
		{"json with charset", "POST", "/v1/payments", pay(`{"paymentId":"SH-CITY:e8","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01"}`), "application/json; charset=utf-8", 201, ""},
		{"body too large", "POST", "/v1/payments", `{"paymentId":"SH-CITY:e9","purpose":"` + strings.Repeat("x", 9000) + `"}`, "application/json", 413, rest.CodeBodyTooLarge},
		{"empty body", "POST", "/v1/payments", "", "", 415, rest.CodeUnsupportedMedia},
		{"undecodable id", "GET", "/v1/pings/%ff", "", "", 400, rest.CodeInvalidArgument},
		{"undecodable account", "GET", "/v1/accounts/%ff/balance", "", "", 400, rest.CodeInvalidArgument},
		{"body on a body-less route", "POST", "/v1/accounts/SH-CITY:shop/unfreeze", `{"x":1}`, "application/json", 400, rest.CodeInvalidRequest},
		{"customerRef too long", "POST", "/v1/accounts", `{"id":"SH-CITY:c9","kind":"customer","tier":"class-IV","customerRef":"` + strings.Repeat("r", 300) + `"}`, "application/json", 400, rest.CodeInvalidRequest},
		{"async not a boolean", "POST", "/v1/payments?async=yes", pay(`{"paymentId":"SH-CITY:ea","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01"}`), "application/json", 400, rest.CodeInvalidRequest},
		{"unknown route", "GET", "/v1/nothing", "", "", 404, rest.CodeRouteNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.doWith("sh-op", tc.method, tc.path, tc.body, tc.contentType)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.code != "" && r.code(t) != tc.code {
				t.Fatalf("code %s, want %s", r.code(t), tc.code)
			}
		})
	}
	// Only e8 paid; nothing else changed.
	if b := h.balance("sh-op", shShop); b != "0.01" {
		t.Fatalf("payee balance %s, want 0.01", b)
	}
}

// TestEveryCodeHasAStatus: every code the chaincode or the gateway's
// Fabric layer can answer with is in the rest table, so none reaches a
// client as an unexplained 500.
func TestEveryCodeHasAStatus(t *testing.T) {
	for _, c := range []string{"CHAINCODE_ERROR", "ENDORSE_FAILED", "SUBMIT_FAILED", "COMMIT_UNKNOWN", "TX_INVALID",
		"CONFLICT", "PEER_UNAVAILABLE", "FABRIC_TIMEOUT", "CANCELED", "UNKNOWN_IDENTITY", "INTERNAL", "BALANCE_NOT_ZERO"} {
		if !rest.Known(c) {
			t.Errorf("code %s is not in rest's table", c)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	r := h.do("", "GET", "/openapi.json", "")
	want, err := rest.OpenAPI("")
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK || string(r.body) != string(want) {
		t.Fatalf("served document differs from rest.OpenAPI")
	}
}
