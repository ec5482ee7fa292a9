package token

import (
	"strconv"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

func sameEarmark(a, b *api.Earmark) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// DailyOutflow is an account's cumulative outflow on one day. It exists
// only for accounts whose tier has a daily limit; it is ledger state, not
// part of the API.
type DailyOutflow struct {
	Account string       `json:"account"`
	Day     string       `json:"day"`
	Outflow money.Amount `json:"outflow"`
}

// Tx is the transaction context the planners need: its ID, its timestamp,
// and a counter that makes output IDs unique within it.
type Tx struct {
	ID   string
	Time time.Time
	next int
}

// NewTx starts numbering outputs of transaction id at 0.
func NewTx(id string, t time.Time) *Tx { return &Tx{ID: id, Time: t.UTC()} }

// newOutput allocates the next output ID: "<txID>.<n>".
func (t *Tx) newOutput(account string, amount money.Amount, e *api.Earmark) api.Output {
	id := t.ID + "." + strconv.Itoa(t.next)
	t.next++
	return api.Output{ID: id, Account: account, Amount: amount, TxID: t.ID, Earmark: e.Clone(), CreatedAt: t.Time}
}

// NewOutput allocates the transaction's next output (ID "<txID>.<n>") for
// account, carrying a copy of earmark e (nil: plain money). Contracts that
// plan their own movements (programme funding, disbursements, returns) use
// it so that output IDs stay unique within the transaction.
func NewOutput(t *Tx, account string, amount money.Amount, e *api.Earmark) api.Output {
	return t.newOutput(account, amount, e)
}
