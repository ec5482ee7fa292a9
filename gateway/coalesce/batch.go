package coalesce

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// Batch outcomes, the values of the batches metric's outcome label.
const (
	outcomeAnswered = "answered"
	outcomeRerun    = "rerun"
	outcomeSplit    = "split"
	outcomeFailed   = "failed"
)

// settle runs calls as one batch, at most runs times while it fails with
// an error Rerun accepts, then in halves while Split accepts the error,
// and answers every call it ran for good. Calls whose callers have gone are
// left out of re-runs.
func (c *Coalescer[Req, Resp]) settle(laneName string, calls []*call[Req, Resp], runs int) {
	for run := 1; ; run++ {
		if calls = c.live(calls); len(calls) == 0 {
			return
		}
		res, err := c.runOnce(laneName, calls)
		if err == nil {
			c.opts.Metrics.CoalesceBatch(c.opts.Name, len(calls), outcomeAnswered)
			for i, cl := range calls {
				c.answer(cl, res[i].Value, res[i].Err)
			}
			return
		}
		rerun := c.opts.Rerun != nil && c.opts.Rerun(err)
		if rerun && run < runs {
			c.opts.Metrics.CoalesceBatch(c.opts.Name, len(calls), outcomeRerun)
			c.opts.Metrics.CoalesceRerun(c.opts.Name, outcomeRerun)
			c.log.Warn("batch failed as a whole, running it again", "lane", laneName, "items", len(calls), "run", run, "err", err)
			if !c.backoff(run) {
				c.answerAll(calls, err)
				return
			}
			continue
		}
		if len(calls) > 1 && c.opts.Split != nil && c.opts.Split(err) {
			c.opts.Metrics.CoalesceBatch(c.opts.Name, len(calls), outcomeSplit)
			c.opts.Metrics.CoalesceRerun(c.opts.Name, outcomeSplit)
			c.log.Warn("batch failed as a whole, running it again in halves", "lane", laneName, "items", len(calls), "run", run, "err", err)
			if rerun && !c.backoff(run) {
				c.answerAll(calls, err)
				return
			}
			half := len(calls) / 2
			c.settle(laneName, calls[:half], 1)
			c.settle(laneName, calls[half:], 1)
			return
		}
		c.opts.Metrics.CoalesceBatch(c.opts.Name, len(calls), outcomeFailed)
		c.answerAll(calls, err)
		return
	}
}

// runOnce calls Run for calls, turning a panic or a wrong number of
// results into an error for the whole batch.
func (c *Coalescer[Req, Resp]) runOnce(laneName string, calls []*call[Req, Resp]) (res []Result[Resp], err error) {
	reqs := make([]Req, len(calls))
	for i, cl := range calls {
		reqs[i] = cl.req
	}
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("batch run panicked", "lane", laneName, "panic", v, "stack", string(debug.Stack()))
			res, err = nil, fmt.Errorf("%w: %v", ErrPanicked, v)
		}
	}()
	res, err = c.run(c.ctx, laneName, reqs)
	if err == nil && len(res) != len(reqs) {
		return nil, fmt.Errorf("%w: %d results for %d requests", ErrBadAnswer, len(res), len(reqs))
	}
	return res, err
}

// live returns the calls whose callers still wait, in order.
func (c *Coalescer[Req, Resp]) live(calls []*call[Req, Resp]) []*call[Req, Resp] {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := calls[:0:0]
	for _, cl := range calls {
		if cl.state != abandoned {
			out = append(out, cl)
		}
	}
	return out
}

func (c *Coalescer[Req, Resp]) answer(cl *call[Req, Resp], v Resp, err error) {
	cl.val, cl.err = v, err
	close(cl.done)
}

func (c *Coalescer[Req, Resp]) answerAll(calls []*call[Req, Resp], err error) {
	var zero Resp
	for _, cl := range calls {
		c.answer(cl, zero, err)
	}
}

// backoff waits before re-run number run+1: BackoffBase doubled per run,
// capped at BackoffMax, with jitter (the ledger's conflict-retry rule). It
// reports false when the runs' context ended first.
func (c *Coalescer[Req, Resp]) backoff(run int) bool {
	d := c.opts.BackoffBase << (run - 1)
	if d > c.opts.BackoffMax || d <= 0 {
		d = c.opts.BackoffMax
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}
