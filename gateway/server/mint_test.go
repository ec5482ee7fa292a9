package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func TestMint(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		code       string
		amount     string
	}{
		{"ok", `{"mintId":"m1","account":"r1","amount":"1000.5","reserveRef":"pboc-1"}`, http.StatusCreated, "", "1000.50"},
		{"negative", `{"mintId":"m1","account":"r1","amount":"-1"}`, http.StatusBadRequest, CodeInvalidAmount, ""},
		{"float", `{"mintId":"m1","account":"r1","amount":1.5}`, http.StatusBadRequest, CodeInvalidRequest, ""},
		{"three decimals", `{"mintId":"m1","account":"r1","amount":"1.005"}`, http.StatusBadRequest, CodeInvalidAmount, ""},
		{"zero", `{"mintId":"m1","account":"r1","amount":"0"}`, http.StatusBadRequest, CodeInvalidAmount, ""},
		{"no mint id", `{"account":"r1","amount":"1"}`, http.StatusBadRequest, CodeInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.ledger.on(fnMint, returns(`{"mintId":"m1"}`))
			r := e.do("POST", "/v1/mints", tt.body)
			require.Equal(t, tt.status, r.status, string(r.body))
			if tt.code != "" {
				require.Equal(t, tt.code, r.code(t))
				require.Zero(t, e.ledger.submits(), "rejected before Fabric")
				return
			}
			require.Equal(t, tt.amount, argJSON(t, e.ledger.callsTo(fnMint)[0])["amount"])
		})
	}
	t.Run("forbidden for non-issuer", func(t *testing.T) {
		e := newEnv(t)
		e.ledger.on(fnMint, fails(ccErr(ledger.CodeForbidden, "role operator may not mint")))
		r := e.do("POST", "/v1/mints", `{"mintId":"m1","account":"r1","amount":"1"}`)
		require.Equal(t, http.StatusForbidden, r.status)
	})
}

func TestRedeemSelectsInputs(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnListOutputs, returns(`{"outputs":[{"id":"o1","amount":"50.00"},{"id":"o2","amount":"80.00"}]}`))
	e.ledger.on(fnRedeem, returns(`{}`))
	r := e.do("POST", "/v1/redemptions", `{"redeemId":"d1","account":"a1","amount":"60"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	arg := argJSON(t, e.ledger.callsTo(fnRedeem)[0])
	require.Equal(t, []any{"o2"}, arg["inputs"])
	require.Equal(t, "60.00", arg["amount"])

	r = e.do("POST", "/v1/redemptions", `{"redeemId":"d2","account":"a1","amount":"500"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, "INSUFFICIENT_FUNDS", r.code(t))
}
