package selection

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/money"
)

// Output is one unspent output of an account.
type Output struct {
	ID     string
	Amount money.Amount
}

// Source reads an account's unspent outputs from the ledger. It is called
// without any lock held, at most once at a time per account.
type Source interface {
	Outputs(ctx context.Context, identity, account string) ([]Output, error)
}

// Defaults applied by [New] to zero fields of [Options].
const (
	DefaultMaxInputs     = 50
	DefaultSpentMemory   = time.Minute
	DefaultMaxSpent      = 1024
	DefaultMaxAccounts   = 4096
	DefaultMaxBatchItems = 500
	// maxReads bounds the ledger reads of one account in one attempt when
	// reads keep racing releases; the attempt then uses the latest read.
	maxReads = 3
)

// Options configures a Selector. Zero values take the defaults given; New
// panics, naming the field, on a negative value (see [Options.Validate]).
type Options struct {
	// LockWait bounds how long Select waits for locked outputs without
	// progress: each release of one of the account's leases starts the wait
	// afresh (outputs are cycling), within MaxLockWait in total. 0: fail at
	// once with ErrFundsLocked.
	LockWait time.Duration
	// MaxLockWait bounds the whole wait (default, and when below LockWait,
	// 10 × LockWait).
	MaxLockWait time.Duration
	// MaxInputs caps the outputs one lease holds (default 50).
	MaxInputs int
	// SpentMemory is how long outputs released as spent are filtered from
	// ledger reads of their account (default 1 min).
	SpentMemory time.Duration
	// MaxSpent caps the spent outputs remembered per account (default
	// 1024); at the cap the oldest is forgotten early.
	MaxSpent int
	// MaxAccounts caps the accounts tracked (default 4096). A new account
	// evicts the least recently used idle one; when none is idle the call
	// fails with ErrTooManyAccounts.
	MaxAccounts int
	// MaxBatchItems caps the items of one SelectBatch (default 500, the
	// gateway's batch limit); more: ErrBatchTooLarge.
	MaxBatchItems int
	// Metrics, if not nil, receives the locked-output gauge and lock-wait
	// outcomes.
	Metrics *metrics.Metrics
}

// Validate reports the first negative field.
func (o Options) Validate() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"LockWait", o.LockWait < 0},
		{"MaxLockWait", o.MaxLockWait < 0},
		{"MaxInputs", o.MaxInputs < 0},
		{"SpentMemory", o.SpentMemory < 0},
		{"MaxSpent", o.MaxSpent < 0},
		{"MaxAccounts", o.MaxAccounts < 0},
		{"MaxBatchItems", o.MaxBatchItems < 0},
	} {
		if f.neg {
			return fmt.Errorf("selection: Options.%s is negative", f.name)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.MaxInputs == 0 {
		o.MaxInputs = DefaultMaxInputs
	}
	if o.SpentMemory == 0 {
		o.SpentMemory = DefaultSpentMemory
	}
	if o.MaxSpent == 0 {
		o.MaxSpent = DefaultMaxSpent
	}
	if o.MaxAccounts == 0 {
		o.MaxAccounts = DefaultMaxAccounts
	}
	if o.MaxBatchItems == 0 {
		o.MaxBatchItems = DefaultMaxBatchItems
	}
	if o.MaxLockWait < o.LockWait || o.MaxLockWait == 0 {
		o.MaxLockWait = 10 * o.LockWait
	}
	return o
}

// Selector hands out leases on outputs. See the package documentation for
// its rules and bounds.
type Selector struct {
	src   Source
	opts  Options
	clock clock
	// onRefreshWait, if set (tests), is called when a caller starts waiting
	// for another caller's read of the same account.
	onRefreshWait func(account string)

	// mu guards the account table only: accounts, idle, and each account's
	// refs and idleAt. It is never held while an account's mutex is taken.
	mu       sync.Mutex
	accounts map[string]*account
	idle     *list.List // of *account with refs == 0, most recently used first

	locked atomic.Int64 // outputs locked, all accounts
	// gaugeMu orders the locked-output gauge's updates, so that its last
	// value is the count's last value.
	gaugeMu sync.Mutex
}

// addLocked adjusts the count of locked outputs and the gauge.
func (s *Selector) addLocked(delta int) {
	s.locked.Add(int64(delta))
	if s.opts.Metrics == nil {
		return
	}
	s.gaugeMu.Lock()
	defer s.gaugeMu.Unlock()
	s.opts.Metrics.LockedOutputs(int(s.locked.Load()))
}

// New returns a Selector reading outputs from src. It panics if
// opts.Validate fails.
func New(src Source, opts Options) *Selector {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	return &Selector{
		src:      src,
		opts:     opts.withDefaults(),
		clock:    realClock{},
		accounts: map[string]*account{},
		idle:     list.New(),
	}
}

// Lease holds the outputs chosen for one payment until Release.
type Lease struct {
	s *Selector
	a *account
	// Inputs are the chosen outputs; Total is their sum.
	Inputs []Output
	Total  money.Amount
	// Free is how many of the account's outputs were left unlocked after
	// this lease (for a batch: after the whole batch) was taken; the caller
	// may split change to refill a pool.
	Free int
	// Incoming is how many change outputs the payments of other leases in
	// flight on the account said they create (Expect) when this lease was
	// taken: a pool refill counts them with Free, so that payments taken
	// together do not each split change for the whole pool.
	Incoming int
	// expected is what this lease said through Expect (guarded by a.mu).
	expected int
	done     atomic.Bool
}

// Expect records that the lease's payment creates n change outputs at the
// account (0 ≤ n): they count in the Incoming of leases taken after this
// call, until Release. A later call replaces the number; after Release it
// does nothing.
func (l *Lease) Expect(n int) {
	if l == nil || n < 0 {
		return
	}
	l.a.mu.Lock()
	if l.done.Load() { // Release sets done before it takes a.mu
		l.a.mu.Unlock()
		return
	}
	l.a.incoming += n - l.expected
	l.expected = n
	l.a.mu.Unlock()
}

// Account returns the account the inputs belong to.
func (l *Lease) Account() string { return l.a.name }

// IDs returns the chosen output IDs.
func (l *Lease) IDs() []string {
	ids := make([]string, len(l.Inputs))
	for i, o := range l.Inputs {
		ids[i] = o.ID
	}
	return ids
}

// Release unlocks the outputs. spent tells whether the payment committed
// (its inputs are gone for good; pass false when the outcome is unknown);
// either way the account is re-read before its next selection and waiters
// on the account are woken. Release is idempotent, and a no-op on a nil
// Lease; only the first call's spent counts.
func (l *Lease) Release(spent bool) { l.finish(spent, nil) }

// finish releases the lease once: see Release; change non-nil is Settle's.
func (l *Lease) finish(spent bool, change []Output) {
	if l == nil || !l.done.CompareAndSwap(false, true) {
		return
	}
	l.a.mu.Lock()
	expected := l.expected
	l.expected = 0
	l.a.mu.Unlock()
	l.s.releaseWith(l.a, l.Inputs, spent, expected, change)
	l.s.unref(l.a)
}

// Settle releases the lease of a payment that committed (as
// Release(true)) and records change, the outputs the payment created at the
// account, in the selector's cache: the account is not read again for the
// next selection. Outputs are known by their IDs and amounts from the
// payment's record (api.Payment.ChangeOutputs, api.SplitChange). Outputs
// that others paid to the account meanwhile are read when the cache cannot
// cover a selection. Like Release, only the first call counts.
func (l *Lease) Settle(change []Output) {
	if change == nil {
		change = []Output{}
	}
	l.finish(true, change)
}

// Select locks outputs of acct covering amount, by the package's choice
// rule, waiting for locked funds as the package documentation describes.
// Errors: ErrInvalidAmount, ErrInsufficientFunds, ErrTooFragmented,
// ErrFundsLocked, ErrTooManyAccounts, the Source's error, or the context's.
func (s *Selector) Select(ctx context.Context, identity, acct string, amount money.Amount) (*Lease, error) {
	b, err := s.selectItems(ctx, identity, []Want{{Account: acct, Amount: amount}})
	if err != nil {
		if be, ok := err.(*BatchError); ok {
			return nil, be.Items[0].Err
		}
		return nil, err
	}
	return b.leases[0], nil
}

// With selects inputs as Select does, runs fn with the lease and releases
// it on every path: Release(true) when fn returns nil (the payment
// committed), Release(false) when fn returns an error or panics; a panic
// continues after the release. fn may release the lease itself to record a
// different outcome (With's release is then a no-op). With returns Select's
// error without calling fn, otherwise fn's error.
func (s *Selector) With(ctx context.Context, identity, acct string, amount money.Amount, fn func(*Lease) error) error {
	l, err := s.Select(ctx, identity, acct, amount)
	if err != nil {
		return err
	}
	finished := false
	defer func() {
		if !finished {
			l.Release(false)
		}
	}()
	err = fn(l)
	finished = true
	l.Release(err == nil)
	return err
}

// Consolidate locks up to max of the account's smallest unlocked outputs
// (at least two; max outside [2, MaxInputs] means MaxInputs) for a merge
// into one output. It does not wait: fewer than two unlocked outputs is
// ErrNothingToMerge.
func (s *Selector) Consolidate(ctx context.Context, identity, acct string, max int) (*Lease, error) {
	if max < 2 || max > s.opts.MaxInputs {
		max = s.opts.MaxInputs
	}
	a, err := s.ref(acct)
	if err != nil {
		return nil, err
	}
	if err := s.refresh(ctx, identity, a); err != nil {
		s.unref(a)
		return nil, err
	}
	a.mu.Lock()
	var chosen []Output
	free := 0
	for _, o := range a.outputs { // ascending amount
		if _, busy := a.locked[o.ID]; busy {
			continue
		}
		free++
		if len(chosen) < max {
			chosen = append(chosen, o)
		}
	}
	if len(chosen) < 2 {
		a.mu.Unlock()
		s.unref(a)
		return nil, fmt.Errorf("%w: account %s has %d unlocked outputs", ErrNothingToMerge, acct, len(chosen))
	}
	l := &Lease{s: s, a: a, Inputs: chosen, Free: free - len(chosen)}
	for _, o := range chosen {
		a.locked[o.ID] = struct{}{}
		l.Total += o.Amount // cannot overflow: at most the account's holdings
	}
	a.mu.Unlock()
	s.addLocked(len(chosen))
	return l, nil
}

// Invalidate marks an account's cached outputs stale (after INPUT_SPENT, a
// mint to it, or a payment outcome the gateway could not learn). An account
// that is not tracked is left untracked.
func (s *Selector) Invalidate(acct string) {
	s.mu.Lock()
	a := s.accounts[acct]
	s.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	a.stale = true
	a.gen++
	a.mu.Unlock()
}

// Locked reports how many outputs are locked, over all accounts.
func (s *Selector) Locked() int {
	return int(s.locked.Load())
}

// Accounts reports how many accounts are tracked (at most MaxAccounts).
func (s *Selector) Accounts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accounts)
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "acquired"
}
