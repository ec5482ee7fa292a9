package stubtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
)

// Backend runs probe transactions on one implementation of the stub.
// Implementations fail t (t.Fatal) on infrastructure errors; a refused
// proposal or an invalid transaction is a result, not an error.
type Backend interface {
	// Orgs lists the channel's MSP IDs. The chaincode-level endorsement
	// policy must be MAJORITY of them, and the caller an operator of the
	// first.
	Orgs() []string
	// Run runs a batch and returns one result per transaction, in
	// Batch.Txs order.
	Run(t *testing.T, b Batch) []TxResult
}

// Batch is a set of transactions run together.
type Batch struct {
	// Evaluate evaluates every transaction with probe:Eval: simulated, never
	// ordered.
	Evaluate bool
	// Txs are endorsed with probe:Run, in order, all against the same
	// committed state, before any of them is committed.
	Txs []Tx
	// Order is the commit order, as indexes into Txs (nil: Txs order). Each
	// transaction commits, and every peer has its block, before the next is
	// submitted, so each lands in a later block than the one before.
	Order []int
}

// Tx is one transaction.
type Tx struct {
	Steps []api.ProbeStep
	// Endorsers are the MSP IDs whose peers endorse it; nil lets the
	// backend choose a set satisfying the policies (on memstub: every org).
	Endorsers []string
}

// TxResult is what a transaction gave.
type TxResult struct {
	// Err is set when the proposal was refused (the chaincode answered an
	// error); nothing else is set then.
	Err error
	// Output is the probe's answer from the endorsement.
	Output api.ProbeOutput
	// Code is the validation code of a committed transaction (zero, which
	// is VALID, for evaluations).
	Code peer.TxValidationCode
	// Event is the chaincode event of a valid committed transaction, as an
	// event listener receives it.
	Event *Event
}

// Event is a chaincode event.
type Event struct {
	Name    string
	Payload []byte
}

// Memstub is the Backend on memstub: the yrdbench chaincode
// (yrdcc.NewBench) on a Ledger whose channel has the four provinces of the
// e2e network, called by an operator of the first. Each committed
// transaction is a block of its own, as on the network where the suite
// waits for every commit.
type Memstub struct {
	Ledger *memstub.Ledger
	cc     shim.Chaincode
	caller *memstub.Identity
}

var _ Backend = (*Memstub)(nil)

// Provinces are the MSP IDs of the e2e network, in its order.
var Provinces = []string{"ShanghaiMSP", "JiangsuMSP", "ZhejiangMSP", "AnhuiMSP"}

// NewMemstub returns a Memstub backend on a fresh ledger.
func NewMemstub() (*Memstub, error) {
	cc, err := yrdcc.NewBench("stubtest")
	if err != nil {
		return nil, err
	}
	caller, err := memstub.NewIdentity(Provinces[0], "probe", map[string]string{"role": string(api.RoleOperator)})
	if err != nil {
		return nil, err
	}
	l := memstub.NewLedger(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	l.Orgs = append([]string(nil), Provinces...)
	l.Namespace = "yrdbench"
	return &Memstub{Ledger: l, cc: cc, caller: caller}, nil
}

// Orgs implements Backend.
func (m *Memstub) Orgs() []string { return append([]string(nil), m.Ledger.Orgs...) }

// Run implements Backend.
func (m *Memstub) Run(t *testing.T, b Batch) []TxResult {
	t.Helper()
	out := make([]TxResult, len(b.Txs))
	op := api.ProbeRun
	if b.Evaluate {
		op = api.ProbeEval
	}
	es := make([]*memstub.Endorsement, len(b.Txs))
	for i, tx := range b.Txs {
		arg, err := op.Encode(api.ProbeScript{Steps: tx.Steps})
		if err != nil {
			t.Fatal(err)
		}
		e := m.Ledger.Endorse(m.cc, memstub.Tx{Creator: m.caller, Fn: op.Function(), Args: []string{arg}, Endorsers: tx.Endorsers})
		if !e.OK() {
			out[i].Err = errors.New(e.Message)
			continue
		}
		if err := json.Unmarshal(e.Payload, &out[i].Output); err != nil {
			t.Fatalf("tx %d: decode probe output: %v", i, err)
		}
		es[i] = e
	}
	if b.Evaluate {
		return out
	}
	for _, i := range CommitOrder(t, b) {
		if es[i] == nil {
			continue
		}
		blk, err := m.Ledger.Commit(es[i])
		if err != nil {
			t.Fatalf("tx %d: commit: %v", i, err)
		}
		tx := blk.Txs[0]
		out[i].Code = tx.Code
		if tx.Code == peer.TxValidationCode_VALID && tx.Event != nil {
			out[i].Event = &Event{Name: tx.Event.Name, Payload: tx.Event.Payload}
		}
	}
	return out
}

// CommitOrder is the order a Backend commits a batch in: b.Order, or Txs
// order. It fails t when b.Order is not a permutation of the transactions.
func CommitOrder(t testing.TB, b Batch) []int {
	t.Helper()
	if b.Order == nil {
		order := make([]int, len(b.Txs))
		for i := range order {
			order[i] = i
		}
		return order
	}
	seen := map[int]bool{}
	for _, i := range b.Order {
		if i < 0 || i >= len(b.Txs) || seen[i] {
			t.Fatalf("batch order %v is not a permutation of %d transactions", b.Order, len(b.Txs))
		}
		seen[i] = true
	}
	if len(seen) != len(b.Txs) {
		t.Fatalf("batch order %v is not a permutation of %d transactions", b.Order, len(b.Txs))
	}
	return b.Order
}

// String renders a result for test failures.
func (r TxResult) String() string {
	if r.Err != nil {
		return "refused: " + r.Err.Error()
	}
	b, _ := json.Marshal(r.Output.Results)
	return fmt.Sprintf("%s %s", r.Code, b)
}
