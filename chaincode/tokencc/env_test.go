package tokencc_test

// The tests of package tokencc run the real yrd chaincode (system, gov and
// token contracts through contractapi) on memstub, in the shared contract
// test environment (chaincode/cctest). Every submitted transaction is
// endorsed by all four provinces and committed with memstub's validation
// (key-level policies, MVCC), so an honest test transaction also proves
// that the policies it set let it through.
//
// They live in package tokencc_test because govcc (the only way to mint)
// imports tokencc.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
	"github.com/yangtze-delta/settlement/money"
)

// The provinces.
const (
	SH = cctest.SH
	JS = cctest.JS
	ZJ = cctest.ZJ
	AH = cctest.AH
)

// orgs are the provinces, sorted as the configuration lists them.
var orgs = cctest.Orgs()

// Banks; each belongs to the province whose bank-code prefix it carries
// (cctest.ProvinceOf). "-PBC" is the province's central-bank branch
// (issuer), "-FIN" a fiscal bureau, the others commercial banks
// (operators).
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

// day0 is 09:00 in Shanghai.
var day0 = cctest.Day0

// actor is the identity that acts for bank: the issuer of a central-bank
// branch, the fiscal bureau's officer, or a commercial bank's operator.
func actor(bank string) *memstub.Identity {
	msp := cctest.ProvinceOf(bank)
	switch {
	case strings.HasSuffix(bank, "-PBC"):
		return cctest.Ident(msp, api.RoleIssuer, bank, "issuer")
	case strings.HasSuffix(bank, "-FIN"):
		return cctest.Ident(msp, api.RoleFiscal, bank, "fiscal")
	}
	return cctest.Ident(msp, api.RoleOperator, bank, "operator")
}

// owner is the identity that acts for the bank owning account id.
func owner(id string) *memstub.Identity { return actor(api.NamespaceOf(id)) }

func issuer(msp string) *memstub.Identity     { return cctest.Issuer(msp) }
func compliance(msp string) *memstub.Identity { return cctest.Compliance(msp) }
func auditor(msp string) *memstub.Identity    { return cctest.Auditor(msp) }
func admin(msp string) *memstub.Identity      { return cctest.Admin(msp) }

func y(s string) money.Amount { return money.MustParseYuan(s) }

// env is a ledger with the yrd chaincode, configured by gov:Init
// (chaincode/cctest), and this package's helpers.
type env struct{ *cctest.Env }

// with returns e reporting to tb (a subtest's): helpers fail the test they
// run in, never a parent.
func (e *env) with(tb testing.TB) *env { return &env{e.Env.With(tb)} }

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
	return &env{cctest.New(tb, chaincode)}
}

// hash64 is a customer reference hash as a bank's gateway would make it.
func hash64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// open opens account id (its bank is its namespace) as the bank's actor.
func (e *env) open(id string, kind api.Kind, tier string) api.Account {
	e.TB.Helper()
	r := api.OpenAccountRequest{ID: id, Kind: kind, Tier: tier}
	switch kind {
	case api.KindCustomer:
		r.CustomerRefHash = hash64("customer " + id)
	case api.KindMerchant:
		r.MerchantCategory = "5411"
	}
	return cctest.Must(e, owner(id), api.OpenAccount, r)
}

// mint issues amount into a province's reserve (account ID "XX-PBC:…") by a
// decision of three provinces and returns the new output's ID.
func (e *env) mint(account string, amount money.Amount) string {
	e.TB.Helper()
	msp := cctest.ProvinceOf(api.NamespaceOf(account))
	ex := e.Decide(msp, api.ProposeRequest{Action: api.ActionMint,
		Mint: &api.MintParams{Account: account, Amount: amount, ReserveRef: fmt.Sprintf("deposit-%d", e.Next())}}, nil)
	return ex.Mint.Output
}

// pay transfers as the payer's bank and returns the payment.
func (e *env) pay(r api.TransferRequest) api.Payment {
	e.TB.Helper()
	return cctest.Must(e, owner(r.From), api.Transfer, r)
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
	for _, k := range e.L.Keys() {
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
	e.SetCeiling(SH, y("10000000"))
	e.SetCeiling(JS, y("10000000"))
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
	f.TB.Helper()
	p := f.pay(api.TransferRequest{PaymentID: shPBC + ":" + local, From: shReserve, To: alice, Amount: y(amount), Inputs: []string{f.shOut}})
	f.aliceOut, f.shOut = p.PayeeOutput, p.ChangeOutputs[0]
}

// freeze freezes an account as its province's compliance officer, in the
// gateway's two transactions (cctest.Env.Freeze): the reason's note,
// endorsed by the province alone, then the freeze naming its hash. It
// answers the freeze's result.
func (e *env) freeze(id, reason string) memstub.Result {
	e.TB.Helper()
	return e.Freeze(id, reason)
}

// note records a freeze reason for id as its province's compliance
// officer, endorsed by the province alone, and answers the receipt.
func (e *env) note(id, reason, salt string) api.FreezeReasonReceipt {
	e.TB.Helper()
	rc, r := e.RecordFreezeReason(compliance(cctest.ProvinceOf(api.NamespaceOf(id))), id, reason, salt)
	if !r.OK() {
		e.TB.Fatalf("record the freeze reason of %s: %s", id, r.Message)
	}
	return rc
}

// freezeTransient is RecordFreezeReason's transient map.
func freezeTransient(reason, salt string) map[string][]byte {
	return map[string][]byte{api.TransientFreezeReason: []byte(reason), api.TransientFreezeSalt: []byte(salt)}
}

// xfer is a transfer request of payment ID "BANK:x" (the payer's bank).
func xfer(from, to, amount string, inputs ...string) api.TransferRequest {
	return api.TransferRequest{PaymentID: api.NamespaceOf(from) + ":x", From: from, To: to, Amount: y(amount), Inputs: inputs}
}
