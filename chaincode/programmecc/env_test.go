package programmecc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
	"github.com/yangtze-delta/settlement/money"
)

const (
	SH = cctest.SH
	JS = cctest.JS
	ZJ = cctest.ZJ
	AH = cctest.AH
)

// day0 is 09:00 in Shanghai on 2026-03-02.
var day0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// who returns an identity of msp with role and bank; n tells apart two
// identities of one bank (maker and checker).
func who(msp string, role api.Role, bank string, n int) *memstub.Identity {
	return cctest.Ident(msp, role, bank, fmt.Sprintf("%s-%d", role, n))
}

func fiscal(msp string) *memstub.Identity {
	return who(msp, api.RoleFiscal, cctest.Bank(msp, "FIN"), 1)
}
func checker(msp string) *memstub.Identity {
	return who(msp, api.RoleFiscal, cctest.Bank(msp, "FIN"), 2)
}
func issuer(msp string) *memstub.Identity { return who(msp, api.RoleIssuer, cctest.PBC(msp), 1) }
func operator(msp string) *memstub.Identity {
	return who(msp, api.RoleOperator, cctest.Bank(msp, "CITY"), 1)
}
func compliance(msp string) *memstub.Identity { return who(msp, api.RoleCompliance, "", 1) }
func auditor() *memstub.Identity              { return who(AH, api.RoleAuditor, "", 1) }

// env runs the gov, token and programme contracts on the shared contract
// test environment (chaincode/cctest): every submitted transaction is
// endorsed by all four provinces and committed with memstub's validation.
type env struct {
	*cctest.Env
	n int
}

func y(s string) money.Amount { return money.MustParseYuan(s) }

func newEnv(t testing.TB) *env {
	t.Helper()
	cc, err := contractapi.NewChaincode(govcc.New(), tokencc.New(), New())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{Env: cctest.Unconfigured(t, cc)}
	e.L.Clock = day0
	cctest.Must(e, who(SH, api.RoleAdmin, "", 1), api.Init, govcc.DefaultConfig())
	return e
}

func arg(req any) string { return cctest.Encode(req) }

// ok calls fn and fails the test unless it succeeded; out, when not nil,
// receives the answer.
func (e *env) ok(id *memstub.Identity, fn string, req, out any) memstub.Result {
	e.TB.Helper()
	r := e.Raw(id, fn, arg(req), nil)
	if !r.OK() {
		e.TB.Fatalf("%s: %s", fn, r.Message)
	}
	if out != nil {
		if err := json.Unmarshal(r.Payload, out); err != nil {
			e.TB.Fatalf("%s answer %s: %v", fn, r.Payload, err)
		}
	}
	return r
}

// fails calls fn, wants code, and checks that nothing changed.
func (e *env) fails(id *memstub.Identity, fn string, req any, want api.Code) {
	e.TB.Helper()
	e.RejectRaw(id, fn, arg(req), nil, want)
}

// open opens an account as id.
func (e *env) open(id *memstub.Identity, acct string, kind api.Kind, mcc string) {
	e.TB.Helper()
	req := api.OpenAccountRequest{ID: acct, Kind: kind, MerchantCategory: mcc}
	if kind == api.KindCustomer {
		req.Tier, req.CustomerRefHash = api.TierClassII, strings.Repeat("ab", 32)
	}
	e.ok(id, api.OpenAccount.Function(), req, nil)
}

// decide runs a gov proposal through: msp proposes, two other provinces'
// issuers approve, msp executes.
func (e *env) decide(msp string, p api.ProposeRequest) api.Execution {
	e.TB.Helper()
	e.ok(issuer(msp), api.Propose.Function(), p, nil)
	n := 0
	for _, o := range []string{SH, JS, ZJ, AH} {
		if o != msp && n < 2 {
			e.ok(issuer(o), api.Approve.Function(), api.ProposalID{ID: p.ID}, nil)
			n++
		}
	}
	var ex api.Execution
	e.ok(issuer(msp), api.Execute.Function(), api.ExecuteRequest{ID: p.ID}, &ex)
	return ex
}

// fundBureau mints amount into msp's reserve and pays it to the bureau's
// fiscal account <P>-FIN:treasury, which it opens.
func (e *env) fundBureau(msp, amount string) {
	e.TB.Helper()
	e.n++
	reserve := cctest.PBC(msp) + ":reserve"
	if e.n == 1 || !e.exists(reserve) {
		e.open(issuer(msp), reserve, api.KindReserve, "")
		e.decide(msp, api.ProposeRequest{ID: msp + ":ceiling", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: msp, Ceiling: y("1000000000")}})
	}
	ex := e.decide(msp, api.ProposeRequest{ID: fmt.Sprintf("%s:mint-%d", msp, e.n), Action: api.ActionMint,
		Mint: &api.MintParams{Account: reserve, Amount: y(amount), ReserveRef: fmt.Sprintf("dep-%d", e.n)}})
	treasury := cctest.Bank(msp, "FIN") + ":treasury"
	e.open(fiscal(msp), treasury, api.KindFiscal, "")
	e.ok(issuer(msp), api.Transfer.Function(), api.TransferRequest{PaymentID: cctest.PBC(msp) + ":fund", From: reserve, To: treasury,
		Amount: y(amount), Inputs: []string{ex.Mint.Output}}, nil)
}

func (e *env) exists(account string) bool {
	return e.Raw(auditor(), api.GetAccount.Function(), arg(api.AccountRequest{ID: account}), nil).OK()
}

// outputs lists an account's unspent outputs (as an auditor).
func (e *env) outputs(account string) []api.Output {
	e.TB.Helper()
	var p api.OutputPage
	e.ok(auditor(), api.ListOutputs.Function(), api.ListOutputsRequest{Account: account, PageSize: 1000}, &p)
	return p.Outputs
}

func ids(outs []api.Output) []string {
	var out []string
	for _, o := range outs {
		out = append(out, o.ID)
	}
	return out
}

func (e *env) balance(account string) money.Amount {
	e.TB.Helper()
	var b api.Balance
	e.ok(auditor(), api.GetBalance.Function(), api.AccountRequest{ID: account}, &b)
	return b.Balance
}

func (e *env) supply() money.Amount {
	e.TB.Helper()
	var s api.Supply
	e.ok(auditor(), api.GetSupply.Function(), "{}", &s)
	return s.Total
}

// utilisation adds every page of a programme's utilisation: the rows by
// key, with balances, and under "total" the pages' totals (whatever the
// grouping: rows by province or recipient are holders' rows).
func (e *env) utilisation(prog, by string) map[string]api.Usage {
	e.TB.Helper()
	out := map[string]api.Usage{}
	total := api.Usage{Key: api.ByTotal}
	bm := ""
	for {
		var p api.UtilisationPage
		e.ok(auditor(), api.Utilisation.Function(), api.UtilisationRequest{Programme: prog, By: by, PageSize: 7, Bookmark: bm}, &p)
		total.Add(p.Total)
		for _, r := range p.Rows {
			u := out[r.Key]
			u.Key = r.Key
			u.Add(r)
			out[r.Key] = u
		}
		if p.Bookmark == "" {
			for k, u := range out {
				out[k] = u.Balances(by)
			}
			if by != api.ByTotal {
				out[api.ByTotal] = total.WithBalances()
			}
			return out
		}
		bm = p.Bookmark
	}
}
