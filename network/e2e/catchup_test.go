package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// The ordering outage of the fault suite (orderingOutage) and its bounds.
const (
	// outage is how long every orderer stays down. With Fabric's default
	// delivery back-off (100 ms growing by 1.2 per failure, capped at
	// peer.deliveryclient.reConnectBackoffThreshold, default 1 h) the peers
	// were seen waiting 5.5 s between attempts by the end of it; the
	// network's 2 s cap keeps them at 2 s.
	outage = 40 * time.Second
	// catchUpBound is issue 11's requirement: back at the others' height
	// within 15 s after ordering resumes.
	catchUpBound = 15 * time.Second
	// maxDeliveryWait bounds any wait between two of a peer's attempts to
	// reach the ordering service ("seconds, not minutes"): above the 2 s
	// cap, below what the default back-off reaches in the outage.
	maxDeliveryWait = 3 * time.Second
)

// reconnectRE matches the peer's log line for a delivery back-off
// (internal/pkg/peer/blocksprovider).
var reconnectRE = regexp.MustCompile(`Attempt to re-connect in (\S+)`)

// orderingOutage stops every orderer (SIGKILL), kills Anhui's peer during
// the outage and starts it again, keeps ordering down for 40 s, then starts
// the orderers again: the restarted peer must be back at the others' height
// within 15 s after ordering resumes, and no peer may have waited more than
// 3 s between delivery attempts during the outage (issue 11: after an
// outage a peer had backed off to "re-connect in 3m31s" and served stale
// state for 3 min 43 s).
//
// Ordering resumes when a transaction commits again; the restarted peer
// must have that block within 15 s. A few more transactions follow, and the
// restarted peer must have the last one within 15 s of its commit on the
// submitting peer: on BFT the orderers can stall again for half a minute
// after a full restart (docs/network.md), which is no peer's fault.
//
// The fault is checked to have happened: a submit during the outage fails,
// and the restarted peer's log shows it retrying delivery during it. It
// runs in the fault suite, on its network and under its load (it used to
// run on the suite's shared network, where killing every orderer could
// disturb the tests after it), and leaves the network whole: every orderer
// and peer back at one height and every gateway ready.
func orderingOutage(t *testing.T, n *testnet.Network) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	victim, submitter := anhui, shanghai
	conn, err := n.Connect(submitter, "operator")
	require.NoError(t, err)
	defer conn.Close()
	contract := conn.Contract(channel, chaincode)
	ping := func(ctx context.Context, tag string) (*sdk.Status, error) {
		_, st, err := testnet.Submit(ctx, contract, api.Ping,
			api.PingRequest{ID: fmt.Sprintf("catchup-%s-%d", tag, time.Now().UnixNano()), Note: "catch-up"})
		return st, err
	}
	st, err := ping(ctx, "before")
	require.NoError(t, err)
	require.NoError(t, waitHeightsOn(n, st.BlockNumber+1))
	// The peers' logs from here on are the outage's.
	offsets := map[string]int64{}
	for _, p := range testnet.Provinces {
		fi, err := os.Stat(peerLog(n, p))
		require.NoError(t, err)
		offsets[p.Name] = fi.Size()
	}

	// The outage: every orderer down, then the victim peer killed and
	// started again while nothing can be ordered.
	for _, p := range testnet.Provinces {
		require.NoError(t, n.Kill(p, "orderer"))
	}
	ordering := false
	defer func() { // leave the network whole, even on failure
		if !ordering {
			restartOrderers(t, n)
		}
	}()
	require.NoError(t, n.Kill(victim, "peer"))
	require.NoError(t, n.Restart(ctx, victim, "peer"))
	restartedAt := time.Now()
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	_, err = ping(sctx, "outage")
	scancel()
	var submitErr *sdk.SubmitError
	require.ErrorAs(t, err, &submitErr, "a submit during the outage must fail at the orderers")
	time.Sleep(outage - time.Since(restartedAt))

	restartOrderers(t, n)
	ordering = true
	orderersAt := time.Now()
	// Ordering has resumed when a transaction commits again.
	var first *sdk.Status
	require.Eventually(t, func() bool {
		pctx, pcancel := context.WithTimeout(ctx, 15*time.Second)
		defer pcancel()
		first, err = ping(pctx, "resume")
		return err == nil
	}, 90*time.Second, time.Second, "no transaction committed after the orderers came back")
	resumed := time.Since(orderersAt)
	took := catchUp(t, n, victim, first.BlockNumber+1, time.Now())
	t.Logf("FAULT ordering outage (%s): first commit %.1f s after the orderers were started again; the peer of %s, restarted during the outage, had that block %s later",
		outage, resumed.Seconds(), victim.Name, took)
	var last *sdk.Status
	for i := range 3 { // a few more blocks
		last, err = ping(ctx, fmt.Sprintf("after-%d", i))
		require.NoError(t, err)
	}
	took = catchUp(t, n, victim, last.BlockNumber+1, time.Now())
	t.Logf("peer of %s had block %d %s after its commit on the peer of %s", victim.Name, last.BlockNumber, took, submitter.Name)
	target := last.BlockNumber + 1

	// The victim retried delivery during the outage; no peer waited longer
	// than maxDeliveryWait between attempts.
	waits := map[string][]time.Duration{}
	for _, p := range testnet.Provinces {
		waits[p.Name] = deliveryWaits(t, n, p, offsets[p.Name])
		for _, w := range waits[p.Name] {
			require.LessOrEqual(t, w, maxDeliveryWait, "peer of %s waited %s between delivery attempts", p.Name, w)
		}
	}
	require.NotEmpty(t, waits[victim.Name], "the restarted peer never retried delivery: the outage did not reach it")
	t.Logf("delivery retries per peer during the outage: shanghai %d, jiangsu %d, zhejiang %d, anhui %d",
		len(waits["shanghai"]), len(waits["jiangsu"]), len(waits["zhejiang"]), len(waits["anhui"]))

	// Leave the network whole.
	waitHeightsAll(t, n, target, time.Now())
	for _, p := range testnet.Provinces {
		c, err := n.GatewayClient(p, "operator")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			h, err := c.Ready(ctx)
			return err == nil && h.Status == "ready"
		}, time.Minute, 250*time.Millisecond, "gateway of %s ready again", p.Name)
	}
}

// catchUp waits until province p's peer has height blocks, at most
// catchUpBound after since, and returns how long that took.
func catchUp(t *testing.T, n *testnet.Network, p testnet.Province, height uint64, since time.Time) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), catchUpBound)
	defer cancel()
	for {
		got, err := n.PeerHeight(ctx, p)
		if err == nil && got >= height {
			return time.Since(since).Round(100 * time.Millisecond)
		}
		require.Less(t, time.Since(since), catchUpBound,
			"peer of %s at height %d (%v), not %d, %s after", p.Name, got, err, height, catchUpBound)
		time.Sleep(100 * time.Millisecond)
	}
}

// restartOrderers starts every province's orderer of n again.
func restartOrderers(t *testing.T, n *testnet.Network) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	for _, p := range testnet.Provinces {
		errs = append(errs, n.Restart(ctx, p, "orderer"))
	}
	require.NoError(t, errors.Join(errs...))
}

// peerLog is the log file of province p's peer (restarts append to it).
func peerLog(n *testnet.Network, p testnet.Province) string {
	return filepath.Join(n.StateDir, "logs", "peer-"+p.Name+".log")
}

// deliveryWaits lists the back-offs province p's peer logged before
// re-connecting to the ordering service, from offset on in its log.
func deliveryWaits(t *testing.T, n *testnet.Network, p testnet.Province, offset int64) []time.Duration {
	t.Helper()
	f, err := os.Open(peerLog(n, p))
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Seek(offset, io.SeekStart)
	require.NoError(t, err)
	var out []time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := reconnectRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		d, err := time.ParseDuration(m[1])
		require.NoError(t, err, "back-off %q in the log of the peer of %s", m[1], p.Name)
		out = append(out, d)
	}
	require.NoError(t, sc.Err())
	return out
}
