package selection_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
)

// itemErrors returns the items a BatchError names, as index -> sentinel.
func itemErrors(t *testing.T, err error) map[int]error {
	t.Helper()
	var be *selection.BatchError
	require.ErrorAs(t, err, &be)
	got := map[int]error{}
	for _, it := range be.Items {
		for _, sentinel := range []error{selection.ErrInsufficientFunds, selection.ErrTooFragmented,
			selection.ErrFundsLocked, selection.ErrInvalidAmount} {
			if errors.Is(it, sentinel) {
				got[it.Index] = sentinel
			}
		}
	}
	return got
}

func TestSelectBatch(t *testing.T) {
	t.Run("items of one account share one pass", func(t *testing.T) {
		s, _ := newSelector(newLedger(map[string][]selection.Output{"a": outs(100, 50)}), selection.Options{LockWait: time.Hour})
		b, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 40}, {"a", 90}})
		require.NoError(t, err)
		items := b.Items()
		require.Len(t, items, 2)
		require.Equal(t, []string{"b"}, items[0].IDs()) // 50 for 40
		require.Equal(t, []string{"a"}, items[1].IDs()) // 100 for 90
		require.Equal(t, 0, items[0].Free)
		require.Equal(t, 2, s.Locked())
		b.Release(false)
		b.Release(false)
		require.Zero(t, s.Locked())
	})

	t.Run("two items from a one-output account fail at once, naming the item", func(t *testing.T) {
		// Selected one by one, the second item would wait for the first
		// item's lock until LockWait; as a batch it fails at once.
		s, _ := newSelector(newLedger(map[string][]selection.Output{"a": outs(100)}), selection.Options{LockWait: time.Hour})
		_, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 30}, {"a", 40}})
		require.Equal(t, map[int]error{0: selection.ErrInsufficientFunds}, itemErrors(t, err))
		require.ErrorIs(t, err, selection.ErrInsufficientFunds)
		var ie *selection.ItemError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, "a", ie.Account)
		require.Equal(t, money.Amount(30), ie.Amount)
		require.Zero(t, s.Locked())
	})

	t.Run("every failing item is named", func(t *testing.T) {
		s, _ := newSelector(newLedger(map[string][]selection.Output{
			"a": outs(100), "b": outs(10, 10, 10), "c": outs(5),
		}), selection.Options{MaxInputs: 2, LockWait: time.Hour})
		_, err := s.SelectBatch(testCtx(t), "id", []selection.Want{
			{"a", 50}, {"b", 30}, {"c", 6}, {"a", 20}, {"b", 10},
		})
		require.Equal(t, map[int]error{
			1: selection.ErrTooFragmented,
			2: selection.ErrInsufficientFunds,
			3: selection.ErrInsufficientFunds,
		}, itemErrors(t, err))
		require.Zero(t, s.Locked())
	})

	t.Run("several accounts, one release", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"a": outs(100, 100), "b": outs(70)})
		s, _ := newSelector(src, selection.Options{})
		b, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 100}, {"b", 70}, {"a", 60}})
		require.NoError(t, err)
		var accounts []string
		for _, l := range b.Items() {
			accounts = append(accounts, l.Account())
		}
		require.Equal(t, []string{"a", "b", "a"}, accounts)
		require.Equal(t, 3, s.Locked())
		b.Release(true)
		require.Zero(t, s.Locked())
		// Spent: a lagging read does not offer them again.
		_, err = s.Select(testCtx(t), "id", "b", 1)
		require.ErrorIs(t, err, selection.ErrInsufficientFunds)
	})

	t.Run("each item's lease can be released on its own", func(t *testing.T) {
		s, _ := newSelector(newLedger(map[string][]selection.Output{"a": outs(100, 100)}), selection.Options{})
		b, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 100}, {"a", 100}})
		require.NoError(t, err)
		b.Items()[0].Release(false)
		require.Equal(t, 1, s.Locked())
		b.Release(false)
		require.Zero(t, s.Locked())
	})

	t.Run("holds nothing while it waits", func(t *testing.T) {
		s, clk := newSelector(newLedger(map[string][]selection.Output{"a": outs(100), "b": outs(50, 60)}),
			selection.Options{LockWait: time.Hour})
		ctx := testCtx(t)
		outside, err := s.Select(ctx, "id", "a", 100)
		require.NoError(t, err)
		got := goBatch(ctx, s, []selection.Want{{"b", 10}, {"a", 10}})
		clk.nextTimer(t)
		pending(t, got)
		require.Equal(t, 1, s.Locked(), "the waiting batch holds none of b's outputs")
		other, err := s.Select(ctx, "id", "b", 10)
		require.NoError(t, err)
		other.Release(false) // b is not what the batch waits for
		pending(t, got)
		outside.Release(false)
		r := recv(t, got)
		require.NoError(t, r.err)
		require.Equal(t, []string{"a"}, r.batch.Items()[0].IDs()) // b's 50, ID "a"
		require.Equal(t, []string{"a"}, r.batch.Items()[1].IDs())
		require.Equal(t, "b", r.batch.Items()[0].Account())
		require.Equal(t, "a", r.batch.Items()[1].Account())
	})

	t.Run("a timeout names the held-up items", func(t *testing.T) {
		s, clk := newSelector(newLedger(map[string][]selection.Output{"a": outs(100), "b": outs(50)}),
			selection.Options{LockWait: time.Second})
		ctx := testCtx(t)
		_, err := s.Select(ctx, "id", "a", 100)
		require.NoError(t, err)
		got := goBatch(ctx, s, []selection.Want{{"b", 10}, {"a", 10}, {"a", 20}})
		require.Equal(t, time.Second, clk.nextTimer(t))
		clk.Advance(time.Second)
		err = recv(t, got).err
		require.Equal(t, map[int]error{1: selection.ErrFundsLocked, 2: selection.ErrFundsLocked}, itemErrors(t, err))
		require.Equal(t, 1, s.Locked())
	})

	t.Run("crossing batches never deadlock", func(t *testing.T) {
		// Each account has one output; two payers take them in opposite
		// orders. A batch that held one account while waiting for the
		// other would deadlock until LockWait.
		s := selection.New(newLedger(map[string][]selection.Output{"a": outs(100), "b": outs(100)}),
			selection.Options{LockWait: watchdog, MaxLockWait: time.Hour})
		ctx := testCtx(t)
		const rounds = 200
		errs := make(chan error, 2*rounds)
		var wg sync.WaitGroup
		for _, order := range [][]selection.Want{{{"a", 50}, {"b", 50}}, {{"b", 50}, {"a", 50}}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					b, err := s.SelectBatch(ctx, "id", order)
					if err != nil {
						errs <- err
						return
					}
					b.Release(false)
				}
			}()
		}
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(watchdog):
			t.Fatal("crossing batches deadlocked")
		}
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Zero(t, s.Locked())
	})

	t.Run("many batches over shared accounts in every order", func(t *testing.T) {
		// Batches lock their accounts together; in any other order than a
		// fixed one, two of them could each hold an account the other
		// needs. Here each account has outputs for every payer, so no
		// batch ever waits for funds.
		const payers, rounds = 8, 300
		names := []string{"a", "b", "c", "d"}
		ledger := map[string][]selection.Output{}
		for _, n := range names {
			ledger[n] = outs(100, 100, 100, 100, 100, 100, 100, 100)
		}
		s := selection.New(newLedger(ledger), selection.Options{})
		ctx := testCtx(t)
		errs := make(chan error, payers)
		var wg sync.WaitGroup
		for p := range payers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					wants := make([]selection.Want, len(names))
					for i := range names {
						wants[i] = selection.Want{Account: names[(i+p+r)%len(names)], Amount: 100}
					}
					if p%2 == 1 {
						slices.Reverse(wants)
					}
					b, err := s.SelectBatch(ctx, "id", wants)
					if err != nil {
						errs <- err
						return
					}
					b.Release(false)
				}
			}()
		}
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(watchdog):
			t.Fatal("batches deadlocked")
		}
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Zero(t, s.Locked())
	})

	t.Run("spent outputs leave the cache at release", func(t *testing.T) {
		// The batch has read A when a lease on A is released as spent
		// while it reads B; it then picks from A's cache, which must not
		// offer the spent output (the ledger read still shows it).
		src := newGated(map[string][]selection.Output{"A": outs(100, 100), "B": outs(50)})
		s, _ := newSelector(src, selection.Options{})
		ctx := testCtx(t)
		first := goSelect(ctx, s, "A", 100)
		require.Equal(t, "A", next(t, src.started))
		src.letRead(t)
		l := recv(t, first).lease
		require.Equal(t, []string{"a"}, l.IDs())

		got := goBatch(ctx, s, []selection.Want{{"A", 100}, {"B", 10}})
		require.Equal(t, "B", next(t, src.started))
		l.Release(true)
		src.letRead(t)
		r := recv(t, got)
		require.NoError(t, r.err)
		require.Equal(t, []string{"b"}, r.batch.Items()[0].IDs())
	})

	t.Run("an account released since its read is read again before failing", func(t *testing.T) {
		src := newGated(map[string][]selection.Output{"A": outs(100), "B": outs(50)})
		s, _ := newSelector(src, selection.Options{})
		ctx := testCtx(t)
		first := goSelect(ctx, s, "A", 100)
		require.Equal(t, "A", next(t, src.started))
		src.letRead(t)
		l := recv(t, first).lease

		got := goBatch(ctx, s, []selection.Want{{"A", 50}, {"B", 10}})
		require.Equal(t, "B", next(t, src.started))
		// The payment commits while the batch reads B: a is gone, change c
		// is new. A's cache is empty now, but stale.
		src.spend("A", l.IDs(), selection.Output{ID: "c", Amount: 100})
		l.Release(true)
		src.letRead(t)
		require.Equal(t, "A", next(t, src.started))
		src.letRead(t)
		r := recv(t, got)
		require.NoError(t, r.err)
		require.Equal(t, []string{"c"}, r.batch.Items()[0].IDs())
		require.Equal(t, 2, src.readsOf("A"))
		require.Equal(t, 1, src.readsOf("B"))
	})

	t.Run("invalid amounts are named", func(t *testing.T) {
		s, _ := newSelector(newLedger(nil), selection.Options{})
		_, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 10}, {"a", 0}, {"b", -5}})
		require.Equal(t, map[int]error{1: selection.ErrInvalidAmount, 2: selection.ErrInvalidAmount}, itemErrors(t, err))
	})

	t.Run("at most MaxBatchItems items", func(t *testing.T) {
		s, _ := newSelector(newLedger(map[string][]selection.Output{"a": outs(1, 1, 1)}), selection.Options{MaxBatchItems: 2})
		_, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 1}, {"a", 1}, {"a", 1}})
		require.ErrorIs(t, err, selection.ErrBatchTooLarge)
		b, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 1}, {"a", 1}})
		require.NoError(t, err)
		require.Len(t, b.Items(), 2)
	})

	t.Run("an empty batch", func(t *testing.T) {
		s, _ := newSelector(newLedger(nil), selection.Options{})
		b, err := s.SelectBatch(testCtx(t), "id", nil)
		require.NoError(t, err)
		require.Empty(t, b.Items())
		b.Release(true)
	})

	t.Run("a source error", func(t *testing.T) {
		src := newLedger(nil)
		src.err = errors.New("peer down")
		s, _ := newSelector(src, selection.Options{})
		_, err := s.SelectBatch(testCtx(t), "id", []selection.Want{{"a", 1}})
		require.ErrorIs(t, err, src.err)
	})
}

func TestWithBatch(t *testing.T) {
	ctx := context.Background()
	t.Run("releases everything on panic", func(t *testing.T) {
		s := selection.New(newLedger(map[string][]selection.Output{"a": outs(100), "b": outs(100)}), selection.Options{})
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = s.WithBatch(ctx, "id", []selection.Want{{"a", 1}, {"b", 1}}, func(*selection.BatchLease) error {
				panic(fmt.Sprint("boom"))
			})
		}()
		require.Equal(t, "boom", recovered)
		require.Zero(t, s.Locked())
		_, err := s.SelectBatch(ctx, "id", []selection.Want{{"a", 1}, {"b", 1}})
		require.NoError(t, err, "released unspent")
	})

	t.Run("releases as spent when fn succeeds", func(t *testing.T) {
		s := selection.New(newLedger(map[string][]selection.Output{"a": outs(100)}), selection.Options{})
		require.NoError(t, s.WithBatch(ctx, "id", []selection.Want{{"a", 1}}, func(b *selection.BatchLease) error {
			require.Equal(t, 1, s.Locked())
			return nil
		}))
		require.Zero(t, s.Locked())
		_, err := s.Select(ctx, "id", "a", 1)
		require.ErrorIs(t, err, selection.ErrInsufficientFunds)
	})

	t.Run("releases unspent when fn fails", func(t *testing.T) {
		s := selection.New(newLedger(map[string][]selection.Output{"a": outs(100)}), selection.Options{})
		boom := errors.New("submit failed")
		require.ErrorIs(t, s.WithBatch(ctx, "id", []selection.Want{{"a", 1}}, func(*selection.BatchLease) error { return boom }), boom)
		require.Zero(t, s.Locked())
		_, err := s.Select(ctx, "id", "a", 1)
		require.NoError(t, err)
	})
}
