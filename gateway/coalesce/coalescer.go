package coalesce

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Run settles one batch of a lane: reqs in arrival order, no two sharing a
// key. It answers one Result per request, in order, or an error when the
// batch failed as a whole (then nothing it was given may count as settled,
// unless the error says the outcome is unknown). ctx ends only when Close
// gives up waiting.
type Run[Req, Resp any] func(ctx context.Context, lane string, reqs []Req) ([]Result[Resp], error)

// Result is one request's answer: its value, or its own error.
type Result[Resp any] struct {
	Value Resp
	Err   error
}

// Stats is a snapshot of a Coalescer's levels.
type Stats struct {
	// Pending requests wait for a batch; InFlight batches are running;
	// Lanes have requests waiting.
	Pending, InFlight, Lanes int
}

// Coalescer forms batches of requests and runs them. See the package
// documentation for its rules and bounds.
type Coalescer[Req, Resp any] struct {
	run  Run[Req, Resp]
	opts Options
	log  *slog.Logger

	// ctx is the runs' context; cancel ends it when Close gives up.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	lanes    map[string]*lane[Req, Resp]
	pending  int
	inFlight int
	closed   bool
	// drained, once Close has made it, is closed when nothing waits or runs.
	drained chan struct{}
}

// callState is where a request is; guarded by Coalescer.mu.
type callState int

const (
	waiting   callState = iota // in its lane
	running                    // in a batch being run
	abandoned                  // in a batch, its caller gone: left out of re-runs
)

type call[Req, Resp any] struct {
	req     Req
	keys    []string
	arrived time.Time
	state   callState
	// done is closed once val and err are set.
	done chan struct{}
	val  Resp
	err  error
}

// lane holds one lane's waiting requests, oldest first.
type lane[Req, Resp any] struct {
	name  string
	calls []*call[Req, Resp]
	// due is the reason the lane's next batch is to be formed as soon as a
	// slot is free; "" while it is not due.
	due string
	// timer fires when the oldest request has waited the window; gen makes
	// a timer that fires after being replaced or stopped a no-op.
	timer *time.Timer
	gen   uint64
}

// New returns a Coalescer that settles batches with run.
func New[Req, Resp any](run Run[Req, Resp], opts Options) (*Coalescer[Req, Resp], error) {
	if run == nil {
		return nil, fmt.Errorf("%w: nil Run", ErrInvalid)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	c := &Coalescer[Req, Resp]{run: run, opts: opts, log: opts.Logger.With("coalescer", opts.Name),
		lanes: map[string]*lane[Req, Resp]{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Do adds req to laneName's next batch and waits for its answer. keys are
// what req may not share a batch with (see the package documentation).
// It fails at once with ErrFull at the waiting limit and ErrClosed after
// Close; when ctx ends first it returns an error wrapping ctx's and
// ErrWithdrawn or ErrOutcomeUnknown.
func (c *Coalescer[Req, Resp]) Do(ctx context.Context, laneName string, keys []string, req Req) (Resp, error) {
	var zero Resp
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%w: %w", ErrWithdrawn, err)
	}
	cl := &call[Req, Resp]{req: req, keys: keys, arrived: time.Now(), done: make(chan struct{})}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return zero, ErrClosed
	case c.pending >= c.opts.MaxPending:
		c.mu.Unlock()
		c.opts.Metrics.CoalesceRefused(c.opts.Name)
		return zero, ErrFull
	}
	l := c.lanes[laneName]
	if l == nil {
		l = &lane[Req, Resp]{name: laneName}
		c.lanes[laneName] = l
	}
	l.calls = append(l.calls, cl)
	c.pending++
	switch {
	case l.due != "":
	case len(l.calls) >= c.opts.MaxItems:
		l.due = ReasonCount
	case len(l.calls) == 1:
		c.armLocked(l, c.opts.Window)
	}
	c.dispatchLocked()
	c.levelsLocked()
	c.mu.Unlock()

	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	state := cl.state
	switch state {
	case waiting:
		c.withdrawLocked(laneName, cl)
	case running:
		cl.state = abandoned
	}
	c.mu.Unlock()
	select {
	case <-cl.done: // answered meanwhile
		return cl.val, cl.err
	default:
	}
	if state == waiting {
		return zero, fmt.Errorf("%w: %w", ErrWithdrawn, ctx.Err())
	}
	return zero, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
}

// Flush forms batches of every waiting request now (as slots allow).
func (c *Coalescer[Req, Resp]) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drainLocked()
}

// Close refuses new requests, forms batches of the waiting ones at once and
// waits until every batch has been answered. When ctx ends first it
// cancels the runs' context, waits for them all the same, and returns an
// error wrapping ctx's. Calling Close again waits the same way.
func (c *Coalescer[Req, Resp]) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	if c.drained == nil {
		c.drained = make(chan struct{})
	}
	drained := c.drained
	c.drainLocked()
	c.checkDrainedLocked()
	c.mu.Unlock()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		c.cancel()
		<-drained
		return fmt.Errorf("coalesce: close: runs canceled: %w", ctx.Err())
	}
}

// Stats reports the levels.
func (c *Coalescer[Req, Resp]) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Pending: c.pending, InFlight: c.inFlight, Lanes: len(c.lanes)}
}

func (c *Coalescer[Req, Resp]) drainLocked() {
	for _, l := range c.lanes {
		if l.due == "" {
			l.due = ReasonDrain
		}
	}
	c.dispatchLocked()
}

func (c *Coalescer[Req, Resp]) levelsLocked() {
	c.opts.Metrics.CoalesceLevels(c.opts.Name, c.pending, c.inFlight)
}

func (c *Coalescer[Req, Resp]) checkDrainedLocked() {
	if c.drained == nil || c.pending > 0 || c.inFlight > 0 {
		return
	}
	select {
	case <-c.drained:
	default:
		close(c.drained)
	}
}

// armLocked (re)starts l's window timer to fire after d.
func (c *Coalescer[Req, Resp]) armLocked(l *lane[Req, Resp], d time.Duration) {
	c.stopLocked(l)
	gen := l.gen
	l.timer = time.AfterFunc(d, func() { c.expire(l, gen) })
}

func (c *Coalescer[Req, Resp]) stopLocked(l *lane[Req, Resp]) {
	l.gen++
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}

// expire makes l due when its window timer gen fired and is still current.
func (c *Coalescer[Req, Resp]) expire(l *lane[Req, Resp], gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lanes[l.name] != l || l.gen != gen || l.due != "" || len(l.calls) == 0 {
		return
	}
	l.due = ReasonWindow
	c.dispatchLocked()
}

// withdrawLocked takes a waiting request out of its lane.
func (c *Coalescer[Req, Resp]) withdrawLocked(laneName string, cl *call[Req, Resp]) {
	l := c.lanes[laneName]
	if l == nil {
		return
	}
	for i, x := range l.calls {
		if x == cl {
			l.calls = slices.Delete(l.calls, i, i+1) // (clears the vacated slot)
			c.pending--
			break
		}
	}
	if len(l.calls) == 0 {
		c.stopLocked(l)
		delete(c.lanes, laneName)
	}
	c.levelsLocked()
	c.checkDrainedLocked()
}

// dispatchLocked starts batches of due lanes while slots are free, the
// lane whose oldest request is oldest first.
func (c *Coalescer[Req, Resp]) dispatchLocked() {
	for c.inFlight < c.opts.MaxInFlight {
		var next *lane[Req, Resp]
		for _, l := range c.lanes {
			if l.due != "" && (next == nil || l.calls[0].arrived.Before(next.calls[0].arrived)) {
				next = l
			}
		}
		if next == nil {
			return
		}
		reason := next.due
		calls := c.cutLocked(next)
		c.inFlight++
		c.opts.Metrics.CoalesceFlush(c.opts.Name, reason)
		c.levelsLocked()
		go c.runBatch(next.name, calls)
	}
}

// cutLocked takes l's next batch: its requests in order, up to MaxItems,
// skipping those that share a key with one already taken. It then decides
// when the rest is due.
func (c *Coalescer[Req, Resp]) cutLocked(l *lane[Req, Resp]) []*call[Req, Resp] {
	taken := make([]*call[Req, Resp], 0, min(len(l.calls), c.opts.MaxItems))
	var keys map[string]bool
	held := false
	rest := l.calls[:0]
	for _, cl := range l.calls {
		if len(taken) == c.opts.MaxItems {
			rest = append(rest, cl)
			continue
		}
		if shares(keys, cl.keys) {
			held = true
			rest = append(rest, cl)
			continue
		}
		if len(cl.keys) > 0 && keys == nil {
			keys = map[string]bool{}
		}
		for _, k := range cl.keys {
			keys[k] = true
		}
		cl.state = running
		taken = append(taken, cl)
	}
	clear(l.calls[len(rest):])
	l.calls = rest
	c.pending -= len(taken)
	l.due = ""
	switch {
	case len(l.calls) == 0:
		c.stopLocked(l)
		delete(c.lanes, l.name)
	case held:
		l.due = ReasonHeld
	case len(l.calls) >= c.opts.MaxItems:
		l.due = ReasonCount
	default:
		if wait := time.Until(l.calls[0].arrived.Add(c.opts.Window)); wait > 0 {
			c.armLocked(l, wait)
		} else {
			l.due = ReasonWindow
		}
	}
	return taken
}

func shares(keys map[string]bool, ks []string) bool {
	for _, k := range ks {
		if keys[k] {
			return true
		}
	}
	return false
}

// runBatch settles one batch on its own goroutine and frees its slot.
func (c *Coalescer[Req, Resp]) runBatch(laneName string, calls []*call[Req, Resp]) {
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.dispatchLocked()
		c.levelsLocked()
		c.checkDrainedLocked()
		c.mu.Unlock()
	}()
	c.settle(laneName, calls, c.opts.Runs)
}
