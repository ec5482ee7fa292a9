package liquidity

import (
	"container/heap"
	"fmt"
	"sort"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// item is a transfer with its accounts as indices. Items are kept in
// queue order (priority, Seq, ID), so an item's index orders it globally
// and, restricted to one payer, orders that payer's queue.
type item struct {
	t        *Transfer
	from, to int
	amt      int64
	qpos     int // position in the payer's queue
}

// book is the working state of one Solve. Amounts are int64 fen: newBook
// checks that the balances and amounts together fit in an int64, so no
// partial sum overflows.
type book struct {
	accounts []string
	items    []item
	q        [][]int // per payer account, item indices in queue order
	bal0     []int64 // the snapshot's balances
	avail    []int64 // balances after what is chosen so far
	head     []int   // per payer, how many of its queue are chosen
	chosen   []int   // item indices, in the order chosen
}

func newBook(snap Snapshot, maxTransfers int) (*book, error) {
	if len(snap.Transfers) > maxTransfers {
		return nil, fmt.Errorf("%w: %d in the snapshot, at most %d", ErrTooManyTransfers, len(snap.Transfers), maxTransfers)
	}
	var total money.Amount
	for _, acct := range api.SortedKeys(snap.Balances) {
		bal := snap.Balances[acct]
		if acct == "" || bal < 0 {
			return nil, fmt.Errorf("%w: balance of %q is %s", ErrInvalidSnapshot, acct, bal)
		}
		var err error
		if total, err = money.Add(total, bal); err != nil {
			return nil, fmt.Errorf("%w: balances and amounts overflow", ErrInvalidSnapshot)
		}
	}
	b := &book{items: make([]item, len(snap.Transfers))}
	seen := make(map[string]bool, len(snap.Transfers))
	names := map[string]bool{}
	for i := range snap.Transfers {
		t := &snap.Transfers[i]
		switch {
		case t.ID == "":
			return nil, fmt.Errorf("%w: transfer %d has no ID", ErrInvalidSnapshot, i)
		case seen[t.ID]:
			return nil, fmt.Errorf("%w: transfer %s appears twice", ErrInvalidSnapshot, t.ID)
		case t.From == "" || t.To == "" || t.From == t.To:
			return nil, fmt.Errorf("%w: transfer %s goes from %q to %q", ErrInvalidSnapshot, t.ID, t.From, t.To)
		case t.Amount <= 0:
			return nil, fmt.Errorf("%w: transfer %s amount %s is not positive", ErrInvalidSnapshot, t.ID, t.Amount)
		case t.Priority != api.PriorityUrgent && t.Priority != api.PriorityNormal:
			return nil, fmt.Errorf("%w: transfer %s priority %q", ErrInvalidSnapshot, t.ID, t.Priority)
		}
		var err error
		if total, err = money.Add(total, t.Amount); err != nil {
			return nil, fmt.Errorf("%w: balances and amounts overflow", ErrInvalidSnapshot)
		}
		seen[t.ID] = true
		names[t.From], names[t.To] = true, true
		b.items[i] = item{t: t, amt: int64(t.Amount)}
	}
	sort.Slice(b.items, func(i, j int) bool { return b.items[i].t.before(b.items[j].t) })

	b.accounts = api.SortedKeys(names)
	index := make(map[string]int, len(b.accounts))
	for i, a := range b.accounts {
		index[a] = i
	}
	n := len(b.accounts)
	b.q, b.bal0, b.avail, b.head = make([][]int, n), make([]int64, n), make([]int64, n), make([]int, n)
	for i, a := range b.accounts {
		b.bal0[i] = int64(snap.Balances[a])
	}
	copy(b.avail, b.bal0)
	for k := range b.items {
		it := &b.items[k]
		it.from, it.to = index[it.t.From], index[it.t.To]
		it.qpos = len(b.q[it.from])
		b.q[it.from] = append(b.q[it.from], k)
	}
	return b, nil
}

// take chooses the head of its payer's queue.
func (b *book) take(k int) {
	it := &b.items[k]
	b.head[it.from]++
	b.avail[it.from] -= it.amt
	b.avail[it.to] += it.amt
	b.chosen = append(b.chosen, k)
}

// sequential settles queue heads gross while they are covered and, with
// bilateral, offsets pairs of queues whose heads face each other, until
// neither settles anything. Every step is covered by the balances left by
// the steps before it, so the whole sequence is covered. It returns how
// many transfers it chose.
func (b *book) sequential(bilateral bool) int {
	n0 := len(b.chosen)
	in := make([]bool, len(b.accounts))
	var work []int
	push := func(a int) {
		if !in[a] && b.head[a] < len(b.q[a]) {
			in[a] = true
			work = append(work, a)
		}
	}
	for a := range b.accounts {
		push(a)
	}
	// Each push follows a settlement (or is one of the initial ones), so
	// work holds at most len(accounts) + 2·len(items) entries.
	for w := 0; w < len(work); w++ {
		a := work[w]
		in[a] = false
		for {
			for b.head[a] < len(b.q[a]) {
				k := b.q[a][b.head[a]]
				if b.avail[a] < b.items[k].amt {
					break
				}
				b.take(k)
				push(b.items[k].to)
			}
			if !bilateral || !b.offset(a, push) {
				break
			}
		}
	}
	return len(b.chosen) - n0
}

// offset settles the runs at the heads of a's and c's queues, where a's
// head pays c and c's head pays a: both runs whole, less the last
// transfers of whichever side's net debit exceeds its balance. It reports
// whether it settled anything.
func (b *book) offset(a int, push func(int)) bool {
	ha := b.head[a]
	if ha >= len(b.q[a]) {
		return false
	}
	c := b.items[b.q[a][ha]].to
	hc := b.head[c]
	if hc >= len(b.q[c]) || b.items[b.q[c][hc]].to != a {
		return false
	}
	run := func(x, h, to int) (n int, sum int64) {
		for h+n < len(b.q[x]) && b.items[b.q[x][h+n]].to == to {
			sum += b.items[b.q[x][h+n]].amt
			n++
		}
		return n, sum
	}
	i, sa := run(a, ha, c)
	j, sc := run(c, hc, a)
	for {
		// The two deficits cannot both be positive: they sum to
		// -(avail[a]+avail[c]) ≤ 0. A side in deficit pays more than it
		// receives, so its run is not empty.
		if d := sa - sc - b.avail[a]; d > 0 {
			i--
			sa -= b.items[b.q[a][ha+i]].amt
		} else if d := sc - sa - b.avail[c]; d > 0 {
			j--
			sc -= b.items[b.q[c][hc+j]].amt
		} else {
			break
		}
	}
	if i == 0 && j == 0 {
		return false
	}
	for n := 0; n < i; n++ {
		b.take(b.q[a][ha+n])
	}
	for n := 0; n < j; n++ {
		b.take(b.q[c][hc+n])
	}
	push(c)
	return true
}

// multilateral takes every transfer not yet chosen, drops transfers by the
// deficit rule until every position is covered, and chooses what is left
// (in queue order).
func (b *book) multilateral() error {
	n := len(b.accounts)
	end, pos := make([]int, n), make([]int64, n)
	copy(pos, b.avail)
	for a := range b.accounts {
		end[a] = len(b.q[a])
		for _, k := range b.q[a][b.head[a]:] {
			pos[a] -= b.items[k].amt
			pos[b.items[k].to] += b.items[k].amt
		}
	}
	if err := b.shrink(b.head, end, pos); err != nil {
		return err
	}
	var add []int
	for a := range b.accounts {
		add = append(add, b.q[a][b.head[a]:end[a]]...)
	}
	sort.Ints(add)
	for _, k := range add {
		b.take(k)
	}
	return nil
}

// shrink applies the deficit rule to the set that holds, for each payer a,
// its queue entries start[a] to end[a]: while some position pos (base
// balance + net over the set) is negative, drop the last transfer of the
// account with the largest deficit (ties: lower account index). It
// updates end and pos.
func (b *book) shrink(start, end []int, pos []int64) error {
	h := &deficits{}
	for a, p := range pos {
		if p < 0 {
			h.entries = append(h.entries, deficit{def: -p, acct: a})
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		e := heap.Pop(h).(deficit)
		a := e.acct
		if pos[a] >= 0 || -pos[a] != e.def {
			continue // stale: a's deficit changed since this entry
		}
		if end[a] <= start[a] {
			return fmt.Errorf("%w: account %s is short %d with nothing left to drop", ErrInternal, b.accounts[a], e.def)
		}
		end[a]--
		it := &b.items[b.q[a][end[a]]]
		pos[a] += it.amt
		pos[it.to] -= it.amt
		if pos[a] < 0 {
			heap.Push(h, deficit{def: -pos[a], acct: a})
		}
		if pos[it.to] < 0 {
			heap.Push(h, deficit{def: -pos[it.to], acct: it.to})
		}
	}
	return nil
}

// limit enforces the cycle limits on what is chosen (see the package
// documentation) and reports whether it dropped anything.
func (b *book) limit(maxCycle, maxDebtors int) (bool, error) {
	n := len(b.accounts)
	debtors := func(pos []int64) (count, smallest int) {
		smallest = -1
		for a := range pos {
			if d := b.bal0[a] - pos[a]; d > 0 { // net debit
				count++
				if smallest < 0 || d < b.bal0[smallest]-pos[smallest] {
					smallest = a
				}
			}
		}
		return count, smallest
	}
	if c, _ := debtors(b.avail); len(b.chosen) <= maxCycle && c <= maxDebtors {
		return false, nil
	}
	keep := b.chosen[:min(len(b.chosen), maxCycle)]
	start, end, pos := make([]int, n), make([]int, n), make([]int64, n)
	copy(pos, b.bal0)
	for _, k := range keep {
		it := &b.items[k]
		end[it.from]++ // keep holds a prefix of each payer's queue
		pos[it.from] -= it.amt
		pos[it.to] += it.amt
	}
	for {
		if err := b.shrink(start, end, pos); err != nil {
			return false, err
		}
		c, a := debtors(pos)
		if c <= maxDebtors {
			break
		}
		end[a]-- // a net debtor pays something, so its part is not empty
		it := &b.items[b.q[a][end[a]]]
		pos[a] += it.amt
		pos[it.to] -= it.amt
	}
	kept := b.chosen[:0]
	for _, k := range keep {
		if it := &b.items[k]; it.qpos < end[it.from] {
			kept = append(kept, k)
		}
	}
	b.chosen = kept
	copy(b.avail, pos)
	return true, nil
}

// deficit is a heap entry: the largest deficit first, then the lower
// account index.
type deficit struct {
	def  int64
	acct int
}

type deficits struct{ entries []deficit }

func (h *deficits) Len() int { return len(h.entries) }
func (h *deficits) Less(i, j int) bool {
	x, y := h.entries[i], h.entries[j]
	if x.def != y.def {
		return x.def > y.def
	}
	return x.acct < y.acct
}
func (h *deficits) Swap(i, j int) { h.entries[i], h.entries[j] = h.entries[j], h.entries[i] }
func (h *deficits) Push(x any)    { h.entries = append(h.entries, x.(deficit)) }
func (h *deficits) Pop() any {
	e := h.entries[len(h.entries)-1]
	h.entries = h.entries[:len(h.entries)-1]
	return e
}
