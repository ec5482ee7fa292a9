package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// chaosJobLines is the size of the job TestChaosJobResubmit kills its
// gateway under (the gateway's most, rest.MaxJobLines); YRD_CHAOS_JOB_LINES
// makes it smaller for a quick run.
const chaosJobLines = rest.MaxJobLines

// chaosJobRecipients are the distinct recipients the job's lines pay round
// robin (each 50 times in a job of 100,000): opening 100,000 accounts
// would take longer than the job. 2,000 keeps the job engine's four
// batches in flight on distinct recipients (a batch skips lines whose
// recipient another batch in flight pays).
const chaosJobRecipients = 2000

// TestChaosJobResubmit (not part of make test: YRD_CHAOS_JOBS=1, make
// chaos-jobs) submits a disbursement job of 100,000 lines to Shanghai's
// gateway, kills that gateway with SIGKILL once a third of the lines is
// paid, starts it again and submits the same job again, and follows it to
// completion. Every line must have been paid exactly once: the job counts
// each line paid or already paid (the chaincode's line marker answering
// for a line paid before the kill, with the output it paid then), no
// output is named by two lines, the programme's flows count one
// disbursement per line, each recipient holds exactly what its lines
// carried, and the supply never moves.
func TestChaosJobResubmit(t *testing.T) {
	if os.Getenv("YRD_CHAOS_JOBS") != "1" {
		t.Skip("set YRD_CHAOS_JOBS=1 (make chaos-jobs): a job of 100,000 lines and a gateway killed under it")
	}
	lines := chaosJobLines
	if v := os.Getenv("YRD_CHAOS_JOB_LINES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "YRD_CHAOS_JOB_LINES")
		require.True(t, n >= 1000 && n <= rest.MaxJobLines, "YRD_CHAOS_JOB_LINES %d: 1,000 to %d", n, rest.MaxJobLines)
		lines = n
	}
	t0 := time.Now()
	ctx := context.Background()
	w := newPGWorld(t)
	maker := w.maker[shanghai.Name]

	// A programme of Shanghai's bureau alone (maker and checker), its
	// tranche covering the job, 2,000 merchants (category 5812) of three
	// provinces as recipients.
	iss := gw(t, shanghai, "issuer")
	reserve := bankID(shanghai, "issuer", "cj-reserve")
	treasury := bankID(shanghai, "fiscal", "cj-treasury")
	gwOpen(t, iss, reserve, rest.KindReserve, "")
	amount := func(i int) money.Amount { return money.Amount(100 + i%7) } // 1.00 to 1.06
	var total money.Amount
	for i := range lines {
		total += amount(i)
	}
	gwMint(t, net, shanghai, "cj-mint", reserve, total.String())
	res, err := maker.OpenAccount(ctx, rest.OpenAccountRequest{ID: treasury, Kind: rest.KindFiscal})
	settled(t, res, err)
	gwPay(t, iss, rest.PaymentRequest{PaymentID: bankID(shanghai, "issuer", "cj-fund"), From: reserve, To: treasury, Amount: total})
	s, err := w.auditor.Supply(ctx)
	require.NoError(t, err)
	w.supply = s.Total

	recipients := make([]string, chaosJobRecipients)
	for i := range recipients {
		recipients[i] = bankID(pgFunders[i%3].p, "operator", fmt.Sprintf("cj-r%04d", i))
	}
	t1 := time.Now()
	pgOpen(t, w, recipients, rest.KindMerchant, "5812")
	t.Logf("chaos-jobs: %d recipients opened in %s", len(recipients), time.Since(t1).Round(100*time.Millisecond))

	today := api.BusinessDate(time.Now())
	def, err := maker.DefineProgramme(ctx, rest.ProgrammeRequest{ID: bankID(shanghai, "fiscal", "cj-prog"), Name: "chaos jobs", Purposes: []string{"SME-RELIEF"},
		Funders: []rest.Funder{{MSP: shanghai.MSPID, Bureau: "SH-FIN", Account: treasury, Share: api.SharesTotal}},
		Escrow:  bankID(shanghai, "fiscal", "cj-escrow"), Budget: total, ValidFrom: today, ValidTo: nextDay(today),
		Eligibility: rest.Eligibility{Kinds: []string{rest.KindMerchant}, Categories: []string{"5812"}},
		Spending:    rest.SpendingRules{PayeeCategories: []string{merchantCategory}}, Release: rest.ReleaseAtTerminal})
	prog := settled(t, def, err).ID
	act, err := w.checker.ApproveProgramme(ctx, prog)
	require.Equal(t, rest.ProgrammeActive, settled(t, act, err).Status)
	tr, err := maker.ProposeTranche(ctx, prog, rest.TrancheRequest{No: 1, Amount: total, Date: today})
	settled(t, tr, err)
	tr, err = w.checker.ApproveTranche(ctx, prog, 1)
	settled(t, tr, err)
	tr, err = maker.FundTranche(ctx, prog, 1, rest.FundRequest{})
	settled(t, tr, err)
	m := pgModel{funded: total}
	w.check(t, prog, m)
	t.Logf("chaos-jobs: set up in %s", time.Since(t0).Round(100*time.Millisecond))

	job := bankID(shanghai, "fiscal", "cj-job")
	body := rest.DisbursementRequest{Lines: make([]rest.DisbursementLine, lines)}
	want := map[string]money.Amount{}
	for i := range body.Lines {
		r := recipients[i%len(recipients)]
		body.Lines[i] = rest.DisbursementLine{Line: i + 1, Recipient: r, Amount: amount(i)}
		want[r] += amount(i)
	}
	start := time.Now()
	j, err := maker.Disburse(ctx, prog, job, body)
	require.NoError(t, err)
	require.Equal(t, lines, j.Lines)

	// Kill the gateway once a third of the lines is settled.
	var atKill rest.DisbursementJob
	require.Eventually(t, func() bool {
		j, err := maker.Job(ctx, prog, job)
		if err != nil {
			return false
		}
		atKill = j
		return j.Paid >= lines/3 || j.Status != rest.JobRunning && j.Status != rest.JobQueued
	}, 10*time.Minute, 200*time.Millisecond, "the job did not reach a third of its lines")
	require.Less(t, atKill.Paid, lines, "the job finished before the kill: %+v", atKill)
	require.NoError(t, net.Kill(shanghai, "gateway"))
	killedAt := time.Since(start)
	_, err = maker.Job(ctx, prog, job)
	require.Error(t, err, "the gateway is down")
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, net.Restart(rctx, shanghai, "gateway"))
	t.Logf("chaos-jobs: gateway killed at %s with %d of %d lines paid (%d batches, %d in flight), restarted in %s",
		killedAt.Round(100*time.Millisecond), atKill.Paid, lines, atKill.Batches, atKill.InFlight, (time.Since(start) - killedAt).Round(100*time.Millisecond))

	// The same job again: the existing job, resumed; then to completion.
	var again rest.DisbursementJob
	require.Eventually(t, func() bool {
		again, err = maker.Disburse(ctx, prog, job, body)
		return err == nil
	}, time.Minute, 500*time.Millisecond, "the restarted gateway takes the job again: %v", err)
	require.Equal(t, lines, again.Lines)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Minute)
	defer wcancel()
	done, err := maker.WaitJob(wctx, prog, job, nil)
	require.NoError(t, err)
	wall := time.Since(start)
	require.Equal(t, rest.JobDone, done.Status, "job %+v", done)
	require.Zero(t, done.Rejected, "job %+v", done)
	require.Equal(t, lines, done.Paid+done.AlreadyPaid, "every line settled: %+v", done)
	require.Equal(t, total, done.SettledAmount)
	t.Logf("chaos-jobs: %d lines settled in %s wall (kill and restart included): %d paid by this gateway's batches, %d answered already paid; %d batches; %.0f lines/s (load: %s)",
		lines, wall.Round(100*time.Millisecond), done.Paid, done.AlreadyPaid, done.Batches, float64(lines)/wall.Seconds(), loadAvg())

	// Each line once: one output per line, no output twice.
	seen := make(map[string]int, lines)
	n := 0
	for l, err := range maker.AllJobLines(ctx, prog, job, client.JobLinesQuery{Page: client.Page{Size: 1000}}) {
		require.NoError(t, err)
		n++
		require.Contains(t, []string{rest.LinePaid, rest.LineAlreadyPaid}, l.Status, "line %d", l.Line)
		require.NotEmpty(t, l.Output, "line %d names the output it paid", l.Line)
		if prev, dup := seen[l.Output]; dup {
			t.Fatalf("lines %d and %d name one output %s", prev, l.Line, l.Output)
		}
		seen[l.Output] = l.Line
	}
	require.Equal(t, lines, n)
	// The ledger: one disbursement flow per line, and each recipient holds
	// what its lines carried.
	m.disbursed = total
	w.check(t, prog, m)
	u, err := w.auditor.Utilisation(ctx, prog, client.UtilisationQuery{By: rest.ByTotal})
	require.NoError(t, err)
	require.Equal(t, lines+1, u.Flows, "one funding flow and one flow per line")
	errs := pgEach(len(recipients), 32, func(i int) error {
		b, err := w.auditor.Balance(ctx, recipients[i])
		if err != nil {
			return err
		}
		if b.Balance != want[recipients[i]] {
			return fmt.Errorf("%s holds %s, its lines carried %s", recipients[i], b.Balance, want[recipients[i]])
		}
		return nil
	})
	require.NoError(t, errors.Join(errs...))
	t.Logf("chaos-jobs: took %s in all", time.Since(t0).Round(100*time.Millisecond))
}
