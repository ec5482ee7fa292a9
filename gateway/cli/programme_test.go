package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

func TestProgrammeCommands(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	progJSON := `{"id":"SH-FIN:sme","name":"SME relief","purposes":["SME"],"funders":[{"msp":"ShanghaiMSP","bureau":"SH-FIN","account":"SH-FIN:t","share":10000}],` +
		`"escrow":"SH-FIN:escrow","budget":"1000.00","validFrom":"2026-03-02","validTo":"2026-03-31","validUntil":"2026-03-20T09:30:00Z","eligibility":{"kinds":["merchant"]},"spending":{},"release":"terminal"}`
	progFile := write("programme.json", progJSON)
	csvFile := write("lines.csv", "recipient,amount\nSH-CITY:r1,10.00\nSH-CITY:r2,20.00\n")
	jsonFile := write("lines.json", `{"lines":[{"recipient":"SH-CITY:r1","amount":"10.00"}]}`)

	until := time.Date(2026, 3, 20, 9, 30, 0, 0, time.UTC)
	programme := rest.Programme{ID: "SH-FIN:sme", Status: rest.ProgrammeActive, Escrow: "SH-FIN:escrow", Budget: yuan("1000"), OwnerBureau: "SH-FIN", ValidUntil: &until,
		Tranches: []rest.TrancheInfo{{No: 1, Amount: yuan("100"), Status: rest.TrancheFunded}}}
	tranche := rest.Tranche{Programme: "SH-FIN:sme", No: 1, Amount: yuan("100"), Status: rest.TrancheApproved}
	running := rest.DisbursementJob{ID: "SH-FIN:j1", Programme: "SH-FIN:sme", Status: rest.JobRunning, Lines: 2, Pending: 2, Amount: yuan("30")}
	done := rest.DisbursementJob{ID: "SH-FIN:j1", Programme: "SH-FIN:sme", Status: rest.JobDone, Lines: 2, Paid: 1, Rejected: 1, Amount: yuan("30"), SettledAmount: yuan("10"), Batches: 1}
	held, ninety, two, three := yuan("5"), yuan("90"), yuan("2"), yuan("3")
	util := rest.Utilisation{Programme: "SH-FIN:sme", By: rest.ByTranche, Budget: yuan("1000"), Flows: 4, Balanced: true, EscrowChecked: true, EscrowOutputs: yuan("90"),
		Total: rest.Usage{Key: "total", Funded: yuan("100"), Disbursed: yuan("10"), Released: yuan("5"), Escrow: &ninety, Held: &held},
		Rows:  []rest.Usage{{Key: "1", Funded: yuan("100"), Disbursed: yuan("10"), Released: yuan("5"), Held: &held}}}
	report := rest.ReturnReport{Programme: "SH-FIN:sme", Kind: rest.ReturnSweep, Accounts: 2, Amount: yuan("95"), Transactions: []rest.ReturnTx{},
		Funders: []rest.FunderAmount{{Account: "SH-FIN:t", Amount: yuan("95")}}}
	closedReport := report
	closedReport.Kind, closedReport.Accounts, closedReport.Closed = rest.ReturnClawback, 1, true
	clawback := rest.Clawback{ID: "SH-FIN:c1", Programme: "SH-FIN:sme", Account: "SH-CITY:r1", HolderMSP: "ShanghaiMSP", Status: "pending", Approved: true}
	pp := "/v1/programmes/SH-FIN:sme"

	tests := []struct {
		name        string
		args        []string
		answers     map[string]any // route → answer (status from the route)
		method      string
		path, query string
		body        string // JSON body, or the raw body for CSV
		contentType string
		output      []string
	}{
		{name: "define", args: []string{"programme", "define", "--file", progFile},
			answers: map[string]any{"POST /v1/programmes": rest.Committed[rest.Programme]{TxID: "t1", BlockNumber: 3, Result: programme}},
			method:  "POST", path: "/v1/programmes", body: progJSON, output: []string{"status committed", "id SH-FIN:sme", "status active"}},
		{name: "show", args: []string{"programme", "show", "SH-FIN:sme"}, answers: map[string]any{"GET " + pp: programme},
			method: "GET", path: pp, output: []string{"escrow SH-FIN:escrow", "budget 1000.00", "validUntil 2026-03-20T09:30:00Z"}},
		{name: "approve", args: []string{"programme", "approve", "SH-FIN:sme"},
			answers: map[string]any{"POST " + pp + "/approve": rest.Committed[rest.Programme]{TxID: "t2", Result: programme}},
			method:  "POST", path: pp + "/approve", output: []string{"txId t2"}},
		{name: "tranche propose", args: []string{"programme", "tranche", "propose", "SH-FIN:sme", "--no", "1", "--amount", "100", "--date", "2026-03-02"},
			answers: map[string]any{"POST " + pp + "/tranches": rest.Committed[rest.Tranche]{TxID: "t3", Result: tranche}},
			method:  "POST", path: pp + "/tranches", body: `{"no":1,"amount":"100.00","date":"2026-03-02"}`, output: []string{"no 1", "status approved"}},
		{name: "tranche approve", args: []string{"programme", "tranche", "approve", "SH-FIN:sme", "--no", "1"},
			answers: map[string]any{"POST " + pp + "/tranches/1/approve": rest.Committed[rest.Tranche]{TxID: "t4", Result: tranche}},
			method:  "POST", path: pp + "/tranches/1/approve", output: []string{"txId t4"}},
		{name: "tranche fund", args: []string{"programme", "tranche", "fund", "SH-FIN:sme", "--no", "1"},
			answers: map[string]any{"POST " + pp + "/tranches/1/fund": rest.Committed[rest.Tranche]{TxID: "t5", Result: tranche}},
			method:  "POST", path: pp + "/tranches/1/fund", body: `{}`, output: []string{"txId t5"}},
		{name: "disburse a CSV file and wait", args: []string{"programme", "disburse", "SH-FIN:sme", "--job", "SH-FIN:j1", "--file", csvFile, "--wait"},
			answers: map[string]any{"PUT " + pp + "/disbursements/SH-FIN:j1": running, "GET " + pp + "/disbursements/SH-FIN:j1": done},
			method:  "PUT", path: pp + "/disbursements/SH-FIN:j1", body: "recipient,amount\nSH-CITY:r1,10.00\nSH-CITY:r2,20.00\n", contentType: "text/csv",
			output: []string{"progress 2/2 lines (100.0%): 1 paid, 0 already paid, 1 rejected", "status done", "settledAmount 10.00"}},
		{name: "disburse a JSON file", args: []string{"programme", "disburse", "SH-FIN:sme", "--job", "SH-FIN:j1", "--file", jsonFile},
			answers: map[string]any{"PUT " + pp + "/disbursements/SH-FIN:j1": running},
			method:  "PUT", path: pp + "/disbursements/SH-FIN:j1", body: `{"lines":[{"recipient":"SH-CITY:r1","amount":"10.00"}]}`,
			output: []string{"progress 0/2 lines (0.0%): 0 paid, 0 already paid, 0 rejected", "status running"}},
		{name: "job lines", args: []string{"programme", "job", "SH-FIN:sme", "SH-FIN:j1", "--lines", "rejected", "--page-size", "10"},
			answers: map[string]any{"GET " + pp + "/disbursements/SH-FIN:j1/lines": rest.JobLinePage{Lines: []rest.JobLine{
				{Line: 3, Recipient: "SH-CITY:r2", Amount: yuan("20"), Status: rest.LineRejected, Code: "OVER_RECIPIENT_CAP", Message: "over the cap"}}, Bookmark: "bm"}},
			method: "GET", path: pp + "/disbursements/SH-FIN:j1/lines", query: "pageSize=10&status=rejected",
			output: []string{"LINE RECIPIENT AMOUNT STATUS OUTPUT CODE MESSAGE", "3 SH-CITY:r2 20.00 rejected - OVER_RECIPIENT_CAP over the cap", "more: --bookmark bm"}},
		{name: "spend", args: []string{"programme", "spend", "SH-FIN:sme", "--id", "SH-CITY:p1", "--from", "SH-CITY:r1", "--to", "SH-CITY:g", "--amount", "5"},
			answers: map[string]any{"POST " + pp + "/spends": committed},
			method:  "POST", path: pp + "/spends", body: `{"paymentId":"SH-CITY:p1","from":"SH-CITY:r1","to":"SH-CITY:g","amount":"5.00"}`, output: []string{"status committed"}},
		{name: "utilisation", args: []string{"programme", "utilisation", "SH-FIN:sme", "--by", "tranche"},
			answers: map[string]any{"GET " + pp + "/utilisation": util},
			method:  "GET", path: pp + "/utilisation", query: "by=tranche",
			output: []string{"programme SH-FIN:sme budget 1000.00 flows 4 balanced true escrow outputs 90.00",
				"TRANCHE FUNDED DISBURSED IN OUT RELEASED RETURNED CLAWED BACK ESCROW HELD", "1 100.00 10.00 0.00 0.00 5.00 0.00 0.00 - 5.00",
				"TOTAL 100.00 10.00 0.00 0.00 5.00 0.00 0.00 90.00 5.00"}},
		{name: "utilisation by recipient", args: []string{"programme", "utilisation", "SH-FIN:sme", "--by", "recipient"},
			answers: map[string]any{"GET " + pp + "/utilisation": rest.Utilisation{Programme: "SH-FIN:sme", By: rest.ByRecipient, Budget: yuan("1000"), Flows: 5,
				Balanced: true, Total: util.Total, Rows: []rest.Usage{{Key: "SH-CITY:r1", Disbursed: yuan("10"), TransferredOut: yuan("3"), Released: yuan("5"), Held: &two},
					{Key: "SH-CITY:r2", TransferredIn: yuan("3"), Held: &three}}}},
			method: "GET", path: pp + "/utilisation", query: "by=recipient",
			output: []string{"RECIPIENT FUNDED DISBURSED IN OUT RELEASED RETURNED CLAWED BACK ESCROW HELD",
				"SH-CITY:r1 0.00 10.00 0.00 3.00 5.00 0.00 0.00 - 2.00", "SH-CITY:r2 0.00 0.00 3.00 0.00 0.00 0.00 0.00 - 3.00"}},
		{name: "lineage", args: []string{"programme", "lineage", "SH-FIN:sme", "--account", "SH-CITY:r1", "--output", "tx1.0"},
			answers: map[string]any{"GET " + pp + "/lineage": rest.Lineage{Output: rest.Output{ID: "tx1.0", Account: "SH-CITY:r1", Amount: yuan("10")}, Programme: "SH-FIN:sme", Tranche: 1,
				Hops: []rest.Flow{{Kind: rest.FlowDisbursed, From: "SH-FIN:escrow", To: "SH-CITY:r1", Amount: yuan("10"), Reference: "SH-FIN:j1#1", TxID: "abcdef0123456789"}}}},
			method: "GET", path: pp + "/lineage", query: "account=SH-CITY%3Ar1&output=tx1.0",
			output: []string{"output tx1.0 of SH-CITY:r1: 10.00, programme SH-FIN:sme tranche 1", "disbursed SH-FIN:escrow SH-CITY:r1 10.00 SH-FIN:j1#1 abcdef012345"}},
		{name: "holdings", args: []string{"programme", "holdings", "SH-FIN:sme", "SH-CITY:r1"},
			answers: map[string]any{"GET " + pp + "/holdings/SH-CITY:r1": rest.OutputPage{Outputs: []rest.Output{{ID: "tx1.0", Amount: yuan("10"), Earmark: &rest.Earmark{Programme: "SH-FIN:sme", Tranche: 1}, CreatedAt: t0}}}},
			method:  "GET", path: pp + "/holdings/SH-CITY:r1", output: []string{"tx1.0 10.00 SH-FIN:sme#1 2025-01-02T00:00:00Z"}},
		{name: "clawback propose", args: []string{"programme", "clawback", "propose", "SH-FIN:sme", "--id", "SH-FIN:c1", "--account", "SH-CITY:r1"},
			answers: map[string]any{"POST " + pp + "/clawbacks": rest.Committed[rest.Clawback]{TxID: "t6", Result: clawback}},
			method:  "POST", path: pp + "/clawbacks", body: `{"id":"SH-FIN:c1","account":"SH-CITY:r1"}`, output: []string{"txId t6", "holderMsp ShanghaiMSP"}},
		{name: "clawback approve", args: []string{"programme", "clawback", "approve", "SH-FIN:sme", "SH-FIN:c1"},
			answers: map[string]any{"POST " + pp + "/clawbacks/SH-FIN:c1/approve": rest.Committed[rest.Clawback]{TxID: "t7", Result: clawback}},
			method:  "POST", path: pp + "/clawbacks/SH-FIN:c1/approve", output: []string{"approved true"}},
		{name: "clawback execute", args: []string{"programme", "clawback", "execute", "SH-FIN:sme", "SH-FIN:c1", "--account", "SH-CITY:r1"},
			answers: map[string]any{"POST " + pp + "/clawbacks/SH-FIN:c1/execute": rest.Committed[rest.ReturnReport]{TxID: "t8", Result: report}},
			method:  "POST", path: pp + "/clawbacks/SH-FIN:c1/execute", body: `{"account":"SH-CITY:r1"}`, output: []string{"amount 95.00"}},
		{name: "clawback execute without the account", args: []string{"programme", "clawback", "execute", "SH-FIN:sme", "SH-FIN:c1"},
			answers: map[string]any{"POST " + pp + "/clawbacks/SH-FIN:c1/execute": rest.Committed[rest.ReturnReport]{TxID: "t8", Result: closedReport}},
			method:  "POST", path: pp + "/clawbacks/SH-FIN:c1/execute", body: `{}`, output: []string{"amount 95.00", "closed true"}},
		{name: "clawback show", args: []string{"programme", "clawback", "show", "SH-FIN:sme", "SH-FIN:c1"},
			answers: map[string]any{"GET " + pp + "/clawbacks/SH-FIN:c1": clawback},
			method:  "GET", path: pp + "/clawbacks/SH-FIN:c1", output: []string{"holderMsp ShanghaiMSP", "approved true"}},
		{name: "tranche show", args: []string{"programme", "tranche", "show", "SH-FIN:sme", "--no", "1"},
			answers: map[string]any{"GET " + pp + "/tranches/1": tranche},
			method:  "GET", path: pp + "/tranches/1", output: []string{"no 1", "status approved"}},
		{name: "sweep", args: []string{"programme", "sweep", "SH-FIN:sme", "--accounts", "SH-FIN:escrow,SH-CITY:r1"},
			answers: map[string]any{"POST " + pp + "/sweeps": rest.Committed[rest.ReturnReport]{TxID: "t9", Result: report}},
			method:  "POST", path: pp + "/sweeps", body: `{"accounts":["SH-FIN:escrow","SH-CITY:r1"]}`, output: []string{"kind sweep", "accounts 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			for route, answer := range tt.answers {
				status := 200
				switch {
				case strings.HasPrefix(route, "POST"):
					status = 201
				case strings.HasPrefix(route, "PUT"):
					status = 202
				}
				f.on(route, status, mustJSON(t, answer))
			}
			r := run(t, map[string]string{EnvURL: srv.URL, EnvToken: "tok"}, tt.args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := f.last(t)
			if got.method != tt.method || got.path != tt.path || got.query != tt.query {
				t.Fatalf("request %s %s ?%s, want %s %s ?%s", got.method, got.path, got.query, tt.method, tt.path, tt.query)
			}
			switch {
			case tt.contentType == "text/csv":
				if string(got.body) != tt.body || got.contentType != "text/csv" {
					t.Fatalf("body %q (%s), want %q as text/csv", got.body, got.contentType, tt.body)
				}
			case tt.body == "":
				if len(got.body) != 0 {
					t.Fatalf("sent a body %s", got.body)
				}
			case !jsonEqual(t, got.body, tt.body) || got.contentType != "application/json":
				t.Fatalf("body %s (%s), want %s", got.body, got.contentType, tt.body)
			}
			out := squeeze(r.stdout)
			for _, want := range tt.output {
				if !strings.Contains(out, want+"\n") {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

func TestProgrammeFailuresAndUsage(t *testing.T) {
	t.Run("a failed job exits 1 with its error", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		failed := rest.DisbursementJob{ID: "SH-FIN:j1", Status: rest.JobFailed, Lines: 1, Pending: 1, Error: &rest.Error{Code: "PURPOSE_NOT_ALLOWED", Message: "outside the window"}}
		f.on("GET /v1/programmes/SH-FIN:sme/disbursements/SH-FIN:j1", 200, mustJSON(t, failed))
		r := run(t, map[string]string{EnvURL: srv.URL}, "programme", "job", "SH-FIN:sme", "SH-FIN:j1")
		if r.code != ExitError || r.stderr != "error PURPOSE_NOT_ALLOWED: outside the window\n" || !strings.Contains(squeeze(r.stdout), "status failed\n") {
			t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
		}
	})
	t.Run("a job ID reused", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		f.on("PUT /v1/programmes/SH-FIN:sme/disbursements/SH-FIN:j1", 422, `{"code":"JOB_ID_REUSED","message":"job SH-FIN:j1 exists with other lines"}`)
		file := filepath.Join(t.TempDir(), "l.csv")
		if err := os.WriteFile(file, []byte("SH-CITY:r,1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, map[string]string{EnvURL: srv.URL}, "programme", "disburse", "SH-FIN:sme", "--job", "SH-FIN:j1", "--file", file)
		if r.code != ExitError || !strings.HasPrefix(r.stderr, "error JOB_ID_REUSED: ") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	for name, args := range map[string][]string{
		"programme without subcommand":       {"programme"},
		"tranche without subcommand":         {"programme", "tranche"},
		"tranche propose without a number":   {"programme", "tranche", "propose", "SH-FIN:sme", "--amount", "1", "--date", "2026-03-02"},
		"tranche propose without a date":     {"programme", "tranche", "propose", "SH-FIN:sme", "--no", "1", "--amount", "1"},
		"disburse without a job":             {"programme", "disburse", "SH-FIN:sme", "--file", "x.csv"},
		"disburse without a file":            {"programme", "disburse", "SH-FIN:sme", "--job", "SH-FIN:j"},
		"define without a file":              {"programme", "define"},
		"job without its ID":                 {"programme", "job", "SH-FIN:sme"},
		"tranche show without a number":      {"programme", "tranche", "show", "SH-FIN:sme"},
		"spend with an amount of 3 decimals": {"programme", "spend", "SH-FIN:sme", "--id", "p", "--from", "a", "--to", "b", "--amount", "1.001"},
		"lineage without output":             {"programme", "lineage", "SH-FIN:sme", "--account", "a"},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			r := run(t, map[string]string{EnvURL: srv.URL}, args...)
			if r.code != ExitUsage || r.stderr == "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			f.none(t)
		})
	}
	t.Run("a definition that is not the API's JSON", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		file := filepath.Join(t.TempDir(), "p.json")
		if err := os.WriteFile(file, []byte(`{"id":"SH-FIN:x","Budget":"1"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, map[string]string{EnvURL: srv.URL}, "programme", "define", "--file", file)
		if r.code != ExitUsage {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		f.none(t)
	})
}
