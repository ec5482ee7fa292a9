package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
)

// run is one job being worked on. Its loop (runJob) is the only goroutine
// that changes its lines and queue; batches report back over outcomes.
type run struct {
	e     *Engine
	ent   *entry
	id    string
	owner string
	prog  string
	lines []Line // in line order
	// pending holds positions in lines, in the order they are tried.
	pending  []int
	inFlight int
	pool     *pool
	outcomes chan outcome
	failures int
	lastErr  error
	retryAt  time.Time
	// refreshed: the pool was read since the last progress (a stall).
	refreshed bool
	stalls    int
	stopping  bool
	failCode  string
	failMsg   string
}

type batch struct {
	pos   []int // positions in lines
	lease *lease
}

type outcome struct {
	b   *batch
	res api.DisburseResult
	c   *ledger.Committed
	err error
}

// runJob works on a job until it is done, fails or the engine closes.
func (e *Engine) runJob(ent *entry) {
	r, err := e.prepare(ent)
	if err != nil {
		if !e.abandoned.Load() && !errors.Is(err, ErrClosed) && e.dispatch.Err() == nil {
			e.log.Error("disbursement job cannot start", "job", ent.job.ID, "err", err)
			e.finishJob(ent, nil, "INTERNAL", "the job's lines could not be read: "+err.Error())
		}
		return
	}
	r.loop()
}

// prepare loads the job's lines, recounts its progress from them and marks
// it running.
func (e *Engine) prepare(ent *entry) (*run, error) {
	e.mu.Lock()
	id, owner, prog := ent.job.ID, ent.job.Owner, ent.job.Programme
	e.mu.Unlock()
	lines, err := e.st.lines(id)
	if err != nil {
		return nil, err
	}
	r := &run{e: e, ent: ent, id: id, owner: owner, prog: prog, lines: lines, outcomes: make(chan outcome)}
	e.mu.Lock()
	j := &ent.job
	j.Pending, j.Paid, j.AlreadyPaid, j.Rejected, j.Settled = 0, 0, 0, 0, 0
	for i, l := range lines {
		switch l.Status {
		case LinePending:
			j.Pending++
			r.pending = append(r.pending, i)
		case LinePaid:
			j.Paid++
			j.Settled += l.Amount
		case LineAlreadyPaid:
			j.AlreadyPaid++
			j.Settled += l.Amount
		default:
			j.Rejected++
		}
	}
	now := e.opts.Now().UTC()
	j.Status, j.Updated = StatusRunning, now
	if j.Started.IsZero() {
		j.Started = now
	}
	snapshot := *j
	e.mu.Unlock()
	if err := e.st.record(snapshot, nil); err != nil {
		return nil, err
	}
	return r, nil
}

// escrowOf reads the programme's escrow account, retrying transient
// failures like a batch.
func (r *run) escrowOf() (string, error) {
	for {
		v, err := ledger.Query(r.e.submit, r.e.opts.Ledger, r.owner, api.GetProgramme, api.ProgrammeID{ID: r.prog})
		if err == nil {
			return v.Programme.Escrow, nil
		}
		if !r.retryable(err) {
			return "", err
		}
		if r.failures++; r.failures > r.e.opts.MaxAttempts {
			return "", err
		}
		select {
		case <-time.After(r.backoff()):
		case <-r.e.dispatch.Done():
			return "", ErrClosed
		}
	}
}

func (r *run) backoff() time.Duration {
	d := r.e.opts.RetryDelay
	for i := 1; i < r.failures && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

func (r *run) loop() {
	escrow, err := r.escrowOf()
	if err != nil {
		if !errors.Is(err, ErrClosed) {
			code, msg := errorCode(err)
			r.e.finishJob(r.ent, nil, code, msg)
		}
		return
	}
	r.pool = r.e.pools.acquire(r.prog, escrow)
	defer r.e.pools.release(r.pool)
	r.failures = 0
	for {
		if r.e.dispatch.Err() != nil {
			r.stopping = true
		}
		// Taken before dispatch looks at the pool, so that a change after
		// that look (another job's batch settling) wakes this loop.
		changed := r.pool.waitChan()
		r.dispatch()
		if r.inFlight == 0 {
			switch {
			case r.stopping && r.failCode != "":
				r.e.finishJob(r.ent, nil, r.failCode, r.failMsg)
				return
			case r.stopping:
				return // resumed by the next Open
			case len(r.pending) == 0:
				r.e.finishJob(r.ent, nil, "", "")
				return
			}
		}
		var wake, done <-chan struct{}
		var timer <-chan time.Time
		if !r.stopping {
			done = r.e.dispatch.Done()
		}
		if !r.stopping && len(r.pending) > 0 {
			if wait := time.Until(r.retryAt); wait > 0 {
				timer = time.After(wait)
			} else if r.inFlight == 0 {
				if !r.unstick() {
					continue
				}
				wake = changed
			} else {
				wake = changed
			}
		}
		select {
		case o := <-r.outcomes:
			r.handle(o)
		case <-wake:
		case <-timer:
		case <-done:
			r.stopping = true
		}
	}
}

// dispatch starts batches while the job's concurrency and the escrow allow.
func (r *run) dispatch() {
	for !r.stopping && r.inFlight < r.e.opts.Concurrency && len(r.pending) > 0 && !time.Now().Before(r.retryAt) {
		if r.pool.isStale() {
			if err := r.pool.refresh(r.e.submit, r.e.opts.Ledger, r.owner); err != nil {
				r.failed(err)
				return
			}
			r.refreshed = true
		}
		picked, l, stale := r.pool.take(r.pending, r.candidate, int(r.e.batchLines.Load()), r.e.opts.MaxInputs, r.e.opts.Concurrency)
		if stale {
			continue
		}
		if l == nil {
			return
		}
		b := &batch{lease: l, pos: make([]int, len(picked))}
		keep := r.pending[:0:0]
		j := 0
		for i, pos := range r.pending {
			if j < len(picked) && picked[j] == i {
				b.pos[j] = pos
				j++
				continue
			}
			keep = append(keep, pos)
		}
		r.pending = keep
		r.launch(b)
	}
}

func (r *run) candidate(pos int) (string, money.Amount) {
	l := &r.lines[pos]
	return l.Recipient, l.Amount
}

// launch submits a batch on its own goroutine.
func (r *run) launch(b *batch) {
	r.inFlight++
	r.e.mu.Lock()
	r.ent.inFlight++
	r.e.mu.Unlock()
	req := api.DisburseRequest{Programme: r.prog, Job: r.id, Inputs: b.lease.ids, ChangeSplit: b.lease.split,
		Lines: make([]api.DisburseLine, len(b.pos))}
	for i, pos := range b.pos {
		l := r.lines[pos]
		req.Lines[i] = api.DisburseLine{Line: l.No, Recipient: l.Recipient, Amount: l.Amount}
	}
	go func() {
		res, c, err := ledger.Invoke(r.e.submit, r.e.opts.Ledger, r.owner, api.Disburse, req, nil, ledger.SubmitOptions{})
		r.outcomes <- outcome{b: b, res: res, c: c, err: err}
	}()
}

// unstick handles a job with lines pending and nothing in flight that
// cannot start a batch. When other jobs' batches hold escrow outputs or
// recipients, it waits (true). Otherwise it reads the escrow once more;
// if still nothing fits, the lines no batch could ever cover are rejected
// with INSUFFICIENT_FUNDS (false: try again).
func (r *run) unstick() bool {
	if r.pool.busy() {
		return true
	}
	if !r.refreshed {
		r.refreshed = true
		if err := r.pool.refresh(r.e.submit, r.e.opts.Ledger, r.owner); err != nil {
			r.failed(err)
		}
		return false
	}
	cover := r.pool.cover(r.e.opts.MaxInputs)
	var changed []Line
	keep := r.pending[:0:0]
	for _, pos := range r.pending {
		l := &r.lines[pos]
		if l.Amount <= cover {
			keep = append(keep, pos)
			continue
		}
		l.Status, l.Code = LineRejected, string(api.CodeInsufficientFunds)
		l.Message = fmt.Sprintf("the escrow's outputs of one tranche cover at most %s (a disbursement spends one tranche, at most %d outputs); the line needs %s",
			cover, r.e.opts.MaxInputs, l.Amount)
		changed = append(changed, *l)
	}
	r.pending = keep
	r.refreshed = false
	if len(changed) == 0 {
		// Nothing fits and nothing was rejected: the escrow changed between
		// the reads. Bounded, so that a stuck job fails instead of spinning.
		if r.stalls++; r.stalls > maxStalls {
			r.failCode, r.failMsg = "INTERNAL", "no disbursement could start although the escrow covers the pending lines"
			r.stopping = true
		}
		return false
	}
	r.stalls = 0
	r.record(changed, nil)
	return false
}

// maxStalls bounds the escrow reads of a job that cannot start a batch
// and has nothing to reject.
const maxStalls = 3

// handle applies one batch's outcome.
func (r *run) handle(o outcome) {
	r.inFlight--
	r.e.mu.Lock()
	r.ent.inFlight--
	r.e.mu.Unlock()
	if o.err == nil && len(o.res.Results) != len(o.b.pos) {
		o.err = fmt.Errorf("the disbursement answered %d results for %d lines", len(o.res.Results), len(o.b.pos))
	}
	if o.err != nil {
		r.pool.fail(o.b.lease, o.c != nil || maybeSpent(o.err))
		r.pending = append(append([]int(nil), o.b.pos...), r.pending...)
		if n := len(o.b.pos); ledger.CodeOf(o.err) == ledger.CodeBatchTooLarge && n > 1 {
			// The orderers refused the transaction for its size (nothing
			// was ordered): smaller batches from now on, no failure.
			half := int64(n / 2)
			for cur := r.e.batchLines.Load(); cur > half && !r.e.batchLines.CompareAndSwap(cur, half); cur = r.e.batchLines.Load() {
			}
			r.e.log.Warn("disbursement batch too large for the orderers; smaller batches from now on",
				"job", r.id, "lines", n, "batchLines", r.e.batchLines.Load())
			return
		}
		r.failed(o.err)
		return
	}
	r.pool.settle(o.b.lease, o.res)
	changed := make([]Line, 0, len(o.b.pos))
	for i, pos := range o.b.pos {
		l := &r.lines[pos]
		lr := o.res.Results[i]
		if lr.Line != l.No {
			r.failed(fmt.Errorf("the disbursement answered line %d for line %d", lr.Line, l.No))
			return
		}
		switch lr.Status {
		case api.LinePaid:
			l.Status, l.Output, l.TxID = LinePaid, lr.Output, o.c.TxID
		case api.LineAlreadyPaid:
			l.Status, l.Output = LineAlreadyPaid, lr.Output
		default:
			l.Status, l.Code, l.Message = LineRejected, string(lr.Code), lr.Message
		}
		changed = append(changed, *l)
	}
	r.failures, r.refreshed, r.stalls = 0, false, 0
	r.record(changed, o.c)
}

// record counts changed lines into the job and stores both.
func (r *run) record(changed []Line, c *ledger.Committed) {
	e := r.e
	e.mu.Lock()
	j := &r.ent.job
	for _, l := range changed {
		j.Pending--
		switch l.Status {
		case LinePaid:
			j.Paid++
			j.Settled += l.Amount
		case LineAlreadyPaid:
			j.AlreadyPaid++
			j.Settled += l.Amount
		default:
			j.Rejected++
		}
	}
	if c != nil {
		j.Batches++
		j.LastTxID = c.TxID
	}
	j.Updated = e.opts.Now().UTC()
	snapshot := *j
	e.mu.Unlock()
	if err := e.st.record(snapshot, changed); err != nil {
		if !e.abandoned.Load() {
			e.log.Error("recording a disbursement batch failed; its lines stay pending and are paid at most once when resumed",
				"job", r.id, "err", err)
		}
		r.stopping = true
	}
}

// failed counts a failed attempt: the job stops on an error that retrying
// cannot fix, or after MaxAttempts consecutive failures.
func (r *run) failed(err error) {
	if r.stopping && (errors.Is(err, context.Canceled) || ledger.CodeOf(err) == ledger.CodeCanceled) {
		return
	}
	r.lastErr = err
	r.failures++
	if !r.retryable(err) || r.failures > r.e.opts.MaxAttempts {
		r.failCode, r.failMsg = errorCode(err)
		r.stopping = true
		return
	}
	r.retryAt = time.Now().Add(r.backoff())
	r.e.log.Warn("disbursement batch failed; retrying", "job", r.id, "attempt", r.failures, "err", err)
}

// retryable: Fabric failures that may pass, and escrow inputs spent by
// someone else (the pool is read again). A rule the chaincode applies to
// the whole batch (programme inactive or expired, not the owner bureau)
// fails the job.
func (r *run) retryable(err error) bool {
	var le *ledger.Error
	if !errors.As(err, &le) {
		return false
	}
	switch le.Code {
	case ledger.CodeInputSpent, ledger.CodeInputNotOwned, ledger.CodeConflict, ledger.CodePeerUnavailable, ledger.CodeChaincodeUnavailable, ledger.CodeTimeout,
		ledger.CodeCommitUnknown, ledger.CodeSubmitFailed, ledger.CodeEndorseFailed, ledger.CodeTxInvalid, ledger.CodeCanceled,
		ledger.Code(api.CodeClockSkew), ledger.Code(api.CodeNotConfigured):
		return true
	case ledger.CodeInternal:
		return !le.FromChaincode
	}
	return false
}

// maybeSpent: the batch's inputs may be spent (the transaction left the
// gateway, or the chaincode said an input is spent or not the escrow's).
func maybeSpent(err error) bool {
	var le *ledger.Error
	if !errors.As(err, &le) {
		return false
	}
	switch le.Code {
	case ledger.CodeInputSpent, ledger.CodeInputNotOwned:
		return true
	}
	return le.Stage != ledger.StageEndorse && le.Stage != ledger.StageEvaluate
}

func errorCode(err error) (string, string) {
	var le *ledger.Error
	if errors.As(err, &le) {
		return string(le.Code), le.Message
	}
	return "INTERNAL", err.Error()
}

// finishJob marks a job done (code "") or failed and stores it; with
// changed lines, those as well.
func (e *Engine) finishJob(ent *entry, changed []Line, code, msg string) {
	e.mu.Lock()
	j := &ent.job
	now := e.opts.Now().UTC()
	j.Status, j.ErrCode, j.ErrMessage, j.Updated, j.Finished = StatusDone, code, msg, now, now
	if code != "" {
		j.Status = StatusFailed
	}
	snapshot := *j
	e.release(ent)
	e.mu.Unlock()
	if err := e.st.record(snapshot, changed); err != nil && !e.abandoned.Load() {
		e.log.Error("recording a disbursement job's end failed", "job", ent.job.ID, "err", err)
	}
	e.log.Info("disbursement job finished", "job", snapshot.ID, "status", snapshot.Status, "paid", snapshot.Paid,
		"alreadyPaid", snapshot.AlreadyPaid, "rejected", snapshot.Rejected, "pending", snapshot.Pending, "code", code)
}
