package benchcc

import (
	"math"

	"github.com/yangtze-delta/settlement/api"
)

// Move returns the balances after moving amount fen from a payer holding
// from to a payee holding to. The amount must be positive and covered.
// Errors are *api.Error (INVALID_ARGUMENT, INSUFFICIENT_FUNDS).
func Move(from, to, amount int64) (newFrom, newTo int64, err error) {
	if amount <= 0 {
		return 0, 0, api.Errorf(api.CodeInvalidArgument, "amount %d fen must be positive", amount)
	}
	if from < amount {
		return 0, 0, api.Errorf(api.CodeInsufficientFunds, "balance %d fen, amount %d fen", from, amount)
	}
	if to > math.MaxInt64-amount {
		return 0, 0, api.Errorf(api.CodeInvalidArgument, "payee balance %d fen + %d fen overflows", to, amount)
	}
	return from - amount, to + amount, nil
}
