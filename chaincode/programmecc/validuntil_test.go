package programmecc

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// TestValidUntil: a programme with a precise end instant runs until it,
// on the ledger's trusted time, and is expired from it on within the same
// business date: disbursements and spends answer OUTSIDE_WINDOW, a sweep
// that was NOT_EXPIRED a second before returns the rest pro rata.
func TestValidUntil(t *testing.T) {
	until := day0.Add(2 * time.Hour) // 11:00 in Shanghai on the first business date
	e := jointWith(t, func(d *api.DefineProgrammeRequest) { d.ValidUntil = until.In(api.BusinessZone) })
	supply := e.supply()
	var v api.ProgrammeView
	e.ok(auditor(), api.GetProgramme.Function(), api.ProgrammeID{ID: prog}, &v)
	if !v.Programme.ValidUntil.Equal(until) || v.Programme.ValidUntil.Location() != time.UTC {
		t.Fatalf("the programme's validUntil is %v, want %v in UTC", v.Programme.ValidUntil, until)
	}
	e.activate()
	e.fundTranche(1, "10000")
	treasuries := []string{"SH-FIN:treasury", "JS-FIN:treasury", "ZJ-FIN:treasury"}
	before := make([]money.Amount, len(treasuries))
	for i, a := range treasuries {
		before[i] = e.balance(a)
	}

	// Just before the instant the programme runs; no sweep yet (each
	// transaction moves the ledger's clock on by a second).
	e.L.Clock = until.Add(-30 * time.Second)
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:j", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("1000")}, {Line: 2, Recipient: "JS-CITY:r2", Amount: y("1000")}}}, nil)
	e.ok(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:flour", From: "SH-CITY:r1", To: "SH-CITY:grocer",
		Amount: y("100"), Inputs: ids(e.outputs("SH-CITY:r1"))}, nil)
	e.fails(fiscal(SH), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: escrow, Inputs: ids(e.outputs(escrow))}, api.CodeNotExpired)
	if e.L.Clock.After(until) {
		t.Fatalf("the clock ran past validUntil before the last check: %v", e.L.Clock)
	}

	// From the instant on, the same business date: expired.
	e.L.Clock = until
	if api.BusinessDate(until) != v.Programme.ValidFrom {
		t.Fatalf("the test's instant is not on the first business date")
	}
	e.fails(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:late", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "ZJ-CITY:r3", Amount: y("1")}}}, api.CodeOutsideWindow)
	e.fails(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:late", From: "SH-CITY:r1", To: "SH-CITY:grocer",
		Amount: y("1"), Inputs: ids(e.outputs("SH-CITY:r1"))}, api.CodeOutsideWindow)
	var res api.SweepResult
	returned := money.Amount(0)
	for _, acct := range []string{escrow, "SH-CITY:r1", "JS-CITY:r2"} {
		e.fails(fiscal(JS), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: acct, Inputs: ids(e.outputs(acct))}, api.CodeForbidden)
		e.ok(fiscal(SH), api.Sweep.Function(), api.SweepRequest{Programme: prog, Account: acct, Inputs: ids(e.outputs(acct))}, &res)
		returned += res.Amount
	}
	if returned != y("9900") {
		t.Fatalf("the sweeps returned %s, want 10,000 less the 100 released", returned)
	}
	u := e.checkIdentity("SH-CITY:r1", "JS-CITY:r2")
	if u.Escrow != 0 || u.Held != 0 || u.Released != y("100") || u.Returned != y("9900") {
		t.Fatalf("after the sweep %+v", u)
	}
	// Pro rata, each sweep on its own: escrow 8,000 (3,200/2,400/2,400),
	// r1 900 (360/270/270), r2 1,000 (400/300/300).
	for i, want := range []string{"3960", "2970", "2970"} {
		if got := e.balance(treasuries[i]) - before[i]; got != y(want) {
			t.Fatalf("%s got back %s, want %s", treasuries[i], got, want)
		}
	}
	if e.supply() != supply {
		t.Fatal("the programme changed the supply")
	}
}

// TestValidUntilDefine: the chaincode refuses a validUntil after the end
// of validTo (INVALID_ARGUMENT) and accepts one at that end exactly.
func TestValidUntilDefine(t *testing.T) {
	e := newEnv(t)
	def := func(id string, until time.Time) api.DefineProgrammeRequest {
		return api.DefineProgrammeRequest{ID: "SH-FIN:" + id, Name: id, Purposes: []string{"SME"}, Escrow: "SH-FIN:escrow-" + id, Budget: y("100"),
			Funders:   []api.Funder{{MSP: SH, Bureau: "SH-FIN", Account: "SH-FIN:treasury", Share: api.SharesTotal}},
			ValidFrom: "2026-03-02", ValidTo: "2026-03-31", ValidUntil: until, Release: api.ReleaseAtTerminal,
			Eligibility: api.Eligibility{Kinds: []api.Kind{api.KindMerchant}}}
	}
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, api.BusinessZone)
	e.fails(fiscal(SH), api.DefineProgramme.Function(), def("late", end.Add(time.Second)), api.CodeInvalidArgument)
	e.fails(fiscal(SH), api.DefineProgramme.Function(), def("early", time.Date(2026, 3, 2, 0, 0, 0, 0, api.BusinessZone)), api.CodeInvalidArgument)
	var v api.ProgrammeView
	e.ok(fiscal(SH), api.DefineProgramme.Function(), def("exact", end), &v)
	if !v.Programme.ValidUntil.Equal(end) {
		t.Fatalf("validUntil %v", v.Programme.ValidUntil)
	}
}
