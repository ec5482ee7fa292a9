package selection_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// metricValue reads one gauge or counter (summed over its labels, or the
// one labelled outcome=label when label is set).
func metricValue(t *testing.T, m *metrics.Metrics, name, label string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	var v float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			match := label == ""
			for _, l := range mt.GetLabel() {
				match = match || (l.GetName() == "outcome" && l.GetValue() == label)
			}
			if !match {
				continue
			}
			v += mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
		}
	}
	return v
}

func TestMetrics(t *testing.T) {
	t.Run("the locked-outputs gauge ends at the count", func(t *testing.T) {
		m := metrics.New()
		accounts := map[string][]selection.Output{}
		for i := range 4 {
			accounts[fmt.Sprint("acc", i)] = outs(100, 100, 100, 100)
		}
		s := selection.New(newLedger(accounts), selection.Options{Metrics: m, LockWait: watchdog, MaxLockWait: time.Hour})
		ctx := testCtx(t)
		errs := make(chan error, 16)
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range 50 {
					l, err := s.Select(ctx, "id", fmt.Sprint("acc", (g+r)%4), 100)
					if err != nil {
						errs <- err
						return
					}
					l.Release(false)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Zero(t, metricValue(t, m, "yrd_gateway_selection_locked_outputs", ""))
		for range 3 {
			_, err := s.Select(ctx, "id", "acc0", 100)
			require.NoError(t, err)
		}
		require.Equal(t, 3.0, metricValue(t, m, "yrd_gateway_selection_locked_outputs", ""))
	})

	t.Run("lock-wait outcomes", func(t *testing.T) {
		m := metrics.New()
		s, clk := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{Metrics: m, LockWait: time.Second})
		ctx := context.Background()
		l, err := s.Select(ctx, "id", "acc", 100)
		require.NoError(t, err)
		got := goSelect(ctx, s, "acc", 100)
		clk.nextTimer(t)
		clk.Advance(time.Second)
		require.ErrorIs(t, recv(t, got).err, selection.ErrFundsLocked)
		got = goSelect(ctx, s, "acc", 100)
		clk.nextTimer(t)
		l.Release(false)
		require.NoError(t, recv(t, got).err)
		require.Equal(t, 1.0, metricValue(t, m, "yrd_gateway_selection_waits_total", "timeout"))
		require.Equal(t, 1.0, metricValue(t, m, "yrd_gateway_selection_waits_total", "acquired"))
	})
}
