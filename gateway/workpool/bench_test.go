package workpool_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/yangtze-delta/settlement/gateway/workpool"
)

// submitters is the number of goroutines that submit concurrently, standing
// in for HTTP handlers; it is the same for every size, so what grows with
// the number of submissions is only what the write path keeps.
const submitters = 64

// live is the memory in use: heap spans plus goroutine stacks.
func live() (bytes uint64, goroutines int) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}

// BenchmarkBurst submits a burst of asynchronous writes, all concurrently,
// while every accepted write is still running (blocked, like a write waiting
// for its commit), and reports what the write path holds at that moment:
// live-B (heap in use + goroutine stacks, from runtime.MemStats, above the
// level before the burst), goroutines (above that level), and how many
// writes were accepted and refused. "pool" is this package with the default
// bounds; "goroutine-per-request" is the unbounded pattern it replaces.
//
//	go test -run '^$' -bench Burst -benchtime 10x ./gateway/workpool
func BenchmarkBurst(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("pool/submissions=%d", n), func(b *testing.B) {
			burst(b, n, func(release <-chan struct{}) (func(workpool.Job) bool, func()) {
				p, err := workpool.New(workpool.Options{})
				if err != nil {
					b.Fatal(err)
				}
				submit := func(j workpool.Job) bool { return p.TrySubmit(j) == nil }
				return submit, func() { _ = p.Close(context.Background()) }
			})
		})
		b.Run(fmt.Sprintf("goroutine-per-request/submissions=%d", n), func(b *testing.B) {
			burst(b, n, func(release <-chan struct{}) (func(workpool.Job) bool, func()) {
				var wg sync.WaitGroup
				submit := func(j workpool.Job) bool {
					wg.Go(func() { j(context.Background()) })
					return true
				}
				return submit, wg.Wait
			})
		})
	}
}

// burst runs the benchmark for one write path; setup returns its submit
// function and a function that waits for it to finish once released.
func burst(b *testing.B, n int, setup func(release <-chan struct{}) (submit func(workpool.Job) bool, wait func())) {
	var sumBytes, sumGoroutines, sumAccepted float64
	iterations := 0
	for b.Loop() {
		release := make(chan struct{})
		job := func(context.Context) { <-release }
		baseBytes, baseG := live()
		submit, wait := setup(release)
		var mu sync.Mutex
		accepted := 0
		var wg sync.WaitGroup
		for s := range submitters {
			wg.Go(func() {
				ok := 0
				for i := s; i < n; i += submitters {
					if submit(job) {
						ok++
					}
				}
				mu.Lock()
				accepted += ok
				mu.Unlock()
			})
		}
		wg.Wait()
		bytes, g := live()
		close(release)
		wait()
		sumBytes += float64(bytes) - float64(baseBytes)
		sumGoroutines += float64(g - baseG)
		sumAccepted += float64(accepted)
		iterations++
	}
	k := float64(iterations)
	b.ReportMetric(sumBytes/k, "live-B")
	b.ReportMetric(sumGoroutines/k, "goroutines")
	b.ReportMetric(sumAccepted/k, "accepted")
	b.ReportMetric(float64(n)-sumAccepted/k, "refused")
}
