// Package cctest is the test environment that the contract tests of the
// yrd chaincode share: the four provinces and their banks, identities with
// role and bank attributes, and an Env, a memstub ledger configured by
// gov:Init whose transactions run as on the network:
//
//   - every submitted transaction is endorsed by all four provinces (or
//     the orgs memstub.Tx.Endorsers names: RecordFreezeReason, by the
//     caller's province alone) and committed with memstub's validation
//     (key-level, collection and chaincode-level policies, MVCC), and must
//     be valid, so an honest test transaction also proves that the
//     policies it set let it through;
//   - the ledger declares the chaincode's private data collections as
//     network/chaincode/yrd/collections.json does, so that private data
//     answers as on each province's peer;
//   - evaluate operations are evaluated, never ordered.
//
// The helpers fail the test they were given (Env.TB) and assert on answer
// codes (api.Code), never on message text. Must, Call and Reject take an
// Env or any type that embeds one (Host), so a package's own fixture can
// add its helpers beside them.
//
// cctest imports no contract but govcc (for the default configuration):
// each test package passes the chaincode it runs, so a contract package's
// own internal tests can use it too.
package cctest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/money"
)

// The provinces' MSP IDs.
const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
	AH = "AnhuiMSP"
)

// Orgs returns the provinces, sorted as the configuration lists them.
func Orgs() []string { return append([]string(nil), govcc.DefaultConfig().Orgs...) }

// Day0 is 09:00 in Shanghai on a Monday: the ledger's clock at the start.
var Day0 = time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC)

// Bank returns the code of msp's bank named local: the province's
// bank-code prefix (govcc.DefaultConfig) and local, e.g. Bank(SH, "PBC")
// is "SH-PBC".
func Bank(msp, local string) string {
	p, ok := govcc.DefaultConfig().BankPrefixes[msp]
	if !ok {
		panic("cctest: no bank prefix for " + msp)
	}
	return p + local
}

// PBC is the code of msp's central-bank branch, which owns its reserve.
func PBC(msp string) string { return Bank(msp, "PBC") }

// ProvinceOf returns the province a bank code belongs to by its prefix;
// it panics for a code of no province.
func ProvinceOf(bank string) string {
	cfg := govcc.DefaultConfig()
	msp, ok := cfg.ProvinceOfBank(bank)
	if !ok {
		panic("cctest: bank " + bank + " belongs to no province")
	}
	return msp
}

// identities are generated once per test binary: key generation dominates
// otherwise.
var identities = struct {
	sync.Mutex
	m map[string]*memstub.Identity
}{m: map[string]*memstub.Identity{}}

// Ident is the identity cn of msp with a role and a bank attribute (either
// may be empty). The same arguments give the same certificate.
func Ident(msp string, role api.Role, bank, cn string) *memstub.Identity {
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

// Issuer is an issuer of msp's central-bank branch.
func Issuer(msp string) *memstub.Identity { return Ident(msp, api.RoleIssuer, PBC(msp), "issuer") }

// Admin is an admin of msp.
func Admin(msp string) *memstub.Identity { return Ident(msp, api.RoleAdmin, "", "admin") }

// Auditor is an auditor of msp.
func Auditor(msp string) *memstub.Identity { return Ident(msp, api.RoleAuditor, "", "auditor") }

// Compliance is msp's compliance officer.
func Compliance(msp string) *memstub.Identity {
	return Ident(msp, api.RoleCompliance, "", "compliance")
}

// Others are the provinces other than msp, sorted.
func Others(msp string) []string {
	var out []string
	for _, o := range Orgs() {
		if o != msp {
			out = append(out, o)
		}
	}
	return out
}

// collectionsFile is the network's collection configuration, found from
// this source file (tests always have the source).
func collectionsFile() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("cctest: cannot locate the source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "network", "chaincode", "yrd", "collections.json")
}

// memberPolicy is the one form of member policy memstub models.
var memberPolicy = regexp.MustCompile(`'([A-Za-z0-9.-]+)\.member'`)

// Collections returns the yrd chaincode's private data collections as
// network/chaincode/yrd/collections.json defines them, in the form of
// memstub.Ledger.Collections: name -> member MSP IDs. It fails for a
// collection memstub cannot model (not member-only for reads and writes, a
// member policy other than an OR of members, or an endorsement policy
// other than a peer of any member).
func Collections() (map[string][]string, error) {
	b, err := os.ReadFile(collectionsFile())
	if err != nil {
		return nil, err
	}
	var colls []struct {
		Name              string `json:"name"`
		Policy            string `json:"policy"`
		MemberOnlyRead    bool   `json:"memberOnlyRead"`
		MemberOnlyWrite   bool   `json:"memberOnlyWrite"`
		EndorsementPolicy struct {
			SignaturePolicy string `json:"signaturePolicy"`
		} `json:"endorsementPolicy"`
	}
	if err := json.Unmarshal(b, &colls); err != nil {
		return nil, fmt.Errorf("collections.json: %w", err)
	}
	out := map[string][]string{}
	for _, c := range colls {
		if !c.MemberOnlyRead || !c.MemberOnlyWrite {
			return nil, fmt.Errorf("collection %s is not member-only for reads and writes, which memstub models", c.Name)
		}
		if !strings.HasPrefix(c.Policy, "OR(") {
			return nil, fmt.Errorf("collection %s: policy %q is not an OR of members", c.Name, c.Policy)
		}
		if want := strings.ReplaceAll(c.Policy, ".member'", ".peer'"); c.EndorsementPolicy.SignaturePolicy != want {
			return nil, fmt.Errorf("collection %s: endorsement policy %q is not a peer of any member (%s), which memstub models",
				c.Name, c.EndorsementPolicy.SignaturePolicy, want)
		}
		for _, m := range memberPolicy.FindAllStringSubmatch(c.Policy, -1) {
			out[c.Name] = append(out[c.Name], m[1])
		}
		if len(out[c.Name]) == 0 {
			return nil, fmt.Errorf("collection %s: no members in policy %q", c.Name, c.Policy)
		}
	}
	return out, nil
}

// NewLedger is the four provinces' ledger, with the network's collections
// and nothing on it (before gov:Init).
func NewLedger(tb testing.TB) *memstub.Ledger {
	tb.Helper()
	colls, err := Collections()
	if err != nil {
		tb.Fatal(err)
	}
	l := memstub.NewLedger(Day0)
	l.Orgs = Orgs()
	l.Collections = colls
	return l
}

// Env is a ledger that runs the chaincode CC, reporting to TB.
type Env struct {
	TB testing.TB
	L  *memstub.Ledger
	CC shim.Chaincode
	// seq numbers proposal IDs and references; shared by the copies With
	// makes.
	seq *int
}

// Host is an Env, or a type that embeds one.
type Host interface{ env() *Env }

func (e *Env) env() *Env { return e }

// New is an Env configured by gov:Init (govcc.DefaultConfig, by
// Shanghai's admin).
func New(tb testing.TB, cc shim.Chaincode) *Env {
	tb.Helper()
	e := Unconfigured(tb, cc)
	Must(e, Admin(SH), api.Init, govcc.DefaultConfig())
	return e
}

// Unconfigured is an Env on a ledger before gov:Init.
func Unconfigured(tb testing.TB, cc shim.Chaincode) *Env {
	tb.Helper()
	return &Env{TB: tb, L: NewLedger(tb), CC: cc, seq: new(int)}
}

// With returns e reporting to tb (a subtest's): helpers fail the test they
// run in, never a parent.
func (e *Env) With(tb testing.TB) *Env {
	c := *e
	c.TB = tb
	return &c
}

// Next returns a fresh sequence number.
func (e *Env) Next() int { *e.seq++; return *e.seq }

// Submit endorses tx on all four provinces (or tx.Endorsers) and, if the
// chaincode answered 200, commits it; the commit must be valid.
func (e *Env) Submit(tx memstub.Tx) memstub.Result {
	e.TB.Helper()
	en := e.L.Endorse(e.CC, tx)
	if !en.OK() {
		return en.Result
	}
	b, err := e.L.Commit(en)
	if err != nil {
		e.TB.Fatalf("%s: commit: %v", tx.Fn, err)
	}
	if code := b.Txs[0].Code; code != peer.TxValidationCode_VALID {
		e.TB.Fatalf("%s: honest transaction committed as %s", tx.Fn, code)
	}
	return en.Result
}

// Raw runs function fn (qualified, "token:Transfer") with one argument and
// a transient map: evaluated for evaluate operations, else submitted.
func (e *Env) Raw(who *memstub.Identity, fn, arg string, transient map[string][]byte) memstub.Result {
	e.TB.Helper()
	tx := memstub.Tx{Creator: who, Fn: fn, Args: []string{arg}, Transient: transient}
	if op, ok := api.Lookup(fn); ok && op.Mode == api.Evaluate {
		return e.L.Evaluate(e.CC, tx)
	}
	return e.Submit(tx)
}

// RecordFreezeReason submits token:RecordFreezeReason for account as who,
// with reason and salt as transient data, endorsed by the peer of who's
// province alone, as the gateway submits it; an endorsed transaction must
// commit valid (under the collection's endorsement policy). It answers the
// receipt (zero when refused) and the result.
func (e *Env) RecordFreezeReason(who *memstub.Identity, account, reason, salt string) (api.FreezeReasonReceipt, memstub.Result) {
	e.TB.Helper()
	r := e.Submit(memstub.Tx{Creator: who, Fn: api.RecordFreezeReason.Function(), Args: []string{Encode(api.AccountRequest{ID: account})},
		Transient: map[string][]byte{api.TransientFreezeReason: []byte(reason), api.TransientFreezeSalt: []byte(salt)},
		Endorsers: []string{who.MSPID}})
	var rc api.FreezeReasonReceipt
	if r.OK() {
		if err := json.Unmarshal(r.Payload, &rc); err != nil {
			e.TB.Fatalf("%s: payload %s: %v", api.RecordFreezeReason.Function(), r.Payload, err)
		}
	}
	return rc, r
}

// Freeze freezes account as its province's compliance officer, as the
// gateway does: RecordFreezeReason with a fresh salt (endorsed by the
// province alone), then token:Freeze naming the note's hash (endorsed by
// all four). It fails the test unless both succeed and answers Freeze's
// result.
func (e *Env) Freeze(account, reason string) memstub.Result {
	e.TB.Helper()
	who := Compliance(ProvinceOf(api.NamespaceOf(account)))
	rc, r := e.RecordFreezeReason(who, account, reason, fmt.Sprintf("salt-%016d", e.Next()))
	if !r.OK() {
		e.TB.Fatalf("%s %s: %s", api.RecordFreezeReason.Function(), account, r.Message)
	}
	r = e.Raw(who, api.Freeze.Function(), Encode(api.FreezeRequest{ID: account, ReasonHash: rc.Hash}), nil)
	if !r.OK() {
		e.TB.Fatalf("%s %s: %s", api.Freeze.Function(), account, r.Message)
	}
	return r
}

// Encode renders a request; a string is taken as the raw argument.
func Encode(req any) string {
	if s, ok := req.(string); ok {
		return s
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Call runs op with req (a request value, or a raw JSON string) and
// decodes the answer when it succeeded.
func Call[Req, Resp any](h Host, who *memstub.Identity, op api.Operation[Req, Resp], req any) (Resp, memstub.Result) {
	e := h.env()
	e.TB.Helper()
	r := e.Raw(who, op.Function(), Encode(req), nil)
	var out Resp
	if r.OK() {
		if err := json.Unmarshal(r.Payload, &out); err != nil {
			e.TB.Fatalf("%s: payload %s: %v", op.Function(), r.Payload, err)
		}
	}
	return out, r
}

// Must runs op and fails the test unless it succeeded.
func Must[Req, Resp any](h Host, who *memstub.Identity, op api.Operation[Req, Resp], req any) Resp {
	e := h.env()
	e.TB.Helper()
	out, r := Call(e, who, op, req)
	if !r.OK() {
		e.TB.Fatalf("%s: %s", op.Function(), r.Message)
	}
	return out
}

// CodeOf reads the leading code of a chaincode error message, as the
// gateway does.
func CodeOf(msg string) api.Code {
	i := strings.Index(msg, ": ")
	if i < 0 {
		return ""
	}
	return api.Code(msg[:i])
}

// RejectRaw runs fn and asserts that it fails with code, answers nothing
// and changes nothing (state, policies, height).
func (e *Env) RejectRaw(who *memstub.Identity, fn, arg string, transient map[string][]byte, code api.Code) memstub.Result {
	e.TB.Helper()
	before, height := e.L.Snapshot(), e.L.Height()
	r := e.Raw(who, fn, arg, transient)
	if r.OK() {
		e.TB.Fatalf("%s succeeded, want %s", fn, code)
	}
	if got := CodeOf(r.Message); got != code {
		e.TB.Fatalf("%s: code %q (%s), want %s", fn, got, r.Message, code)
	}
	if !reflect.DeepEqual(before, e.L.Snapshot()) || e.L.Height() != height {
		e.TB.Fatalf("%s was rejected but the ledger changed", fn)
	}
	if len(r.Payload) != 0 {
		e.TB.Fatalf("%s was rejected but answered %s", fn, r.Payload)
	}
	return r
}

// Reject runs op and asserts that it fails with code and changes nothing.
func Reject[Req, Resp any](h Host, who *memstub.Identity, op api.Operation[Req, Resp], req any, code api.Code) memstub.Result {
	e := h.env()
	e.TB.Helper()
	return e.RejectRaw(who, op.Function(), Encode(req), nil, code)
}

// Envelope decodes a transaction's one chaincode event and checks its
// header.
func Envelope(tb testing.TB, r memstub.Result) api.Envelope {
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

// Propose records r as who; an empty ID becomes "MSP:pN" in who's
// namespace. It returns the ID.
func (e *Env) Propose(who *memstub.Identity, r api.ProposeRequest) string {
	e.TB.Helper()
	if r.ID == "" {
		r.ID = fmt.Sprintf("%s:p%d", who.MSPID, e.Next())
	}
	Must(e, who, api.Propose, r)
	return r.ID
}

// Approve has each identity approve proposal id.
func (e *Env) Approve(id string, who ...*memstub.Identity) {
	e.TB.Helper()
	for _, w := range who {
		Must(e, w, api.Approve, api.ProposalID{ID: id})
	}
}

// Decide proposes r as msp's issuer, has the issuers of the first two
// other provinces approve it (three provinces with the proposer's) and
// executes it as msp's issuer.
func (e *Env) Decide(msp string, r api.ProposeRequest, inputs []string) api.Execution {
	e.TB.Helper()
	id := e.Propose(Issuer(msp), r)
	others := Others(msp)
	e.Approve(id, Issuer(others[0]), Issuer(others[1]))
	return Must(e, Issuer(msp), api.Execute, api.ExecuteRequest{ID: id, Inputs: inputs})
}

// SetCeiling sets msp's issuance ceiling by a decision of three provinces.
func (e *Env) SetCeiling(msp string, ceiling money.Amount) {
	e.TB.Helper()
	e.Decide(msp, api.ProposeRequest{Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: msp, Ceiling: ceiling}}, nil)
}

// Supply reads the total supply as an auditor.
func (e *Env) Supply() money.Amount {
	e.TB.Helper()
	return Must(e, Auditor(AH), api.GetSupply, api.Empty{}).Total
}

// Balance reads an account's balance as an auditor.
func (e *Env) Balance(account string) money.Amount {
	e.TB.Helper()
	return Must(e, Auditor(AH), api.GetBalance, api.AccountRequest{ID: account}).Balance
}

// Issued reads what msp's reserve has issued net of redemptions, as an
// auditor.
func (e *Env) Issued(msp string) money.Amount {
	e.TB.Helper()
	return Must(e, Auditor(AH), api.GetCeiling, api.CeilingRequest{MSP: msp}).Issued
}
