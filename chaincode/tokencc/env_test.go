package tokencc_test

// The tests of package tokencc run the real yrd chaincode (system, gov and
// token contracts through contractapi) on memstub. Every submitted
// transaction is endorsed by all four provinces and committed with
// memstub's validation (key-level policies, MVCC), so an honest test
// transaction also proves that the policies it set let it through.
//
// They live in package tokencc_test because govcc (the only way to mint)
// imports tokencc.

import (
	"crypto/sha256"
	"encoding/hex"
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

// The provinces.
const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
	AH = "AnhuiMSP"
)

// orgs are the provinces, sorted as the configuration lists them.
var orgs = []string{AH, JS, SH, ZJ}

// Banks and the province each belongs to. "-PBC" is the province's
// central-bank branch (issuer), "-FIN" a fiscal bureau, the others
// commercial banks (operators).
const (
	shPBC  = "SH-PBC"
	shICBC = "SH-ICBC" // bank A of Shanghai
	shBOC  = "SH-BOC"  // bank B of Shanghai
	shFIN  = "SH-FIN"
	jsPBC  = "JS-PBC"
	jsABC  = "JS-ABC"
	zjPBC  = "ZJ-PBC"
	zjCCB  = "ZJ-CCB"
	ahPBC  = "AH-PBC"
	ahFIN  = "AH-FIN"
)

var bankMSP = map[string]string{
	shPBC: SH, shICBC: SH, shBOC: SH, shFIN: SH,
	jsPBC: JS, jsABC: JS,
	zjPBC: ZJ, zjCCB: ZJ,
	ahPBC: AH, ahFIN: AH,
}

// pbcOf is each province's central-bank branch.
var pbcOf = map[string]string{SH: shPBC, JS: jsPBC, ZJ: zjPBC, AH: ahPBC}

// day0 is 09:00 in Shanghai.
var day0 = time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC)

// identities are generated once per test binary: key generation dominates
// otherwise.
var identities = struct {
	sync.Mutex
	m map[string]*memstub.Identity
}{m: map[string]*memstub.Identity{}}

// ident is the identity cn of msp with a role and a bank attribute (either
// may be empty).
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

// actor is the identity that acts for bank: the issuer of a central-bank
// branch, the fiscal bureau's officer, or a commercial bank's operator.
func actor(bank string) *memstub.Identity {
	msp, ok := bankMSP[bank]
	if !ok {
		panic("unknown bank " + bank)
	}
	switch {
	case strings.HasSuffix(bank, "-PBC"):
		return ident(msp, api.RoleIssuer, bank, "issuer")
	case strings.HasSuffix(bank, "-FIN"):
		return ident(msp, api.RoleFiscal, bank, "fiscal")
	}
	return ident(msp, api.RoleOperator, bank, "operator")
}

// owner is the identity that acts for the bank owning account id.
func owner(id string) *memstub.Identity { return actor(api.NamespaceOf(id)) }

func issuer(msp string) *memstub.Identity { return actor(pbcOf[msp]) }
func compliance(msp string) *memstub.Identity {
	return ident(msp, api.RoleCompliance, "", "compliance")
}
func auditor(msp string) *memstub.Identity { return ident(msp, api.RoleAuditor, "", "auditor") }
func admin(msp string) *memstub.Identity   { return ident(msp, api.RoleAdmin, "", "admin") }

func y(s string) money.Amount { return money.MustParseYuan(s) }

// env is a ledger with the yrd chaincode, configured by gov:Init.
type env struct {
	tb testing.TB
	l  *memstub.Ledger
	cc shim.Chaincode
	// seq numbers proposal IDs and reserve references; shared by the
	// copies with makes.
	seq *int
}

// with returns e reporting to tb (a subtest's): helpers fail the test they
// run in, never a parent.
func (e *env) with(tb testing.TB) *env {
	c := *e
	c.tb = tb
	return &c
}

// with returns f reporting to tb.
func (f *fixture) with(tb testing.TB) *fixture {
	c := *f
	c.env = f.env.with(tb)
	return &c
}

var chaincode = func() shim.Chaincode {
	cc, err := yrdcc.New("test")
	if err != nil {
		panic(err)
	}
	return cc
}()

func newEnv(tb testing.TB) *env {
	tb.Helper()
	l := memstub.NewLedger(day0)
	l.Orgs = orgs
	e := &env{tb: tb, l: l, cc: chaincode, seq: new(int)}
	must(e, admin(SH), api.Init, govcc.DefaultConfig())
	return e
}

// submit endorses tx on all four provinces and, if the chaincode answered
// 200, commits it; the commit must be valid.
func (e *env) submit(tx memstub.Tx) memstub.Result {
	e.tb.Helper()
	en := e.l.Endorse(e.cc, tx)
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

// raw runs function fn (qualified, "token:Transfer") with one argument and
// a transient map: evaluated for evaluate operations, else submitted.
func (e *env) raw(who *memstub.Identity, fn, arg string, transient map[string][]byte) memstub.Result {
	e.tb.Helper()
	tx := memstub.Tx{Creator: who, Fn: fn, Args: []string{arg}, Transient: transient}
	if op, ok := api.Lookup(fn); ok && op.Mode == api.Evaluate {
		return e.l.Evaluate(e.cc, tx)
	}
	return e.submit(tx)
}

// encode renders a request; a string is taken as the raw argument.
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

// call runs op with req (a request value, or a raw JSON string).
func call[Req, Resp any](e *env, who *memstub.Identity, op api.Operation[Req, Resp], req any) (Resp, memstub.Result) {
	e.tb.Helper()
	r := e.raw(who, op.Function(), encode(req), nil)
	var out Resp
	if r.OK() {
		if err := json.Unmarshal(r.Payload, &out); err != nil {
			e.tb.Fatalf("%s: payload %s: %v", op.Function(), r.Payload, err)
		}
	}
	return out, r
}

// must runs op and fails the test unless it succeeded.
func must[Req, Resp any](e *env, who *memstub.Identity, op api.Operation[Req, Resp], req any) Resp {
	e.tb.Helper()
	out, r := call(e, who, op, req)
	if !r.OK() {
		e.tb.Fatalf("%s: %s", op.Function(), r.Message)
	}
	return out
}

// codeOf reads the leading code of a chaincode error message, as the
// gateway does.
func codeOf(msg string) api.Code {
	i := strings.Index(msg, ": ")
	if i < 0 {
		return ""
	}
	return api.Code(msg[:i])
}

// rejectRaw runs fn and asserts it fails with code and changes nothing.
func (e *env) rejectRaw(who *memstub.Identity, fn, arg string, transient map[string][]byte, code api.Code) memstub.Result {
	e.tb.Helper()
	before := e.l.Snapshot()
	height := e.l.Height()
	r := e.raw(who, fn, arg, transient)
	if r.OK() {
		e.tb.Fatalf("%s succeeded, want %s", fn, code)
	}
	if got := codeOf(r.Message); got != code {
		e.tb.Fatalf("%s: code %q (%s), want %s", fn, got, r.Message, code)
	}
	if !reflect.DeepEqual(before, e.l.Snapshot()) || e.l.Height() != height {
		e.tb.Fatalf("%s was rejected but the ledger changed", fn)
	}
	if len(r.Payload) != 0 {
		e.tb.Fatalf("%s was rejected but answered %s", fn, r.Payload)
	}
	return r
}

// reject runs op and asserts it fails with code and changes nothing.
func reject[Req, Resp any](e *env, who *memstub.Identity, op api.Operation[Req, Resp], req any, code api.Code) memstub.Result {
	e.tb.Helper()
	return e.rejectRaw(who, op.Function(), encode(req), nil, code)
}

// hash64 is a customer reference hash as a bank's gateway would make it.
func hash64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// open opens account id (its bank is its namespace) as the bank's actor.
func (e *env) open(id string, kind api.Kind, tier string) api.Account {
	e.tb.Helper()
	r := api.OpenAccountRequest{ID: id, Kind: kind, Tier: tier}
	switch kind {
	case api.KindCustomer:
		r.CustomerRefHash = hash64("customer " + id)
	case api.KindMerchant:
		r.MerchantCategory = "5411"
	}
	return must(e, owner(id), api.OpenAccount, r)
}

// next returns a fresh sequence number.
func (e *env) next() int { *e.seq++; return *e.seq }

// approversOf are two provinces other than msp: with msp's own approval,
// the three a decision needs.
func approversOf(msp string) []string {
	var out []string
	for _, o := range orgs {
		if o != msp && len(out) < 2 {
			out = append(out, o)
		}
	}
	return out
}

// decide proposes r as the issuer of msp, has the issuers of two other
// provinces approve it, and executes it as msp's issuer.
func (e *env) decide(msp string, r api.ProposeRequest, inputs []string) api.Execution {
	e.tb.Helper()
	if r.ID == "" {
		r.ID = fmt.Sprintf("%s:p%d", msp, e.next())
	}
	must(e, issuer(msp), api.Propose, r)
	for _, o := range approversOf(msp) {
		must(e, issuer(o), api.Approve, api.ProposalID{ID: r.ID})
	}
	return must(e, issuer(msp), api.Execute, api.ExecuteRequest{ID: r.ID, Inputs: inputs})
}

// setCeiling sets msp's issuance ceiling by a decision of three provinces.
func (e *env) setCeiling(msp string, ceiling money.Amount) {
	e.tb.Helper()
	e.decide(msp, api.ProposeRequest{Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: msp, Ceiling: ceiling}}, nil)
}

// mint issues amount into a province's reserve (account ID "XX-PBC:…") by a
// decision of three provinces and returns the new output's ID.
func (e *env) mint(account string, amount money.Amount) string {
	e.tb.Helper()
	msp := bankMSP[api.NamespaceOf(account)]
	ex := e.decide(msp, api.ProposeRequest{Action: api.ActionMint,
		Mint: &api.MintParams{Account: account, Amount: amount, ReserveRef: fmt.Sprintf("deposit-%d", e.next())}}, nil)
	return ex.Mint.Output
}

// pay transfers as the payer's bank and returns the payment.
func (e *env) pay(r api.TransferRequest) api.Payment {
	e.tb.Helper()
	return must(e, owner(r.From), api.Transfer, r)
}

// balance reads an account's balance as an auditor.
func (e *env) balance(account string) money.Amount {
	e.tb.Helper()
	return must(e, auditor(AH), api.GetBalance, api.AccountRequest{ID: account}).Balance
}

func (e *env) supply() money.Amount {
	e.tb.Helper()
	return must(e, auditor(AH), api.GetSupply, api.Empty{}).Total
}

// envelope decodes a transaction's one chaincode event.
func envelope(tb testing.TB, r memstub.Result) api.Envelope {
	tb.Helper()
	if len(r.Events) != 1 || r.Events[0].Name != api.EventName {
		tb.Fatalf("want exactly one %q event, got %d", api.EventName, len(r.Events))
	}
	var env api.Envelope
	if err := json.Unmarshal(r.Events[0].Payload, &env); err != nil {
		tb.Fatalf("envelope %s: %v", r.Events[0].Payload, err)
	}
	if env.Version != api.EnvelopeVersion || env.TxID != r.TxID {
		tb.Fatalf("envelope header %+v, tx %s", env, r.TxID)
	}
	return env
}

// ckey builds a composite key as the shim does; the object types are the
// contract's documented key namespace (chaincode/tokencc/keys.go), written
// out here so that a renamed namespace fails the tests that look for it.
func ckey(objectType string, attrs ...string) string {
	k, err := shim.CreateCompositeKey(objectType, attrs)
	if err != nil {
		panic(err)
	}
	return k
}

// Object types of the key namespace.
const (
	nsAccount = "yrd.acct"
	nsOutput  = "yrd.out"
	nsSpent   = "yrd.spent"
	nsPayment = "yrd.pay"
	nsMint    = "yrd.mint"
	nsRedeem  = "yrd.redeem"
	nsCeiling = "yrd.ceil"
	nsReserve = "yrd.resref"
	nsMerge   = "yrd.merge"
	nsStmt    = "yrd.stmt"
	nsDaily   = "yrd.daily"
	nsSupply  = "yrd.supply"
	nsConfig  = "yrd.config"
	nsProp    = "yrd.prop"
	nsAppr    = "yrd.appr"
)

// objectType returns a composite key's object type ("" for a simple key).
func objectType(k string) string {
	if !strings.HasPrefix(k, "\x00") {
		return ""
	}
	parts := strings.Split(k[1:], "\x00")
	return parts[0]
}

// keysOf lists the committed keys of an object type whose first attributes
// are attrs.
func (e *env) keysOf(objectType string, attrs ...string) []string {
	prefix := ckey(objectType, attrs...)
	var out []string
	for _, k := range e.l.Keys() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// Account IDs of the fixture.
const (
	shReserve = shPBC + ":reserve"
	jsReserve = jsPBC + ":reserve"
	alice     = shICBC + ":alice"  // class-IV customer of bank A, Shanghai
	shop      = shICBC + ":shop"   // merchant of bank A, Shanghai
	settle    = shICBC + ":settle" // settlement account of bank A
	bella     = shBOC + ":bella"   // class-II customer of bank B, Shanghai
	bob       = jsABC + ":bob"     // class-II customer, Jiangsu
	treasury  = shFIN + ":treasury"
)

// fixture: ceilings for Shanghai and Jiangsu, both reserves, customers and
// a merchant of two Shanghai banks, a Jiangsu customer, and 1,000,000.00
// minted into the Shanghai reserve.
type fixture struct {
	*env
	shOut    string // an unspent output of the Shanghai reserve
	aliceOut string // set by fundAlice
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	e := newEnv(tb)
	e.setCeiling(SH, y("10000000"))
	e.setCeiling(JS, y("10000000"))
	e.open(shReserve, api.KindReserve, "")
	e.open(jsReserve, api.KindReserve, "")
	e.open(alice, api.KindCustomer, api.TierClassIV)
	e.open(shop, api.KindMerchant, "")
	e.open(settle, api.KindSettlement, "")
	e.open(bella, api.KindCustomer, api.TierClassII)
	e.open(bob, api.KindCustomer, api.TierClassII)
	e.open(treasury, api.KindFiscal, "")
	return &fixture{env: e, shOut: e.mint(shReserve, y("1000000"))}
}

// fundAlice pays alice from the Shanghai reserve and remembers her output.
func (f *fixture) fundAlice(local string, amount string) {
	f.tb.Helper()
	p := f.pay(api.TransferRequest{PaymentID: shPBC + ":" + local, From: shReserve, To: alice, Amount: y(amount), Inputs: []string{f.shOut}})
	f.aliceOut, f.shOut = p.PayeeOutput, p.ChangeOutputs[0]
}

// freeze freezes an account as its province's compliance officer.
func (e *env) freeze(id, reason string) memstub.Result {
	e.tb.Helper()
	msp := bankMSP[api.NamespaceOf(id)]
	r := e.raw(compliance(msp), api.Freeze.Function(), encode(api.FreezeRequest{ID: id}), freezeTransient(reason, "0123456789abcdef"))
	if !r.OK() {
		e.tb.Fatalf("freeze %s: %s", id, r.Message)
	}
	return r
}

func freezeTransient(reason, salt string) map[string][]byte {
	return map[string][]byte{api.TransientFreezeReason: []byte(reason), api.TransientFreezeSalt: []byte(salt)}
}

// xfer is a transfer request of payment ID "BANK:x" (the payer's bank).
func xfer(from, to, amount string, inputs ...string) api.TransferRequest {
	return api.TransferRequest{PaymentID: api.NamespaceOf(from) + ":x", From: from, To: to, Amount: y(amount), Inputs: inputs}
}
