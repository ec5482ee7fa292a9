package programmecc

import (
	"fmt"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// earmarkedIDs lists an account's outputs earmarked for the programme.
func (e *env) earmarkedIDs(account string) []string {
	var out []string
	for _, o := range e.outputs(account) {
		if o.Earmark != nil && o.Earmark.Programme == prog {
			out = append(out, o.ID)
		}
	}
	return out
}

// clawbackOf sets up a holder (ZJ-CITY:r3) with n earmarked outputs of
// one yuan each and an approved clawback SH-FIN:claw of its funds.
func clawbackOf(t *testing.T, n int) *env {
	e := jointWith(t, func(d *api.DefineProgrammeRequest) { d.PerRecipientCap = 0 })
	e.activate()
	e.fundTranche(1, "10000")
	for done := 0; done < n; {
		var lines []api.DisburseLine
		for ; done < n && len(lines) < api.MaxDisburseLines; done++ {
			lines = append(lines, api.DisburseLine{Line: done + 1, Recipient: "ZJ-CITY:r3", Amount: y("1")})
		}
		var res api.DisburseResult
		e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:many", Lines: lines, Inputs: ids(e.outputs(escrow))[:1]}, &res)
		if res.Paid != len(lines) {
			t.Fatalf("disbursement %+v", res)
		}
	}
	e.ok(fiscal(SH), api.ProposeClawback.Function(), api.ClawbackRequest{ID: "SH-FIN:claw", Programme: prog, Account: "ZJ-CITY:r3"}, nil)
	e.ok(compliance(ZJ), api.ApproveClawback.Function(), api.ClawbackID{ID: "SH-FIN:claw"}, nil)
	return e
}

// TestClawbackRunsUntilTheHolderHasNothingLeft: a holder with more
// earmarked outputs than one run may return is clawed back in several
// runs; the clawback closes only when none is left, and a repeated or late
// run moves nothing.
func TestClawbackRunsUntilTheHolderHasNothingLeft(t *testing.T) {
	const n = api.MaxSweepInputs*2 + 30
	e := clawbackOf(t, n)
	supply, funders := e.supply(), e.balance("SH-FIN:treasury")+e.balance("JS-FIN:treasury")+e.balance("ZJ-FIN:treasury")
	exec := func(inputs []string) api.ClawbackResult {
		t.Helper()
		var res api.ClawbackResult
		e.ok(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw", Inputs: inputs}, &res)
		return res
	}
	held := e.earmarkedIDs("ZJ-CITY:r3")
	if len(held) != n {
		t.Fatalf("r3 holds %d outputs, want %d", len(held), n)
	}
	e.fails(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw", Inputs: held[:api.MaxSweepInputs+1]}, api.CodeInvalidArgument)
	first := exec(held[:api.MaxSweepInputs])
	if first.Closed || first.Clawback.Status != api.ProposalPending || first.Run.Amount != y(fmt.Sprint(api.MaxSweepInputs)) || first.Clawback.Runs != 1 {
		t.Fatalf("first run %+v", first)
	}
	// The same inputs again: spent, nothing moves.
	e.fails(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw", Inputs: held[:1]}, api.CodeInputSpent)
	// A run that is not full but leaves outputs behind does not close.
	part := exec(held[api.MaxSweepInputs : api.MaxSweepInputs+10])
	if part.Closed || part.Clawback.Runs != 2 || part.Clawback.Returned != y(fmt.Sprint(api.MaxSweepInputs+10)) {
		t.Fatalf("partial run %+v", part)
	}
	// The next full run takes the rest but the last 20 ...
	full := exec(held[api.MaxSweepInputs+10 : 2*api.MaxSweepInputs+10])
	if full.Closed {
		t.Fatalf("a full run closed with %d outputs left: %+v", len(e.earmarkedIDs("ZJ-CITY:r3")), full)
	}
	// ... which the last run returns, closing the clawback.
	last := exec(e.earmarkedIDs("ZJ-CITY:r3"))
	if !last.Closed || last.Clawback.Status != api.ProposalExecuted || last.Clawback.Returned != y(fmt.Sprint(n)) || last.Run.Amount != y("20") {
		t.Fatalf("last run %+v", last)
	}
	if got := e.earmarked("ZJ-CITY:r3"); got != 0 {
		t.Fatalf("r3 keeps %s after the clawback closed", got)
	}
	e.fails(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw"}, api.CodeProposalClosed)
	after := e.balance("SH-FIN:treasury") + e.balance("JS-FIN:treasury") + e.balance("ZJ-FIN:treasury")
	if after-funders != y(fmt.Sprint(n)) || e.supply() != supply {
		t.Fatalf("the funders got %s back, want %d; supply %s, was %s", after-funders, n, e.supply(), supply)
	}
	u := e.checkIdentity("ZJ-CITY:r3")
	if u.ClawedBack != y(fmt.Sprint(n)) {
		t.Fatalf("utilisation %+v", u)
	}
}

// TestClawbackClosesOnAnEmptyRun: a full run that happened to take the
// holder's last outputs leaves the clawback open; a run with no inputs
// finds nothing left and closes it, as it does for a holder that spent
// everything before the clawback ran.
func TestClawbackClosesOnAnEmptyRun(t *testing.T) {
	e := clawbackOf(t, api.MaxSweepInputs)
	var res api.ClawbackResult
	e.ok(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw", Inputs: e.earmarkedIDs("ZJ-CITY:r3")}, &res)
	if res.Closed || res.Run.Amount != y(fmt.Sprint(api.MaxSweepInputs)) {
		t.Fatalf("full run %+v", res)
	}
	e.ok(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw"}, &res)
	if !res.Closed || res.Run.Amount != 0 || res.Clawback.Runs != 2 || res.Clawback.Returned != y(fmt.Sprint(api.MaxSweepInputs)) {
		t.Fatalf("empty run %+v", res)
	}
	// An empty run with funds left does not close.
	e2 := clawbackOf(t, 3)
	e2.ok(fiscal(SH), api.ExecuteClawback.Function(), api.ClawbackExecute{ID: "SH-FIN:claw"}, &res)
	if res.Closed || res.Clawback.Status != api.ProposalPending {
		t.Fatalf("an empty run with 3 outputs left %+v", res)
	}
}

// TestGetClawback: the owner bureau (any of its identities), the
// compliance of the holder's province and auditors read a clawback; a
// co-funder and another province's compliance are answered NOT_FOUND, as
// for a clawback that does not exist; a bank's operator is refused.
func TestGetClawback(t *testing.T) {
	e := clawbackOf(t, 2)
	for _, tc := range []struct {
		name string
		who  *memstub.Identity
		code api.Code
	}{
		{"the owner bureau", fiscal(SH), ""},
		{"the owner bureau's checker", checker(SH), ""},
		{"the holder's compliance", compliance(ZJ), ""},
		{"an auditor", auditor(), ""},
		{"a co-funding bureau", fiscal(JS), api.CodeNotFound},
		{"another province's compliance", compliance(JS), api.CodeNotFound},
		{"the holder's bank", operator(ZJ), api.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{Env: e.With(t)}
			if tc.code != "" {
				e.fails(tc.who, api.GetClawback.Function(), api.ClawbackID{ID: "SH-FIN:claw"}, tc.code)
				return
			}
			var v api.ClawbackView
			e.ok(tc.who, api.GetClawback.Function(), api.ClawbackID{ID: "SH-FIN:claw"}, &v)
			if v.Clawback.ID != "SH-FIN:claw" || v.Clawback.Programme != prog || v.Clawback.Account != "ZJ-CITY:r3" ||
				v.Clawback.HolderMSP != ZJ || !v.Approved || len(v.Approvals) != 2 || len(v.Parties) != 2 {
				t.Fatalf("clawback %+v", v)
			}
		})
	}
	e.fails(auditor(), api.GetClawback.Function(), api.ClawbackID{ID: "SH-FIN:none"}, api.CodeNotFound)
}
