package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// holdLedger is the job engine's door to the ledger with a fault at the
// transport boundary: the at-th disbursement is held before it reaches
// the ledger until release is closed, then sent whatever happened to the
// engine meanwhile (as a transaction already on its way to the orderer
// when the gateway is killed), and done is closed once it committed.
type holdLedger struct {
	ledger.Ledger
	n       atomic.Int32
	at      int32
	held    chan api.DisburseRequest
	release chan struct{}
	done    chan struct{}
}

func newHoldLedger(l ledger.Ledger, at int) *holdLedger {
	return &holdLedger{Ledger: l, at: int32(at), held: make(chan api.DisburseRequest, 1), release: make(chan struct{}), done: make(chan struct{})}
}

func (l *holdLedger) Submit(ctx context.Context, identity, fn string, args []string, transient map[string][]byte, opts ledger.SubmitOptions) (*ledger.Committed, error) {
	if fn != api.Disburse.Function() || l.n.Add(1) != l.at {
		return l.Ledger.Submit(ctx, identity, fn, args, transient, opts)
	}
	var req api.DisburseRequest
	if err := json.Unmarshal([]byte(args[0]), &req); err != nil {
		panic(err)
	}
	l.held <- req
	<-l.release
	defer close(l.done)
	return l.Ledger.Submit(context.WithoutCancel(ctx), identity, fn, args, transient, opts)
}

// checkPaidOnce compares every recipient's earmarked funds on the ledger
// with the model (each line paid once).
func checkPaidOnce(t *testing.T, h *progHarness, want map[string]money.Amount) {
	t.Helper()
	var total money.Amount
	for r, a := range want {
		if got := h.earmarked(r); got != a {
			t.Fatalf("%s holds %s, the lines pay it %s", r, got, a)
		}
		total += a
	}
	u := h.utilisation("sh-fin", rest.ByTotal)
	if !u.Balanced || u.Total.Disbursed != total {
		t.Fatalf("utilisation %+v, want %s disbursed", u, total)
	}
}

// TestDisbursementJobOfThousands pays 3,000 lines in batches of 50 over
// the escrow's three outputs, and checks every recipient against the model.
func TestDisbursementJobOfThousands(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "10000000", "", jobs.Options{BatchLines: 50, Concurrency: 4})
	h.fundTranche(1, "3000000")
	recipients := append(h.merchants("sh-op", "r", "5812", 150), h.merchants("js-op", "r", "5812", 150)...)
	lines, want := plan(recipients, 3000)
	if res := h.put("sh-fin", "SH-FIN:big", "application/json", linesJSON(lines)); res.status != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	j := h.waitJob("sh-fin", "SH-FIN:big", time.Minute)
	if j.Status != rest.JobDone || j.Paid != 3000 || j.AlreadyPaid != 0 || j.Rejected != 0 || j.Batches < 60 || j.StartedAt == nil || j.FinishedAt == nil {
		t.Fatalf("job %+v", j)
	}
	var sum money.Amount
	for _, a := range want {
		sum += a
	}
	if j.Amount != sum || j.SettledAmount != sum {
		t.Fatalf("job amounts %s settled %s, want %s", j.Amount, j.SettledAmount, sum)
	}
	paid := h.jobLines("sh-fin", "SH-FIN:big", rest.LinePaid)
	if len(paid) != 3000 || paid[0].Line != 1 || paid[2999].Line != 3000 {
		t.Fatalf("%d paid lines", len(paid))
	}
	txs := map[string]bool{}
	for _, l := range paid {
		txs[l.TxID] = true
	}
	if len(txs) != j.Batches {
		t.Fatalf("lines name %d transactions, the job %d batches", len(txs), j.Batches)
	}
	checkPaidOnce(t, h, want)
}

// TestDisbursementJobResumesAfterKill kills the engine (no grace) while a
// batch is on its way to the ledger; that batch commits after the engine
// is gone, unrecorded. A new engine on the same file resumes the job: the
// lost batch's lines come back already_paid, every other line is paid, and
// every recipient received its lines once. YRD_KILL_JOB_LINES sets the
// job's size (default 2,000 lines in batches of 40; from 20,000 lines on,
// batches of 500, as in production).
func TestDisbursementJobResumesAfterKill(t *testing.T) {
	size, batch := 2000, 40
	if v, err := strconv.Atoi(os.Getenv("YRD_KILL_JOB_LINES")); err == nil && v > 0 {
		size = v
	}
	if size >= 20_000 {
		batch = api.MaxDisburseLines
	}
	h := newProgHarness(t, harnessOptions{}, "10000000", "", jobs.Options{BatchLines: batch, Concurrency: 3})
	h.fundTranche(1, "3000000")
	recipients := h.merchants("sh-op", "r", "5812", max(200, size/50))
	lines, want := plan(recipients, size)

	h.stopEngine(time.Minute)
	hold := newHoldLedger(h.led, 20)
	h.jobOpts.Ledger = hold
	h.startEngine()
	if res := h.put("sh-fin", "SH-FIN:kill", "text/csv", csvOf(lines, false)); res.status != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	var lost api.DisburseRequest
	select {
	case lost = <-hold.held:
	case <-time.After(5 * time.Minute):
		t.Fatal("the 20th disbursement never came")
	}
	mid := h.job("sh-fin", "SH-FIN:kill")
	if mid.Status != rest.JobRunning || mid.Pending == 0 || mid.Paid == 0 || mid.InFlight == 0 {
		t.Fatalf("progress mid-way %+v", mid)
	}
	h.stopEngine(0) // kill -9: nothing more is recorded
	close(hold.release)
	<-hold.done // the lost batch committed after the gateway died

	h.jobOpts.Ledger = h.led
	h.startEngine()
	j := h.waitJob("sh-fin", "SH-FIN:kill", 10*time.Minute)
	if j.Status != rest.JobDone || j.Paid+j.AlreadyPaid != size || j.Rejected != 0 {
		t.Fatalf("resumed job %+v", j)
	}
	already := map[int]bool{}
	for _, l := range h.jobLines("sh-fin", "SH-FIN:kill", rest.LineAlreadyPaid) {
		already[l.Line] = true
		if l.Output == "" {
			t.Fatalf("already paid line without its output: %+v", l)
		}
	}
	if len(lost.Lines) == 0 {
		t.Fatal("the held disbursement carried no lines")
	}
	for _, l := range lost.Lines {
		if !already[l.Line] {
			t.Fatalf("line %d of the batch lost in the kill is not already_paid (already paid: %d lines)", l.Line, len(already))
		}
	}
	checkPaidOnce(t, h, want)
	t.Logf("%d lines: killed at batch 20 of %d lines each with %d lines paid; resumed: %d paid, %d already paid (the lost batch: %d)",
		size, batch, mid.Paid, j.Paid, j.AlreadyPaid, len(lost.Lines))
}

// csvOf renders lines as CSV rows (with a header: row numbers shift by
// one, so the lines are renumbered by the gateway).
func csvOf(lines []rest.DisbursementLine, header bool) string {
	var b strings.Builder
	if header {
		b.WriteString("recipient,amount\r\n")
	}
	for _, l := range lines {
		fmt.Fprintf(&b, "%s,%s\n", l.Recipient, l.Amount)
	}
	return b.String()
}

// TestDisbursementJobSentAgain: the same job answers the existing job
// (200) in JSON or CSV alike, a different one 422; a job whose batches the
// chaincode refused fails and resumes when sent again; a job sent to a
// gateway that never saw it (a fresh file) pays nothing twice.
func TestDisbursementJobSentAgain(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "1000000", "", jobs.Options{BatchLines: 10})
	h.fundTranche(1, "100000")
	recipients := h.merchants("sh-op", "r", "5812", 20)
	lines, want := plan(recipients, 100)
	for i := range lines {
		lines[i].Line = 0 // numbered by position, as CSV rows without a header
	}
	h.put("sh-fin", "SH-FIN:again", "application/json", linesJSON(lines))
	first := h.waitJob("sh-fin", "SH-FIN:again", time.Minute)
	height := h.led.Height()

	t.Run("the same job as CSV", func(t *testing.T) {
		res := h.put("sh-fin", "SH-FIN:again", "text/csv; charset=utf-8", csvOf(lines, false))
		var j rest.DisbursementJob
		res.decode(t, &j)
		if res.status != http.StatusOK || j.Status != rest.JobDone || j.Batches != first.Batches || h.led.Height() != height {
			t.Fatalf("%d %+v (height %d, was %d)", res.status, j, h.led.Height(), height)
		}
	})
	t.Run("another job under the ID", func(t *testing.T) {
		for name, body := range map[string]string{
			"renumbered by a header": csvOf(lines, true),
			"one amount changed":     csvOf(append([]rest.DisbursementLine{{Recipient: lines[0].Recipient, Amount: lines[0].Amount + 1}}, lines[1:]...), false),
		} {
			res := h.put("sh-fin", "SH-FIN:again", "text/csv", body)
			var e rest.Error
			res.decode(t, &e)
			if res.status != http.StatusUnprocessableEntity || e.Code != rest.CodeJobIDReused || e.Details[rest.DetailJob] == nil {
				t.Fatalf("%s: %d %s", name, res.status, res.body)
			}
		}
		// Another client of the same bureau: refused, and shown nothing.
		res := h.put("sh-fin2", "SH-FIN:again", "application/json", linesJSON(lines))
		if res.status != http.StatusUnprocessableEntity || strings.Contains(string(res.body), `"details"`) {
			t.Fatalf("the checker: %d %s", res.status, res.body)
		}
	})
	t.Run("a fresh gateway pays nothing twice", func(t *testing.T) {
		h.stopEngine(time.Minute)
		h.jobsPath += ".fresh"
		h.startEngine()
		h.put("sh-fin", "SH-FIN:again", "application/json", linesJSON(lines))
		j := h.waitJob("sh-fin", "SH-FIN:again", time.Minute)
		if j.Status != rest.JobDone || j.AlreadyPaid != 100 || j.Paid != 0 {
			t.Fatalf("re-sent to a fresh gateway: %+v", j)
		}
		checkPaidOnce(t, h, want)
	})
	t.Run("a refused job fails and resumes", func(t *testing.T) {
		more := h.merchants("sh-op", "s", "5812", 5)
		extra, _ := plan(more, 30)
		saved := h.led.Stub().Clock
		h.led.Stub().Clock = time.Date(2026, 2, 1, 1, 0, 0, 0, time.UTC) // after the window
		h.put("sh-fin", "SH-FIN:late", "application/json", linesJSON(extra))
		j := h.waitJob("sh-fin", "SH-FIN:late", time.Minute)
		if j.Status != rest.JobFailed || j.Error == nil || j.Error.Code != string(api.CodeOutsideWindow) || j.Pending != 30 {
			t.Fatalf("job outside the window %+v", j)
		}
		h.led.Stub().Clock = saved
		if res := h.put("sh-fin", "SH-FIN:late", "application/json", linesJSON(extra)); res.status != http.StatusOK {
			t.Fatalf("resume: %d %s", res.status, res.body)
		}
		if j := h.waitJob("sh-fin", "SH-FIN:late", time.Minute); j.Status != rest.JobDone || j.Paid != 30 || j.Error != nil {
			t.Fatalf("resumed %+v", j)
		}
	})
}

// TestDisbursementBodiesAndRefusals: media types, malformed bodies named
// by line, the size and line limits, and what is refused before a job is
// stored.
func TestDisbursementBodiesAndRefusals(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "100000", "", jobs.Options{MaxRunning: 1, MaxActive: 1})
	h.fundTranche(1, "10000")
	r := h.merchants("sh-op", "r", "5812", 1)[0]
	ok := fmt.Sprintf("%s,1.00\n", r)
	cases := []struct {
		name, ct, body string
		status         int
		code           string
		line           int
	}{
		{"no content type", "", ok, 415, rest.CodeUnsupportedMedia, 0},
		{"plain text", "text/plain", ok, 415, rest.CodeUnsupportedMedia, 0},
		{"empty", "text/csv", "", 415, rest.CodeUnsupportedMedia, 0}, // no body: no Content-Type either
		{"malformed JSON", "application/json", `{"lines":[`, 400, rest.CodeInvalidRequest, 0},
		{"unknown key", "application/json", `{"lines":[{"recipient":"` + r + `","amount":"1.00","memo":"x"}]}`, 400, rest.CodeInvalidRequest, 0},
		{"no lines", "application/json", `{"lines":[]}`, 400, rest.CodeInvalidRequest, 0},
		{"mixed numbering", "application/json", `{"lines":[{"line":1,"recipient":"` + r + `","amount":"1.00"},{"recipient":"` + r + `","amount":"1.00"}]}`, 400, rest.CodeInvalidRequest, 0},
		{"a repeated line number", "application/json", `{"lines":[{"line":7,"recipient":"` + r + `","amount":"1.00"},{"line":7,"recipient":"` + r + `","amount":"2.00"}]}`, 400, rest.CodeInvalidRequest, 7},
		{"a JSON amount of three decimals", "application/json", `{"lines":[{"recipient":"` + r + `","amount":"1.001"}]}`, 400, rest.CodeInvalidRequest, 0},
		{"a zero amount", "application/json", `{"lines":[{"recipient":"` + r + `","amount":"0.00"}]}`, 400, rest.CodeInvalidAmount, 1},
		{"a recipient without a bank", "text/csv", ok + "nobank,1.00\n", 400, string(api.CodeInvalidArgument), 2},
		{"three fields", "text/csv", ok + r + ",1.00,x\n", 400, rest.CodeInvalidRequest, 2},
		{"a CSV amount of three decimals", "text/csv", "recipient,amount\n" + ok + r + ",1.001\n", 400, rest.CodeInvalidAmount, 3},
		{"an unterminated quote", "text/csv", ok + "\"" + r + ",1.00\n", 400, rest.CodeInvalidRequest, 2},
		{"a header only", "text/csv", "recipient,amount\n", 400, rest.CodeInvalidRequest, 0},
		{"too many lines", "text/csv", strings.Repeat(ok, rest.MaxJobLines+1), 400, rest.CodeBatchTooLarge, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.put("sh-fin", "SH-FIN:edge", tc.ct, tc.body)
			var e rest.Error
			res.decode(t, &e)
			if res.status != tc.status || e.Code != tc.code {
				t.Fatalf("%d %s, want %d %s", res.status, truncate(string(res.body), 300), tc.status, tc.code)
			}
			if line, _ := e.Details[rest.DetailLine].(float64); int(line) != tc.line {
				t.Fatalf("details.line %v, want %d (%s)", e.Details[rest.DetailLine], tc.line, res.body)
			}
		})
	}
	t.Run("a body over the limit", func(t *testing.T) {
		h.srv.maxJobBody = 1024
		defer func() { h.srv.maxJobBody = defaultMaxJobBody }()
		if res := h.put("sh-fin", "SH-FIN:edge", "text/csv", strings.Repeat(ok, 100)); res.status != http.StatusRequestEntityTooLarge || res.code(t) != rest.CodeBodyTooLarge {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
	refusals := []struct {
		name, client, prog, job string
		status                  int
		code                    string
	}{
		{"a job ID of another bureau", "sh-fin", prog, "JS-FIN:edge", 403, rest.CodeForbidden},
		{"a co-funder disbursing", "js-fin", prog, "JS-FIN:edge", 403, rest.CodeForbidden},
		{"a bank", "sh-op", prog, "SH-CITY:edge", 404, rest.CodeNotFound},
		{"an unknown programme", "sh-fin", "SH-FIN:nope", "SH-FIN:edge", 404, rest.CodeNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			res := h.doWith(tc.client, "PUT", "/v1/programmes/"+tc.prog+"/disbursements/"+tc.job, ok, "text/csv")
			if res.status != tc.status || res.code(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", res.status, res.body, tc.status, tc.code)
			}
		})
	}
	t.Run("a programme not active yet", func(t *testing.T) {
		req := programmeRequest("")
		req.ID, req.Escrow = "SH-FIN:draft", "SH-FIN:escrow-draft"
		h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes", jsonOf(req))
		res := h.doWith("sh-fin", "PUT", "/v1/programmes/SH-FIN:draft/disbursements/SH-FIN:d1", ok, "text/csv")
		if res.status != http.StatusConflict || res.code(t) != string(api.CodeProposalClosed) {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
	t.Run("unknown jobs and statuses", func(t *testing.T) {
		if res := h.do("sh-fin", "GET", "/v1/programmes/"+prog+"/disbursements/SH-FIN:none", ""); res.status != 404 || res.code(t) != rest.CodeJobNotFound {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if res := h.do("sh-fin", "GET", "/v1/programmes/"+prog+"/disbursements/SH-FIN:none/lines?status=lost", ""); res.status != 400 {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
	t.Run("active jobs are bounded", func(t *testing.T) {
		h.stopEngine(time.Minute)
		hold := newHoldLedger(h.led, 1)
		h.jobOpts.Ledger = hold
		h.startEngine()
		if res := h.put("sh-fin", "SH-FIN:first", "text/csv", ok); res.status != http.StatusAccepted {
			t.Fatalf("%d %s", res.status, res.body)
		}
		<-hold.held
		if j := h.job("sh-fin", "SH-FIN:first"); j.Status != rest.JobRunning || j.InFlight != 1 || j.Pending != 1 {
			t.Fatalf("running job %+v", j)
		}
		res := h.put("sh-fin", "SH-FIN:second", "text/csv", ok)
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
			t.Fatalf("a second active job: %d %s", res.status, res.body)
		}
		close(hold.release)
		if j := h.waitJob("sh-fin", "SH-FIN:first", time.Minute); j.Status != rest.JobDone || j.Paid != 1 {
			t.Fatalf("%+v", j)
		}
		if res := h.put("sh-fin", "SH-FIN:second", "text/csv", ok); res.status != http.StatusAccepted {
			t.Fatalf("after the first finished: %d %s", res.status, res.body)
		}
	})
	t.Run("a gateway without jobs", func(t *testing.T) {
		e := h.srv.jobs
		h.srv.jobs = nil
		defer func() { h.srv.jobs = e }()
		if res := h.put("sh-fin", "SH-FIN:x", "text/csv", ok); res.status != http.StatusServiceUnavailable || res.code(t) != rest.CodeNotReady {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
}
