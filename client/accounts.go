package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// OpenAccount opens an account owned by the caller's province. The
// customer reference travels to the chaincode as transient data: only its
// salted hash is stored.
func (c *Client) OpenAccount(ctx context.Context, req rest.OpenAccountRequest) (rest.Committed[rest.Account], error) {
	return write[rest.Account](ctx, c, request{route: rest.OpenAccount, body: req})
}

// OpenAccountAsync is OpenAccount answered at once (202).
func (c *Client) OpenAccountAsync(ctx context.Context, req rest.OpenAccountRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.OpenAccount, body: req})
}

// GetAccount reads an account record.
func (c *Client) GetAccount(ctx context.Context, id string) (rest.Account, error) {
	return read[rest.Account](ctx, c, request{route: rest.GetAccount, ids: []string{id}})
}

// Balance reads an account's balance: the sum of its unspent outputs.
func (c *Client) Balance(ctx context.Context, id string) (rest.Balance, error) {
	return read[rest.Balance](ctx, c, request{route: rest.GetBalance, ids: []string{id}})
}

// Page selects one page of a paged list.
type Page struct {
	// Size is the page size, 1 to rest.MaxPageSize; 0 lets the gateway
	// choose.
	Size int
	// Bookmark is the previous page's bookmark, passed back unchanged; ""
	// asks for the first page.
	Bookmark string
}

func (p Page) query() url.Values {
	q := url.Values{}
	if p.Size != 0 {
		q.Set("pageSize", strconv.Itoa(p.Size))
	}
	if p.Bookmark != "" {
		q.Set("bookmark", p.Bookmark)
	}
	return q
}

// ListOutputs reads one page of an account's unspent outputs. An empty
// bookmark in the answer means there are no more pages.
func (c *Client) ListOutputs(ctx context.Context, account string, p Page) (rest.OutputPage, error) {
	return read[rest.OutputPage](ctx, c, request{route: rest.ListOutputs, ids: []string{account}, query: p.query()})
}

// AllOutputs pages through all of an account's unspent outputs, pageSize
// at a time (0: the gateway's default), stopping at the first error, which
// it yields. Breaking out of the loop stops the paging.
func (c *Client) AllOutputs(ctx context.Context, account string, pageSize int) iter.Seq2[rest.Output, error] {
	return pages(rest.ListOutputs, "", func(bookmark string) ([]rest.Output, string, error) {
		p, err := c.ListOutputs(ctx, account, Page{Size: pageSize, Bookmark: bookmark})
		return p.Outputs, p.Bookmark, err
	})
}

// StatementQuery selects statement entries with timestamps in [From, To).
type StatementQuery struct {
	// From defaults (zero) to 24 hours before To; To (exclusive) to now.
	From, To time.Time
	Page
}

func (s StatementQuery) query() url.Values {
	q := s.Page.query()
	if !s.From.IsZero() {
		q.Set("from", s.From.UTC().Format(time.RFC3339Nano))
	}
	if !s.To.IsZero() {
		q.Set("to", s.To.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// Statement reads one page of an account's statement.
func (c *Client) Statement(ctx context.Context, account string, q StatementQuery) (rest.StatementPage, error) {
	return read[rest.StatementPage](ctx, c, request{route: rest.GetStatement, ids: []string{account}, query: q.query()})
}

// AllStatementEntries pages through an account's statement entries in
// q's window, starting at q.Bookmark, stopping at the first error, which it
// yields.
func (c *Client) AllStatementEntries(ctx context.Context, account string, q StatementQuery) iter.Seq2[rest.StatementEntry, error] {
	return pages(rest.GetStatement, q.Bookmark, func(bookmark string) ([]rest.StatementEntry, string, error) {
		page := q
		page.Bookmark = bookmark
		p, err := c.Statement(ctx, account, page)
		return p.Entries, p.Bookmark, err
	})
}

// pages iterates a paged list of route from the page at start: next reads
// the page at a bookmark. A gateway answering the bookmark it was sent
// would loop forever; that is refused as a bad response.
func pages[T any](route rest.Route, start string, next func(bookmark string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		bookmark := start
		for {
			items, nextBookmark, err := next(bookmark)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if nextBookmark == "" {
				return
			}
			if nextBookmark == bookmark {
				yield(zero, clientError(CodeBadResponse, route.Method, route.Path, nil,
					"%s: the gateway answered the bookmark it was sent; paging would not end", route.Name))
				return
			}
			bookmark = nextBookmark
		}
	}
}

// Freeze freezes an account: it can neither send nor receive.
func (c *Client) Freeze(ctx context.Context, id string, req rest.FreezeRequest) (rest.Committed[rest.Account], error) {
	return write[rest.Account](ctx, c, request{route: rest.FreezeAccount, ids: []string{id}, body: req})
}

// FreezeAsync is Freeze answered at once (202).
func (c *Client) FreezeAsync(ctx context.Context, id string, req rest.FreezeRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.FreezeAccount, ids: []string{id}, body: req})
}

// Unfreeze makes a frozen account active again.
func (c *Client) Unfreeze(ctx context.Context, id string) (rest.Committed[rest.Account], error) {
	return write[rest.Account](ctx, c, request{route: rest.UnfreezeAccount, ids: []string{id}})
}

// UnfreezeAsync is Unfreeze answered at once (202).
func (c *Client) UnfreezeAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.UnfreezeAccount, ids: []string{id}})
}

// CloseAccount closes an account with a zero balance for good.
func (c *Client) CloseAccount(ctx context.Context, id string) (rest.Committed[rest.Account], error) {
	return write[rest.Account](ctx, c, request{route: rest.CloseAccount, ids: []string{id}})
}

// CloseAccountAsync is CloseAccount answered at once (202).
func (c *Client) CloseAccountAsync(ctx context.Context, id string) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CloseAccount, ids: []string{id}})
}

// Merge consolidates outputs of an account into one; with no inputs the
// gateway picks up to MaxInputs of the smallest unlocked outputs.
func (c *Client) Merge(ctx context.Context, account string, req rest.MergeRequest) (rest.Committed[rest.Merge], error) {
	return write[rest.Merge](ctx, c, request{route: rest.MergeOutputs, ids: []string{account}, body: req})
}

// MergeAsync is Merge answered at once (202).
func (c *Client) MergeAsync(ctx context.Context, account string, req rest.MergeRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.MergeOutputs, ids: []string{account}, body: req})
}
