package tokencc

import (
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// Key namespaces other contracts of the chaincode share with the token
// contract: programme records (read by every earmarked spend) and
// programme flow records (written by every movement of a programme's
// money, each under its own key).
const (
	NSProgramme = "yrd.prog" // [programmeID] -> api.Programme
	NSFlow      = "yrd.flow" // [programmeID, txID, seq] -> api.Flow
	NSOutput    = nsOutput
)

// programme reads a programme record (NOT_FOUND when missing).
func (s *txState) programme(id string) (api.Programme, error) {
	k, err := s.key(NSProgramme, id)
	if err != nil {
		return api.Programme{}, err
	}
	var p api.Programme
	ok, err := s.getJSON(k, &p)
	if err != nil {
		return p, err
	}
	if !ok {
		return p, api.Errorf(api.CodeInternal, "earmark names programme %s, which does not exist", id)
	}
	return p, nil
}

// State is one transaction's access to the token ledger for the other
// contracts of the chaincode (the programme contract): the same overlay,
// key-level policies and statement entries the token contract uses, so a
// contract that moves money cannot bypass them.
type State struct{ s *txState }

// NewState opens the token ledger for call's transaction.
func NewState(call *dispatch.Call) *State { return &State{s: newTxState(call)} }

// Tx is the transaction (ID, time, output numbering).
func (st *State) Tx() *token.Tx { return st.s.tx }

// Now is the transaction's (trusted) time.
func (st *State) Now() time.Time { return st.s.now() }

// Key builds a composite key.
func (st *State) Key(ns string, attrs ...string) (string, error) { return st.s.key(ns, attrs...) }

// GetJSON decodes key into v and reports whether it exists (the
// transaction's own writes are seen).
func (st *State) GetJSON(key string, v any) (bool, error) { return st.s.getJSON(key, v) }

// PutJSON writes v under key; ep, when not nil, is set as the key's policy
// if the key is new.
func (st *State) PutJSON(key string, v any, ep []byte) error { return st.s.putJSON(key, v, ep) }

// Del deletes key (later reads in the transaction see it gone).
func (st *State) Del(key string) error { return st.s.del(key) }

// OwnerPolicy is the key-level policy of keys owned by msp.
func (st *State) OwnerPolicy(msp string) ([]byte, error) { return st.s.ownerPolicy(msp) }

// Account reads an account (NOT_FOUND when missing).
func (st *State) Account(id string) (api.Account, error) { return st.s.account(id) }

// OwnedAccount reads an account the caller's scope covers (NOT_FOUND
// otherwise).
func (st *State) OwnedAccount(id string) (api.Account, error) { return st.s.ownedAccount(id) }

// PutAccount writes an account under its owner's policy.
func (st *State) PutAccount(a api.Account) error { return st.s.putAccount(a) }

// Inputs resolves unspent outputs of account.
func (st *State) Inputs(account string, ids []string) ([]api.Output, error) {
	return st.s.inputs(account, ids)
}

// ApplySpend deletes and creates outputs; owners maps created outputs'
// accounts to their MSPs.
func (st *State) ApplySpend(sp token.Spend, owners func(account string) string) error {
	return st.s.applySpend(sp, owners)
}

// Balance sums an account's unspent outputs.
func (st *State) Balance(account string) (money.Amount, int, error) { return st.s.balance(account) }

// Statement writes one statement entry.
func (st *State) Statement(e api.StatementEntry) error { return st.s.statement(e) }

// Flow writes one programme flow record under its own key.
func (st *State) Flow(f api.Flow) error { return st.s.flow(f) }

// flow writes f under [programme, txID, seq] (no key-level policy: the
// chaincode's MAJORITY guards it).
func (s *txState) flow(f api.Flow) error {
	f.TxID, f.At = s.tx.ID, s.tx.Time
	k, err := s.key(NSFlow, f.Programme, s.tx.ID, seqKey(s.seq))
	if err != nil {
		return err
	}
	s.seq++
	return s.putJSON(k, f, nil)
}
