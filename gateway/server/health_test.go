package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.doAs("", "GET", "/healthz", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, 0, len(e.ledger.calls), "healthz never touches Fabric")
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		status int
		code   string
	}{
		{"chaincode answers", returns(`"1.2.0"`), http.StatusOK, ""},
		{"peer down", fails(&ledger.Error{Code: ledger.CodePeerUnavailable, Stage: ledger.StageEvaluate}), http.StatusServiceUnavailable, CodeNotReady},
		{"chaincode broken", fails(ccErr(ledger.CodeChaincodeError, "no such contract")), http.StatusServiceUnavailable, CodeNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.ledger.on(fnVersion, tt.answer)
			r := e.doAs("", "GET", "/readyz", "")
			require.Equal(t, tt.status, r.status)
			if tt.code != "" {
				require.Equal(t, tt.code, r.code(t))
			}
		})
	}
	t.Run("shutting down", func(t *testing.T) {
		e := newEnv(t)
		e.ledger.on(fnVersion, returns(`"1"`))
		e.srv.BeginShutdown()
		r := e.doAs("", "GET", "/readyz", "")
		require.Equal(t, http.StatusServiceUnavailable, r.status)
		require.Equal(t, CodeShuttingDown, r.code(t))
	})
}

func TestNetworkStatus(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnVersion, returns(`"1.2.0"`))
	r := e.do("GET", "/v1/network", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "ShanghaiMSP", r.json(t)["network"].(map[string]any)["mspId"])
}

func TestMetricsAndUnknownRoute(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnVersion, returns(`"1"`))
	e.doAs("", "GET", "/readyz", "")
	r := e.do("GET", "/v1/nothing", "")
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, CodeRouteNotFound, r.code(t))
	m := e.doAs("", "GET", "/metrics", "")
	require.Equal(t, http.StatusOK, m.status)
	require.True(t, strings.Contains(string(m.body), `yrd_gateway_http_requests_total{code="200",route="GET /readyz"} 1`), string(m.body))
}
