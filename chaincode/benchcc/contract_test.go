package benchcc

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/system"
)

func TestMove(t *testing.T) {
	tests := []struct {
		name             string
		from, to, amount int64
		wantFrom, wantTo int64
		wantErr          api.Code
	}{
		{name: "ok", from: 100, to: 5, amount: 30, wantFrom: 70, wantTo: 35},
		{name: "all", from: 30, to: 0, amount: 30, wantFrom: 0, wantTo: 30},
		{name: "zero amount", from: 100, amount: 0, wantErr: api.CodeInvalidArgument},
		{name: "negative amount", from: 100, amount: -1, wantErr: api.CodeInvalidArgument},
		{name: "insufficient", from: 29, amount: 30, wantErr: api.CodeInsufficientFunds},
		{name: "overflow", from: 10, to: math.MaxInt64 - 5, amount: 6, wantErr: api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, to, err := Move(tt.from, tt.to, tt.amount)
			if tt.wantErr != "" {
				if api.CodeOf(err) != tt.wantErr {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || f != tt.wantFrom || to != tt.wantTo {
				t.Fatalf("Move = %d, %d, %v; want %d, %d", f, to, err, tt.wantFrom, tt.wantTo)
			}
		})
	}
}

type env struct {
	t  *testing.T
	l  *memstub.Ledger
	cc *contractapi.ContractChaincode
	id *memstub.Identity
}

func newEnv(t *testing.T) *env {
	t.Helper()
	// Built as cmd/yrd-benchcc builds it.
	cc, err := contractapi.NewChaincode(New(), system.New("test")) // as yrdcc.NewBench builds it
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, l: memstub.NewLedger(time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)), cc: cc,
		id: memstub.MustIdentity("ShanghaiMSP", "bench", map[string]string{"role": "operator", "bank": "SH-BENCH"})}
}

func (e *env) call(fn string, args ...string) memstub.Result {
	return e.l.Invoke(e.cc, memstub.Tx{Creator: e.id, Fn: api.ContractBench + ":" + fn, Args: args})
}

func (e *env) must(fn string, args ...string) memstub.Result {
	e.t.Helper()
	r := e.call(fn, args...)
	if !r.OK() {
		e.t.Fatalf("%s%v: %d %s", fn, args, r.Status, r.Message)
	}
	return r
}

func (e *env) balance(account string) int64 {
	e.t.Helper()
	r := e.must("Balance", fmt.Sprintf(`{"account":%q}`, account))
	var b api.BenchAccount
	if err := json.Unmarshal(r.Payload, &b); err != nil {
		e.t.Fatalf("balance payload %q: %v", r.Payload, err)
	}
	return b.AmountFen
}

func open(a string, fen int64) string { return fmt.Sprintf(`{"account":%q,"amountFen":%d}`, a, fen) }
func xfer(from, to string, fen int64) string {
	return fmt.Sprintf(`{"from":%q,"to":%q,"amountFen":%d}`, from, to, fen)
}

func TestPutIsBlind(t *testing.T) {
	e := newEnv(t)
	r := e.must("Put", `{"key":"k1","value":"v1"}`)
	if len(r.Stub.ReadKeys) != 0 {
		t.Errorf("Put read %v; it must be a blind write", r.Stub.ReadKeys)
	}
	if w := r.Stub.Writes(); len(w) != 1 || !strings.Contains(w[0], "k1") {
		t.Errorf("Put wrote %q, want one key", w)
	}
	e.must("Put", `{"key":"k1","value":"v2"}`) // overwriting is allowed
}

func TestAccounts(t *testing.T) {
	e := newEnv(t)
	e.must("Open", open("a", 1000))
	e.must("Open", open("b", 0))
	r := e.must("Transfer", xfer("a", "b", 250))
	if got := len(r.Stub.ReadKeys); got != 2 {
		t.Errorf("Transfer read %d keys, want 2 (read-modify-write of both rows)", got)
	}
	if got := len(r.Stub.Writes()); got != 2 {
		t.Errorf("Transfer wrote %d keys, want 2", got)
	}
	if a, b := e.balance("a"), e.balance("b"); a != 750 || b != 250 {
		t.Fatalf("balances a=%d b=%d, want 750, 250", a, b)
	}

	rejected := []struct {
		name, fn string
		args     []string
		code     string
	}{
		{"open twice", "Open", []string{open("a", 1)}, "ALREADY_EXISTS"},
		{"open negative", "Open", []string{open("c", -1)}, "INVALID_ARGUMENT"},
		{"open empty id", "Open", []string{open("", 1)}, "INVALID_ARGUMENT"},
		{"insufficient", "Transfer", []string{xfer("b", "a", 251)}, "INSUFFICIENT_FUNDS"},
		{"to self", "Transfer", []string{xfer("a", "a", 1)}, "INVALID_ARGUMENT"},
		{"unknown payee", "Transfer", []string{xfer("a", "zz", 1)}, "NOT_FOUND"},
		{"zero", "Transfer", []string{xfer("a", "b", 0)}, "INVALID_ARGUMENT"},
		{"positional args", "Transfer", []string{"a", "b"}, "INVALID_ARGUMENT"},
		{"case-folded key", "Transfer", []string{`{"FROM":"a","to":"b","amountFen":1}`}, "INVALID_ARGUMENT"},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.fn, tt.args...)
			if r.OK() || r.Committed {
				t.Fatalf("%s%v succeeded", tt.fn, tt.args)
			}
			if !strings.HasPrefix(r.Message, tt.code+":") {
				t.Fatalf("message %q, want code %s", r.Message, tt.code)
			}
		})
	}
	if a, b := e.balance("a"), e.balance("b"); a != 750 || b != 250 {
		t.Fatalf("rejected calls changed balances: a=%d b=%d", a, b)
	}
	if z := e.balance("never-opened"); z != 0 {
		t.Fatalf("balance of an unknown account = %d, want 0", z)
	}
}

// TestDefaultContract: network.sh probes readiness with an unqualified
// "Balance" call, so bench must be the default contract.
func TestDefaultContract(t *testing.T) {
	e := newEnv(t)
	if r := e.l.Invoke(e.cc, memstub.Tx{Creator: e.id, Fn: "Balance", Args: []string{`{"account":"probe"}`}}); !r.OK() || string(r.Payload) != `{"account":"probe","amountFen":0}` {
		t.Fatalf("Balance probe: %d %s %q", r.Status, r.Message, r.Payload)
	}
	if r := e.l.Invoke(e.cc, memstub.Tx{Creator: e.id, Fn: "system:Version", Args: []string{"{}"}}); !r.OK() {
		t.Fatalf("system:Version: %s", r.Message)
	}
}
