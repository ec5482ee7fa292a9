package interbankcc

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/money"
)

// GetTransfer reads a transfer (payer's and payee's banks by scope).
func (c *Contract) GetTransfer(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetTransfer, request, func(c call, r api.TransferAction) (api.InterbankTransfer, error) {
		t, _, err := c.transfer(r.ID)
		if err != nil {
			return t, err
		}
		return t, c.visible(t)
	})
}

// GetCalendar reads the business calendar.
func (c *Contract) GetCalendar(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetCalendar, request, func(c call, _ api.Empty) (api.Calendar, error) {
		return c.calendar()
	})
}

// GetRemittance reads a transfer's remittance details from the two
// provinces' collection: only their peers hold it, and only the payer's or
// payee's bank (or compliance of either province) may ask.
func (c *Contract) GetRemittance(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetRemittance, request, func(c call, r api.TransferAction) (api.Remittance, error) {
		var none api.Remittance
		t, _, err := c.transfer(r.ID)
		if err != nil {
			return none, err
		}
		if err := c.visible(t); err != nil {
			return none, err
		}
		if t.RemittanceHash == "" {
			return none, api.Errorf(api.CodeNotFound, "transfer %s carries no remittance details", r.ID)
		}
		b, err := c.Stub.GetPrivateData(api.CollectionBilateral(t.FromMSP, t.ToMSP), remittanceKey(t.ID))
		if err != nil || b == nil {
			// A peer outside the collection holds nothing to give.
			return none, api.Errorf(api.CodeNotFound, "remittance of transfer %s (ask a peer of %s or %s)", r.ID, t.FromMSP, t.ToMSP)
		}
		var rem api.Remittance
		if err := json.Unmarshal(b, &rem); err != nil {
			return none, api.Internal(err, "decode remittance")
		}
		return rem, nil
	})
}

// Queue pages through waiting transfers in queue order: one payer
// account's (its bank, or any account for supervisors), or every bank's
// (issuers and auditors: the solver's input).
func (c *Contract) Queue(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ListQueue, request, func(c call, r api.QueueRequest) (api.QueuePage, error) {
		attrs := []string{}
		if r.Account != "" {
			a, err := c.st.Account(r.Account)
			if err != nil {
				return api.QueuePage{}, err
			}
			if err := c.Covers("account "+r.Account, dispatch.Owner{MSP: a.OwnerMSP, Bank: a.Bank}); err != nil {
				return api.QueuePage{}, err
			}
			attrs = []string{r.Account}
		} else if c.Scope != api.ScopeAny {
			return api.QueuePage{}, api.Errorf(api.CodeInvalidArgument, "name the account whose queue to read")
		}
		return c.page(nsQueue, attrs, r.PageSize, r.Bookmark, func(keyAttrs []string) string {
			return keyAttrs[len(keyAttrs)-1]
		})
	})
}

// DayTransfers pages through every transfer of a value date, whatever its
// status; rows the caller may not see are left out.
func (c *Contract) DayTransfers(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.DayTransfers, request, func(c call, r api.DayRequest) (api.TransferPage, error) {
		return c.page(nsDay, []string{r.Date}, r.PageSize, r.Bookmark, func(keyAttrs []string) string {
			return keyAttrs[len(keyAttrs)-1]
		})
	})
}

// page reads one page of an index whose last key attribute is a transfer
// ID and returns the transfers the caller may see. The bookmark must lie
// inside the index range: the peer uses it as the scan's start key.
func (c call) page(ns string, attrs []string, size int, bookmark string, idOf func([]string) string) (api.TransferPage, error) {
	prefix, err := c.st.Key(ns, attrs...)
	if err != nil {
		return api.TransferPage{}, err
	}
	if bookmark != "" && !strings.HasPrefix(bookmark, prefix) {
		return api.TransferPage{}, api.Errorf(api.CodeInvalidArgument, "bookmark is outside the requested range")
	}
	it, md, err := c.Stub.GetStateByPartialCompositeKeyWithPagination(ns, attrs, int32(api.PageSize(size)), bookmark)
	if err != nil {
		return api.TransferPage{}, api.Errorf(api.CodeInvalidArgument, "query: %v", err)
	}
	defer it.Close()
	out := api.TransferPage{Transfers: []api.InterbankTransfer{}, Bookmark: md.GetBookmark()}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return api.TransferPage{}, api.Internal(err, "query")
		}
		if !strings.HasPrefix(kv.Key, prefix) {
			return api.TransferPage{}, api.Errorf(api.CodeInvalidArgument, "bookmark is outside the requested range")
		}
		_, keyAttrs, err := c.Stub.SplitCompositeKey(kv.Key)
		if err != nil || len(keyAttrs) == 0 {
			return api.TransferPage{}, api.Errorf(api.CodeInternal, "malformed index key")
		}
		t, _, err := c.transfer(idOf(keyAttrs))
		if err != nil {
			return api.TransferPage{}, api.Internal(err, "index names a missing transfer")
		}
		if c.visible(t) == nil {
			out.Transfers = append(out.Transfers, t)
		}
	}
	return out, nil
}

// Position is a settlement account's position on a business date (today
// by default): the balance (fixed once the day is closed), what waits in
// and out of its queues now, and the day's gross settled flows per
// counterparty bank.
func (c *Contract) Position(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Position, request, func(c call, r api.PositionRequest) (api.BankPosition, error) {
		var none api.BankPosition
		a, err := c.st.Account(r.Account)
		if err != nil {
			return none, err
		}
		if err := c.Covers("account "+r.Account, dispatch.Owner{MSP: a.OwnerMSP, Bank: a.Bank}); err != nil {
			return none, err
		}
		date := r.Date
		if date == "" {
			date = api.BusinessDate(c.Time)
		}
		p := api.BankPosition{Account: a.ID, Bank: a.Bank, MSP: a.OwnerMSP, Date: date, Counterparties: []api.CounterpartyFlow{}}
		dk, err := c.st.Key(nsDayEnd, a.ID, date)
		if err != nil {
			return none, err
		}
		var d api.DayEnd
		if p.Fixed, err = c.st.GetJSON(dk, &d); err != nil {
			return none, err
		}
		if p.Fixed {
			p.Balance = d.Balance
		} else if p.Balance, _, err = c.st.Balance(a.ID); err != nil {
			return none, err
		}
		sum := func(total *money.Amount, a money.Amount) error {
			var err error
			if *total, err = money.Add(*total, a); err != nil {
				return api.Internal(err, "sum position")
			}
			return nil
		}
		truncOut, err := scan(c, nsQueue, []string{a.ID}, api.MaxPositionRows, func(_ []string, e entry) (bool, error) {
			return true, sum(&p.QueuedOut, e.Amount)
		})
		if err != nil {
			return none, err
		}
		truncIn, err := scan(c, nsInbound, []string{a.ID}, api.MaxPositionRows, func(_ []string, e entry) (bool, error) {
			return true, sum(&p.QueuedIn, e.Amount)
		})
		if err != nil {
			return none, err
		}
		flows := map[string]*api.CounterpartyFlow{}
		truncLegs, err := c.legs(a.ID, date, func(l leg) error {
			f := flows[l.CounterpartyBank]
			if f == nil {
				f = &api.CounterpartyFlow{Bank: l.CounterpartyBank}
				flows[l.CounterpartyBank] = f
			}
			for _, s := range []struct {
				total, f *money.Amount
				a        money.Amount
			}{
				{&p.SentGross, &f.Sent, l.Sent}, {&p.ReceivedGross, &f.Received, l.Received}} {
				if err := sum(s.total, s.a); err != nil {
					return err
				}
				if err := sum(s.f, s.a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return none, err
		}
		for _, f := range flows {
			p.Counterparties = append(p.Counterparties, *f)
		}
		sort.Slice(p.Counterparties, func(i, j int) bool { return p.Counterparties[i].Bank < p.Counterparties[j].Bank })
		p.Truncated = truncOut || truncIn || truncLegs
		return p, nil
	})
}
