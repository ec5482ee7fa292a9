package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
)

// fakeLedger is a model of the programme contract at the ledger boundary,
// independent of the engine: an escrow of outputs per tranche, each (job,
// line) paid at most once, lines rejected when the inputs' remainder does
// not cover them or the recipient's bank is "BAD", inputs refused when
// spent. It records what a test asserts on: credits per recipient,
// transactions, and recipients paid by two disbursements in flight at
// once.
type fakeLedger struct {
	mu       sync.Mutex
	outs     map[string]api.Output // the escrow's unspent outputs
	paid     map[string]string     // "job#line" → output
	credited map[string]money.Amount
	seq      int
	txs      int
	inFlight map[string]int // recipients of disbursements being endorsed
	overlaps int
	splits   int // change outputs beyond one per disbursement
	// fault, when set, runs before a disbursement; a non-nil error is
	// returned instead (nothing changes).
	fault func(req api.DisburseRequest) error
}

const (
	fakeProg   = "SH-FIN:p"
	fakeEscrow = "SH-FIN:escrow"
)

// newFakeLedger holds escrow outputs of the given amounts (yuan) of
// tranche 1, and more of tranche 2 when tranche2 is given.
func newFakeLedger(tranche1 []string, tranche2 ...string) *fakeLedger {
	f := &fakeLedger{outs: map[string]api.Output{}, paid: map[string]string{}, credited: map[string]money.Amount{}, inFlight: map[string]int{}}
	for t, amounts := range [][]string{tranche1, tranche2} {
		for _, a := range amounts {
			f.add(money.MustParseYuan(a), t+1)
		}
	}
	return f
}

// add creates an escrow output. Call with mu held or before use.
func (f *fakeLedger) add(a money.Amount, tranche int) string {
	f.seq++
	id := fmt.Sprintf("tx%04d.0", f.seq)
	f.outs[id] = api.Output{ID: id, Account: fakeEscrow, Amount: a, Earmark: &api.Earmark{Programme: fakeProg, Tranche: tranche}}
	return id
}

// steal spends the largest escrow output behind the engine's back (as
// another gateway would).
func (f *fakeLedger) steal() money.Amount {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best api.Output
	for _, o := range f.outs {
		if o.Amount > best.Amount {
			best = o
		}
	}
	delete(f.outs, best.ID)
	return best.Amount
}

func (f *fakeLedger) escrowTotal() money.Amount {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s money.Amount
	for _, o := range f.outs {
		s += o.Amount
	}
	return s
}

func ccErr(code api.Code, format string, args ...any) error {
	return &ledger.Error{Code: ledger.Code(code), Stage: ledger.StageEndorse, Message: fmt.Sprintf(format, args...), FromChaincode: true}
}

func (f *fakeLedger) Evaluate(_ context.Context, identity, fn string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch fn {
	case api.GetProgramme.Function():
		v := api.ProgrammeView{Programme: api.Programme{DefineProgrammeRequest: api.DefineProgrammeRequest{ID: fakeProg, Escrow: fakeEscrow},
			Status: api.ProgrammeActive}}
		return json.Marshal(v)
	case api.Holdings.Function():
		p := api.OutputPage{Outputs: []api.Output{}}
		for _, o := range f.outs {
			p.Outputs = append(p.Outputs, o)
		}
		return json.Marshal(p)
	}
	return nil, ccErr(api.CodeNotFound, "no %s", fn)
}

func (f *fakeLedger) Submit(ctx context.Context, identity, fn string, args []string, _ map[string][]byte, _ ledger.SubmitOptions) (*ledger.Committed, error) {
	if fn != api.Disburse.Function() {
		return nil, ccErr(api.CodeForbidden, "no %s", fn)
	}
	if err := ctx.Err(); err != nil {
		return nil, &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEndorse, Message: err.Error()}
	}
	var req api.DisburseRequest
	if err := json.Unmarshal([]byte(args[0]), &req); err != nil {
		return nil, err
	}
	if req.ChangeSplit < 0 || req.ChangeSplit > api.MaxChangeSplit {
		return nil, ccErr(api.CodeInvalidArgument, "changeSplit %d", req.ChangeSplit)
	}
	f.mu.Lock()
	for _, r := range distinct(req.Lines) {
		if f.inFlight[r] > 0 {
			f.overlaps++
		}
		f.inFlight[r]++
	}
	fault := f.fault
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		for _, r := range distinct(req.Lines) {
			f.inFlight[r]--
		}
		f.mu.Unlock()
	}()
	if fault != nil {
		if err := fault(req); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var avail money.Amount
	tranche := 0
	for i, id := range req.Inputs {
		o, ok := f.outs[id]
		if !ok {
			return nil, ccErr(api.CodeInputSpent, "input %s is spent", id)
		}
		if i > 0 && o.Earmark.Tranche != tranche {
			return nil, ccErr(api.CodeInvalidArgument, "inputs of two tranches")
		}
		tranche = o.Earmark.Tranche
		avail += o.Amount
	}
	f.txs++
	tx := "tx" + strconv.Itoa(1000000+f.txs)
	res := api.DisburseResult{Results: []api.LineResult{}}
	for _, l := range req.Lines {
		key := req.Job + "#" + strconv.Itoa(l.Line)
		lr := api.LineResult{Line: l.Line}
		switch {
		case f.paid[key] != "":
			lr.Status, lr.Output = api.LineAlreadyPaid, f.paid[key]
			res.AlreadyPaid++
		case strings.HasPrefix(l.Recipient, "BAD:"):
			lr.Status, lr.Code, lr.Message = api.LineRejected, api.CodePurposeNotAllowed, "not eligible"
			res.Rejected++
		case l.Amount > avail-res.Amount:
			lr.Status, lr.Code, lr.Message = api.LineRejected, api.CodeInsufficientFunds, "the inputs do not cover it"
			res.Rejected++
		default:
			lr.Status, lr.Output = api.LinePaid, fmt.Sprintf("%s.%d", tx, res.Paid+1)
			f.paid[key] = lr.Output
			f.credited[l.Recipient] += l.Amount
			res.Paid++
			res.Amount += l.Amount
		}
		res.Results = append(res.Results, lr)
	}
	if res.Paid > 0 {
		for _, id := range req.Inputs {
			delete(f.outs, id)
		}
		// The change, split into ChangeSplit near-equal outputs of at least
		// a fen each (one when not asked).
		if change := avail - res.Amount; change > 0 {
			n := money.Amount(max(req.ChangeSplit, 1))
			if n > change {
				n = change
			}
			for i := money.Amount(0); i < n; i++ {
				part := change / n
				if i < change%n {
					part++
				}
				id := f.add(part, tranche)
				if res.Change == "" {
					res.Change = id
				}
				res.ChangeOutputs = append(res.ChangeOutputs, api.OutputAmount{Output: id, Amount: part})
			}
			f.splits += int(n) - 1
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return &ledger.Committed{Result: b, TxID: tx, BlockNumber: uint64(f.txs), Attempts: 1}, nil
}

func (f *fakeLedger) Events(context.Context, string, *uint64) (<-chan ledger.Event, error) {
	return nil, fmt.Errorf("no events")
}

func distinct(lines []api.DisburseLine) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		if !seen[l.Recipient] {
			seen[l.Recipient] = true
			out = append(out, l.Recipient)
		}
	}
	return out
}
