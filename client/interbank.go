package client

import (
	"context"
	"iter"
	"net/url"

	"github.com/yangtze-delta/settlement/rest"
)

// Interbank settlement (/v1/interbank): transfers between banks'
// settlement accounts, settled gross on arrival when covered, queued
// otherwise and settled later in liquidity-saving cycles.

// SendTransfer sends an interbank transfer. The answer's status is
// settled (gross, at once) or queued. The transfer ID is the idempotency
// key: a repeat answers DUPLICATE_PAYMENT (same body) or PAYMENT_ID_REUSED
// (different body), with the stored transfer in Error.Transfer.
func (c *Client) SendTransfer(ctx context.Context, req rest.InterbankTransferRequest) (rest.Committed[rest.InterbankTransfer], error) {
	return write[rest.InterbankTransfer](ctx, c, request{route: rest.SendInterbankTransfer, body: req})
}

// SendTransferAsync is SendTransfer answered at once (202).
func (c *Client) SendTransferAsync(ctx context.Context, req rest.InterbankTransferRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.SendInterbankTransfer, body: req})
}

// GetTransfer reads an interbank transfer (the payer's and payee's banks).
func (c *Client) GetTransfer(ctx context.Context, id string) (rest.InterbankTransfer, error) {
	return read[rest.InterbankTransfer](ctx, c, request{route: rest.GetInterbankTransfer, ids: []string{id}})
}

// CancelTransfer cancels a queued or held transfer (NOT_QUEUED otherwise).
func (c *Client) CancelTransfer(ctx context.Context, id string) (rest.Committed[rest.InterbankTransfer], error) {
	return write[rest.InterbankTransfer](ctx, c, request{route: rest.CancelInterbankTransfer, ids: []string{id}})
}

// CancelTransferAsync is CancelTransfer answered at once (202).
func (c *Client) CancelTransferAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CancelInterbankTransfer, ids: []string{id}})
}

// HoldTransfer takes a queued transfer out of settlement until released.
func (c *Client) HoldTransfer(ctx context.Context, id string) (rest.Committed[rest.InterbankTransfer], error) {
	return write[rest.InterbankTransfer](ctx, c, request{route: rest.HoldInterbankTransfer, ids: []string{id}})
}

// HoldTransferAsync is HoldTransfer answered at once (202).
func (c *Client) HoldTransferAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.HoldInterbankTransfer, ids: []string{id}})
}

// ReleaseTransfer puts a held transfer back in the queue at its place.
func (c *Client) ReleaseTransfer(ctx context.Context, id string) (rest.Committed[rest.InterbankTransfer], error) {
	return write[rest.InterbankTransfer](ctx, c, request{route: rest.ReleaseInterbankTransfer, ids: []string{id}})
}

// ReleaseTransferAsync is ReleaseTransfer answered at once (202).
func (c *Client) ReleaseTransferAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ReleaseInterbankTransfer, ids: []string{id}})
}

// ReprioritiseTransfer changes a waiting transfer's priority
// (rest.PriorityUrgent or rest.PriorityNormal).
func (c *Client) ReprioritiseTransfer(ctx context.Context, id, priority string) (rest.Committed[rest.InterbankTransfer], error) {
	return write[rest.InterbankTransfer](ctx, c, request{route: rest.ReprioritiseInterbankTransfer, ids: []string{id},
		body: rest.PriorityRequest{Priority: priority}})
}

// ReprioritiseTransferAsync is ReprioritiseTransfer answered at once (202).
func (c *Client) ReprioritiseTransferAsync(ctx context.Context, id, priority string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.ReprioritiseInterbankTransfer, ids: []string{id},
		body: rest.PriorityRequest{Priority: priority}})
}

// Remittance reads a transfer's remittance details (the payer's and
// payee's banks, through a gateway of either bank's province).
func (c *Client) Remittance(ctx context.Context, id string) (rest.Remittance, error) {
	return read[rest.Remittance](ctx, c, request{route: rest.GetInterbankRemittance, ids: []string{id}})
}

// Queue reads one page of waiting transfers in queue order: account's
// ("" for every bank's: issuers and auditors).
func (c *Client) Queue(ctx context.Context, account string, p Page) (rest.InterbankTransferPage, error) {
	q := p.query()
	if account != "" {
		q.Set("account", account)
	}
	return read[rest.InterbankTransferPage](ctx, c, request{route: rest.ListInterbankQueue, query: q})
}

// AllQueued pages through the waiting transfers of account ("" for every
// bank's), stopping at the first error, which it yields.
func (c *Client) AllQueued(ctx context.Context, account string, pageSize int) iter.Seq2[rest.InterbankTransfer, error] {
	return pages(rest.ListInterbankQueue, "", func(bookmark string) ([]rest.InterbankTransfer, string, error) {
		p, err := c.Queue(ctx, account, Page{Size: pageSize, Bookmark: bookmark})
		return p.Transfers, p.Bookmark, err
	})
}

// RunCycle runs one liquidity-saving cycle now (the province's issuer).
// The answer's status is settled or nothing_to_settle.
func (c *Client) RunCycle(ctx context.Context) (rest.CycleRun, error) {
	return read[rest.CycleRun](ctx, c, request{route: rest.RunInterbankCycle})
}

// dateQuery is ?date= when date is set.
func dateQuery(q url.Values, date string) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if date != "" {
		q.Set("date", date)
	}
	return q
}

// Position reads a settlement account's position on a business date
// ("2006-01-02"; "" for today).
func (c *Client) Position(ctx context.Context, account, date string) (rest.BankPosition, error) {
	return read[rest.BankPosition](ctx, c, request{route: rest.GetInterbankPosition, ids: []string{account}, query: dateQuery(nil, date)})
}

// InterbankStatement reads a settlement account's position and one page
// of its statement entries of a business date ("" for today by the
// gateway's clock).
func (c *Client) InterbankStatement(ctx context.Context, account, date string, p Page) (rest.InterbankStatement, error) {
	return read[rest.InterbankStatement](ctx, c, request{route: rest.GetInterbankStatement, ids: []string{account}, query: dateQuery(p.query(), date)})
}

// DayTransfers reads one page of a value date's transfers, whatever their
// status.
func (c *Client) DayTransfers(ctx context.Context, date string, p Page) (rest.InterbankTransferPage, error) {
	return read[rest.InterbankTransferPage](ctx, c, request{route: rest.ListInterbankDay, ids: []string{date}, query: p.query()})
}

// AllDayTransfers pages through a value date's transfers, stopping at the
// first error, which it yields.
func (c *Client) AllDayTransfers(ctx context.Context, date string, pageSize int) iter.Seq2[rest.InterbankTransfer, error] {
	return pages(rest.ListInterbankDay, "", func(bookmark string) ([]rest.InterbankTransfer, string, error) {
		p, err := c.DayTransfers(ctx, date, Page{Size: pageSize, Bookmark: bookmark})
		return p.Transfers, p.Bookmark, err
	})
}

// Reconcile reconciles a value date over every transfer the caller may
// see (DAY_TOO_LARGE beyond the gateway's limit).
func (c *Client) Reconcile(ctx context.Context, date string) (rest.Reconciliation, error) {
	return read[rest.Reconciliation](ctx, c, request{route: rest.ReconcileInterbankDay, ids: []string{date}})
}

// CloseDay closes a business day after its end (the province's issuer):
// DAY_OPEN before; safe to repeat.
func (c *Client) CloseDay(ctx context.Context, date string) (rest.DayClose, error) {
	return read[rest.DayClose](ctx, c, request{route: rest.CloseInterbankDay, ids: []string{date}})
}

// Calendar reads the business calendar.
func (c *Client) Calendar(ctx context.Context) (rest.Calendar, error) {
	return read[rest.Calendar](ctx, c, request{route: rest.GetInterbankCalendar})
}

// Transfer is the stored interbank transfer a DUPLICATE_PAYMENT (same
// body) or PAYMENT_ID_REUSED (different body) answer to SendTransfer
// carries.
func (e *Error) Transfer() (rest.InterbankTransfer, bool) {
	var t rest.InterbankTransfer
	return t, e.Detail(rest.DetailTransfer, &t)
}
