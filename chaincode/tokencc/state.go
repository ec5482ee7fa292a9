package tokencc

import (
	"encoding/json"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// txState is one transaction's access to the world state. Fabric's
// GetState does not see the transaction's own writes, so every write is
// also kept in an overlay that later reads in the same transaction consult
// first; TransferBatch relies on this so that item n sees items 0..n-1.
// Writes go to the stub immediately, in program order; the overlay map is
// only ever looked up by key, never iterated.
type txState struct {
	call    *dispatch.Call
	stub    shim.ChaincodeStubInterface
	tx      *token.Tx
	overlay map[string][]byte // nil value: deleted in this tx
	// created marks output keys created in this tx; pending sums, per
	// account, the amounts of those still unspent, and pendingOutputs
	// counts them. Together with the overlay's deletions they correct range
	// queries, which see only committed state.
	created        map[string]bool
	pending        map[string]money.Amount
	pendingOutputs map[string]int
	// committed marks keys this tx read from the ledger and found there;
	// their endorsement policy is already set and is not written again.
	committed map[string]bool
	seq       int // statement entry counter
}

func newTxState(c *dispatch.Call) *txState {
	return &txState{
		call: c, stub: c.Stub, tx: token.NewTx(c.TxID, c.Time),
		overlay: map[string][]byte{}, created: map[string]bool{}, pending: map[string]money.Amount{},
		pendingOutputs: map[string]int{}, committed: map[string]bool{},
	}
}

func (s *txState) key(ns string, attrs ...string) (string, error) {
	k, err := s.stub.CreateCompositeKey(ns, attrs)
	if err != nil {
		return "", api.Errorf(api.CodeInvalidArgument, "bad key attribute: %v", err)
	}
	return k, nil
}

func (s *txState) get(key string) ([]byte, error) {
	if v, ok := s.overlay[key]; ok {
		return v, nil
	}
	v, err := s.stub.GetState(key)
	if err != nil {
		return nil, api.Internal(err, "read state")
	}
	if v != nil {
		s.committed[key] = true
	}
	return v, nil
}

// getJSON decodes key into v and reports whether it exists.
func (s *txState) getJSON(key string, v any) (bool, error) {
	b, err := s.get(key)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, api.Internal(err, "decode state")
	}
	return true, nil
}

// putJSON writes v under key and, if ep is not nil, sets the key's
// endorsement policy when the key is new. A key read from the ledger keeps
// the policy it was created with: Fabric invalidates every other
// transaction in a block that touches a key whose policy an earlier one
// rewrote (ENDORSEMENT_POLICY_FAILURE, which is not retryable), so
// rewriting an unchanged policy would turn ordinary MVCC conflicts on the
// supply key or a daily counter into hard failures.
func (s *txState) putJSON(key string, v any, ep []byte) error {
	b, err := json.Marshal(v)
	if err != nil {
		return api.Internal(err, "encode state")
	}
	if err := s.stub.PutState(key, b); err != nil {
		return api.Internal(err, "write state")
	}
	if ep != nil && !s.committed[key] {
		if err := s.stub.SetStateValidationParameter(key, ep); err != nil {
			return api.Internal(err, "set key endorsement policy")
		}
	}
	s.overlay[key] = b
	return nil
}

func (s *txState) del(key string) error {
	if err := s.stub.DelState(key); err != nil {
		return api.Internal(err, "delete state")
	}
	s.overlay[key] = nil
	return nil
}

func (s *txState) ownerPolicy(msp string) ([]byte, error) {
	ep, err := s.call.Policies.Owner(msp)
	if err != nil {
		return nil, api.Internal(err, "owner policy")
	}
	return ep, nil
}

func (s *txState) account(id string) (api.Account, error) {
	if err := api.ValidateID("account id", id, api.MaxIDLen); err != nil {
		return api.Account{}, err
	}
	k, err := s.key(nsAccount, id)
	if err != nil {
		return api.Account{}, err
	}
	var a api.Account
	ok, err := s.getJSON(k, &a)
	if err != nil {
		return api.Account{}, err
	}
	if !ok {
		return api.Account{}, api.Errorf(api.CodeNotFound, "account %s", id)
	}
	return a, nil
}

func (s *txState) putAccount(a api.Account) error {
	k, err := s.key(nsAccount, a.ID)
	if err != nil {
		return err
	}
	ep, err := s.ownerPolicy(a.OwnerMSP)
	if err != nil {
		return err
	}
	return s.putJSON(k, a, ep)
}

// inputs resolves output IDs of account: each must be an unspent output of
// that account. A missing one is INPUT_SPENT if its tombstone exists,
// INPUT_NOT_OWNED otherwise (it belongs to another account or never existed).
func (s *txState) inputs(account string, ids []string) ([]api.Output, error) {
	out := make([]api.Output, 0, len(ids))
	for _, id := range ids {
		k, err := s.key(nsOutput, account, id)
		if err != nil {
			return nil, err
		}
		var o api.Output
		ok, err := s.getJSON(k, &o)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, o)
			continue
		}
		tk, err := s.key(nsSpent, id)
		if err != nil {
			return nil, err
		}
		var m spentMarker
		spent, err := s.getJSON(tk, &m)
		if err != nil {
			return nil, err
		}
		if spent && m.Account == account {
			return nil, api.Errorf(api.CodeInputSpent, "output %s was spent by transaction %s", id, m.SpentBy)
		}
		return nil, api.Errorf(api.CodeInputNotOwned, "output %s is not an unspent output of account %s", id, account)
	}
	return out, nil
}

// applySpend deletes inputs (leaving tombstones) and creates outputs, each
// output under its owner's key-level policy. owners maps the accounts of
// created outputs to their MSP IDs.
func (s *txState) applySpend(sp token.Spend, owners func(account string) string) error {
	for _, o := range sp.Delete {
		k, err := s.key(nsOutput, o.Account, o.ID)
		if err != nil {
			return err
		}
		if err := s.del(k); err != nil {
			return err
		}
		tk, err := s.key(nsSpent, o.ID)
		if err != nil {
			return err
		}
		if err := s.putJSON(tk, spentMarker{Account: o.Account, SpentBy: s.tx.ID}, nil); err != nil {
			return err
		}
		if s.created[k] {
			delete(s.created, k)
			s.pendingOutputs[o.Account]--
			if err := s.addPending(o.Account, -o.Amount); err != nil {
				return err
			}
		}
	}
	for _, o := range sp.Create {
		k, err := s.key(nsOutput, o.Account, o.ID)
		if err != nil {
			return err
		}
		ep, err := s.ownerPolicy(owners(o.Account))
		if err != nil {
			return err
		}
		if err := s.putJSON(k, o, ep); err != nil {
			return err
		}
		s.created[k] = true
		s.pendingOutputs[o.Account]++
		if err := s.addPending(o.Account, o.Amount); err != nil {
			return err
		}
	}
	return nil
}

func (s *txState) addPending(account string, a money.Amount) error {
	d, err := money.Add(s.pending[account], a)
	if err != nil {
		return api.Internal(err, "pending balance")
	}
	s.pending[account] = d
	return nil
}

// balance sums the account's unspent outputs: committed outputs found by a
// composite-key range query, less those spent in this transaction, plus
// those created in it. It returns the balance and the number of unspent
// outputs counted the same way (what a capped account's dust limit
// counts: outputs created earlier in a batch count too).
func (s *txState) balance(account string) (money.Amount, int, error) {
	it, err := s.stub.GetStateByPartialCompositeKey(nsOutput, []string{account})
	if err != nil {
		return 0, 0, api.Internal(err, "query outputs of %s", account)
	}
	defer it.Close()
	total, n := s.pending[account], s.pendingOutputs[account]
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return 0, 0, api.Internal(err, "query outputs of %s", account)
		}
		if v, ok := s.overlay[kv.Key]; ok && v == nil {
			continue // spent in this transaction
		}
		var o api.Output
		if err := json.Unmarshal(kv.Value, &o); err != nil {
			return 0, 0, api.Internal(err, "decode output %s", kv.Key)
		}
		if o.Account != account {
			return 0, 0, api.Errorf(api.CodeInternal, "output %s under account %s names account %s", o.ID, account, o.Account)
		}
		if total, err = money.Add(total, o.Amount); err != nil {
			return 0, 0, api.Internal(err, "sum outputs of %s", account)
		}
		n++
	}
	return total, n, nil
}

// statement writes one statement entry under a new key.
func (s *txState) statement(e api.StatementEntry) error {
	e.Timestamp, e.TxID, e.Seq = s.tx.Time, s.tx.ID, s.seq
	s.seq++
	k, err := s.key(nsStmt, e.Account, s.tx.Time.Format(stmtTimeLayout), s.tx.ID, seqKey(e.Seq))
	if err != nil {
		return err
	}
	return s.putJSON(k, e, nil)
}

func seqKey(n int) string {
	const digits = "0123456789"
	b := []byte("00000")
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		b[i] = digits[n%10]
		n /= 10
	}
	return string(b)
}

// now is the transaction time.
func (s *txState) now() time.Time { return s.tx.Time }
