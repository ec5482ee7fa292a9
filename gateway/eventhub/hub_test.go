package eventhub_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// bound is how long a test waits for something that should happen at once;
// reaching it is a failure, never a synchronisation.
const bound = 5 * time.Second

// conn is one upstream call the hub made.
type conn struct {
	start *uint64
	ctx   context.Context
	// ch is unbuffered: a send returns once the hub has taken the event.
	ch chan ledger.Event
	// err is what the call returned instead, if anything.
	err error
}

// fakeUpstream records each call on conns; a queued failure makes the next
// call fail.
type fakeUpstream struct {
	conns    chan *conn
	failures chan error
}

func newUpstream() *fakeUpstream {
	return &fakeUpstream{conns: make(chan *conn, 64), failures: make(chan error, 8)}
}

func (f *fakeUpstream) open(ctx context.Context, start *uint64) (<-chan ledger.Event, error) {
	c := &conn{ctx: ctx, ch: make(chan ledger.Event)}
	if start != nil {
		b := *start
		c.start = &b
	}
	select {
	case c.err = <-f.failures:
	default:
	}
	f.conns <- c
	if c.err != nil {
		return nil, c.err
	}
	return c.ch, nil
}

// next returns the hub's next upstream call.
func (f *fakeUpstream) next(t *testing.T) *conn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(bound):
		t.Fatal("timed out waiting for an upstream call")
		return nil
	}
}

// none asserts that the hub made no further upstream call so far.
func (f *fakeUpstream) none(t *testing.T) {
	t.Helper()
	require.Len(t, f.conns, 0, "unexpected upstream call")
}

func (c *conn) send(t *testing.T, evs ...ledger.Event) {
	t.Helper()
	for _, ev := range evs {
		select {
		case c.ch <- ev:
		case <-time.After(bound):
			t.Fatalf("timed out sending %v: the hub is not reading", ev)
		}
	}
}

func (c *conn) waitStopped(t *testing.T) {
	t.Helper()
	select {
	case <-c.ctx.Done():
	case <-time.After(bound):
		t.Fatal("timed out waiting for the upstream to be stopped")
	}
}

func ev(block uint64, tx string) ledger.Event {
	return ledger.Event{BlockNumber: block, TxID: tx, Name: "yrd", Payload: []byte(`{"tx":"` + tx + `"}`)}
}

func pos(block uint64, index int) eventhub.Position {
	return eventhub.Position{Block: block, Index: index}
}

func u64(v uint64) *uint64 { return &v }

func newHub(t *testing.T, f *fakeUpstream, o eventhub.Options) *eventhub.Hub {
	t.Helper()
	if o.BackoffMin == 0 {
		o.BackoffMin, o.BackoffMax = time.Millisecond, 2*time.Millisecond
	}
	h, err := eventhub.New(f.open, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func subscribe(t *testing.T, h *eventhub.Hub, o eventhub.SubscribeOptions) *eventhub.Subscription {
	t.Helper()
	s, err := h.Subscribe(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// take receives n events and returns their positions ("block:index").
func take(t *testing.T, s *eventhub.Subscription, n int) []string {
	t.Helper()
	var got []string
	for range n {
		select {
		case e, ok := <-s.Events():
			if !ok {
				t.Fatalf("subscription ended after %v: %v", got, s.Err())
			}
			got = append(got, e.Position().String())
		case <-time.After(bound):
			t.Fatalf("timed out after %v", got)
		}
	}
	return got
}

// drain receives until the subscription's channel closes and returns the
// positions received.
func drain(t *testing.T, s *eventhub.Subscription) []string {
	t.Helper()
	var got []string
	for {
		select {
		case e, ok := <-s.Events():
			if !ok {
				return got
			}
			got = append(got, e.Position().String())
		case <-time.After(bound):
			t.Fatalf("timed out waiting for the subscription to end, after %v", got)
		}
	}
}

func TestValidation(t *testing.T) {
	t.Run("nil upstream", func(t *testing.T) {
		_, err := eventhub.New(nil, eventhub.Options{})
		require.ErrorIs(t, err, eventhub.ErrInvalid)
	})
	for _, tc := range []struct {
		name string
		o    eventhub.Options
	}{
		{"negative MaxSubscribers", eventhub.Options{MaxSubscribers: -1}},
		{"negative BufferEvents", eventhub.Options{BufferEvents: -1}},
		{"negative SubscriberBuffer", eventhub.Options{SubscriberBuffer: -1}},
		{"negative BackoffMin", eventhub.Options{BackoffMin: -1}},
		{"BackoffMax below BackoffMin", eventhub.Options{BackoffMin: time.Second, BackoffMax: time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eventhub.New(newUpstream().open, tc.o)
			require.ErrorIs(t, err, eventhub.ErrInvalid)
		})
	}
	h := newHub(t, newUpstream(), eventhub.Options{})
	for _, tc := range []struct {
		name string
		o    eventhub.SubscribeOptions
	}{
		{"From and After", eventhub.SubscribeOptions{From: u64(1), After: &eventhub.Position{Block: 1}}},
		{"negative index", eventhub.SubscribeOptions{After: &eventhub.Position{Block: 1, Index: -1}}},
		{"index with no successor", eventhub.SubscribeOptions{After: &eventhub.Position{Block: 1, Index: math.MaxInt}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.Subscribe(context.Background(), tc.o)
			require.ErrorIs(t, err, eventhub.ErrInvalid)
		})
	}
	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := h.Subscribe(ctx, eventhub.SubscribeOptions{})
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, h.Stats().Subscribers)
	})
}

func TestFanOut(t *testing.T) {
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{})
	t.Run("idle until the first subscriber", func(t *testing.T) {
		f.none(t)
		require.False(t, h.Stats().Running)
	})
	const n = 20
	subs := make([]*eventhub.Subscription, n)
	for i := range subs {
		subs[i] = subscribe(t, h, eventhub.SubscribeOptions{})
	}
	c := f.next(t)
	require.Nil(t, c.start, "live subscribers start the stream live")
	c.send(t, ev(1, "a"), ev(1, "b"), ev(2, "c"), ev(3, "d"), ev(3, "e"), ev(3, "f"))
	want := []string{"1:0", "1:1", "2:0", "3:0", "3:1", "3:2"}
	for i, s := range subs {
		require.Equal(t, want, take(t, s, len(want)), "subscriber %d", i)
	}
	t.Run("one upstream for all", func(t *testing.T) {
		f.none(t)
		st := h.Stats()
		require.EqualValues(t, 1, st.Connects)
		require.Equal(t, n, st.Subscribers)
		require.Equal(t, len(want), st.Buffered)
	})
}

func TestSlowSubscriberDropped(t *testing.T) {
	const ring = 4
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{BufferEvents: ring, SubscriberBuffer: 1})
	slow := subscribe(t, h, eventhub.SubscribeOptions{}) // never reads until dropped
	fast := subscribe(t, h, eventhub.SubscribeOptions{})
	c := f.next(t)

	t.Run("a whole buffer behind is still kept", func(t *testing.T) {
		for i := range ring {
			c.send(t, ev(uint64(i+1), fmt.Sprint(i)))
			take(t, fast, 1)
		}
		require.NoError(t, slow.Err())
		require.Equal(t, 2, h.Stats().Subscribers)
	})
	t.Run("beyond it the slow one is dropped, the fast one continues", func(t *testing.T) {
		// The slow one holds at most 1 event in its channel and 1 in hand,
		// so by the 3rd eviction its next event has left the ring.
		for i := ring; i < ring+3; i++ {
			c.send(t, ev(uint64(i+1), fmt.Sprint(i)))
			take(t, fast, 1)
		}
		require.ErrorIs(t, slow.Err(), eventhub.ErrSlowSubscriber)
		got := drain(t, slow)
		require.LessOrEqual(t, len(got), 2)
		for i, p := range got {
			require.Equal(t, []string{"1:0", "2:0"}[i], p, "a prefix, in order")
		}
		for i := ring + 3; i < ring+10; i++ {
			c.send(t, ev(uint64(i+1), fmt.Sprint(i)))
			require.Equal(t, []string{fmt.Sprintf("%d:0", i+1)}, take(t, fast, 1))
		}
		require.NoError(t, fast.Err())
		st := h.Stats()
		require.EqualValues(t, 1, st.Dropped)
		require.Equal(t, 1, st.Subscribers)
	})
}

func TestResume(t *testing.T) {
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{BufferEvents: 8})
	probe := subscribe(t, h, eventhub.SubscribeOptions{})
	c := f.next(t)
	c.send(t, ev(10, "a"), ev(10, "b"), ev(11, "c"), ev(12, "d"), ev(12, "e"))
	take(t, probe, 5) // all five are buffered

	cases := []struct {
		name string
		o    eventhub.SubscribeOptions
		want []string
	}{
		{"after an event mid-block", eventhub.SubscribeOptions{After: &eventhub.Position{Block: 10, Index: 1}}, []string{"11:0", "12:0", "12:1", "13:0", "20:0"}},
		{"after the first event", eventhub.SubscribeOptions{After: &eventhub.Position{Block: 10, Index: 0}}, []string{"10:1", "11:0", "12:0", "12:1", "13:0", "20:0"}},
		{"from a block", eventhub.SubscribeOptions{From: u64(12)}, []string{"12:0", "12:1", "13:0", "20:0"}},
		{"from the oldest buffered block", eventhub.SubscribeOptions{From: u64(10)}, []string{"10:0", "10:1", "11:0", "12:0", "12:1", "13:0", "20:0"}},
		{"after the newest event", eventhub.SubscribeOptions{After: &eventhub.Position{Block: 12, Index: 1}}, []string{"13:0", "20:0"}},
		{"from a future block", eventhub.SubscribeOptions{From: u64(15)}, []string{"20:0"}},
		{"live", eventhub.SubscribeOptions{}, []string{"13:0", "20:0"}},
	}
	subs := make([]*eventhub.Subscription, len(cases))
	for i, tc := range cases {
		subs[i] = subscribe(t, h, tc.o)
	}
	c.send(t, ev(13, "f"), ev(20, "g"))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, take(t, subs[i], len(tc.want)))
		})
	}
	f.none(t)
}

func TestTooOld(t *testing.T) {
	t.Run("before the buffer", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{BufferEvents: 2})
		probe := subscribe(t, h, eventhub.SubscribeOptions{})
		c := f.next(t)
		// Block 1 has three events; the ring keeps 1:1 and 1:2.
		for _, e := range []ledger.Event{ev(1, "a"), ev(1, "b"), ev(1, "c")} {
			c.send(t, e)
			take(t, probe, 1) // keeps the probe within the ring
		}

		_, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{From: u64(1)})
		require.ErrorIs(t, err, eventhub.ErrTooOld)
		var old *eventhub.TooOldError
		require.ErrorAs(t, err, &old)
		require.Equal(t, pos(1, 0), old.Requested)
		require.True(t, old.OldestKnown)
		require.Equal(t, pos(1, 1), old.Oldest)

		// Resuming after the evicted event is exactly at the limit.
		s := subscribe(t, h, eventhub.SubscribeOptions{After: &eventhub.Position{Block: 1, Index: 0}})
		require.Equal(t, []string{"1:1", "1:2"}, take(t, s, 2))
	})
	t.Run("a live stream with no event yet", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{})
		subscribe(t, h, eventhub.SubscribeOptions{})
		f.next(t)
		_, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{From: u64(5)})
		var old *eventhub.TooOldError
		require.ErrorAs(t, err, &old)
		require.False(t, old.OldestKnown)
	})
	t.Run("an idle hub starts where the first subscriber asks", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{})
		s := subscribe(t, h, eventhub.SubscribeOptions{After: &eventhub.Position{Block: 3, Index: 0}})
		c := f.next(t)
		require.Equal(t, u64(3), c.start)
		c.send(t, ev(3, "a"), ev(3, "b"), ev(4, "c"))
		require.Equal(t, []string{"3:1", "4:0"}, take(t, s, 2))
		t.Run("and covers from that block", func(t *testing.T) {
			s := subscribe(t, h, eventhub.SubscribeOptions{From: u64(3)})
			require.Equal(t, []string{"3:0", "3:1", "4:0"}, take(t, s, 3))
			_, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{From: u64(2)})
			require.ErrorIs(t, err, eventhub.ErrTooOld)
		})
	})
}

func TestReconnect(t *testing.T) {
	errs := make(chan error, 16)
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{OnUpstreamError: func(err error) { errs <- err }})
	s := subscribe(t, h, eventhub.SubscribeOptions{})
	c1 := f.next(t)
	c1.send(t, ev(1, "1a"), ev(1, "1b"), ev(2, "2a"), ev(3, "3a"))
	require.Equal(t, []string{"1:0", "1:1", "2:0", "3:0"}, take(t, s, 4))

	// The stream breaks between two events of block 3, and the first
	// reconnect fails.
	refused := errors.New("peer unavailable")
	f.failures <- refused
	close(c1.ch)

	failed := f.next(t)
	require.ErrorIs(t, failed.err, refused)
	c2 := f.next(t)
	t.Run("resumes at the last block seen", func(t *testing.T) {
		require.Equal(t, u64(3), c2.start)
	})
	// The peer replays block 3 from its start.
	c2.send(t, ev(3, "3a"), ev(3, "3b"), ev(4, "4a"))
	t.Run("no duplicate, no gap", func(t *testing.T) {
		var got []string
		for range 2 {
			select {
			case e := <-s.Events():
				got = append(got, e.Position().String()+" "+e.TxID)
			case <-time.After(bound):
				t.Fatalf("timed out after %v", got)
			}
		}
		require.Equal(t, []string{"3:1 3b", "4:0 4a"}, got)
	})
	t.Run("the failures were reported", func(t *testing.T) {
		require.ErrorIs(t, recvErr(t, errs), eventhub.ErrUpstreamClosed)
		require.ErrorIs(t, recvErr(t, errs), refused)
		st := h.Stats()
		require.EqualValues(t, 2, st.Connects)
		require.EqualValues(t, 2, st.Failures)
		require.True(t, st.Connected)
	})
	t.Run("before any event it resumes at the asked block", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{})
		s := subscribe(t, h, eventhub.SubscribeOptions{From: u64(7)})
		close(f.next(t).ch)
		c := f.next(t)
		require.Equal(t, u64(7), c.start)
		c.send(t, ev(7, "a"))
		require.Equal(t, []string{"7:0"}, take(t, s, 1))
	})
}

func recvErr(t *testing.T, errs <-chan error) error {
	t.Helper()
	select {
	case err := <-errs:
		return err
	case <-time.After(bound):
		t.Fatal("timed out waiting for an upstream error report")
		return nil
	}
}

func TestCap(t *testing.T) {
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{MaxSubscribers: 2})
	a := subscribe(t, h, eventhub.SubscribeOptions{})
	subscribe(t, h, eventhub.SubscribeOptions{})
	_, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{})
	require.ErrorIs(t, err, eventhub.ErrTooManySubscribers)
	a.Close()
	subscribe(t, h, eventhub.SubscribeOptions{})
	_, err = h.Subscribe(context.Background(), eventhub.SubscribeOptions{})
	require.ErrorIs(t, err, eventhub.ErrTooManySubscribers)
}

func TestFilter(t *testing.T) {
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{})
	onlyB := subscribe(t, h, eventhub.SubscribeOptions{Filter: func(e eventhub.Event) bool { return e.TxID[0] == 'b' }})
	all := subscribe(t, h, eventhub.SubscribeOptions{})
	c := f.next(t)
	c.send(t, ev(1, "a1"), ev(1, "b1"), ev(2, "a2"), ev(2, "a3"), ev(2, "b2"))
	t.Run("positions count the filtered-out events", func(t *testing.T) {
		require.Equal(t, []string{"1:1", "2:2"}, take(t, onlyB, 2))
	})
	t.Run("other subscribers see everything", func(t *testing.T) {
		require.Equal(t, []string{"1:0", "1:1", "2:0", "2:1", "2:2"}, take(t, all, 5))
	})
}

func TestStopAndLinger(t *testing.T) {
	t.Run("stops at once when the last subscriber leaves", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{Linger: -1})
		a := subscribe(t, h, eventhub.SubscribeOptions{})
		b := subscribe(t, h, eventhub.SubscribeOptions{})
		c := f.next(t)
		c.send(t, ev(1, "a"))
		take(t, a, 1)
		a.Close()
		require.NoError(t, c.ctx.Err(), "one subscriber is left")
		b.Close()
		c.waitStopped(t)
		st := h.Stats()
		require.False(t, st.Running)
		require.Zero(t, st.Buffered, "an idle hub holds no buffer")
		t.Run("and starts afresh for the next", func(t *testing.T) {
			s := subscribe(t, h, eventhub.SubscribeOptions{})
			c := f.next(t)
			require.Nil(t, c.start)
			c.send(t, ev(9, "z"))
			require.Equal(t, []string{"9:0"}, take(t, s, 1))
		})
	})
	t.Run("a subscriber returning within the linger reuses the stream and its buffer", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{Linger: time.Hour})
		a := subscribe(t, h, eventhub.SubscribeOptions{})
		c := f.next(t)
		c.send(t, ev(1, "a"), ev(2, "b"))
		take(t, a, 2)
		a.Close()
		require.True(t, h.Stats().Running)
		b := subscribe(t, h, eventhub.SubscribeOptions{After: &eventhub.Position{Block: 1}})
		require.Equal(t, []string{"2:0"}, take(t, b, 1))
		f.none(t)
		require.NoError(t, c.ctx.Err())
	})
	t.Run("stops once the linger has passed", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{Linger: 10 * time.Millisecond})
		a := subscribe(t, h, eventhub.SubscribeOptions{})
		c := f.next(t)
		a.Close()
		c.waitStopped(t)
		require.False(t, h.Stats().Running)
	})
	t.Run("stops when the last subscriber is dropped", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{Linger: -1, BufferEvents: 1, SubscriberBuffer: 1})
		s := subscribe(t, h, eventhub.SubscribeOptions{})
		c := f.next(t)
		// Sending continues until the hub drops the subscriber and stops
		// reading (at most ring + channel + in hand + 1 events).
		for i := 0; c.ctx.Err() == nil && i < 4; i++ {
			select {
			case c.ch <- ev(uint64(i+1), "x"):
			case <-c.ctx.Done():
			}
		}
		c.waitStopped(t)
		require.ErrorIs(t, s.Err(), eventhub.ErrSlowSubscriber)
	})
}

func TestEndings(t *testing.T) {
	t.Run("context", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		s, err := h.Subscribe(ctx, eventhub.SubscribeOptions{})
		require.NoError(t, err)
		cancel()
		require.Empty(t, drain(t, s))
		require.ErrorIs(t, s.Err(), context.Canceled)
		require.Zero(t, h.Stats().Subscribers)
	})
	t.Run("Close", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{})
		s := subscribe(t, h, eventhub.SubscribeOptions{})
		s.Close()
		s.Close()
		require.Empty(t, drain(t, s))
		require.NoError(t, s.Err())
	})
	t.Run("hub Close", func(t *testing.T) {
		f := newUpstream()
		h := newHub(t, f, eventhub.Options{})
		s := subscribe(t, h, eventhub.SubscribeOptions{})
		c := f.next(t)
		require.NoError(t, h.Close())
		c.waitStopped(t)
		require.Empty(t, drain(t, s))
		require.ErrorIs(t, s.Err(), eventhub.ErrClosed)
		_, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{})
		require.ErrorIs(t, err, eventhub.ErrClosed)
	})
}

func TestConcurrentSubscribers(t *testing.T) {
	f := newUpstream()
	h := newHub(t, f, eventhub.Options{BufferEvents: 64})
	keep := subscribe(t, h, eventhub.SubscribeOptions{}) // keeps the stream up
	c := f.next(t)
	stop := make(chan struct{})
	problems := make(chan string, 100)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for round := 0; ; round++ {
				select {
				case <-stop:
					return
				default:
				}
				s, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{From: u64(1)})
				if err != nil && !errors.Is(err, eventhub.ErrTooOld) {
					problems <- fmt.Sprintf("g%d: %v", g, err)
					return
				}
				if err != nil {
					s, err = h.Subscribe(context.Background(), eventhub.SubscribeOptions{})
					if err != nil {
						problems <- fmt.Sprintf("g%d live: %v", g, err)
						return
					}
				}
				var last *eventhub.Position
				for range 5 {
					var e eventhub.Event
					var ok bool
					select {
					case e, ok = <-s.Events():
					case <-stop:
					}
					if !ok {
						break
					}
					p := e.Position()
					if last != nil && p.Compare(*last) <= 0 {
						problems <- fmt.Sprintf("g%d: %s after %s", g, p, last)
					}
					last = &p
				}
				s.Close()
			}
		})
	}
	for i := range 300 {
		c.send(t, ev(uint64(1+i/3), fmt.Sprint(i)))
		require.Equal(t, []string{fmt.Sprintf("%d:%d", 1+i/3, i%3)}, take(t, keep, 1))
	}
	close(stop)
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newUpstream()
	h, err := eventhub.New(f.open, eventhub.Options{BufferEvents: 2, SubscriberBuffer: 1, Linger: time.Hour,
		BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var subs []*eventhub.Subscription
	for range 10 {
		s, err := h.Subscribe(ctx, eventhub.SubscribeOptions{})
		require.NoError(t, err)
		subs = append(subs, s)
	}
	c := f.next(t)
	c.send(t, ev(1, "a"))
	subs[0].Close()
	cancel() // ends the rest through their context
	for _, s := range subs {
		drain(t, s)
	}
	close(c.ch) // a reconnect happens while lingering
	f.next(t)
	require.NoError(t, h.Close())
	deadline := time.Now().Add(bound)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
