// Package dispatch is the one door of every contract of the yrd chaincode.
// [Run] executes one call of an api operation: it reads the channel's
// configuration from the ledger, identifies the caller from its
// certificate, checks the caller's province and role against the
// operation's access rule and the caller's bank against its province's
// bank-code prefix, decodes and validates the request strictly, runs the
// contract's body, sets the transaction's single event (submit operations)
// and encodes the response.
//
// Contracts therefore never repeat an access check, a decoder or an event
// writer; a contract method is one line that names its api operation.
package dispatch

import (
	"encoding/json"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
)

// Attribute names read from the caller's certificate.
const (
	AttrRole = "role"
	AttrBank = "bank"
)

// Call is one admitted call: what a contract body works with.
type Call struct {
	Stub   shim.ChaincodeStubInterface
	Op     api.Op
	Caller api.Caller
	// Scope is the caller's scope for this operation.
	Scope api.Scope
	// Config is the channel configuration; zero for operations that run
	// without it (api.ConfigOptional before gov:Init, api.ConfigNone).
	Config api.Config
	// Policies are the key-level policies of Config; nil before it exists.
	Policies *keypolicy.Set
	// TxID and Time identify the transaction.
	TxID string
	Time time.Time

	events []api.Event
}

// Emit records a business event; Run publishes the transaction's events as
// one envelope.
func (c *Call) Emit(e api.Event) { c.events = append(c.events, e) }

// Owner is who owns a record: a province, and (for bank-owned records)
// one of its banks.
type Owner struct {
	MSP  string
	Bank string
}

// Covers checks the scope rule against a record's owners (a payment has
// two): ScopeAny covers everything, ScopeProvince a record of the caller's
// province, ScopeBank a record of the caller's bank in it. A record out of
// scope answers NOT_FOUND, exactly as a missing one does, so that nobody
// learns which IDs exist elsewhere; what names the record in the message.
func (c *Call) Covers(what string, owners ...Owner) error {
	if c.InScope(owners...) {
		return nil
	}
	return api.Errorf(api.CodeNotFound, "%s", what)
}

// InScope reports whether the caller's scope covers one of owners.
func (c *Call) InScope(owners ...Owner) bool {
	if c.Scope == api.ScopeAny {
		return true
	}
	for _, o := range owners {
		if o.MSP != c.Caller.MSPID {
			continue
		}
		if c.Scope == api.ScopeProvince || o.Bank == c.Caller.Bank {
			return true
		}
	}
	return false
}

// Run executes one call of op with the raw argument arg.
func Run[Req, Resp any](ctx contractapi.TransactionContextInterface, op api.Operation[Req, Resp], arg string,
	body func(c *Call, req Req) (Resp, error)) (string, error) {
	c, err := admit(ctx.GetStub(), ctx.GetClientIdentity(), op.Op)
	if err != nil {
		return "", err
	}
	req, err := op.DecodeRequest(arg)
	if err != nil {
		return "", err
	}
	resp, err := body(c, req)
	if err != nil {
		return "", err
	}
	if op.Mode == api.Submit {
		if err := c.publish(); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return "", api.Internal(err, "encode result")
	}
	return string(b), nil
}

// admit identifies and authorizes the caller.
func admit(stub shim.ChaincodeStubInterface, id cid.ClientIdentity, op api.Op) (*Call, error) {
	caller, err := CallerOf(id)
	if err != nil {
		return nil, api.Errorf(api.CodeForbidden, "cannot identify caller: %v", err)
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, api.Internal(err, "read transaction timestamp")
	}
	c := &Call{Stub: stub, Op: op, Caller: caller, TxID: stub.GetTxID(), Time: ts.AsTime().UTC()}
	scope, ok := op.Access[caller.Role]
	if !ok {
		return nil, api.Errorf(api.CodeForbidden, "role %q may not call %s", caller.Role, op.Function())
	}
	c.Scope = scope
	if api.RoleNeedsBank(caller.Role) && op.Config != api.ConfigNone {
		if err := api.ValidateBank("the caller's bank attribute", caller.Bank); err != nil {
			return nil, api.Errorf(api.CodeForbidden, "a %s acts for a bank: %v", caller.Role, api.MessageOf(err))
		}
	}
	if op.Config != api.ConfigNone {
		cfg, pol, err := LoadConfig(stub)
		switch {
		case err == nil:
			c.Config, c.Policies = cfg, pol
			if !cfg.HasOrg(caller.MSPID) {
				return nil, api.Errorf(api.CodeForbidden, "MSP %s is not a province of this channel", caller.MSPID)
			}
			if err := checkBankProvince(cfg, caller); err != nil {
				return nil, err
			}
			if err := checkClock(stub, c.Time, cfg.ClockSkew()); err != nil {
				return nil, err
			}
		case api.CodeOf(err) == api.CodeNotConfigured && op.Config == api.ConfigOptional:
		default:
			return nil, err
		}
	}
	return c, nil
}

// checkBankProvince binds a bank to its province: a caller's bank attribute
// (any role's, when it has one) must start with the bank-code prefix of the
// caller's own MSP (api.Config.BankPrefixes). Every province's CA can put
// any bank into a certificate; without this check Shanghai's CA could issue
// one for Jiangsu's bank JS-ABC and open accounts and payments in JS-ABC's
// ID namespace.
func checkBankProvince(cfg api.Config, caller api.Caller) error {
	if caller.Bank == "" || cfg.OwnsBank(caller.MSPID, caller.Bank) {
		return nil
	}
	return api.Errorf(api.CodeForbidden, "bank %q is not a bank of %s, whose bank codes start with %q",
		caller.Bank, caller.MSPID, cfg.BankPrefixes[caller.MSPID])
}

// PeerClock is implemented by a stub that supplies the endorsing peer's
// clock (the in-memory test stub). A Fabric peer's stub does not: its
// chaincode server's own clock is the endorser's.
type PeerClock interface {
	PeerClock() time.Time
}

// checkClock is trusted time: every endorser refuses a proposal whose
// timestamp (chosen by the client) is further than skew from its own
// clock. The check only decides yes or no and never changes what is
// written, so endorsements stay deterministic; a client with a wrong clock
// gets CLOCK_SKEW from every honest endorser.
func checkClock(stub shim.ChaincodeStubInterface, txTime time.Time, skew time.Duration) error {
	now := time.Now()
	if pc, ok := stub.(PeerClock); ok {
		now = pc.PeerClock()
	}
	if d := txTime.Sub(now); d > skew || d < -skew {
		return api.Errorf(api.CodeClockSkew, "transaction timestamp %s is %s from this endorser's clock (at most %s allowed)",
			txTime.UTC().Format(time.RFC3339), d.Round(time.Second), skew)
	}
	return nil
}

// CallerOf reads the caller from a client identity.
func CallerOf(id cid.ClientIdentity) (api.Caller, error) {
	msp, err := id.GetMSPID()
	if err != nil {
		return api.Caller{}, err
	}
	uid, err := id.GetID()
	if err != nil {
		return api.Caller{}, err
	}
	role, _, err := id.GetAttributeValue(AttrRole)
	if err != nil {
		return api.Caller{}, err
	}
	bank, _, err := id.GetAttributeValue(AttrBank)
	if err != nil {
		return api.Caller{}, err
	}
	return api.Caller{MSPID: msp, ID: uid, Role: api.Role(role), Bank: bank}, nil
}

func (c *Call) publish() error {
	events := c.events
	if events == nil {
		events = []api.Event{}
	}
	b, err := json.Marshal(api.Envelope{Version: api.EnvelopeVersion, TxID: c.TxID, Timestamp: c.Time, Events: events})
	if err != nil {
		return api.Internal(err, "encode event")
	}
	if err := c.Stub.SetEvent(api.EventName, b); err != nil {
		return api.Internal(err, "set event")
	}
	return nil
}
