package tokencc

import (
	"encoding/json"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/money"
)

// GetAccount returns an account record.
func (c *Contract) GetAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetAccount, request, func(s *txState, r api.AccountRequest) (api.Account, error) {
		return s.ownedAccount(r.ID)
	})
}

// GetBalance returns the sum of an account's unspent outputs.
func (c *Contract) GetBalance(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetBalance, request, func(s *txState, r api.AccountRequest) (api.Balance, error) {
		if _, err := s.ownedAccount(r.ID); err != nil {
			return api.Balance{}, err
		}
		b, _, err := s.balance(r.ID)
		if err != nil {
			return api.Balance{}, err
		}
		return api.Balance{Account: r.ID, Balance: b}, nil
	})
}

// ListOutputs pages through an account's unspent outputs in key order.
func (c *Contract) ListOutputs(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ListOutputs, request, func(s *txState, r api.ListOutputsRequest) (api.OutputPage, error) {
		if _, err := s.ownedAccount(r.Account); err != nil {
			return api.OutputPage{}, err
		}
		if err := s.bookmarkWithin(nsOutput, r.Account, r.Bookmark); err != nil {
			return api.OutputPage{}, err
		}
		it, md, err := s.stub.GetStateByPartialCompositeKeyWithPagination(nsOutput, []string{r.Account}, int32(api.PageSize(r.PageSize)), r.Bookmark)
		if err != nil {
			return api.OutputPage{}, api.Errorf(api.CodeInvalidArgument, "query outputs: %v", err)
		}
		defer it.Close()
		page := api.OutputPage{Outputs: []api.Output{}, Bookmark: md.GetBookmark()}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return api.OutputPage{}, api.Internal(err, "query outputs")
			}
			var o api.Output
			if err := json.Unmarshal(kv.Value, &o); err != nil {
				return api.OutputPage{}, api.Internal(err, "decode output")
			}
			if o.Account != r.Account {
				// The peer takes a bookmark as a start key; whatever the
				// bookmark, no row of another account is ever returned.
				return api.OutputPage{}, api.Errorf(api.CodeInvalidArgument, "bookmark is outside account %s", r.Account)
			}
			page.Outputs = append(page.Outputs, o)
		}
		return page, nil
	})
}

// GetPayment returns a payment record; payer's and payee's provinces and
// auditors may read it.
func (c *Contract) GetPayment(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetPayment, request, func(s *txState, r api.PaymentRequest) (api.Payment, error) {
		k, err := s.key(nsPayment, r.PaymentID)
		if err != nil {
			return api.Payment{}, err
		}
		var p api.Payment
		ok, err := s.getJSON(k, &p)
		if err != nil {
			return api.Payment{}, err
		}
		if !ok {
			return api.Payment{}, api.Errorf(api.CodeNotFound, "payment %s", r.PaymentID)
		}
		if err := s.call.Covers("payment "+r.PaymentID, dispatch.Owner{MSP: p.FromMSP, Bank: p.FromBank}, dispatch.Owner{MSP: p.ToMSP, Bank: p.ToBank}); err != nil {
			return api.Payment{}, err
		}
		return p, nil
	})
}

// Statement pages through an account's statement entries with timestamps
// in [from, to).
func (c *Contract) Statement(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Statement, request, func(s *txState, r api.StatementRequest) (api.StatementPage, error) {
		if _, err := s.ownedAccount(r.Account); err != nil {
			return api.StatementPage{}, err
		}
		fromK, toK := r.From.UTC().Format(stmtTimeLayout), r.To.UTC().Format(stmtTimeLayout)
		if err := s.bookmarkWithin(nsStmt, r.Account, r.Bookmark); err != nil {
			return api.StatementPage{}, err
		}
		bookmark := r.Bookmark
		if bookmark == "" {
			// Start the scan at the first key at or after from: the peer
			// takes a bookmark as the next start key. Entries are also
			// filtered below, so correctness does not depend on it.
			var err error
			if bookmark, err = s.key(nsStmt, r.Account, fromK); err != nil {
				return api.StatementPage{}, err
			}
		}
		it, md, err := s.stub.GetStateByPartialCompositeKeyWithPagination(nsStmt, []string{r.Account}, int32(api.PageSize(r.PageSize)), bookmark)
		if err != nil {
			return api.StatementPage{}, api.Errorf(api.CodeInvalidArgument, "query statement: %v", err)
		}
		defer it.Close()
		page := api.StatementPage{Entries: []api.StatementEntry{}, Bookmark: md.GetBookmark()}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return api.StatementPage{}, api.Internal(err, "query statement")
			}
			_, attrs, err := s.stub.SplitCompositeKey(kv.Key)
			if err != nil || len(attrs) != 4 {
				return api.StatementPage{}, api.Errorf(api.CodeInternal, "malformed statement key")
			}
			if attrs[0] != r.Account {
				return api.StatementPage{}, api.Errorf(api.CodeInvalidArgument, "bookmark is outside account %s", r.Account)
			}
			if attrs[1] < fromK {
				continue
			}
			if attrs[1] >= toK {
				page.Bookmark = ""
				break
			}
			var e api.StatementEntry
			if err := json.Unmarshal(kv.Value, &e); err != nil {
				return api.StatementPage{}, api.Internal(err, "decode statement entry")
			}
			page.Entries = append(page.Entries, e)
		}
		return page, nil
	})
}

// bookmarkWithin refuses a bookmark outside the composite-key range of
// (ns, account): the peer uses a bookmark as the start key of the scan, so
// a forged one would start it in another account's (or province's) rows.
func (s *txState) bookmarkWithin(ns, account, bookmark string) error {
	if bookmark == "" {
		return nil
	}
	prefix, err := s.key(ns, account)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(bookmark, prefix) {
		return api.Errorf(api.CodeInvalidArgument, "bookmark is outside account %s", account)
	}
	return nil
}

// GetSupply returns the supply record (total tokens in circulation).
func (c *Contract) GetSupply(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetSupply, request, func(s *txState, _ api.Empty) (api.Supply, error) {
		_, sup, err := s.supply()
		return sup, err
	})
}

// AuditSupply sums every unspent output and compares it with the supply
// record. It scans the whole output namespace: use off-peak.
func (c *Contract) AuditSupply(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.AuditSupply, request, func(s *txState, _ api.Empty) (api.SupplyAudit, error) {
		_, sup, err := s.supply()
		if err != nil {
			return api.SupplyAudit{}, err
		}
		it, err := s.stub.GetStateByPartialCompositeKey(nsOutput, nil)
		if err != nil {
			return api.SupplyAudit{}, api.Internal(err, "query outputs")
		}
		defer it.Close()
		a := api.SupplyAudit{Supply: sup.Total}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return api.SupplyAudit{}, api.Internal(err, "query outputs")
			}
			var o api.Output
			if err := json.Unmarshal(kv.Value, &o); err != nil {
				return api.SupplyAudit{}, api.Internal(err, "decode output")
			}
			if a.OutputsTotal, err = money.Add(a.OutputsTotal, o.Amount); err != nil {
				return api.SupplyAudit{}, api.Internal(err, "sum outputs")
			}
			a.Outputs++
		}
		a.Balanced = a.OutputsTotal == a.Supply
		return a, nil
	})
}
