package server

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/gateway/config"
)

// BenchmarkCoalescedPayments sends single payments (POST /v1/payments)
// through the gateway's handler on the real chaincode in process, from
// closed-loop clients, with coalescing on (the defaults: 2 ms window,
// batches of up to 100) and off; one op is one payment. It reports
// payments/s and the transactions committed per payment. The in-process
// ledger commits a transaction as soon as it is endorsed, with no
// ordering or block wait, so coalescing saves here only the per-
// transaction cost of the gateway, the chaincode's dispatch and the
// stub's validation and commit; on a network, where every transaction
// waits for a block, the saving is the ordering and validation of the
// transactions it does not send (see docs/performance.md).
func BenchmarkCoalescedPayments(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		for _, mode := range []struct {
			name string
			co   config.Coalesce
		}{
			{"coalesced", config.Coalesce{}},
			{"uncoalesced", config.Coalesce{Disabled: true}},
		} {
			b.Run(fmt.Sprintf("clients=%d/%s", clients, mode.name), func(b *testing.B) {
				h := funded(b, harnessOptions{})
				h.splitOutputs(settle, 50) // outputs for 50 payments at once
				h.coalesceWith(mode.co)
				var next atomic.Int64
				var wg sync.WaitGroup
				height := h.led.Height()
				b.ResetTimer()
				start := time.Now()
				for c := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							to := []string{shShop, jsShop}[i%2]
							r := h.do("sh-op", "POST", "/v1/payments", paymentBody(fmt.Sprintf("SH-CITY:b%d-%d", c, i), settle, to, "0.01"))
							if r.status != http.StatusCreated {
								b.Errorf("payment %d: %d %s", i, r.status, r.body)
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "payments/s")
				b.ReportMetric(float64(h.led.Height()-height)/float64(b.N), "tx/payment")
			})
		}
	}
}
