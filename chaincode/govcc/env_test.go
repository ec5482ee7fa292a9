package govcc_test

// The governance tests run the real yrd chaincode on memstub through the
// shared contract test environment (chaincode/cctest): every submitted
// transaction is endorsed by all four provinces and committed with
// memstub's validation.

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
	"github.com/yangtze-delta/settlement/money"
)

const (
	SH = cctest.SH
	JS = cctest.JS
	ZJ = cctest.ZJ
	AH = cctest.AH
)

var orgs = cctest.Orgs()

func reserve(msp string) string { return cctest.PBC(msp) + ":reserve" }

// issuer is an issuer of msp's central-bank branch; issuer2 another one.
func issuer(msp string) *memstub.Identity { return cctest.Issuer(msp) }
func issuer2(msp string) *memstub.Identity {
	return cctest.Ident(msp, api.RoleIssuer, cctest.PBC(msp), "issuer2")
}
func admin(msp string) *memstub.Identity   { return cctest.Admin(msp) }
func auditor(msp string) *memstub.Identity { return cctest.Auditor(msp) }
func operator(msp, bank string) *memstub.Identity {
	return cctest.Ident(msp, api.RoleOperator, bank, "operator")
}

func y(s string) money.Amount { return money.MustParseYuan(s) }

var chaincode = func() shim.Chaincode {
	cc, err := yrdcc.New("test")
	if err != nil {
		panic(err)
	}
	return cc
}()

type env struct{ *cctest.Env }

// newEnv is a configured ledger without ceilings or accounts.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	return &env{cctest.New(tb, chaincode)}
}

// newReserves is newEnv with every province's reserve account open.
func newReserves(tb testing.TB) *env {
	e := newEnv(tb)
	for _, m := range orgs {
		cctest.Must(e, issuer(m), api.OpenAccount, api.OpenAccountRequest{ID: reserve(m), Kind: api.KindReserve})
	}
	return e
}

func (e *env) with(tb testing.TB) *env { return &env{e.Env.With(tb)} }

func mintReq(msp string, amount money.Amount, ref string) api.ProposeRequest {
	return api.ProposeRequest{Action: api.ActionMint, Mint: &api.MintParams{Account: reserve(msp), Amount: amount, ReserveRef: ref}}
}
