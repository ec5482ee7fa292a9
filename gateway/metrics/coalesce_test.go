package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/metrics"
)

func TestCoalesceNilIsSafe(t *testing.T) {
	var m *metrics.Metrics
	m.CoalesceFlush("payment", "window")
	m.CoalesceBatch("payment", 3, "answered")
	m.CoalesceRerun("payment", "rerun")
	m.CoalesceRefused("payment")
	m.CoalesceLevels("payment", 1, 1)
}

func TestCoalesceRecords(t *testing.T) {
	m := metrics.New()
	m.CoalesceFlush("payment", "count")
	m.CoalesceBatch("payment", 40, "answered")
	m.CoalesceBatch("payment", 2, "rerun")
	m.CoalesceRerun("payment", "rerun")
	m.CoalesceLevels("payment", 7, 2)
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			switch {
			case mt.GetHistogram() != nil:
				got[f.GetName()] += mt.GetHistogram().GetSampleSum()
			case mt.GetGauge() != nil:
				got[f.GetName()] += mt.GetGauge().GetValue()
			default:
				got[f.GetName()] += mt.GetCounter().GetValue()
			}
		}
	}
	require.Equal(t, 1.0, got["yrd_gateway_coalesce_flushes_total"])
	require.Equal(t, 2.0, got["yrd_gateway_coalesce_batches_total"])
	require.Equal(t, 42.0, got["yrd_gateway_coalesce_batch_items"])
	require.Equal(t, 1.0, got["yrd_gateway_coalesce_reruns_total"])
	require.Equal(t, 7.0, got["yrd_gateway_coalesce_pending"])
	require.Equal(t, 2.0, got["yrd_gateway_coalesce_batches_in_flight"])
}
