package coalesce_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/gateway/coalesce"
	"github.com/yangtze-delta/settlement/gateway/metrics"
)

// recorder is a Run that answers 10 × each request, refuses negative
// requests on their own, and records every batch it was given. With
// gate set, each run first waits for a value on it; with fail set, a run
// for which it answers an error fails as a whole.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	lanes   []string
	entered chan []int // receives each batch as its run starts, if not nil
	gate    chan struct{}
	fail    func(batch []int, run int) error
}

func (r *recorder) run(ctx context.Context, lane string, reqs []int) ([]coalesce.Result[int], error) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(reqs))
	r.lanes = append(r.lanes, lane)
	n := len(r.batches)
	r.mu.Unlock()
	if r.entered != nil {
		r.entered <- slices.Clone(reqs)
	}
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if r.fail != nil {
		if err := r.fail(reqs, n); err != nil {
			return nil, err
		}
	}
	out := make([]coalesce.Result[int], len(reqs))
	for i, q := range reqs {
		if q < 0 {
			out[i].Err = refusal(q)
			continue
		}
		out[i].Value = 10 * q
	}
	return out, nil
}

func (r *recorder) got() [][]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

func sorted(b []int) []int { b = slices.Clone(b); slices.Sort(b); return b }

type refusal int

func (e refusal) Error() string { return "refused " + strconv.Itoa(int(e)) }

var errConflict = errors.New("conflict")

func isConflict(err error) bool { return errors.Is(err, errConflict) }

func newCoalescer(t testing.TB, r *recorder, o coalesce.Options) *coalesce.Coalescer[int, int] {
	t.Helper()
	if o.BackoffBase == 0 {
		o.BackoffBase, o.BackoffMax = time.Microsecond, time.Microsecond
	}
	c, err := coalesce.New(r.run, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

type answer struct {
	req, val int
	err      error
}

// doAll sends reqs concurrently on lane and returns the answers by request.
func doAll(c *coalesce.Coalescer[int, int], lane string, reqs []int) map[int]answer {
	ch := make(chan answer, len(reqs))
	for _, q := range reqs {
		go func() {
			v, err := c.Do(context.Background(), lane, nil, q)
			ch <- answer{q, v, err}
		}()
	}
	out := map[int]answer{}
	for range reqs {
		a := <-ch
		out[a.req] = a
	}
	return out
}

// waitPending polls until n requests wait.
func waitPending(t testing.TB, c *coalesce.Coalescer[int, int], n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().Pending != n {
		if time.Now().After(deadline) {
			t.Fatalf("pending %d, want %d", c.Stats().Pending, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// counter reads one series of a counter or histogram (count) from m.
func counter(t testing.TB, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, mt := range f.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metric
				}
			}
			if h := mt.GetHistogram(); h != nil {
				total += float64(h.GetSampleCount())
			} else {
				total += mt.GetCounter().GetValue()
			}
		}
	}
	return total
}

func TestLoneRequestFlushedByWindow(t *testing.T) {
	r := &recorder{}
	m := metrics.New()
	c := newCoalescer(t, r, coalesce.Options{Name: "t", Window: time.Millisecond, Metrics: m})
	v, err := c.Do(context.Background(), "a", nil, 7)
	if err != nil || v != 70 {
		t.Fatalf("Do: %d, %v", v, err)
	}
	if got := r.got(); len(got) != 1 || len(got[0]) != 1 {
		t.Fatalf("batches %v", got)
	}
	if n := counter(t, m, "yrd_gateway_coalesce_flushes_total", map[string]string{"reason": coalesce.ReasonWindow}); n != 1 {
		t.Fatalf("window flushes %v", n)
	}
}

func TestCountFormsOneBatchWithOwnAnswers(t *testing.T) {
	r := &recorder{}
	m := metrics.New()
	c := newCoalescer(t, r, coalesce.Options{Name: "t", Window: time.Hour, MaxItems: 6, Metrics: m})
	reqs := []int{1, 2, -3, 4, -5, 6}
	got := doAll(c, "a", reqs)
	for _, q := range reqs {
		a := got[q]
		switch {
		case q < 0 && (a.err == nil || !errors.Is(a.err, refusal(q))):
			t.Errorf("request %d: %v, want its own refusal", q, a.err)
		case q >= 0 && (a.err != nil || a.val != 10*q):
			t.Errorf("request %d: %d, %v", q, a.val, a.err)
		}
	}
	if b := r.got(); len(b) != 1 || len(b[0]) != len(reqs) {
		t.Fatalf("batches %v, want one of %d", b, len(reqs))
	}
	if n := counter(t, m, "yrd_gateway_coalesce_flushes_total", map[string]string{"reason": coalesce.ReasonCount}); n != 1 {
		t.Fatalf("count flushes %v", n)
	}
	if n := counter(t, m, "yrd_gateway_coalesce_batch_items", nil); n != 1 {
		t.Fatalf("batch size observations %v", n)
	}
}

func TestLanesNeverShareABatch(t *testing.T) {
	r := &recorder{}
	c := newCoalescer(t, r, coalesce.Options{Window: time.Hour, MaxItems: 3})
	var wg sync.WaitGroup
	for _, lane := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := 0
			if lane == "b" {
				base = 100
			}
			doAll(c, lane, []int{base + 1, base + 2, base + 3})
		}()
	}
	wg.Wait()
	for _, b := range r.got() {
		if len(b) != 3 || (b[0] < 100) != (b[2] < 100) || (b[0] < 100) != (b[1] < 100) {
			t.Fatalf("batch %v mixes lanes", b)
		}
	}
}

// TestSharedKeysHeldForNextBatch: of three requests, the second shares a
// key with the first: the first batch takes the first and third, and the
// second forms the next batch at once.
func TestSharedKeysHeldForNextBatch(t *testing.T) {
	r := &recorder{}
	m := metrics.New()
	c := newCoalescer(t, r, coalesce.Options{Window: time.Hour, MaxItems: 10, MaxInFlight: 1, Metrics: m})
	keys := [][]string{{"out-1", "out-2"}, {"out-2"}, {"out-3"}}
	ch := make(chan answer, 3)
	for i, k := range keys {
		go func() {
			v, err := c.Do(context.Background(), "a", k, i+1)
			ch <- answer{i + 1, v, err}
		}()
		waitPending(t, c, i+1) // arrival order is the batch order
	}
	c.Flush()
	for range keys {
		if a := <-ch; a.err != nil || a.val != 10*a.req {
			t.Fatalf("answer %+v", a)
		}
	}
	if b := r.got(); len(b) != 2 || !slices.Equal(b[0], []int{1, 3}) || !slices.Equal(b[1], []int{2}) {
		t.Fatalf("batches %v, want [1 3] then [2]", b)
	}
	if n := counter(t, m, "yrd_gateway_coalesce_flushes_total", map[string]string{"reason": coalesce.ReasonHeld}); n != 1 {
		t.Fatalf("held flushes %v", n)
	}
}

// TestRerunLeavesOutDepartedCallers: a batch failing as a whole with a
// re-runnable error runs again, without the request whose caller left
// during the first run.
func TestRerunLeavesOutDepartedCallers(t *testing.T) {
	entered := make(chan []int, 4)
	gate := make(chan struct{}, 4)
	r := &recorder{entered: entered, gate: gate, fail: func(_ []int, run int) error {
		if run == 1 {
			return errConflict
		}
		return nil
	}}
	m := metrics.New()
	c := newCoalescer(t, r, coalesce.Options{Name: "t", Window: time.Hour, MaxItems: 3, Rerun: isConflict, Metrics: m})
	ctx2, cancel2 := context.WithCancel(context.Background())
	ch := make(chan answer, 3)
	for _, q := range []int{1, 2, 3} {
		go func() {
			ctx := context.Background()
			if q == 2 {
				ctx = ctx2
			}
			v, err := c.Do(ctx, "a", nil, q)
			ch <- answer{q, v, err}
		}()
	}
	<-entered // the first run started
	cancel2()
	a2 := <-ch
	if a2.req != 2 || !errors.Is(a2.err, coalesce.ErrOutcomeUnknown) || !errors.Is(a2.err, context.Canceled) {
		t.Fatalf("departed caller: %+v", a2)
	}
	gate <- struct{}{} // the first run fails as a whole
	if b := <-entered; !slices.Equal(sorted(b), []int{1, 3}) {
		t.Fatalf("re-run of %v, want [1 3]", b)
	}
	gate <- struct{}{}
	for range 2 {
		if a := <-ch; a.err != nil || a.val != 10*a.req {
			t.Fatalf("answer %+v", a)
		}
	}
	if n := counter(t, m, "yrd_gateway_coalesce_reruns_total", map[string]string{"reason": "rerun"}); n != 1 {
		t.Fatalf("reruns %v", n)
	}
}

func TestRerunsBounded(t *testing.T) {
	r := &recorder{fail: func([]int, int) error { return errConflict }}
	c := newCoalescer(t, r, coalesce.Options{Window: time.Hour, MaxItems: 2, Runs: 3, Rerun: isConflict})
	for q, a := range doAll(c, "a", []int{1, 2}) {
		if !errors.Is(a.err, errConflict) {
			t.Fatalf("request %d: %v", q, a.err)
		}
	}
	if n := len(r.got()); n != 3 {
		t.Fatalf("%d runs, want 3", n)
	}
}

// TestSplitIsolatesTheFailingRequest: a batch that fails as a whole because
// of one request is run in halves until that request fails alone.
func TestSplitIsolatesTheFailingRequest(t *testing.T) {
	errPoison := errors.New("poisoned batch")
	r := &recorder{fail: func(b []int, _ int) error {
		if slices.Contains(b, 5) {
			return errPoison
		}
		return nil
	}}
	c := newCoalescer(t, r, coalesce.Options{Window: time.Hour, MaxItems: 8, Split: func(err error) bool { return errors.Is(err, errPoison) }})
	reqs := []int{1, 2, 3, 4, 5, 6, 7, 8}
	for q, a := range doAll(c, "a", reqs) {
		if q == 5 {
			if !errors.Is(a.err, errPoison) {
				t.Fatalf("request 5: %v", a.err)
			}
			continue
		}
		if a.err != nil || a.val != 10*q {
			t.Fatalf("request %d: %d, %v", q, a.val, a.err)
		}
	}
	// [1..8] fails; [1..4] passes; [5..8] fails; [5 6] fails; [7 8]
	// passes; [5] fails; [6] passes.
	if n := len(r.got()); n != 7 {
		t.Fatalf("%d runs: %v", n, r.got())
	}
}

// TestFullAtTheWaitingLimit: with one batch in flight and MaxPending
// requests waiting, the next request is refused at once; the others are
// answered once the batch returns.
func TestFullAtTheWaitingLimit(t *testing.T) {
	entered := make(chan []int, 4)
	gate := make(chan struct{})
	r := &recorder{entered: entered, gate: gate}
	m := metrics.New()
	c := newCoalescer(t, r, coalesce.Options{Name: "t", Window: time.Microsecond, MaxItems: 10, MaxPending: 2, MaxInFlight: 1, Metrics: m})
	ch := make(chan answer, 3)
	send := func(q int) {
		go func() {
			v, err := c.Do(context.Background(), "a", nil, q)
			ch <- answer{q, v, err}
		}()
	}
	send(1)
	<-entered // the one slot is busy
	send(2)
	send(3)
	waitPending(t, c, 2)
	if _, err := c.Do(context.Background(), "a", nil, 4); !errors.Is(err, coalesce.ErrFull) {
		t.Fatalf("over the limit: %v", err)
	}
	if n := counter(t, m, "yrd_gateway_coalesce_refused_total", nil); n != 1 {
		t.Fatalf("refused %v", n)
	}
	close(gate)
	if b := <-entered; len(b) != 2 {
		t.Fatalf("second batch %v: the waiting requests should have formed one batch", b)
	}
	for range 3 {
		if a := <-ch; a.err != nil || a.val != 10*a.req {
			t.Fatalf("answer %+v", a)
		}
	}
}

func TestWithdrawnBeforeItsBatch(t *testing.T) {
	r := &recorder{}
	c := newCoalescer(t, r, coalesce.Options{Window: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, "a", nil, 1)
		errc <- err
	}()
	waitPending(t, c, 1)
	cancel()
	if err := <-errc; !errors.Is(err, coalesce.ErrWithdrawn) || !errors.Is(err, context.Canceled) {
		t.Fatalf("withdrawn: %v", err)
	}
	if s := c.Stats(); s.Pending != 0 || s.Lanes != 0 {
		t.Fatalf("stats after withdrawal %+v", s)
	}
	c.Flush()
	if b := r.got(); len(b) != 0 {
		t.Fatalf("a withdrawn request ran: %v", b)
	}
}

func TestBrokenRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  coalesce.Run[int, int]
		want error
	}{
		{"panic", func(context.Context, string, []int) ([]coalesce.Result[int], error) { panic("boom") }, coalesce.ErrPanicked},
		{"short answer", func(context.Context, string, []int) ([]coalesce.Result[int], error) { return nil, nil }, coalesce.ErrBadAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := coalesce.New(tc.run, coalesce.Options{Window: time.Microsecond})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Do(context.Background(), "a", nil, 1); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err := c.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCloseDrainsThenRefuses(t *testing.T) {
	r := &recorder{}
	c, err := coalesce.New(r.run, coalesce.Options{Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan answer, 2)
	for _, q := range []int{1, 2} {
		go func() {
			v, err := c.Do(context.Background(), "a", nil, q)
			ch <- answer{q, v, err}
		}()
	}
	waitPending(t, c, 2)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if a := <-ch; a.err != nil || a.val != 10*a.req {
			t.Fatalf("answer %+v", a)
		}
	}
	if _, err := c.Do(context.Background(), "a", nil, 3); !errors.Is(err, coalesce.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// TestCloseCancelsRunsWhenItGivesUp: a run that would wait forever sees
// its context end when Close's does.
func TestCloseCancelsRunsWhenItGivesUp(t *testing.T) {
	entered := make(chan []int, 1)
	r := &recorder{entered: entered, gate: make(chan struct{})}
	c, err := coalesce.New(r.run, coalesce.Options{Window: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), "a", nil, 1)
		errc <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("close: %v", err)
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the run's caller got %v", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	r := &recorder{}
	for _, o := range []coalesce.Options{{Window: -1}, {MaxItems: -1}, {MaxPending: -1}, {MaxInFlight: -1}, {Runs: -1}, {BackoffMax: -1}} {
		if _, err := coalesce.New(r.run, o); !errors.Is(err, coalesce.ErrInvalid) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if _, err := coalesce.New[int, int](nil, coalesce.Options{}); !errors.Is(err, coalesce.ErrInvalid) {
		t.Errorf("nil run: %v", err)
	}
}

// TestConcurrentEveryRequestOnce: many callers on a few lanes with
// random keys and cancellations; every request that was answered was run
// exactly once per answer, in a batch of its own lane with no shared key.
func TestConcurrentEveryRequestOnce(t *testing.T) {
	var mu sync.Mutex
	ran := map[int]int{}
	keysOf := func(q int) []string { return []string{"k" + strconv.Itoa(q%7), "u" + strconv.Itoa(q)} }
	run := func(ctx context.Context, lane string, reqs []int) ([]coalesce.Result[int], error) {
		seen := map[string]bool{}
		mu.Lock()
		defer mu.Unlock()
		out := make([]coalesce.Result[int], len(reqs))
		for i, q := range reqs {
			if lane != "l"+strconv.Itoa(q%3) {
				return nil, fmt.Errorf("request %d in lane %s", q, lane)
			}
			for _, k := range keysOf(q) {
				if seen[k] {
					return nil, fmt.Errorf("key %s twice in one batch", k)
				}
				seen[k] = true
			}
			ran[q]++
			out[i].Value = q
		}
		return out, nil
	}
	c, err := coalesce.New(run, coalesce.Options{Window: 50 * time.Microsecond, MaxItems: 16, MaxInFlight: 3, MaxPending: 100000})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	type res struct {
		q   int
		v   int
		err error
	}
	ch := make(chan res, n)
	for q := range n {
		go func() {
			ctx := context.Background()
			if rand.N(10) == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(rand.N(200))*time.Microsecond)
				defer cancel()
			}
			v, err := c.Do(ctx, "l"+strconv.Itoa(q%3), keysOf(q), q)
			ch <- res{q, v, err}
		}()
	}
	answered := 0
	for range n {
		r := <-ch
		switch {
		case r.err == nil:
			answered++
			if r.v != r.q {
				t.Fatalf("request %d got %d", r.q, r.v)
			}
		case errors.Is(r.err, coalesce.ErrWithdrawn), errors.Is(r.err, coalesce.ErrOutcomeUnknown):
		default:
			t.Fatalf("request %d: %v", r.q, r.err)
		}
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for q, k := range ran {
		if k != 1 {
			t.Fatalf("request %d ran %d times", q, k)
		}
	}
	if len(ran) < answered {
		t.Fatalf("%d answered, %d ran", answered, len(ran))
	}
	if s := c.Stats(); s != (coalesce.Stats{}) {
		t.Fatalf("stats after close %+v", s)
	}
}
