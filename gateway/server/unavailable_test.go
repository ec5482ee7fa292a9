package server

import (
	"net/http"
	"testing"

	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// TestChaincodeUnavailableIsRetryable: a payment whose endorsement failed
// because a chaincode server is down answers 503 CHAINCODE_UNAVAILABLE with
// Retry-After (not 502 ENDORSE_FAILED), moves nothing, and the same request
// succeeds once the server is back.
func TestChaincodeUnavailableIsRetryable(t *testing.T) {
	down := false
	h := funded(t, harnessOptions{fault: func(fn string) error {
		if down && (fn == "token:Transfer" || fn == "token:TransferBatch") { // single, or coalesced
			return &ledger.Error{Code: ledger.CodeChaincodeUnavailable, Stage: ledger.StageEndorse, FailedMSPs: []string{SH},
				Message: "the chaincode server of ShanghaiMSP is not answering; retry later"}
		}
		return nil
	}})
	down = true
	body := `{"paymentId":"SH-CITY:cc1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1.00"}`
	r := h.do("sh-op", "POST", "/v1/payments", body)
	if r.status != http.StatusServiceUnavailable || r.code(t) != rest.CodeChaincodeUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("%d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
	}
	if b := h.balance("sh-op", shShop); b != "0.00" {
		t.Fatalf("payee balance %s after a refused endorsement", b)
	}
	down = false
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/payments", body)
	if b := h.balance("sh-op", shShop); b != "1.00" {
		t.Fatalf("payee balance %s after the retry", b)
	}
}
