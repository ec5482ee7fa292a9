package interbank

import (
	"fmt"
	"sort"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// StatusTotal counts the transfers of one status and their value.
type StatusTotal struct {
	Status string       `json:"status"`
	Count  int          `json:"count"`
	Value  money.Amount `json:"value"`
}

// BankNet is one bank's settled gross flows of a day and its net.
type BankNet struct {
	Bank     string       `json:"bank"`
	MSP      string       `json:"msp"`
	Sent     money.Amount `json:"sent"`
	Received money.Amount `json:"received"`
	Net      money.Amount `json:"net"`
}

// PairFlow is the value settled from one province to another.
type PairFlow struct {
	FromMSP string       `json:"fromMsp"`
	ToMSP   string       `json:"toMsp"`
	Count   int          `json:"count"`
	Value   money.Amount `json:"value"`
}

// Report is a value date's reconciliation: every transfer counted under
// exactly one status, each bank's settled flows, the flows between
// provinces, and the sum of the banks' nets, which is zero when the day
// reconciles (settlement moves reserves between banks, never creates or
// destroys them).
type Report struct {
	Date      string        `json:"date"`
	Transfers int           `json:"transfers"`
	Statuses  []StatusTotal `json:"statuses"`
	Banks     []BankNet     `json:"banks"`
	Pairs     []PairFlow    `json:"pairs"`
	NetTotal  money.Amount  `json:"netTotal"`
	Balanced  bool          `json:"balanced"`
}

// Reconciler accumulates a day's transfers, page by page.
type Reconciler struct {
	date     string
	seen     map[string]bool
	statuses map[string]*StatusTotal
	banks    map[string]*BankNet
	pairs    map[[2]string]*PairFlow
	max      int
}

// NewReconciler reconciles date over at most max transfers.
func NewReconciler(date string, max int) *Reconciler {
	return &Reconciler{date: date, seen: map[string]bool{}, statuses: map[string]*StatusTotal{},
		banks: map[string]*BankNet{}, pairs: map[[2]string]*PairFlow{}, max: max}
}

// Add counts one transfer; a transfer of another date, a second sighting
// of one, an unknown status or more than max transfers are errors.
func (r *Reconciler) Add(t api.InterbankTransfer) error {
	if t.ValueDate != r.date {
		return fmt.Errorf("transfer %s has value date %s, not %s", t.ID, t.ValueDate, r.date)
	}
	if r.seen[t.ID] {
		return fmt.Errorf("transfer %s is listed twice", t.ID)
	}
	if len(r.seen) == r.max {
		return fmt.Errorf("more than %d transfers on %s", r.max, r.date)
	}
	switch t.Status {
	case api.TransferSettled, api.TransferQueued, api.TransferHeld, api.TransferCancelled, api.TransferRejected:
	default:
		return fmt.Errorf("transfer %s has unknown status %q", t.ID, t.Status)
	}
	r.seen[t.ID] = true
	st := r.statuses[t.Status]
	if st == nil {
		st = &StatusTotal{Status: t.Status}
		r.statuses[t.Status] = st
	}
	st.Count++
	var err error
	if st.Value, err = money.Add(st.Value, t.Amount); err != nil {
		return err
	}
	if t.Status != api.TransferSettled {
		return nil
	}
	from, to := r.bank(t.FromBank, t.FromMSP), r.bank(t.ToBank, t.ToMSP)
	if from.Sent, err = money.Add(from.Sent, t.Amount); err != nil {
		return err
	}
	if to.Received, err = money.Add(to.Received, t.Amount); err != nil {
		return err
	}
	k := [2]string{t.FromMSP, t.ToMSP}
	p := r.pairs[k]
	if p == nil {
		p = &PairFlow{FromMSP: t.FromMSP, ToMSP: t.ToMSP}
		r.pairs[k] = p
	}
	p.Count++
	p.Value, err = money.Add(p.Value, t.Amount)
	return err
}

func (r *Reconciler) bank(code, msp string) *BankNet {
	b := r.banks[code]
	if b == nil {
		b = &BankNet{Bank: code, MSP: msp}
		r.banks[code] = b
	}
	return b
}

// Report returns the reconciliation so far, in a stable order.
func (r *Reconciler) Report() (Report, error) {
	rep := Report{Date: r.date, Transfers: len(r.seen), Statuses: []StatusTotal{}, Banks: []BankNet{}, Pairs: []PairFlow{}}
	for _, s := range api.SortedKeys(r.statuses) {
		rep.Statuses = append(rep.Statuses, *r.statuses[s])
	}
	for _, code := range api.SortedKeys(r.banks) {
		b := *r.banks[code]
		var err error
		if b.Net, err = money.Sub(b.Received, b.Sent); err != nil {
			return rep, err
		}
		if rep.NetTotal, err = money.Add(rep.NetTotal, b.Net); err != nil {
			return rep, err
		}
		rep.Banks = append(rep.Banks, b)
	}
	for _, p := range r.pairs {
		rep.Pairs = append(rep.Pairs, *p)
	}
	sort.Slice(rep.Pairs, func(i, j int) bool {
		a, b := rep.Pairs[i], rep.Pairs[j]
		return a.FromMSP < b.FromMSP || a.FromMSP == b.FromMSP && a.ToMSP < b.ToMSP
	})
	rep.Balanced = rep.NetTotal == 0
	return rep, nil
}
