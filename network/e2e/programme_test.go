package e2e

// Directional appropriation on the real network, through the provinces'
// HTTP gateways (issue 9, "Done when"). IDs are local "pg-…" (the joint
// programme) and "pgx-…" (the programme that expires during the test).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// pgFunders are the provinces funding both programmes and their shares
// (basis points): Shanghai's bureau owns them.
var pgFunders = []struct {
	p     testnet.Province
	share int
}{{shanghai, 4000}, {jiangsu, 3000}, {zhejiang, 3000}}

// pgRecipients is the joint programme's first-hop recipients: customer
// accounts of the three funding provinces' city banks.
const pgRecipients = 1000

// pgExpiresIn is how far ahead of the test's start the small programme's
// validUntil lies: far enough for it to be approved, funded, disbursed and
// spent from on a busy machine, near enough to expire within the test.
const pgExpiresIn = 60 * time.Second

// pgSplit is the independent model of a pro-rata return: each funder the
// floor of its share of amount, the fen left over one each to the first
// funders (docs/appropriation.md).
func pgSplit(amount money.Amount) []money.Amount {
	out := make([]money.Amount, len(pgFunders))
	var sum money.Amount
	for i, f := range pgFunders {
		out[i] = money.Amount(int64(amount) * int64(f.share) / api.SharesTotal)
		sum += out[i]
	}
	for i := 0; sum < amount; i = (i + 1) % len(out) {
		out[i]++
		sum++
	}
	return out
}

// pgModel is what the test expects a programme's utilisation to be: flow
// totals it counts itself as it moves the money.
type pgModel struct {
	funded, disbursed, moved, released, returned, fromEscrow, clawed money.Amount
}

func (m pgModel) escrow() money.Amount { return m.funded - m.disbursed - m.fromEscrow }
func (m pgModel) held() money.Amount {
	return m.disbursed - m.released - (m.returned - m.fromEscrow) - m.clawed
}

// pgWorld is what both programmes' tests share: the gateways' clients and
// the supply, which nothing in the test may change after the set-up.
type pgWorld struct {
	supply  money.Amount
	auditor *client.Client // Shanghai's: the jobs run at Shanghai's gateway
	maker   map[string]*client.Client
	checker *client.Client
	op      map[string]*client.Client
	comp    map[string]*client.Client
}

func newPGWorld(t *testing.T) *pgWorld {
	w := &pgWorld{maker: map[string]*client.Client{}, op: map[string]*client.Client{}, comp: map[string]*client.Client{}}
	poll := client.WithPollInterval(200 * time.Millisecond)
	w.auditor = gwOn(t, net, shanghai, "auditor", poll)
	w.checker = gwOn(t, net, shanghai, "fiscal2", poll)
	for _, p := range testnet.Provinces {
		w.maker[p.Name] = gwOn(t, net, p, "fiscal", poll)
		w.op[p.Name] = gwOn(t, net, p, "operator", poll)
		w.comp[p.Name] = gwOn(t, net, p, "compliance", poll)
	}
	return w
}

// settled requires a committed write and waits until every peer has its
// block: the next step may run at another province's gateway.
func settled[T any](t *testing.T, res rest.Committed[T], err error) T {
	t.Helper()
	committed(t, res, err)
	waitHeights(t, res.BlockNumber+1)
	return res.Result
}

// check asserts the utilisation identity of programme prog against the
// model, through the gateway (which checks it too: balanced, and the
// escrow's outputs against its balance), and that the supply has not
// moved.
func (w *pgWorld) check(t *testing.T, prog string, m pgModel) {
	t.Helper()
	ctx := context.Background()
	u, err := w.auditor.Utilisation(ctx, prog, client.UtilisationQuery{By: rest.ByTotal})
	require.NoError(t, err)
	tot := u.Total
	require.True(t, u.Balanced, "utilisation of %s does not balance: %+v", prog, tot)
	require.True(t, u.EscrowChecked)
	require.NotNil(t, tot.Escrow)
	require.NotNil(t, tot.Held)
	want := rest.Usage{Key: tot.Key, Funded: m.funded, Disbursed: m.disbursed, TransferredIn: m.moved, TransferredOut: m.moved,
		Released: m.released, Returned: m.returned, ReturnedFromEscrow: m.fromEscrow, ClawedBack: m.clawed}
	escrow, held := m.escrow(), m.held()
	want.Escrow, want.Held = &escrow, &held
	require.Equal(t, pgJSON(want), pgJSON(tot), "utilisation of %s", prog)
	require.Equal(t, escrow, u.EscrowOutputs, "the escrow's earmarked outputs")
	require.Equal(t, tot.Funded, *tot.Escrow+*tot.Held+tot.Released+tot.Returned+tot.ClawedBack, "funded = escrow + held + released + returned + clawed back")
	require.LessOrEqual(t, tot.Funded, u.Budget)
	s, err := w.auditor.Supply(ctx)
	require.NoError(t, err)
	require.Equal(t, w.supply, s.Total, "the supply moved")
}

func pgJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// loadAvg is the machine's load average (1, 5, 15 minutes), for the logs
// next to timings.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// balanceOf reads an account's balance as the Shanghai auditor.
func (w *pgWorld) balanceOf(t *testing.T, account string) money.Amount {
	t.Helper()
	b, err := w.auditor.Balance(context.Background(), account)
	require.NoError(t, err)
	return b.Balance
}

// holding sums an account's outputs earmarked for prog, from all its
// outputs (not the programme's holdings route).
func (w *pgWorld) holding(t *testing.T, prog, account string) money.Amount {
	t.Helper()
	var sum money.Amount
	for o, err := range w.auditor.AllOutputs(context.Background(), account, 1000) {
		require.NoError(t, err)
		if o.Earmark != nil && o.Earmark.Programme == prog {
			sum += o.Amount
		}
	}
	return sum
}

// pgDefine defines a programme as Shanghai's fiscal bureau (the maker),
// funded by the three bureaus from the fiscal accounts treasury names.
func pgDefine(t *testing.T, w *pgWorld, local, treasury string, validUntil *time.Time, passOn bool) rest.Programme {
	t.Helper()
	today := api.BusinessDate(time.Now())
	var funders []rest.Funder
	for _, f := range pgFunders {
		funders = append(funders, rest.Funder{MSP: f.p.MSPID, Bureau: testnet.Bank(f.p, "fiscal"), Account: bankID(f.p, "fiscal", treasury), Share: f.share})
	}
	req := rest.ProgrammeRequest{ID: bankID(shanghai, "fiscal", local), Name: "e2e " + local, Purposes: []string{"SME-RELIEF"},
		Funders: funders, Escrow: bankID(shanghai, "fiscal", local+"-escrow"), Budget: money.MustParseYuan("100000"),
		ValidFrom: today, ValidTo: nextDay(today), ValidUntil: validUntil,
		Eligibility: rest.Eligibility{Kinds: []string{rest.KindCustomer}, Provinces: []string{shanghai.MSPID, jiangsu.MSPID, zhejiang.MSPID}},
		Spending:    rest.SpendingRules{PayeeCategories: []string{merchantCategory}, PassOn: passOn},
		Release:     rest.ReleaseAtTerminal}
	res, err := w.maker[shanghai.Name].DefineProgramme(context.Background(), req)
	p := settled(t, res, err)
	require.Equal(t, rest.ProgrammeProposed, p.Status)
	if validUntil != nil {
		require.NotNil(t, p.ValidUntil)
		require.True(t, validUntil.Equal(*p.ValidUntil), "validUntil %v, want %v", p.ValidUntil, validUntil)
	}
	return p
}

// pgActivate has the checker and the co-funding bureaus approve the
// programme; only the last approval activates it.
func pgActivate(t *testing.T, w *pgWorld, prog string) {
	t.Helper()
	ctx := context.Background()
	_, err := w.maker[shanghai.Name].ApproveProgramme(ctx, prog)
	apiErr(t, err, http.StatusConflict, string(api.CodeAlreadyExists)) // the maker is not its own checker
	_, err = w.maker[anhui.Name].ApproveProgramme(ctx, prog)
	require.Error(t, err, "a bureau that funds nothing approves nothing")
	approvers := []*client.Client{w.checker, w.maker[jiangsu.Name], w.maker[zhejiang.Name]}
	for i, c := range approvers {
		res, err := c.ApproveProgramme(ctx, prog)
		p := settled(t, res, err)
		want := rest.ProgrammeProposed
		if i == len(approvers)-1 {
			want = rest.ProgrammeActive
		}
		require.Equal(t, want, p.Status, "after %d of %d approvals", i+1, len(approvers))
	}
}

// pgTranche proposes tranche no, has it approved maker-checker and by
// every funder, and each funder pay its share from its fiscal account
// (treasury); it returns the shares, checked against the model of
// pro-rata, and updates m.
func pgTranche(t *testing.T, w *pgWorld, prog string, no int, amount, treasury string, m *pgModel) {
	t.Helper()
	ctx := context.Background()
	a := money.MustParseYuan(amount)
	res, err := w.maker[shanghai.Name].ProposeTranche(ctx, prog, rest.TrancheRequest{No: no, Amount: a, Date: api.BusinessDate(time.Now())})
	settled(t, res, err)
	_, err = w.maker[jiangsu.Name].FundTranche(ctx, prog, no, rest.FundRequest{})
	apiErr(t, err, http.StatusConflict, string(api.CodeNotApproved))
	var tr rest.Tranche
	for _, c := range []*client.Client{w.checker, w.maker[jiangsu.Name], w.maker[zhejiang.Name]} {
		res, err := c.ApproveTranche(ctx, prog, no)
		tr = settled(t, res, err)
	}
	require.Equal(t, rest.TrancheApproved, tr.Status)
	shares := pgSplit(a)
	require.Len(t, tr.Shares, len(pgFunders))
	for i, f := range pgFunders {
		acct := bankID(f.p, "fiscal", treasury)
		require.Equal(t, acct, tr.Shares[i].Account)
		require.Equal(t, shares[i], tr.Shares[i].Amount, "%s's share of tranche %d", f.p.Name, no)
		before := w.balanceOf(t, acct)
		res, err := w.maker[f.p.Name].FundTranche(ctx, prog, no, rest.FundRequest{})
		tr = settled(t, res, err)
		require.Equal(t, before-shares[i], w.balanceOf(t, acct), "%s paid its share", acct)
	}
	require.Equal(t, rest.TrancheFunded, tr.Status)
	m.funded += a
	w.check(t, prog, *m)
}

// pgOpen opens accounts concurrently, each by its province's city bank
// operator (a customer of class II, or a merchant of category mcc), and
// waits until every peer has them.
func pgOpen(t *testing.T, w *pgWorld, accounts []string, kind, mcc string) {
	t.Helper()
	require.NoError(t, pgOpenErr(w, accounts, kind, mcc))
}

// pgOpenErr is pgOpen without assertions, for another goroutine.
func pgOpenErr(w *pgWorld, accounts []string, kind, mcc string) error {
	blocks := make([]uint64, len(accounts))
	errs := pgEach(len(accounts), 48, func(i int) error {
		id := accounts[i]
		req := rest.OpenAccountRequest{ID: id, Kind: kind}
		switch kind {
		case rest.KindCustomer:
			req.Tier, req.CustomerRef = rest.TierClassII, "cust-"+id
		case rest.KindMerchant:
			req.MerchantCategory = mcc
		}
		res, err := w.op[pgProvinceOf(id).Name].OpenAccount(context.Background(), req)
		if err != nil {
			return fmt.Errorf("open %s: %w", id, err)
		}
		blocks[i] = res.BlockNumber
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var top uint64
	for _, b := range blocks {
		top = max(top, b)
	}
	return waitHeightsErr(top + 1)
}

// pgProvinceOf is the province of a bank's account ID ("JS-CITY:…").
func pgProvinceOf(account string) testnet.Province {
	for _, p := range testnet.Provinces {
		if api.NamespaceOf(account) == testnet.Bank(p, "operator") {
			return p
		}
	}
	panic("e2e: no province's city bank owns " + account)
}

// pgEach runs fn(0…n-1) on at most workers goroutines and returns each
// call's error (asserting nothing: the caller checks).
func pgEach(n, workers int, fn func(i int) error) []error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// pgAmount is what line i of the joint programme's job pays: 20.00 to
// 26.02 yuan.
func pgAmount(i int) money.Amount { return money.Amount(2000 + (i%7)*100 + i%3) }

// TestProgramme runs issue 9's programme on the real network through the
// gateways: a joint programme of Shanghai, Jiangsu and Zhejiang (40/30/30),
// approved maker-checker and by every funder, two tranches approved the
// same way and funded from the bureaus' fiscal accounts, 1,000 customer
// accounts in three provinces paid in one disbursement job and followed to
// completion, recipients paying eligible grocers (released) and a bar
// (refused, nothing moves), passing funds on to another recipient
// (allowed) and to an Anhui customer (refused), and a clawback decision
// returning a holder's rest pro rata. Beside it, a small programme defined
// at the start with validUntil 60 s ahead is approved, funded, disbursed
// and spent from, then expires during the test (polled, not slept for):
// spends are refused and the sweep returns the rest pro rata. After every
// step the utilisation identity is checked against the test's own model,
// and the supply never moves.
func TestProgramme(t *testing.T) {
	t0 := time.Now()
	ctx := context.Background()
	w := newPGWorld(t)

	// Money: one mint into Shanghai's reserve (a decision of three
	// provinces' issuers), paid into two fiscal accounts of each bureau.
	iss := gw(t, shanghai, "issuer")
	reserve := bankID(shanghai, "issuer", "pg-reserve")
	gwOpen(t, iss, reserve, rest.KindReserve, "")
	gwMint(t, net, shanghai, "pg-mint", reserve, "330000")
	var treasuries []string
	for _, f := range pgFunders {
		for _, local := range []string{"pg-treasury", "pgx-treasury"} {
			treasuries = append(treasuries, bankID(f.p, "fiscal", local))
		}
	}
	blocks := make([]uint64, len(treasuries))
	errs := pgEach(len(treasuries), len(treasuries), func(i int) error {
		acct := treasuries[i]
		c := w.maker[pgFunders[i/2].p.Name]
		if _, err := c.OpenAccount(ctx, rest.OpenAccountRequest{ID: acct, Kind: rest.KindFiscal}); err != nil {
			return err
		}
		res, err := iss.Pay(ctx, pay(bankID(shanghai, "issuer", fmt.Sprintf("pg-fund-%d", i)), reserve, acct, "55000"))
		blocks[i] = res.BlockNumber
		return err
	})
	for i, err := range errs {
		require.NoError(t, err, "fund %s", treasuries[i])
		waitHeights(t, blocks[i]+1)
	}
	s, err := w.auditor.Supply(ctx)
	require.NoError(t, err)
	w.supply = s.Total
	t.Logf("set-up (mint, six fiscal accounts funded) in %s", time.Since(t0).Round(100*time.Millisecond))

	// The programme that expires within the test, defined first.
	until := time.Now().Add(pgExpiresIn).UTC().Truncate(time.Second)
	short := pgDefine(t, w, "pgx-prog", "pgx-treasury", &until, false)

	t.Run("tracks", func(t *testing.T) {
		t.Run("expiring programme", func(t *testing.T) {
			t.Parallel()
			pgExpiring(t, w, short.ID, until)
		})
		t.Run("joint programme", func(t *testing.T) {
			t.Parallel()
			pgJoint(t, w)
		})
	})
	if t.Failed() {
		return
	}
	requireBalancedSupply(t)
	s, err = w.auditor.Supply(ctx)
	require.NoError(t, err)
	require.Equal(t, w.supply, s.Total)
	t.Logf("TestProgramme took %s (load: %s)", time.Since(t0).Round(100*time.Millisecond), loadAvg())
}

// pgJoint is the joint programme of 1,000 recipients.
func pgJoint(t *testing.T, w *pgWorld) {
	ctx := context.Background()
	t0 := time.Now()
	var m pgModel

	// The recipients are opened by their banks while the bureaus approve
	// and fund (nothing of one touches the other).
	recipients := make([]string, pgRecipients)
	for i := range recipients {
		recipients[i] = bankID(pgFunders[i%3].p, "operator", fmt.Sprintf("pg-r%04d", i))
	}
	grocers, bars := map[string]string{}, map[string]string{}
	var shops []string
	for _, f := range pgFunders {
		grocers[f.p.Name] = bankID(f.p, "operator", "pg-grocer")
		bars[f.p.Name] = bankID(f.p, "operator", "pg-bar")
		shops = append(shops, grocers[f.p.Name])
	}
	outsider := bankID(anhui, "operator", "pg-outsider")
	type openResult struct {
		took time.Duration
		err  error
	}
	opened := make(chan openResult, 1)
	go func() {
		t1 := time.Now()
		err := errors.Join(
			pgOpenErr(w, recipients, rest.KindCustomer, ""),
			pgOpenErr(w, shops, rest.KindMerchant, merchantCategory),
			pgOpenErr(w, []string{bars[shanghai.Name], bars[jiangsu.Name], bars[zhejiang.Name]}, rest.KindMerchant, "5813"),
			pgOpenErr(w, []string{outsider}, rest.KindCustomer, ""))
		opened <- openResult{time.Since(t1), err}
	}()

	p := pgDefine(t, w, "pg-prog", "pg-treasury", nil, true)
	prog := p.ID
	pgActivate(t, w, prog)
	w.check(t, prog, m)
	pgTranche(t, w, prog, 1, "30000", "pg-treasury", &m)
	pgTranche(t, w, prog, 2, "20000", "pg-treasury", &m)
	t.Logf("joint: defined, approved and two tranches funded in %s", time.Since(t0).Round(100*time.Millisecond))
	o := <-opened
	require.NoError(t, o.err, "opening the recipients and shops")
	t.Logf("joint: %d recipients and 7 shops opened in %s", len(recipients), o.took.Round(100*time.Millisecond))

	// One job of 1,000 lines, followed to completion.
	job := bankID(shanghai, "fiscal", "pg-job-1")
	lines := make([]rest.DisbursementLine, len(recipients))
	var total money.Amount
	for i, r := range recipients {
		lines[i] = rest.DisbursementLine{Line: i + 1, Recipient: r, Amount: pgAmount(i)}
		total += pgAmount(i)
	}
	t1 := time.Now()
	maker := w.maker[shanghai.Name]
	j, err := maker.Disburse(ctx, prog, job, rest.DisbursementRequest{Lines: lines})
	require.NoError(t, err)
	require.Equal(t, len(lines), j.Lines)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	j, err = maker.WaitJob(wctx, prog, job, nil)
	require.NoError(t, err)
	require.Equal(t, rest.JobDone, j.Status, "job %+v", j)
	require.Equal(t, len(lines), j.Paid, "every line paid: %+v", j)
	require.Zero(t, j.Rejected)
	require.Equal(t, total, j.SettledAmount)
	t.Logf("joint: %d lines disbursed in %d transactions in %s", j.Paid, j.Batches, time.Since(t1).Round(100*time.Millisecond))
	m.disbursed += total
	w.check(t, prog, m)
	// Sending the job again pays nothing twice.
	again, err := maker.Disburse(ctx, prog, job, rest.DisbursementRequest{Lines: lines})
	require.NoError(t, err)
	require.Equal(t, rest.JobDone, again.Status)
	require.Equal(t, len(lines), again.Paid)
	// Each province's holders hold what their lines paid.
	byProvince := map[string]money.Amount{}
	for i := range recipients {
		byProvince[pgFunders[i%3].p.MSPID] += pgAmount(i)
	}
	u, err := w.auditor.Utilisation(ctx, prog, client.UtilisationQuery{By: rest.ByProvince})
	require.NoError(t, err)
	require.Len(t, u.Rows, 3)
	for _, r := range u.Rows {
		require.NotNil(t, r.Held)
		require.Equal(t, byProvince[r.Key], r.Disbursed, r.Key)
		require.Equal(t, byProvince[r.Key], *r.Held, r.Key)
	}
	for _, i := range []int{0, 1, 2, 998, 999} {
		require.Equal(t, pgAmount(i), w.holding(t, prog, recipients[i]), recipients[i])
	}

	// Recipients pay grocers (category 5411): released, plain money there.
	const buyers = 30
	five := money.MustParseYuan("5.00")
	shopBefore := map[string]money.Amount{}
	for _, g := range shops {
		shopBefore[g] = w.balanceOf(t, g)
	}
	spendBlocks := make([]uint64, buyers)
	errs := pgEach(buyers, buyers, func(i int) error {
		r := recipients[i]
		p := pgProvinceOf(r)
		res, err := w.op[p.Name].Spend(ctx, prog, rest.SpendRequest{PaymentID: bankID(p, "operator", fmt.Sprintf("pg-buy-%d", i)),
			From: r, To: grocers[p.Name], Amount: five})
		spendBlocks[i] = res.BlockNumber
		return err
	})
	for i, err := range errs {
		require.NoError(t, err, "spend by %s", recipients[i])
		waitHeights(t, spendBlocks[i]+1)
	}
	m.released += five * buyers
	for _, g := range shops {
		require.Equal(t, shopBefore[g]+five*buyers/3, w.balanceOf(t, g), "%s was paid", g)
		require.Zero(t, w.holding(t, prog, g), "%s holds no earmarked funds: released", g)
	}
	for i := range buyers {
		require.Equal(t, pgAmount(i)-five, w.holding(t, prog, recipients[i]), "%s's change stays earmarked", recipients[i])
	}
	w.check(t, prog, m)

	// A bar (5813) is no allowed payee: refused, nothing moves.
	for i := 0; i < 3; i++ {
		r := recipients[buyers+i]
		p := pgProvinceOf(r)
		_, err := w.op[p.Name].Spend(ctx, prog, rest.SpendRequest{PaymentID: bankID(p, "operator", fmt.Sprintf("pg-beer-%d", i)),
			From: r, To: bars[p.Name], Amount: five})
		apiErr(t, err, http.StatusUnprocessableEntity, string(api.CodePurposeNotAllowed))
		require.Equal(t, pgAmount(buyers+i), w.balanceOf(t, r), "%s unchanged", r)
		require.Zero(t, w.balanceOf(t, bars[p.Name]), "%s unchanged", bars[p.Name])
	}
	w.check(t, prog, m)

	// Passing funds on: to another eligible recipient (kept earmarked),
	// never to an account outside the programme's provinces.
	from, to := recipients[40], recipients[41] // Jiangsu to Zhejiang
	seven := money.MustParseYuan("7.00")
	jsOp := w.op[pgProvinceOf(from).Name]
	_, err = jsOp.Spend(ctx, prog, rest.SpendRequest{PaymentID: bankID(pgProvinceOf(from), "operator", "pg-out"), From: from, To: outsider, Amount: seven})
	apiErr(t, err, http.StatusUnprocessableEntity, string(api.CodePurposeNotAllowed))
	require.Zero(t, w.balanceOf(t, outsider))
	require.Equal(t, pgAmount(40), w.holding(t, prog, from))
	on, err := jsOp.Spend(ctx, prog, rest.SpendRequest{PaymentID: bankID(pgProvinceOf(from), "operator", "pg-on"), From: from, To: to, Amount: seven})
	settled(t, on, err)
	require.Equal(t, pgAmount(40)-seven, w.holding(t, prog, from))
	require.Equal(t, pgAmount(41)+seven, w.holding(t, prog, to), "the earmark travels with funds passed on")
	m.moved += seven
	w.check(t, prog, m)

	// A clawback decision: Shanghai's bureau proposes, the compliance of
	// the holder's province (Zhejiang) approves, the bureau executes; the
	// holder's rest goes back to the funders pro rata.
	holder := recipients[41]
	rest41 := pgAmount(41) + seven
	claw := bankID(shanghai, "fiscal", "pg-claw-1")
	proposed, err := maker.ProposeClawback(ctx, prog, rest.ClawbackRequest{ID: claw, Account: holder})
	settled(t, proposed, err)
	_, err = maker.ExecuteClawback(ctx, prog, claw, rest.ClawbackExecuteRequest{})
	apiErr(t, err, http.StatusConflict, string(api.CodeNotApproved))
	_, err = w.comp[jiangsu.Name].ApproveClawback(ctx, prog, claw)
	require.Error(t, err, "another province's compliance is no party")
	approved, err := w.comp[zhejiang.Name].ApproveClawback(ctx, prog, claw)
	cb := settled(t, approved, err)
	require.True(t, cb.Approved)
	before := make([]money.Amount, len(pgFunders))
	for i, f := range pgFunders {
		before[i] = w.balanceOf(t, bankID(f.p, "fiscal", "pg-treasury"))
	}
	executed, err := maker.ExecuteClawback(ctx, prog, claw, rest.ClawbackExecuteRequest{})
	rep := settled(t, executed, err)
	require.True(t, rep.Closed)
	require.Equal(t, rest41, rep.Amount)
	require.Zero(t, rep.Left)
	want := pgSplit(rest41)
	for i, f := range pgFunders {
		acct := bankID(f.p, "fiscal", "pg-treasury")
		require.Equal(t, before[i]+want[i], w.balanceOf(t, acct), "%s got its share of the clawback back", acct)
	}
	require.Zero(t, w.balanceOf(t, holder))
	m.clawed += rest41
	w.check(t, prog, m)
	t.Logf("joint: done in %s", time.Since(t0).Round(100*time.Millisecond))
}

// pgExpiring is the small programme whose validUntil passes during the
// test: three recipients, one spend, then expiry and the sweep.
func pgExpiring(t *testing.T, w *pgWorld, prog string, until time.Time) {
	ctx := context.Background()
	var m pgModel
	var rs []string
	for _, f := range pgFunders {
		rs = append(rs, bankID(f.p, "operator", "pgx-r"))
	}
	grocer := bankID(shanghai, "operator", "pgx-grocer")
	pgOpen(t, w, rs, rest.KindCustomer, "")
	pgOpen(t, w, []string{grocer}, rest.KindMerchant, merchantCategory)
	pgActivate(t, w, prog)
	pgTranche(t, w, prog, 1, "3000", "pgx-treasury", &m)

	maker := w.maker[shanghai.Name]
	amounts := []money.Amount{10001, 20002, 30003}
	lines := make([]rest.DisbursementLine, len(rs))
	for i, r := range rs {
		lines[i] = rest.DisbursementLine{Line: i + 1, Recipient: r, Amount: amounts[i]}
		m.disbursed += amounts[i]
	}
	job := bankID(shanghai, "fiscal", "pgx-job")
	_, err := maker.Disburse(ctx, prog, job, rest.DisbursementRequest{Lines: lines})
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	j, err := maker.WaitJob(wctx, prog, job, nil)
	require.NoError(t, err)
	require.Equal(t, rest.JobDone, j.Status, "job %+v (validUntil %s: did the set-up take that long?)", j, until)
	require.Equal(t, len(lines), j.Paid)
	w.check(t, prog, m)
	forty := money.MustParseYuan("40.00")
	bought, err := w.op[shanghai.Name].Spend(ctx, prog, rest.SpendRequest{PaymentID: bankID(shanghai, "operator", "pgx-buy"), From: rs[0], To: grocer, Amount: forty})
	settled(t, bought, err)
	m.released += forty
	w.check(t, prog, m)
	require.True(t, time.Now().Before(until), "the programme expired before the test could check its sweep is refused")
	_, err = maker.Sweep(ctx, prog, rest.SweepRequest{})
	apiErr(t, err, http.StatusConflict, string(api.CodeNotExpired))
	t.Logf("expiring: set up, disbursed and spent from; %s left before validUntil", time.Until(until).Round(time.Second))

	// Poll until the ledger's trusted time has passed validUntil: the
	// escrow's sweep is refused NOT_EXPIRED until then.
	before := make([]money.Amount, len(pgFunders))
	for i, f := range pgFunders {
		before[i] = w.balanceOf(t, bankID(f.p, "fiscal", "pgx-treasury"))
	}
	escrow := bankID(shanghai, "fiscal", "pgx-prog-escrow")
	var swept rest.ReturnReport
	deadline := until.Add(2 * time.Minute)
	for polls := 1; ; polls++ {
		res, err := maker.Sweep(ctx, prog, rest.SweepRequest{Accounts: []string{escrow}})
		var ae *client.Error
		if errors.As(err, &ae) && ae.Code == string(api.CodeNotExpired) && time.Now().Before(deadline) {
			time.Sleep(time.Second)
			continue
		}
		swept = settled(t, res, err)
		t.Logf("expiring: expired %s after validUntil (%d polls)", time.Since(until).Round(100*time.Millisecond), polls)
		break
	}
	require.False(t, time.Now().Before(until), "swept before validUntil by the wall clock")
	require.Equal(t, m.escrow(), swept.Amount)
	m.returned += swept.Amount
	m.fromEscrow += swept.Amount
	w.check(t, prog, m)
	// Expired: a holder's spend is refused, the escrow pays no new job.
	_, err = w.op[jiangsu.Name].Spend(ctx, prog, rest.SpendRequest{PaymentID: bankID(jiangsu, "operator", "pgx-late"), From: rs[1], To: grocer, Amount: forty})
	apiErr(t, err, http.StatusConflict, string(api.CodeOutsideWindow))
	held := m.held()
	all, err := maker.Sweep(ctx, prog, rest.SweepRequest{})
	rep := settled(t, all, err)
	require.Equal(t, held, rep.Amount, "the holders' rest")
	require.Zero(t, rep.Left)
	m.returned += rep.Amount
	w.check(t, prog, m)
	// Pro rata, each account's return on its own.
	want := make([]money.Amount, len(pgFunders))
	for _, r := range append(swept.Transactions, rep.Transactions...) {
		split := pgSplit(r.Amount)
		require.Len(t, r.Returned, len(pgFunders))
		for i := range pgFunders {
			require.Equal(t, split[i], r.Returned[i].Amount, "%s's return to funder %d", r.Account, i)
			want[i] += split[i]
		}
	}
	for i, f := range pgFunders {
		acct := bankID(f.p, "fiscal", "pgx-treasury")
		require.Equal(t, before[i]+want[i], w.balanceOf(t, acct), "%s got its share back", acct)
	}
	for _, r := range rs {
		require.Zero(t, w.holding(t, prog, r))
	}
	require.Equal(t, m.funded-forty, m.returned, "everything but what was released went back")
}
