package tokencc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/internal/memstub"
	"github.com/yangtze-delta/settlement/chaincode/token"
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

func ident(msp, role string) *memstub.Identity {
	k := msp + "/" + role
	if id, ok := identities[k]; ok {
		return id
	}
	attrs := map[string]string{}
	if role != "" {
		attrs["role"] = role
	}
	id := memstub.MustIdentity(msp, role+"@"+msp, attrs)
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
	c, err := New(DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		tb.Fatal(err)
	}
	return &env{tb: tb, l: memstub.NewLedger(day0), cc: cc}
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

// call invokes "token:fn" as who.
func (e *env) call(who *memstub.Identity, fn string, args ...string) memstub.Result {
	return e.invoke(memstub.Tx{Creator: who, Fn: Name + ":" + fn, Args: args})
}

// ok invokes and fails the test unless the call succeeded; it decodes the
// payload into out if out is not nil.
func (e *env) ok(who *memstub.Identity, fn string, req any, out any) memstub.Result {
	e.tb.Helper()
	r := e.call(who, fn, reqArg(req))
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

// query invokes an evaluate function with plain string arguments.
func (e *env) query(who *memstub.Identity, fn string, out any, args ...string) {
	e.tb.Helper()
	r := e.call(who, fn, args...)
	if !r.OK() {
		e.tb.Fatalf("%s failed: %s", fn, r.Message)
	}
	if err := json.Unmarshal(r.Payload, out); err != nil {
		e.tb.Fatalf("%s payload %s: %v", fn, r.Payload, err)
	}
}

// codeOf reads the leading code of a Fabric error message, as the gateway
// does.
func codeOf(msg string) token.Code {
	i := strings.Index(msg, ": ")
	if i < 0 {
		return ""
	}
	return token.Code(msg[:i])
}

// rejects asserts the call fails with code and leaves state unchanged.
func (e *env) rejects(who *memstub.Identity, fn string, req any, code token.Code) {
	e.tb.Helper()
	before := e.l.Snapshot()
	r := e.call(who, fn, reqArg(req))
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

func (e *env) open(msp, id string, kind token.Kind, tier string) {
	e.tb.Helper()
	r := e.invoke(memstub.Tx{Creator: ident(msp, RoleOperator), Fn: "token:OpenAccount",
		Args:      []string{reqArg(token.OpenAccountRequest{ID: id, Kind: kind, Tier: tier})},
		Transient: map[string][]byte{TransientCustomerRef: []byte("ref-" + id), TransientSalt: []byte("s")}})
	if !r.OK() {
		e.tb.Fatalf("open %s: %s", id, r.Message)
	}
}

// mint issues amount into a reserve account and returns the output ID.
func (e *env) mint(account, amount string) string {
	e.tb.Helper()
	e.mints++
	var m token.Mint
	e.ok(ident(SH, RoleIssuer), "Mint", fmt.Sprintf(`{"mintId":"mint-%d","account":%q,"amount":%q,"reserveRef":"ref"}`, e.mints, account, amount), &m)
	return m.Output
}

// pay transfers and returns the payment.
func (e *env) pay(msp string, r token.TransferRequest) token.Payment {
	e.tb.Helper()
	var p token.Payment
	e.ok(ident(msp, RoleOperator), "Transfer", r, &p)
	return p
}

func (e *env) balance(account string) string {
	e.tb.Helper()
	var b Balance
	e.query(ident(SH, RoleAuditor), "GetBalance", &b, account)
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
	e.open(SH, "sh-reserve", token.KindReserve, "")
	e.open(JS, "js-reserve", token.KindReserve, "")
	e.open(SH, "alice", token.KindCustomer, token.TierClassIV)
	e.open(SH, "m1", token.KindMerchant, "")
	e.open(JS, "bob", token.KindCustomer, token.TierClassII)
	return &fixture{env: e, shOut: e.mint("sh-reserve", "1000000")}
}
