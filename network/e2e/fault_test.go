package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/cli"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// TestRaftLeaderCrash kills the Raft leader (SIGKILL) while payments are in
// flight through a gateway. Transactions the crashed leader had accepted but
// not ordered are lost by Fabric; the gateway must notice through its short
// commit-status timeout and re-send the same signed transactions, so every
// payment commits exactly once and no money is created or lost.
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
	shOp, zjOp := gwOn(t, fnet, shanghai, "operator"), gwOn(t, fnet, zhejiang, "operator")
	gwOpen(t, shOp, "gw-crash-reserve", "reserve", "")
	gwOpen(t, zjOp, "gw-crash-shop", "merchant", "")
	gwMint(t, gwOn(t, fnet, shanghai, "issuer"), "gw-crash-m", "gw-crash-reserve", "10000.00")
	// A first payment makes the gateway split the reserve into its pool of
	// outputs, so the payments below do not queue behind one output.
	post(t, shOp, "/v1/payments", pay("gw-crash-warm", "gw-crash-reserve", "gw-crash-shop", "1.00"))

	leader, err := fnet.RaftLeader()
	require.NoError(t, err)
	t.Logf("Raft leader: orderer of %s", leader.Name)

	const n = 40
	statuses := make([]string, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 25 * time.Millisecond) // spread over 1 s
			resp, err := shOp.Do(ctx, http.MethodPost, "/v1/payments", nil,
				pay(fmt.Sprintf("gw-crash-p%02d", i), "gw-crash-reserve", "gw-crash-shop", "1.00"))
			var ae *cli.APIError
			switch {
			case err == nil:
				statuses[i] = fmt.Sprint(resp.Status)
			case errors.As(err, &ae):
				statuses[i] = fmt.Sprintf("%d %s", ae.Status, ae.Code)
			default:
				statuses[i] = err.Error()
			}
		}()
	}
	time.Sleep(400 * time.Millisecond)
	require.NoError(t, fnet.Kill(leader, "orderer"))
	wg.Wait()
	outcomes := map[string]int{}
	for _, s := range statuses {
		outcomes[s]++
	}
	t.Logf("leader killed 400 ms into %d payments: outcomes %v after %s; gateway retries: %s", n, outcomes,
		time.Since(start).Round(time.Millisecond), gatewayRetries(t, fnet))
	require.Equal(t, map[string]int{"201": n}, outcomes)

	// Each payment exists once, the payee got exactly n yuan, supply balances.
	for i := range n {
		var p struct {
			PaymentID string `json:"paymentId"`
		}
		get(t, shOp, fmt.Sprintf("/v1/payments/gw-crash-p%02d", i), nil, &p)
		require.Equal(t, fmt.Sprintf("gw-crash-p%02d", i), p.PaymentID)
	}
	gwRequireBalance(t, zjOp, "gw-crash-shop", fmt.Sprintf("%d.00", n+1))
	// The payee's statement, read in pages of 7 through the page tokens,
	// has one credit per payment: nothing twice, nothing missing.
	credits := map[string]int{}
	q := url.Values{"pageSize": {"7"}, "from": {start.Add(-time.Hour).UTC().Format(time.RFC3339)}}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "statement paging does not end")
		var page struct {
			Entries []struct {
				Type      string `json:"type"`
				Reference string `json:"reference"`
			} `json:"entries"`
			Bookmark string `json:"bookmark"`
		}
		get(t, zjOp, "/v1/accounts/gw-crash-shop/statement", q, &page)
		for _, e := range page.Entries {
			credits[e.Type+" "+e.Reference]++
		}
		if page.Bookmark == "" {
			break
		}
		q.Set("bookmark", page.Bookmark)
	}
	require.Len(t, credits, n+1)
	for ref, count := range credits {
		require.Equal(t, 1, count, ref)
	}
	require.Equal(t, fmt.Sprintf("%d.00", 10000-n-1), gwBalanceOf(t, shOp, "gw-crash-reserve"))
	var audit struct {
		Balanced bool `json:"balanced"`
	}
	get(t, gwOn(t, fnet, anhui, "auditor"), "/v1/supply/audit", nil, &audit)
	require.True(t, audit.Balanced)
}

// gatewayRetries reads Shanghai's gateway retry counters by reason.
func gatewayRetries(t *testing.T, n *testnet.Network) string {
	resp, err := http.Get(n.GatewayURL(shanghai) + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "yrd_gateway_fabric_retries_total{") {
			out = append(out, strings.TrimPrefix(line, "yrd_gateway_fabric_retries_total"))
		}
	}
	return strings.Join(out, " ")
}
