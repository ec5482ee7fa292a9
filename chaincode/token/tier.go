package token

import (
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// Tier is a set of limits, modelled on e-CNY wallet classes. A zero limit
// means "no limit".
type Tier struct {
	Name       string       `json:"name"`
	BalanceCap money.Amount `json:"balanceCap"`
	PerPayment money.Amount `json:"perPayment"`
	Daily      money.Amount `json:"daily"`
}

// TierByName returns the tier with the given name.
func TierByName(name string) (Tier, bool) {
	switch name {
	case api.TierClassIV:
		return Tier{Name: api.TierClassIV, BalanceCap: money.Yuan(10_000), PerPayment: money.Yuan(2_000), Daily: money.Yuan(5_000)}, true
	case api.TierClassII:
		return Tier{Name: api.TierClassII, BalanceCap: money.Yuan(500_000), PerPayment: money.Yuan(50_000), Daily: money.Yuan(100_000)}, true
	case api.TierUnlimited:
		return Tier{Name: api.TierUnlimited}, true
	}
	return Tier{}, false
}

// HasDailyLimit reports whether outflow must be counted per day.
func (t Tier) HasDailyLimit() bool { return t.Daily > 0 }

// HasBalanceCap reports whether a credit must read the balance first.
func (t Tier) HasBalanceCap() bool { return t.BalanceCap > 0 }

// CheckOutflow checks one payment of amount against the per-payment limit
// and, given today's outflow so far, the daily limit. It returns today's
// outflow including this payment.
func (t Tier) CheckOutflow(amount, todaySoFar money.Amount) (money.Amount, error) {
	if t.PerPayment > 0 && amount > t.PerPayment {
		return 0, api.Errorf(api.CodeLimitExceeded, "amount %s exceeds the %s per-payment limit %s", amount, t.Name, t.PerPayment)
	}
	total, err := money.Add(todaySoFar, amount)
	if err != nil {
		return 0, api.Errorf(api.CodeInvalidArgument, "daily outflow overflows")
	}
	if t.Daily > 0 && total > t.Daily {
		return 0, api.Errorf(api.CodeLimitExceeded, "daily outflow %s would exceed the %s daily limit %s (already %s today)", total, t.Name, t.Daily, todaySoFar)
	}
	return total, nil
}

// CheckCredit checks that crediting amount to an account holding balance
// in outputs unspent outputs stays within the cap, and that the account
// does not hold api.MaxCappedOutputs outputs already: a stranger cannot
// flood a capped wallet with dust (its owner merges to take credits again).
func (t Tier) CheckCredit(balance money.Amount, outputs int, amount money.Amount) error {
	if t.BalanceCap == 0 {
		return nil
	}
	if outputs >= api.MaxCappedOutputs {
		// The message names no count and no balance: a payer must not learn
		// another bank's customer's holdings from a refused credit.
		return api.Errorf(api.CodeLimitExceeded, "the payee holds the most unspent outputs a %s account may (%d); it must merge them first", t.Name, api.MaxCappedOutputs)
	}
	total, err := money.Add(balance, amount)
	if err != nil || total > t.BalanceCap {
		return api.Errorf(api.CodeBalanceCapExceeded, "crediting %s would take the payee past the %s balance cap %s", amount, t.Name, t.BalanceCap)
	}
	return nil
}
