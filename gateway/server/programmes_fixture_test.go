package server

// Fixtures of the programme tests: fiscal bureaus of three provinces (a
// maker and a checker in Shanghai), compliance, an Anhui bank, a joint
// programme (Shanghai 40 %, Jiangsu 30 %, Zhejiang 30 %) and a disbursement
// job engine on its own bbolt file.

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/ledger/inproc"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

const AH = "AnhuiMSP"

func init() {
	for name, id := range map[string]inproc.Identity{
		"sh-fin":  {MSPID: SH, Role: api.RoleFiscal, Bank: "SH-FIN"},
		"sh-fin2": {MSPID: SH, Role: api.RoleFiscal, Bank: "SH-FIN"},
		"js-fin":  {MSPID: JS, Role: api.RoleFiscal, Bank: "JS-FIN"},
		"zj-fin":  {MSPID: ZJ, Role: api.RoleFiscal, Bank: "ZJ-FIN"},
		"js-comp": {MSPID: JS, Role: api.RoleCompliance},
		"zj-comp": {MSPID: ZJ, Role: api.RoleCompliance},
		"zj-op":   {MSPID: ZJ, Role: api.RoleOperator, Bank: "ZJ-CITY"},
		"ah-op":   {MSPID: AH, Role: api.RoleOperator, Bank: "AH-CITY"},
	} {
		identities[name] = id
		clientNames = append(clientNames, name)
	}
}

const (
	prog   = "SH-FIN:sme-2026"
	escrow = "SH-FIN:escrow-sme-2026"
	// The inproc clock starts at 09:00 on 2026-01-05 in Shanghai.
	validFrom = "2026-01-05"
	validTo   = "2026-01-31"
)

var treasuries = []string{"SH-FIN:treasury", "JS-FIN:treasury", "ZJ-FIN:treasury"}

// progHarness is a harness with funded fiscal treasuries, a joint
// programme and a job engine.
type progHarness struct {
	*harness
	jobsPath string
	jobOpts  jobs.Options
	engine   *jobs.Engine
}

// newProgHarness funds each treasury with perTreasury yuan, defines the
// joint programme (cap: per-recipient cap, "" for none) and activates it,
// and opens a job engine with jo (Ledger and Logger filled in).
func newProgHarness(t testing.TB, o harnessOptions, perTreasury, cap string, jo jobs.Options) *progHarness {
	t.Helper()
	h := &progHarness{harness: newHarness(t, o)}
	h.open("sh-iss", reserve, rest.KindReserve, "")
	for i, client := range []string{"sh-fin", "js-fin", "zj-fin"} {
		h.open(client, treasuries[i], rest.KindFiscal, "")
	}
	total, _ := money.MulDiv(y(perTreasury), 3, 1)
	h.mint(total.String())
	for i, acct := range treasuries {
		h.pay("sh-iss", rest.PaymentRequest{PaymentID: fmt.Sprintf("SH-PBC:fund-%d", i), From: reserve, To: acct, Amount: y(perTreasury)})
	}
	h.define(cap)
	h.jobsPath = filepath.Join(t.TempDir(), "jobs.db")
	jo.Ledger, jo.Logger = h.led, h.srv.log
	h.jobOpts = jo
	h.startEngine()
	t.Cleanup(func() { h.stopEngine(time.Minute) })
	return h
}

// startEngine opens the job engine on the harness's file and hands it to
// the server (before any request uses it).
func (h *progHarness) startEngine() {
	h.t.Helper()
	e, err := jobs.Open(h.jobsPath, h.jobOpts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.engine = e
	h.srv.jobs = e
}

// stopEngine closes the engine, waiting at most grace for its batches (0:
// not at all, as a kill -9 would).
func (h *progHarness) stopEngine(grace time.Duration) {
	if h.engine == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = h.engine.Close(ctx)
	h.engine = nil
}

func programmeRequest(cap string) rest.ProgrammeRequest {
	req := rest.ProgrammeRequest{ID: prog, Name: "SME relief 2026", Purposes: []string{"SME-RELIEF"}, Escrow: escrow, Budget: y("100000000"),
		Funders: []rest.Funder{
			{MSP: SH, Bureau: "SH-FIN", Account: "SH-FIN:treasury", Share: 4000},
			{MSP: JS, Bureau: "JS-FIN", Account: "JS-FIN:treasury", Share: 3000},
			{MSP: ZJ, Bureau: "ZJ-FIN", Account: "ZJ-FIN:treasury", Share: 3000},
		},
		ValidFrom: validFrom, ValidTo: validTo,
		Eligibility: rest.Eligibility{Kinds: []string{rest.KindMerchant}, Categories: []string{"5812"}, Provinces: []string{SH, JS, ZJ}},
		Spending:    rest.SpendingRules{PayeeCategories: []string{"5411"}, PassOn: true},
		Release:     rest.ReleaseAtTerminal}
	if cap != "" {
		req.PerRecipientCap = y(cap)
	}
	return req
}

// define defines the programme as sh-fin and has the checker and the
// co-funders approve it.
func (h *progHarness) define(cap string) {
	h.t.Helper()
	var c rest.Committed[rest.Programme]
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes", jsonOf(programmeRequest(cap))).decode(h.t, &c)
	if c.Result.Status != rest.ProgrammeProposed || len(c.Result.Approvals) != 1 {
		h.t.Fatalf("defined %+v", c.Result)
	}
	for _, client := range []string{"sh-fin2", "js-fin", "zj-fin"} {
		h.must(http.StatusCreated, client, "POST", "/v1/programmes/"+prog+"/approve", "").decode(h.t, &c)
	}
	if c.Result.Status != rest.ProgrammeActive || c.Result.ActivatedAt == nil {
		h.t.Fatalf("not active after every party approved: %+v", c.Result)
	}
}

// fundTranche proposes, approves and funds tranche no through the
// gateway (each bureau's inputs selected by the gateway).
func (h *progHarness) fundTranche(no int, amount string) rest.Tranche {
	h.t.Helper()
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/tranches",
		jsonOf(rest.TrancheRequest{No: no, Amount: y(amount), Date: validFrom}))
	for _, client := range []string{"sh-fin2", "js-fin", "zj-fin"} {
		h.must(http.StatusCreated, client, "POST", fmt.Sprintf("/v1/programmes/%s/tranches/%d/approve", prog, no), "")
	}
	var c rest.Committed[rest.Tranche]
	for _, client := range []string{"sh-fin", "js-fin", "zj-fin"} {
		h.must(http.StatusCreated, client, "POST", fmt.Sprintf("/v1/programmes/%s/tranches/%d/fund", prog, no), "").decode(h.t, &c)
	}
	if c.Result.Status != rest.TrancheFunded || len(c.Result.Contributions) != 3 {
		h.t.Fatalf("tranche %d after funding: %+v", no, c.Result)
	}
	return c.Result
}

// merchants opens n merchants of category mcc for client's bank, named
// BANK:prefix-0001…, directly on the ledger (faster than HTTP).
func (h *progHarness) merchants(client, prefix, mcc string, n int) []string {
	h.t.Helper()
	bank := identities[client].Bank
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s:%s-%04d", bank, prefix, i+1)
		_, _, err := ledger.Invoke(context.Background(), h.led, client, api.OpenAccount,
			api.OpenAccountRequest{ID: out[i], Kind: api.KindMerchant, MerchantCategory: mcc}, nil, ledger.SubmitOptions{})
		if err != nil {
			h.t.Fatalf("open %s: %v", out[i], err)
		}
	}
	return out
}

// earmarked sums an account's outputs earmarked for the programme, read
// on the ledger as an auditor (independently of the gateway's routes).
func (h *progHarness) earmarked(account string) money.Amount {
	h.t.Helper()
	var sum money.Amount
	bm := ""
	for {
		p, err := ledger.Query(context.Background(), h.led, "sh-aud", api.ListOutputs, api.ListOutputsRequest{Account: account, PageSize: 1000, Bookmark: bm})
		if err != nil {
			h.t.Fatalf("outputs of %s: %v", account, err)
		}
		for _, o := range p.Outputs {
			if o.Earmark != nil && o.Earmark.Programme == prog {
				sum += o.Amount
			}
		}
		if p.Bookmark == "" || len(p.Outputs) < 1000 {
			return sum
		}
		bm = p.Bookmark
	}
}

// put sends a disbursement job.
func (h *progHarness) put(client, job, contentType, body string) response {
	h.t.Helper()
	return h.doWith(client, "PUT", "/v1/programmes/"+prog+"/disbursements/"+job, body, contentType)
}

// job reads a job's progress.
func (h *progHarness) job(client, job string) rest.DisbursementJob {
	h.t.Helper()
	var j rest.DisbursementJob
	h.must(http.StatusOK, client, "GET", "/v1/programmes/"+prog+"/disbursements/"+job, "").decode(h.t, &j)
	return j
}

// waitJob polls a job until it is done or failed (deadline polling, no
// sleeps to synchronise).
func (h *progHarness) waitJob(client, job string, within time.Duration) rest.DisbursementJob {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		j := h.job(client, job)
		if j.Status == rest.JobDone || j.Status == rest.JobFailed {
			return j
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("job %s still %s after %s: %+v", job, j.Status, within, j)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// jobLines reads every line of a job through the paged route.
func (h *progHarness) jobLines(client, job, status string) []rest.JobLine {
	h.t.Helper()
	var out []rest.JobLine
	bm := ""
	for {
		path := fmt.Sprintf("/v1/programmes/%s/disbursements/%s/lines?pageSize=1000&status=%s&bookmark=%s", prog, job, status, bm)
		var p rest.JobLinePage
		h.must(http.StatusOK, client, "GET", path, "").decode(h.t, &p)
		out = append(out, p.Lines...)
		if p.Bookmark == "" {
			return out
		}
		bm = p.Bookmark
	}
}

// utilisation reads the programme's utilisation through the gateway.
func (h *progHarness) utilisation(client, by string) rest.Utilisation {
	h.t.Helper()
	var u rest.Utilisation
	h.must(http.StatusOK, client, "GET", "/v1/programmes/"+prog+"/utilisation?pageSize=1000&by="+by, "").decode(h.t, &u)
	return u
}

// linesJSON renders lines as a JSON job body (numbered when numbered).
func linesJSON(lines []rest.DisbursementLine) string {
	return jsonOf(rest.DisbursementRequest{Lines: lines})
}

// plan builds n lines paying recipients round robin, amounts varying
// from 1.01 to 10.00 yuan, and the model of what each recipient must
// receive.
func plan(recipients []string, n int) ([]rest.DisbursementLine, map[string]money.Amount) {
	lines := make([]rest.DisbursementLine, n)
	want := map[string]money.Amount{}
	for i := range lines {
		a := money.Amount(101 + (i*37)%900)
		r := recipients[i%len(recipients)]
		lines[i] = rest.DisbursementLine{Line: i + 1, Recipient: r, Amount: a}
		want[r] += a
	}
	return lines, want
}
