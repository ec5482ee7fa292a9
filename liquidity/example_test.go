package liquidity_test

import (
	"fmt"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/liquidity"
	"github.com/yangtze-delta/settlement/money"
)

// Three banks in gridlock: each owes the next 100 yuan and holds 10.
// Gross settlement (FIFO) and bilateral offsetting settle nothing; the
// multilateral cycle settles all three with no liquidity at all.
func Example() {
	snap := liquidity.Snapshot{
		Transfers: []liquidity.Transfer{
			{ID: "A:1", From: "A:settle", To: "B:settle", Amount: money.Yuan(100), Priority: api.PriorityNormal, Seq: "1"},
			{ID: "B:1", From: "B:settle", To: "C:settle", Amount: money.Yuan(100), Priority: api.PriorityNormal, Seq: "2"},
			{ID: "C:1", From: "C:settle", To: "A:settle", Amount: money.Yuan(100), Priority: api.PriorityNormal, Seq: "3"},
		},
		Balances: map[string]money.Amount{"A:settle": money.Yuan(10), "B:settle": money.Yuan(10), "C:settle": money.Yuan(10)},
	}
	solver, err := liquidity.New(liquidity.DefaultConfig())
	if err != nil {
		panic(err)
	}
	for _, m := range liquidity.Methods() {
		plan, err := solver.Solve(m, snap)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-12s settles %v gross %s with liquidity %s\n", m, plan.IDs(), plan.Gross, plan.Liquidity)
	}
	// Output:
	// fifo         settles [] gross 0.00 with liquidity 0.00
	// bilateral    settles [] gross 0.00 with liquidity 0.00
	// multilateral settles [A:1 B:1 C:1] gross 300.00 with liquidity 0.00
}
