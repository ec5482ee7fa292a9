package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/rest"
)

// TestClawbackOfManyOutputs: a holder with more earmarked outputs than one
// run returns is clawed back by one request (the body without the
// account): run after run until the clawback closes, nothing left.
func TestClawbackOfManyOutputs(t *testing.T) {
	const n = api.MaxSweepInputs + 30
	h := newProgHarness(t, harnessOptions{}, "100000", "", jobs.Options{})
	h.fundTranche(1, "10000")
	r3 := h.merchants("zj-op", "r", "5812", 1)[0]
	lines := make([]rest.DisbursementLine, n)
	for i := range lines {
		lines[i] = rest.DisbursementLine{Line: i + 1, Recipient: r3, Amount: y("1")}
	}
	h.put("sh-fin", "SH-FIN:many", "application/json", linesJSON(lines))
	if j := h.waitJob("sh-fin", "SH-FIN:many", time.Minute); j.Paid != n {
		t.Fatalf("job %+v", j)
	}
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks", jsonOf(rest.ClawbackRequest{ID: "SH-FIN:claw", Account: r3}))
	h.must(http.StatusCreated, "zj-comp", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw/approve", "")
	var c rest.Committed[rest.ReturnReport]
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw/execute", "").decode(t, &c)
	rep := c.Result
	if !rep.Closed || rep.Left != 0 || rep.Amount != y(fmt.Sprint(n)) || len(rep.Transactions) != 2 || rep.Transactions[0].Inputs != api.MaxSweepInputs {
		t.Fatalf("clawback %+v", rep)
	}
	if got := h.earmarked(r3); got != 0 {
		t.Fatalf("r3 keeps %s", got)
	}
	var cb rest.Clawback
	h.must(http.StatusOK, "sh-fin", "GET", "/v1/programmes/"+prog+"/clawbacks/SH-FIN:claw", "").decode(t, &cb)
	if cb.Status != rest.ProposalExecuted || cb.Runs != 2 || cb.Returned != y(fmt.Sprint(n)) || cb.ClosedAt == nil {
		t.Fatalf("clawback after %+v", cb)
	}
	if u := h.utilisation("sh-fin", rest.ByTotal); !u.Balanced || u.Total.ClawedBack != y(fmt.Sprint(n)) {
		t.Fatalf("utilisation %+v", u)
	}
}

// TestSweepReachesFundsPassedOn: the sweep of a whole programme reaches
// holders that never had a disbursement (funds passed on to them), whose
// rows by recipient carry their inflow; afterwards nothing is left, and
// every row by recipient and province is zero, none negative.
func TestSweepReachesFundsPassedOn(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "100000", "", jobs.Options{})
	h.fundTranche(1, "10000")
	r1 := h.merchants("sh-op", "r", "5812", 1)[0]
	r2 := h.merchants("zj-op", "r", "5812", 1)[0] // never disbursed
	h.put("sh-fin", "SH-FIN:j", "application/json", linesJSON([]rest.DisbursementLine{{Line: 1, Recipient: r1, Amount: y("1000")}}))
	if j := h.waitJob("sh-fin", "SH-FIN:j", time.Minute); j.Paid != 1 {
		t.Fatalf("job %+v", j)
	}
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/programmes/"+prog+"/spends", jsonOf(rest.SpendRequest{PaymentID: "SH-CITY:on", From: r1, To: r2, Amount: y("400")}))
	rows := func(by string) map[string]rest.Usage {
		out := map[string]rest.Usage{}
		for _, r := range h.utilisation("sh-fin", by).Rows {
			if r.Held == nil || r.Escrow != nil {
				t.Fatalf("by %s: row %+v without its holding", by, r)
			}
			out[r.Key] = r
		}
		return out
	}
	if got := rows(rest.ByRecipient); bal(got[r2].Held) != y("400") || bal(got[r1].Held) != y("600") {
		t.Fatalf("by recipient %+v", got)
	}
	if got := rows(rest.ByProvince); bal(got[ZJ].Held) != y("400") || bal(got[SH].Held) != y("600") {
		t.Fatalf("by province %+v", got)
	}
	h.led.Stub().Clock = time.Date(2026, 1, 31, 16, 0, 1, 0, time.UTC) // 2026-02-01 in Shanghai
	var c rest.Committed[rest.ReturnReport]
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/sweeps", "").decode(t, &c)
	if rep := c.Result; rep.Left != 0 || rep.Amount != y("10000") || rep.Accounts != 3 {
		t.Fatalf("sweep %+v", rep)
	}
	for _, acct := range []string{escrow, r1, r2} {
		if got := h.earmarked(acct); got != 0 {
			t.Fatalf("%s keeps %s after the sweep", acct, got)
		}
	}
	for _, by := range []string{rest.ByRecipient, rest.ByProvince} {
		for key, r := range rows(by) {
			if bal(r.Held) != 0 {
				t.Fatalf("by %s: %s still holds %s", by, key, bal(r.Held))
			}
		}
	}
	if u := h.utilisation("sh-fin", rest.ByTotal); !u.Balanced || bal(u.Total.Held) != 0 || u.Total.Returned != y("10000") {
		t.Fatalf("total %+v", u)
	}
}
