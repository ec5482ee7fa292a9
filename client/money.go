package client

import (
	"context"

	"github.com/yangtze-delta/settlement/rest"
)

// Mint issues new tokens into a reserve account against a reserve
// reference; the mint ID is the idempotency key.
func (c *Client) Mint(ctx context.Context, req rest.MintRequest) (rest.Committed[rest.Mint], error) {
	return write[rest.Mint](ctx, c, request{route: rest.CreateMint, body: req})
}

// MintAsync is Mint answered at once (202).
func (c *Client) MintAsync(ctx context.Context, req rest.MintRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreateMint, body: req})
}

// Redeem burns tokens of a reserve account back to fiat; with no inputs the
// gateway selects them.
func (c *Client) Redeem(ctx context.Context, req rest.RedeemRequest) (rest.Committed[rest.Redemption], error) {
	return write[rest.Redemption](ctx, c, request{route: rest.CreateRedemption, body: req})
}

// RedeemAsync is Redeem answered at once (202).
func (c *Client) RedeemAsync(ctx context.Context, req rest.RedeemRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreateRedemption, body: req})
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
