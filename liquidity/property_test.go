package liquidity

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/money"
)

// queueOrder is the payer's queue order, written again here (priority,
// Seq, ID) so that the checks do not lean on the solver's own.
func queueOrder(a, b Transfer) int {
	return cmp.Or(cmp.Compare(api.PriorityRank(a.Priority), api.PriorityRank(b.Priority)),
		cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.ID, b.ID))
}

// checkPlan checks p against the chaincode's verification and the queue
// rules, independently of the solver.
func checkPlan(t *testing.T, cfg Config, snap Snapshot, p Plan) {
	t.Helper()
	if len(p.Transfers) > cfg.MaxCycle {
		t.Fatalf("%s: %d transfers, limit %d", p.Method, len(p.Transfers), cfg.MaxCycle)
	}
	// The chaincode's verification: Nets, then Cover with each net debtor's
	// whole balance as its inputs.
	legs := make([]interbank.Leg, len(p.Transfers))
	for i, x := range p.Transfers {
		legs[i] = interbank.Leg{ID: x.ID, From: x.From, To: x.To, Amount: x.Amount}
	}
	nets, err := interbank.Nets(legs)
	if err != nil {
		t.Fatalf("%s: Nets: %v", p.Method, err)
	}
	inputs := map[string]money.Amount{}
	for _, n := range nets {
		if n.Net < 0 {
			inputs[n.Account] = snap.Balances[n.Account]
		}
	}
	if debits := p.Debits(); len(debits) != len(inputs) {
		t.Fatalf("%s: Debits %v, net debtors %v", p.Method, debits, inputs)
	} else {
		for _, n := range nets {
			if n.Net < 0 && debits[n.Account] != -n.Net {
				t.Fatalf("%s: Debits[%s] = %s, net %s", p.Method, n.Account, debits[n.Account], n.Net)
			}
		}
	}
	if len(inputs) > cfg.MaxDebtors {
		t.Fatalf("%s: %d net debtors, limit %d", p.Method, len(inputs), cfg.MaxDebtors)
	}
	used, err := interbank.Cover(nets, inputs)
	if err != nil {
		t.Fatalf("%s: Cover rejects the plan %v: %v", p.Method, p.IDs(), err)
	}
	if used != p.Liquidity || !slices.Equal(nets, p.Positions) {
		t.Fatalf("%s: plan says liquidity %s positions %v; verification %s %v", p.Method, p.Liquidity, p.Positions, used, nets)
	}
	var gross money.Amount
	for _, x := range p.Transfers {
		gross += x.Amount
	}
	if gross != p.Gross {
		t.Fatalf("%s: Gross %s, transfers sum to %s", p.Method, p.Gross, gross)
	}
	if !slices.IsSortedFunc(p.Transfers, queueOrder) {
		t.Fatalf("%s: transfers not in queue order: %v", p.Method, p.IDs())
	}
	// Every settled transfer is one of the snapshot's, once; per payer the
	// settled ones are a prefix of its queue.
	byID := map[string]Transfer{}
	queues := map[string][]Transfer{}
	for _, x := range snap.Transfers {
		byID[x.ID] = x
		queues[x.From] = append(queues[x.From], x)
	}
	settled := map[string]bool{}
	for _, x := range p.Transfers {
		if byID[x.ID] != x {
			t.Fatalf("%s: %+v is not in the snapshot as such", p.Method, x)
		}
		if settled[x.ID] {
			t.Fatalf("%s: %s settled twice", p.Method, x.ID)
		}
		settled[x.ID] = true
	}
	for payer, q := range queues {
		slices.SortFunc(q, queueOrder)
		gap := false
		for _, x := range q {
			if !settled[x.ID] {
				gap = true
			} else if gap {
				t.Fatalf("%s: %s settles while an earlier transfer of %s waits (queue %v, plan %v)", p.Method, x.ID, payer, ids(q), p.IDs())
			}
		}
	}
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func ids(ts []Transfer) []string {
	out := make([]string, len(ts))
	for i, x := range ts {
		out[i] = x.ID
	}
	return out
}

// randomSnapshot draws a small snapshot: few accounts so that queues
// interact, repeated Seq values so that the ID tie-break matters.
func randomSnapshot(r *rand.Rand, maxTransfers int) Snapshot {
	nAcct := 2 + r.IntN(6)
	acct := func() string { return fmt.Sprintf("K%d", r.IntN(nAcct)) }
	snap := Snapshot{Balances: map[string]money.Amount{}}
	for i := 0; i < nAcct; i++ {
		if r.IntN(3) > 0 {
			snap.Balances[fmt.Sprintf("K%d", i)] = money.Amount(r.IntN(150))
		}
	}
	n := r.IntN(maxTransfers + 1)
	for i := 0; i < n; i++ {
		from, to := acct(), acct()
		for to == from {
			to = acct()
		}
		p := api.PriorityNormal
		if r.IntN(5) == 0 {
			p = api.PriorityUrgent
		}
		snap.Transfers = append(snap.Transfers, Transfer{ID: fmt.Sprintf("t%03d", i), From: from, To: to,
			Amount: money.Amount(1 + r.IntN(100)), Priority: p, Seq: fmt.Sprintf("%03d", r.IntN(n+1))})
	}
	return snap
}

// TestProperties runs random snapshots through every method and checks
// every plan against the chaincode's verification and the queue rules;
// that the plan does not depend on the order of the snapshot; and, when
// no limit cut the plans, that no payer's next transfer could still settle
// gross and that FIFO ⊆ Bilateral ⊆ Multilateral.
func TestProperties(t *testing.T) {
	configs := map[string]Config{
		"default":       DefaultConfig(),
		"small cycles":  {MaxTransfers: 1000, MaxCycle: 3, MaxDebtors: 64},
		"few debtors":   {MaxTransfers: 1000, MaxCycle: 1000, MaxDebtors: 1},
		"tight at once": {MaxTransfers: 1000, MaxCycle: 5, MaxDebtors: 2},
	}
	for _, name := range api.SortedKeys(configs) {
		cfg := configs[name]
		t.Run(name, func(t *testing.T) {
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			for i := 0; i < 1500; i++ {
				snap := randomSnapshot(r, 30)
				shuffled := Snapshot{Transfers: slices.Clone(snap.Transfers), Balances: snap.Balances}
				r.Shuffle(len(shuffled.Transfers), func(i, j int) {
					shuffled.Transfers[i], shuffled.Transfers[j] = shuffled.Transfers[j], shuffled.Transfers[i]
				})
				var prev Plan
				for _, m := range Methods() {
					p, err := s.Solve(m, snap)
					if err != nil {
						t.Fatalf("case %d %s: %v", i, m, err)
					}
					checkPlan(t, cfg, snap, p)
					q, err := s.Solve(m, shuffled)
					if err != nil || !slices.Equal(p.IDs(), q.IDs()) {
						t.Fatalf("case %d %s: shuffled snapshot gives %v (%v), want %v", i, m, q.IDs(), err, p.IDs())
					}
					if !p.Capped {
						checkNoHeadFits(t, snap, p)
					}
					if m != FIFO && !p.Capped && !prev.Capped && !subset(prev.IDs(), p.IDs()) {
						t.Fatalf("case %d: %s settles %v, not all of what %s settles %v", i, m, p.IDs(), prev.Method, prev.IDs())
					}
					prev = p
				}
			}
		})
	}
}

// checkNoHeadFits: after the plan, no payer's first unsettled transfer is
// covered by its balance (the gross phase ran to its end).
func checkNoHeadFits(t *testing.T, snap Snapshot, p Plan) {
	t.Helper()
	after := map[string]money.Amount{}
	for a, b := range snap.Balances {
		after[a] = b
	}
	for _, n := range p.Positions {
		after[n.Account] += n.Net
	}
	settled := map[string]bool{}
	for _, x := range p.Transfers {
		settled[x.ID] = true
	}
	queues := map[string][]Transfer{}
	for _, x := range snap.Transfers {
		queues[x.From] = append(queues[x.From], x)
	}
	for payer, q := range queues {
		slices.SortFunc(q, queueOrder)
		for _, x := range q {
			if settled[x.ID] {
				continue
			}
			if x.Amount <= after[payer] {
				t.Fatalf("%s: %s (%s) is %s's next transfer and fits its balance %s after the plan %v", p.Method, x.ID, x.Amount, payer, after[payer], p.IDs())
			}
			break
		}
	}
}

// TestAgainstExhaustive compares Multilateral with every prefix-closed
// set, enumerated on tiny snapshots: it settles exactly the largest one
// that is covered (see the package documentation for why), and so
// everything whenever everything can settle at once.
func TestAgainstExhaustive(t *testing.T) {
	s, err := New(Config{MaxTransfers: 100, MaxCycle: 1000, MaxDebtors: 64})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	cases := 0
	for i := 0; i < 3000; i++ {
		snap := randomSnapshot(r, 8)
		queues := map[string][]Transfer{}
		for _, x := range snap.Transfers {
			queues[x.From] = append(queues[x.From], x)
		}
		payers := api.SortedKeys(queues)
		for _, a := range payers {
			slices.SortFunc(queues[a], queueOrder)
		}
		// Enumerate every vector of prefix lengths.
		lens := make([]int, len(payers))
		var covered [][]Transfer
		allCovered := false
		for {
			var set []Transfer
			for j, a := range payers {
				set = append(set, queues[a][:lens[j]]...)
			}
			if _, _, err := Verify(set, snap.Balances); err == nil {
				covered = append(covered, set)
				if len(set) == len(snap.Transfers) {
					allCovered = true
				}
			}
			j := 0
			for ; j < len(payers); j++ {
				if lens[j] < len(queues[payers[j]]) {
					lens[j]++
					break
				}
				lens[j] = 0
			}
			if j == len(payers) {
				break
			}
		}
		// The largest covered set contains every covered set.
		largest := covered[0] // the empty set
		for _, set := range covered {
			if len(set) > len(largest) {
				largest = set
			}
		}
		for _, set := range covered {
			if !subset(ids(set), ids(largest)) {
				t.Fatalf("case %d: covered set %v is not inside the largest %v", i, ids(set), ids(largest))
			}
		}
		slices.SortFunc(largest, queueOrder)
		p, err := s.Solve(Multilateral, snap)
		if err != nil {
			t.Fatal(err)
		}
		if allCovered && len(p.Transfers) != len(snap.Transfers) {
			t.Fatalf("case %d: everything can settle at once, Multilateral settles %v of %v", i, p.IDs(), ids(snap.Transfers))
		}
		if !slices.Equal(p.IDs(), ids(largest)) {
			t.Fatalf("case %d: Multilateral settles %v, the largest covered prefix-closed set is %v", i, p.IDs(), ids(largest))
		}
		cases++
	}
	t.Logf("%d snapshots", cases)
}
