package interbankcc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// Settle runs one liquidity-saving cycle: every named transfer must be
// queued and due; the net position of every settlement account over them
// is computed (package interbank), each net debtor's debit must be covered
// by its inputs (named in the request, or else read from its unearmarked
// outputs in key order), and then all of them settle at once: the
// debtors' inputs are spent, each debtor gets its change and each net
// creditor one output of its net credit, while every transfer is recorded
// gross (statement entries, legs, events). The solver that chose the
// transfers is not trusted: whatever it names, nobody ends uncovered and
// nothing settles that was not queued. Two cycles naming the same transfer
// conflict on it; one of them fails validation and is recomputed.
func (c *Contract) Settle(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.SettleCycle, request, func(c call, r api.CycleRequest) (api.CycleResult, error) {
		var none api.CycleResult
		if ns := api.NamespaceOf(r.ID); ns != c.Caller.Bank && ns != c.Caller.MSPID {
			return none, api.Errorf(api.CodeForbidden, "cycle ID %s is not in the caller's namespace (%s:… or %s:…)", r.ID, c.Caller.Bank, c.Caller.MSPID)
		}
		ck, err := c.st.Key(nsCycle, r.ID)
		if err != nil {
			return none, err
		}
		var old api.CycleResult
		if ok, err := c.st.GetJSON(ck, &old); err != nil {
			return none, err
		} else if ok {
			return none, api.Errorf(api.CodeAlreadyExists, "cycle %s settled in transaction %s", r.ID, old.TxID)
		}
		cal, err := c.calendar()
		if err != nil {
			return none, err
		}
		transfers := make([]api.InterbankTransfer, len(r.Transfers))
		keys := make([]string, len(r.Transfers))
		legs := make([]interbank.Leg, len(r.Transfers))
		var gross money.Amount
		for i, id := range r.Transfers {
			t, k, err := c.transfer(id)
			if err != nil {
				return none, err
			}
			if t.Status != api.TransferQueued {
				return none, api.Errorf(api.CodeNotQueued, "transfer %s is %s", id, t.Status)
			}
			if !interbank.Due(cal, t.ValueDate, c.Time) {
				return none, api.Errorf(api.CodeNotQueued, "transfer %s has value date %s, which is not open for settlement now", id, t.ValueDate)
			}
			transfers[i], keys[i] = t, k
			legs[i] = interbank.Leg{ID: id, From: t.From, To: t.To, Amount: t.Amount}
			if gross, err = money.Add(gross, t.Amount); err != nil {
				return none, api.Errorf(api.CodeInvalidArgument, "the cycle's gross value overflows")
			}
		}
		nets, err := interbank.Nets(legs)
		if err != nil {
			return none, err
		}
		// Every account of the cycle must still be usable; each debtor's
		// inputs are resolved and summed.
		owners := map[string]string{}
		debits := map[string]money.Amount{}
		for _, n := range nets {
			a, err := c.settlementAccount(n.Account, n.Net < 0)
			if err != nil {
				return none, err
			}
			owners[a.ID] = a.OwnerMSP
			if n.Net < 0 {
				debits[a.ID] = -n.Net
			}
		}
		var spent []api.Output
		totals := map[string]money.Amount{}
		for _, acct := range api.SortedKeys(r.Inputs) {
			if _, ok := owners[acct]; !ok {
				return none, api.Errorf(api.CodeInvalidArgument, "inputs are named for %s, which no transfer of the cycle involves", acct)
			}
			in, total, err := c.plainInputs(acct, r.Inputs[acct])
			if err != nil {
				return none, err
			}
			spent, totals[acct] = append(spent, in...), total
		}
		for _, acct := range api.SortedKeys(debits) {
			if _, named := r.Inputs[acct]; named {
				continue
			}
			in, total, err := c.cover(acct, debits[acct])
			if err != nil {
				return none, err
			}
			spent, totals[acct] = append(spent, in...), total
		}
		used, err := interbank.Cover(nets, totals)
		if err != nil {
			return none, err
		}
		tx := c.st.Tx()
		sp := token.Spend{Delete: spent}
		for _, n := range nets {
			switch {
			case n.Net > 0:
				sp.Create = append(sp.Create, token.NewOutput(tx, n.Account, n.Net, nil))
			case n.Net < 0:
				if change := totals[n.Account] + n.Net; change > 0 {
					sp.Create = append(sp.Create, token.NewOutput(tx, n.Account, change, nil))
				}
			}
		}
		if err := c.st.ApplySpend(sp, func(acct string) string { return owners[acct] }); err != nil {
			return none, err
		}
		for i, t := range transfers {
			if err := c.dequeue(t); err != nil {
				return none, err
			}
			if _, err := c.settled(keys[i], t, r.ID); err != nil {
				return none, err
			}
		}
		res := api.CycleResult{ID: r.ID, Settled: len(transfers), Gross: gross, Positions: nets, Liquidity: used, TxID: c.TxID}
		if err := c.st.PutJSON(ck, res, nil); err != nil {
			return none, err
		}
		return res, nil
	})
}

// cover reads account's unearmarked outputs in key order until they cover
// debit (at most api.MaxCycleScan outputs).
func (c call) cover(account string, debit money.Amount) ([]api.Output, money.Amount, error) {
	var in []api.Output
	var total money.Amount
	truncated, err := scan(c, tokenOutputs, []string{account}, api.MaxCycleScan, func(_ []string, o api.Output) (bool, error) {
		if o.Earmark != nil || o.Account != account {
			return true, nil
		}
		in = append(in, o)
		var err error
		if total, err = money.Add(total, o.Amount); err != nil {
			return false, api.Errorf(api.CodeInvalidArgument, "outputs of %s overflow", account)
		}
		return total < debit, nil
	})
	if err != nil {
		return nil, 0, err
	}
	if total < debit {
		more := ""
		if truncated {
			more = " within its first outputs; merge them"
		}
		return nil, 0, api.Errorf(api.CodeInsufficientFunds, "account %s's net debit %s is not covered (balance read %s%s)", account, debit, total, more)
	}
	return in, total, nil
}

// EndOfDay closes a business day after its end of day: the named
// transfers still queued or held for it are rejected with the reason (the
// others are left alone), and the named settlement accounts' day-end
// balances are fixed once.
func (c *Contract) EndOfDay(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.EndOfDay, request, func(c call, r api.EndOfDayRequest) (api.EndOfDayResult, error) {
		var none api.EndOfDayResult
		cal, err := c.calendar()
		if err != nil {
			return none, err
		}
		if !interbank.PastEndOfDay(cal, r.Date, c.Time) {
			return none, api.Errorf(api.CodeDayOpen, "business day %s ends at %s (Asia/Shanghai)", r.Date, cal.EndOfDay)
		}
		res := api.EndOfDayResult{Date: r.Date, Rejected: []string{}, Closed: []api.DayEnd{}}
		for _, id := range r.Transfers {
			t, k, err := c.transfer(id)
			if err != nil {
				return none, err
			}
			if t.ValueDate != r.Date || (t.Status != api.TransferQueued && t.Status != api.TransferHeld) {
				continue
			}
			if err := c.dequeue(t); err != nil {
				return none, err
			}
			t.Status, t.Reason = api.TransferRejected, r.Reason
			if err := c.putTransfer(k, t); err != nil {
				return none, err
			}
			c.emit(api.EventRejected, t)
			res.Rejected = append(res.Rejected, id)
		}
		for _, acct := range r.Accounts {
			d, fixed, err := c.closeAccount(acct, r.Date)
			if err != nil {
				return none, err
			}
			if fixed {
				res.Closed = append(res.Closed, d)
			}
		}
		return res, nil
	})
}

// closeAccount fixes a settlement account's day-end record once.
func (c call) closeAccount(account, date string) (api.DayEnd, bool, error) {
	a, err := c.st.Account(account)
	if err != nil {
		return api.DayEnd{}, false, err
	}
	if a.Kind != api.KindSettlement {
		return api.DayEnd{}, false, api.Errorf(api.CodeInvalidArgument, "account %s is not a settlement account", account)
	}
	k, err := c.st.Key(nsDayEnd, account, date)
	if err != nil {
		return api.DayEnd{}, false, err
	}
	var old api.DayEnd
	if ok, err := c.st.GetJSON(k, &old); err != nil || ok {
		return old, false, err
	}
	bal, _, err := c.st.Balance(account)
	if err != nil {
		return api.DayEnd{}, false, err
	}
	d := api.DayEnd{Account: account, Date: date, Balance: bal, ClosedAt: c.Time, TxID: c.TxID}
	if _, err := c.legs(account, date, func(l leg) error {
		var err error
		if d.SentGross, err = money.Add(d.SentGross, l.Sent); err != nil {
			return api.Internal(err, "sum legs")
		}
		d.ReceivedGross, err = money.Add(d.ReceivedGross, l.Received)
		return err
	}); err != nil {
		return d, false, err
	}
	return d, true, c.st.PutJSON(k, d, nil)
}

// legs visits account's settled legs of date (at most api.MaxPositionRows).
func (c call) legs(account, date string, fn func(leg) error) (bool, error) {
	return scan(c, nsLeg, []string{account, date}, api.MaxPositionRows, func(_ []string, l leg) (bool, error) {
		return true, fn(l)
	})
}
