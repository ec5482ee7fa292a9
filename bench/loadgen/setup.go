package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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

// account is one account a scenario opens: its ID (in its bank's
// namespace), province, the user whose bank owns it, and its kind.
type account struct {
	id   string
	prov testnet.Province
	user string
	kind string
}

// bankID is the ID local in the namespace of province p's user's bank
// ("SH-CITY:local"): accounts and payments belong to a bank.
func bankID(p testnet.Province, user, local string) string {
	return testnet.Bank(p, user) + api.NamespaceSep + local
}

// proposalID is the ID local in province p's namespace ("ShanghaiMSP:local").
func proposalID(p testnet.Province, local string) string {
	return p.MSPID + api.NamespaceSep + local
}

func (r *runner) openAccounts(ctx context.Context, accts []account) error {
	return parallel(ctx, len(accts), 16, func(ctx context.Context, i int) error {
		a := accts[i]
		if err := r.gw.openAccount(ctx, a.prov, a.user, a.id, a.kind); err != nil {
			return fmt.Errorf("open %s in %s: %w", a.id, a.prov.Name, err)
		}
		return nil
	})
}

// ensureCeilings gives every province an issuance ceiling with at least
// headroom left above what it issued: a reserve mints only within its
// province's ceiling, set by a "ceiling" proposal that issuers of a quorum
// of provinces approved. A ceiling that leaves enough is kept as it is (a
// run never lowers one).
func (r *runner) ensureCeilings(ctx context.Context, headroom money.Amount) error {
	return parallel(ctx, len(testnet.Provinces), len(testnet.Provinces), func(ctx context.Context, i int) error {
		p := province(i)
		c, err := r.gw.ceiling(ctx, p)
		if err != nil {
			return fmt.Errorf("ceiling of %s: %w", p.MSPID, err)
		}
		if c.Ceiling-c.Issued >= headroom {
			return nil
		}
		want, err := money.Add(c.Issued, headroom)
		if err != nil {
			return fmt.Errorf("ceiling of %s: %w", p.MSPID, err)
		}
		_, err = r.gw.decide(ctx, p, rest.ProposalRequest{ID: proposalID(p, r.cfg.RunID+"-ceiling"), Action: rest.ActionCeiling,
			Ceiling: &rest.CeilingParams{MSP: p.MSPID, Ceiling: want}})
		return err
	})
}

// mint issues amount into reserve (an open reserve account of p's
// central-bank branch): a mint proposal of p's issuer, approved by the
// issuers of two other provinces, executed by p's issuer.
//
// Provinces propose and approve at once, but executions run one at a
// time: every execution rewrites the supply key, so concurrent ones would
// fail on read conflicts. A decision that failed (conflicts that outlasted
// the gateway's retries, an invalidated transaction) minted nothing and is
// taken again under a new proposal ID.
func (r *runner) mint(ctx context.Context, p testnet.Province, reserve string, amount money.Amount) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		local := reserve[strings.Index(reserve, api.NamespaceSep)+1:] + "-mint" + strconv.Itoa(attempt)
		req := rest.ProposalRequest{ID: proposalID(p, local), Action: rest.ActionMint,
			Mint: &rest.MintParams{Account: reserve, Amount: amount, ReserveRef: local}}
		if err = r.gw.proposeApproved(ctx, p, req); err == nil {
			r.mintMu.Lock()
			_, err = r.gw.execute(ctx, p, req.ID)
			r.mintMu.Unlock()
		}
		if err == nil {
			return nil
		}
		if c := gwCode(err); c != rest.CodeConflict && c != rest.CodeTxInvalid {
			break
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	return fmt.Errorf("mint into %s: %w", reserve, err)
}

// prepareReserves opens the run's reserve account of every province's
// central-bank branch and mints amount into each: the money every token
// scenario's banks are funded from.
func (r *runner) prepareReserves(ctx context.Context, amount money.Amount) error {
	r.reserves = map[string]string{}
	for _, p := range testnet.Provinces {
		r.reserves[p.MSPID] = bankID(p, "issuer", r.cfg.RunID+"-reserve")
	}
	return parallel(ctx, len(testnet.Provinces), len(testnet.Provinces), func(ctx context.Context, i int) error {
		p := province(i)
		if err := r.gw.openAccount(ctx, p, "issuer", r.reserves[p.MSPID], rest.KindReserve); err != nil {
			return fmt.Errorf("open %s: %w", r.reserves[p.MSPID], err)
		}
		return r.mint(ctx, p, r.reserves[p.MSPID], amount)
	})
}

// split turns the outputs of account (of province p's user's bank) into at
// least n outputs by paying a cent to sink with the largest change split
// (each such payment spends one output and leaves api.MaxChangeSplit): the
// pool a hot payer spends concurrently.
func (r *runner) split(ctx context.Context, p testnet.Province, user, account, sink, tag string, n int) error {
	const ways = api.MaxChangeSplit
	pay := func(ctx context.Context, i int) error {
		_, err := r.gw.pay(ctx, p, user, rest.PaymentRequest{PaymentID: bankID(p, user, fmt.Sprintf("%s-split%d", tag, i)), From: account, To: sink,
			Amount: payAmount, ChangeSplit: ways})
		if err != nil {
			return fmt.Errorf("split %s: %w", account, err)
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
// the SDK as province p's user (the chaincode's bookmarks, not the
// gateway's page tokens).
func (r *runner) listOutputs(ctx context.Context, p testnet.Province, user, account string) ([]string, error) {
	c, err := r.sdk.contract(p, user, r.cfg.Chaincode)
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
