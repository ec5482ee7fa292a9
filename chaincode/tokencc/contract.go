// Package tokencc is the Fabric contract "token" of the yrd chaincode: the
// ledger side of the tokenized yuan. It reads and writes world state and
// delegates every money rule to package token.
//
// Write functions take one JSON request argument and return a JSON result;
// amounts are decimal strings ("1234.56"). Errors render as "CODE: message"
// with the codes of package token. See docs/token.md for the full API.
package tokencc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/money"
	"github.com/yangtze-delta/settlement/chaincode/token"
)

// Name is the contract's namespace: functions are called as "token:Fn".
const Name = "token"

// Transient map keys of OpenAccount.
const (
	TransientCustomerRef = "customerRef"
	TransientSalt        = "salt"
)

// Contract is the token contract.
type Contract struct {
	contractapi.Contract
	cfg   Config
	pol   policies
	rules map[string]rule
}

// New validates cfg and returns the contract.
func New(cfg Config) (*Contract, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	pol, err := buildPolicies(cfg)
	if err != nil {
		return nil, err
	}
	c := &Contract{cfg: cfg, pol: pol, rules: roleTable()}
	c.Name = Name
	c.Info.Title = "YRD tokenized yuan"
	c.Info.Version = "1"
	return c, nil
}

// GetEvaluateTransactions declares the read-only functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetAccount", "GetBalance", "ListOutputs", "GetPayment", "Statement", "GetSupply", "AuditSupply"}
}

// decode parses a JSON request strictly: unknown fields are rejected.
func decode(request string, v any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(request)))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return token.Errorf(token.CodeInvalidArgument, "request: %v", err)
	}
	if d.More() {
		return token.Errorf(token.CodeInvalidArgument, "request: trailing data")
	}
	return nil
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", token.Internal(err, "encode result")
	}
	return string(b), nil
}

// write runs a write function: authorize, decode, run body, set the one
// event, encode the result.
func write[Req any](c *Contract, ctx contractapi.TransactionContextInterface, fn, request string,
	body func(s *txState, g grant, req Req) (any, error)) (string, error) {
	g, err := c.authorize(ctx, fn)
	if err != nil {
		return "", err
	}
	var req Req
	if err := decode(request, &req); err != nil {
		return "", err
	}
	s, err := newTxState(ctx.GetStub(), c.pol)
	if err != nil {
		return "", err
	}
	res, err := body(s, g, req)
	if err != nil {
		return "", err
	}
	if err := s.flush(); err != nil {
		return "", err
	}
	return encode(res)
}

// OpenAccount opens an account owned by the caller's MSP. The transient map
// carries "customerRef" (required for customer accounts) and optionally
// "salt"; only hex(sha256(salt || customerRef)) is stored.
func (c *Contract) OpenAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "OpenAccount", request, func(s *txState, g grant, r token.OpenAccountRequest) (any, error) {
		tm, err := s.stub.GetTransient()
		if err != nil {
			return nil, token.Internal(err, "read transient map")
		}
		var refHash string
		if ref := tm[TransientCustomerRef]; len(ref) > 0 {
			h := sha256.New()
			h.Write(tm[TransientSalt])
			h.Write(ref)
			refHash = hex.EncodeToString(h.Sum(nil))
		}
		a, err := token.NewAccount(r.ID, g.caller.MSPID, r.Kind, r.Tier, refHash, s.now())
		if err != nil {
			return nil, err
		}
		if _, err := s.account(r.ID); err == nil {
			return nil, token.Errorf(token.CodeAlreadyExists, "account %s", r.ID)
		} else if token.CodeOf(err) != token.CodeNotFound {
			return nil, err
		}
		if err := s.putAccount(a); err != nil {
			return nil, err
		}
		s.emit(Event{Type: EventAccountOpened, ID: a.ID, Account: a.ID, MSP: a.OwnerMSP})
		return a, nil
	})
}

// Freeze freezes an account: it can neither send nor receive.
func (c *Contract) Freeze(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "Freeze", request, func(s *txState, g grant, r token.FreezeRequest) (any, error) {
		return c.setStatus(s, g, r.ID, EventFrozen, r.Reason, func(a token.Account) (token.Account, error) {
			return a.Freeze(r.Reason, s.now())
		})
	})
}

// Unfreeze makes a frozen account active again.
func (c *Contract) Unfreeze(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "Unfreeze", request, func(s *txState, g grant, r token.AccountRequest) (any, error) {
		return c.setStatus(s, g, r.ID, EventUnfrozen, "", func(a token.Account) (token.Account, error) {
			return a.Unfreeze(s.now())
		})
	})
}

// CloseAccount closes an account with a zero balance. The record stays as
// a marker; the ID cannot be reused.
func (c *Contract) CloseAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "CloseAccount", request, func(s *txState, g grant, r token.AccountRequest) (any, error) {
		return c.setStatus(s, g, r.ID, EventAccountClosed, "", func(a token.Account) (token.Account, error) {
			bal, err := s.balance(a.ID)
			if err != nil {
				return a, err
			}
			return a.Close(bal, s.now())
		})
	})
}

func (c *Contract) setStatus(s *txState, g grant, id, event, reason string, change func(token.Account) (token.Account, error)) (any, error) {
	a, err := s.account(id)
	if err != nil {
		return nil, err
	}
	if err := g.owns(a.OwnerMSP); err != nil {
		return nil, err
	}
	if a, err = change(a); err != nil {
		return nil, err
	}
	if err := s.putAccount(a); err != nil {
		return nil, err
	}
	s.emit(Event{Type: event, ID: a.ID, Account: a.ID, MSP: a.OwnerMSP, Reason: reason})
	return a, nil
}

// recordKey returns the key of an ID record and fails with code if it
// exists already.
func recordKey(s *txState, ns, id string, code token.Code, what string) (string, error) {
	k, err := s.key(ns, id)
	if err != nil {
		return "", err
	}
	b, err := s.get(k)
	if err != nil {
		return "", err
	}
	if b != nil {
		return "", token.Errorf(code, "%s %s was already used", what, id)
	}
	return k, nil
}

func (s *txState) supply() (string, token.Supply, error) {
	k, err := s.key(nsSupply)
	if err != nil {
		return "", token.Supply{}, err
	}
	var sup token.Supply
	if _, err := s.getJSON(k, &sup); err != nil {
		return "", token.Supply{}, err
	}
	return k, sup, nil
}

func (s *txState) putSupply(k string, total money.Amount) error {
	return s.putJSON(k, token.Supply{Total: total, TxID: s.tx.ID, UpdatedAt: s.now()}, s.pol.supply)
}

// Mint issues new tokens into a reserve account against a reserve
// reference. A mint ID can be used once (ALREADY_EXISTS on reuse).
func (c *Contract) Mint(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "Mint", request, func(s *txState, g grant, r token.MintRequest) (any, error) {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		mk, err := recordKey(s, nsMint, r.MintID, token.CodeAlreadyExists, "mint ID")
		if err != nil {
			return nil, err
		}
		a, err := s.account(r.Account)
		if err != nil {
			return nil, err
		}
		if err := g.owns(a.OwnerMSP); err != nil {
			return nil, err
		}
		sk, sup, err := s.supply()
		if err != nil {
			return nil, err
		}
		o, m, err := token.PlanMint(s.tx, r, a, sup.Total)
		if err != nil {
			return nil, err
		}
		owner := func(string) string { return a.OwnerMSP }
		if err := s.applySpend(token.Spend{Create: []token.Output{o}}, owner); err != nil {
			return nil, err
		}
		if err := s.putSupply(sk, m.Supply); err != nil {
			return nil, err
		}
		if err := s.putJSON(mk, m, nil); err != nil {
			return nil, err
		}
		if err := s.statement(token.StatementEntry{Account: a.ID, Type: token.EntryMint, Reference: r.MintID, Amount: r.Amount}); err != nil {
			return nil, err
		}
		s.emit(Event{Type: EventMinted, ID: r.MintID, Account: a.ID, MSP: a.OwnerMSP, Amount: r.Amount})
		return m, nil
	})
}

// Redeem burns tokens from a reserve account back to fiat.
func (c *Contract) Redeem(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "Redeem", request, func(s *txState, g grant, r token.RedeemRequest) (any, error) {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		rk, err := recordKey(s, nsRedeem, r.RedeemID, token.CodeAlreadyExists, "redeem ID")
		if err != nil {
			return nil, err
		}
		a, err := s.account(r.Account)
		if err != nil {
			return nil, err
		}
		if err := g.owns(a.OwnerMSP); err != nil {
			return nil, err
		}
		in, err := s.inputs(a.ID, r.Inputs)
		if err != nil {
			return nil, err
		}
		sk, sup, err := s.supply()
		if err != nil {
			return nil, err
		}
		sp, red, err := token.PlanRedeem(s.tx, r, a, in, sup.Total)
		if err != nil {
			return nil, err
		}
		if err := s.applySpend(sp, func(string) string { return a.OwnerMSP }); err != nil {
			return nil, err
		}
		if err := s.putSupply(sk, red.Supply); err != nil {
			return nil, err
		}
		if err := s.putJSON(rk, red, nil); err != nil {
			return nil, err
		}
		if err := s.statement(token.StatementEntry{Account: a.ID, Type: token.EntryRedeem, Reference: r.RedeemID, Amount: r.Amount}); err != nil {
			return nil, err
		}
		s.emit(Event{Type: EventRedeemed, ID: r.RedeemID, Account: a.ID, MSP: a.OwnerMSP, Amount: r.Amount})
		return red, nil
	})
}

// Merge consolidates several outputs of an account into one.
func (c *Contract) Merge(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "Merge", request, func(s *txState, g grant, r token.MergeRequest) (any, error) {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		mk, err := recordKey(s, nsMerge, r.MergeID, token.CodeAlreadyExists, "merge ID")
		if err != nil {
			return nil, err
		}
		a, err := s.account(r.Account)
		if err != nil {
			return nil, err
		}
		if err := g.owns(a.OwnerMSP); err != nil {
			return nil, err
		}
		in, err := s.inputs(a.ID, r.Inputs)
		if err != nil {
			return nil, err
		}
		sp, m, err := token.PlanMerge(s.tx, r, a, in)
		if err != nil {
			return nil, err
		}
		if err := s.applySpend(sp, func(string) string { return a.OwnerMSP }); err != nil {
			return nil, err
		}
		if err := s.putJSON(mk, m, nil); err != nil {
			return nil, err
		}
		s.emit(Event{Type: EventMerged, ID: r.MergeID, Account: a.ID, MSP: a.OwnerMSP, Amount: m.Amount})
		return m, nil
	})
}

func asTokenError(err error, target **token.Error) bool { return errors.As(err, target) }
