package tokencc

import (
	"encoding/json"
	"fmt"
	"github.com/yangtze-delta/settlement/api"
	"math/rand"
	"testing"

	"github.com/yangtze-delta/settlement/money"
)

// TestPropertySupplyEqualsOutputs runs random mints, transfers and
// redemptions (many of them invalid) and checks after each step that the
// supply equals the sum of unspent outputs and no balance is negative.
func TestPropertySupplyEqualsOutputs(t *testing.T) {
	rng := rand.New(rand.NewSource(20250602))
	e := newEnv(t)
	accounts := []struct {
		id, msp string
		kind    api.Kind
		tier    string
	}{
		{"r-sh", SH, api.KindReserve, ""}, {"r-js", JS, api.KindReserve, ""},
		{"c-sh", SH, api.KindCustomer, api.TierClassIV}, {"c-js", JS, api.KindCustomer, api.TierClassII},
		{"m-zj", ZJ, api.KindMerchant, ""}, {"f-ah", AH, api.KindFiscal, ""},
	}
	owner := map[string]string{}
	for _, a := range accounts {
		e.open(a.msp, a.id, a.kind, a.tier)
		owner[a.id] = a.msp
	}
	outputs := func(acct string) []api.Output {
		var p api.OutputPage
		e.query(ident(AH, RoleAuditor), "ListOutputs", &p, api.ListOutputsRequest{Account: acct, PageSize: 1000})
		return p.Outputs
	}
	pick := func(acct string) ([]string, money.Amount) {
		outs := outputs(acct)
		var ids []string
		var total money.Amount
		for _, o := range outs {
			if rng.Intn(2) == 0 || len(ids) == 0 {
				ids = append(ids, o.ID)
				total += o.Amount
			}
		}
		if rng.Intn(10) == 0 && len(ids) > 0 {
			ids[0] = fmt.Sprintf("bogus-%d", rng.Intn(5)) // not owned
		}
		return ids, total
	}
	amount := func(max money.Amount) money.Amount {
		if max <= 0 || rng.Intn(8) == 0 {
			return money.Amount(rng.Int63n(1_000_000)) // often too much
		}
		return money.Amount(rng.Int63n(int64(max))) + 1
	}
	settled := 0
	for step := 0; step < 400; step++ {
		var ok bool
		switch op := rng.Intn(10); {
		case op < 2:
			acct := []string{"r-sh", "r-js", "m-zj"}[rng.Intn(3)]
			r := e.call(ident(JS, RoleIssuer), "Mint", (api.MintRequest{MintID: fmt.Sprintf("m%d", step), Account: acct,
				Amount: money.Amount(rng.Int63n(10_000_000) + 1), ReserveRef: "ref"}))
			ok = r.OK()
		case op < 3:
			acct := []string{"r-sh", "r-js"}[rng.Intn(2)]
			ids, total := pick(acct)
			if len(ids) == 0 {
				continue
			}
			r := e.call(ident(owner[acct], RoleOperator), "Redeem", (api.RedeemRequest{RedeemID: fmt.Sprintf("r%d", step), Account: acct,
				Amount: amount(total), Inputs: ids}))
			ok = r.OK()
		default:
			from := accounts[rng.Intn(len(accounts))]
			to := accounts[rng.Intn(len(accounts))]
			ids, total := pick(from.id)
			if len(ids) == 0 {
				continue
			}
			tr := api.TransferRequest{PaymentID: fmt.Sprintf("p%d", rng.Intn(500)), From: from.id, To: to.id,
				Amount: amount(total), Inputs: ids, ChangeSplit: rng.Intn(4)}
			who := ident(from.msp, RoleOperator)
			if rng.Intn(10) == 0 {
				who = ident(to.msp, RoleOperator) // often the wrong org
			}
			var r = e.call(who, "Transfer", reqArg(tr))
			if rng.Intn(4) == 0 {
				r = e.call(who, "TransferBatch", (api.BatchRequest{Items: []api.TransferRequest{tr, tr}}))
			}
			ok = r.OK()
		}
		if ok {
			settled++
		}
		var audit api.SupplyAudit
		e.query(ident(AH, RoleAuditor), "AuditSupply", &audit, nil)
		if !audit.Balanced {
			t.Fatalf("step %d: supply %s != outputs %s", step, audit.Supply, audit.OutputsTotal)
		}
		for _, a := range accounts {
			for _, o := range outputs(a.id) {
				if o.Amount <= 0 || o.Account != a.id {
					t.Fatalf("step %d: bad output %+v", step, o)
				}
			}
		}
	}
	if settled < 100 {
		t.Fatalf("only %d operations settled; the generator is too hostile", settled)
	}
	var b json.RawMessage
	e.query(ident(AH, RoleAuditor), "AuditSupply", &b, nil)
	t.Logf("%d operations settled; final audit %s", settled, b)
}
