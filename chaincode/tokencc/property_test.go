package tokencc_test

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/money"
)

// model is the test's own account of the money: balances, supply and each
// province's issuance, updated only from requests the test knows settled.
type model struct {
	bal    map[string]money.Amount
	supply money.Amount
	issued map[string]money.Amount // per province, net of redemptions (not below 0)
	refs   map[string]bool         // reserve references used, "MSP/ref"
}

func (m *model) move(from, to string, a money.Amount) {
	m.bal[from] -= a
	m.bal[to] += a
}

// TestPropertyModel runs random mints and redemptions (through proposals),
// transfers, batches and merges, many of them invalid, and after every
// step compares every account's balance and the supply with the test's own
// model. Where the model knows a request must fail (wrong bank, a forged
// input, too little money, too few approvals, a reused reserve reference,
// a ceiling exceeded) it also checks that it did.
func TestPropertyModel(t *testing.T) {
	rng := rand.New(rand.NewSource(20250602))
	e := newEnv(t)
	ceiling := y("20000000")
	e.SetCeiling(SH, ceiling)
	e.SetCeiling(JS, ceiling)
	type acct struct {
		id   string
		kind api.Kind
		tier string
	}
	accounts := []acct{
		{shReserve, api.KindReserve, ""}, {jsReserve, api.KindReserve, ""},
		{alice, api.KindCustomer, api.TierClassIV}, {bella, api.KindCustomer, api.TierClassII},
		{bob, api.KindCustomer, api.TierClassII}, {"ZJ-CCB:shop", api.KindMerchant, ""},
		{settle, api.KindSettlement, ""}, {"AH-FIN:treasury", api.KindFiscal, ""},
	}
	m := &model{bal: map[string]money.Amount{}, issued: map[string]money.Amount{}, refs: map[string]bool{}}
	for _, a := range accounts {
		e.open(a.id, a.kind, a.tier)
		m.bal[a.id] = 0
	}
	reserveOf := map[string]string{SH: shReserve, JS: jsReserve}
	outputs := func(id string) []api.Output {
		return cctest.Must(e, auditor(ZJ), api.ListOutputs, api.ListOutputsRequest{Account: id, PageSize: api.MaxPageSize}).Outputs
	}
	// pick chooses some unspent outputs of id; forged reports that one of
	// them was replaced by an ID the account does not own.
	pick := func(id string) (ids []string, total money.Amount, forged bool) {
		for _, o := range outputs(id) {
			if len(ids) < api.MaxInputs && (len(ids) == 0 || rng.Intn(2) == 0) {
				ids = append(ids, o.ID)
				total += o.Amount
			}
		}
		if len(ids) > 0 && rng.Intn(12) == 0 {
			ids[0], forged = fmt.Sprintf("bogus-%d.0", rng.Intn(5)), true
		}
		return ids, total, forged
	}
	amount := func(max money.Amount) money.Amount {
		if max <= 0 || rng.Intn(8) == 0 {
			return max + money.Amount(rng.Int63n(int64(y("3000")))) + 1 // too much
		}
		return money.Amount(rng.Int63n(int64(max))) + 1
	}
	// decide runs a proposal with approvals of extra other provinces and
	// reports whether Execute settled.
	decide := func(msp string, r api.ProposeRequest, extra int, inputs []string) bool {
		r.ID = fmt.Sprintf("%s:p%d", msp, e.Next())
		cctest.Must(e, issuer(msp), api.Propose, r)
		for _, o := range cctest.Others(msp)[:extra] {
			cctest.Must(e, issuer(o), api.Approve, api.ProposalID{ID: r.ID})
		}
		_, res := cctest.Call(e, issuer(msp), api.Execute, api.ExecuteRequest{ID: r.ID, Inputs: inputs})
		if extra < 2 && (res.OK() || cctest.CodeOf(res.Message) != api.CodeNotApproved) {
			t.Fatalf("a decision with %d approvals: %s", 1+extra, res.Message)
		}
		return res.OK()
	}

	counts := map[string]int{}
	expect := func(step int, what string, settled, mustFail bool) {
		t.Helper()
		if settled && mustFail {
			t.Fatalf("step %d: %s settled although the model says it must fail", step, what)
		}
		if settled {
			counts[what]++
		} else {
			counts[what+" refused"]++
		}
	}
	for step := 0; step < 300; step++ {
		switch op := rng.Intn(20); {
		case op < 3: // mint
			msp := []string{SH, JS}[rng.Intn(2)]
			extra := 2
			if rng.Intn(5) == 0 {
				extra = rng.Intn(2)
			}
			ref := fmt.Sprintf("dep-%d", step)
			if rng.Intn(6) == 0 {
				ref = "dep-reused"
			}
			a := money.Amount(rng.Int63n(int64(y("4000000")))) + 1
			key := msp + "/" + ref
			mustFail := extra < 2 || m.refs[key] || m.issued[msp]+a > ceiling
			ok := decide(msp, api.ProposeRequest{Action: api.ActionMint, Mint: &api.MintParams{Account: reserveOf[msp], Amount: a, ReserveRef: ref}}, extra, nil)
			if ok != !mustFail {
				t.Fatalf("step %d: mint of %s by %s (ref %s, issued %s): settled=%v, model says %v", step, a, msp, ref, m.issued[msp], ok, !mustFail)
			}
			expect(step, "mint", ok, mustFail)
			if ok {
				m.bal[reserveOf[msp]] += a
				m.supply += a
				m.issued[msp] += a
				m.refs[key] = true
			}
		case op < 5: // redeem
			msp := []string{SH, JS}[rng.Intn(2)]
			ids, total, forged := pick(reserveOf[msp])
			if len(ids) == 0 {
				continue
			}
			a := amount(total)
			mustFail := forged || a > total
			ok := decide(msp, api.ProposeRequest{Action: api.ActionRedeem, Redeem: &api.RedeemParams{Account: reserveOf[msp], Amount: a}}, 2, ids)
			expect(step, "redeem", ok, mustFail)
			if ok {
				m.bal[reserveOf[msp]] -= a
				m.supply -= a
				m.issued[msp] = max(0, m.issued[msp]-a)
			}
		case op < 16: // transfer
			from, to := accounts[rng.Intn(len(accounts))].id, accounts[rng.Intn(len(accounts))].id
			ids, total, forged := pick(from)
			if len(ids) == 0 {
				continue
			}
			tr := api.TransferRequest{PaymentID: fmt.Sprintf("%s:p%d", api.NamespaceOf(from), rng.Intn(400)), From: from, To: to,
				Amount: amount(total), Inputs: ids, ChangeSplit: rng.Intn(4)}
			who, wrongBank := owner(from), false
			if rng.Intn(10) == 0 {
				who, wrongBank = owner(to), api.NamespaceOf(to) != api.NamespaceOf(from)
			}
			mustFail := forged || wrongBank || tr.Amount > total || from == to
			_, r := cctest.Call(e, who, api.Transfer, tr)
			expect(step, "transfer", r.OK(), mustFail)
			if r.OK() {
				m.move(from, to, tr.Amount)
			}
		case op < 18: // batch from one account, items chained through change
			from := accounts[rng.Intn(len(accounts))].id
			ids, total, _ := pick(from)
			if len(ids) == 0 {
				continue
			}
			txID := fmt.Sprintf("b%063x", e.Next())
			items := []api.TransferRequest{{PaymentID: fmt.Sprintf("%s:b%d", api.NamespaceOf(from), step), From: from,
				To: accounts[rng.Intn(len(accounts))].id, Amount: amount(total), Inputs: ids}}
			// Item 1 spends item 0's change (output .1) if item 0 settles.
			items = append(items, api.TransferRequest{PaymentID: fmt.Sprintf("%s:b%d-1", api.NamespaceOf(from), step), From: from,
				To: accounts[rng.Intn(len(accounts))].id, Amount: amount(total / 2), Inputs: []string{txID + ".1"}})
			if rng.Intn(4) == 0 {
				items = append(items, items[0]) // a duplicate
			}
			r := e.Submit(memstub.Tx{ID: txID, Creator: owner(from), Fn: api.TransferBatch.Function(), Args: []string{cctest.Encode(api.BatchRequest{Items: items})}})
			if !r.OK() {
				t.Fatalf("step %d: batch: %s", step, r.Message)
			}
			res, err := api.TransferBatch.DecodeResponse(r.Payload)
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range res.Results {
				mustFail := i == 2 || items[i].From == items[i].To
				expect(step, "batch item", it.OK, mustFail)
				if it.OK {
					m.move(items[i].From, items[i].To, items[i].Amount)
				}
			}
		default: // merge
			id := accounts[rng.Intn(len(accounts))].id
			ids, _, forged := pick(id)
			if len(ids) < 2 {
				continue
			}
			who, wrongBank := owner(id), false
			if other := accounts[rng.Intn(len(accounts))].id; rng.Intn(4) == 0 {
				who, wrongBank = owner(other), api.NamespaceOf(other) != api.NamespaceOf(id)
			}
			_, r := cctest.Call(e, who, api.Merge, api.MergeRequest{MergeID: fmt.Sprintf("%s:g%d", api.NamespaceOf(id), step), Account: id, Inputs: ids})
			expect(step, "merge", r.OK(), forged || wrongBank)
		}

		// The model against the ledger.
		var sum money.Amount
		for _, a := range accounts {
			if got := e.Balance(a.id); got != m.bal[a.id] {
				t.Fatalf("step %d: %s has %s, the model %s", step, a.id, got, m.bal[a.id])
			}
			if m.bal[a.id] < 0 {
				t.Fatalf("step %d: the model's %s is negative", step, a.id)
			}
			sum += m.bal[a.id]
		}
		if sum != m.supply {
			t.Fatalf("step %d: the model is inconsistent: balances %s, supply %s", step, sum, m.supply)
		}
		if got := e.Supply(); got != m.supply {
			t.Fatalf("step %d: supply %s, the model %s", step, got, m.supply)
		}
		for msp, is := range m.issued {
			if c := cctest.Must(e, auditor(AH), api.GetCeiling, api.CeilingRequest{MSP: msp}); c.Issued != is || c.Ceiling != ceiling {
				t.Fatalf("step %d: %s ceiling %+v, the model issued %s", step, msp, c, is)
			}
		}
		if a := cctest.Must(e, auditor(AH), api.AuditSupply, api.Empty{}); !a.Balanced || a.Supply != m.supply {
			t.Fatalf("step %d: audit %+v, the model's supply %s", step, a, m.supply)
		}
	}
	// The generator must exercise both outcomes of every operation.
	var names []string
	for k := range counts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, what := range []string{"mint", "redeem", "transfer", "batch item", "merge"} {
		if counts[what] < 3 || counts[what+" refused"] < 3 {
			t.Errorf("%s: %d settled, %d refused; the generator is off balance", what, counts[what], counts[what+" refused"])
		}
	}
	for _, k := range names {
		t.Logf("%-20s %d", k, counts[k])
	}
}
