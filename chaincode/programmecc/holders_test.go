package programmecc

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/money"
)

// checkHolders compares the utilisation rows by recipient and by province
// with the earmarked outputs on the ledger: every row is a holder's,
// balanced and never negative, and holds what the holder (or the
// province's holders) hold; holders maps every account that ever held the
// programme's funds to its province. It returns the recipient keys.
func (e *env) checkHolders(holders map[string]string) []string {
	e.TB.Helper()
	wantProvince := map[string]money.Amount{}
	for acct, msp := range holders {
		wantProvince[msp] += e.earmarked(acct)
	}
	var keys []string
	for key, u := range e.utilisation(prog, api.ByRecipient) {
		if key == api.ByTotal {
			continue
		}
		keys = append(keys, key)
		if _, ok := holders[key]; !ok {
			e.TB.Fatalf("row by recipient %q is no holder's: %+v", key, u)
		}
		if !appropriation.HolderBalanced(u) || u.Held != e.earmarked(key) {
			e.TB.Fatalf("row of %s %+v, the ledger holds %s", key, u, e.earmarked(key))
		}
	}
	for acct := range holders {
		if e.earmarked(acct) != 0 && !contains(keys, acct) {
			e.TB.Fatalf("%s holds %s and has no row by recipient", acct, e.earmarked(acct))
		}
	}
	for key, u := range e.utilisation(prog, api.ByProvince) {
		if key == api.ByTotal {
			continue
		}
		if !appropriation.HolderBalanced(u) || u.Held != wantProvince[key] {
			e.TB.Fatalf("row of province %q %+v, its holders hold %s", key, u, wantProvince[key])
		}
	}
	return keys
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestUtilisationFollowsFundsPassedOn: funds passed on to recipients that
// never had a disbursement appear on their rows by recipient and by
// province (inflow), so that every row holds what its holders hold and is
// never negative, and a sweep driven by the rows by recipient reaches
// every holder.
func TestUtilisationFollowsFundsPassedOn(t *testing.T) {
	e := joint(t)
	e.open(operator(JS), "JS-CITY:r5", api.KindMerchant, "5812")
	e.activate()
	e.fundTranche(1, "10000")
	holders := map[string]string{"SH-CITY:r1": SH, "JS-CITY:r2": JS, "JS-CITY:r5": JS, "ZJ-CITY:r3": ZJ}
	var res api.DisburseResult
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:j1", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("1000")}, {Line: 2, Recipient: "JS-CITY:r2", Amount: y("2000")}}}, &res)
	if res.Paid != 2 {
		t.Fatalf("disbursement %+v", res)
	}
	pay := func(id, from, to, amount string) {
		t.Helper()
		bank := api.NamespaceOf(from)
		e.ok(operator(cctest.ProvinceOf(bank)), api.Transfer.Function(), api.TransferRequest{PaymentID: bank + ":" + id, From: from, To: to,
			Amount: y(amount), Inputs: ids(e.outputs(from))}, nil)
	}
	// r2 passes 300 on to r5 (never disbursed), r5 passes 100 on to r3 in
	// Zhejiang (never disbursed either) and releases 50 at the grocer;
	// r1 passes 200 on to r5.
	pay("on1", "JS-CITY:r2", "JS-CITY:r5", "300")
	pay("on2", "JS-CITY:r5", "ZJ-CITY:r3", "100")
	pay("buy", "JS-CITY:r5", "SH-CITY:grocer", "50")
	pay("on3", "SH-CITY:r1", "JS-CITY:r5", "200")
	e.checkIdentity("SH-CITY:r1", "JS-CITY:r2", "JS-CITY:r5", "ZJ-CITY:r3")
	e.checkHolders(holders)
	r5 := e.utilisation(prog, api.ByRecipient)["JS-CITY:r5"]
	if r5.TransferredIn != y("500") || r5.TransferredOut != y("100") || r5.Released != y("50") || r5.Held != y("350") || r5.Disbursed != 0 {
		t.Fatalf("r5's row %+v", r5)
	}

	// After expiry the owner sweeps the escrow and every account the rows
	// by recipient name: nothing is left anywhere.
	e.L.Clock = time.Date(2026, 3, 31, 16, 0, 1, 0, time.UTC)
	keys := e.checkHolders(holders)
	for _, acct := range append([]string{escrow}, keys...) {
		if outs := e.outputs(acct); e.earmarked(acct) > 0 {
			var mine []string
			for _, o := range outs {
				if o.Earmark != nil && o.Earmark.Programme == prog {
					mine = append(mine, o.ID)
				}
			}
			e.ok(fiscal(SH), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: acct, Inputs: mine}, nil)
		}
	}
	for acct := range holders {
		if got := e.earmarked(acct); got != 0 {
			t.Fatalf("%s still holds %s after the sweep of the rows by recipient", acct, got)
		}
	}
	u := e.checkIdentity(keys...)
	if u.Escrow != 0 || u.Held != 0 || u.Released != y("50") || u.Returned != y("9950") {
		t.Fatalf("after the sweep %+v", u)
	}
	e.checkHolders(holders)
}
