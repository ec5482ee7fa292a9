package tokencc

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/money"
	"github.com/yangtze-delta/settlement/chaincode/token"
)

// Page sizes of paginated queries.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Balance is GetBalance's answer.
type Balance struct {
	Account string       `json:"account"`
	Balance money.Amount `json:"balance"`
}

// OutputPage is ListOutputs' answer. An empty bookmark means no more pages.
type OutputPage struct {
	Outputs  []token.Output `json:"outputs"`
	Bookmark string         `json:"bookmark"`
}

// StatementPage is Statement's answer. An empty bookmark means no more pages.
type StatementPage struct {
	Entries  []token.StatementEntry `json:"entries"`
	Bookmark string                 `json:"bookmark"`
}

// SupplyAudit is AuditSupply's answer.
type SupplyAudit struct {
	Supply       money.Amount `json:"supply"`
	OutputsTotal money.Amount `json:"outputsTotal"`
	Outputs      int          `json:"outputs"`
	Balanced     bool         `json:"balanced"`
}

// read runs an evaluate-only function: authorize, then body. No event.
func (c *Contract) read(ctx contractapi.TransactionContextInterface, fn string, body func(s *txState, g grant) (any, error)) (string, error) {
	g, err := c.authorize(ctx, fn)
	if err != nil {
		return "", err
	}
	s, err := newTxState(ctx.GetStub(), c.pol)
	if err != nil {
		return "", err
	}
	res, err := body(s, g)
	if err != nil {
		return "", err
	}
	return encode(res)
}

// readAccount loads an account the caller may read.
func readAccount(s *txState, g grant, id string) (token.Account, error) {
	a, err := s.account(id)
	if err != nil {
		return a, err
	}
	return a, g.owns(a.OwnerMSP)
}

// GetAccount returns an account record.
func (c *Contract) GetAccount(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "GetAccount", func(s *txState, g grant) (any, error) {
		return readAccount(s, g, id)
	})
}

// GetBalance returns the sum of an account's unspent outputs.
func (c *Contract) GetBalance(ctx contractapi.TransactionContextInterface, account string) (string, error) {
	return c.read(ctx, "GetBalance", func(s *txState, g grant) (any, error) {
		if _, err := readAccount(s, g, account); err != nil {
			return nil, err
		}
		b, err := s.balance(account)
		if err != nil {
			return nil, err
		}
		return Balance{Account: account, Balance: b}, nil
	})
}

func pageSize(s string) (int32, error) {
	if s == "" {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageSize {
		return 0, token.Errorf(token.CodeInvalidArgument, "pageSize must be 1 to %d", MaxPageSize)
	}
	return int32(n), nil
}

// ListOutputs pages through an account's unspent outputs in key order.
// pageSize is a decimal string ("" = 100); bookmark is "" for the first page.
func (c *Contract) ListOutputs(ctx contractapi.TransactionContextInterface, account, size, bookmark string) (string, error) {
	return c.read(ctx, "ListOutputs", func(s *txState, g grant) (any, error) {
		if _, err := readAccount(s, g, account); err != nil {
			return nil, err
		}
		n, err := pageSize(size)
		if err != nil {
			return nil, err
		}
		it, md, err := s.stub.GetStateByPartialCompositeKeyWithPagination(nsOutput, []string{account}, n, bookmark)
		if err != nil {
			return nil, token.Errorf(token.CodeInvalidArgument, "query outputs: %v", err)
		}
		defer it.Close()
		page := OutputPage{Outputs: []token.Output{}, Bookmark: md.GetBookmark()}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return nil, token.Internal(err, "query outputs")
			}
			var o token.Output
			if err := json.Unmarshal(kv.Value, &o); err != nil {
				return nil, token.Internal(err, "decode output")
			}
			page.Outputs = append(page.Outputs, o)
		}
		return page, nil
	})
}

// GetPayment returns a payment record; payer's and payee's provinces and
// auditors may read it.
func (c *Contract) GetPayment(ctx contractapi.TransactionContextInterface, paymentID string) (string, error) {
	return c.read(ctx, "GetPayment", func(s *txState, g grant) (any, error) {
		if err := token.ValidateID("paymentId", paymentID, token.MaxPaymentIDLen); err != nil {
			return nil, err
		}
		k, err := s.key(nsPayment, paymentID)
		if err != nil {
			return nil, err
		}
		var p token.Payment
		ok, err := s.getJSON(k, &p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, token.Errorf(token.CodeNotFound, "payment %s", paymentID)
		}
		if err := g.owns(p.FromMSP, p.ToMSP); err != nil {
			return nil, err
		}
		return p, nil
	})
}

// Statement pages through an account's statement entries with timestamps
// in [from, to) (RFC 3339). pageSize is a decimal string ("" = 100).
func (c *Contract) Statement(ctx contractapi.TransactionContextInterface, account, from, to, size, bookmark string) (string, error) {
	return c.read(ctx, "Statement", func(s *txState, g grant) (any, error) {
		if _, err := readAccount(s, g, account); err != nil {
			return nil, err
		}
		n, err := pageSize(size)
		if err != nil {
			return nil, err
		}
		fromT, err := time.Parse(time.RFC3339Nano, from)
		if err != nil {
			return nil, token.Errorf(token.CodeInvalidArgument, "from is not an RFC 3339 time: %q", from)
		}
		toT, err := time.Parse(time.RFC3339Nano, to)
		if err != nil {
			return nil, token.Errorf(token.CodeInvalidArgument, "to is not an RFC 3339 time: %q", to)
		}
		fromK, toK := fromT.UTC().Format(stmtTimeLayout), toT.UTC().Format(stmtTimeLayout)
		if bookmark == "" {
			// Start the scan at the first key at or after from: the peer
			// takes a bookmark as the next start key. Entries are also
			// filtered below, so correctness does not depend on it.
			if bookmark, err = s.key(nsStmt, account, fromK); err != nil {
				return nil, err
			}
		}
		it, md, err := s.stub.GetStateByPartialCompositeKeyWithPagination(nsStmt, []string{account}, n, bookmark)
		if err != nil {
			return nil, token.Errorf(token.CodeInvalidArgument, "query statement: %v", err)
		}
		defer it.Close()
		page := StatementPage{Entries: []token.StatementEntry{}, Bookmark: md.GetBookmark()}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return nil, token.Internal(err, "query statement")
			}
			_, attrs, err := s.stub.SplitCompositeKey(kv.Key)
			if err != nil || len(attrs) != 4 {
				return nil, token.Errorf(token.CodeInternal, "malformed statement key")
			}
			if attrs[1] < fromK {
				continue
			}
			if attrs[1] >= toK {
				page.Bookmark = ""
				break
			}
			var e token.StatementEntry
			if err := json.Unmarshal(kv.Value, &e); err != nil {
				return nil, token.Internal(err, "decode statement entry")
			}
			page.Entries = append(page.Entries, e)
		}
		return page, nil
	})
}

// GetSupply returns the supply record (total tokens in circulation).
func (c *Contract) GetSupply(ctx contractapi.TransactionContextInterface) (string, error) {
	return c.read(ctx, "GetSupply", func(s *txState, g grant) (any, error) {
		_, sup, err := s.supply()
		return sup, err
	})
}

// AuditSupply sums every unspent output and compares it with the supply
// record. It scans the whole output namespace: use off-peak.
func (c *Contract) AuditSupply(ctx contractapi.TransactionContextInterface) (string, error) {
	return c.read(ctx, "AuditSupply", func(s *txState, g grant) (any, error) {
		_, sup, err := s.supply()
		if err != nil {
			return nil, err
		}
		it, err := s.stub.GetStateByPartialCompositeKey(nsOutput, nil)
		if err != nil {
			return nil, token.Internal(err, "query outputs")
		}
		defer it.Close()
		a := SupplyAudit{Supply: sup.Total}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return nil, token.Internal(err, "query outputs")
			}
			var o token.Output
			if err := json.Unmarshal(kv.Value, &o); err != nil {
				return nil, token.Internal(err, "decode output")
			}
			if a.OutputsTotal, err = money.Add(a.OutputsTotal, o.Amount); err != nil {
				return nil, token.Internal(err, "sum outputs")
			}
			a.Outputs++
		}
		a.Balanced = a.OutputsTotal == a.Supply
		return a, nil
	})
}
