package server

import (
	"net/http"
	"testing"

	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// TestCommitStageFaults: after a real endorsement, the commit stage fails
// the way Fabric's does; the client gets the stage's code and status and
// the ledger is unchanged.
func TestCommitStageFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    *ledger.Error
		status int
	}{
		{"conflict after retries", &ledger.Error{Code: ledger.CodeConflict, Stage: ledger.StageCommit, TxID: "t1", ValidationCode: "MVCC_READ_CONFLICT"}, http.StatusServiceUnavailable},
		{"commit unknown", &ledger.Error{Code: ledger.CodeCommitUnknown, Stage: ledger.StageCommitStatus, TxID: "t1"}, http.StatusGatewayTimeout},
		{"invalid", &ledger.Error{Code: ledger.CodeTxInvalid, Stage: ledger.StageCommit, TxID: "t1", ValidationCode: "ENDORSEMENT_POLICY_FAILURE"}, http.StatusBadGateway},
		{"orderer refused", &ledger.Error{Code: ledger.CodeSubmitFailed, Stage: ledger.StageSubmit, TxID: "t1"}, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			armed := false
			h := funded(t, harnessOptions{fault: func(fn string) error {
				if armed && fn == "token:Transfer" {
					return tc.err
				}
				return nil
			}})
			armed = true
			r := h.do("sh-op", "POST", "/v1/payments", `{"paymentId":"SH-CITY:f1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"}`)
			if r.status != tc.status || r.code(t) != string(tc.err.Code) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			var e rest.Error
			r.decode(t, &e)
			if e.Details["txId"] != "t1" {
				t.Fatalf("details %+v lack the transaction ID", e.Details)
			}
			if r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			armed = false
			if b := h.balance("sh-op", shShop); b != "0.00" {
				t.Fatalf("failed commit moved money: %s", b)
			}
		})
	}
}
