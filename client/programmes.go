package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// Directional appropriation: earmarked programmes, their tranches,
// disbursement jobs, earmarked spends, utilisation, lineage, clawbacks
// and sweeps.

// DefineProgramme defines a programme as the calling fiscal bureau (the
// maker's approval counts).
func (c *Client) DefineProgramme(ctx context.Context, req rest.ProgrammeRequest) (rest.Committed[rest.Programme], error) {
	return write[rest.Programme](ctx, c, request{route: rest.DefineProgramme, body: req})
}

// DefineProgrammeAsync is DefineProgramme answered at once (202).
func (c *Client) DefineProgrammeAsync(ctx context.Context, req rest.ProgrammeRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.DefineProgramme, body: req})
}

// GetProgramme reads a programme, its approval rule, approvals and tranches.
func (c *Client) GetProgramme(ctx context.Context, id string) (rest.Programme, error) {
	return read[rest.Programme](ctx, c, request{route: rest.GetProgramme, ids: []string{id}})
}

// ApproveProgramme approves a programme as the caller; the last approval
// the rule needs activates it.
func (c *Client) ApproveProgramme(ctx context.Context, id string) (rest.Committed[rest.Programme], error) {
	return write[rest.Programme](ctx, c, request{route: rest.ApproveProgramme, ids: []string{id}})
}

// ApproveProgrammeAsync is ApproveProgramme answered at once (202).
func (c *Client) ApproveProgrammeAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ApproveProgramme, ids: []string{id}})
}

// ProposeTranche proposes a funding tranche of an active programme.
func (c *Client) ProposeTranche(ctx context.Context, programme string, req rest.TrancheRequest) (rest.Committed[rest.Tranche], error) {
	return write[rest.Tranche](ctx, c, request{route: rest.ProposeTranche, ids: []string{programme}, body: req})
}

// ProposeTrancheAsync is ProposeTranche answered at once (202).
func (c *Client) ProposeTrancheAsync(ctx context.Context, programme string, req rest.TrancheRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ProposeTranche, ids: []string{programme}, body: req})
}

// GetTranche reads tranche no of a programme: its approvals,
// contributions and each funder's share.
func (c *Client) GetTranche(ctx context.Context, programme string, no int) (rest.Tranche, error) {
	return read[rest.Tranche](ctx, c, request{route: rest.GetTranche, ids: []string{programme, strconv.Itoa(no)}})
}

// ApproveTranche approves tranche no of a programme as the caller.
func (c *Client) ApproveTranche(ctx context.Context, programme string, no int) (rest.Committed[rest.Tranche], error) {
	return write[rest.Tranche](ctx, c, request{route: rest.ApproveTranche, ids: []string{programme, strconv.Itoa(no)}})
}

// ApproveTrancheAsync is ApproveTranche answered at once (202).
func (c *Client) ApproveTrancheAsync(ctx context.Context, programme string, no int) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ApproveTranche, ids: []string{programme, strconv.Itoa(no)}})
}

// FundTranche pays the caller's bureau's share of an approved tranche into
// the escrow; with no inputs the gateway selects them.
func (c *Client) FundTranche(ctx context.Context, programme string, no int, req rest.FundRequest) (rest.Committed[rest.Tranche], error) {
	return write[rest.Tranche](ctx, c, request{route: rest.FundTranche, ids: []string{programme, strconv.Itoa(no)}, body: req})
}

// FundTrancheAsync is FundTranche answered at once (202).
func (c *Client) FundTrancheAsync(ctx context.Context, programme string, no int, req rest.FundRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.FundTranche, ids: []string{programme, strconv.Itoa(no)}, body: req})
}

// Disburse starts disbursement job (an ID "BUREAU:local") of a programme
// and returns it at once: a new job, or the existing one when the same job
// was sent before (sending it again is always safe: no line is paid twice).
// Follow it with Job or WaitJob.
func (c *Client) Disburse(ctx context.Context, programme, job string, req rest.DisbursementRequest) (rest.DisbursementJob, error) {
	return read[rest.DisbursementJob](ctx, c, request{route: rest.PutDisbursement, ids: []string{programme, job}, body: req})
}

// DisburseCSV is Disburse with the lines as CSV: "recipient,amount" rows,
// an optional header row; a line's number is its row number.
func (c *Client) DisburseCSV(ctx context.Context, programme, job string, csv []byte) (rest.DisbursementJob, error) {
	return read[rest.DisbursementJob](ctx, c, request{route: rest.PutDisbursement, ids: []string{programme, job},
		raw: append([]byte{}, csv...), contentType: "text/csv"})
}

// Job reads a disbursement job's progress (only its creator sees it).
func (c *Client) Job(ctx context.Context, programme, job string) (rest.DisbursementJob, error) {
	return read[rest.DisbursementJob](ctx, c, request{route: rest.GetDisbursement, ids: []string{programme, job}})
}

// WaitJob asks for a job every poll interval (see WithPollInterval) until
// it is done or failed, and returns it; progress, when not nil, sees each
// answer. Its error is the failure to ask or the context's end (with the
// job as last seen); a failed job is returned without error.
func (c *Client) WaitJob(ctx context.Context, programme, job string, progress func(rest.DisbursementJob)) (rest.DisbursementJob, error) {
	t := time.NewTicker(c.poll)
	defer t.Stop()
	var last rest.DisbursementJob
	for {
		j, err := c.Job(ctx, programme, job)
		if err != nil {
			return last, err
		}
		if progress != nil {
			progress(j)
		}
		if j.Status == rest.JobDone || j.Status == rest.JobFailed {
			return j, nil
		}
		last = j
		select {
		case <-ctx.Done():
			return last, transportError(ctx, rest.GetDisbursement.Method, rest.GetDisbursement.PathFor(programme, job), 0, ctx.Err())
		case <-t.C:
		}
	}
}

// JobLinesQuery selects a page of a job's lines, of one status when
// Status is set (rest.LinePending, LinePaid, LineAlreadyPaid, LineRejected).
type JobLinesQuery struct {
	Status string
	Page
}

func (q JobLinesQuery) query() url.Values {
	v := q.Page.query()
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	return v
}

// JobLines reads one page of a job's lines and their outcomes, in line
// order.
func (c *Client) JobLines(ctx context.Context, programme, job string, q JobLinesQuery) (rest.JobLinePage, error) {
	return read[rest.JobLinePage](ctx, c, request{route: rest.ListJobLines, ids: []string{programme, job}, query: q.query()})
}

// AllJobLines pages through a job's lines from q's bookmark, stopping at
// the first error, which it yields.
func (c *Client) AllJobLines(ctx context.Context, programme, job string, q JobLinesQuery) iter.Seq2[rest.JobLine, error] {
	return pages(rest.ListJobLines, q.Bookmark, func(bookmark string) ([]rest.JobLine, string, error) {
		page := q
		page.Bookmark = bookmark
		p, err := c.JobLines(ctx, programme, job, page)
		return p.Lines, p.Bookmark, err
	})
}

// Spend pays with the payer's funds earmarked for the programme, under
// its rules; the payment ID is the idempotency key.
func (c *Client) Spend(ctx context.Context, programme string, req rest.SpendRequest) (rest.Committed[rest.Payment], error) {
	return write[rest.Payment](ctx, c, request{route: rest.CreateSpend, ids: []string{programme}, body: req})
}

// SpendAsync is Spend answered at once (202).
func (c *Client) SpendAsync(ctx context.Context, programme string, req rest.SpendRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreateSpend, ids: []string{programme}, body: req})
}

// UtilisationQuery groups a programme's utilisation (By: rest.ByTotal,
// ByTranche, ByProvince, ByRecipient; "" is total) and selects a page of
// its rows.
type UtilisationQuery struct {
	By string
	Page
}

// Utilisation reads a programme's utilisation: the total with the identity
// check, and one page of rows.
func (c *Client) Utilisation(ctx context.Context, programme string, q UtilisationQuery) (rest.Utilisation, error) {
	v := q.Page.query()
	if q.By != "" {
		v.Set("by", q.By)
	}
	return read[rest.Utilisation](ctx, c, request{route: rest.GetUtilisation, ids: []string{programme}, query: v})
}

// Lineage traces an earmarked output of account back to its disbursement.
func (c *Client) Lineage(ctx context.Context, programme, account, output string) (rest.Lineage, error) {
	return read[rest.Lineage](ctx, c, request{route: rest.GetLineage, ids: []string{programme},
		query: url.Values{"account": {account}, "output": {output}}})
}

// Holdings reads one page of an account's outputs earmarked for the
// programme.
func (c *Client) Holdings(ctx context.Context, programme, account string, p Page) (rest.OutputPage, error) {
	return read[rest.OutputPage](ctx, c, request{route: rest.ListHoldings, ids: []string{programme, account}, query: p.query()})
}

// ProposeClawback proposes to claw a holder's earmarked funds back.
func (c *Client) ProposeClawback(ctx context.Context, programme string, req rest.ClawbackRequest) (rest.Committed[rest.Clawback], error) {
	return write[rest.Clawback](ctx, c, request{route: rest.ProposeClawback, ids: []string{programme}, body: req})
}

// ProposeClawbackAsync is ProposeClawback answered at once (202).
func (c *Client) ProposeClawbackAsync(ctx context.Context, programme string, req rest.ClawbackRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ProposeClawback, ids: []string{programme}, body: req})
}

// GetClawback reads a clawback and its approvals (the owner bureau, the
// compliance of the holder's province, auditors).
func (c *Client) GetClawback(ctx context.Context, programme, id string) (rest.Clawback, error) {
	return read[rest.Clawback](ctx, c, request{route: rest.GetClawback, ids: []string{programme, id}})
}

// ApproveClawback approves a clawback as the caller (the compliance of the
// holder's province).
func (c *Client) ApproveClawback(ctx context.Context, programme, id string) (rest.Committed[rest.Clawback], error) {
	return write[rest.Clawback](ctx, c, request{route: rest.ApproveClawback, ids: []string{programme, id}})
}

// ApproveClawbackAsync is ApproveClawback answered at once (202).
func (c *Client) ApproveClawbackAsync(ctx context.Context, programme, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ApproveClawback, ids: []string{programme, id}})
}

// ExecuteClawback returns an approved clawback's funds to the funders, run
// after run until the holder has none left (the report's closed) or the
// gateway's bound of runs is reached (left; call again to continue). The
// request's account is optional.
func (c *Client) ExecuteClawback(ctx context.Context, programme, id string, req rest.ClawbackExecuteRequest) (rest.Committed[rest.ReturnReport], error) {
	return write[rest.ReturnReport](ctx, c, request{route: rest.ExecuteClawback, ids: []string{programme, id}, body: req})
}

// ExecuteClawbackAsync is ExecuteClawback answered at once (202).
func (c *Client) ExecuteClawbackAsync(ctx context.Context, programme, id string, req rest.ClawbackExecuteRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ExecuteClawback, ids: []string{programme, id}, body: req})
}

// Sweep returns an expired programme's earmarked funds to the funders:
// the accounts named, or the escrow and every recipient. Safe to repeat.
func (c *Client) Sweep(ctx context.Context, programme string, req rest.SweepRequest) (rest.Committed[rest.ReturnReport], error) {
	return write[rest.ReturnReport](ctx, c, request{route: rest.SweepProgramme, ids: []string{programme}, body: req})
}

// SweepAsync is Sweep answered at once (202); sweeps of many holders take
// long.
func (c *Client) SweepAsync(ctx context.Context, programme string, req rest.SweepRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.SweepProgramme, ids: []string{programme}, body: req})
}
