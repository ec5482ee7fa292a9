package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// TestProgrammeLifecycle runs a joint programme through the gateway:
// definition and approvals, a tranche funded by the gateway's selection,
// a disbursement job with lines refused one by one, an earmarked spend
// released at a grocer and one refused at a bar, lineage, utilisation with
// its identity, a clawback approved by the holder's compliance, and the
// sweep after expiry; money is checked against the ledger as an auditor.
func TestProgrammeLifecycle(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "1000000", "5000", jobs.Options{BatchLines: 2})
	r1 := h.merchants("sh-op", "r", "5812", 1)[0]
	r2 := h.merchants("js-op", "r", "5812", 1)[0]
	r3 := h.merchants("zj-op", "r", "5812", 1)[0]
	r4 := h.merchants("ah-op", "r", "5812", 1)[0] // outside the provinces
	x := h.merchants("sh-op", "x", "5999", 1)[0]  // another category
	grocer := h.merchants("sh-op", "grocer", "5411", 1)[0]
	bar := h.merchants("sh-op", "bar", "5813", 1)[0]

	t.Run("the programme as a funder sees it", func(t *testing.T) {
		var p rest.Programme
		h.must(http.StatusOK, "js-fin", "GET", "/v1/programmes/"+prog, "").decode(t, &p)
		if p.Status != rest.ProgrammeActive || p.Escrow != escrow || len(p.Funders) != 3 || len(p.Approvals) != 4 || len(p.Parties) != 3 {
			t.Fatalf("programme %+v", p)
		}
		if got := h.do("sh-op2", "GET", "/v1/programmes/"+prog, ""); got.status != http.StatusNotFound {
			t.Fatalf("a bank that is no party reads the programme: %d %s", got.status, got.body)
		}
	})

	tr := h.fundTranche(1, "50000")
	t.Run("funding moves each share into escrow", func(t *testing.T) {
		shares := map[string]money.Amount{}
		for _, c := range tr.Contributions {
			shares[c.Bureau] = c.Amount
		}
		if shares["SH-FIN"] != y("20000") || shares["JS-FIN"] != y("15000") || shares["ZJ-FIN"] != y("15000") {
			t.Fatalf("contributions %+v", tr.Contributions)
		}
		if got := h.earmarked(escrow); got != y("50000") {
			t.Fatalf("escrow holds %s", got)
		}
		if got := h.balance("sh-aud", "SH-FIN:treasury"); got != "980000.00" {
			t.Fatalf("Shanghai's treasury %s, want 980000.00", got)
		}
		// Funding twice is refused by the chaincode, through the gateway.
		if got := h.do("sh-fin", "POST", "/v1/programmes/"+prog+"/tranches/1/fund", ""); got.status != http.StatusConflict || got.code(t) != string(api.CodeAlreadyExists) {
			t.Fatalf("second funding: %d %s", got.status, got.body)
		}
	})

	t.Run("a job pays eligible lines and refuses the others one by one", func(t *testing.T) {
		lines := []rest.DisbursementLine{
			{Recipient: r1, Amount: y("1000")}, {Recipient: r2, Amount: y("2000")}, {Recipient: r3, Amount: y("3000")},
			{Recipient: r4, Amount: y("100")}, {Recipient: x, Amount: y("100")}, {Recipient: r1, Amount: y("4500")},
		}
		res := h.put("sh-fin", "SH-FIN:job1", "application/json", linesJSON(lines))
		if res.status != http.StatusAccepted || res.header.Get("Location") != "/v1/programmes/"+prog+"/disbursements/SH-FIN:job1" {
			t.Fatalf("PUT: %d %s %v", res.status, res.body, res.header)
		}
		j := h.waitJob("sh-fin", "SH-FIN:job1", 10*time.Second)
		if j.Status != rest.JobDone || j.Paid != 3 || j.Rejected != 3 || j.Pending != 0 || j.SettledAmount != y("6000") || j.Batches < 3 {
			t.Fatalf("job %+v", j)
		}
		want := map[int]string{1: "", 2: "", 3: "", 4: string(api.CodePurposeNotAllowed), 5: string(api.CodePurposeNotAllowed), 6: string(api.CodeOverCap)}
		got := h.jobLines("sh-fin", "SH-FIN:job1", "")
		if len(got) != 6 {
			t.Fatalf("lines %+v", got)
		}
		for _, l := range got {
			if l.Code != want[l.Line] || (l.Code == "") != (l.Status == rest.LinePaid) || (l.Status == rest.LinePaid && (l.Output == "" || l.TxID == "")) {
				t.Errorf("line %+v, want code %q", l, want[l.Line])
			}
		}
		if rej := h.jobLines("sh-fin", "SH-FIN:job1", rest.LineRejected); len(rej) != 3 || rej[0].Line != 4 {
			t.Fatalf("rejected lines %+v", rej)
		}
		if h.earmarked(r1) != y("1000") || h.earmarked(r2) != y("2000") || h.earmarked(r3) != y("3000") || h.earmarked(escrow) != y("44000") {
			t.Fatalf("after the job: r1 %s r2 %s r3 %s escrow %s", h.earmarked(r1), h.earmarked(r2), h.earmarked(r3), h.earmarked(escrow))
		}
		// Another client (the checker) does not see the maker's job.
		if got := h.do("sh-fin2", "GET", "/v1/programmes/"+prog+"/disbursements/SH-FIN:job1", ""); got.status != http.StatusNotFound || got.code(t) != rest.CodeJobNotFound {
			t.Fatalf("the checker reads the maker's job: %d %s", got.status, got.body)
		}
	})

	t.Run("holdings and the plain selector", func(t *testing.T) {
		var p rest.OutputPage
		h.must(http.StatusOK, "sh-op", "GET", "/v1/programmes/"+prog+"/holdings/"+r1, "").decode(t, &p)
		if len(p.Outputs) != 1 || p.Outputs[0].Earmark == nil || p.Outputs[0].Earmark.Tranche != 1 {
			t.Fatalf("holdings %+v", p)
		}
		// A plain payment never spends earmarked funds.
		res := h.do("sh-op", "POST", "/v1/payments", jsonOf(rest.PaymentRequest{PaymentID: "SH-CITY:plain", From: r1, To: grocer, Amount: y("10")}))
		if res.status != http.StatusUnprocessableEntity || res.code(t) != rest.CodeInsufficientFunds {
			t.Fatalf("a plain payment from earmarked funds: %d %s", res.status, res.body)
		}
	})

	var released rest.Payment
	t.Run("earmarked spends follow the programme's rules", func(t *testing.T) {
		spend := rest.SpendRequest{PaymentID: "SH-CITY:flour", From: r1, To: grocer, Amount: y("500")}
		var c rest.Committed[rest.Payment]
		h.must(http.StatusCreated, "sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(spend)).decode(t, &c)
		released = c.Result
		if h.earmarked(grocer) != 0 || h.balance("sh-aud", grocer) != "500.00" || h.earmarked(r1) != y("500") {
			t.Fatalf("release at the grocer: grocer earmarked %s balance %s, r1 earmarked %s", h.earmarked(grocer), h.balance("sh-aud", grocer), h.earmarked(r1))
		}
		// The same spend again: 409 with the payment; another body: 422.
		if got := h.do("sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(spend)); got.status != http.StatusConflict {
			t.Fatalf("repeat: %d %s", got.status, got.body)
		}
		spend.Amount = y("1")
		if got := h.do("sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(spend)); got.status != http.StatusUnprocessableEntity || got.code(t) != rest.CodePaymentIDReused {
			t.Fatalf("reuse: %d %s", got.status, got.body)
		}
		beer := rest.SpendRequest{PaymentID: "SH-CITY:beer", From: r1, To: bar, Amount: y("10")}
		if got := h.do("sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(beer)); got.status != http.StatusUnprocessableEntity || got.code(t) != string(api.CodePurposeNotAllowed) {
			t.Fatalf("a bar: %d %s", got.status, got.body)
		}
		too := rest.SpendRequest{PaymentID: "SH-CITY:too-much", From: r1, To: grocer, Amount: y("501")}
		if got := h.do("sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(too)); got.status != http.StatusUnprocessableEntity || got.code(t) != rest.CodeInsufficientFunds {
			t.Fatalf("more than held: %d %s", got.status, got.body)
		}
		// Pass-on keeps the earmark; lineage walks back to the disbursement.
		on := rest.SpendRequest{PaymentID: "JS-CITY:on", From: r2, To: r3, Amount: y("300")}
		h.must(http.StatusCreated, "js-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(on)).decode(t, &c)
		var lin rest.Lineage
		h.must(http.StatusOK, "sh-aud", "GET", fmt.Sprintf("/v1/programmes/%s/lineage?account=%s&output=%s", prog, r3, c.Result.PayeeOutput), "").decode(t, &lin)
		if lin.Programme != prog || lin.Tranche != 1 || len(lin.Hops) != 2 || lin.Hops[0].Kind != rest.FlowPassedOn || lin.Hops[1].Kind != rest.FlowDisbursed {
			t.Fatalf("lineage %+v", lin)
		}
		if got := h.do("sh-aud", "GET", fmt.Sprintf("/v1/programmes/%s/lineage?account=%s", prog, r3), ""); got.status != http.StatusBadRequest {
			t.Fatalf("lineage without output: %d", got.status)
		}
	})

	t.Run("utilisation balances against the ledger", func(t *testing.T) {
		u := h.utilisation("sh-fin", rest.ByTotal)
		tot := u.Total
		if !u.Balanced || !u.EscrowChecked || u.EscrowOutputs != h.earmarked(escrow) || bal(tot.Escrow) != y("44000") ||
			tot.Disbursed != y("6000") || tot.Released != y("500") || bal(tot.Held) != y("5500") || tot.Funded != y("50000") || u.Flows != 3+3+2 {
			t.Fatalf("utilisation %+v", u)
		}
		held := h.earmarked(r1) + h.earmarked(r2) + h.earmarked(r3)
		if held != bal(tot.Held) {
			t.Fatalf("held on the ledger %s, utilisation %s", held, tot.Held)
		}
		// Rows by recipient are the holders' own: each holds what the
		// ledger says, r3 with the 300 r2 passed on to it.
		byRecipient := h.utilisation("sh-fin", rest.ByRecipient)
		if !sameUsage(byRecipient.Total, u.Total) || len(byRecipient.Rows) != 3 {
			t.Fatalf("by recipient %+v", byRecipient)
		}
		for _, row := range byRecipient.Rows {
			if row.Escrow != nil || bal(row.Held) != h.earmarked(row.Key) || row.Funded != 0 {
				t.Fatalf("row %+v, the ledger holds %s", row, h.earmarked(row.Key))
			}
		}
		if r3row := byRecipient.Rows[2]; r3row.Key != r3 || r3row.TransferredIn != y("300") || bal(r3row.Held) != y("3300") {
			t.Fatalf("r3's row %+v", r3row)
		}
		// Rows by province likewise.
		byProvince := h.utilisation("sh-fin", rest.ByProvince)
		for _, row := range byProvince.Rows {
			want := map[string]money.Amount{SH: h.earmarked(r1), JS: h.earmarked(r2), ZJ: h.earmarked(r3)}[row.Key]
			if bal(row.Held) != want || row.Escrow != nil {
				t.Fatalf("province row %+v, its holders hold %s", row, want)
			}
		}
		// Rows page by key.
		var page rest.Utilisation
		h.must(http.StatusOK, "sh-fin", "GET", "/v1/programmes/"+prog+"/utilisation?by=recipient&pageSize=2", "").decode(t, &page)
		var next rest.Utilisation
		h.must(http.StatusOK, "sh-fin", "GET", "/v1/programmes/"+prog+"/utilisation?by=recipient&pageSize=2&bookmark="+page.Bookmark, "").decode(t, &next)
		if len(page.Rows) != 2 || page.Rows[0].Key != byRecipient.Rows[0].Key || len(next.Rows) != 1 || next.Bookmark != "" || next.Rows[0].Key != byRecipient.Rows[2].Key {
			t.Fatalf("pages %+v then %+v", page.Rows, next.Rows)
		}
		// Rows by tranche carry balances; one tranche here, so they are the total's.
		if byTranche := h.utilisation("sh-fin", rest.ByTranche); len(byTranche.Rows) != 1 || byTranche.Rows[0].Key != "1" ||
			bal(byTranche.Rows[0].Escrow) != y("44000") || bal(byTranche.Rows[0].Held) != y("5500") {
			t.Fatalf("by tranche %+v", byTranche.Rows)
		}
		// A co-funder sees the utilisation but not the escrow's outputs.
		if js := h.utilisation("js-fin", rest.ByTotal); !js.Balanced || js.EscrowChecked || !sameUsage(js.Total, u.Total) {
			t.Fatalf("as a co-funder %+v", js)
		}
	})

	t.Run("a clawback needs the holder's compliance", func(t *testing.T) {
		cb := rest.ClawbackRequest{ID: "SH-FIN:claw-r3", Account: r3}
		h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks", jsonOf(cb))
		exec := jsonOf(rest.ClawbackExecuteRequest{Account: r3})
		if got := h.do("sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3/execute", exec); got.status != http.StatusConflict || got.code(t) != string(api.CodeNotApproved) {
			t.Fatalf("execute before approval: %d %s", got.status, got.body)
		}
		// Another province's compliance is no party: it cannot read the
		// clawback, and is answered as for one that does not exist.
		if got := h.do("js-comp", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3/approve", ""); got.status != http.StatusNotFound {
			t.Fatalf("another province's compliance: %d %s", got.status, got.body)
		}
		if got := h.do("zj-comp", "POST", "/v1/programmes/SH-FIN:other/clawbacks/SH-FIN:claw-r3/approve", ""); got.status != http.StatusNotFound {
			t.Fatalf("approval under another programme's path: %d %s", got.status, got.body)
		}
		var c rest.Committed[rest.Clawback]
		h.must(http.StatusCreated, "zj-comp", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3/approve", "").decode(t, &c)
		if !c.Result.Approved || c.Result.HolderMSP != ZJ {
			t.Fatalf("approved clawback %+v", c.Result)
		}
		var cbv rest.Clawback
		h.must(http.StatusOK, "zj-comp", "GET", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3", "").decode(t, &cbv)
		if cbv.Account != r3 || !cbv.Approved || cbv.Status != rest.ProposalPending || cbv.Runs != 0 {
			t.Fatalf("the clawback as its approver reads it %+v", cbv)
		}
		if got := h.do("sh-fin", "GET", "/v1/programmes/SH-FIN:other/clawbacks/SH-FIN:claw-r3", ""); got.status != http.StatusNotFound {
			t.Fatalf("read under another programme's path: %d %s", got.status, got.body)
		}
		wrong := jsonOf(rest.ClawbackExecuteRequest{Account: r2})
		if got := h.do("sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3/execute", wrong); got.status != http.StatusBadRequest {
			t.Fatalf("execute naming another holder: %d %s", got.status, got.body)
		}
		var back rest.Committed[rest.ReturnReport]
		h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3/execute", exec).decode(t, &back)
		rep := back.Result
		if rep.Amount != y("3300") || rep.Left != 0 || !rep.Closed || len(rep.Transactions) != 1 || len(rep.Funders) != 3 || rep.Funders[0].Amount != y("1320") || back.TxID == "" {
			t.Fatalf("clawback %+v", rep)
		}
		if h.earmarked(r3) != 0 {
			t.Fatalf("r3 still holds %s", h.earmarked(r3))
		}
		if got := h.do("sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw-r3/execute", ""); got.status != http.StatusConflict || got.code(t) != string(api.CodeProposalClosed) {
			t.Fatalf("execute a closed clawback: %d %s", got.status, got.body)
		}
	})

	t.Run("the sweep waits for expiry, then returns everything", func(t *testing.T) {
		if got := h.do("sh-fin", "POST", "/v1/programmes/"+prog+"/sweeps", ""); got.status != http.StatusConflict || got.code(t) != string(api.CodeNotExpired) {
			t.Fatalf("sweep before expiry: %d %s", got.status, got.body)
		}
		before := map[string]money.Amount{}
		for _, acct := range treasuries {
			before[acct] = y(h.balance("sh-aud", acct))
		}
		h.led.Stub().Clock = time.Date(2026, 1, 31, 16, 0, 1, 0, time.UTC) // 2026-02-01 in Shanghai
		var c rest.Committed[rest.ReturnReport]
		h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/sweeps", "").decode(t, &c)
		rep := c.Result
		// The escrow (44000), r1 (500) and r2 (1700); r3 was clawed back
		// (its row holds nothing, so the sweep does not visit it).
		if rep.Amount != y("46200") || rep.Left != 0 || rep.Accounts != 3 || len(rep.Transactions) != 3 {
			t.Fatalf("sweep %+v", rep)
		}
		var back money.Amount
		for _, acct := range treasuries {
			back += y(h.balance("sh-aud", acct)) - before[acct]
		}
		if back != rep.Amount {
			t.Fatalf("the treasuries got %s back, the sweep says %s", back, rep.Amount)
		}
		u := h.utilisation("sh-fin", rest.ByTotal)
		if !u.Balanced || bal(u.Total.Escrow) != 0 || bal(u.Total.Held) != 0 || u.Total.Funded != u.Total.Released+u.Total.Returned+u.Total.ClawedBack {
			t.Fatalf("after the sweep %+v", u)
		}
		// A repeated sweep finds nothing and commits nothing.
		h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/sweeps", jsonOf(rest.SweepRequest{Accounts: []string{r1, escrow}})).decode(t, &c)
		if c.Result.Amount != 0 || len(c.Result.Transactions) != 0 || c.TxID != "" {
			t.Fatalf("repeated sweep %+v", c)
		}
		// Only the release (500 at the grocer) left the funders for good.
		var total money.Amount
		for _, acct := range treasuries {
			total += y(h.balance("sh-aud", acct))
		}
		if total != y("3000000")-released.Amount {
			t.Fatalf("the funders hold %s, want 3,000,000 less the %s released", total, released.Amount)
		}
	})
}

// TestEarmarkedSpendAcrossTranches: a payment cannot combine tranches;
// the gateway says so (EARMARK_SPLIT) instead of sending inputs the
// chaincode refuses, and pays from one tranche when one covers.
func TestEarmarkedSpendAcrossTranches(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "100000", "", jobs.Options{})
	h.fundTranche(1, "1000")
	h.fundTranche(2, "1000")
	r1 := h.merchants("sh-op", "r", "5812", 1)[0]
	grocer := h.merchants("sh-op", "grocer", "5411", 1)[0]
	lines := []rest.DisbursementLine{{Recipient: r1, Amount: y("300")}}
	// Two jobs: the second is paid from whichever tranche the pool picks;
	// make sure r1 ends up with funds of two tranches by paying until both
	// tranches were used.
	for i := 1; i <= 6; i++ {
		h.put("sh-fin", fmt.Sprintf("SH-FIN:t%d", i), "application/json", linesJSON(lines))
		if j := h.waitJob("sh-fin", fmt.Sprintf("SH-FIN:t%d", i), 10*time.Second); j.Paid != 1 {
			t.Fatalf("job %d: %+v", i, j)
		}
	}
	var p rest.OutputPage
	h.must(http.StatusOK, "sh-op", "GET", "/v1/programmes/"+prog+"/holdings/"+r1, "").decode(t, &p)
	per := map[int]money.Amount{}
	for _, o := range p.Outputs {
		per[o.Earmark.Tranche] += o.Amount
	}
	if len(per) != 2 || per[1]+per[2] != y("1800") {
		t.Fatalf("r1 holds %v", per)
	}
	max := max(per[1], per[2])
	over := rest.SpendRequest{PaymentID: "SH-CITY:over", From: r1, To: grocer, Amount: max + 1}
	res := h.do("sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(over))
	if res.status != http.StatusUnprocessableEntity || res.code(t) != rest.CodeEarmarkSplit || !strings.Contains(string(res.body), `"tranches"`) {
		t.Fatalf("across tranches: %d %s", res.status, res.body)
	}
	ok := rest.SpendRequest{PaymentID: "SH-CITY:ok", From: r1, To: grocer, Amount: max}
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(ok))
	if h.balance("sh-aud", grocer) != max.String() {
		t.Fatalf("grocer holds %s, want %s", h.balance("sh-aud", grocer), max)
	}
}

// bal reads a balance (-1 when absent).
func bal(a *money.Amount) money.Amount {
	if a == nil {
		return -1
	}
	return *a
}

func sameUsage(a, b rest.Usage) bool {
	return jsonOf(a) == jsonOf(b)
}

// TestDefineProgrammeCheckedAtTheEdge: a malformed definition is refused
// by the gateway with the chaincode's own check (400 INVALID_ARGUMENT,
// no ledger stage in the details) before any peer sees it.
func TestDefineProgrammeCheckedAtTheEdge(t *testing.T) {
	h := newHarness(t, harnessOptions{fault: func(fn string) error {
		if fn == api.DefineProgramme.Function() {
			return fmt.Errorf("a definition reached the ledger")
		}
		return nil
	}})
	for name, change := range map[string]func(r *rest.ProgrammeRequest){
		"shares that do not add up": func(r *rest.ProgrammeRequest) { r.Funders[0].Share = 1000 },
		"no purposes":               func(r *rest.ProgrammeRequest) { r.Purposes = nil },
		"a window backwards":        func(r *rest.ProgrammeRequest) { r.ValidFrom, r.ValidTo = r.ValidTo, r.ValidFrom },
		"an unknown release rule":   func(r *rest.ProgrammeRequest) { r.Release = "sometimes" },
		"a cap over the budget":     func(r *rest.ProgrammeRequest) { r.PerRecipientCap = r.Budget + 1 },
		"a category of letters":     func(r *rest.ProgrammeRequest) { r.Spending.PayeeCategories = []string{"abcd"} },
		"the escrow elsewhere":      func(r *rest.ProgrammeRequest) { r.Escrow = "JS-FIN:escrow" },
		"the escrow as a payee":     func(r *rest.ProgrammeRequest) { r.Spending.PayeeAccounts = []string{r.Escrow} },
	} {
		t.Run(name, func(t *testing.T) {
			req := programmeRequest("")
			change(&req)
			res := h.do("sh-fin", "POST", "/v1/programmes", jsonOf(req))
			var e rest.Error
			res.decode(t, &e)
			if res.status != http.StatusBadRequest || e.Code != string(api.CodeInvalidArgument) || e.Details[rest.DetailStage] != nil {
				t.Fatalf("%d %s", res.status, res.body)
			}
		})
	}
}

// TestFundTrancheSelectsTheExactShare: the gateway selects the bureau's
// plain outputs for its exact share as the chaincode computes it (the
// tranche's shares), not one fen more: a treasury holding its share in one
// output and a fen in another keeps the fen untouched.
func TestFundTrancheSelectsTheExactShare(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "200000", "", jobs.Options{})
	// Jiangsu's treasury: 99,999.99 (its share below) and 0.01.
	h.open("js-fin", "JS-FIN:ops", rest.KindFiscal, "")
	h.pay("js-fin", rest.PaymentRequest{PaymentID: "JS-FIN:out", From: "JS-FIN:treasury", To: "JS-FIN:ops", Amount: y("100000.01")})
	h.pay("js-fin", rest.PaymentRequest{PaymentID: "JS-FIN:back", From: "JS-FIN:ops", To: "JS-FIN:treasury", Amount: y("0.01")})
	fen := ""
	var outs rest.OutputPage
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/accounts/JS-FIN:treasury/outputs", "").decode(t, &outs)
	for _, o := range outs.Outputs {
		if o.Amount == 1 {
			fen = o.ID
		}
	}
	if len(outs.Outputs) != 2 || fen == "" {
		t.Fatalf("treasury outputs %+v", outs.Outputs)
	}
	// 333,333.30 splits 40/30/30 into 133,333.32, 99,999.99 and 99,999.99.
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/tranches", jsonOf(rest.TrancheRequest{No: 1, Amount: y("333333.30"), Date: validFrom}))
	for _, client := range []string{"sh-fin2", "js-fin", "zj-fin"} {
		h.must(http.StatusCreated, client, "POST", "/v1/programmes/"+prog+"/tranches/1/approve", "")
	}
	var tr rest.Tranche
	h.must(http.StatusOK, "js-fin", "GET", "/v1/programmes/"+prog+"/tranches/1", "").decode(t, &tr)
	if len(tr.Shares) != 3 || tr.Shares[1].Bureau != "JS-FIN" || tr.Shares[1].Amount != y("99999.99") || tr.Shares[0].Amount != y("133333.32") {
		t.Fatalf("tranche %+v", tr)
	}
	var c rest.Committed[rest.Tranche]
	h.must(http.StatusCreated, "js-fin", "POST", "/v1/programmes/"+prog+"/tranches/1/fund", "").decode(t, &c)
	if len(c.Result.Contributions) != 1 || c.Result.Contributions[0].Amount != y("99999.99") {
		t.Fatalf("funded %+v", c.Result)
	}
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/accounts/JS-FIN:treasury/outputs", "").decode(t, &outs)
	if len(outs.Outputs) != 1 || outs.Outputs[0].ID != fen {
		t.Fatalf("the treasury's fen was spent with the share: outputs %+v, the fen was %s", outs.Outputs, fen)
	}
}
