// Package interbankcc is the Fabric contract "interbank" of the yrd
// chaincode: transfers between banks' settlement accounts. A transfer
// settles gross at once when the payer names inputs that cover it and
// nothing of equal or higher priority waits in its queue; otherwise it
// waits in the payer's queue on the ledger, where its bank may cancel,
// re-prioritise, hold and release it. A settlement cycle names queued
// transfers and, for each net debtor, the inputs covering its net debit;
// the contract verifies coverage (package interbank) and settles them all
// at once, each transfer recorded gross. The business calendar is decided
// by quorum (gov ActionCalendar) and read from the ledger.
//
// Keys and who can write them. All but the calendar carry no key-level
// policy: the chaincode-wide policy (a majority of provinces, three of
// four) guards them, so no province alone and no two provinces can write
// one. The money a transfer moves is outputs, which keep their owners'
// policies (owner + OwnerEndorsers others). Records are left to the
// chaincode policy on purpose: a cycle rewrites every transfer it names,
// and a key-level policy per record would cost the committing peers one
// policy evaluation (and its signature checks) per key, which made a
// 1,000-transfer cycle take minutes to validate.
//
//	yrd.ibt   [transfer]                                   transfer record
//	yrd.ibq   [payer, 0|1, valueDate, rank, seq, transfer] payer's queue (0 waiting, 1 held)
//	yrd.ibin  [payee, transfer]                            payee's inbound queue
//	yrd.ibday [valueDate, transfer]                        the day's transfer index, written once
//	yrd.ibfl  [account, valueDate, transfer]               a settled leg, per side, written once
//	yrd.ibcyc [cycle]                                      a cycle's record, written once
//	yrd.ibeod [account, date]                              a fixed day-end balance, written once
//	yrd.cal   []                                           the calendar; quorum policy (gov decision)
//
// A bank writes only keys of its own transfers; nothing is written by every
// transfer (no hot key); a cycle reads only the transfers it names and the
// outputs of its net debtors.
package interbankcc

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
	"github.com/yangtze-delta/settlement/money"
)

// Key namespaces (see the package documentation).
const (
	nsTransfer = "yrd.ibt"
	nsQueue    = "yrd.ibq"
	nsInbound  = "yrd.ibin"
	nsDay      = "yrd.ibday"
	nsLeg      = "yrd.ibfl"
	nsCycle    = "yrd.ibcyc"
	nsDayEnd   = "yrd.ibeod"
	nsCalendar = "yrd.cal"
	// tokenOutputs holds the token contract's unspent outputs.
	tokenOutputs = tokencc.NSOutput
)

// Queue states in queue keys: waiting transfers sort before held ones.
const (
	stateQueued = "0"
	stateHeld   = "1"
)

// remittanceKey is a transfer's key in its bilateral collection.
func remittanceKey(id string) string { return "remit\x00" + id }

// entry is a queue key's value: enough to sum a bank's queue without
// reading each transfer.
type entry struct {
	ID        string       `json:"id"`
	From      string       `json:"from"`
	To        string       `json:"to"`
	Amount    money.Amount `json:"amount"`
	ValueDate string       `json:"valueDate"`
	Priority  string       `json:"priority"`
}

// leg is one side of a settled transfer, under the account's key.
type leg struct {
	Transfer         string       `json:"transfer"`
	Counterparty     string       `json:"counterparty"`
	CounterpartyBank string       `json:"counterpartyBank"`
	CounterpartyMSP  string       `json:"counterpartyMsp"`
	Sent             money.Amount `json:"sent,omitempty"`
	Received         money.Amount `json:"received,omitempty"`
	Cycle            string       `json:"cycle,omitempty"`
}

// Contract is the interbank contract.
type Contract struct {
	dispatch.Contract
}

// New returns the contract.
func New() *Contract {
	return &Contract{Contract: dispatch.NewContract(api.ContractInterbank, "YRD interbank settlement")}
}

// call bundles a dispatch call with its token ledger state.
type call struct {
	*dispatch.Call
	st *tokencc.State
}

func run[Req, Resp any](ctx contractapi.TransactionContextInterface, op api.Operation[Req, Resp], request string,
	body func(c call, req Req) (Resp, error)) (string, error) {
	return dispatch.Run(ctx, op, request, func(dc *dispatch.Call, req Req) (Resp, error) {
		return body(call{Call: dc, st: tokencc.NewState(dc)}, req)
	})
}

// SetCalendar replaces the business calendar; the governance contract
// calls it when a calendar decision executes.
func SetCalendar(dc *dispatch.Call, cal api.Calendar) (api.Calendar, error) {
	if err := cal.Validate(); err != nil {
		return cal, err
	}
	st := tokencc.NewState(dc)
	k, err := st.Key(nsCalendar)
	if err != nil {
		return cal, err
	}
	if err := st.PutJSON(k, cal, dc.Policies.Quorum()); err != nil {
		return cal, err
	}
	dc.Emit(api.Event{Type: api.EventConfigChanged, ID: "calendar"})
	return cal, nil
}

// calendar reads the calendar (the default until a quorum decides one).
func (c call) calendar() (api.Calendar, error) {
	k, err := c.st.Key(nsCalendar)
	if err != nil {
		return api.Calendar{}, err
	}
	var cal api.Calendar
	ok, err := c.st.GetJSON(k, &cal)
	if err != nil || !ok {
		return api.DefaultCalendar(), err
	}
	return cal, nil
}

// transfer loads a transfer record (NOT_FOUND when missing).
func (c call) transfer(id string) (api.InterbankTransfer, string, error) {
	k, err := c.st.Key(nsTransfer, id)
	if err != nil {
		return api.InterbankTransfer{}, "", err
	}
	var t api.InterbankTransfer
	ok, err := c.st.GetJSON(k, &t)
	if err != nil {
		return t, k, err
	}
	if !ok {
		return t, k, api.Errorf(api.CodeNotFound, "transfer %s", id)
	}
	return t, k, nil
}

// visible checks that the caller may read t (payer's or payee's bank, by
// scope); NOT_FOUND otherwise, exactly as for a missing transfer.
func (c call) visible(t api.InterbankTransfer) error {
	return c.Covers("transfer "+t.ID, dispatch.Owner{MSP: t.FromMSP, Bank: t.FromBank}, dispatch.Owner{MSP: t.ToMSP, Bank: t.ToBank})
}

// payerOnly loads a transfer the caller's bank sent.
func (c call) payerOnly(id string) (api.InterbankTransfer, string, error) {
	t, k, err := c.transfer(id)
	if err != nil {
		return t, k, err
	}
	if err := c.Covers("transfer "+id, dispatch.Owner{MSP: t.FromMSP, Bank: t.FromBank}); err != nil {
		return t, k, err
	}
	return t, k, nil
}

// putTransfer writes a transfer record (chaincode policy, see the package
// documentation).
func (c call) putTransfer(k string, t api.InterbankTransfer) error {
	return c.st.PutJSON(k, t, nil)
}

func rank(priority string) string { return fmt.Sprint(api.PriorityRank(priority)) }

// queueKey is t's key in its payer's queue in state.
func (c call) queueKey(t api.InterbankTransfer, state string) (string, error) {
	return c.st.Key(nsQueue, t.From, state, t.ValueDate, rank(t.Priority), t.Seq, t.ID)
}

func entryOf(t api.InterbankTransfer) entry {
	return entry{ID: t.ID, From: t.From, To: t.To, Amount: t.Amount, ValueDate: t.ValueDate, Priority: t.Priority}
}

// enqueue writes t's queue and inbound keys (state: queued or held).
func (c call) enqueue(t api.InterbankTransfer, state string) error {
	qk, err := c.queueKey(t, state)
	if err != nil {
		return err
	}
	if err := c.st.PutJSON(qk, entryOf(t), nil); err != nil {
		return err
	}
	ik, err := c.st.Key(nsInbound, t.To, t.ID)
	if err != nil {
		return err
	}
	return c.st.PutJSON(ik, entryOf(t), nil)
}

// dequeue deletes t's queue and inbound keys.
func (c call) dequeue(t api.InterbankTransfer) error {
	state := stateQueued
	if t.Status == api.TransferHeld {
		state = stateHeld
	}
	qk, err := c.queueKey(t, state)
	if err != nil {
		return err
	}
	if err := c.st.Del(qk); err != nil {
		return err
	}
	ik, err := c.st.Key(nsInbound, t.To, t.ID)
	if err != nil {
		return err
	}
	return c.st.Del(ik)
}

// settled records t as settled (gross when cycle is ""): its status, its
// statement entries and legs, and its event. The money has moved already.
func (c call) settled(k string, t api.InterbankTransfer, cycle string) (api.InterbankTransfer, error) {
	t.Status, t.SettledAt, t.Cycle = api.TransferSettled, c.Time, cycle
	if err := c.putTransfer(k, t); err != nil {
		return t, err
	}
	if err := c.st.Statement(api.StatementEntry{Account: t.From, Type: api.EntryDebit, Reference: t.ID, Counterparty: t.To, Amount: t.Amount}); err != nil {
		return t, err
	}
	if err := c.st.Statement(api.StatementEntry{Account: t.To, Type: api.EntryCredit, Reference: t.ID, Counterparty: t.From, Amount: t.Amount}); err != nil {
		return t, err
	}
	legs := []struct {
		account string
		l       leg
	}{
		{t.From, leg{Transfer: t.ID, Counterparty: t.To, CounterpartyBank: t.ToBank, CounterpartyMSP: t.ToMSP, Sent: t.Amount, Cycle: cycle}},
		{t.To, leg{Transfer: t.ID, Counterparty: t.From, CounterpartyBank: t.FromBank, CounterpartyMSP: t.FromMSP, Received: t.Amount, Cycle: cycle}},
	}
	for _, l := range legs {
		lk, err := c.st.Key(nsLeg, l.account, t.ValueDate, t.ID)
		if err != nil {
			return t, err
		}
		if err := c.st.PutJSON(lk, l.l, nil); err != nil {
			return t, err
		}
	}
	c.emit(api.EventSettled, t)
	return t, nil
}

func (c call) emit(typ api.EventType, t api.InterbankTransfer) {
	c.Emit(api.Event{Type: typ, ID: t.ID, From: t.From, To: t.To, FromMSP: t.FromMSP, ToMSP: t.ToMSP,
		FromBank: t.FromBank, ToBank: t.ToBank, Amount: t.Amount, Cycle: t.Cycle, ValueDate: t.ValueDate, Priority: t.Priority})
}

// settlementAccount reads an account and checks it is an active settlement
// account (sending or receiving).
func (c call) settlementAccount(id string, send bool) (api.Account, error) {
	a, err := c.st.Account(id)
	if err != nil {
		return a, err
	}
	return a, usable(a, send)
}

func usable(a api.Account, send bool) error {
	if a.Kind != api.KindSettlement {
		return api.Errorf(api.CodeInvalidArgument, "account %s is a %s account; interbank transfers move between settlement accounts", a.ID, a.Kind)
	}
	switch a.Status {
	case api.StatusFrozen:
		return api.Errorf(api.CodeAccountFrozen, "account %s is frozen", a.ID)
	case api.StatusClosed:
		return api.Errorf(api.CodeAccountClosed, "account %s is closed", a.ID)
	}
	return nil
}

// plainInputs resolves inputs of account that carry no earmark and sums
// them.
func (c call) plainInputs(account string, ids []string) ([]api.Output, money.Amount, error) {
	in, err := c.st.Inputs(account, ids)
	if err != nil {
		return nil, 0, err
	}
	var total money.Amount
	for _, o := range in {
		if o.Earmark != nil {
			return nil, 0, api.Errorf(api.CodeInvalidArgument, "output %s is earmarked; interbank settlement uses unearmarked funds", o.ID)
		}
		if total, err = money.Add(total, o.Amount); err != nil {
			return nil, 0, api.Errorf(api.CodeInvalidArgument, "inputs overflow")
		}
	}
	return in, total, nil
}

// scan iterates a partial composite key range, decoding each value into a
// fresh T, and stops after max rows (reporting truncated) or when fn says.
func scan[T any](c call, ns string, attrs []string, max int, fn func(attrs []string, v T) (bool, error)) (truncated bool, err error) {
	it, err := c.Stub.GetStateByPartialCompositeKey(ns, attrs)
	if err != nil {
		return false, api.Internal(err, "query %s", ns)
	}
	defer it.Close()
	for n := 0; it.HasNext(); n++ {
		if n == max {
			return true, nil
		}
		kv, err := it.Next()
		if err != nil {
			return false, api.Internal(err, "query %s", ns)
		}
		_, keyAttrs, err := c.Stub.SplitCompositeKey(kv.Key)
		if err != nil {
			return false, api.Internal(err, "split key")
		}
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return false, api.Internal(err, "decode %s", ns)
		}
		more, err := fn(keyAttrs, v)
		if err != nil || !more {
			return false, err
		}
	}
	return false, nil
}

// seqOf orders a payer's queue within a priority: enqueue time, then the
// transaction ID, then the item's place in its batch (unique).
func seqOf(t time.Time, txID string, item int) string {
	id := txID
	if len(id) > 16 {
		id = id[:16]
	}
	return fmt.Sprintf("%s-%s-%04d", t.UTC().Format("20060102T150405.000000000"), id, item)
}
