package selection_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
)

// ledger is a fixed table of unspent outputs.
type ledger map[string][]selection.Output

func (l ledger) Outputs(_ context.Context, _, account string) ([]selection.Output, error) {
	return l[account], nil
}

// With selects, runs the payment and releases the inputs however the
// payment ends.
func ExampleSelector_With() {
	s := selection.New(ledger{"reserve": {{ID: "tx1.0", Amount: 500}, {ID: "tx2.0", Amount: 120}}}, selection.Options{})
	err := s.With(context.Background(), "client", "reserve", money.Amount(100), func(l *selection.Lease) error {
		fmt.Println("spend", l.IDs(), "total", l.Total)
		return nil // committed: the inputs are released as spent
	})
	fmt.Println(err, s.Locked())
	// Output:
	// spend [tx2.0] total 1.20
	// <nil> 0
}

// A batch selects the inputs of all its items in one step; items of one
// account never wait for each other.
func ExampleSelector_SelectBatch() {
	s := selection.New(ledger{"a": {{ID: "tx1.0", Amount: 100}}}, selection.Options{})
	_, err := s.SelectBatch(context.Background(), "client", []selection.Want{
		{Account: "a", Amount: 30},
		{Account: "a", Amount: 40},
	})
	var ie *selection.ItemError
	fmt.Println(errors.As(err, &ie), ie.Index, errors.Is(err, selection.ErrInsufficientFunds))
	// Output:
	// true 0 true
}
