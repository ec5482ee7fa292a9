package programmecc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
	"github.com/yangtze-delta/settlement/money"
)

const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
	AH = "AnhuiMSP"
)

var code = map[string]string{SH: "SH", JS: "JS", ZJ: "ZJ", AH: "AH"}

// day0 is 09:00 in Shanghai on 2026-03-02.
var day0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

var idCache = map[string]*memstub.Identity{}

// who returns an identity of msp with role and bank; n tells apart two
// identities of one bank (maker and checker).
func who(msp string, role api.Role, bank string, n int) *memstub.Identity {
	k := fmt.Sprintf("%s/%s/%s/%d", msp, role, bank, n)
	if id, ok := idCache[k]; ok {
		return id
	}
	attrs := map[string]string{"role": string(role)}
	if bank != "" {
		attrs["bank"] = bank
	}
	id := memstub.MustIdentity(msp, fmt.Sprintf("%s-%d@%s", role, n, bank), attrs)
	idCache[k] = id
	return id
}

func fiscal(msp string) *memstub.Identity  { return who(msp, api.RoleFiscal, code[msp]+"-FIN", 1) }
func checker(msp string) *memstub.Identity { return who(msp, api.RoleFiscal, code[msp]+"-FIN", 2) }
func issuer(msp string) *memstub.Identity  { return who(msp, api.RoleIssuer, code[msp]+"-PBC", 1) }
func operator(msp string) *memstub.Identity {
	return who(msp, api.RoleOperator, code[msp]+"-CITY", 1)
}
func compliance(msp string) *memstub.Identity { return who(msp, api.RoleCompliance, "", 1) }
func auditor() *memstub.Identity              { return who(AH, api.RoleAuditor, "", 1) }

type env struct {
	t  *testing.T
	l  *memstub.Ledger
	cc *contractapi.ContractChaincode
	n  int
}

func y(s string) money.Amount { return money.MustParseYuan(s) }

func newEnv(t *testing.T) *env {
	t.Helper()
	cc, err := contractapi.NewChaincode(govcc.New(), tokencc.New(), New())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, l: memstub.NewLedger(day0), cc: cc}
	e.l.Orgs = []string{AH, JS, SH, ZJ}
	e.ok(who(SH, api.RoleAdmin, "", 1), api.Init.Function(), govcc.DefaultConfig(), nil)
	return e
}

func arg(req any) string {
	if s, ok := req.(string); ok {
		return s
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (e *env) call(id *memstub.Identity, fn string, req any) memstub.Result {
	return e.l.Invoke(e.cc, memstub.Tx{Creator: id, Fn: fn, Args: []string{arg(req)}})
}

// ok calls fn and fails the test unless it succeeded; out, when not nil,
// receives the answer.
func (e *env) ok(id *memstub.Identity, fn string, req, out any) memstub.Result {
	e.t.Helper()
	r := e.call(id, fn, req)
	if !r.OK() {
		e.t.Fatalf("%s: %s", fn, r.Message)
	}
	if out != nil {
		if err := json.Unmarshal(r.Payload, out); err != nil {
			e.t.Fatalf("%s answer %s: %v", fn, r.Payload, err)
		}
	}
	return r
}

// fails calls fn, wants code, and checks that nothing changed.
func (e *env) fails(id *memstub.Identity, fn string, req any, want api.Code) {
	e.t.Helper()
	before := e.l.Snapshot()
	r := e.call(id, fn, req)
	if r.OK() {
		e.t.Fatalf("%s succeeded, want %s", fn, want)
	}
	if got, _, _ := strings.Cut(r.Message, ": "); api.Code(got) != want {
		e.t.Fatalf("%s: %s, want %s", fn, r.Message, want)
	}
	after := e.l.Snapshot()
	if len(before) != len(after) {
		e.t.Fatalf("%s refused but state changed", fn)
	}
	for k, v := range before {
		if after[k] != v {
			e.t.Fatalf("%s refused but %q changed", fn, k)
		}
	}
}

// open opens an account as id.
func (e *env) open(id *memstub.Identity, acct string, kind api.Kind, mcc string) {
	e.t.Helper()
	req := api.OpenAccountRequest{ID: acct, Kind: kind, MerchantCategory: mcc}
	if kind == api.KindCustomer {
		req.Tier, req.CustomerRefHash = api.TierClassII, strings.Repeat("ab", 32)
	}
	e.ok(id, api.OpenAccount.Function(), req, nil)
}

// decide runs a gov proposal through: msp proposes, two other provinces'
// issuers approve, msp executes.
func (e *env) decide(msp string, p api.ProposeRequest) api.Execution {
	e.t.Helper()
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
	e.t.Helper()
	e.n++
	reserve := code[msp] + "-PBC:reserve"
	if e.n == 1 || !e.exists(reserve) {
		e.open(issuer(msp), reserve, api.KindReserve, "")
		e.decide(msp, api.ProposeRequest{ID: msp + ":ceiling", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: msp, Ceiling: y("1000000000")}})
	}
	ex := e.decide(msp, api.ProposeRequest{ID: fmt.Sprintf("%s:mint-%d", msp, e.n), Action: api.ActionMint,
		Mint: &api.MintParams{Account: reserve, Amount: y(amount), ReserveRef: fmt.Sprintf("dep-%d", e.n)}})
	treasury := code[msp] + "-FIN:treasury"
	e.open(fiscal(msp), treasury, api.KindFiscal, "")
	e.ok(issuer(msp), api.Transfer.Function(), api.TransferRequest{PaymentID: code[msp] + "-PBC:fund", From: reserve, To: treasury,
		Amount: y(amount), Inputs: []string{ex.Mint.Output}}, nil)
}

func (e *env) exists(account string) bool {
	return e.call(auditor(), api.GetAccount.Function(), api.AccountRequest{ID: account}).OK()
}

// outputs lists an account's unspent outputs (as an auditor).
func (e *env) outputs(account string) []api.Output {
	e.t.Helper()
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
	e.t.Helper()
	var b api.Balance
	e.ok(auditor(), api.GetBalance.Function(), api.AccountRequest{ID: account}, &b)
	return b.Balance
}

func (e *env) supply() money.Amount {
	e.t.Helper()
	var s api.Supply
	e.ok(auditor(), api.GetSupply.Function(), "{}", &s)
	return s.Total
}

// utilisation adds every page of a programme's utilisation.
func (e *env) utilisation(prog, by string) map[string]api.Usage {
	e.t.Helper()
	out := map[string]api.Usage{}
	bm := ""
	for {
		var p api.UtilisationPage
		e.ok(auditor(), api.Utilisation.Function(), api.UtilisationRequest{Programme: prog, By: by, PageSize: 7, Bookmark: bm}, &p)
		for _, r := range p.Rows {
			u := out[r.Key]
			u.Key = r.Key
			u.Add(r)
			out[r.Key] = u
		}
		if p.Bookmark == "" {
			for k, u := range out {
				out[k] = u.WithBalances()
			}
			return out
		}
		bm = p.Bookmark
	}
}
