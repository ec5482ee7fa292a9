package liquidity

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// bigSnapshot is a snapshot at the input bound: n transfers among banks
// accounts, amounts 1 to 1000 yuan, each bank holding a tenth of its
// queued outflow.
func bigSnapshot(n, banks int) Snapshot {
	r := rand.New(rand.NewPCG(7, 7))
	snap := Snapshot{Balances: map[string]money.Amount{}}
	out := map[string]money.Amount{}
	for i := 0; i < n; i++ {
		from, to := r.IntN(banks), r.IntN(banks)
		for to == from {
			to = r.IntN(banks)
		}
		t := Transfer{ID: fmt.Sprintf("T:%06d", i), From: fmt.Sprintf("B%02d", from), To: fmt.Sprintf("B%02d", to),
			Amount: money.Yuan(1 + r.Int64N(1000)), Priority: api.PriorityNormal, Seq: fmt.Sprintf("%09d", i)}
		snap.Transfers = append(snap.Transfers, t)
		out[t.From] += t.Amount
	}
	for a, o := range out {
		snap.Balances[a] = o / 10
	}
	return snap
}

// runsSnapshot is the bilateral phase's worst case: A and B each queue a
// long run to the other that cannot offset (A's first transfer is larger
// than everything B sends), while C pays A in many small steps, each of
// which makes the solver revisit A.
func runsSnapshot(n int) Snapshot {
	snap := Snapshot{Balances: map[string]money.Amount{"C": money.Amount(n)}}
	add := func(id, from, to string, amt money.Amount, seq int) {
		snap.Transfers = append(snap.Transfers, Transfer{ID: id, From: from, To: to, Amount: amt, Priority: api.PriorityNormal, Seq: fmt.Sprintf("%09d", seq)})
	}
	third := n / 4
	add("A:0", "A", "B", money.Amount(10*n), 0)
	for i := 1; i < third; i++ {
		add(fmt.Sprintf("A:%d", i), "A", "B", 1, i)
		add(fmt.Sprintf("B:%d", i), "B", "A", 1, i)
		add(fmt.Sprintf("C:%d", i), "C", "D", 1, i)
	}
	for i := 1; i < third; i++ {
		add(fmt.Sprintf("CA:%d", i), "C", "A", 1, third+i)
	}
	return snap
}

func BenchmarkSolve(b *testing.B) {
	s, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		snap func() Snapshot
	}{
		{"100k transfers 20 banks", func() Snapshot { return bigSnapshot(100_000, 20) }},
		{"100k transfers 64 banks", func() Snapshot { return bigSnapshot(100_000, 64) }},
		{"1k transfers 20 banks", func() Snapshot { return bigSnapshot(1000, 20) }},
		{"long runs 99k", func() Snapshot { return runsSnapshot(99_000) }},
	}
	for _, c := range cases {
		for _, m := range Methods() {
			b.Run(c.name+"/"+m.String(), func(b *testing.B) {
				snap := c.snap()
				for b.Loop() { // the timer starts here
					if _, err := s.Solve(m, snap); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
