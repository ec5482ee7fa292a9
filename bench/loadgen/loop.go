package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// outcome is what one operation did.
type outcome struct {
	// txs and payments committed (0 when the operation failed). An
	// operation that reports txID counts its transaction once however many
	// operations it carried (coalesced payments share one).
	txs, payments int
	// conflicts retried on the way.
	conflicts int
	// code is the failure's stable code; empty on success.
	code string
	// txID is the committed transaction's ID, when the path reports it.
	txID string
}

// opFunc runs one operation of worker w (seq counts the worker's
// operations from 0) and waits for its commit.
type opFunc func(ctx context.Context, w, seq int) outcome

// loopResult is the measured phase's raw outcome.
type loopResult struct {
	elapsed   time.Duration
	txs       int
	payments  int
	conflicts int
	failures  map[string]int
	latencies []time.Duration
	// txID is one committed operation's transaction ID ("" when none
	// reported one): a sample for looking at a real transaction.
	txID string
	// ids are the committed transactions that operations reported.
	ids map[string]struct{}
}

// closedLoop runs workers that each call op back to back until duration
// has passed since the start or maxOps operations were started (0: no
// bound), or ctx ends. Each call gets its own context bounded by opTimeout.
// Worker w's operations are numbered from 0.
func closedLoop(ctx context.Context, workers int, duration time.Duration, maxOps int, opTimeout time.Duration, op opFunc) loopResult {
	return closedLoopFrom(ctx, make([]int, workers), duration, maxOps, opTimeout, op)
}

// closedLoopFrom is closedLoop with len(next) workers, worker w numbering
// its operations from next[w]; on return next[w] is the number after its
// last one, so that a later phase with the same workers (a concurrency
// sweep) never repeats an operation's sequence number (payment IDs are
// built from it).
func closedLoopFrom(ctx context.Context, next []int, duration time.Duration, maxOps int, opTimeout time.Duration, op opFunc) loopResult {
	workers := len(next)
	start := time.Now()
	deadline := start.Add(duration)
	var started atomic.Int64
	var mu sync.Mutex
	res := loopResult{failures: map[string]int{}, ids: map[string]struct{}{}}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var lat []time.Duration
			var txs, pays, conflicts int
			var txID string
			ids := map[string]struct{}{}
			fails := map[string]int{}
			seq := next[w]
			defer func() { next[w] = seq }()
			for ; ctx.Err() == nil && time.Now().Before(deadline); seq++ {
				if maxOps > 0 && started.Add(1) > int64(maxOps) {
					break
				}
				octx, cancel := context.WithTimeout(ctx, opTimeout)
				t0 := time.Now()
				o := op(octx, w, seq)
				d := time.Since(t0)
				cancel()
				conflicts += o.conflicts
				if o.code != "" {
					fails[o.code]++
					// A failing network must not turn the loop into a spin.
					if d < 50*time.Millisecond {
						sleepCtx(ctx, 50*time.Millisecond)
					}
					continue
				}
				if o.txID != "" {
					ids[o.txID] = struct{}{}
				} else {
					txs += o.txs
				}
				pays += o.payments
				lat = append(lat, d)
				if txID == "" {
					txID = o.txID
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if res.txID == "" {
				res.txID = txID
			}
			res.txs += txs
			for id := range ids {
				if _, seen := res.ids[id]; !seen {
					res.ids[id] = struct{}{}
					res.txs++
				}
			}
			res.payments += pays
			res.conflicts += conflicts
			res.latencies = append(res.latencies, lat...)
			for k, v := range fails {
				res.failures[k] += v
			}
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
