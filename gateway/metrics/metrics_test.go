package metrics_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/metrics"
)

func TestNilIsSafe(t *testing.T) {
	var m *metrics.Metrics
	m.Request("GET /healthz", 200, time.Millisecond)
	m.Stage("endorse", "ok", time.Millisecond)
	m.Retry("conflict")
	m.Conflict("MVCC_READ_CONFLICT")
	m.LockedOutputs(3)
	m.LockWait("acquired")
	m.InFlight(1)
}

func TestRecords(t *testing.T) {
	m := metrics.New()
	m.Request("POST /v1/payments", 201, 10*time.Millisecond)
	m.Retry("conflict")
	m.Retry("conflict")
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			got[f.GetName()] += mt.GetCounter().GetValue()
		}
	}
	require.Equal(t, 1.0, got["yrd_gateway_http_requests_total"])
	require.Equal(t, 2.0, got["yrd_gateway_fabric_retries_total"])
}
