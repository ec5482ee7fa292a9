package client

import (
	"context"

	"github.com/yangtze-delta/settlement/rest"
)

// Propose records a proposal (a mint, a redemption, an issuance ceiling,
// a configuration change); the proposer's province counts as its first
// approval. Nothing happens until issuers (admins, for configuration) of a
// quorum of provinces approved and one executes it.
func (c *Client) Propose(ctx context.Context, req rest.ProposalRequest) (rest.Committed[rest.Proposal], error) {
	return write[rest.Proposal](ctx, c, request{route: rest.CreateProposal, body: req})
}

// ProposeAsync is Propose answered at once (202).
func (c *Client) ProposeAsync(ctx context.Context, req rest.ProposalRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreateProposal, body: req})
}

// GetProposal reads a proposal and its approvals.
func (c *Client) GetProposal(ctx context.Context, id string) (rest.Proposal, error) {
	return read[rest.Proposal](ctx, c, request{route: rest.GetProposal, ids: []string{id}})
}

// Approve records the caller's approval of a proposal.
func (c *Client) Approve(ctx context.Context, id string) (rest.Committed[rest.Proposal], error) {
	return write[rest.Proposal](ctx, c, request{route: rest.ApproveProposal, ids: []string{id}})
}

// ApproveAsync is Approve answered at once (202).
func (c *Client) ApproveAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ApproveProposal, ids: []string{id}})
}

// Execute carries out an approved proposal, once (NOT_APPROVED before the
// rule holds, PROPOSAL_CLOSED after). A redemption's inputs are selected by
// the gateway when req names none.
func (c *Client) Execute(ctx context.Context, id string, req rest.ExecuteRequest) (rest.Committed[rest.Execution], error) {
	return write[rest.Execution](ctx, c, request{route: rest.ExecuteProposal, ids: []string{id}, body: req})
}

// ExecuteAsync is Execute answered at once (202).
func (c *Client) ExecuteAsync(ctx context.Context, id string, req rest.ExecuteRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ExecuteProposal, ids: []string{id}, body: req})
}

// Cancel withdraws a pending proposal (its proposing province).
func (c *Client) Cancel(ctx context.Context, id string) (rest.Committed[rest.Proposal], error) {
	return write[rest.Proposal](ctx, c, request{route: rest.CancelProposal, ids: []string{id}})
}

// CancelAsync is Cancel answered at once (202).
func (c *Client) CancelAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CancelProposal, ids: []string{id}})
}

// Ceiling reads a province's issuance ceiling and what it issued.
func (c *Client) Ceiling(ctx context.Context, msp string) (rest.Ceiling, error) {
	return read[rest.Ceiling](ctx, c, request{route: rest.GetCeiling, ids: []string{msp}})
}

// Pay settles one payment and answers after its commit. The payment ID is
// the idempotency key: a repeat with the same body fails with
// DUPLICATE_PAYMENT (409), with a different body PAYMENT_ID_REUSED (422);
// both carry the stored payment (Error.Payment).
func (c *Client) Pay(ctx context.Context, req rest.PaymentRequest) (rest.Committed[rest.Payment], error) {
	return write[rest.Payment](ctx, c, request{route: rest.CreatePayment, body: req})
}

// PayAsync is Pay answered at once (202); see WaitOperation.
func (c *Client) PayAsync(ctx context.Context, req rest.PaymentRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreatePayment, body: req})
}

// GetPayment reads a payment record.
func (c *Client) GetPayment(ctx context.Context, id string) (rest.Payment, error) {
	return read[rest.Payment](ctx, c, request{route: rest.GetPayment, ids: []string{id}})
}

// PayBatch settles up to rest.MaxBatchItems payments in one transaction,
// each on its own: the answer has one result per item. When every item was
// refused the call fails with BATCH_REJECTED, whose Error.BatchResults say
// why; nothing changed.
func (c *Client) PayBatch(ctx context.Context, req rest.BatchRequest) (rest.Committed[rest.BatchResult], error) {
	return write[rest.BatchResult](ctx, c, request{route: rest.CreatePaymentBatch, body: req})
}

// PayBatchAsync is PayBatch answered at once (202).
func (c *Client) PayBatchAsync(ctx context.Context, req rest.BatchRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreatePaymentBatch, body: req})
}

// Supply reads the total of tokens in circulation.
func (c *Client) Supply(ctx context.Context) (rest.Supply, error) {
	return read[rest.Supply](ctx, c, request{route: rest.GetSupply})
}

// AuditSupply compares the supply with the sum of every unspent output (a
// full scan: slow).
func (c *Client) AuditSupply(ctx context.Context) (rest.SupplyAudit, error) {
	return read[rest.SupplyAudit](ctx, c, request{route: rest.AuditSupply})
}
