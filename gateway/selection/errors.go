package selection

import (
	"errors"
	"fmt"
	"strings"

	"github.com/yangtze-delta/settlement/money"
)

// Errors returned by the Selector. Callers branch with errors.Is; the
// errors of [Selector.SelectBatch] wrap them in a [*BatchError].
var (
	// ErrInsufficientFunds: the account's unspent outputs do not cover the
	// amount (for a batch: what is left after the account's other items).
	ErrInsufficientFunds = errors.New("selection: insufficient funds")
	// ErrFundsLocked: the funds exist but stayed locked by in-flight payments
	// for the whole wait.
	ErrFundsLocked = errors.New("selection: funds locked by in-flight payments")
	// ErrTooFragmented: covering the amount needs more than MaxInputs
	// outputs; merge first.
	ErrTooFragmented = errors.New("selection: too many outputs needed; consolidate the account")
	// ErrNothingToMerge: fewer than two unlocked outputs.
	ErrNothingToMerge = errors.New("selection: nothing to merge")
	// ErrInvalidAmount: the amount is zero or negative.
	ErrInvalidAmount = errors.New("selection: amount must be positive")
	// ErrTooManyAccounts: MaxAccounts accounts are tracked and every one of
	// them has an outstanding lease or a call in progress, so none can be
	// evicted for a new one. Retry once leases are released.
	ErrTooManyAccounts = errors.New("selection: too many accounts in flight")
	// ErrBatchTooLarge: a batch has more than MaxBatchItems items.
	ErrBatchTooLarge = errors.New("selection: batch too large")
)

// ItemError says why one item of a batch could not be covered. Err wraps
// [ErrInsufficientFunds], [ErrTooFragmented], [ErrFundsLocked] or
// [ErrInvalidAmount].
type ItemError struct {
	// Index is the item's position in the wants given to SelectBatch.
	Index   int
	Account string
	Amount  money.Amount
	Err     error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("item %d: %v", e.Index, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// BatchError lists the items of a batch that could not be covered, in index
// order (at least one). errors.Is(err, ErrInsufficientFunds) holds when it
// holds for any item; errors.As(err, &itemErr) finds the first item.
type BatchError struct {
	Items []*ItemError
}

func (e *BatchError) Error() string {
	parts := make([]string, len(e.Items))
	for i, it := range e.Items {
		parts[i] = it.Error()
	}
	return "selection: batch: " + strings.Join(parts, "; ")
}

// Unwrap returns the item errors.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Items))
	for i, it := range e.Items {
		errs[i] = it
	}
	return errs
}
