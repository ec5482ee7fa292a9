package loadgen

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// CycleReport is the real-network figure of interbank settlement: a ring
// of transfers among the banks' settlement accounts, none of which holds
// anything, queues whole (gross settlement cannot move a fen) and then
// settles in one liquidity-saving cycle: one transaction.
type CycleReport struct {
	// Banks are the settlement accounts of the ring (two banks per
	// province); Transfers the transfers sent, each 0.01 yuan.
	Banks     int `json:"banks"`
	Transfers int `json:"transfers"`
	// QueueSeconds is the time to send them all (Concurrency workers
	// through the four gateways); SendsPerSec follows from it.
	QueueSeconds float64 `json:"queueSeconds"`
	SendsPerSec  float64 `json:"sendsPerSec"`
	// CycleSeconds is the time of POST /v1/interbank/cycles: reading the
	// queue and balances, solving, and one Settle endorsed, ordered and
	// committed.
	CycleSeconds float64 `json:"cycleSeconds"`
	// Settled, Gross and Liquidity are the cycle's; TxID and Block where it
	// committed; Attempts how many times the gateway computed it.
	Settled   int          `json:"settled"`
	Gross     money.Amount `json:"gross"`
	Liquidity money.Amount `json:"liquidity"`
	TxID      string       `json:"txId,omitempty"`
	Block     uint64       `json:"block,omitempty"`
	Attempts  int          `json:"attempts"`
	Error     string       `json:"error,omitempty"`
}

// cycleUsers are the two banks of each province in the ring and the issuer
// who decides the calendar and runs the cycle.
var cycleUsers = []string{"operator", "operator2", "issuer"}

// Cycle measures one settlement cycle of transfers queued transfers on n:
// it decides a calendar open the whole day (weekends too, the gateways'
// cycle timers hourly, so that the measured cycle is the one that settles
// the ring), opens a settlement account for two banks of every province,
// sends the ring (transfer k from bank k mod 8 to bank k+1 mod 8: every
// bank's net is zero) and runs one cycle through Shanghai's gateway. A
// failure is reported in CycleReport.Error, not returned, unless ctx ends.
func Cycle(ctx context.Context, n Network, cfg Config, transfers int) (*CycleReport, error) {
	cfg, log := cfg.phase("c")
	rep := &CycleReport{Transfers: transfers}
	fail := func(err error) (*CycleReport, error) {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rep.Error = err.Error()
		fmt.Fprintf(log, "cycle: %s\n", rep.Error)
		return rep, nil
	}
	g := newGWClient(n, cfg.Concurrency, cfg.OpTimeout)
	for _, p := range testnet.Provinces {
		for _, u := range cycleUsers {
			c, err := n.GatewayClient(p, u, client.WithHTTPClient(g.http), client.WithTimeout(2*time.Minute))
			if err != nil {
				return fail(fmt.Errorf("gateway client of %s/%s: %w", p.Name, u, err))
			}
			g.clients[p.Name+"/"+u] = c
		}
	}
	sh := testnet.Provinces[0]
	cal := rest.Calendar{Open: "00:00", CustomerCutoff: "23:58", InterbankCutoff: "23:58", EndOfDay: "23:59",
		WeekendsClosed: false, CycleIntervalSec: 3600}
	if _, err := g.decide(ctx, sh, rest.ProposalRequest{ID: proposalID(sh, cfg.RunID+"-calendar"), Action: rest.ActionCalendar, Calendar: &cal}); err != nil {
		return fail(fmt.Errorf("calendar decision: %w", err))
	}
	type bank struct {
		p       testnet.Province
		user    string
		account string
	}
	var banks []bank
	for _, p := range testnet.Provinces {
		for _, u := range []string{"operator", "operator2"} {
			b := bank{p: p, user: u, account: bankID(p, u, cfg.RunID+"-ring")}
			if _, err := g.as(p, u).OpenAccount(ctx, rest.OpenAccountRequest{ID: b.account, Kind: rest.KindSettlement, Tier: rest.TierUnlimited}); err != nil {
				return fail(fmt.Errorf("open %s: %w", b.account, err))
			}
			banks = append(banks, b)
		}
	}
	rep.Banks = len(banks)
	fmt.Fprintf(log, "cycle: queueing %d transfers in a ring of %d banks…\n", transfers, len(banks))
	t0 := time.Now()
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= transfers || ctx.Err() != nil {
					return
				}
				from, to := banks[k%len(banks)], banks[(k+1)%len(banks)]
				res, err := g.as(from.p, from.user).SendTransfer(ctx, rest.InterbankTransferRequest{
					ID: bankID(from.p, from.user, fmt.Sprintf("%s-t%d", cfg.RunID, k)), From: from.account, To: to.account,
					Amount: money.Amount(1), Priority: rest.PriorityNormal})
				if err == nil && res.Result.Status != rest.TransferQueued {
					err = fmt.Errorf("transfer %d is %s, want queued (its payer holds nothing)", k, res.Result.Status)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return fail(fmt.Errorf("queueing: %w", firstErr))
	}
	rep.QueueSeconds = time.Since(t0).Seconds()
	rep.SendsPerSec = float64(transfers) / rep.QueueSeconds
	fmt.Fprintf(log, "cycle: queued in %.1f s; running one cycle…\n", rep.QueueSeconds)
	t1 := time.Now()
	run, err := g.as(sh, "issuer").RunCycle(ctx)
	rep.CycleSeconds = time.Since(t1).Seconds()
	if err != nil {
		return fail(fmt.Errorf("cycle: %w", err))
	}
	rep.Attempts = run.Attempts
	if run.Cycle == nil {
		return fail(fmt.Errorf("the cycle settled nothing (%s; %d queued, %d due)", run.Status, run.Queued, run.Due))
	}
	rep.Settled, rep.Gross, rep.Liquidity = run.Cycle.Settled, run.Cycle.Gross, run.Cycle.Liquidity
	rep.TxID, rep.Block = run.Cycle.TxID, run.Cycle.BlockNumber
	fmt.Fprintf(log, "cycle: %d transfers settled in one transaction (block %d) in %.1f s\n", rep.Settled, rep.Block, rep.CycleSeconds)
	return rep, nil
}

// WriteText writes the cycle figure.
func (c *CycleReport) WriteText(w io.Writer) {
	fmt.Fprintln(w, "Interbank settlement on the network (a ring of queued transfers, one liquidity-saving cycle)")
	if c.Error != "" {
		fmt.Fprintf(w, "  failed: %s\n", c.Error)
		return
	}
	fmt.Fprintf(w, "  %d transfers among %d banks queued in %.1f s (%.0f sends/s)\n", c.Transfers, c.Banks, c.QueueSeconds, c.SendsPerSec)
	fmt.Fprintf(w, "  one cycle settled %d of them in one transaction (block %d, tx %s) in %.1f s: gross %s, liquidity %s, computed %d time(s)\n",
		c.Settled, c.Block, c.TxID, c.CycleSeconds, c.Gross, c.Liquidity, c.Attempts)
}
