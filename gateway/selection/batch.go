package selection

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// Want is one item of a batch: Amount to be covered from Account.
type Want struct {
	Account string
	Amount  money.Amount
}

// BatchLease holds the inputs of every item of a batch until Release.
type BatchLease struct {
	leases []*Lease
}

// Items returns one lease per item, in the order of the wants. Each may be
// released on its own (say, with the item's own outcome); Release releases
// those not yet released.
func (b *BatchLease) Items() []*Lease { return b.leases }

// Release releases every item's lease (see [Lease.Release]). It is
// idempotent, and a no-op on a nil BatchLease.
func (b *BatchLease) Release(spent bool) {
	if b == nil {
		return
	}
	for _, l := range b.leases {
		l.Release(spent)
	}
}

// SelectBatch locks inputs for every item of a batch, or none. The items of
// one account share one pass over its outputs (see the package's choice
// rule), so no item waits on an output another item of the same batch
// holds: an account that cannot cover all its items fails at once with a
// [*BatchError] naming the items (ErrInsufficientFunds, ErrTooFragmented,
// ErrInvalidAmount). When every item could be covered but some are held up
// by outputs other payments locked, SelectBatch holds nothing and waits, as
// Select does, for a release on one of those accounts; at the end of the
// wait the BatchError names the held-up items with ErrFundsLocked.
// Other errors: ErrBatchTooLarge, ErrTooManyAccounts (the batch's distinct
// accounts need table slots), the Source's error, the context's. An empty
// batch gives an empty BatchLease.
func (s *Selector) SelectBatch(ctx context.Context, identity string, wants []Want) (*BatchLease, error) {
	return s.selectItems(ctx, identity, wants)
}

// WithBatch selects as SelectBatch does, runs fn and releases on every path:
// Release(true) when fn returns nil, Release(false) when it returns an error
// or panics (the panic continues after the release). A batch whose items
// may fail one by one inside a committed transaction should release the
// leases itself inside fn (per item, or all with false); WithBatch's
// release then does nothing more.
func (s *Selector) WithBatch(ctx context.Context, identity string, wants []Want, fn func(*BatchLease) error) error {
	b, err := s.SelectBatch(ctx, identity, wants)
	if err != nil {
		return err
	}
	finished := false
	defer func() {
		if !finished {
			b.Release(false)
		}
	}()
	err = fn(b)
	finished = true
	b.Release(err == nil)
	return err
}

// selectItems is Select and SelectBatch.
func (s *Selector) selectItems(ctx context.Context, identity string, wants []Want) (*BatchLease, error) {
	if len(wants) > s.opts.MaxBatchItems {
		return nil, fmt.Errorf("%w: %d items, limit %d", ErrBatchTooLarge, len(wants), s.opts.MaxBatchItems)
	}
	var invalid []*ItemError
	byAccount := map[string][]need{}
	for i, w := range wants {
		if w.Amount <= 0 {
			invalid = append(invalid, &ItemError{Index: i, Account: w.Account, Amount: w.Amount,
				Err: fmt.Errorf("%w: %s", ErrInvalidAmount, w.Amount)})
		}
		byAccount[w.Account] = append(byAccount[w.Account], need{index: i, amount: w.Amount})
	}
	if invalid != nil {
		return nil, &BatchError{Items: invalid}
	}
	if len(wants) == 0 {
		return &BatchLease{}, nil
	}

	// Pin the accounts for the call, in name order: the order their
	// mutexes are taken in.
	accts := make([]*account, 0, len(byAccount))
	defer func() {
		for _, a := range accts {
			s.unref(a)
		}
	}()
	for _, name := range slices.Sorted(maps.Keys(byAccount)) {
		a, err := s.ref(name)
		if err != nil {
			return nil, err
		}
		accts = append(accts, a)
	}

	start := s.clock.Now()
	deadline, limit := start.Add(s.opts.LockWait), start.Add(s.opts.MaxLockWait)
	waited := false
	readNow := make([]bool, len(accts)) // accts[i] read (or read for) during this call
	for rereads := 0; ; {
		for i, a := range accts {
			read, err := s.refreshed(ctx, identity, a)
			if err != nil {
				return nil, err
			}
			readNow[i] = readNow[i] || read
		}
		for _, a := range accts {
			a.mu.Lock()
		}
		allocs := make([]allocation, len(accts))
		var failed, blocked []*ItemError
		for i, a := range accts {
			allocs[i] = s.allocate(a, byAccount[a.name])
			failed = append(failed, allocs[i].failed...)
			blocked = append(blocked, allocs[i].blocked...)
		}
		if len(failed) == 0 && len(blocked) == 0 {
			b := s.grant(accts, allocs, len(wants))
			if waited {
				s.opts.Metrics.LockWait(outcome(nil))
			}
			return b, nil
		}
		// An account released or invalidated since it was read may hold
		// change outputs the cache lacks: read it again before failing or
		// waiting, at most maxReads times per call.
		stale := false
		var wake []<-chan struct{}
		for i, a := range accts {
			allocs[i].rollback(a)
			if len(allocs[i].failed)+len(allocs[i].blocked) > 0 {
				if a.derived || (len(allocs[i].failed) > 0 && !readNow[i]) {
					// Read the account before refusing: a cache with
					// settled change lacks what others paid in since the
					// last read, and a read that found too little may have
					// come from a peer a block behind the payment that
					// funded the account (seen in the fault suite: every
					// later payment refused from a cache read too early).
					a.stale = true
				}
				stale = stale || a.stale
			}
			if len(allocs[i].blocked) > 0 {
				wake = append(wake, a.released)
			}
			a.mu.Unlock()
		}
		if stale && rereads < maxReads {
			rereads++
			continue
		}
		if len(failed) > 0 {
			if waited {
				s.opts.Metrics.LockWait(outcome(ErrInsufficientFunds))
			}
			return nil, &BatchError{Items: byIndex(failed)}
		}
		// Every item can be covered, but some of the funds are locked by
		// other payments: wait for a release.
		wait := deadline.Sub(s.clock.Now())
		if wait <= 0 {
			s.opts.Metrics.LockWait("timeout")
			return nil, &BatchError{Items: byIndex(blocked)}
		}
		waited = true
		released, err := s.waitRelease(ctx, wait, wake)
		if err != nil {
			return nil, err
		}
		if released {
			// Progress: wait afresh, within the limit.
			deadline = s.clock.Now().Add(s.opts.LockWait)
			if deadline.After(limit) {
				deadline = limit
			}
		}
	}
}

// grant turns a successful allocation into leases and unlocks the accounts'
// mutexes (held on entry).
func (s *Selector) grant(accts []*account, allocs []allocation, items int) *BatchLease {
	b := &BatchLease{leases: make([]*Lease, items)}
	n := 0
	for i, a := range accts {
		for idx, chosen := range allocs[i].chosen {
			l := &Lease{s: s, a: a, Inputs: chosen, Free: allocs[i].free, Incoming: allocs[i].incoming}
			for _, o := range chosen {
				l.Total = saturatingAdd(l.Total, o.Amount)
			}
			b.leases[idx] = l
			n += len(chosen)
		}
		a.mu.Unlock()
	}
	// Each lease pins its account until released; the call's own pins are
	// dropped after this, so the accounts never become idle in between.
	s.mu.Lock()
	for _, l := range b.leases {
		l.a.refs++
	}
	s.mu.Unlock()
	s.addLocked(n)
	return b
}

// waitRelease waits up to d for one of chans to be closed. It reports
// whether one was, or the context's error.
func (s *Selector) waitRelease(ctx context.Context, d time.Duration, chans []<-chan struct{}) (bool, error) {
	timer, stop := s.clock.Timer(d)
	defer stop()
	if len(chans) == 1 {
		select {
		case <-chans[0]:
			return true, nil
		case <-timer:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	cases := make([]reflect.SelectCase, 0, 2+len(chans))
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer)})
	for _, c := range chans {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)})
	}
	switch chosen, _, _ := reflect.Select(cases); chosen {
	case 0:
		return false, ctx.Err()
	case 1:
		return false, nil
	default:
		return true, nil
	}
}

func byIndex(items []*ItemError) []*ItemError {
	slices.SortFunc(items, func(x, y *ItemError) int { return cmp.Compare(x.Index, y.Index) })
	return items
}
