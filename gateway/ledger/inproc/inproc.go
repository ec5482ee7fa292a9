// Package inproc is a ledger.Ledger that runs the real yrd chaincode in
// process on the in-memory stub (chaincode/memstub): the gateway's handler
// tests and the client's examples talk to the real contracts, their real
// answers and their real error codes, without a Fabric network.
//
// Each Submit is endorsed against the committed state, then ordered as a
// block of its own and validated as a peer validates it (MVCC and phantom
// reads, key-level endorsement policies; see memstub), so concurrent
// submits can conflict and are retried like the gateway's Fabric
// implementation retries them. Events streams the valid transactions'
// chaincode events in block order. Evaluate runs the function without
// committing anything. A Fault hook lets a test make a commit fail
// the way Fabric's commit stage fails (timeouts, MVCC conflicts, invalid
// transactions) after a successful endorsement.
//
// A Ledger is safe for concurrent use.
package inproc

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// Identity describes one ledger identity of the in-process network.
type Identity struct {
	MSPID string
	Role  api.Role
	// Bank is the "bank" certificate attribute (bank operators).
	Bank string
}

// Options configures a Ledger.
type Options struct {
	// Identities maps identity names (the gateway's client names) to their
	// certificates' MSP and attributes.
	Identities map[string]Identity
	// Config is written with gov:Init (default govcc.DefaultConfig()).
	Config *api.Config
	// Start is the clock of the first transaction (default 2026-01-05 01:00 UTC);
	// each transaction advances it by one second.
	Start time.Time
	// Fault, when set, runs after a successful endorsement of fn and before
	// its commit; a non-nil error is returned instead of committing (a
	// *ledger.Error with the commit stage's code, typically).
	Fault func(fn string) error
	// MaxEventBuffer bounds each Events stream's channel (default 64); a
	// stream that falls behind is closed, as a peer drops a slow client.
	MaxEventBuffer int
}

// Ledger is the in-process ledger.
type Ledger struct {
	l        *memstub.Ledger
	cc       shim.Chaincode
	ids      map[string]*memstub.Identity
	fault    func(string) error
	bufLen   int
	attempts int
}

var _ ledger.Ledger = (*Ledger)(nil)

// New builds the chaincode, the identities and the ledger, and runs
// gov:Init.
func New(opts Options) (*Ledger, error) {
	cc, err := yrdcc.New("inproc")
	if err != nil {
		return nil, err
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)
	}
	cfg := govcc.DefaultConfig()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	ml := memstub.NewLedger(start)
	ml.Orgs = cfg.Orgs
	l := &Ledger{l: ml, cc: cc, ids: map[string]*memstub.Identity{}, fault: opts.Fault, bufLen: opts.MaxEventBuffer, attempts: 5}
	if l.bufLen <= 0 {
		l.bufLen = 64
	}
	for name, id := range opts.Identities {
		attrs := map[string]string{"role": string(id.Role)}
		if id.Bank != "" {
			attrs["bank"] = id.Bank
		}
		mi, err := memstub.NewIdentity(id.MSPID, name, attrs)
		if err != nil {
			return nil, fmt.Errorf("inproc: identity %s: %w", name, err)
		}
		l.ids[name] = mi
	}
	admin, err := memstub.NewIdentity(cfg.Orgs[0], "inproc-admin", map[string]string{"role": string(api.RoleAdmin)})
	if err != nil {
		return nil, err
	}
	arg, _ := json.Marshal(cfg)
	if r := ml.Invoke(cc, memstub.Tx{Creator: admin, Fn: api.Init.Function(), Args: []string{string(arg)}}); !r.OK() {
		return nil, fmt.Errorf("inproc: gov:Init: %s", r.Message)
	}
	return l, nil
}

// Stub returns the underlying in-memory ledger, for tests that inspect
// state or simulate faults below the gateway.
func (l *Ledger) Stub() *memstub.Ledger { return l.l }

func (l *Ledger) identity(name string, stage ledger.Stage) (*memstub.Identity, error) {
	id, ok := l.ids[name]
	if !ok {
		return nil, &ledger.Error{Code: ledger.CodeUnknownIdentity, Stage: stage, Message: "no identity " + name}
	}
	return id, nil
}

// chaincodeError renders a chaincode refusal the way the gateway's Fabric
// implementation reports it.
func chaincodeError(stage ledger.Stage, msg string) error {
	if code, m, ok := ledger.ParseChaincodeError(msg); ok {
		return &ledger.Error{Code: code, Stage: stage, Message: m, FromChaincode: true}
	}
	return &ledger.Error{Code: ledger.CodeChaincodeError, Stage: stage, Message: msg}
}

// Evaluate runs fn as identity without committing.
func (l *Ledger) Evaluate(ctx context.Context, identity, fn string, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEvaluate, Message: err.Error(), Err: err}
	}
	id, err := l.identity(identity, ledger.StageEvaluate)
	if err != nil {
		return nil, err
	}
	r := l.l.Evaluate(l.cc, memstub.Tx{Creator: id, Fn: fn, Args: args})
	if !r.OK() {
		return nil, chaincodeError(ledger.StageEvaluate, r.Message)
	}
	return r.Payload, nil
}

// Submit endorses fn as identity, then orders and validates it as a block
// of its own. A transaction that loses an MVCC race to a concurrent one is
// endorsed again, as the gateway's Fabric implementation does, up to five
// times (then CONFLICT). opts.EndorsingOrgs, when set, are the endorsing
// orgs (as the peer's Gateway restricts endorsement to them); otherwise
// every org endorses. A private-data-only write endorsed by one org is
// then valid only under its collection's endorsement policy: set the
// collections on Stub().Collections (chaincode/cctest.Collections).
func (l *Ledger) Submit(ctx context.Context, identity, fn string, args []string, transient map[string][]byte, opts ledger.SubmitOptions) (*ledger.Committed, error) {
	id, err := l.identity(identity, ledger.StageEndorse)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEndorse, Message: err.Error(), Err: err}
		}
		e := l.l.Endorse(l.cc, memstub.Tx{Creator: id, Fn: fn, Args: args, Transient: transient, Endorsers: opts.EndorsingOrgs})
		if !e.OK() {
			return nil, chaincodeError(ledger.StageEndorse, e.Message)
		}
		if l.fault != nil {
			if err := l.fault(fn); err != nil {
				return nil, err
			}
		}
		b, err := l.l.Commit(e)
		if err != nil {
			return nil, &ledger.Error{Code: ledger.CodeInternal, Stage: ledger.StageCommit, TxID: e.TxID, Message: err.Error(), Err: err}
		}
		tx, _ := b.Tx(e.TxID)
		switch tx.Code {
		case peer.TxValidationCode_VALID:
			return &ledger.Committed{Result: e.Payload, TxID: e.TxID, BlockNumber: b.Number, Attempts: attempt}, nil
		case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT:
			if attempt < l.attempts {
				continue
			}
			return nil, &ledger.Error{Code: ledger.CodeConflict, Stage: ledger.StageCommit, TxID: e.TxID, ValidationCode: tx.Code.String(),
				Message: "transaction invalidated by a read conflict (" + tx.Code.String() + ") after retries"}
		default:
			return nil, &ledger.Error{Code: ledger.CodeTxInvalid, Stage: ledger.StageCommit, TxID: e.TxID, ValidationCode: tx.Code.String(),
				Message: "transaction committed as invalid: " + tx.Code.String()}
		}
	}
}

// Events streams the chaincode events of valid transactions from
// startBlock (nil: the next block) until ctx ends. The channel holds
// MaxEventBuffer events; a reader that does not keep up holds the stream
// back (it never drops events).
func (l *Ledger) Events(ctx context.Context, identity string, startBlock *uint64) (<-chan ledger.Event, error) {
	if _, err := l.identity(identity, ledger.StageEvents); err != nil {
		return nil, err
	}
	next := l.l.Height()
	if startBlock != nil {
		next = *startBlock
	}
	ch := make(chan ledger.Event, l.bufLen)
	go func() {
		defer close(ch)
		for n := next; ; n++ {
			b, err := l.l.Block(ctx, n)
			if err != nil {
				return
			}
			for _, ev := range b.ChaincodeEvents() {
				select {
				case ch <- ledger.Event{BlockNumber: ev.BlockNumber, TxID: ev.TxID, Name: ev.Name, Payload: ev.Payload}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// Height is the number of the next block.
func (l *Ledger) Height() uint64 { return l.l.Height() }
