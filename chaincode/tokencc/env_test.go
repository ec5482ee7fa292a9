package tokencc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
	AH = "AnhuiMSP"
)

var day0 = time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC)

// identities are generated once per test binary: key generation dominates
// otherwise.
var identities = map[string]*memstub.Identity{}

// Roles, as the tests name them.
const (
	RoleOperator   = api.RoleOperator
	RoleCompliance = api.RoleCompliance
	RoleIssuer     = api.RoleIssuer
	RoleAuditor    = api.RoleAuditor
)

func ident(msp string, role api.Role) *memstub.Identity {
	k := msp + "/" + string(role)
	if id, ok := identities[k]; ok {
		return id
	}
	attrs := map[string]string{}
	if role != "" {
		attrs["role"] = string(role)
	}
	id := memstub.MustIdentity(msp, string(role)+"@"+msp, attrs)
	identities[k] = id
	return id
}

type env struct {
	tb testing.TB
	l  *memstub.Ledger
	cc *contractapi.ContractChaincode
	// mints numbers mint IDs.
	mints int
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	cc, err := contractapi.NewChaincode(govcc.New(), New())
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{tb: tb, l: memstub.NewLedger(day0), cc: cc}
	r := e.invoke(memstub.Tx{Creator: ident(SH, api.RoleAdmin), Fn: "gov:Init", Args: []string{reqArg(govcc.DefaultConfig())}})
	if !r.OK() {
		tb.Fatalf("gov:Init: %s", r.Message)
	}
	return e
}

func reqArg(req any) string {
	if s, ok := req.(string); ok {
		return s
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (e *env) invoke(tx memstub.Tx) memstub.Result { return e.l.Invoke(e.cc, tx) }

// call invokes "token:fn" as who with one request (a JSON string, or a
// value to encode; nil means "{}").
func (e *env) call(who *memstub.Identity, fn string, req any) memstub.Result {
	if req == nil {
		req = "{}"
	}
	return e.invoke(memstub.Tx{Creator: who, Fn: api.ContractToken + ":" + fn, Args: []string{reqArg(req)}})
}

// ok invokes and fails the test unless the call succeeded; it decodes the
// payload into out if out is not nil.
func (e *env) ok(who *memstub.Identity, fn string, req any, out any) memstub.Result {
	e.tb.Helper()
	r := e.call(who, fn, req)
	if !r.OK() {
		e.tb.Fatalf("%s failed: %s", fn, r.Message)
	}
	if out != nil {
		if err := json.Unmarshal(r.Payload, out); err != nil {
			e.tb.Fatalf("%s payload %s: %v", fn, r.Payload, err)
		}
	}
	return r
}

// query invokes an evaluate function.
func (e *env) query(who *memstub.Identity, fn string, out any, req any) {
	e.tb.Helper()
	r := e.call(who, fn, req)
	if !r.OK() {
		e.tb.Fatalf("%s failed: %s", fn, r.Message)
	}
	if err := json.Unmarshal(r.Payload, out); err != nil {
		e.tb.Fatalf("%s payload %s: %v", fn, r.Payload, err)
	}
}

// codeOf reads the leading code of a Fabric error message, as the gateway
// does.
func codeOf(msg string) api.Code {
	i := strings.Index(msg, ": ")
	if i < 0 {
		return ""
	}
	return api.Code(msg[:i])
}

// rejects asserts the call fails with code and leaves state unchanged.
func (e *env) rejects(who *memstub.Identity, fn string, req any, code api.Code) {
	e.tb.Helper()
	before := e.l.Snapshot()
	r := e.call(who, fn, req)
	if r.OK() {
		e.tb.Fatalf("%s succeeded, want %s", fn, code)
	}
	if got := codeOf(r.Message); got != code {
		e.tb.Fatalf("%s: code %s (%s), want %s", fn, got, r.Message, code)
	}
	if !reflect.DeepEqual(before, e.l.Snapshot()) {
		e.tb.Fatalf("%s rejected but state changed", fn)
	}
}

func (e *env) open(msp, id string, kind api.Kind, tier string) {
	e.tb.Helper()
	r := e.invoke(memstub.Tx{Creator: ident(msp, RoleOperator), Fn: "token:OpenAccount",
		Args:      []string{reqArg(api.OpenAccountRequest{ID: id, Kind: kind, Tier: tier})},
		Transient: map[string][]byte{api.TransientCustomerRef: []byte("ref-" + id), api.TransientSalt: []byte("s")}})
	if !r.OK() {
		e.tb.Fatalf("open %s: %s", id, r.Message)
	}
}

// mint issues amount into a reserve account and returns the output ID.
func (e *env) mint(account, amount string) string {
	e.tb.Helper()
	e.mints++
	var m api.MintRecord
	e.ok(ident(SH, RoleIssuer), "Mint", fmt.Sprintf(`{"mintId":"mint-%d","account":%q,"amount":%q,"reserveRef":"ref"}`, e.mints, account, amount), &m)
	return m.Output
}

// pay transfers and returns the payment.
func (e *env) pay(msp string, r api.TransferRequest) api.Payment {
	e.tb.Helper()
	var p api.Payment
	e.ok(ident(msp, RoleOperator), "Transfer", r, &p)
	return p
}

func (e *env) balance(account string) string {
	e.tb.Helper()
	var b api.Balance
	e.query(ident(SH, RoleAuditor), "GetBalance", &b, api.AccountRequest{ID: account})
	return b.Balance.String()
}

// fixture: reserve accounts in Shanghai and Jiangsu, a class-IV customer
// (alice) and a merchant in Shanghai, a class-II customer (bob) in Jiangsu.
type fixture struct {
	*env
	shOut    string // an unspent output of sh-reserve (1,000,000.00 at start)
	aliceOut string // set by fundAlice
}

func newFixture(tb testing.TB) *fixture {
	e := newEnv(tb)
	e.open(SH, "sh-reserve", api.KindReserve, "")
	e.open(JS, "js-reserve", api.KindReserve, "")
	e.open(SH, "alice", api.KindCustomer, api.TierClassIV)
	e.open(SH, "m1", api.KindMerchant, "")
	e.open(JS, "bob", api.KindCustomer, api.TierClassII)
	return &fixture{env: e, shOut: e.mint("sh-reserve", "1000000")}
}
