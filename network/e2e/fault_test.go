package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// Gateway metrics the crash test reads (package gateway/metrics defines
// them; the stage labels are ledger's Stage values).
const (
	// metricRetries counts retries by reason; "resubmit" is a re-send of
	// the same signed transaction.
	metricRetries  = "yrd_gateway_fabric_retries_total"
	reasonResubmit = "resubmit"
	// metricStages counts Fabric stages by stage and outcome ("ok" or a code).
	metricStages = "yrd_gateway_fabric_stage_duration_seconds_count"
)

// TestRaftLeaderCrash kills the Raft leader (SIGKILL) while payments are in
// flight through a gateway. Transactions the crashed leader had accepted but
// not ordered are lost by Fabric, and submits during the election are
// refused; the gateway must notice (its short commit-status timeout, the
// refused submit) and re-send the same signed transactions, so every
// payment commits exactly once and no money is created or lost.
//
// The leader is killed only once the gateway has a transaction accepted by
// ordering whose commit status has not arrived, and the test requires the
// gateway's resubmit counter to have risen: a kill that hit nothing in
// flight, or that the gateway never noticed, fails it.
//
// It runs on a network of its own: the crashed orderer stays down (a
// restarted one was once seen to hang replaying its WAL, stalling every
// submit routed to it), and no other test should run on a damaged network.
func TestRaftLeaderCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	fnet, err := testnet.Start(ctx, testnet.Options{Gateways: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			if dir, err := fnet.KeepLogs(); err == nil {
				t.Logf("logs of the fault network kept in %s", dir)
			}
		}
		require.NoError(t, fnet.Stop())
	})
	// The reserve pays, by its owner, the central-bank branch: the gateway
	// keeps a pool of unlocked outputs for reserve accounts.
	shIss, zjOp := gwOn(t, fnet, shanghai, "issuer"), gwOn(t, fnet, zhejiang, "operator")
	reserve, shop := bankID(shanghai, "issuer", "gw-crash-reserve"), bankID(zhejiang, "operator", "gw-crash-shop")
	gwOpen(t, shIss, reserve, rest.KindReserve, "")
	gwOpen(t, zjOp, shop, rest.KindMerchant, "")
	gwSetCeiling(t, fnet, shanghai, "crash-ceiling", "1000000.00")
	gwMint(t, fnet, shanghai, "gw-crash-m", reserve, "10000.00")
	// A first payment makes the gateway split the reserve into its pool of
	// outputs, so the payments below do not queue behind one output.
	gwPay(t, shIss, pay(bankID(shanghai, "issuer", "gw-crash-warm"), reserve, shop, "1.00"))

	leader, err := fnet.RaftLeader()
	require.NoError(t, err)
	t.Logf("Raft leader: orderer of %s", leader.Name)

	before := gatewaySamples(t, fnet, shanghai)
	submitted := func(s testnet.Samples) float64 {
		return s.Sum(metricStages, map[string]string{"stage": string(ledger.StageSubmit), "outcome": "ok"})
	}
	statused := func(s testnet.Samples) float64 {
		return s.Sum(metricStages, map[string]string{"stage": string(ledger.StageCommitStatus), "outcome": "ok"})
	}
	require.Positive(t, submitted(before), "the gateway reports no submits: is %s still its metric?", metricStages)

	const n = 40
	crashID := func(i int) string { return bankID(shanghai, "issuer", fmt.Sprintf("gw-crash-p%02d", i)) }
	statuses := make([]string, n)
	var wg sync.WaitGroup
	start := time.Now()
	launched := make(chan struct{})
	go func() { // spread the payments over 1 s; this goroutine asserts nothing
		defer close(launched)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := shIss.Pay(ctx, pay(crashID(i), reserve, shop, "1.00"))
				o := outcomeOf(err)
				statuses[i] = strings.TrimSpace(fmt.Sprintf("%d %s", o.status, o.code))
			}()
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()

	// Kill the leader as soon as a transaction was accepted by ordering and
	// has no commit status yet: it is in flight.
	inFlight := false
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); <-poll.C {
		s := gatewaySamples(t, fnet, shanghai)
		if inFlight = submitted(s)-submitted(before) > statused(s)-statused(before); inFlight {
			break
		}
	}
	require.True(t, inFlight, "no payment was ever in flight at the orderer")
	require.NoError(t, fnet.Kill(leader, "orderer"))
	killedAt := time.Since(start)
	<-launched
	wg.Wait()

	outcomes := map[string]int{}
	for _, s := range statuses {
		outcomes[s]++
	}
	after := gatewaySamples(t, fnet, shanghai)
	resubmits := after.Sum(metricRetries, map[string]string{"reason": reasonResubmit}) - before.Sum(metricRetries, map[string]string{"reason": reasonResubmit})
	t.Logf("leader killed %s into %d payments: outcomes %v after %s; the gateway re-sent %.0f transactions (retries by reason: %s)",
		killedAt.Round(time.Millisecond), n, outcomes, time.Since(start).Round(time.Millisecond), resubmits, retriesByReason(after))
	require.Equal(t, map[string]int{"201": n}, outcomes)
	require.Positive(t, resubmits, "the leader died with payments in flight, yet the gateway re-sent nothing: the fault was not exercised")

	// Each payment exists once, the payee got exactly n yuan, supply balances.
	for i := range n {
		p, err := shIss.GetPayment(ctx, crashID(i))
		require.NoError(t, err)
		require.Equal(t, crashID(i), p.PaymentID)
	}
	gwRequireBalance(t, zjOp, shop, fmt.Sprintf("%d.00", n+1))
	// The payee's statement, read in pages of 7 through the page tokens,
	// has one credit per payment: nothing twice, nothing missing.
	credits := map[string]int{}
	q := client.StatementQuery{From: start.Add(-time.Hour), Page: client.Page{Size: 7}}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "statement paging does not end")
		page, err := zjOp.Statement(ctx, shop, q)
		require.NoError(t, err)
		for _, e := range page.Entries {
			credits[e.Type+" "+e.Reference]++
		}
		if page.Bookmark == "" {
			break
		}
		q.Bookmark = page.Bookmark
	}
	require.Len(t, credits, n+1)
	for ref, count := range credits {
		require.Equal(t, 1, count, ref)
	}
	require.Equal(t, fmt.Sprintf("%d.00", 10000-n-1), gwBalanceOf(t, shIss, reserve))
	audit, err := gwOn(t, fnet, anhui, "auditor").AuditSupply(ctx)
	require.NoError(t, err)
	require.True(t, audit.Balanced)
}

// gatewaySamples scrapes province p's gateway metrics.
func gatewaySamples(t *testing.T, n *testnet.Network, p testnet.Province) testnet.Samples {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := n.GatewayMetrics(ctx, nil, p)
	require.NoError(t, err)
	return s
}

// retriesByReason renders the retry counters for the log.
func retriesByReason(s testnet.Samples) string {
	var out []string
	for _, x := range s {
		if x.Name == metricRetries {
			out = append(out, fmt.Sprintf("%s=%.0f", x.Labels["reason"], x.Value))
		}
	}
	return strings.Join(out, " ")
}
