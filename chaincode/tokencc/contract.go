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
	"encoding/json"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// Contract is the token contract.
type Contract struct {
	dispatch.Contract
}

// New returns the contract.
func New() *Contract {
	return &Contract{Contract: dispatch.NewContract(api.ContractToken, "YRD tokenized yuan")}
}

// run executes one operation with a fresh transaction state.
func run[Req, Resp any](ctx contractapi.TransactionContextInterface, op api.Operation[Req, Resp], request string,
	body func(s *txState, req Req) (Resp, error)) (string, error) {
	return dispatch.Run(ctx, op, request, func(c *dispatch.Call, req Req) (Resp, error) {
		return body(newTxState(c), req)
	})
}

// OpenAccount opens an account of the caller's bank. The role decides the
// kinds it may open (api.KindsOf): a commercial bank's operators cannot open
// a reserve, nor a person as a merchant without a merchant category.
func (c *Contract) OpenAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.OpenAccount, request, func(s *txState, r api.OpenAccountRequest) (api.Account, error) {
		if !slices.Contains(api.KindsOf(s.call.Caller.Role), r.Kind) {
			return api.Account{}, api.Errorf(api.CodeForbidden, "a %s may not open %s accounts", s.call.Caller.Role, r.Kind)
		}
		a, err := token.NewAccount(r, token.Owner{MSP: s.call.Caller.MSPID, Bank: s.call.Caller.Bank}, s.now())
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
		s.call.Emit(api.Event{Type: api.EventAccountOpened, ID: a.ID, Account: a.ID, MSP: a.OwnerMSP, Bank: a.Bank})
		return a, nil
	})
}

// RecordFreezeReason is the first of a freeze's two transactions: it
// writes the reason (transient "reason", with a "salt") as a note
// (api.FreezeNote) to the owning province's private data collection and
// answers the note's hash, which Freeze then names. It writes nothing
// else, so the collection's endorsement policy (a peer of that province)
// is the only policy the transaction must satisfy: the province endorses
// it alone, and the reason reaches no other province's peer.
func (c *Contract) RecordFreezeReason(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.RecordFreezeReason, request, func(s *txState, r api.AccountRequest) (api.FreezeReasonReceipt, error) {
		var none api.FreezeReasonReceipt
		a, err := s.ownedAccount(r.ID)
		if err != nil {
			return none, err
		}
		if a.Status == api.StatusClosed {
			return none, api.Errorf(api.CodeAccountClosed, "account %s is closed", a.ID)
		}
		tm, err := s.stub.GetTransient()
		if err != nil {
			return none, api.Internal(err, "read transient map")
		}
		reason, salt := tm[api.TransientFreezeReason], tm[api.TransientFreezeSalt]
		if err := api.ValidateText("reason", string(reason), api.MaxReasonLen, true); err != nil {
			return none, err
		}
		if len(salt) < 16 || len(salt) > 64 {
			return none, api.Errorf(api.CodeInvalidArgument, "the transient salt must be 16 to 64 bytes")
		}
		note, err := json.Marshal(api.FreezeNote{Account: a.ID, Reason: string(reason), Salt: hex.EncodeToString(salt), TxID: s.tx.ID})
		if err != nil {
			return none, api.Internal(err, "encode freeze note")
		}
		sum := sha256.Sum256(note)
		hash := hex.EncodeToString(sum[:])
		coll := api.CollectionKYC(a.OwnerMSP)
		if err := s.stub.PutPrivateData(coll, freezeNoteKey(a.ID, hash), note); err != nil {
			return none, api.Internal(err, "write the freeze reason to %s", coll)
		}
		return api.FreezeReasonReceipt{Account: a.ID, Collection: coll, Hash: hash}, nil
	})
}

// Freeze freezes an account: it can neither send nor receive. The request
// names the hash of a note RecordFreezeReason wrote for this account; every
// endorser, whether its province holds the collection or not, checks it
// against the collection's public hash, and the account record keeps it as
// its reason hash. The reason itself never reaches this transaction.
func (c *Contract) Freeze(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Freeze, request, func(s *txState, r api.FreezeRequest) (api.Account, error) {
		return s.setStatus(r.ID, api.EventFrozen, func(a api.Account) (api.Account, error) {
			frozen, err := token.Freeze(a, r.ReasonHash, s.now())
			if err != nil {
				return a, err
			}
			coll := api.CollectionKYC(a.OwnerMSP)
			h, err := s.stub.GetPrivateDataHash(coll, freezeNoteKey(a.ID, r.ReasonHash))
			if err != nil {
				return a, api.Internal(err, "read the freeze note's hash in %s", coll)
			}
			if hex.EncodeToString(h) != r.ReasonHash {
				return a, api.Errorf(api.CodeInvalidArgument, "no freeze note of account %s with hash %s in %s (RecordFreezeReason first)",
					a.ID, r.ReasonHash, coll)
			}
			return frozen, nil
		})
	})
}

// freezeNoteKey is the key of a freeze note in the account's province's
// collection (api.CollectionKYC): the account and the note's own hash, so
// that every freeze keeps a note of its own and a hash names one note of
// one account.
func freezeNoteKey(account, hash string) string { return "freeze\x00" + account + "\x00" + hash }

// Unfreeze makes a frozen account active again.
func (c *Contract) Unfreeze(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Unfreeze, request, func(s *txState, r api.AccountRequest) (api.Account, error) {
		return s.setStatus(r.ID, api.EventUnfrozen, func(a api.Account) (api.Account, error) {
			return token.Unfreeze(a, s.now())
		})
	})
}

// CloseAccount closes an account with a zero balance. The record stays as
// a marker; the ID cannot be reused.
func (c *Contract) CloseAccount(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.CloseAccount, request, func(s *txState, r api.AccountRequest) (api.Account, error) {
		return s.setStatus(r.ID, api.EventAccountClosed, func(a api.Account) (api.Account, error) {
			bal, _, err := s.balance(a.ID)
			if err != nil {
				return a, err
			}
			return token.Close(a, bal, s.now())
		})
	})
}

func (s *txState) setStatus(id string, event api.EventType, change func(api.Account) (api.Account, error)) (api.Account, error) {
	a, err := s.ownedAccount(id)
	if err != nil {
		return api.Account{}, err
	}
	if a, err = change(a); err != nil {
		return api.Account{}, err
	}
	if err := s.putAccount(a); err != nil {
		return api.Account{}, err
	}
	s.call.Emit(api.Event{Type: event, ID: a.ID, Account: a.ID, MSP: a.OwnerMSP, Bank: a.Bank})
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

// ownedAccount loads an account the caller's scope covers; one out of
// scope answers NOT_FOUND, as a missing one does.
func (s *txState) ownedAccount(id string) (api.Account, error) {
	a, err := s.account(id)
	if err != nil {
		return a, err
	}
	return a, s.call.Covers("account "+id, ownerOf(a))
}

func ownerOf(a api.Account) dispatch.Owner { return dispatch.Owner{MSP: a.OwnerMSP, Bank: a.Bank} }

// Merge consolidates several outputs of an account into one.
func (c *Contract) Merge(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Merge, request, func(s *txState, r api.MergeRequest) (api.MergeRecord, error) {
		var none api.MergeRecord
		a, err := s.ownedAccount(r.Account)
		if err != nil {
			return none, err
		}
		mk, err := recordKey(s, nsMerge, r.MergeID, api.CodeAlreadyExists, "merge ID")
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
		s.call.Emit(api.Event{Type: api.EventMerged, ID: r.MergeID, Account: a.ID, MSP: a.OwnerMSP, Bank: a.Bank, Amount: m.Amount})
		return m, nil
	})
}
