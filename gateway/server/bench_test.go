package server

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkAsyncFlood sends 1,000 concurrent ?async=true payments to one
// gateway whose writes are all held at the ledger (as if commits were
// slow): the pool's workers and queue take what they can, the rest get
// 429, and memory stays flat however many arrive. It reports the accepted
// and refused counts, goroutines and the heap growth per flood.
func BenchmarkAsyncFlood(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			hold := make(chan struct{})
			var holding atomic.Bool // after set-up: funded pays by token:Transfer too
			h := funded(b, harnessOptions{workers: 32, queue: 256, fault: func(fn string) error {
				if fn == "token:Transfer" && holding.Load() {
					<-hold
				}
				return nil
			}})
			holding.Store(true)
			var before, after runtime.MemStats
			var accepted, refused, other int
			var goroutines int
			for i := 0; i < b.N; i++ {
				runtime.GC()
				runtime.ReadMemStats(&before)
				var mu sync.Mutex
				var wg sync.WaitGroup
				for j := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := h.do("sh-op", "POST", "/v1/payments?async=true", fmt.Sprintf(`{"paymentId":"SH-CITY:f%d-%d","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0.01"}`, i, j))
						mu.Lock()
						defer mu.Unlock()
						switch r.status {
						case http.StatusAccepted:
							accepted++
						case http.StatusTooManyRequests:
							refused++
						default:
							other++
						}
					}()
				}
				wg.Wait()
				goroutines = runtime.NumGoroutine()
				runtime.GC()
				runtime.ReadMemStats(&after)
			}
			close(hold)
			b.ReportMetric(float64(accepted)/float64(b.N), "accepted/flood")
			b.ReportMetric(float64(refused)/float64(b.N), "429/flood")
			b.ReportMetric(float64(other)/float64(b.N), "other/flood")
			b.ReportMetric(float64(goroutines), "goroutines")
			b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/1024, "heap-growth-KiB")
		})
	}
}
