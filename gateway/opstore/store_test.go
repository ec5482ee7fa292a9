package opstore_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/opstore"
)

// clock is a manual clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func open(t testing.TB, path string, o opstore.Options) *opstore.Store {
	t.Helper()
	s, err := opstore.Open(path, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "ops.db") }

func create(t testing.TB, s *opstore.Store, owner string) opstore.Record {
	t.Helper()
	r, err := s.Create(opstore.Spec{Owner: owner, Route: "POST /v1/payments"})
	require.NoError(t, err)
	return r
}

func commit(t testing.TB, s *opstore.Store, id string) {
	t.Helper()
	require.NoError(t, s.Finish(id, opstore.Outcome{Status: opstore.StatusCommitted, TxID: "tx-" + id, Result: json.RawMessage(`{"ok":true}`)}))
}

func stats(t testing.TB, s *opstore.Store) opstore.Stats {
	t.Helper()
	st, err := s.Stats()
	require.NoError(t, err)
	return st
}

func TestOptionsValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts opstore.Options
	}{
		{"negative MaxPending", opstore.Options{MaxPending: -1}},
		{"negative MaxFinished", opstore.Options{MaxFinished: -1}},
		{"negative MaxAge", opstore.Options{MaxAge: -time.Second}},
		{"negative MaxOutcomeBytes", opstore.Options{MaxOutcomeBytes: -1}},
		{"negative LockTimeout", opstore.Options{LockTimeout: -time.Second}},
		{"negative BatchDelay", opstore.Options{BatchDelay: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := opstore.Open(dbPath(t), tc.opts)
			require.ErrorIs(t, err, opstore.ErrInvalid)
		})
	}
	t.Run("zero values take the defaults", func(t *testing.T) {
		s := open(t, dbPath(t), opstore.Options{})
		r := create(t, s, "bank-a")
		require.Equal(t, opstore.StatusPending, r.Status)
	})
	t.Run("the file lock is exclusive", func(t *testing.T) {
		path := dbPath(t)
		open(t, path, opstore.Options{})
		_, err := opstore.Open(path, opstore.Options{LockTimeout: 20 * time.Millisecond})
		require.Error(t, err)
	})
}

func TestLifecycle(t *testing.T) {
	clk := newClock()
	s := open(t, dbPath(t), opstore.Options{Now: clk.Now, MaxOutcomeBytes: 32})

	r, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "POST /v1/payments", Key: "pay-1"})
	require.NoError(t, err)
	require.Len(t, r.ID, 32)
	require.Equal(t, opstore.StatusPending, r.Status)
	require.Equal(t, clk.Now(), r.Created)
	require.Equal(t, opstore.Stats{Pending: 1}, stats(t, s))

	t.Run("pending record reads back", func(t *testing.T) {
		got, err := s.Get(r.ID, "bank-a")
		require.NoError(t, err)
		require.Equal(t, r, got)
	})
	t.Run("outcome validation leaves it pending", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			o    opstore.Outcome
			want error
		}{
			{"status pending", opstore.Outcome{Status: opstore.StatusPending}, opstore.ErrInvalid},
			{"status interrupted", opstore.Outcome{Status: opstore.StatusInterrupted}, opstore.ErrInvalid},
			{"result not JSON", opstore.Outcome{Status: opstore.StatusCommitted, Result: json.RawMessage(`{`)}, opstore.ErrInvalid},
			{"error not JSON", opstore.Outcome{Status: opstore.StatusFailed, Error: json.RawMessage(`x`)}, opstore.ErrInvalid},
			{"tx ID too long", opstore.Outcome{Status: opstore.StatusCommitted, TxID: strings.Repeat("a", opstore.MaxFieldBytes+1)}, opstore.ErrInvalid},
			{"one byte over MaxOutcomeBytes", opstore.Outcome{Status: opstore.StatusCommitted, Result: json.RawMessage(`"` + strings.Repeat("a", 31) + `"`)}, opstore.ErrTooLarge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				require.ErrorIs(t, s.Finish(r.ID, tc.o), tc.want)
				got, err := s.Get(r.ID, "bank-a")
				require.NoError(t, err)
				require.Equal(t, opstore.StatusPending, got.Status)
			})
		}
	})
	t.Run("finish at exactly MaxOutcomeBytes", func(t *testing.T) {
		clk.Add(time.Second)
		res := json.RawMessage(`"` + strings.Repeat("a", 30) + `"`)
		require.Len(t, res, 32)
		require.NoError(t, s.Finish(r.ID, opstore.Outcome{Status: opstore.StatusCommitted, TxID: "tx1", Result: res}))
		got, err := s.Get(r.ID, "bank-a")
		require.NoError(t, err)
		require.Equal(t, opstore.StatusCommitted, got.Status)
		require.Equal(t, "tx1", got.TxID)
		require.Equal(t, "pay-1", got.Key)
		require.JSONEq(t, string(res), string(got.Result))
		require.Equal(t, r.Created, got.Created)
		require.Equal(t, clk.Now(), got.Updated)
		require.Equal(t, opstore.Stats{Finished: 1}, stats(t, s))
	})
	t.Run("finish twice", func(t *testing.T) {
		require.ErrorIs(t, s.Finish(r.ID, opstore.Outcome{Status: opstore.StatusFailed}), opstore.ErrNotPending)
		require.Equal(t, opstore.Stats{Finished: 1}, stats(t, s))
	})
	t.Run("finish unknown", func(t *testing.T) {
		require.ErrorIs(t, s.Finish(strings.Repeat("0", 32), opstore.Outcome{Status: opstore.StatusFailed}), opstore.ErrNotFound)
		require.ErrorIs(t, s.Finish("nope", opstore.Outcome{Status: opstore.StatusFailed}), opstore.ErrNotFound)
	})
	t.Run("failed outcome", func(t *testing.T) {
		f := create(t, s, "bank-a")
		require.NoError(t, s.Finish(f.ID, opstore.Outcome{Status: opstore.StatusFailed, Error: json.RawMessage(`{"code":"X"}`)}))
		got, err := s.Get(f.ID, "bank-a")
		require.NoError(t, err)
		require.Equal(t, opstore.StatusFailed, got.Status)
		require.JSONEq(t, `{"code":"X"}`, string(got.Error))
		require.Empty(t, got.Result)
	})
}

func TestCreateValidation(t *testing.T) {
	s := open(t, dbPath(t), opstore.Options{})
	long := strings.Repeat("x", opstore.MaxFieldBytes+1)
	at := strings.Repeat("x", opstore.MaxFieldBytes)
	for _, tc := range []struct {
		name string
		spec opstore.Spec
		want error
	}{
		{"no owner", opstore.Spec{Route: "r"}, opstore.ErrInvalid},
		{"no route", opstore.Spec{Owner: "o"}, opstore.ErrInvalid},
		{"owner over the limit", opstore.Spec{Owner: long, Route: "r"}, opstore.ErrInvalid},
		{"route over the limit", opstore.Spec{Owner: "o", Route: long}, opstore.ErrInvalid},
		{"key over the limit", opstore.Spec{Owner: "o", Route: "r", Key: long}, opstore.ErrInvalid},
		{"every field at the limit", opstore.Spec{Owner: at, Route: at, Key: at}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(tc.spec)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	require.Equal(t, 1, stats(t, s).Pending, "refused creates must not hold a pending slot")
}

func TestOwnerIsolation(t *testing.T) {
	s := open(t, dbPath(t), opstore.Options{})
	r := create(t, s, "bank-a")
	for _, tc := range []struct {
		name, id, owner string
	}{
		{"another owner", r.ID, "bank-b"},
		{"empty owner", r.ID, ""},
		{"unknown ID", strings.Repeat("f", 32), "bank-a"},
		{"malformed ID", "../" + r.ID, "bank-a"},
		{"empty ID", "", "bank-a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Get(tc.id, tc.owner)
			require.ErrorIs(t, err, opstore.ErrNotFound)
		})
	}
	t.Run("the owner", func(t *testing.T) {
		_, err := s.Get(r.ID, "bank-a")
		require.NoError(t, err)
	})
	t.Run("IDs are distinct", func(t *testing.T) {
		seen := map[string]bool{r.ID: true}
		for range 100 {
			id := create(t, s, "bank-a").ID
			require.False(t, seen[id])
			seen[id] = true
		}
	})
}

func TestRestart(t *testing.T) {
	path := dbPath(t)
	clk := newClock()
	s, err := opstore.Open(path, opstore.Options{Now: clk.Now})
	require.NoError(t, err)
	pending := create(t, s, "bank-a")
	done := create(t, s, "bank-a")
	commit(t, s, done.ID)
	failed := create(t, s, "bank-b")
	require.NoError(t, s.Finish(failed.ID, opstore.Outcome{Status: opstore.StatusFailed, Error: json.RawMessage(`{"code":"E"}`)}))
	wantDone, err := s.Get(done.ID, "bank-a")
	require.NoError(t, err)
	wantFailed, err := s.Get(failed.ID, "bank-b")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	clk.Add(time.Minute)
	s = open(t, path, opstore.Options{Now: clk.Now})

	t.Run("finished records survive unchanged", func(t *testing.T) {
		got, err := s.Get(done.ID, "bank-a")
		require.NoError(t, err)
		require.Equal(t, wantDone, got)
		got, err = s.Get(failed.ID, "bank-b")
		require.NoError(t, err)
		require.Equal(t, wantFailed, got)
	})
	t.Run("pending becomes interrupted", func(t *testing.T) {
		got, err := s.Get(pending.ID, "bank-a")
		require.NoError(t, err)
		require.Equal(t, opstore.StatusInterrupted, got.Status)
		require.True(t, got.Status.Finished())
		require.Equal(t, pending.Created, got.Created)
		require.Equal(t, clk.Now(), got.Updated)
		require.ErrorIs(t, s.Finish(pending.ID, opstore.Outcome{Status: opstore.StatusCommitted}), opstore.ErrNotPending)
	})
	t.Run("counts", func(t *testing.T) {
		require.Equal(t, opstore.Stats{Pending: 0, Finished: 3}, stats(t, s))
	})
	t.Run("owner isolation survives", func(t *testing.T) {
		_, err := s.Get(done.ID, "bank-b")
		require.ErrorIs(t, err, opstore.ErrNotFound)
	})
}

func TestRestartInterruptsManyPending(t *testing.T) {
	// More pending records than one recovery transaction handles.
	const n = 600
	path := dbPath(t)
	s, err := opstore.Open(path, opstore.Options{MaxPending: n, BatchDelay: time.Microsecond})
	require.NoError(t, err)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = create(t, s, "bank-a").ID
	}
	require.NoError(t, s.Close())

	s = open(t, path, opstore.Options{MaxPending: n})
	require.Equal(t, opstore.Stats{Pending: 0, Finished: n}, stats(t, s))
	for _, id := range ids {
		got, err := s.Get(id, "bank-a")
		require.NoError(t, err)
		require.Equal(t, opstore.StatusInterrupted, got.Status)
	}
}

func TestPendingLimit(t *testing.T) {
	path := dbPath(t)
	s, err := opstore.Open(path, opstore.Options{MaxPending: 3, MaxFinished: 1})
	require.NoError(t, err)
	var ids []string
	for range 3 {
		ids = append(ids, create(t, s, "bank-a").ID)
	}
	t.Run("one over the limit is refused", func(t *testing.T) {
		_, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "r"})
		require.ErrorIs(t, err, opstore.ErrTooManyPending)
		require.Equal(t, 3, stats(t, s).Pending)
	})
	t.Run("finishing frees a slot", func(t *testing.T) {
		commit(t, s, ids[0])
		ids = append(ids, create(t, s, "bank-a").ID)
		_, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "r"})
		require.ErrorIs(t, err, opstore.ErrTooManyPending)
	})
	t.Run("pending records are never evicted", func(t *testing.T) {
		// MaxFinished is 1: the pending ones stay while finished ones come
		// and go through the one free slot.
		commit(t, s, ids[1])
		for range 5 {
			commit(t, s, create(t, s, "bank-b").ID)
		}
		for _, id := range ids[2:] {
			got, err := s.Get(id, "bank-a")
			require.NoError(t, err)
			require.Equal(t, opstore.StatusPending, got.Status)
		}
		require.Equal(t, opstore.Stats{Pending: 2, Finished: 1}, stats(t, s))
	})
	t.Run("a restart frees every slot", func(t *testing.T) {
		require.NoError(t, s.Close())
		s = open(t, path, opstore.Options{MaxPending: 3, MaxFinished: 10})
		for range 3 {
			create(t, s, "bank-a")
		}
		_, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "r"})
		require.ErrorIs(t, err, opstore.ErrTooManyPending)
	})
}

func TestDiscard(t *testing.T) {
	s := open(t, dbPath(t), opstore.Options{MaxPending: 1})
	r := create(t, s, "bank-a")
	_, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "r"})
	require.ErrorIs(t, err, opstore.ErrTooManyPending)

	require.NoError(t, s.Discard(r.ID))
	t.Run("the record is gone and left nothing behind", func(t *testing.T) {
		_, err := s.Get(r.ID, "bank-a")
		require.ErrorIs(t, err, opstore.ErrNotFound)
		require.Equal(t, opstore.Stats{}, stats(t, s))
	})
	t.Run("the pending slot is free", func(t *testing.T) {
		done := create(t, s, "bank-a")
		commit(t, s, done.ID)
		require.ErrorIs(t, s.Discard(done.ID), opstore.ErrNotPending)
	})
	t.Run("twice or unknown", func(t *testing.T) {
		require.ErrorIs(t, s.Discard(r.ID), opstore.ErrNotFound)
		require.ErrorIs(t, s.Discard("x"), opstore.ErrNotFound)
	})
}

func TestEvictionOrder(t *testing.T) {
	clk := newClock()
	s := open(t, dbPath(t), opstore.Options{Now: clk.Now, MaxFinished: 3})
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = create(t, s, "bank-a").ID
	}
	// Finish in an order unlike creation: eviction follows finish time.
	order := []int{2, 0, 4, 1, 3}
	for _, i := range order {
		clk.Add(time.Second)
		commit(t, s, ids[i])
	}
	present := func(i int) bool {
		_, err := s.Get(ids[i], "bank-a")
		if err != nil {
			require.ErrorIs(t, err, opstore.ErrNotFound)
			return false
		}
		return true
	}
	for _, tc := range []struct {
		name string
		i    int
		want bool
	}{
		{"finished first: evicted", 2, false},
		{"finished second: evicted", 0, false},
		{"finished third: kept", 4, true},
		{"finished fourth: kept", 1, true},
		{"finished last: kept", 3, true},
		{"still pending: kept", 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, present(tc.i)) })
	}
	require.Equal(t, opstore.Stats{Pending: 1, Finished: 3}, stats(t, s))
}

func TestMaxAge(t *testing.T) {
	clk := newClock()
	s := open(t, dbPath(t), opstore.Options{Now: clk.Now, MaxAge: time.Hour})
	old := create(t, s, "bank-a")
	commit(t, s, old.ID)
	pending := create(t, s, "bank-a")
	clk.Add(30 * time.Minute)
	young := create(t, s, "bank-a")
	commit(t, s, young.ID)

	t.Run("at exactly MaxAge the record is kept", func(t *testing.T) {
		clk.Add(30 * time.Minute)
		_, err := s.Get(old.ID, "bank-a")
		require.NoError(t, err)
	})
	t.Run("past MaxAge Get hides it before any sweep", func(t *testing.T) {
		clk.Add(time.Nanosecond)
		_, err := s.Get(old.ID, "bank-a")
		require.ErrorIs(t, err, opstore.ErrNotFound)
		require.Equal(t, 2, stats(t, s).Finished, "not yet swept")
	})
	t.Run("the next write sweeps it", func(t *testing.T) {
		create(t, s, "bank-b")
		require.Equal(t, 1, stats(t, s).Finished)
		_, err := s.Get(young.ID, "bank-a")
		require.NoError(t, err)
	})
	t.Run("pending records do not age out", func(t *testing.T) {
		clk.Add(24 * time.Hour)
		create(t, s, "bank-b")
		got, err := s.Get(pending.ID, "bank-a")
		require.NoError(t, err)
		require.Equal(t, opstore.StatusPending, got.Status)
		require.Equal(t, 0, stats(t, s).Finished)
	})
}

func TestReopenWithSmallerBounds(t *testing.T) {
	// More surplus than one sweep transaction removes.
	const n, keep = 600, 10
	path := dbPath(t)
	clk := newClock()
	s, err := opstore.Open(path, opstore.Options{Now: clk.Now, BatchDelay: time.Microsecond})
	require.NoError(t, err)
	ids := make([]string, n)
	for i := range ids {
		clk.Add(time.Second)
		ids[i] = create(t, s, "bank-a").ID
		commit(t, s, ids[i])
	}
	require.NoError(t, s.Close())

	s = open(t, path, opstore.Options{Now: clk.Now, MaxFinished: keep})
	require.Equal(t, keep, stats(t, s).Finished)
	for i, id := range ids {
		_, err := s.Get(id, "bank-a")
		if i < n-keep {
			require.ErrorIs(t, err, opstore.ErrNotFound, "record %d", i)
		} else {
			require.NoError(t, err, "record %d", i)
		}
	}
}

func TestConcurrent(t *testing.T) {
	const workers, each = 8, 50
	s := open(t, dbPath(t), opstore.Options{MaxPending: workers * each})
	errs := make(chan error, workers*each)
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("bank-%d", w)
			for range each {
				r, err := s.Create(opstore.Spec{Owner: owner, Route: "r"})
				if err != nil {
					errs <- err
					continue
				}
				if err := s.Finish(r.ID, opstore.Outcome{Status: opstore.StatusCommitted, Result: json.RawMessage(`1`)}); err != nil {
					errs <- err
				}
				ids <- owner + " " + r.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		require.NoError(t, err)
	}
	n := 0
	for v := range ids {
		owner, id, _ := strings.Cut(v, " ")
		got, err := s.Get(id, owner)
		require.NoError(t, err)
		require.Equal(t, opstore.StatusCommitted, got.Status)
		n++
	}
	require.Equal(t, workers*each, n)
	require.Equal(t, opstore.Stats{Finished: workers * each}, stats(t, s))
}

func TestClosed(t *testing.T) {
	s, err := opstore.Open(dbPath(t), opstore.Options{})
	require.NoError(t, err)
	r := create(t, s, "bank-a")
	require.NoError(t, s.Close())
	_, err = s.Create(opstore.Spec{Owner: "bank-a", Route: "r"})
	require.ErrorIs(t, err, opstore.ErrClosed)
	require.ErrorIs(t, s.Finish(r.ID, opstore.Outcome{Status: opstore.StatusCommitted}), opstore.ErrClosed)
	_, err = s.Get(r.ID, "bank-a")
	require.ErrorIs(t, err, opstore.ErrClosed)
	_, err = s.Stats()
	require.ErrorIs(t, err, opstore.ErrClosed)
}
