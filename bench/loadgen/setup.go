package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// Setup helpers. Everything here goes through the gateways (they select
// inputs and retry conflicts), except listing outputs, which the SDK
// scenarios need as IDs.

// parallel runs fn(i) for i in [0, n) with at most limit at once and
// returns the first error.
func parallel(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// the parent ended
		return ctx.Err()
	}
	return first
}

type account struct {
	id   string
	prov testnet.Province
	kind string
}

func (r *runner) openAccounts(ctx context.Context, accts []account) error {
	return parallel(ctx, len(accts), 16, func(ctx context.Context, i int) error {
		a := accts[i]
		if err := r.gw.openAccount(ctx, a.prov, a.id, a.kind); err != nil {
			return fmt.Errorf("open %s in %s: %w", a.id, a.prov.Name, err)
		}
		return nil
	})
}

// mint issues amount into reserve (an open reserve account of p).
//
// Mints run one at a time: every Mint rewrites the supply key and its
// key-level endorsement policy, and Fabric invalidates a transaction
// touching a key whose validation parameter an earlier transaction of the
// same block changed (ENDORSEMENT_POLICY_FAILURE, not a read conflict, so
// the gateway does not retry it). Such a mint wrote nothing and is tried
// again here under a new mint ID, as are conflicts that outlast the
// gateway's retries.
func (r *runner) mint(ctx context.Context, p testnet.Province, reserve string, amount money.Amount) error {
	r.mintMu.Lock()
	defer r.mintMu.Unlock()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = r.gw.mint(ctx, p, reserve+"-mint"+strconv.Itoa(attempt), reserve, amount); err == nil {
			return nil
		}
		if c := gwCode(err); c != rest.CodeConflict && c != rest.CodeTxInvalid {
			break
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	return fmt.Errorf("mint into %s: %w", reserve, err)
}

// split turns the outputs of reserve into at least n outputs by paying a
// cent to sink with the largest change split (each such payment spends one
// output and leaves api.MaxChangeSplit): the pool a hot payer spends
// concurrently.
func (r *runner) split(ctx context.Context, p testnet.Province, reserve, sink, tag string, n int) error {
	const ways = api.MaxChangeSplit
	pay := func(ctx context.Context, i int) error {
		_, err := r.gw.pay(ctx, p, rest.PaymentRequest{PaymentID: fmt.Sprintf("%s-split%d", tag, i), From: reserve, To: sink,
			Amount: payAmount, ChangeSplit: ways})
		if err != nil {
			return fmt.Errorf("split %s: %w", reserve, err)
		}
		return nil
	}
	if err := pay(ctx, 0); err != nil {
		return err
	}
	have, next := ways, 1
	for have < n {
		k := min((n-have+ways-2)/(ways-1), have, 8)
		base := next
		if err := parallel(ctx, k, k, func(ctx context.Context, i int) error { return pay(ctx, base+i) }); err != nil {
			return err
		}
		next += k
		have += (ways - 1) * k
	}
	return nil
}

// listOutputs returns the IDs of account's unspent outputs, read through
// the SDK (the chaincode's bookmarks, not the gateway's page tokens).
func (r *runner) listOutputs(ctx context.Context, p testnet.Province, account string) ([]string, error) {
	c, err := r.sdk.contract(p, "operator", r.cfg.Chaincode)
	if err != nil {
		return nil, err
	}
	var ids []string
	bookmark := ""
	for {
		page, err := testnet.Evaluate(ctx, c, api.ListOutputs, api.ListOutputsRequest{Account: account, PageSize: api.MaxPageSize, Bookmark: bookmark})
		if err != nil {
			return nil, fmt.Errorf("list outputs of %s: %w", account, err)
		}
		for _, o := range page.Outputs {
			ids = append(ids, o.ID)
		}
		if page.Bookmark == "" || len(page.Outputs) == 0 {
			return ids, nil
		}
		bookmark = page.Bookmark
	}
}
