package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func TestCreatePing(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		answer answer
		status int
		code   string
		fabric bool // whether Fabric is called
	}{
		{"committed", `{"id":"p1","note":"hi"}`, returns(`{"id":"p1"}`), http.StatusCreated, "", true},
		{"bad json", `{"id":`, nil, http.StatusBadRequest, CodeInvalidRequest, false},
		{"unknown field", `{"id":"p1","colour":"red"}`, nil, http.StatusBadRequest, CodeInvalidRequest, false},
		{"two values", `{"id":"p1"}{"id":"p2"}`, nil, http.StatusBadRequest, CodeInvalidRequest, false},
		{"empty body", ``, nil, http.StatusBadRequest, CodeInvalidRequest, false},
		{"oversized", `{"id":"p1","note":"` + strings.Repeat("x", 5000) + `"}`, nil, http.StatusBadRequest, CodeBodyTooLarge, false},
		{"missing id", `{"note":"x"}`, nil, http.StatusBadRequest, CodeInvalidRequest, false},
		{"duplicate", `{"id":"p1"}`, fails(ccErr(ledger.CodeAlreadyExists, "ping p1 exists")), http.StatusConflict, "ALREADY_EXISTS", true},
		{"forbidden", `{"id":"p1"}`, fails(ccErr(ledger.CodeForbidden, "role auditor")), http.StatusForbidden, "FORBIDDEN", true},
		{"chaincode invalid argument", `{"id":"p1"}`, fails(ccErr(ledger.CodeInvalidArgument, "too long")), http.StatusBadRequest, "INVALID_ARGUMENT", true},
		{"unknown chaincode code", `{"id":"p1"}`, fails(ccErr("NEW_RULE", "x")), http.StatusUnprocessableEntity, "NEW_RULE", true},
		{"endorse failed", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodeEndorseFailed, Stage: ledger.StageEndorse}), http.StatusBadGateway, "ENDORSE_FAILED", true},
		{"submit failed", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodeSubmitFailed, Stage: ledger.StageSubmit, TxID: "t9"}), http.StatusBadGateway, "SUBMIT_FAILED", true},
		{"invalid tx", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodeTxInvalid, Stage: ledger.StageCommit, ValidationCode: "ENDORSEMENT_POLICY_FAILURE"}), http.StatusBadGateway, "TX_INVALID", true},
		{"conflicts", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodeConflict, Stage: ledger.StageCommit}), http.StatusServiceUnavailable, "CONFLICT", true},
		{"peer unavailable", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodePeerUnavailable, Stage: ledger.StageEndorse}), http.StatusServiceUnavailable, "PEER_UNAVAILABLE", true},
		{"timeout", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodeTimeout, Stage: ledger.StageEndorse}), http.StatusGatewayTimeout, "FABRIC_TIMEOUT", true},
		{"commit unknown", `{"id":"p1"}`, fails(&ledger.Error{Code: ledger.CodeCommitUnknown, Stage: ledger.StageCommit, TxID: "t9"}), http.StatusGatewayTimeout, "COMMIT_UNKNOWN", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.answer != nil {
				e.ledger.on(fnPing, tt.answer)
			}
			r := e.do("POST", "/v1/pings", tt.body)
			require.Equal(t, tt.status, r.status, string(r.body))
			require.Equal(t, tt.fabric, e.ledger.submits() > 0)
			if tt.code != "" {
				require.Equal(t, tt.code, r.code(t))
				return
			}
			m := r.json(t)
			require.Equal(t, "tx1", m["txId"])
			require.Equal(t, 1.0, m["blockNumber"])
			require.Equal(t, "p1", m["result"].(map[string]any)["id"])
			c := e.ledger.callsTo(fnPing)[0]
			require.Equal(t, []string{"p1", "hi"}, c.args)
			require.Equal(t, "icbc-sh", c.identity)
		})
	}
}

func TestErrorDetailsCarryTxID(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnPing, fails(&ledger.Error{Code: ledger.CodeCommitUnknown, Stage: ledger.StageCommit, TxID: "t9", Message: "no status"}))
	r := e.do("POST", "/v1/pings", `{"id":"p1"}`)
	d := r.json(t)["details"].(map[string]any)
	require.Equal(t, "t9", d["txId"])
	require.Equal(t, "commit", d["stage"])
}

func TestGetPing(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPing, func(args []string) ([]byte, error) {
		if args[0] == "p1" {
			return []byte(`{"id":"p1","note":"hi"}`), nil
		}
		return nil, ccErr(ledger.CodeNotFound, "ping "+args[0])
	})
	r := e.do("GET", "/v1/pings/p1", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "hi", r.json(t)["note"])
	r = e.do("GET", "/v1/pings/p2", "")
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "NOT_FOUND", r.code(t))
}

func TestAsyncWrite(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	e.ledger.on(fnPing, func([]string) ([]byte, error) { <-release; return []byte(`{"id":"p1"}`), nil })
	r := e.do("POST", "/v1/pings?async=true", `{"id":"p1"}`)
	require.Equal(t, http.StatusAccepted, r.status)
	m := r.json(t)
	url := m["statusUrl"].(string)
	require.Equal(t, url, r.header.Get("Location"))

	op := e.do("GET", url, "")
	require.Equal(t, http.StatusOK, op.status)
	require.Equal(t, opPending, op.json(t)["status"])

	// Another client cannot see it.
	require.Equal(t, http.StatusNotFound, e.doAs(tokenAuditor, "GET", url, "").status)

	close(release)
	require.Eventually(t, func() bool {
		return e.do("GET", url, "").json(t)["status"] == opCommitted
	}, time.Second, 5*time.Millisecond)
	res := e.do("GET", url, "").json(t)["result"].(map[string]any)
	require.Equal(t, "tx1", res["txId"])

	require.Equal(t, http.StatusBadRequest, e.do("POST", "/v1/pings?async=maybe", `{"id":"p2"}`).status)
}

func TestAsyncWriteFailureAndDrain(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnPing, func([]string) ([]byte, error) {
		time.Sleep(20 * time.Millisecond)
		return nil, ccErr(ledger.CodeAlreadyExists, "p1")
	})
	r := e.do("POST", "/v1/pings?async=true", `{"id":"p1"}`)
	require.Equal(t, http.StatusAccepted, r.status)
	require.NoError(t, e.srv.Drain(t.Context()), "drain waits for the background write")
	op := e.do("GET", r.json(t)["statusUrl"].(string), "").json(t)
	require.Equal(t, opFailed, op["status"])
	require.Equal(t, "ALREADY_EXISTS", op["error"].(map[string]any)["code"])
}

func TestWhoAmI(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnWhoAmI, returns(`{"mspId":"ShanghaiMSP","role":"operator"}`))
	r := e.do("GET", "/v1/whoami", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "operator", r.json(t)["role"])
}
