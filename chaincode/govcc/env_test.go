package govcc_test

// The governance tests run the real yrd chaincode on memstub; every
// submitted transaction is endorsed by all four provinces and committed
// with memstub's validation.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
	"github.com/yangtze-delta/settlement/money"
)

const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
	AH = "AnhuiMSP"
)

var orgs = []string{AH, JS, SH, ZJ}

// pbc is each province's central-bank branch; reserve its reserve account.
var pbc = map[string]string{SH: "SH-PBC", JS: "JS-PBC", ZJ: "ZJ-PBC", AH: "AH-PBC"}

func reserve(msp string) string { return pbc[msp] + ":reserve" }

var day0 = time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC)

var identities = struct {
	sync.Mutex
	m map[string]*memstub.Identity
}{m: map[string]*memstub.Identity{}}

// ident is identity cn of msp with a role and a bank attribute.
func ident(msp string, role api.Role, bank, cn string) *memstub.Identity {
	k := strings.Join([]string{msp, string(role), bank, cn}, "/")
	identities.Lock()
	defer identities.Unlock()
	if id, ok := identities.m[k]; ok {
		return id
	}
	attrs := map[string]string{}
	if role != "" {
		attrs["role"] = string(role)
	}
	if bank != "" {
		attrs["bank"] = bank
	}
	id := memstub.MustIdentity(msp, cn+"@"+msp, attrs)
	identities.m[k] = id
	return id
}

// issuer is an issuer of msp's central-bank branch; issuer2 another one.
func issuer(msp string) *memstub.Identity  { return ident(msp, api.RoleIssuer, pbc[msp], "issuer") }
func issuer2(msp string) *memstub.Identity { return ident(msp, api.RoleIssuer, pbc[msp], "issuer2") }
func admin(msp string) *memstub.Identity   { return ident(msp, api.RoleAdmin, "", "admin") }
func auditor(msp string) *memstub.Identity { return ident(msp, api.RoleAuditor, "", "auditor") }
func operator(msp, bank string) *memstub.Identity {
	return ident(msp, api.RoleOperator, bank, "operator")
}

func y(s string) money.Amount { return money.MustParseYuan(s) }

var chaincode = func() shim.Chaincode {
	cc, err := yrdcc.New("test")
	if err != nil {
		panic(err)
	}
	return cc
}()

type env struct {
	tb  testing.TB
	l   *memstub.Ledger
	seq *int
}

// newEnv is a configured ledger without ceilings or accounts.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	l := memstub.NewLedger(day0)
	l.Orgs = orgs
	e := &env{tb: tb, l: l, seq: new(int)}
	must(e, admin(SH), api.Init, govcc.DefaultConfig())
	return e
}

// newReserves is newEnv with every province's reserve account open.
func newReserves(tb testing.TB) *env {
	e := newEnv(tb)
	for _, m := range orgs {
		must(e, issuer(m), api.OpenAccount, api.OpenAccountRequest{ID: reserve(m), Kind: api.KindReserve})
	}
	return e
}

func (e *env) with(tb testing.TB) *env { c := *e; c.tb = tb; return &c }

func (e *env) next() int { *e.seq++; return *e.seq }

func (e *env) submit(tx memstub.Tx) memstub.Result {
	e.tb.Helper()
	en := e.l.Endorse(chaincode, tx)
	if !en.OK() {
		return en.Result
	}
	b, err := e.l.Commit(en)
	if err != nil {
		e.tb.Fatalf("%s: commit: %v", tx.Fn, err)
	}
	if code := b.Txs[0].Code; code != peer.TxValidationCode_VALID {
		e.tb.Fatalf("%s: honest transaction committed as %s", tx.Fn, code)
	}
	return en.Result
}

func (e *env) raw(who *memstub.Identity, fn, arg string) memstub.Result {
	e.tb.Helper()
	tx := memstub.Tx{Creator: who, Fn: fn, Args: []string{arg}}
	if op, ok := api.Lookup(fn); ok && op.Mode == api.Evaluate {
		return e.l.Evaluate(chaincode, tx)
	}
	return e.submit(tx)
}

func encode(req any) string {
	if s, ok := req.(string); ok {
		return s
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func call[Req, Resp any](e *env, who *memstub.Identity, op api.Operation[Req, Resp], req any) (Resp, memstub.Result) {
	e.tb.Helper()
	r := e.raw(who, op.Function(), encode(req))
	var out Resp
	if r.OK() {
		if err := json.Unmarshal(r.Payload, &out); err != nil {
			e.tb.Fatalf("%s: payload %s: %v", op.Function(), r.Payload, err)
		}
	}
	return out, r
}

func must[Req, Resp any](e *env, who *memstub.Identity, op api.Operation[Req, Resp], req any) Resp {
	e.tb.Helper()
	out, r := call(e, who, op, req)
	if !r.OK() {
		e.tb.Fatalf("%s: %s", op.Function(), r.Message)
	}
	return out
}

func codeOf(msg string) api.Code {
	i := strings.Index(msg, ": ")
	if i < 0 {
		return ""
	}
	return api.Code(msg[:i])
}

// reject asserts op fails with code and changes nothing.
func reject[Req, Resp any](e *env, who *memstub.Identity, op api.Operation[Req, Resp], req any, code api.Code) {
	e.tb.Helper()
	before, height := e.l.Snapshot(), e.l.Height()
	_, r := call(e, who, op, req)
	if r.OK() {
		e.tb.Fatalf("%s succeeded, want %s", op.Function(), code)
	}
	if got := codeOf(r.Message); got != code {
		e.tb.Fatalf("%s: code %q (%s), want %s", op.Function(), got, r.Message, code)
	}
	if !reflect.DeepEqual(before, e.l.Snapshot()) || e.l.Height() != height {
		e.tb.Fatalf("%s was rejected but the ledger changed", op.Function())
	}
}

// others are the provinces other than msp, in order.
func others(msp string) []string {
	var out []string
	for _, o := range orgs {
		if o != msp {
			out = append(out, o)
		}
	}
	return out
}

// propose records r as who (its ID defaults to "MSP:pN").
func (e *env) propose(who *memstub.Identity, r api.ProposeRequest) string {
	e.tb.Helper()
	if r.ID == "" {
		r.ID = fmt.Sprintf("%s:p%d", who.MSPID, e.next())
	}
	must(e, who, api.Propose, r)
	return r.ID
}

// approve has each identity approve proposal id.
func (e *env) approve(id string, who ...*memstub.Identity) {
	e.tb.Helper()
	for _, w := range who {
		must(e, w, api.Approve, api.ProposalID{ID: id})
	}
}

// decide proposes r as msp's issuer, has two other provinces' issuers
// approve and executes as msp's issuer.
func (e *env) decide(msp string, r api.ProposeRequest, inputs []string) api.Execution {
	e.tb.Helper()
	id := e.propose(issuer(msp), r)
	e.approve(id, issuer(others(msp)[0]), issuer(others(msp)[1]))
	return must(e, issuer(msp), api.Execute, api.ExecuteRequest{ID: id, Inputs: inputs})
}

func (e *env) setCeiling(msp string, c money.Amount) {
	e.tb.Helper()
	e.decide(msp, api.ProposeRequest{Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: msp, Ceiling: c}}, nil)
}

func mintReq(msp string, amount money.Amount, ref string) api.ProposeRequest {
	return api.ProposeRequest{Action: api.ActionMint, Mint: &api.MintParams{Account: reserve(msp), Amount: amount, ReserveRef: ref}}
}

func (e *env) supply() money.Amount {
	e.tb.Helper()
	return must(e, auditor(AH), api.GetSupply, api.Empty{}).Total
}

func (e *env) balance(id string) money.Amount {
	e.tb.Helper()
	return must(e, auditor(AH), api.GetBalance, api.AccountRequest{ID: id}).Balance
}

func (e *env) issued(msp string) money.Amount {
	e.tb.Helper()
	return must(e, auditor(AH), api.GetCeiling, api.CeilingRequest{MSP: msp}).Issued
}

// envelope decodes a transaction's one chaincode event.
func envelope(tb testing.TB, r memstub.Result) api.Envelope {
	tb.Helper()
	if len(r.Events) != 1 || r.Events[0].Name != api.EventName {
		tb.Fatalf("want exactly one %q event, got %d", api.EventName, len(r.Events))
	}
	var env api.Envelope
	if err := json.Unmarshal(r.Events[0].Payload, &env); err != nil {
		tb.Fatal(err)
	}
	return env
}
