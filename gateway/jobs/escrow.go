package jobs

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
)

// escrowPageSize is the Holdings page size of an escrow read.
const escrowPageSize = api.MaxPageSize

// Bounds of a pool's memory.
const (
	// maxEscrowOutputs bounds the escrow outputs a pool tracks; a larger
	// escrow is read up to this many (the largest are not preferred: the
	// ledger's order decides), which only limits parallelism.
	maxEscrowOutputs = 10_000
	// maxSpentMemory bounds the remembered spent outputs (oldest forgotten
	// first), and spentMemoryAge their age.
	maxSpentMemory = 10_000
	spentMemoryAge = 10 * time.Minute
)

// pools holds one escrow pool per programme while a job of it runs.
type pools struct {
	mu sync.Mutex
	m  map[string]*pool
}

func newPools() *pools { return &pools{m: map[string]*pool{}} }

// acquire returns the programme's pool (creating it stale, so that it is
// read first) and counts a user; release uncounts, and drops an unused pool.
func (ps *pools) acquire(programme, escrow string) *pool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.m[programme]
	if p == nil || p.escrow != escrow {
		p = &pool{programme: programme, escrow: escrow, outs: map[string]*escrowOut{}, spent: map[string]time.Time{},
			recips: map[string]int{}, changed: make(chan struct{}), stale: true}
		ps.m[programme] = p
	}
	p.users++
	return p
}

func (ps *pools) release(p *pool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p.users--
	if p.users == 0 && ps.m[p.programme] == p {
		delete(ps.m, p.programme)
	}
}

// escrowOut is one unspent escrow output the pool knows.
type escrowOut struct {
	id      string
	amount  money.Amount
	tranche int
	locked  bool
	// added is the pool's settle sequence when a settle added it.
	added uint64
}

// pool tracks a programme escrow's unspent outputs and locks them for the
// batches in flight, so that concurrent batches (of one job or of several
// jobs of the programme) never spend the same output. It also tracks the
// recipients of batches in flight: a batch never pays a recipient another
// batch in flight pays, so concurrent disbursements do not conflict on the
// recipient's records (cap counter, capped balances).
type pool struct {
	programme, escrow string
	users             int // guarded by pools.mu

	refreshMu sync.Mutex // one escrow read at a time

	mu      sync.Mutex
	outs    map[string]*escrowOut
	spent   map[string]time.Time
	order   []string // spent IDs, oldest first
	recips  map[string]int
	stale   bool
	seq     uint64
	changed chan struct{}
}

// lease is the escrow inputs and recipients of one batch, and the number
// of outputs its change is to be split into (DisburseRequest.ChangeSplit;
// 0: one).
type lease struct {
	ids     []string
	total   money.Amount
	tranche int
	recips  []string
	split   int
}

// notify wakes waiters. Call with mu held.
func (p *pool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// waitChan is closed at the pool's next change.
func (p *pool) waitChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// busy reports whether a batch holds outputs.
func (p *pool) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.outs {
		if o.locked {
			return true
		}
	}
	return false
}

func (p *pool) isStale() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stale
}

// refresh reads the escrow's earmarked outputs (programme:Holdings as
// identity) and merges them: outputs in flight keep their locks, outputs
// spent recently are not taken back from a lagging read, and change added
// by a batch settled during the read is kept.
func (p *pool) refresh(ctx context.Context, l ledger.Ledger, identity string) error {
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	p.mu.Lock()
	start := p.seq
	p.mu.Unlock()
	read := map[string]api.Output{}
	bookmark := ""
	for {
		page, err := ledger.Query(ctx, l, identity, api.Holdings, api.HoldingsRequest{Programme: p.programme, Account: p.escrow,
			PageSize: escrowPageSize, Bookmark: bookmark})
		if err != nil {
			return err
		}
		for _, o := range page.Outputs {
			if o.Earmark != nil && o.Earmark.Programme == p.programme && o.Amount > 0 && len(read) < maxEscrowOutputs {
				read[o.ID] = o
			}
		}
		if page.Bookmark == "" || page.Bookmark == bookmark || len(read) >= maxEscrowOutputs {
			break
		}
		bookmark = page.Bookmark
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pruneSpent()
	for id, o := range p.outs {
		if _, ok := read[id]; !ok && !o.locked && o.added <= start {
			delete(p.outs, id)
		}
	}
	for id, o := range read {
		if _, gone := p.spent[id]; gone {
			continue
		}
		if _, ok := p.outs[id]; !ok {
			p.outs[id] = &escrowOut{id: id, amount: o.Amount, tranche: o.Earmark.Tranche}
		}
	}
	p.stale = false
	p.notify()
	return nil
}

// pruneSpent forgets spent outputs beyond the memory's age and size. Call
// with mu held.
func (p *pool) pruneSpent() {
	cut := time.Now().Add(-spentMemoryAge)
	for len(p.order) > 0 && (len(p.order) > maxSpentMemory || p.spent[p.order[0]].Before(cut)) {
		delete(p.spent, p.order[0])
		p.order = p.order[1:]
	}
}

func (p *pool) rememberSpent(id string) {
	p.spent[id] = time.Now()
	p.order = append(p.order, id)
	p.pruneSpent()
}

// candidate describes a pending line to take.
type candidate func(pos int) (recipient string, amount money.Amount)

// take picks the next batch: up to max pending lines (positions of
// pending, in order) and escrow inputs of one tranche that cover them, and
// locks both. It prefers one output per batch (the largest free one), so
// that the other outputs stay free for concurrent batches; when no line
// fits one output, it combines the largest free outputs of the tranche
// holding the most (at most maxInputs). A line whose recipient is in a
// batch in flight waits. It returns no lease when nothing fits now (or the
// pool must be read first: stale). The lease asks for the batch's change
// to be split so that the pool keeps about spread outputs (see split).
func (p *pool) take(pending []int, line candidate, max, maxInputs, spread int) (picked []int, l *lease, stale bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stale {
		return nil, nil, true
	}
	free := map[int][]*escrowOut{}
	var largest *escrowOut
	for _, o := range p.outs {
		if o.locked {
			continue
		}
		free[o.tranche] = append(free[o.tranche], o)
		if largest == nil || bigger(o, largest) {
			largest = o
		}
	}
	if largest == nil {
		return nil, nil, false
	}
	fill := func(budget money.Amount) ([]int, money.Amount) {
		var out []int
		var sum money.Amount
		for i, pos := range pending {
			r, a := line(pos)
			if p.recips[r] > 0 || a > budget-sum {
				continue
			}
			out = append(out, i)
			sum += a
			if len(out) == max {
				break
			}
		}
		return out, sum
	}
	inputs := []*escrowOut{largest}
	picked, need := fill(largest.amount)
	if len(picked) == 0 {
		tranche, total := bestTranche(free, maxInputs)
		if total <= largest.amount {
			return nil, nil, false
		}
		picked, need = fill(total)
		if len(picked) == 0 {
			return nil, nil, false
		}
		inputs = inputs[:0]
		var acc money.Amount
		for _, o := range free[tranche] {
			inputs = append(inputs, o)
			acc += o.amount
			if acc >= need {
				break
			}
		}
	}
	l = &lease{tranche: inputs[0].tranche}
	for _, o := range inputs {
		o.locked = true
		l.ids = append(l.ids, o.id)
		l.total += o.amount
	}
	l.split = split(l.total-need, need, spread-(len(p.outs)-len(inputs)))
	for _, i := range picked {
		r, _ := line(pending[i])
		if p.recips[r] == 0 {
			l.recips = append(l.recips, r)
		}
		p.recips[r]++
	}
	return picked, l, false
}

// split is the number of outputs to split a batch's change into (0: one):
// as many as the pool lacks for spread batches in flight (want: spread
// less the outputs the pool holds besides the batch's inputs, which are
// free or come back as change of their own batches), so that the batches
// after this one need not wait for each other's change; but no part
// smaller than the batch (need), so that each part can carry a batch like
// it; at most api.MaxChangeSplit.
func split(change, need money.Amount, want int) int {
	if want < 2 || change <= 0 || need <= 0 {
		return 0
	}
	n := min(want, api.MaxChangeSplit)
	if parts := change / need; parts < money.Amount(n) {
		n = int(parts)
	}
	if n < 2 {
		return 0
	}
	return n
}

// bigger orders outputs by amount, then ID (one read, one choice).
func bigger(a, b *escrowOut) bool {
	if a.amount != b.amount {
		return a.amount > b.amount
	}
	return a.id < b.id
}

// bestTranche sorts each tranche's free outputs largest first and returns
// the tranche whose largest maxInputs outputs hold the most.
func bestTranche(free map[int][]*escrowOut, maxInputs int) (int, money.Amount) {
	best, bestTotal := 0, money.Amount(0)
	for t, outs := range free {
		sort.Slice(outs, func(i, j int) bool { return bigger(outs[i], outs[j]) })
		var total money.Amount
		for i, o := range outs {
			if i == maxInputs {
				break
			}
			total += o.amount
		}
		if total > bestTotal || total == bestTotal && t < best {
			best, bestTotal = t, total
		}
	}
	return best, bestTotal
}

// cover is the most one batch could spend: the largest total of one
// tranche's largest maxInputs outputs, free or locked.
func (p *pool) cover(maxInputs int) money.Amount {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := map[int][]*escrowOut{}
	for _, o := range p.outs {
		all[o.tranche] = append(all[o.tranche], o)
	}
	_, total := bestTranche(all, maxInputs)
	return total
}

// unlockRecipients ends a batch's hold on its recipients. Call with mu held.
func (p *pool) unlockRecipients(l *lease) {
	for _, r := range l.recips {
		delete(p.recips, r)
	}
}

// settle applies a committed disbursement: its inputs are spent and its
// change outputs (if any) are new free outputs; when it paid nothing, its
// inputs are untouched and free again.
func (p *pool) settle(l *lease, res api.DisburseResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unlockRecipients(l)
	paid, change := res.Amount, res.Change
	if paid == 0 && change == "" {
		for _, id := range l.ids {
			if o := p.outs[id]; o != nil {
				o.locked = false
			}
		}
		p.notify()
		return
	}
	p.seq++
	for _, id := range l.ids {
		delete(p.outs, id)
		p.rememberSpent(id)
	}
	switch {
	case len(res.ChangeOutputs) > 0:
		for _, c := range res.ChangeOutputs {
			if c.Amount > 0 && len(p.outs) < maxEscrowOutputs {
				p.outs[c.Output] = &escrowOut{id: c.Output, amount: c.Amount, tranche: l.tranche, added: p.seq}
			}
		}
	case change != "" && l.total > paid:
		// A chaincode that names one change output only.
		p.outs[change] = &escrowOut{id: change, amount: l.total - paid, tranche: l.tranche, added: p.seq}
	}
	p.notify()
}

// fail ends a batch that did not commit. When it may have committed (the
// transaction left the gateway) or an input was reported spent, its inputs
// are dropped and the pool is read again before the next batch; otherwise
// they are free again.
func (p *pool) fail(l *lease, maybeSpent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unlockRecipients(l)
	for _, id := range l.ids {
		o := p.outs[id]
		if o == nil {
			continue
		}
		if maybeSpent {
			delete(p.outs, id)
		} else {
			o.locked = false
		}
	}
	if maybeSpent {
		p.stale = true
	}
	p.notify()
}
