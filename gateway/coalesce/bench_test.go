package coalesce_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/gateway/coalesce"
)

// BenchmarkDo measures the coalescer's own cost per request with a Run
// that does nothing: parallel callers on one lane, a 100 µs window, batches
// of up to 100. It reports the mean batch size.
func BenchmarkDo(b *testing.B) {
	var runs, items atomic.Int64
	run := func(_ context.Context, _ string, reqs []int) ([]coalesce.Result[int], error) {
		runs.Add(1)
		items.Add(int64(len(reqs)))
		return make([]coalesce.Result[int], len(reqs)), nil
	}
	c, err := coalesce.New(run, coalesce.Options{Window: 100 * time.Microsecond, MaxItems: 100, MaxPending: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Do(context.Background(), "a", nil, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if err := c.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if r := runs.Load(); r > 0 {
		b.ReportMetric(float64(items.Load())/float64(r), "items/batch")
	}
}
