package benchcc

import (
	"errors"
	"fmt"
	"math"
)

// Errors returned by the model, rendered to clients as "CODE: message".
var (
	ErrInvalidArgument   = errors.New("INVALID_ARGUMENT")
	ErrInsufficientFunds = errors.New("INSUFFICIENT_FUNDS")
	ErrOverflow          = errors.New("OVERFLOW")
)

// Move returns the balances after moving amount fen from a payer holding
// from to a payee holding to. The amount must be positive and covered.
func Move(from, to, amount int64) (newFrom, newTo int64, err error) {
	if amount <= 0 {
		return 0, 0, fmt.Errorf("%w: amount %d fen must be positive", ErrInvalidArgument, amount)
	}
	if from < amount {
		return 0, 0, fmt.Errorf("%w: balance %d fen, amount %d fen", ErrInsufficientFunds, from, amount)
	}
	if to > math.MaxInt64-amount {
		return 0, 0, fmt.Errorf("%w: payee balance %d fen + %d fen", ErrOverflow, to, amount)
	}
	return from - amount, to + amount, nil
}
