package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// fiscalUsers are Shanghai's fiscal bureau's maker and checker, who define,
// approve, fund and disburse the programmes of gw:earmarked and Disburse.
var fiscalUsers = []string{"fiscal", "fiscal2"}

// loadFiscalClients adds clients of Shanghai's fiscal maker and checker to
// g (once).
func (g *gwClient) loadFiscalClients() error {
	sh := province(0)
	for _, u := range fiscalUsers {
		if g.as(sh, u) != nil {
			continue
		}
		c, err := g.net.GatewayClient(sh, u, client.WithHTTPClient(g.http), client.WithTimeout(g.timeout), client.WithPollInterval(250*time.Millisecond))
		if err != nil {
			return fmt.Errorf("gateway client of %s/%s: %w", sh.Name, u, err)
		}
		g.clients[sh.Name+"/"+u] = c
	}
	return nil
}

// programmeOf is a programme of Shanghai's bureau alone made for a
// measurement: active, one tranche of amount funded from the bureau's
// fiscal account treasury (which holds at least that much), eligible
// recipients every merchant of any province, allowed payees merchants of
// the scenarios' category (merchantCategory), released there.
func (g *gwClient) programmeOf(ctx context.Context, tag, treasury string, amount money.Amount) (string, error) {
	sh := province(0)
	maker, checker := g.as(sh, "fiscal"), g.as(sh, "fiscal2")
	today := api.BusinessDate(time.Now())
	tomorrow := time.Now().In(api.BusinessZone).AddDate(0, 0, 1).Format("2006-01-02")
	id := bankID(sh, "fiscal", tag+"-prog")
	_, err := maker.DefineProgramme(ctx, rest.ProgrammeRequest{ID: id, Name: "yrd-bench " + tag, Purposes: []string{"BENCH"},
		Funders: []rest.Funder{{MSP: sh.MSPID, Bureau: testnet.Bank(sh, "fiscal"), Account: treasury, Share: api.SharesTotal}},
		Escrow:  bankID(sh, "fiscal", tag+"-escrow"), Budget: amount, ValidFrom: today, ValidTo: tomorrow,
		Eligibility: rest.Eligibility{Kinds: []string{rest.KindMerchant}},
		Spending:    rest.SpendingRules{PayeeCategories: []string{merchantCategory}}, Release: rest.ReleaseAtTerminal})
	if err != nil {
		return "", fmt.Errorf("define %s: %w", id, err)
	}
	// Each step runs at Shanghai's gateway, whose peer committed the one
	// before.
	if _, err := checker.ApproveProgramme(ctx, id); err != nil {
		return "", fmt.Errorf("approve %s: %w", id, err)
	}
	if _, err := maker.ProposeTranche(ctx, id, rest.TrancheRequest{No: 1, Amount: amount, Date: today}); err != nil {
		return "", fmt.Errorf("tranche of %s: %w", id, err)
	}
	if _, err := checker.ApproveTranche(ctx, id, 1); err != nil {
		return "", fmt.Errorf("approve the tranche of %s: %w", id, err)
	}
	if _, err := maker.FundTranche(ctx, id, 1, rest.FundRequest{}); err != nil {
		return "", fmt.Errorf("fund the tranche of %s: %w", id, err)
	}
	return id, nil
}

// disburseJob runs one disbursement job to its end at Shanghai's gateway
// and returns it; an error when it did not pay every line.
func (g *gwClient) disburseJob(ctx context.Context, prog, job string, lines []rest.DisbursementLine) (rest.DisbursementJob, error) {
	maker := g.as(province(0), "fiscal")
	if _, err := maker.Disburse(ctx, prog, job, rest.DisbursementRequest{Lines: lines}); err != nil {
		return rest.DisbursementJob{}, fmt.Errorf("job %s: %w", job, err)
	}
	j, err := maker.WaitJob(ctx, prog, job, nil)
	if err != nil {
		return j, fmt.Errorf("job %s: %w", job, err)
	}
	if j.Status != rest.JobDone || j.Paid+j.AlreadyPaid != len(lines) {
		msg := ""
		if j.Error != nil {
			msg = ": " + j.Error.Code + " " + j.Error.Message
		}
		return j, fmt.Errorf("job %s %s with %d of %d lines paid, %d rejected%s", job, j.Status, j.Paid+j.AlreadyPaid, len(lines), j.Rejected, msg)
	}
	return j, nil
}

// earmarkedSetup is gw:earmarked: the shape of gw:distinct (each worker
// its own payer and payee, provinces round robin, payee in the payer's
// province), but the payers are a programme's recipients and pay with
// their earmarked funds (POST /v1/programmes/{id}/spends) at merchants the
// programme allows, where the earmark is released. Set-up: Shanghai's
// bureau funds its fiscal account from the run's reserve, defines the
// programme (maker, checker), funds one tranche and disburses fundAmount
// to every payer in one job.
func earmarkedSetup(ctx context.Context, r *runner, tag string) (opFunc, error) {
	if err := r.gw.loadFiscalClients(); err != nil {
		return nil, err
	}
	n := r.cfg.Concurrency
	sh := province(0)
	payer := make([]string, n)
	payee := make([]string, n)
	prov := make([]testnet.Province, n)
	treasury := bankID(sh, "fiscal", tag+"-treasury")
	accts := []account{{treasury, sh, "fiscal", rest.KindFiscal}}
	for w := 0; w < n; w++ {
		prov[w] = province(w)
		payer[w] = bankID(prov[w], "operator", fmt.Sprintf("%s-a%d", tag, w))
		payee[w] = bankID(prov[w], "operator", fmt.Sprintf("%s-b%d", tag, w))
		accts = append(accts, account{payer[w], prov[w], "operator", rest.KindMerchant}, account{payee[w], prov[w], "operator", rest.KindMerchant})
	}
	if err := r.openAccounts(ctx, accts); err != nil {
		return nil, err
	}
	total, err := money.MulDiv(fundAmount, int64(n), 1)
	if err != nil {
		return nil, err
	}
	if _, err := r.gw.pay(ctx, sh, "issuer", rest.PaymentRequest{PaymentID: bankID(sh, "issuer", tag+"-fund"),
		From: r.reserves[sh.MSPID], To: treasury, Amount: total}); err != nil {
		return nil, fmt.Errorf("fund %s: %w", treasury, err)
	}
	prog, err := r.gw.programmeOf(ctx, tag, treasury, total)
	if err != nil {
		return nil, err
	}
	lines := make([]rest.DisbursementLine, n)
	for w := range lines {
		lines[w] = rest.DisbursementLine{Line: w + 1, Recipient: payer[w], Amount: fundAmount}
	}
	if _, err := r.gw.disburseJob(ctx, prog, bankID(sh, "fiscal", tag+"-job"), lines); err != nil {
		return nil, err
	}
	return func(ctx context.Context, w, seq int) outcome {
		c, err := r.gw.as(prov[w], "operator").Spend(ctx, prog, rest.SpendRequest{
			PaymentID: bankID(prov[w], "operator", fmt.Sprintf("%s-w%d-%d", tag, w, seq)), From: payer[w], To: payee[w], Amount: payAmount})
		if err != nil {
			return outcome{code: gwCode(err)}
		}
		return outcome{txs: 1, payments: 1, txID: c.TxID}
	}, nil
}
