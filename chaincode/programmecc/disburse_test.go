package programmecc

import (
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// escrowOutputs is the escrow's earmarked outputs by ID.
func (e *env) escrowOutputs() map[string]money.Amount {
	out := map[string]money.Amount{}
	for _, o := range e.outputs(escrow) {
		if o.Earmark != nil && o.Earmark.Programme == prog {
			out[o.ID] = o.Amount
		}
	}
	return out
}

// TestDisburseSplitsItsChange: a disbursement with ChangeSplit returns its
// change to the escrow as that many outputs (each at least a fen, summing
// to the change, listed in the answer); without, as one; beyond
// api.MaxChangeSplit the request is refused.
func TestDisburseSplitsItsChange(t *testing.T) {
	e := joint(t)
	e.activate()
	e.fundTranche(1, "10000")
	in := ids(e.outputs(escrow))[0] // Shanghai's 4,000
	for _, tc := range []struct {
		name  string
		split int
		lines []api.DisburseLine
		want  []money.Amount // the change outputs
	}{
		{"four", 4, []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("1000.01")}}, []money.Amount{y("750"), y("750"), y("750"), y("749.99")}},
		{"none asked", 0, []api.DisburseLine{{Line: 2, Recipient: "JS-CITY:r2", Amount: y("0.50")}}, []money.Amount{y("749.50")}},
		{"more than the fen left", 5, []api.DisburseLine{{Line: 3, Recipient: "ZJ-CITY:r3", Amount: y("749.47")}}, []money.Amount{y("0.01"), y("0.01"), y("0.01")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{Env: e.With(t)}
			before := e.escrowOutputs()
			var res api.DisburseResult
			e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:split", Lines: tc.lines,
				Inputs: []string{in}, ChangeSplit: tc.split}, &res)
			if res.Paid != 1 || len(res.ChangeOutputs) != len(tc.want) || res.Change != res.ChangeOutputs[0].Output {
				t.Fatalf("disbursement %+v", res)
			}
			after := e.escrowOutputs()
			for i, c := range res.ChangeOutputs {
				if c.Amount != tc.want[i] || after[c.Output] != c.Amount {
					t.Fatalf("change %d: %+v, want %s; the escrow holds %s under it", i, c, tc.want[i], after[c.Output])
				}
			}
			if len(after) != len(before)-1+len(tc.want) {
				t.Fatalf("escrow outputs %d before, %d after", len(before), len(after))
			}
			in = res.ChangeOutputs[0].Output
		})
	}
	t.Run("bounded like token:Transfer", func(t *testing.T) {
		e := &env{Env: e.With(t)}
		e.fails(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:split",
			Lines: []api.DisburseLine{{Line: 9, Recipient: "SH-CITY:r1", Amount: 1}}, Inputs: ids(e.outputs(escrow))[:1],
			ChangeSplit: api.MaxChangeSplit + 1}, api.CodeInvalidArgument)
	})
	e.checkIdentity("SH-CITY:r1", "JS-CITY:r2", "ZJ-CITY:r3")
}

// TestLineMarkersRecordRecipientAndAmount: a job ID sent again with other
// lines under the same numbers (another gateway, or one that evicted the
// job) pays none of them: a line whose marker names another recipient or
// amount is rejected with LINE_CONFLICT and nothing moves for it; the same
// line as before answers already_paid with its output; the batch's other
// lines pay.
func TestLineMarkersRecordRecipientAndAmount(t *testing.T) {
	e := joint(t)
	e.activate()
	e.fundTranche(1, "10000")
	var first api.DisburseResult
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:job", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("100")}, {Line: 2, Recipient: "JS-CITY:r2", Amount: y("200")}}}, &first)
	if first.Paid != 2 {
		t.Fatalf("first %+v", first)
	}
	var res api.DisburseResult
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:job", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{
			{Line: 1, Recipient: "ZJ-CITY:r3", Amount: y("100")}, // another recipient
			{Line: 2, Recipient: "JS-CITY:r2", Amount: y("250")}, // another amount
			{Line: 3, Recipient: "ZJ-CITY:r3", Amount: y("300")}, // a new line
		}}, &res)
	want := []struct {
		status string
		code   api.Code
	}{{api.LineRejected, api.CodeLineConflict}, {api.LineRejected, api.CodeLineConflict}, {api.LinePaid, ""}}
	if res.Paid != 1 || res.Rejected != 2 || res.AlreadyPaid != 0 || res.Amount != y("300") {
		t.Fatalf("reused job %+v", res)
	}
	for i, r := range res.Results {
		if r.Status != want[i].status || r.Code != want[i].code || (r.Status == api.LineRejected && r.Output != "") {
			t.Fatalf("line %d: %+v, want %s %s", r.Line, r, want[i].status, want[i].code)
		}
	}
	if e.earmarked("ZJ-CITY:r3") != y("300") || e.earmarked("JS-CITY:r2") != y("200") || e.earmarked("SH-CITY:r1") != y("100") {
		t.Fatalf("r1 %s r2 %s r3 %s", e.earmarked("SH-CITY:r1"), e.earmarked("JS-CITY:r2"), e.earmarked("ZJ-CITY:r3"))
	}
	// The same lines as first sent answer already_paid with their outputs.
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:job", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("100")}, {Line: 2, Recipient: "JS-CITY:r2", Amount: y("200")}}}, &res)
	if res.AlreadyPaid != 2 || res.Paid != 0 || res.Results[0].Output != first.Results[0].Output || res.Results[1].Output != first.Results[1].Output {
		t.Fatalf("the same lines again %+v, first %+v", res, first)
	}
	e.checkIdentity("SH-CITY:r1", "JS-CITY:r2", "ZJ-CITY:r3")
}

// TestNoCapCounterWithoutACap: a programme without a per-recipient cap
// writes no recipient counter (a key every disbursement to the recipient
// would rewrite); one with a cap counts across batches and lines.
func TestNoCapCounterWithoutACap(t *testing.T) {
	counters := func(e *env) int {
		n := 0
		for _, k := range e.L.Keys() {
			if strings.HasPrefix(k, "\x00"+nsRecipient+"\x00") {
				n++
			}
		}
		return n
	}
	lines := []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("3000")}, {Line: 2, Recipient: "SH-CITY:r1", Amount: y("2000")},
		{Line: 3, Recipient: "JS-CITY:r2", Amount: y("100")}}
	t.Run("no cap", func(t *testing.T) {
		e := jointWith(t, func(d *api.DefineProgrammeRequest) { d.PerRecipientCap = 0 })
		e.activate()
		e.fundTranche(1, "10000")
		var res api.DisburseResult
		e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:j", Lines: lines, Inputs: ids(e.outputs(escrow))}, &res)
		if res.Paid != 3 || counters(e) != 0 {
			t.Fatalf("%+v, %d recipient counters", res, counters(e))
		}
	})
	t.Run("a cap", func(t *testing.T) {
		e := jointWith(t, func(d *api.DefineProgrammeRequest) { d.PerRecipientCap = y("4000") })
		e.activate()
		e.fundTranche(1, "10000")
		var res api.DisburseResult
		e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:j", Lines: lines, Inputs: ids(e.outputs(escrow))}, &res)
		if res.Paid != 2 || res.Results[1].Code != api.CodeOverCap || counters(e) != 2 {
			t.Fatalf("%+v, %d recipient counters", res, counters(e))
		}
		e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:j2", Inputs: ids(e.outputs(escrow))[:1],
			Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("1000.01")}}}, &res)
		if res.Rejected != 1 || res.Results[0].Code != api.CodeOverCap {
			t.Fatalf("over the cap in a later batch: %+v", res)
		}
	})
}

// TestWindowIsNotEligibility: outside its validity window a programme
// answers OUTSIDE_WINDOW, for disbursements and spends alike, whoever the
// payee; PURPOSE_NOT_ALLOWED is left to ineligible recipients and payees.
func TestWindowIsNotEligibility(t *testing.T) {
	e := joint(t)
	e.activate()
	e.fundTranche(1, "10000")
	e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:j", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("100")}}}, nil)
	e.fails(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:bar", From: "SH-CITY:r1", To: "SH-CITY:bar",
		Amount: y("1"), Inputs: ids(e.outputs("SH-CITY:r1"))}, api.CodePurposeNotAllowed)
	e.L.Clock = day0.AddDate(0, 1, 0)
	for _, payee := range []string{"SH-CITY:grocer", "SH-CITY:bar"} {
		e.fails(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-CITY:late", From: "SH-CITY:r1", To: payee,
			Amount: y("1"), Inputs: ids(e.outputs("SH-CITY:r1"))}, api.CodeOutsideWindow)
	}
	e.fails(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:late", Inputs: ids(e.outputs(escrow))[:1],
		Lines: []api.DisburseLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: y("100")}}}, api.CodeOutsideWindow)
}

// TestEscrowPaysOnlyByDisbursement: the owner bureau cannot move the
// escrow's earmarked funds with a payment (around the job's line markers,
// the cap and the flows the utilisation identity rests on).
func TestEscrowPaysOnlyByDisbursement(t *testing.T) {
	e := joint(t)
	e.activate()
	e.fundTranche(1, "10000")
	e.fails(fiscal(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-FIN:direct", From: escrow, To: "SH-CITY:grocer",
		Amount: y("1"), Inputs: ids(e.outputs(escrow))[:1]}, api.CodePurposeNotAllowed)
	e.fails(fiscal(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-FIN:direct", From: escrow, To: "SH-CITY:r1",
		Amount: y("1"), Inputs: ids(e.outputs(escrow))[:1]}, api.CodePurposeNotAllowed)
}

// TestTrancheViewCarriesShares: every tranche answer lists each funder's
// exact share (summing to the tranche), which FundTranche takes.
func TestTrancheViewCarriesShares(t *testing.T) {
	e := joint(t)
	e.activate()
	var v api.TrancheView
	e.ok(fiscal(SH), api.ProposeTranche.Function(), api.TrancheRequest{Programme: prog, No: 1, Amount: y("0.05"), Date: "2026-03-02"}, &v)
	want := []money.Amount{3, 1, 1} // 40/30/30 of five fen: 2, 1, 1 and the fen left over to the first funder
	check := func(v api.TrancheView) {
		t.Helper()
		if len(v.Shares) != 3 {
			t.Fatalf("shares %+v", v.Shares)
		}
		for i, s := range v.Shares {
			if s.Amount != want[i] || s.Bureau != []string{"SH-FIN", "JS-FIN", "ZJ-FIN"}[i] || s.Account == "" {
				t.Fatalf("share %d %+v, want %s", i, s, want[i])
			}
		}
	}
	check(v)
	e.ok(checker(SH), api.ApproveTranche.Function(), api.TrancheID{Programme: prog, No: 1}, &v)
	check(v)
	e.ok(fiscal(JS), api.ApproveTranche.Function(), api.TrancheID{Programme: prog, No: 1}, nil)
	e.ok(fiscal(ZJ), api.ApproveTranche.Function(), api.TrancheID{Programme: prog, No: 1}, nil)
	e.ok(fiscal(JS), api.FundTranche.Function(), api.FundRequest{Programme: prog, No: 1, Inputs: ids(e.outputs("JS-FIN:treasury"))}, &v)
	check(v)
	if len(v.Contributions) != 1 || v.Contributions[0].Amount != want[1] {
		t.Fatalf("Jiangsu paid %+v, its share is %s", v.Contributions, want[1])
	}
	var got api.TrancheView
	e.ok(fiscal(ZJ), api.GetTranche.Function(), api.TrancheID{Programme: prog, No: 1}, &got)
	check(got)
	if len(got.Contributions) != 1 || len(got.Approvals) != 4 || got.Tranche.Status != api.TrancheApproved {
		t.Fatalf("tranche read %+v", got)
	}
	e.fails(fiscal(AH), api.GetTranche.Function(), api.TrancheID{Programme: prog, No: 1}, api.CodeNotFound)
	e.fails(auditor(), api.GetTranche.Function(), api.TrancheID{Programme: prog, No: 2}, api.CodeNotFound)
}
