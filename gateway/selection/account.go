package selection

import (
	"cmp"
	"container/list"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// account is one tracked account. name, refs and idle are guarded by
// Selector.mu; everything else by account.mu.
type account struct {
	name string
	// refs counts outstanding leases and calls in progress; an account with
	// refs > 0 is never evicted (its locks would be lost).
	refs int
	// idle is the account's element in Selector.idle while refs == 0.
	idle *list.Element

	mu sync.Mutex
	// outputs are the unspent outputs of the last read, minus those
	// released as spent since, sorted by amount then ID.
	outputs []Output
	locked  map[string]struct{}
	// incoming counts the change outputs that leases in flight said their
	// payments create at the account (Lease.Expect): outputs on their way,
	// which a pool refill must count.
	incoming int
	// spent remembers outputs released as spent (ID → when), pruned from
	// the front of spentQ, which is in release order.
	spent  map[string]time.Time
	spentQ []spentEntry
	stale  bool
	// derived: outputs include change that Lease.Settle added since the
	// last read, not read from the ledger. Outputs that others paid to the
	// account since then are missing: a selection that cannot be covered
	// reads the account before it fails or waits.
	derived bool
	// gen counts releases and invalidations; a read that started before
	// the latest one leaves the account stale.
	gen uint64
	// refreshing is non-nil while one caller reads the ledger; others wait
	// for it instead of reading too.
	refreshing chan struct{}
	// released is closed and replaced when a lease on the account is
	// released.
	released chan struct{}
}

type spentEntry struct {
	id string
	at time.Time
}

// ref returns the tracked account named acct, creating it (and evicting the
// least recently used idle account at MaxAccounts), and pins it until unref.
func (s *Selector) ref(acct string) (*account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[acct]
	if a == nil {
		if len(s.accounts) >= s.opts.MaxAccounts {
			victim := s.idle.Back()
			if victim == nil {
				return nil, fmt.Errorf("%w: %d tracked, none idle (account %s)", ErrTooManyAccounts, len(s.accounts), acct)
			}
			v := s.idle.Remove(victim).(*account)
			v.idle = nil
			delete(s.accounts, v.name)
		}
		a = &account{
			name:     acct,
			locked:   map[string]struct{}{},
			spent:    map[string]time.Time{},
			stale:    true,
			released: make(chan struct{}),
		}
		s.accounts[acct] = a
	}
	if a.idle != nil {
		s.idle.Remove(a.idle)
		a.idle = nil
	}
	a.refs++
	return a, nil
}

// unref drops one pin; an account left without pins becomes the most
// recently used idle account.
func (s *Selector) unref(a *account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.refs--
	if a.refs == 0 {
		a.idle = s.idle.PushFront(a)
	}
}

// refresh re-reads a stale account. Concurrent callers share one read; a
// read that raced a release or an invalidation is repeated, at most
// maxReads reads by this caller, after which the latest read is used.
func (s *Selector) refresh(ctx context.Context, identity string, a *account) error {
	_, err := s.refreshed(ctx, identity, a)
	return err
}

// refreshed is refresh that also reports whether this caller read the
// account (or waited for another caller's read).
func (s *Selector) refreshed(ctx context.Context, identity string, a *account) (bool, error) {
	read := false
	for reads := 0; ; {
		a.mu.Lock()
		if !a.stale || reads >= maxReads {
			a.mu.Unlock()
			return read, nil
		}
		if wait := a.refreshing; wait != nil {
			a.mu.Unlock()
			if s.onRefreshWait != nil {
				s.onRefreshWait(a.name)
			}
			select {
			case <-wait:
				read = true
				continue
			case <-ctx.Done():
				return read, ctx.Err()
			}
		}
		done := make(chan struct{})
		a.refreshing = done
		gen := a.gen
		a.mu.Unlock()

		outs, err := s.src.Outputs(ctx, identity, a.name)
		reads++
		read = true

		a.mu.Lock()
		a.refreshing = nil
		close(done)
		if err != nil {
			a.mu.Unlock()
			return read, fmt.Errorf("selection: reading outputs of account %s: %w", a.name, err)
		}
		a.pruneSpent(s.clock.Now(), s.opts.SpentMemory)
		fresh := make([]Output, 0, len(outs))
		for _, o := range outs {
			if _, gone := a.spent[o.ID]; !gone {
				fresh = append(fresh, o)
			}
		}
		slices.SortFunc(fresh, byAmountThenID)
		a.outputs = fresh
		a.stale = a.gen != gen
		a.derived = false
		a.mu.Unlock()
	}
}

func byAmountThenID(x, y Output) int {
	if c := cmp.Compare(x.Amount, y.Amount); c != 0 {
		return c
	}
	return cmp.Compare(x.ID, y.ID)
}

// releaseWith unlocks inputs; with spent, remembers them as spent and drops
// them from the cache. It marks the account stale and wakes its waiters.
//
// With spent and change (the outputs the payment created at the account,
// committed), the change joins the cache instead and the account stays as
// fresh as it was: the next selection needs no read.
func (s *Selector) releaseWith(a *account, inputs []Output, spent bool, expected int, change []Output) {
	a.mu.Lock()
	a.incoming -= expected
	for _, o := range inputs {
		delete(a.locked, o.ID)
	}
	if spent {
		now := s.clock.Now()
		a.pruneSpent(now, s.opts.SpentMemory)
		for _, o := range inputs {
			a.rememberSpent(o.ID, now, s.opts.MaxSpent)
		}
		a.outputs = slices.DeleteFunc(a.outputs, func(o Output) bool {
			return slices.ContainsFunc(inputs, func(in Output) bool { return in.ID == o.ID })
		})
	}
	if spent && change != nil {
		for _, o := range change {
			if _, gone := a.spent[o.ID]; gone || slices.ContainsFunc(a.outputs, func(x Output) bool { return x.ID == o.ID }) {
				continue
			}
			a.outputs = append(a.outputs, o)
		}
		slices.SortFunc(a.outputs, byAmountThenID)
		a.derived = true
		// A read in flight may predate the commit: gen tells it so, and
		// the account is read again after it.
	} else {
		a.stale = true
	}
	a.gen++
	close(a.released)
	a.released = make(chan struct{})
	a.mu.Unlock()
	s.addLocked(-len(inputs))
}

// rememberSpent records id as spent at now, forgetting the oldest entry at
// the cap.
func (a *account) rememberSpent(id string, now time.Time, limit int) {
	for len(a.spentQ) >= limit {
		a.dropOldestSpent()
	}
	a.spent[id] = now
	a.spentQ = append(a.spentQ, spentEntry{id, now})
}

// pruneSpent forgets entries older than memory, from the front of the
// queue: O(entries pruned).
func (a *account) pruneSpent(now time.Time, memory time.Duration) {
	for len(a.spentQ) > 0 && now.Sub(a.spentQ[0].at) > memory {
		a.dropOldestSpent()
	}
}

func (a *account) dropOldestSpent() {
	e := a.spentQ[0]
	if at, ok := a.spent[e.id]; ok && at.Equal(e.at) {
		delete(a.spent, e.id)
	}
	a.spentQ[0] = spentEntry{}
	a.spentQ = a.spentQ[1:]
	if len(a.spentQ) == 0 {
		a.spentQ = nil // let the backing array go
	}
}

// need is one item of a batch for one account.
type need struct {
	index  int // in the wants
	amount money.Amount
}

// allocation is the outcome of allocating one account's needs.
type allocation struct {
	chosen   map[int][]Output // by want index
	failed   []*ItemError     // cannot be covered from the holdings
	blocked  []*ItemError     // held up by outputs other payments locked
	free     int              // unlocked outputs left
	incoming int              // change outputs on their way (account.incoming)
}

// allocate picks inputs for needs over a's outputs, with a.mu held. Needs
// are served largest amount first (ties in item order), each by the choice
// rule over the outputs not locked and not taken by an earlier need. The
// chosen outputs are locked in a.locked; unlock with rollback unless the
// whole batch succeeds.
func (s *Selector) allocate(a *account, needs []need) allocation {
	var holdings, avail money.Amount
	for _, o := range a.outputs {
		holdings = saturatingAdd(holdings, o.Amount)
		if _, busy := a.locked[o.ID]; !busy {
			avail = saturatingAdd(avail, o.Amount)
		}
	}
	order := slices.Clone(needs)
	slices.SortStableFunc(order, func(x, y need) int { return cmp.Compare(y.amount, x.amount) })
	res := allocation{chosen: map[int][]Output{}}
	for _, n := range order {
		fail := func(err error) *ItemError {
			return &ItemError{Index: n.index, Account: a.name, Amount: n.amount, Err: err}
		}
		switch {
		case holdings < n.amount:
			res.failed = append(res.failed, fail(fmt.Errorf("%w: account %s holds %s, needs %s",
				ErrInsufficientFunds, a.name, holdings, n.amount)))
			continue
		case avail < n.amount:
			res.blocked = append(res.blocked, fail(fmt.Errorf("%w: account %s has %s unlocked, needs %s",
				ErrFundsLocked, a.name, avail, n.amount)))
			continue
		}
		chosen := s.choose(a, n.amount)
		if len(chosen) > s.opts.MaxInputs {
			res.failed = append(res.failed, fail(fmt.Errorf("%w: account %s needs %d outputs, limit %d",
				ErrTooFragmented, a.name, len(chosen), s.opts.MaxInputs)))
			continue
		}
		for _, o := range chosen {
			a.locked[o.ID] = struct{}{}
			holdings -= o.Amount // chosen ⊆ free ⊆ holdings: no underflow
			avail -= o.Amount
		}
		res.chosen[n.index] = chosen
	}
	res.free = len(a.outputs) - len(a.locked)
	res.incoming = a.incoming
	return res
}

// choose applies the choice rule to a's unlocked outputs, which cover
// amount. The result may exceed MaxInputs (the caller refuses it).
func (s *Selector) choose(a *account, amount money.Amount) []Output {
	outs := a.outputs
	// Smallest single unlocked output that covers the amount.
	for i := sort.Search(len(outs), func(i int) bool { return outs[i].Amount >= amount }); i < len(outs); i++ {
		if _, busy := a.locked[outs[i].ID]; !busy {
			return []Output{outs[i]}
		}
	}
	// Otherwise the largest first. Stop one past MaxInputs: that is enough
	// to refuse.
	var chosen []Output
	var sum money.Amount
	for i := len(outs) - 1; i >= 0 && sum < amount && len(chosen) <= s.opts.MaxInputs; i-- {
		if _, busy := a.locked[outs[i].ID]; !busy {
			chosen = append(chosen, outs[i])
			sum = saturatingAdd(sum, outs[i].Amount)
		}
	}
	return chosen
}

// rollback unlocks what allocate locked.
func (al allocation) rollback(a *account) {
	for _, outs := range al.chosen {
		for _, o := range outs {
			delete(a.locked, o.ID)
		}
	}
}

func saturatingAdd(x, y money.Amount) money.Amount {
	if r, err := money.Add(x, y); err == nil {
		return r
	}
	return money.Max
}
