package token

import (
	"strconv"
	"time"

	"github.com/yangtze-delta/settlement/chaincode/money"
)

// Earmark is a placeholder for a restriction on how an output may be spent
// (e.g. funds appropriated for one purpose). A later change defines its
// rules; until then the one invariant is that an earmark travels: outputs
// made from earmarked inputs carry a copy of the same earmark, and inputs
// with different earmarks are never combined.
type Earmark struct {
	Code string `json:"code"`
	Ref  string `json:"ref,omitempty"`
}

// Clone returns a deep copy, or nil for nil.
func (e *Earmark) Clone() *Earmark {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}

func sameEarmark(a, b *Earmark) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Output is one unspent amount owned by one account. Each output is its own
// ledger key; spending deletes it.
type Output struct {
	ID        string       `json:"id"`
	Account   string       `json:"account"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	Earmark   *Earmark     `json:"earmark,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
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
func (t *Tx) newOutput(account string, amount money.Amount, e *Earmark) Output {
	id := t.ID + "." + strconv.Itoa(t.next)
	t.next++
	return Output{ID: id, Account: account, Amount: amount, TxID: t.ID, Earmark: e.Clone(), CreatedAt: t.Time}
}

// Day is the UTC calendar day of the transaction, "2006-01-02", the key of
// daily-limit counters.
func (t *Tx) Day() string { return t.Time.Format("2006-01-02") }

// SplitChange divides change into n outputs (n < 1 means 1) whose amounts
// differ by at most one fen, the larger first. Zero change gives none; n is
// reduced so that no output is zero.
func SplitChange(change money.Amount, n int) []money.Amount {
	if change <= 0 {
		return nil
	}
	if n < 1 {
		n = 1
	}
	if money.Amount(n) > change {
		n = int(change)
	}
	base, rem := change/money.Amount(n), change%money.Amount(n)
	out := make([]money.Amount, n)
	for i := range out {
		out[i] = base
		if money.Amount(i) < rem {
			out[i]++
		}
	}
	return out
}
