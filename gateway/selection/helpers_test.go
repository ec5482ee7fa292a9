package selection_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
)

// watchdog bounds every wait of a test on the code under test: a test that
// would hang fails after it instead of at the package timeout. It is a
// failure deadline, never a synchronisation.
const watchdog = 10 * time.Second

// testCtx is a context that ends with the test or after the watchdog.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	t.Cleanup(cancel)
	return ctx
}

// ledgerStub is an in-memory account -> outputs table; it counts reads per
// account.
type ledgerStub struct {
	mu    sync.Mutex
	outs  map[string][]selection.Output
	reads map[string]int
	err   error
}

func newLedger(accounts map[string][]selection.Output) *ledgerStub {
	if accounts == nil {
		accounts = map[string][]selection.Output{}
	}
	return &ledgerStub{outs: accounts, reads: map[string]int{}}
}

func (l *ledgerStub) Outputs(_ context.Context, _, acct string) ([]selection.Output, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads[acct]++
	if l.err != nil {
		return nil, l.err
	}
	return slices.Clone(l.outs[acct]), nil
}

func (l *ledgerStub) readsOf(acct string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads[acct]
}

// spend is the chaincode committing a payment: the inputs go, the change
// outputs appear.
func (l *ledgerStub) spend(acct string, ids []string, change ...selection.Output) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outs[acct] = slices.DeleteFunc(l.outs[acct], func(o selection.Output) bool { return slices.Contains(ids, o.ID) })
	l.outs[acct] = append(l.outs[acct], change...)
}

// gatedStub blocks each read, after taking its snapshot, until the test
// lets it return; started receives the account of each read as it starts.
type gatedStub struct {
	*ledgerStub
	started chan string
	gate    chan struct{}
}

func newGated(accounts map[string][]selection.Output) *gatedStub {
	return &gatedStub{ledgerStub: newLedger(accounts), started: make(chan string, 100), gate: make(chan struct{})}
}

func (g *gatedStub) Outputs(ctx context.Context, id, acct string) ([]selection.Output, error) {
	out, err := g.ledgerStub.Outputs(ctx, id, acct)
	g.started <- acct
	select {
	case <-g.gate:
		return out, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// outs names outputs a, b, c, ... in order.
func outs(amounts ...money.Amount) []selection.Output {
	var r []selection.Output
	for i, a := range amounts {
		r = append(r, selection.Output{ID: string(rune('a' + i)), Amount: a})
	}
	return r
}

// fakeClock is a manual clock: time moves only on Advance, and each timer
// created is announced on timers (its duration), which tells a test that a
// caller has started to wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	active []*fakeTimer
	timers chan time.Duration
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), timers: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.active = append(c.active, t)
	c.fire()
	c.mu.Unlock()
	c.timers <- d
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := len(c.active)
		c.active = slices.DeleteFunc(c.active, func(x *fakeTimer) bool { return x == t })
		return len(c.active) < n
	}
}

// Advance moves time on and fires the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fire()
}

func (c *fakeClock) fire() {
	c.active = slices.DeleteFunc(c.active, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.c <- c.now
		return true
	})
}

// nextTimer returns the duration of the next timer created: a caller has
// started waiting for a release.
func (c *fakeClock) nextTimer(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.timers:
		return d
	case <-time.After(watchdog):
		t.Fatal("no caller started waiting")
		return 0
	}
}

// result is the outcome of a selection run in another goroutine.
type result struct {
	lease *selection.Lease
	batch *selection.BatchLease
	err   error
}

func goSelect(ctx context.Context, s *selection.Selector, acct string, amount money.Amount) <-chan result {
	ch := make(chan result, 1)
	go func() {
		l, err := s.Select(ctx, "id", acct, amount)
		ch <- result{lease: l, err: err}
	}()
	return ch
}

func goBatch(ctx context.Context, s *selection.Selector, wants []selection.Want) <-chan result {
	ch := make(chan result, 1)
	go func() {
		b, err := s.SelectBatch(ctx, "id", wants)
		ch <- result{batch: b, err: err}
	}()
	return ch
}

// recv returns the selection's result, failing the test after the watchdog.
func recv(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(watchdog):
		t.Fatal("selection never returned")
		return result{}
	}
}

// pending fails the test if the selection has already returned.
func pending(t *testing.T, ch <-chan result) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("selection returned while it should wait: lease %v, err %v", r.lease, r.err)
	default:
	}
}

// newSelector builds a Selector on a fake clock.
func newSelector(src selection.Source, opts selection.Options) (*selection.Selector, *fakeClock) {
	s := selection.New(src, opts)
	c := newClock()
	selection.SetClock(s, c)
	return s, c
}

// idsOf lists the lease's inputs, for messages.
func idsOf(l *selection.Lease) string {
	if l == nil {
		return "<nil>"
	}
	return fmt.Sprint(l.IDs())
}

// next receives from ch, failing the test after the watchdog.
func next[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		t.Fatal("nothing received")
		var zero T
		return zero
	}
}

// letRead lets one gated read return, failing the test if no read is
// waiting within the watchdog.
func (g *gatedStub) letRead(t *testing.T) {
	t.Helper()
	select {
	case g.gate <- struct{}{}:
	case <-time.After(watchdog):
		t.Fatal("no read to let return")
	}
}
