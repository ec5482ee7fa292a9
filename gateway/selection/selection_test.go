package selection_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
)

func TestChoice(t *testing.T) {
	tests := []struct {
		name    string
		have    []selection.Output
		amount  money.Amount
		max     int
		want    []string
		wantErr error
	}{
		{"smallest covering output", outs(500, 120, 100, 90), 100, 50, []string{"c"}, nil},
		{"smallest covering output, ties by ID", outs(300, 200, 200), 150, 50, []string{"b"}, nil},
		{"largest first when none covers", outs(50, 70, 30, 60), 120, 50, []string{"b", "d"}, nil},
		{"exact total", outs(10, 20), 30, 50, []string{"b", "a"}, nil},
		{"exactly MaxInputs", outs(10, 10, 10), 30, 3, []string{"c", "b", "a"}, nil},
		{"insufficient", outs(10, 20), 31, 50, nil, selection.ErrInsufficientFunds},
		{"empty account", nil, 1, 50, nil, selection.ErrInsufficientFunds},
		{"too fragmented", outs(10, 10, 10, 10), 40, 3, nil, selection.ErrTooFragmented},
		{"zero amount", outs(10), 0, 50, nil, selection.ErrInvalidAmount},
		{"negative amount", outs(10), -1, 50, nil, selection.ErrInvalidAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := selection.New(newLedger(map[string][]selection.Output{"acc": tt.have}), selection.Options{MaxInputs: tt.max})
			l, err := s.Select(testCtx(t), "id", "acc", tt.amount)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Nil(t, l)
				require.Zero(t, s.Locked())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, l.IDs())
			require.GreaterOrEqual(t, l.Total, tt.amount)
			require.Equal(t, "acc", l.Account())
			require.Equal(t, len(tt.have)-len(tt.want), l.Free)
			require.Equal(t, len(tt.want), s.Locked())
		})
	}
}

// Many goroutines select from one account at once; the test goroutine
// checks that no output is ever held by two leases.
func TestConcurrentSelectionsNeverShareAnOutput(t *testing.T) {
	t.Run("leases held to the end", func(t *testing.T) {
		const n = 16
		have := make([]money.Amount, n)
		for i := range have {
			have[i] = 100
		}
		s := selection.New(newLedger(map[string][]selection.Output{"reserve": outs(have...)}), selection.Options{})
		ctx := testCtx(t)
		results := make(chan result, n)
		for range n {
			go func() {
				l, err := s.Select(ctx, "id", "reserve", 100)
				results <- result{lease: l, err: err}
			}()
		}
		seen := map[string]bool{}
		for range n {
			r := recv(t, results)
			require.NoError(t, r.err)
			for _, id := range r.lease.IDs() {
				require.False(t, seen[id], "output %s picked twice", id)
				seen[id] = true
			}
		}
		require.Len(t, seen, n)
		require.Equal(t, n, s.Locked())
	})

	t.Run("leases cycling", func(t *testing.T) {
		// 64 payers, 30 payments each, over 16 outputs; some payments need
		// two outputs, so payers wait for each other. Each payer reports a
		// lease to the test goroutine when it gets it and before it releases
		// it (waiting for the test's acknowledgement), so the test's set of
		// held outputs always contains every output really held.
		const payers, rounds = 64, 30
		have := make([]money.Amount, 16)
		for i := range have {
			have[i] = 100
		}
		s := selection.New(newLedger(map[string][]selection.Output{"reserve": outs(have...)}),
			selection.Options{LockWait: watchdog, MaxLockWait: time.Hour})
		ctx, cancel := context.WithCancel(testCtx(t))
		defer cancel()
		type event struct {
			payer   int
			ids     []string
			release bool
			err     error
			ack     chan struct{}
		}
		events := make(chan event)
		var wg sync.WaitGroup
		for p := range payers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				send := func(e event) bool {
					e.payer, e.ack = p, make(chan struct{})
					select {
					case events <- e:
					case <-ctx.Done():
						return false
					}
					select {
					case <-e.ack:
						return true
					case <-ctx.Done():
						return false
					}
				}
				for r := range rounds {
					amount := money.Amount(50 + 50*((p+r)%3)) // 50, 100 or 150
					l, err := s.Select(ctx, "id", "reserve", amount)
					if err != nil {
						send(event{err: err})
						return
					}
					if !send(event{ids: l.IDs()}) || !send(event{ids: l.IDs(), release: true}) {
						l.Release(false)
						return
					}
					l.Release(false)
				}
			}()
		}
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()

		held := map[string]int{} // output -> payer
		var problems []string
		leases := 0
	loop:
		for {
			select {
			case e := <-events:
				switch {
				case e.err != nil:
					problems = append(problems, fmt.Sprintf("payer %d: %v", e.payer, e.err))
				case e.release:
					for _, id := range e.ids {
						delete(held, id)
					}
				default:
					leases++
					for _, id := range e.ids {
						if other, ok := held[id]; ok {
							problems = append(problems, fmt.Sprintf("output %s held by payers %d and %d", id, other, e.payer))
						}
						held[id] = e.payer
					}
				}
				close(e.ack)
				if len(problems) > 0 {
					break loop
				}
			case <-finished:
				break loop
			case <-time.After(watchdog):
				problems = append(problems, "payers stopped making progress")
				break loop
			}
		}
		cancel()
		next(t, finished)
		require.Empty(t, problems)
		require.Equal(t, payers*rounds, leases)
		require.Zero(t, s.Locked())
	})
}

func TestWait(t *testing.T) {
	t.Run("waits for a release and then sees the change", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"acc": outs(100)})
		s, clk := newSelector(src, selection.Options{LockWait: time.Second})
		ctx := testCtx(t)
		first, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)

		got := goSelect(ctx, s, "acc", 30)
		require.Equal(t, time.Second, clk.nextTimer(t))
		pending(t, got)
		// The first payment commits: output a is spent, change c of 40 appears.
		src.spend("acc", first.IDs(), selection.Output{ID: "c", Amount: 40})
		first.Release(true)
		r := recv(t, got)
		require.NoError(t, r.err)
		require.Equal(t, []string{"c"}, r.lease.IDs())
	})

	t.Run("fails with ErrFundsLocked after LockWait without a release", func(t *testing.T) {
		s, clk := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{LockWait: time.Second})
		ctx := testCtx(t)
		_, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)
		got := goSelect(ctx, s, "acc", 10)
		require.Equal(t, time.Second, clk.nextTimer(t))
		clk.Advance(time.Second - time.Nanosecond)
		pending(t, got)
		clk.Advance(time.Nanosecond)
		r := recv(t, got)
		require.ErrorIs(t, r.err, selection.ErrFundsLocked)
		require.Equal(t, 1, s.Locked())
	})

	t.Run("fails at once with LockWait 0", func(t *testing.T) {
		s, _ := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{})
		_, err := s.Select(testCtx(t), "id", "acc", 60)
		require.NoError(t, err)
		_, err = s.Select(testCtx(t), "id", "acc", 10)
		require.ErrorIs(t, err, selection.ErrFundsLocked)
	})

	t.Run("missing funds fail at once even with locked ones", func(t *testing.T) {
		s, _ := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{LockWait: time.Hour})
		_, err := s.Select(testCtx(t), "id", "acc", 60)
		require.NoError(t, err)
		_, err = s.Select(testCtx(t), "id", "acc", 101)
		require.ErrorIs(t, err, selection.ErrInsufficientFunds)
	})

	// A waiter whose account keeps releasing outputs waits past LockWait
	// (the outputs are cycling), but not past MaxLockWait.
	t.Run("releases extend the wait within MaxLockWait", func(t *testing.T) {
		const lockWait, maxLockWait, cycle = 100 * time.Millisecond, 250 * time.Millisecond, 80 * time.Millisecond
		s, clk := newSelector(newLedger(map[string][]selection.Output{"r": outs(100, 100)}),
			selection.Options{LockWait: lockWait, MaxLockWait: maxLockWait})
		ctx := testCtx(t)
		held := make([]*selection.Lease, 2)
		for i := range held {
			l, err := s.Select(ctx, "id", "r", 100)
			require.NoError(t, err)
			held[i] = l
		}
		got := goSelect(ctx, s, "r", 150)
		waits := []time.Duration{clk.nextTimer(t)}
		// Every 80 ms one lease is released unspent and retaken at once by
		// another payer, so the waiter never finds 150 free; each release
		// starts its wait afresh, up to MaxLockWait.
		for i := range 3 {
			clk.Advance(cycle)
			pending(t, got)
			held[i%2].Release(false)
			l, err := s.Select(ctx, "id", "r", 100)
			require.NoError(t, err)
			held[i%2] = l
			waits = append(waits, clk.nextTimer(t))
		}
		clk.Advance(waits[3] - time.Nanosecond)
		pending(t, got)
		clk.Advance(time.Nanosecond)
		r := recv(t, got)
		require.ErrorIs(t, r.err, selection.ErrFundsLocked)
		require.Equal(t, []time.Duration{lockWait, lockWait, 90 * time.Millisecond, 10 * time.Millisecond}, waits)
		require.Equal(t, maxLockWait, clk.Now().Sub(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	})

	t.Run("cancelling the context ends a lock wait", func(t *testing.T) {
		s, clk := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{LockWait: time.Hour})
		_, err := s.Select(testCtx(t), "id", "acc", 60)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(testCtx(t))
		got := goSelect(ctx, s, "acc", 10)
		clk.nextTimer(t)
		cancel()
		require.ErrorIs(t, recv(t, got).err, context.Canceled)
		require.Equal(t, 1, s.Locked())
	})

	t.Run("cancelling the context ends a wait for another caller's read", func(t *testing.T) {
		src := newGated(map[string][]selection.Output{"acc": outs(100)})
		s, _ := newSelector(src, selection.Options{})
		joined := make(chan string, 1)
		selection.OnRefreshWait(s, func(acct string) { joined <- acct })
		reader := goSelect(testCtx(t), s, "acc", 10)
		next(t, src.started)
		ctx, cancel := context.WithCancel(testCtx(t))
		follower := goSelect(ctx, s, "acc", 10)
		require.Equal(t, "acc", next(t, joined))
		cancel()
		require.ErrorIs(t, recv(t, follower).err, context.Canceled)
		close(src.gate)
		require.NoError(t, recv(t, reader).err)
	})
}

func TestRelease(t *testing.T) {
	ctx := context.Background()
	t.Run("a failed payment frees its outputs; Release is idempotent", func(t *testing.T) {
		s := selection.New(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{})
		l, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)
		l.Release(false)
		l.Release(true) // no effect: the first call's outcome counts
		require.Zero(t, s.Locked())
		l2, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, l2.IDs())
		require.Equal(t, 1, s.Locked())
	})

	t.Run("the account is re-read after a release", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"acc": outs(100)})
		s := selection.New(src, selection.Options{})
		l, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)
		src.spend("acc", l.IDs(), selection.Output{ID: "change", Amount: 40})
		l.Release(false) // outcome unknown to the caller
		l2, err := s.Select(ctx, "id", "acc", 30)
		require.NoError(t, err)
		require.Equal(t, []string{"change"}, l2.IDs())
		require.Equal(t, 2, src.readsOf("acc"))
	})

	t.Run("spent outputs are not offered from a lagging read", func(t *testing.T) {
		s := selection.New(newLedger(map[string][]selection.Output{"acc": outs(100, 50)}), selection.Options{})
		l, err := s.Select(ctx, "id", "acc", 100)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, l.IDs())
		// The payment committed, but the peer read still shows output a.
		l.Release(true)
		_, err = s.Select(ctx, "id", "acc", 100)
		require.ErrorIs(t, err, selection.ErrInsufficientFunds, "a must not be offered again")
	})

	t.Run("Release on a nil lease does nothing", func(t *testing.T) {
		var l *selection.Lease
		l.Release(true)
		var b *selection.BatchLease
		b.Release(true)
	})
}

func TestWith(t *testing.T) {
	ctx := context.Background()
	// Each case runs With over a lagging ledger (it never removes spent
	// outputs), so a later selection tells how the lease was released.
	setup := func() *selection.Selector {
		return selection.New(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{})
	}

	t.Run("releases as spent when fn succeeds", func(t *testing.T) {
		s := setup()
		var inside int
		err := s.With(ctx, "id", "acc", 60, func(l *selection.Lease) error {
			inside = s.Locked()
			require.Equal(t, []string{"a"}, l.IDs())
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 1, inside)
		require.Zero(t, s.Locked())
		_, err = s.Select(ctx, "id", "acc", 60)
		require.ErrorIs(t, err, selection.ErrInsufficientFunds)
	})

	t.Run("releases unspent when fn fails", func(t *testing.T) {
		s := setup()
		boom := errors.New("submit failed")
		err := s.With(ctx, "id", "acc", 60, func(*selection.Lease) error { return boom })
		require.ErrorIs(t, err, boom)
		require.Zero(t, s.Locked())
		l, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, l.IDs())
	})

	t.Run("releases unspent on panic, and the panic goes on", func(t *testing.T) {
		s := setup()
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = s.With(ctx, "id", "acc", 60, func(*selection.Lease) error { panic("boom") })
		}()
		require.Equal(t, "boom", recovered)
		require.Zero(t, s.Locked())
		l, err := s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err, "a panic says nothing about the payment: not spent")
		require.Equal(t, []string{"a"}, l.IDs())
	})

	t.Run("fn may release with its own outcome", func(t *testing.T) {
		s := setup()
		err := s.With(ctx, "id", "acc", 60, func(l *selection.Lease) error {
			l.Release(false)
			return nil
		})
		require.NoError(t, err)
		_, err = s.Select(ctx, "id", "acc", 60)
		require.NoError(t, err)
	})

	t.Run("a selection error skips fn", func(t *testing.T) {
		s := setup()
		called := false
		err := s.With(ctx, "id", "acc", 101, func(*selection.Lease) error { called = true; return nil })
		require.ErrorIs(t, err, selection.ErrInsufficientFunds)
		require.False(t, called)
	})
}

func TestCachesUntilRelease(t *testing.T) {
	ctx := context.Background()
	src := newLedger(map[string][]selection.Output{"acc": outs(100, 100)})
	s := selection.New(src, selection.Options{})
	_, err := s.Select(ctx, "id", "acc", 100)
	require.NoError(t, err)
	_, err = s.Select(ctx, "id", "acc", 100)
	require.NoError(t, err)
	require.Equal(t, 1, src.readsOf("acc"))
	s.Invalidate("acc")
	_, err = s.Select(ctx, "id", "acc", 100)
	require.ErrorIs(t, err, selection.ErrFundsLocked)
	require.Equal(t, 2, src.readsOf("acc"))
	s.Invalidate("unknown") // not tracked: nothing to do
	require.Equal(t, 1, s.Accounts())
}

func TestSourceError(t *testing.T) {
	boom := errors.New("peer down")
	src := newLedger(nil)
	src.err = boom
	s := selection.New(src, selection.Options{})
	_, err := s.Select(context.Background(), "id", "acc", 1)
	require.ErrorIs(t, err, boom)
	require.Zero(t, s.Locked())
	// The next call reads again.
	_, err = s.Select(context.Background(), "id", "acc", 1)
	require.ErrorIs(t, err, boom)
	require.Equal(t, 2, src.readsOf("acc"))
}

func TestConsolidate(t *testing.T) {
	ctx := context.Background()
	s := selection.New(newLedger(map[string][]selection.Output{"acc": outs(500, 1, 3, 2)}), selection.Options{MaxInputs: 10})
	l, err := s.Consolidate(ctx, "id", "acc", 3)
	require.NoError(t, err)
	require.Equal(t, []string{"b", "d", "c"}, l.IDs())
	require.Equal(t, money.Amount(6), l.Total)
	require.Equal(t, 1, l.Free)
	_, err = s.Consolidate(ctx, "id", "acc", 3)
	require.ErrorIs(t, err, selection.ErrNothingToMerge)
	l.Release(false)
	require.Zero(t, s.Locked())
}

func TestRefresh(t *testing.T) {
	t.Run("concurrent selections share one read", func(t *testing.T) {
		src := newGated(map[string][]selection.Output{"r": outs(100, 100, 100, 100)})
		s, _ := newSelector(src, selection.Options{})
		joined := make(chan string, 4)
		selection.OnRefreshWait(s, func(acct string) { joined <- acct })
		ctx := testCtx(t)
		var got []<-chan result
		for range 4 {
			got = append(got, goSelect(ctx, s, "r", 50))
		}
		require.Equal(t, "r", next(t, src.started))
		for range 3 {
			next(t, joined) // the other three wait for that read
		}
		close(src.gate)
		seen := map[string]bool{}
		for _, ch := range got {
			r := recv(t, ch)
			require.NoError(t, r.err)
			require.Len(t, r.lease.Inputs, 1)
			require.False(t, seen[r.lease.IDs()[0]])
			seen[r.lease.IDs()[0]] = true
		}
		require.Equal(t, 1, src.readsOf("r"))
	})

	t.Run("a read that raced a release is repeated", func(t *testing.T) {
		src := newGated(map[string][]selection.Output{"r": outs(100)})
		s, _ := newSelector(src, selection.Options{})
		ctx := testCtx(t)
		first := goSelect(ctx, s, "r", 30)
		next(t, src.started)
		src.letRead(t)
		l := recv(t, first).lease
		require.Zero(t, l.Free)

		// A second payment reads the account (after an INPUT_SPENT, say)
		// and the read sees output a still unspent...
		s.Invalidate("r")
		second := goSelect(ctx, s, "r", 30)
		next(t, src.started)
		// ...meanwhile the first commits: a is gone, its change is new.
		src.spend("r", []string{"a"}, selection.Output{ID: "change", Amount: 70})
		l.Release(true)
		src.letRead(t) // the raced read returns: [a], a spent
		next(t, src.started)
		src.letRead(t) // the repeated read: [change]
		r := recv(t, second)
		require.NoError(t, r.err)
		require.Equal(t, []string{"change"}, r.lease.IDs())
		require.Equal(t, 3, src.readsOf("r"))
	})

	t.Run("at most three reads while reads keep racing", func(t *testing.T) {
		src := newGated(map[string][]selection.Output{"r": outs(100)})
		s, _ := newSelector(src, selection.Options{})
		got := goSelect(testCtx(t), s, "r", 30)
		for range 3 {
			next(t, src.started)
			s.Invalidate("r") // every read races an invalidation
			src.letRead(t)
		}
		r := recv(t, got)
		require.NoError(t, r.err, "the latest read is used")
		require.Equal(t, []string{"a"}, r.lease.IDs())
		require.Equal(t, 3, src.readsOf("r"))
	})
}

// TestExpectCountsIncomingChange: change a lease's payment said it creates
// counts in the Incoming of leases taken after it, until its Release, so
// that payments selected together refill a pool once, not once each.
func TestExpectCountsIncomingChange(t *testing.T) {
	ctx := context.Background()
	s := selection.New(newLedger(map[string][]selection.Output{"r": outs(100, 100, 100, 100)}), selection.Options{})
	first, err := s.Select(ctx, "id", "r", 10)
	require.NoError(t, err)
	require.Equal(t, 3, first.Free)
	require.Zero(t, first.Incoming)
	first.Expect(5)
	first.Expect(6) // replaces, does not add

	second, err := s.Select(ctx, "id", "r", 10)
	require.NoError(t, err)
	require.Equal(t, 2, second.Free)
	require.Equal(t, 6, second.Incoming)
	second.Expect(1)

	first.Release(true)
	first.Expect(9) // after Release: nothing
	third, err := s.Select(ctx, "id", "r", 10)
	require.NoError(t, err)
	require.Equal(t, 1, third.Incoming, "the first lease's change arrived (released), the second's is on its way")
	second.Release(false)
	third.Release(false)
	fourth, err := s.Select(ctx, "id", "r", 10)
	require.NoError(t, err)
	require.Zero(t, fourth.Incoming)
	fourth.Release(false)
}

// TestSettleKeepsTheCacheFresh: a payment settled with its change leaves
// the account's cache fresh (the next selection reads nothing and may spend
// the change); what others paid in meanwhile is read when the cache cannot
// cover a selection.
func TestSettleKeepsTheCacheFresh(t *testing.T) {
	ctx := context.Background()
	src := newLedger(map[string][]selection.Output{"p": outs(100)})
	s := selection.New(src, selection.Options{})
	l, err := s.Select(ctx, "id", "p", 30)
	require.NoError(t, err)
	require.Equal(t, 1, src.readsOf("p"))
	change := selection.Output{ID: "tx1.1", Amount: 70}
	src.spend("p", l.IDs(), change)
	l.Settle([]selection.Output{change})

	l2, err := s.Select(ctx, "id", "p", 50)
	require.NoError(t, err)
	require.Equal(t, []string{"tx1.1"}, l2.IDs(), "the settled change is selectable")
	require.Equal(t, 1, src.readsOf("p"), "no read after a settle")
	change2 := selection.Output{ID: "tx2.1", Amount: 20}
	src.spend("p", l2.IDs(), change2)
	l2.Settle([]selection.Output{change2})

	// Someone else pays 500 in: the cache (20) cannot cover 300, so the
	// selector reads the account before refusing.
	src.mu.Lock()
	src.outs["p"] = append(src.outs["p"], selection.Output{ID: "in.0", Amount: 500})
	src.mu.Unlock()
	l3, err := s.Select(ctx, "id", "p", 300)
	require.NoError(t, err)
	require.Equal(t, []string{"in.0"}, l3.IDs())
	require.Equal(t, 2, src.readsOf("p"))
	l3.Release(false)

	// Release(true) without the change still marks the account for a read.
	l4, err := s.Select(ctx, "id", "p", 10)
	require.NoError(t, err)
	l4.Release(true)
	_, err = s.Select(ctx, "id", "p", 10)
	require.NoError(t, err)
	require.Equal(t, 4, src.readsOf("p"))
}

// TestInsufficientIsReadAgain: a selection the cache cannot cover reads the
// account before refusing, so funds that arrived after the last read (or
// that a lagging peer did not show yet) are found by the next payment.
func TestInsufficientIsReadAgain(t *testing.T) {
	ctx := context.Background()
	src := newLedger(map[string][]selection.Output{"p": nil})
	s := selection.New(src, selection.Options{})
	_, err := s.Select(ctx, "id", "p", 10)
	require.ErrorIs(t, err, selection.ErrInsufficientFunds)
	src.mu.Lock()
	src.outs["p"] = outs(100)
	src.mu.Unlock()
	l, err := s.Select(ctx, "id", "p", 10)
	require.NoError(t, err, "the funding arrived after the first read")
	l.Release(false)
}
