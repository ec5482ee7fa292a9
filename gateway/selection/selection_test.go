package selection_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// ledgerStub is an in-memory account -> outputs table.
type ledgerStub struct {
	mu    sync.Mutex
	outs  map[string][]selection.Output
	reads atomic.Int32
	err   error
}

func (l *ledgerStub) Outputs(_ context.Context, _, acct string) ([]selection.Output, error) {
	l.reads.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	return append([]selection.Output(nil), l.outs[acct]...), nil
}

func (l *ledgerStub) spend(acct string, ids []string, change ...selection.Output) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keep []selection.Output
	for _, o := range l.outs[acct] {
		spent := false
		for _, id := range ids {
			spent = spent || o.ID == id
		}
		if !spent {
			keep = append(keep, o)
		}
	}
	l.outs[acct] = append(keep, change...)
}

func outs(amounts ...money.Amount) []selection.Output {
	var r []selection.Output
	for i, a := range amounts {
		r = append(r, selection.Output{ID: string(rune('a' + i)), Amount: a})
	}
	return r
}

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
		{"largest first when none covers", outs(50, 70, 30, 60), 120, 50, []string{"b", "d"}, nil},
		{"exact total", outs(10, 20), 30, 50, []string{"b", "a"}, nil},
		{"insufficient", outs(10, 20), 31, 50, nil, selection.ErrInsufficientFunds},
		{"empty account", nil, 1, 50, nil, selection.ErrInsufficientFunds},
		{"too fragmented", outs(10, 10, 10, 10), 40, 3, nil, selection.ErrTooFragmented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &ledgerStub{outs: map[string][]selection.Output{"acc": tt.have}}
			s := selection.New(src, selection.Options{MaxInputs: tt.max})
			l, err := s.Select(context.Background(), "id", "acc", tt.amount)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Equal(t, 0, s.Locked())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, l.IDs())
			require.GreaterOrEqual(t, l.Total, tt.amount)
		})
	}
}

func TestConcurrentPaymentsNeverShareAnOutput(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"reserve": outs(100, 100, 100, 100, 100, 100, 100, 100)}}
	s := selection.New(src, selection.Options{LockWait: time.Second})
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := s.Select(context.Background(), "id", "reserve", 100)
			require.NoError(t, err)
			mu.Lock()
			for _, id := range l.IDs() {
				require.False(t, seen[id], "output %s picked twice", id)
				seen[id] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Len(t, seen, 8)
	require.Equal(t, 8, s.Locked())
}

func TestWaitsForLockedFunds(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"acc": outs(100)}}
	s := selection.New(src, selection.Options{LockWait: 2 * time.Second})
	first, err := s.Select(context.Background(), "id", "acc", 60)
	require.NoError(t, err)

	got := make(chan *selection.Lease)
	go func() {
		l, err := s.Select(context.Background(), "id", "acc", 30)
		require.NoError(t, err)
		got <- l
	}()
	select {
	case <-got:
		t.Fatal("second payment must wait while the only output is locked")
	case <-time.After(50 * time.Millisecond):
	}
	// The first payment commits: output a is spent, change c of 40 appears.
	src.spend("acc", first.IDs(), selection.Output{ID: "c", Amount: 40})
	first.Release(true)
	select {
	case l := <-got:
		require.Equal(t, []string{"c"}, l.IDs(), "selection after commit sees the change output")
	case <-time.After(time.Second):
		t.Fatal("second payment never got the change output")
	}
}

func TestLockWaitTimesOut(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"acc": outs(100)}}
	s := selection.New(src, selection.Options{LockWait: 30 * time.Millisecond})
	_, err := s.Select(context.Background(), "id", "acc", 60)
	require.NoError(t, err)
	_, err = s.Select(context.Background(), "id", "acc", 10)
	require.ErrorIs(t, err, selection.ErrFundsLocked)
}

func TestFailedPaymentReleasesOutputs(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"acc": outs(100)}}
	s := selection.New(src, selection.Options{})
	l, err := s.Select(context.Background(), "id", "acc", 60)
	require.NoError(t, err)
	l.Release(false)
	l.Release(false) // idempotent
	l2, err := s.Select(context.Background(), "id", "acc", 60)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, l2.IDs())
}

func TestSpentOutputsNotOfferedFromStaleRead(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"acc": outs(100, 50)}}
	s := selection.New(src, selection.Options{})
	l, err := s.Select(context.Background(), "id", "acc", 100)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, l.IDs())
	// The payment committed, but this peer read still shows output a.
	l.Release(true)
	_, err = s.Select(context.Background(), "id", "acc", 100)
	require.ErrorIs(t, err, selection.ErrInsufficientFunds, "a must not be offered again")
}

func TestCachesUntilRelease(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"acc": outs(100, 100)}}
	s := selection.New(src, selection.Options{})
	_, err := s.Select(context.Background(), "id", "acc", 100)
	require.NoError(t, err)
	_, err = s.Select(context.Background(), "id", "acc", 100)
	require.NoError(t, err)
	require.Equal(t, int32(1), src.reads.Load())
	s.Invalidate("acc")
	_, err = s.Select(context.Background(), "id", "acc", 100)
	require.ErrorIs(t, err, selection.ErrFundsLocked)
	require.Equal(t, int32(2), src.reads.Load())
}

func TestSourceError(t *testing.T) {
	boom := errors.New("peer down")
	s := selection.New(&ledgerStub{err: boom}, selection.Options{})
	_, err := s.Select(context.Background(), "id", "acc", 1)
	require.ErrorIs(t, err, boom)
}

func TestConsolidate(t *testing.T) {
	src := &ledgerStub{outs: map[string][]selection.Output{"acc": outs(500, 1, 3, 2)}}
	s := selection.New(src, selection.Options{MaxInputs: 10})
	l, err := s.Consolidate(context.Background(), "id", "acc", 3)
	require.NoError(t, err)
	require.Equal(t, []string{"b", "d", "c"}, l.IDs())
	_, err = s.Consolidate(context.Background(), "id", "acc", 3)
	require.ErrorIs(t, err, selection.ErrNothingToMerge)
}

// gatedStub blocks each read until released, to order reads against releases.
type gatedStub struct {
	ledgerStub
	gate chan struct{}
}

func (g *gatedStub) Outputs(ctx context.Context, id, acct string) ([]selection.Output, error) {
	out, err := g.ledgerStub.Outputs(ctx, id, acct)
	<-g.gate
	return out, err
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	t.Run("concurrent selections share one read", func(t *testing.T) {
		src := &gatedStub{ledgerStub: ledgerStub{outs: map[string][]selection.Output{"r": outs(100, 100, 100, 100)}}, gate: make(chan struct{})}
		s := selection.New(src, selection.Options{LockWait: time.Second, MaxInputs: 5})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := s.Select(ctx, "id", "r", 50)
				require.NoError(t, err)
				require.Len(t, l.Inputs, 1)
			}()
		}
		time.Sleep(50 * time.Millisecond)
		close(src.gate)
		wg.Wait()
		require.Equal(t, int32(1), src.reads.Load())
	})
	t.Run("a read that raced a release does not hide the change", func(t *testing.T) {
		src := &gatedStub{ledgerStub: ledgerStub{outs: map[string][]selection.Output{"r": outs(100)}}, gate: make(chan struct{}, 10)}
		s := selection.New(src, selection.Options{LockWait: time.Second, MaxInputs: 5})
		src.gate <- struct{}{}
		l, err := s.Select(ctx, "id", "r", 30)
		require.NoError(t, err)
		require.Zero(t, l.Free)
		// A second payment starts a read (it sees the output still unspent)...
		got := make(chan *selection.Lease)
		go func() {
			l2, err := s.Select(ctx, "id", "r", 30)
			require.NoError(t, err)
			got <- l2
		}()
		time.Sleep(50 * time.Millisecond)
		// ...meanwhile the first commits: its input is gone, its change is new.
		src.spend("r", []string{"a"}, selection.Output{ID: "change", Amount: 70})
		l.Release(true)
		src.gate <- struct{}{} // the stale read returns
		src.gate <- struct{}{} // the re-read
		select {
		case l2 := <-got:
			require.Equal(t, []string{"change"}, l2.IDs())
		case <-time.After(2 * time.Second):
			t.Fatal("second payment never saw the change output")
		}
	})
}

// A waiter whose account keeps releasing outputs waits past LockWait (the
// outputs are cycling), but not past MaxLockWait.
func TestWaitExtendsWhileOutputsCycle(t *testing.T) {
	ctx := context.Background()
	src := &ledgerStub{outs: map[string][]selection.Output{"r": outs(100, 100)}}
	s := selection.New(src, selection.Options{LockWait: 100 * time.Millisecond, MaxLockWait: time.Second, MaxInputs: 5})
	a, err := s.Select(ctx, "id", "r", 100)
	require.NoError(t, err)
	b, err := s.Select(ctx, "id", "r", 100)
	require.NoError(t, err)
	// Every 60 ms one lease is released unspent and retaken at once by a
	// cycling payer, so the output never stays free for the waiter...
	stop := make(chan struct{})
	var cycled atomic.Int32
	go func() {
		held := []*selection.Lease{a, b}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(60 * time.Millisecond):
			}
			held[i%2].Release(false)
			if l, err := s.Select(ctx, "id", "r", 100); err == nil {
				held[i%2] = l
				cycled.Add(1)
			}
		}
	}()
	start := time.Now()
	_, err = s.Select(ctx, "id", "r", 150)
	close(stop)
	require.ErrorIs(t, err, selection.ErrFundsLocked)
	require.Greater(t, time.Since(start), 500*time.Millisecond, "waited beyond LockWait while releases came")
	require.Less(t, time.Since(start), 1500*time.Millisecond, "but not beyond MaxLockWait")
}
