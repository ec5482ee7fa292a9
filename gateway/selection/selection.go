// Package selection picks the unspent outputs a payment spends.
//
// A [Selector] keeps, per account, the unspent outputs last read from the
// ledger and an in-flight lock per output: an output picked for one payment
// is not offered to another until that payment's [Lease] is released, so
// concurrent payments from one account never pick the same output. When an
// account has the funds but they are all locked, Select waits (up to the
// configured lock wait) for a lease to be released instead of failing.
// After a release the account's outputs are re-read from the ledger (the
// payment's change outputs are new); outputs a committed payment spent are
// remembered for a while so that a read that raced the commit cannot offer
// them again.
//
// Choice rule: the smallest single unlocked output that covers the amount
// (keeping large outputs free for other payments), otherwise the largest
// outputs first, at most MaxInputs of them.
//
// A Selector is safe for concurrent use. The chaincode remains the authority:
// it refuses spent or foreign inputs, and the HTTP layer refreshes and
// selects again once on INPUT_SPENT.
package selection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/gateway/metrics"
)

// Output is one unspent output of an account.
type Output struct {
	ID     string
	Amount money.Amount
}

// Source reads an account's unspent outputs from the ledger.
type Source interface {
	Outputs(ctx context.Context, identity, account string) ([]Output, error)
}

// Errors returned by Select.
var (
	// ErrInsufficientFunds: the account's unspent outputs do not cover the amount.
	ErrInsufficientFunds = errors.New("selection: insufficient funds")
	// ErrFundsLocked: the funds exist but stayed locked by in-flight payments for the whole wait.
	ErrFundsLocked = errors.New("selection: funds locked by in-flight payments")
	// ErrTooFragmented: covering the amount needs more than MaxInputs outputs; merge first.
	ErrTooFragmented = errors.New("selection: too many outputs needed; consolidate the account")
)

// Options configures a Selector.
type Options struct {
	// LockWait bounds how long Select waits for locked outputs without
	// progress: each release of one of the account's leases starts the wait
	// afresh (outputs are cycling), within MaxLockWait in total.
	LockWait time.Duration
	// MaxLockWait bounds the whole wait (default 10 × LockWait).
	MaxLockWait time.Duration
	// MaxInputs caps the outputs one payment spends.
	MaxInputs int
	// SpentMemory is how long spent outputs are filtered from ledger reads (default 1 min).
	SpentMemory time.Duration
	Metrics     *metrics.Metrics
}

// Selector hands out leases on outputs.
type Selector struct {
	src  Source
	opts Options

	mu       sync.Mutex
	accounts map[string]*account
	locked   map[string]bool
	spent    map[string]time.Time
}

type account struct {
	outputs []Output
	stale   bool
	// gen counts releases and invalidations; a read that started before
	// the latest one leaves the account stale.
	gen uint64
	// refreshing is non-nil while one caller reads the ledger; others wait
	// for it instead of reading too.
	refreshing chan struct{}
	// released is closed and replaced when a lease on the account is released.
	released chan struct{}
}

// New returns a Selector reading outputs from src.
func New(src Source, opts Options) *Selector {
	if opts.MaxInputs <= 0 {
		opts.MaxInputs = 50
	}
	if opts.SpentMemory <= 0 {
		opts.SpentMemory = time.Minute
	}
	if opts.MaxLockWait < opts.LockWait {
		opts.MaxLockWait = 10 * opts.LockWait
	}
	return &Selector{
		src:      src,
		opts:     opts,
		accounts: map[string]*account{},
		locked:   map[string]bool{},
		spent:    map[string]time.Time{},
	}
}

// Lease holds the outputs chosen for one payment until Release.
type Lease struct {
	s       *Selector
	account string
	Inputs  []Output
	Total   money.Amount
	// Free is how many of the account's outputs were left unlocked after
	// this lease was taken (the caller may split change to refill a pool).
	Free int
	once sync.Once
}

// IDs returns the chosen output IDs.
func (l *Lease) IDs() []string {
	ids := make([]string, len(l.Inputs))
	for i, o := range l.Inputs {
		ids[i] = o.ID
	}
	return ids
}

// Release unlocks the outputs. spent tells whether the payment committed
// (its inputs are gone for good); either way the account is re-read before
// its next selection. Release is idempotent.
func (l *Lease) Release(spent bool) {
	l.once.Do(func() { l.s.release(l, spent) })
}

// Select locks outputs of account covering amount.
func (s *Selector) Select(ctx context.Context, identity, acct string, amount money.Amount) (*Lease, error) {
	start := time.Now()
	deadline, limit := start.Add(s.opts.LockWait), start.Add(s.opts.MaxLockWait)
	waited := false
	for {
		if err := s.refreshIfNeeded(ctx, identity, acct); err != nil {
			return nil, err
		}
		s.mu.Lock()
		lease, err := s.pick(acct, amount)
		released := s.accounts[acct].released
		s.mu.Unlock()
		if err != nil || lease != nil {
			if waited {
				s.opts.Metrics.LockWait(outcome(err))
			}
			return lease, err
		}
		// The funds exist but enough of them are locked: wait for a release.
		wait := time.Until(deadline)
		if wait <= 0 {
			s.opts.Metrics.LockWait("timeout")
			return nil, fmt.Errorf("%w: account %s", ErrFundsLocked, acct)
		}
		waited = true
		t := time.NewTimer(wait)
		select {
		case <-released:
			t.Stop()
			// Progress on this account: wait afresh, within the limit.
			deadline = time.Now().Add(s.opts.LockWait)
			if deadline.After(limit) {
				deadline = limit
			}
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "acquired"
}

// refreshIfNeeded re-reads a stale (or unknown) account. Concurrent callers
// share one read; a read that raced a release or an invalidation leaves the
// account stale so that the next caller reads again.
func (s *Selector) refreshIfNeeded(ctx context.Context, identity, acct string) error {
	for {
		s.mu.Lock()
		a := s.accounts[acct]
		if a == nil {
			a = &account{stale: true, released: make(chan struct{})}
			s.accounts[acct] = a
		}
		if !a.stale {
			s.mu.Unlock()
			return nil
		}
		if wait := a.refreshing; wait != nil {
			s.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		done := make(chan struct{})
		a.refreshing = done
		gen := a.gen
		s.mu.Unlock()

		outs, err := s.src.Outputs(ctx, identity, acct)

		s.mu.Lock()
		a.refreshing = nil
		close(done)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		now := time.Now()
		for id, at := range s.spent {
			if now.Sub(at) > s.opts.SpentMemory {
				delete(s.spent, id)
			}
		}
		fresh := outs[:0:0]
		for _, o := range outs {
			if _, gone := s.spent[o.ID]; !gone {
				fresh = append(fresh, o)
			}
		}
		a.outputs = fresh
		a.stale = a.gen != gen
		s.mu.Unlock()
		return nil
	}
}

// pick chooses and locks outputs; with the lock held. It returns a nil
// lease and nil error when the funds exist but are locked.
func (s *Selector) pick(acct string, amount money.Amount) (*Lease, error) {
	a := s.accounts[acct]
	var free []Output
	var all, avail money.Amount
	for _, o := range a.outputs {
		var err error
		if all, err = money.Add(all, o.Amount); err != nil {
			return nil, err
		}
		if !s.locked[o.ID] {
			free = append(free, o)
			avail += o.Amount
		}
	}
	if all < amount {
		return nil, fmt.Errorf("%w: account %s holds %s, needs %s", ErrInsufficientFunds, acct, all, amount)
	}
	if avail < amount {
		return nil, nil
	}
	var chosen []Output
	// Smallest single output that covers the amount.
	best := -1
	for i, o := range free {
		if o.Amount >= amount && (best < 0 || o.Amount < free[best].Amount) {
			best = i
		}
	}
	if best >= 0 {
		chosen = []Output{free[best]}
	} else {
		slices.SortFunc(free, func(x, y Output) int {
			if x.Amount != y.Amount {
				if x.Amount > y.Amount {
					return -1
				}
				return 1
			}
			if x.ID < y.ID {
				return -1
			}
			return 1
		})
		var sum money.Amount
		for _, o := range free {
			chosen = append(chosen, o)
			sum += o.Amount
			if sum >= amount {
				break
			}
		}
	}
	if len(chosen) > s.opts.MaxInputs {
		return nil, fmt.Errorf("%w: account %s needs %d outputs, limit %d", ErrTooFragmented, acct, len(chosen), s.opts.MaxInputs)
	}
	l := &Lease{s: s, account: acct, Inputs: chosen, Free: len(free) - len(chosen)}
	for _, o := range chosen {
		s.locked[o.ID] = true
		l.Total += o.Amount
	}
	s.opts.Metrics.LockedOutputs(len(s.locked))
	return l, nil
}

func (s *Selector) release(l *Lease, spent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, o := range l.Inputs {
		delete(s.locked, o.ID)
		if spent {
			s.spent[o.ID] = now
		}
	}
	if a := s.accounts[l.account]; a != nil {
		if spent {
			a.outputs = slices.DeleteFunc(a.outputs, func(o Output) bool { _, gone := s.spent[o.ID]; return gone })
		}
		a.stale = true
		a.gen++
		close(a.released)
		a.released = make(chan struct{})
	}
	s.opts.Metrics.LockedOutputs(len(s.locked))
}

// Invalidate marks an account's cached outputs stale (after INPUT_SPENT, a
// mint to it, or a payment outcome the gateway could not learn).
func (s *Selector) Invalidate(acct string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[acct]; a != nil {
		a.stale = true
		a.gen++
	}
}

// Locked reports how many outputs are locked.
func (s *Selector) Locked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.locked)
}

// Consolidate locks up to max of the account's smallest unlocked outputs
// (at least two) for a merge into one output.
func (s *Selector) Consolidate(ctx context.Context, identity, acct string, max int) (*Lease, error) {
	if max < 2 || max > s.opts.MaxInputs {
		max = s.opts.MaxInputs
	}
	if err := s.refreshIfNeeded(ctx, identity, acct); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var free []Output
	for _, o := range s.accounts[acct].outputs {
		if !s.locked[o.ID] {
			free = append(free, o)
		}
	}
	if len(free) < 2 {
		return nil, fmt.Errorf("%w: account %s has %d unlocked outputs, nothing to merge", ErrNothingToMerge, acct, len(free))
	}
	slices.SortFunc(free, func(x, y Output) int {
		if x.Amount != y.Amount {
			if x.Amount < y.Amount {
				return -1
			}
			return 1
		}
		if x.ID < y.ID {
			return -1
		}
		return 1
	})
	if len(free) > max {
		free = free[:max]
	}
	l := &Lease{s: s, account: acct, Inputs: free}
	for _, o := range free {
		s.locked[o.ID] = true
		l.Total += o.Amount
	}
	s.opts.Metrics.LockedOutputs(len(s.locked))
	return l, nil
}

// ErrNothingToMerge: fewer than two unlocked outputs.
var ErrNothingToMerge = errors.New("selection: nothing to merge")
