package server

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/rest"
)

// BenchmarkDisbursementJob measures disbursement lines per second through
// the gateway (PUT a job as CSV, poll until done) on the real chaincode in
// process: one op is one job. YRD_BENCH_JOB_LINES sets the job's size
// (default 10,000; the goal is 100,000 in 5 minutes). The in-process
// ledger commits each transaction at once, so this measures the gateway and
// the chaincode's own cost per line plus the in-memory stub's commit, which
// slows as its state grows (it keeps its keys in one sorted slice); on the
// real network each batch also waits for ordering, a block and validation
// on every peer. BenchmarkEngine (package jobs) measures the engine alone.
func BenchmarkDisbursementJob(b *testing.B) {
	size := 10_000
	if v, err := strconv.Atoi(os.Getenv("YRD_BENCH_JOB_LINES")); err == nil && v > 0 {
		size = v
	}
	for _, c := range []struct {
		name                  string
		tranches, conc, batch int
	}{
		{"one tranche (3 escrow outputs)/batch=500/concurrency=4", 1, 4, 500},
		{"one tranche/batch=500/concurrency=1", 1, 1, 500},
		{"four tranches (12 escrow outputs)/batch=500/concurrency=8", 4, 8, 500},
	} {
		b.Run(fmt.Sprintf("lines=%d/%s", size, c.name), func(b *testing.B) {
			h := newProgHarness(b, harnessOptions{}, "30000000", "", jobs.Options{BatchLines: c.batch, Concurrency: c.conc})
			for no := 1; no <= c.tranches; no++ {
				h.fundTranche(no, "5000000")
			}
			recipients := append(h.merchants("sh-op", "r", "5812", 1000), h.merchants("js-op", "r", "5812", 1000)...)
			lines, _ := plan(recipients, size)
			body := csvOf(lines, true)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				job := fmt.Sprintf("SH-FIN:bench-%d", i)
				if res := h.put("sh-fin", job, "text/csv", body); res.status != http.StatusAccepted {
					b.Fatalf("PUT: %d %s", res.status, res.body)
				}
				if j := h.waitJob("sh-fin", job, 30*time.Minute); j.Status != rest.JobDone || j.Paid != size {
					b.Fatalf("job %+v", j)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(size*b.N)/time.Since(start).Seconds(), "lines/s")
		})
	}
}
