package selection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/selection"
)

func TestAccountTable(t *testing.T) {
	ctx := context.Background()
	// touch selects from an account and settles the lease with its own
	// inputs as change: the account stays cached, fresh and idle. Whether
	// it was read tells whether it was still tracked.
	touch := func(t *testing.T, s *selection.Selector, acct string) {
		t.Helper()
		l, err := s.Select(ctx, "id", acct, 1)
		require.NoError(t, err)
		change := make([]selection.Output, len(l.Inputs))
		for i, o := range l.Inputs {
			change[i] = selection.Output{ID: o.ID + "-change", Amount: o.Amount}
		}
		l.Settle(change)
	}

	t.Run("evicts the least recently used idle account", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"A": outs(5), "B": outs(5), "C": outs(5)})
		s := selection.New(src, selection.Options{MaxAccounts: 2})
		touch(t, s, "A")
		touch(t, s, "B")
		touch(t, s, "A") // cached; now more recent than B
		require.Equal(t, 1, src.readsOf("A"))
		touch(t, s, "C") // evicts B
		require.Equal(t, 2, s.Accounts())
		touch(t, s, "A")
		require.Equal(t, 1, src.readsOf("A"), "A stayed tracked")
		touch(t, s, "B")
		require.Equal(t, 2, src.readsOf("B"), "B was evicted and is read again")
		require.Equal(t, 2, s.Accounts())
	})

	t.Run("never evicts an account with a lease", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"A": outs(100), "B": outs(5), "C": outs(5), "D": outs(5)})
		s := selection.New(src, selection.Options{MaxAccounts: 2})
		l, err := s.Select(ctx, "id", "A", 100)
		require.NoError(t, err)
		for _, acct := range []string{"B", "C", "D"} {
			touch(t, s, acct)
		}
		// Had A been evicted, its lock would be lost and a would be
		// offered again.
		_, err = s.Select(ctx, "id", "A", 100)
		require.ErrorIs(t, err, selection.ErrFundsLocked)
		require.Equal(t, 1, src.readsOf("A"))
		l.Release(false)
		require.Zero(t, s.Locked())
	})

	t.Run("fails at once when every tracked account is busy", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"A": outs(100), "B": outs(100)})
		s := selection.New(src, selection.Options{MaxAccounts: 1, LockWait: time.Hour})
		l, err := s.Select(ctx, "id", "A", 100)
		require.NoError(t, err)
		_, err = s.Select(ctx, "id", "B", 100)
		require.ErrorIs(t, err, selection.ErrTooManyAccounts)
		_, err = s.SelectBatch(ctx, "id", []selection.Want{{"B", 1}})
		require.ErrorIs(t, err, selection.ErrTooManyAccounts)
		_, err = s.Consolidate(ctx, "id", "B", 2)
		require.ErrorIs(t, err, selection.ErrTooManyAccounts)
		require.Equal(t, 1, s.Accounts())
		l.Release(false)
		l, err = s.Select(ctx, "id", "B", 100)
		require.NoError(t, err)
		require.Equal(t, "B", l.Account())
	})

	t.Run("a call in progress pins its account", func(t *testing.T) {
		src := newGated(map[string][]selection.Output{"A": outs(100), "B": outs(100)})
		s := selection.New(src, selection.Options{MaxAccounts: 1})
		got := goSelect(testCtx(t), s, "A", 100)
		require.Equal(t, "A", next(t, src.started))
		other := goSelect(testCtx(t), s, "B", 100)
		select {
		case r := <-other:
			require.ErrorIs(t, r.err, selection.ErrTooManyAccounts)
		case acct := <-src.started:
			t.Fatalf("account %s read beyond MaxAccounts while A's call is in progress", acct)
		case <-time.After(watchdog):
			t.Fatal("B's selection never returned")
		}
		close(src.gate)
		require.NoError(t, recv(t, got).err)
	})

	t.Run("a batch needing more accounts than the limit", func(t *testing.T) {
		src := newLedger(map[string][]selection.Output{"A": outs(1), "B": outs(1), "C": outs(1)})
		s := selection.New(src, selection.Options{MaxAccounts: 2})
		_, err := s.SelectBatch(ctx, "id", []selection.Want{{"A", 1}, {"B", 1}, {"C", 1}})
		require.ErrorIs(t, err, selection.ErrTooManyAccounts)
		// Nothing stays pinned: two of them can still be selected.
		b, err := s.SelectBatch(ctx, "id", []selection.Want{{"C", 1}, {"B", 1}})
		require.NoError(t, err)
		b.Release(false)
	})

	t.Run("stays within the limit under churn", func(t *testing.T) {
		src := newLedger(nil)
		s := selection.New(src, selection.Options{MaxAccounts: 8})
		for i := range 1000 {
			acct := fmt.Sprint("acc", i%100)
			src.mu.Lock()
			src.outs[acct] = outs(100)
			src.mu.Unlock()
			l, err := s.Select(ctx, "id", acct, 10)
			require.NoError(t, err)
			require.LessOrEqual(t, s.Accounts(), 8)
			l.Release(i%2 == 0)
		}
		require.Zero(t, s.Locked())
	})
}

func TestSpentMemory(t *testing.T) {
	ctx := context.Background()
	t.Run("forgotten after SpentMemory", func(t *testing.T) {
		// The ledger lags for ever: it never drops a spent output.
		s, clk := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100)}), selection.Options{SpentMemory: time.Minute})
		l, err := s.Select(ctx, "id", "acc", 100)
		require.NoError(t, err)
		l.Release(true)
		clk.Advance(time.Minute)
		s.Invalidate("acc")
		_, err = s.Select(ctx, "id", "acc", 100)
		require.ErrorIs(t, err, selection.ErrInsufficientFunds, "remembered for SpentMemory")
		clk.Advance(time.Nanosecond)
		s.Invalidate("acc")
		l, err = s.Select(ctx, "id", "acc", 100)
		require.NoError(t, err, "forgotten after SpentMemory; the chaincode remains the authority")
		require.Equal(t, []string{"a"}, l.IDs())
	})

	t.Run("at most MaxSpent per account, the oldest forgotten first", func(t *testing.T) {
		s, clk := newSelector(newLedger(map[string][]selection.Output{"acc": outs(100, 100, 100)}), selection.Options{MaxSpent: 2})
		for _, want := range []string{"a", "b", "c"} {
			l, err := s.Select(ctx, "id", "acc", 100)
			require.NoError(t, err)
			require.Equal(t, []string{want}, l.IDs())
			l.Release(true)
			clk.Advance(time.Second)
		}
		l, err := s.Select(ctx, "id", "acc", 100)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, l.IDs(), "a was forgotten to make room for c")
		_, err = s.Select(ctx, "id", "acc", 100)
		require.ErrorIs(t, err, selection.ErrFundsLocked, "b and c are still remembered")
	})
}

func TestOptions(t *testing.T) {
	require.NoError(t, selection.Options{}.Validate())
	for _, tt := range []struct {
		field string
		opts  selection.Options
	}{
		{"LockWait", selection.Options{LockWait: -1}},
		{"MaxLockWait", selection.Options{MaxLockWait: -1}},
		{"MaxInputs", selection.Options{MaxInputs: -1}},
		{"SpentMemory", selection.Options{SpentMemory: -1}},
		{"MaxSpent", selection.Options{MaxSpent: -1}},
		{"MaxAccounts", selection.Options{MaxAccounts: -1}},
		{"MaxBatchItems", selection.Options{MaxBatchItems: -1}},
	} {
		t.Run(tt.field, func(t *testing.T) {
			require.Error(t, tt.opts.Validate())
			require.Panics(t, func() { selection.New(newLedger(nil), tt.opts) })
		})
	}
}
