package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func TestSupply(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetSupply, returns(`{"minted":"100.00","redeemed":"0.00","outstanding":"100.00"}`))
	e.ledger.on(fnAuditSupply, fails(ccErr(ledger.CodeForbidden, "auditors only")))
	r := e.do("GET", "/v1/supply", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "100.00", r.json(t)["outstanding"])
	r = e.do("GET", "/v1/supply/audit", "")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, "FORBIDDEN", r.code(t))
}
