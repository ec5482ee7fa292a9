package memstub

import (
	"fmt"
	"sort"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// ValidationParameterKey is the metadata name under which Fabric stores a
// key's state-based endorsement policy.
const ValidationParameterKey = "VALIDATION_PARAMETER"

// Ledger is committed world state shared by the transactions of a test.
// It is not safe for concurrent use.
type Ledger struct {
	state map[string][]byte
	meta  map[string]map[string][]byte
	// Clock is the timestamp given to the next transaction that does not set
	// its own; each such transaction advances it by one second.
	Clock time.Time
	txSeq int
}

// NewLedger returns an empty ledger whose clock starts at start.
func NewLedger(start time.Time) *Ledger {
	return &Ledger{state: map[string][]byte{}, meta: map[string]map[string][]byte{}, Clock: start}
}

// Tx describes one transaction proposal.
type Tx struct {
	// ID defaults to a sequence-derived 64-hex-character ID.
	ID string
	// Time defaults to the ledger clock.
	Time time.Time
	// Creator signs the proposal.
	Creator *Identity
	// Transient is the proposal's transient map.
	Transient map[string][]byte
	// Fn is the function name, e.g. "token:Transfer"; Args its arguments.
	Fn   string
	Args []string
}

// Event is a chaincode event set by a transaction.
type Event struct {
	Name    string
	Payload []byte
}

// Result is the outcome of Invoke.
type Result struct {
	TxID    string
	Status  int32
	Message string
	Payload []byte
	// Events lists every SetEvent call, in order (Fabric keeps the last).
	Events []Event
	// Committed reports whether the writes were applied.
	Committed bool
	// Stub is the transaction's stub, for inspecting reads and writes.
	Stub *Stub
}

// OK reports status 200.
func (r Result) OK() bool { return r.Status == shim.OK }

// Invoke runs tx through cc and commits its writes if it succeeded.
func (l *Ledger) Invoke(cc shim.Chaincode, tx Tx) Result {
	s := l.NewStub(tx)
	resp := cc.Invoke(s)
	r := Result{TxID: s.txID, Status: resp.GetStatus(), Message: resp.GetMessage(), Payload: resp.GetPayload(), Events: s.events, Stub: s}
	if r.OK() {
		s.commit()
		r.Committed = true
	}
	return r
}

// NewStub prepares a stub for tx without running anything; Commit applies
// its writes. Most tests use Invoke.
func (l *Ledger) NewStub(tx Tx) *Stub {
	l.txSeq++
	id := tx.ID
	if id == "" {
		id = fmt.Sprintf("%064x", l.txSeq)
	}
	ts := tx.Time
	if ts.IsZero() {
		ts = l.Clock
		l.Clock = l.Clock.Add(time.Second)
	}
	args := make([][]byte, 0, len(tx.Args)+1)
	args = append(args, []byte(tx.Fn))
	for _, a := range tx.Args {
		args = append(args, []byte(a))
	}
	var creator []byte
	if tx.Creator != nil {
		creator = tx.Creator.Serialized
	}
	return &Stub{ledger: l, txID: id, ts: ts, creator: creator, transient: tx.Transient, args: args,
		writes: map[string]write{}, metaWrites: map[string][]byte{}}
}

// Get returns the committed value of key, nil if absent.
func (l *Ledger) Get(key string) []byte { return l.state[key] }

// ValidationParameter returns key's committed state-based endorsement
// policy, nil if none.
func (l *Ledger) ValidationParameter(key string) []byte {
	return l.meta[key][ValidationParameterKey]
}

// Keys returns all committed keys in order.
func (l *Ledger) Keys() []string {
	keys := make([]string, 0, len(l.state))
	for k := range l.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Snapshot copies committed state and metadata, for comparing before and
// after a rejected call.
func (l *Ledger) Snapshot() map[string]string {
	snap := make(map[string]string, len(l.state))
	for k, v := range l.state {
		snap[k] = string(v)
	}
	for k, m := range l.meta {
		for n, v := range m {
			snap["meta|"+k+"|"+n] = string(v)
		}
	}
	return snap
}
