package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

const prog = "SH-FIN:sme"

var (
	programme = rest.Programme{ID: prog, Name: "SME relief", Purposes: []string{"SME"}, Funders: []rest.Funder{{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Account: "SH-FIN:t", Share: 10000}},
		Escrow: "SH-FIN:escrow", Budget: amt, ValidFrom: "2026-03-02", ValidTo: "2026-03-31", Release: rest.ReleaseAtTerminal, OwnerMSP: "ShanghaiMSP",
		OwnerBureau: "SH-FIN", Status: rest.ProgrammeActive, DefinedAt: t0, Parties: []rest.Party{}, Approvals: []rest.PartyApproval{}, Tranches: []rest.TrancheInfo{}}
	tranche = rest.Tranche{Programme: prog, No: 2, Amount: amt, Date: "2026-03-02", Status: rest.TrancheApproved, ProposedAt: t0,
		Approvals: []rest.PartyApproval{}, Contributions: []rest.Contribution{}, Shares: []rest.TrancheShare{{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Account: "SH-FIN:t", Amount: amt}}}
	job = rest.DisbursementJob{ID: "SH-FIN:j1", Programme: prog, Status: rest.JobRunning, Lines: 2, Pending: 1, Paid: 1, Amount: amt,
		SettledAmount: money.Yuan(1), Batches: 1, InFlight: 1, Created: t0, Updated: t0}
	clawback = rest.Clawback{ID: "SH-FIN:c1", Programme: prog, Account: "JS-CITY:r", HolderMSP: "JiangsuMSP", Status: "pending", ProposedAt: t0,
		Parties: []rest.Party{}, Approvals: []rest.PartyApproval{}}
	report = rest.ReturnReport{Programme: prog, Kind: rest.ReturnSweep, Accounts: 1, Amount: amt, Transactions: []rest.ReturnTx{}, Funders: []rest.FunderAmount{}}
)

func programmeMethodCases() []methodCase {
	until := time.Date(2026, 3, 20, 9, 30, 0, 0, time.UTC)
	progReq := rest.ProgrammeRequest{ID: prog, Name: "SME relief", Purposes: []string{"SME"}, Escrow: "SH-FIN:escrow", Budget: amt,
		ValidFrom: "2026-03-02", ValidTo: "2026-03-31", ValidUntil: &until, Release: rest.ReleaseAtTerminal,
		Funders: []rest.Funder{{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Account: "SH-FIN:t", Share: 10000}}}
	progBody := `{"id":"SH-FIN:sme","name":"SME relief","purposes":["SME"],"funders":[{"msp":"ShanghaiMSP","bureau":"SH-FIN","account":"SH-FIN:t","share":10000}],` +
		`"escrow":"SH-FIN:escrow","budget":"1234.56","validFrom":"2026-03-02","validTo":"2026-03-31","validUntil":"2026-03-20T09:30:00Z","eligibility":{},"spending":{},"release":"terminal"}`
	trReq := rest.TrancheRequest{No: 2, Amount: amt, Date: "2026-03-02"}
	trBody := `{"no":2,"amount":"1234.56","date":"2026-03-02"}`
	fund := rest.FundRequest{}
	lines := rest.DisbursementRequest{Lines: []rest.DisbursementLine{{Recipient: "SH-CITY:r", Amount: amt}}}
	linesBody := `{"lines":[{"recipient":"SH-CITY:r","amount":"1234.56"}]}`
	spend := rest.SpendRequest{PaymentID: "SH-CITY:p", From: "SH-CITY:r", To: "SH-CITY:g", Amount: amt}
	spendBody := `{"paymentId":"SH-CITY:p","from":"SH-CITY:r","to":"SH-CITY:g","amount":"1234.56"}`
	cbReq := rest.ClawbackRequest{ID: "SH-FIN:c1", Account: "JS-CITY:r"}
	cbBody := `{"id":"SH-FIN:c1","account":"JS-CITY:r"}`
	exec := rest.ClawbackExecuteRequest{Account: "JS-CITY:r"}
	execBody := `{"account":"JS-CITY:r"}`
	sweep := rest.SweepRequest{Accounts: []string{"SH-FIN:escrow"}}
	sweepBody := `{"accounts":["SH-FIN:escrow"]}`
	pp := "/v1/programmes/SH-FIN:sme"
	usage := rest.Usage{Key: "total", Funded: amt, Escrow: &amt}

	return []methodCase{
		{name: "DefineProgramme", route: rest.DefineProgramme, path: "/v1/programmes", body: progBody, want: committed(programme),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.DefineProgramme(ctx, progReq) }},
		{name: "DefineProgrammeAsync", route: rest.DefineProgramme, async: true, path: "/v1/programmes", query: "async=true", body: progBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.DefineProgrammeAsync(ctx, progReq) }},
		{name: "GetProgramme", route: rest.GetProgramme, path: pp, want: programme,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetProgramme(ctx, prog) }},
		{name: "ApproveProgramme", route: rest.ApproveProgramme, path: pp + "/approve", want: committed(programme),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ApproveProgramme(ctx, prog) }},
		{name: "ApproveProgrammeAsync", route: rest.ApproveProgramme, async: true, path: pp + "/approve", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ApproveProgrammeAsync(ctx, prog) }},
		{name: "ProposeTranche", route: rest.ProposeTranche, path: pp + "/tranches", body: trBody, want: committed(tranche),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ProposeTranche(ctx, prog, trReq) }},
		{name: "ProposeTrancheAsync", route: rest.ProposeTranche, async: true, path: pp + "/tranches", query: "async=true", body: trBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ProposeTrancheAsync(ctx, prog, trReq)
			}},
		{name: "GetTranche", route: rest.GetTranche, path: pp + "/tranches/2", want: tranche,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetTranche(ctx, prog, 2) }},
		{name: "ApproveTranche", route: rest.ApproveTranche, path: pp + "/tranches/2/approve", want: committed(tranche),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ApproveTranche(ctx, prog, 2) }},
		{name: "ApproveTrancheAsync", route: rest.ApproveTranche, async: true, path: pp + "/tranches/2/approve", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ApproveTrancheAsync(ctx, prog, 2) }},
		{name: "FundTranche", route: rest.FundTranche, path: pp + "/tranches/2/fund", body: `{}`, want: committed(tranche),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.FundTranche(ctx, prog, 2, fund) }},
		{name: "FundTrancheAsync", route: rest.FundTranche, async: true, path: pp + "/tranches/2/fund", query: "async=true", body: `{}`, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.FundTrancheAsync(ctx, prog, 2, fund)
			}},
		{name: "Disburse", route: rest.PutDisbursement, path: pp + "/disbursements/SH-FIN:j1", body: linesBody, want: job,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Disburse(ctx, prog, "SH-FIN:j1", lines)
			}},
		{name: "Job", route: rest.GetDisbursement, path: pp + "/disbursements/SH-FIN:j1", want: job,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Job(ctx, prog, "SH-FIN:j1") }},
		{name: "JobLines", route: rest.ListJobLines, path: pp + "/disbursements/SH-FIN:j1/lines", query: "pageSize=5&status=rejected",
			want: rest.JobLinePage{Lines: []rest.JobLine{{Line: 3, Recipient: "AH-CITY:r", Amount: amt, Status: rest.LineRejected, Code: "PURPOSE_NOT_ALLOWED"}}, Bookmark: "b"},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.JobLines(ctx, prog, "SH-FIN:j1", client.JobLinesQuery{Status: rest.LineRejected, Page: client.Page{Size: 5}})
			}},
		{name: "Spend", route: rest.CreateSpend, path: pp + "/spends", body: spendBody, want: committed(payment),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Spend(ctx, prog, spend) }},
		{name: "SpendAsync", route: rest.CreateSpend, async: true, path: pp + "/spends", query: "async=true", body: spendBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.SpendAsync(ctx, prog, spend) }},
		{name: "Utilisation", route: rest.GetUtilisation, path: pp + "/utilisation", query: "by=tranche&pageSize=10",
			want: rest.Utilisation{Programme: prog, By: rest.ByTranche, Budget: amt, Flows: 1, Total: usage, Balanced: true, Rows: []rest.Usage{usage}},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Utilisation(ctx, prog, client.UtilisationQuery{By: rest.ByTranche, Page: client.Page{Size: 10}})
			}},
		{name: "Lineage", route: rest.GetLineage, path: pp + "/lineage", query: "account=JS-CITY%3Ar&output=tx1.0",
			want: rest.Lineage{Output: rest.Output{ID: "tx1.0", Account: "JS-CITY:r", Amount: amt}, Programme: prog, Tranche: 1, Hops: []rest.Flow{}, TxIDs: []string{}},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Lineage(ctx, prog, "JS-CITY:r", "tx1.0")
			}},
		{name: "Holdings", route: rest.ListHoldings, path: pp + "/holdings/JS-CITY:r", query: "pageSize=2",
			want: rest.OutputPage{Outputs: []rest.Output{{ID: "tx1.0", Account: "JS-CITY:r", Amount: amt, Earmark: &rest.Earmark{Programme: prog, Tranche: 1}}}},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Holdings(ctx, prog, "JS-CITY:r", client.Page{Size: 2})
			}},
		{name: "ProposeClawback", route: rest.ProposeClawback, path: pp + "/clawbacks", body: cbBody, want: committed(clawback),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ProposeClawback(ctx, prog, cbReq) }},
		{name: "ProposeClawbackAsync", route: rest.ProposeClawback, async: true, path: pp + "/clawbacks", query: "async=true", body: cbBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ProposeClawbackAsync(ctx, prog, cbReq)
			}},
		{name: "GetClawback", route: rest.GetClawback, path: pp + "/clawbacks/SH-FIN:c1", want: clawback,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetClawback(ctx, prog, "SH-FIN:c1") }},
		{name: "ApproveClawback", route: rest.ApproveClawback, path: pp + "/clawbacks/SH-FIN:c1/approve", want: committed(clawback),
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ApproveClawback(ctx, prog, "SH-FIN:c1")
			}},
		{name: "ApproveClawbackAsync", route: rest.ApproveClawback, async: true, path: pp + "/clawbacks/SH-FIN:c1/approve", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ApproveClawbackAsync(ctx, prog, "SH-FIN:c1")
			}},
		{name: "ExecuteClawback", route: rest.ExecuteClawback, path: pp + "/clawbacks/SH-FIN:c1/execute", body: execBody, want: committed(report),
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ExecuteClawback(ctx, prog, "SH-FIN:c1", exec)
			}},
		{name: "ExecuteClawback without the account", route: rest.ExecuteClawback, path: pp + "/clawbacks/SH-FIN:c1/execute", body: `{}`, want: committed(report),
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ExecuteClawback(ctx, prog, "SH-FIN:c1", rest.ClawbackExecuteRequest{})
			}},
		{name: "ExecuteClawbackAsync", route: rest.ExecuteClawback, async: true, path: pp + "/clawbacks/SH-FIN:c1/execute", query: "async=true", body: execBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ExecuteClawbackAsync(ctx, prog, "SH-FIN:c1", exec)
			}},
		{name: "Sweep", route: rest.SweepProgramme, path: pp + "/sweeps", body: sweepBody, want: committed(report),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Sweep(ctx, prog, sweep) }},
		{name: "SweepAsync", route: rest.SweepProgramme, async: true, path: pp + "/sweeps", query: "async=true", body: sweepBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.SweepAsync(ctx, prog, sweep) }},
	}
}

// TestDisburseCSVAndRepeats: a CSV job goes as text/csv, unchanged; a
// repeat answered 200 with the existing job is a success, as 202 is.
func TestDisburseCSVAndRepeats(t *testing.T) {
	for _, status := range []int{http.StatusAccepted, http.StatusOK} {
		f := newFake(t)
		c := mustNew(t, f.srv.URL, client.WithToken("tok"))
		f.answerJSON(t, status, job)
		csv := "recipient,amount\nSH-CITY:r,1.00\n"
		got, err := c.DisburseCSV(context.Background(), prog, "SH-FIN:j1", []byte(csv))
		if err != nil || got.ID != job.ID {
			t.Fatalf("status %d: %+v %v", status, got, err)
		}
		s := f.last(t)
		if s.method != "PUT" || s.path != "/v1/programmes/SH-FIN:sme/disbursements/SH-FIN:j1" || s.contentType != "text/csv" || string(s.body) != csv {
			t.Fatalf("sent %s %s %q %q", s.method, s.path, s.contentType, s.body)
		}
	}
	t.Run("a CSV body on a route that takes none", func(t *testing.T) {
		f := newFake(t)
		c := mustNew(t, f.srv.URL)
		_, err := client.ExportDo(c, context.Background(), rest.SweepProgramme, []string{prog}, []byte("a,b\n"))
		if client.CodeOf(err) != client.CodeInvalidArgument {
			t.Fatalf("%v", err)
		}
		f.none(t)
	})
}

// TestWaitJob polls until the job is finished, reporting each answer.
func TestWaitJob(t *testing.T) {
	n := 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/programmes/{id}/disbursements/{job}", func(w http.ResponseWriter, r *http.Request) {
		n++
		j := job
		if n == 3 {
			j.Status, j.Pending, j.Paid = rest.JobDone, 0, 2
		}
		_ = json.NewEncoder(w).Encode(j)
	})
	srv := httptestServer(t, mux)
	c := mustNew(t, srv, client.WithPollInterval(time.Millisecond))
	var seen []string
	j, err := c.WaitJob(context.Background(), prog, "SH-FIN:j1", func(j rest.DisbursementJob) { seen = append(seen, j.Status) })
	if err != nil || j.Status != rest.JobDone || strings.Join(seen, ",") != "running,running,done" {
		t.Fatalf("%+v %v %v", j, err, seen)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n = 0
	if _, err := c.WaitJob(ctx, prog, "SH-FIN:j1", nil); client.CodeOf(err) != client.CodeCanceled {
		t.Fatalf("cancelled wait: %v", err)
	}
}
