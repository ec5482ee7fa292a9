// Package tokencc is the Fabric contract "token" of the yrd chaincode: the
// ledger side of the tokenized yuan. It reads and writes world state and
// delegates every money rule to package token.
//
// Its operations, their request and response types, access rules and error
// codes are declared in package api; each method here is the body of one
// of them, run through package dispatch (the one door: caller, access,
// strict decoding, events). docs/token.md describes the model.
package tokencc

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// Contract is the token contract.
type Contract struct {
	contractapi.Contract
}

// New returns the contract.
func New() *Contract {
	c := &Contract{}
	c.Name = api.ContractToken
	c.Info.Title = "YRD tokenized yuan"
	c.Info.Version = "1"
	return c
}

// GetEvaluateTransactions declares the read-only functions (from package api).
func (c *Contract) GetEvaluateTransactions() []string { return api.EvaluateNames(api.ContractToken) }

// run executes one operation with a fresh transaction state.
func run[Req, Resp any](ctx contractapi.TransactionContextInterface, op api.Operation[Req, Resp], request string,
	body func(s *txState, req Req) (Resp, error)) (string, error) {
	return dispatch.Run(ctx, op, request, func(c *dispatch.Call, req Req) (Resp, error) {
		return body(newTxState(c), req)
	})
}

// OpenAccount opens an account owned by the caller's MSP. The transient map
// carries "customerRef" (required for customer accounts) and optionally
// "salt"; only hex(sha256(salt || customerRef)) is stored.
func (c *Contract) OpenAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.OpenAccount, request, func(s *txState, r api.OpenAccountRequest) (api.Account, error) {
		tm, err := s.stub.GetTransient()
		if err != nil {
			return api.Account{}, api.Internal(err, "read transient map")
		}
		var refHash string
		if ref := tm[api.TransientCustomerRef]; len(ref) > 0 {
			if len(ref) > api.MaxCustomerRefLen {
				return api.Account{}, api.Errorf(api.CodeInvalidArgument, "customerRef is longer than %d bytes", api.MaxCustomerRefLen)
			}
			h := sha256.New()
			h.Write(tm[api.TransientSalt])
			h.Write(ref)
			refHash = hex.EncodeToString(h.Sum(nil))
		}
		a, err := token.NewAccount(r.ID, s.call.Caller.MSPID, r.Kind, r.Tier, refHash, s.now())
		if err != nil {
			return a, err
		}
		if _, err := s.account(r.ID); err == nil {
			return api.Account{}, api.Errorf(api.CodeAlreadyExists, "account %s", r.ID)
		} else if api.CodeOf(err) != api.CodeNotFound {
			return api.Account{}, err
		}
		if err := s.putAccount(a); err != nil {
			return api.Account{}, err
		}
		s.call.Emit(api.Event{Type: api.EventAccountOpened, ID: a.ID, Account: a.ID, MSP: a.OwnerMSP})
		return a, nil
	})
}

// Freeze freezes an account: it can neither send nor receive.
func (c *Contract) Freeze(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Freeze, request, func(s *txState, r api.FreezeRequest) (api.Account, error) {
		return s.setStatus(r.ID, api.EventFrozen, r.Reason, func(a api.Account) (api.Account, error) {
			return token.Freeze(a, r.Reason, s.now())
		})
	})
}

// Unfreeze makes a frozen account active again.
func (c *Contract) Unfreeze(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Unfreeze, request, func(s *txState, r api.AccountRequest) (api.Account, error) {
		return s.setStatus(r.ID, api.EventUnfrozen, "", func(a api.Account) (api.Account, error) {
			return token.Unfreeze(a, s.now())
		})
	})
}

// CloseAccount closes an account with a zero balance. The record stays as
// a marker; the ID cannot be reused.
func (c *Contract) CloseAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.CloseAccount, request, func(s *txState, r api.AccountRequest) (api.Account, error) {
		return s.setStatus(r.ID, api.EventAccountClosed, "", func(a api.Account) (api.Account, error) {
			bal, err := s.balance(a.ID)
			if err != nil {
				return a, err
			}
			return token.Close(a, bal, s.now())
		})
	})
}

func (s *txState) setStatus(id string, event api.EventType, reason string, change func(api.Account) (api.Account, error)) (api.Account, error) {
	a, err := s.account(id)
	if err != nil {
		return api.Account{}, err
	}
	if err := s.call.Covers(a.OwnerMSP); err != nil {
		return api.Account{}, err
	}
	if a, err = change(a); err != nil {
		return api.Account{}, err
	}
	if err := s.putAccount(a); err != nil {
		return api.Account{}, err
	}
	s.call.Emit(api.Event{Type: event, ID: a.ID, Account: a.ID, MSP: a.OwnerMSP, Reason: reason})
	return a, nil
}

// recordKey returns the key of an ID record and fails with code if it
// exists already.
func recordKey(s *txState, ns, id string, code api.Code, what string) (string, error) {
	k, err := s.key(ns, id)
	if err != nil {
		return "", err
	}
	b, err := s.get(k)
	if err != nil {
		return "", err
	}
	if b != nil {
		return "", api.Errorf(code, "%s %s was already used", what, id)
	}
	return k, nil
}

func (s *txState) supply() (string, api.Supply, error) {
	k, err := s.key(nsSupply)
	if err != nil {
		return "", api.Supply{}, err
	}
	var sup api.Supply
	if _, err := s.getJSON(k, &sup); err != nil {
		return "", api.Supply{}, err
	}
	return k, sup, nil
}

func (s *txState) putSupply(k string, total money.Amount) error {
	return s.putJSON(k, api.Supply{Total: total, TxID: s.tx.ID, UpdatedAt: s.now()}, s.call.Policies.Quorum())
}

// ownedAccount loads an account the caller's scope covers.
func (s *txState) ownedAccount(id string) (api.Account, error) {
	a, err := s.account(id)
	if err != nil {
		return a, err
	}
	return a, s.call.Covers(a.OwnerMSP)
}

// Mint issues new tokens into a reserve account against a reserve
// reference. A mint ID can be used once (ALREADY_EXISTS on reuse).
func (c *Contract) Mint(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Mint, request, func(s *txState, r api.MintRequest) (api.MintRecord, error) {
		var none api.MintRecord
		mk, err := recordKey(s, nsMint, r.MintID, api.CodeAlreadyExists, "mint ID")
		if err != nil {
			return none, err
		}
		a, err := s.ownedAccount(r.Account)
		if err != nil {
			return none, err
		}
		sk, sup, err := s.supply()
		if err != nil {
			return none, err
		}
		o, m, err := token.PlanMint(s.tx, r, a, sup.Total)
		if err != nil {
			return none, err
		}
		owner := func(string) string { return a.OwnerMSP }
		if err := s.applySpend(token.Spend{Create: []api.Output{o}}, owner); err != nil {
			return none, err
		}
		if err := s.putSupply(sk, m.Supply); err != nil {
			return none, err
		}
		if err := s.putJSON(mk, m, nil); err != nil {
			return none, err
		}
		if err := s.statement(api.StatementEntry{Account: a.ID, Type: api.EntryMint, Reference: r.MintID, Amount: r.Amount}); err != nil {
			return none, err
		}
		s.call.Emit(api.Event{Type: api.EventMinted, ID: r.MintID, Account: a.ID, MSP: a.OwnerMSP, Amount: r.Amount})
		return m, nil
	})
}

// Redeem burns tokens from a reserve account back to fiat.
func (c *Contract) Redeem(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Redeem, request, func(s *txState, r api.RedeemRequest) (api.Redemption, error) {
		var none api.Redemption
		rk, err := recordKey(s, nsRedeem, r.RedeemID, api.CodeAlreadyExists, "redeem ID")
		if err != nil {
			return none, err
		}
		a, err := s.ownedAccount(r.Account)
		if err != nil {
			return none, err
		}
		in, err := s.inputs(a.ID, r.Inputs)
		if err != nil {
			return none, err
		}
		sk, sup, err := s.supply()
		if err != nil {
			return none, err
		}
		sp, red, err := token.PlanRedeem(s.tx, r, a, in, sup.Total)
		if err != nil {
			return none, err
		}
		if err := s.applySpend(sp, func(string) string { return a.OwnerMSP }); err != nil {
			return none, err
		}
		if err := s.putSupply(sk, red.Supply); err != nil {
			return none, err
		}
		if err := s.putJSON(rk, red, nil); err != nil {
			return none, err
		}
		if err := s.statement(api.StatementEntry{Account: a.ID, Type: api.EntryRedeem, Reference: r.RedeemID, Amount: r.Amount}); err != nil {
			return none, err
		}
		s.call.Emit(api.Event{Type: api.EventRedeemed, ID: r.RedeemID, Account: a.ID, MSP: a.OwnerMSP, Amount: r.Amount})
		return red, nil
	})
}

// Merge consolidates several outputs of an account into one.
func (c *Contract) Merge(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Merge, request, func(s *txState, r api.MergeRequest) (api.MergeRecord, error) {
		var none api.MergeRecord
		mk, err := recordKey(s, nsMerge, r.MergeID, api.CodeAlreadyExists, "merge ID")
		if err != nil {
			return none, err
		}
		a, err := s.ownedAccount(r.Account)
		if err != nil {
			return none, err
		}
		in, err := s.inputs(a.ID, r.Inputs)
		if err != nil {
			return none, err
		}
		sp, m, err := token.PlanMerge(s.tx, r, a, in)
		if err != nil {
			return none, err
		}
		if err := s.applySpend(sp, func(string) string { return a.OwnerMSP }); err != nil {
			return none, err
		}
		if err := s.putJSON(mk, m, nil); err != nil {
			return none, err
		}
		s.call.Emit(api.Event{Type: api.EventMerged, ID: r.MergeID, Account: a.ID, MSP: a.OwnerMSP, Amount: m.Amount})
		return m, nil
	})
}
