package programmecc

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/money"
)

const (
	prog   = "SH-FIN:sme-2026"
	escrow = "SH-FIN:escrow-sme-2026"
)

// joint sets up three funded bureaus, recipients and payees, and defines
// the joint programme (Shanghai 40%, Jiangsu 30%, Zhejiang 30%).
func joint(t testing.TB) *env { return jointWith(t, nil) }

// jointWith is joint with the definition changed by change (when not nil).
func jointWith(t testing.TB, change func(*api.DefineProgrammeRequest)) *env {
	e := newEnv(t)
	for _, m := range []string{SH, JS, ZJ} {
		e.fundBureau(m, "1000000")
	}
	for _, a := range []struct {
		msp, id, mcc string
	}{
		{SH, "SH-CITY:r1", "5812"}, {JS, "JS-CITY:r2", "5812"}, {ZJ, "ZJ-CITY:r3", "5812"},
		{AH, "AH-CITY:r4", "5812"}, {SH, "SH-CITY:x", "5999"},
		{SH, "SH-CITY:grocer", "5411"}, {SH, "SH-CITY:bar", "5813"},
	} {
		e.open(operator(a.msp), a.id, api.KindMerchant, a.mcc)
	}
	def := api.DefineProgrammeRequest{
		ID: prog, Name: "SME relief 2026", Purposes: []string{"SME-RELIEF"}, Escrow: escrow, Budget: y("100000"),
		Funders: []api.Funder{
			{MSP: SH, Bureau: "SH-FIN", Account: "SH-FIN:treasury", Share: 4000},
			{MSP: JS, Bureau: "JS-FIN", Account: "JS-FIN:treasury", Share: 3000},
			{MSP: ZJ, Bureau: "ZJ-FIN", Account: "ZJ-FIN:treasury", Share: 3000},
		},
		ValidFrom: "2026-03-02", ValidTo: "2026-03-31",
		Eligibility: api.Eligibility{Kinds: []api.Kind{api.KindMerchant}, Categories: []string{"5812"}, Provinces: []string{SH, JS, ZJ}},
		Spending:    api.SpendingRules{PayeeCategories: []string{"5411"}, PassOn: true},
		Release:     api.ReleaseAtTerminal, PerRecipientCap: y("5000"),
	}
	if change != nil {
		change(&def)
	}
	e.ok(fiscal(SH), api.DefineProgramme.Function(), def, nil)
	return e
}

func (e *env) activate() {
	e.TB.Helper()
	var v api.ProgrammeView
	e.ok(checker(SH), api.ApproveProgramme.Function(), api.ProgrammeID{ID: prog}, &v)
	e.ok(fiscal(JS), api.ApproveProgramme.Function(), api.ProgrammeID{ID: prog}, &v)
	if v.Programme.Status != api.ProgrammeProposed {
		e.TB.Fatalf("active before every funder approved: %+v", v.Programme.Status)
	}
	e.ok(fiscal(ZJ), api.ApproveProgramme.Function(), api.ProgrammeID{ID: prog}, &v)
	if v.Programme.Status != api.ProgrammeActive {
		e.TB.Fatalf("not active after every party approved: %s", v.Programme.Status)
	}
}

// fundTranche proposes, approves and funds tranche no of amount.
func (e *env) fundTranche(no int, amount string) {
	e.TB.Helper()
	e.ok(fiscal(SH), api.ProposeTranche.Function(), api.TrancheRequest{Programme: prog, No: no, Amount: y(amount), Date: "2026-03-02"}, nil)
	e.ok(checker(SH), api.ApproveTranche.Function(), api.TrancheID{Programme: prog, No: no}, nil)
	e.ok(fiscal(JS), api.ApproveTranche.Function(), api.TrancheID{Programme: prog, No: no}, nil)
	e.ok(fiscal(ZJ), api.ApproveTranche.Function(), api.TrancheID{Programme: prog, No: no}, nil)
	for _, m := range []string{SH, JS, ZJ} {
		treasury := cctest.Bank(m, "FIN") + ":treasury"
		e.ok(fiscal(m), api.FundTranche.Function(), api.FundRequest{Programme: prog, No: no, Inputs: ids(e.outputs(treasury))}, nil)
	}
}

// checkIdentity asserts funded = escrow + held + released + returned +
// clawed back, and that escrow and held match the outputs on the ledger.
func (e *env) checkIdentity(holders ...string) api.Usage {
	e.TB.Helper()
	u := e.utilisation(prog, api.ByTotal)["total"]
	if !appropriation.Balanced(u) {
		e.TB.Fatalf("utilisation identity broken: %+v", u)
	}
	if got := e.earmarked(escrow); got != u.Escrow {
		e.TB.Fatalf("escrow outputs %s, utilisation says %s", got, u.Escrow)
	}
	var held money.Amount
	for _, h := range holders {
		held += e.earmarked(h)
	}
	if held != u.Held {
		e.TB.Fatalf("held outputs %s, utilisation says %s", held, u.Held)
	}
	return u
}

func (e *env) earmarked(account string) money.Amount {
	var s money.Amount
	for _, o := range e.outputs(account) {
		if o.Earmark != nil && o.Earmark.Programme == prog {
			s += o.Amount
		}
	}
	return s
}

func TestJointProgramme(t *testing.T) {
	e := joint(t)
	supply := e.supply()
	holders := []string{"SH-CITY:r1", "JS-CITY:r2", "ZJ-CITY:r3"}

	// Not active yet: no tranche.
	e.fails(fiscal(SH), api.ProposeTranche.Function(), api.TrancheRequest{Programme: prog, No: 1, Amount: y("50000"), Date: "2026-03-02"}, api.CodeProposalClosed)
	// The maker cannot check its own programme; a stranger cannot approve.
	e.fails(fiscal(SH), api.ApproveProgramme.Function(), api.ProgrammeID{ID: prog}, api.CodeAlreadyExists)
	e.fails(fiscal(AH), api.ApproveProgramme.Function(), api.ProgrammeID{ID: prog}, api.CodeForbidden)
	e.activate()

	e.fundTranche(1, "50000")
	if got := e.earmarked(escrow); got != y("50000") {
		t.Fatalf("escrow holds %s", got)
	}
	if b := e.balance("SH-FIN:treasury"); b != y("980000") {
		t.Fatalf("Shanghai paid %s, want its 40%%", y("1000000")-b)
	}
	if e.supply() != supply {
		t.Fatal("funding changed the supply")
	}
	e.checkIdentity(holders...)

	// Disburse: eligible lines pay; an ineligible province, category and a
	// line over the cap are refused alone.
	lines := []api.DisburseLine{
		{Line: 0, Recipient: "SH-CITY:r1", Amount: y("1000")},
		{Line: 1, Recipient: "JS-CITY:r2", Amount: y("2000")},
		{Line: 2, Recipient: "ZJ-CITY:r3", Amount: y("3000")},
		{Line: 3, Recipient: "AH-CITY:r4", Amount: y("100")},
		{Line: 4, Recipient: "SH-CITY:x", Amount: y("100")},
		{Line: 5, Recipient: "SH-CITY:r1", Amount: y("4500")},
	}
	var res api.DisburseResult
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:job1", Lines: lines, Inputs: ids(e.outputs(escrow))[:1]}, &res)
	wantCodes := []api.Code{"", "", "", api.CodePurposeNotAllowed, api.CodePurposeNotAllowed, api.CodeOverCap}
	if res.Paid != 3 || res.Rejected != 3 || res.Amount != y("6000") {
		t.Fatalf("disbursement %+v", res)
	}
	for i, r := range res.Results {
		if r.Code != wantCodes[i] {
			t.Fatalf("line %d: %+v, want %s", i, r, wantCodes[i])
		}
	}
	// The same job again pays nothing twice.
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:job1", Lines: lines[:3], Inputs: ids(e.outputs(escrow))[:1]}, &res)
	if res.Paid != 0 || res.AlreadyPaid != 3 {
		t.Fatalf("re-submitted job %+v", res)
	}
	if e.balance("SH-CITY:r1") != y("1000") {
		t.Fatalf("r1 holds %s", e.balance("SH-CITY:r1"))
	}
	e.checkIdentity(holders...)

	// Spend under the rules.
	r1 := ids(e.outputs("SH-CITY:r1"))
	e.fails(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:beer", From: "SH-CITY:r1", To: "SH-CITY:bar", Amount: y("10"), Inputs: r1}, api.CodePurposeNotAllowed)
	var pay api.Payment
	e.ok(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:flour", From: "SH-CITY:r1", To: "SH-CITY:grocer", Amount: y("500"), Inputs: r1}, &pay)
	for _, o := range e.outputs("SH-CITY:grocer") {
		if o.ID == pay.PayeeOutput && o.Earmark != nil {
			t.Fatal("a terminal payee's output is still earmarked: the release did not happen")
		}
	}
	if e.earmarked("SH-CITY:r1") != y("500") {
		t.Fatalf("r1's change is %s earmarked, want 500", e.earmarked("SH-CITY:r1"))
	}
	// Pass-on keeps the earmark; earmarked and plain inputs never mix.
	e.ok(operator(JS), api.Transfer.Function(), api.TransferRequest{PaymentID: "JS-CITY:on", From: "JS-CITY:r2", To: "ZJ-CITY:r3",
		Amount: y("300"), Inputs: ids(e.outputs("JS-CITY:r2"))}, &pay)
	var lin api.LineageView
	e.ok(auditor(), api.Lineage.Function(), api.LineageRequest{Account: "ZJ-CITY:r3", Output: pay.PayeeOutput}, &lin)
	if lin.Programme != prog || lin.Tranche != 1 || len(lin.Hops) != 2 || lin.Hops[0].Kind != api.FlowPassedOn || lin.Hops[1].Kind != api.FlowDisbursed {
		t.Fatalf("lineage %+v", lin)
	}
	u := e.checkIdentity(holders...)
	if u.Released != y("500") || u.Disbursed != y("6000") {
		t.Fatalf("utilisation %+v", u)
	}

	// An early clawback needs the owner bureau and the holder's compliance.
	e.ok(fiscal(SH), api.ProposeClawback.Function(), api.ClawbackRequest{ID: "SH-FIN:claw-r3", Programme: prog, Account: "ZJ-CITY:r3"}, nil)
	r3 := ids(e.outputs("ZJ-CITY:r3"))
	e.fails(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw-r3", Inputs: r3}, api.CodeNotApproved)
	e.fails(compliance(JS), api.ApproveClawback.Function(), api.ClawbackID{ID: "SH-FIN:claw-r3"}, api.CodeForbidden)
	e.ok(compliance(ZJ), api.ApproveClawback.Function(), api.ClawbackID{ID: "SH-FIN:claw-r3"}, nil)
	var back api.ClawbackResult
	e.ok(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw-r3", Inputs: r3}, &back)
	if back.Run.Amount != y("3300") || len(back.Run.Returned) != 3 || back.Run.Returned[0].Amount != y("1320") || !back.Closed ||
		back.Clawback.Status != api.ProposalExecuted || back.Clawback.Runs != 1 || back.Clawback.Returned != y("3300") {
		t.Fatalf("clawback %+v", back)
	}
	e.checkIdentity(holders...)

	// Expiry: never before (trusted time), then everything goes back.
	e.fails(fiscal(SH), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: escrow, Inputs: ids(e.outputs(escrow))}, api.CodeNotExpired)
	e.L.Clock = time.Date(2026, 3, 31, 16, 0, 1, 0, time.UTC) // 2026-04-01 00:00:01 in Shanghai
	e.fails(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:late", From: "SH-CITY:r1", To: "SH-CITY:grocer",
		Amount: y("1"), Inputs: ids(e.outputs("SH-CITY:r1"))}, api.CodeOutsideWindow)
	for _, acct := range append([]string{escrow}, holders...) {
		if e.earmarked(acct) == 0 {
			continue
		}
		e.fails(fiscal(JS), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: acct, Inputs: ids(e.outputs(acct))}, api.CodeForbidden)
		e.ok(fiscal(SH), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: acct, Inputs: ids(e.outputs(acct))}, nil)
	}
	u = e.checkIdentity(holders...)
	if u.Escrow != 0 || u.Held != 0 || u.Funded != u.Released+u.Returned+u.ClawedBack {
		t.Fatalf("after expiry %+v", u)
	}
	if e.supply() != supply {
		t.Fatal("the programme changed the supply")
	}
	// The funders got back everything but what was released, pro rata.
	got := e.balance("SH-FIN:treasury") + e.balance("JS-FIN:treasury") + e.balance("ZJ-FIN:treasury")
	if got != y("3000000")-y("500") {
		t.Fatalf("funders hold %s, want 3,000,000 less the 500 released", got)
	}
}
