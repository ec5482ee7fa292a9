package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// actor is one user of one province calling the yrd chaincode through the
// Fabric Gateway SDK, by the api operations' qualified names with their one
// JSON argument.
type actor struct {
	p        testnet.Province
	contract *sdk.Contract
}

func as(t *testing.T, p testnet.Province, user string) *actor {
	t.Helper()
	return &actor{p: p, contract: connect(t, p, user).Contract(channel, chaincode)}
}

// sdkTimeout bounds one SDK call of the suite, commit status included.
const sdkTimeout = 2 * time.Minute

// invoke endorses, orders and waits for the commit of op(req) as a. An
// invalid commit fails with an *sdk.CommitError. It asserts nothing, so
// that it may run in any goroutine.
func invoke[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, error) {
	resp, _, err := invokeAt(a, op, req, opts...)
	return resp, err
}

// invokeAt is invoke that also returns the block the transaction is in.
func invokeAt[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sdkTimeout)
	defer cancel()
	resp, st, err := testnet.Submit(ctx, a.contract, op, req, opts...)
	var block uint64
	if st != nil {
		block = st.BlockNumber
	}
	return resp, block, err
}

// mustInvoke invokes, requires success, and waits until every province's
// peer has the block: what a test builds next may be endorsed anywhere.
func mustInvoke[Req, Resp any](t *testing.T, a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) Resp {
	t.Helper()
	resp, block, err := invokeAt(a, op, req, opts...)
	require.NoError(t, err, "%s by %s", op.Function(), a.p.Name)
	waitHeights(t, block+1)
	return resp
}

// query evaluates op(req) as a on its province's peer (or, with
// sdk.WithEndorsingOrganizations, on another's) and requires success.
func query[Req, Resp any](t *testing.T, a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) Resp {
	t.Helper()
	resp, err := evaluate(a, op, req, opts...)
	require.NoError(t, err, "%s by %s", op.Function(), a.p.Name)
	return resp
}

// evaluate is query without assertions.
func evaluate[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sdkTimeout)
	defer cancel()
	return testnet.Evaluate(ctx, a.contract, op, req, opts...)
}

// waitHeights waits until every peer's ledger has at least height blocks,
// read from the peers' operations metrics.
func waitHeights(t *testing.T, height uint64) {
	t.Helper()
	for _, p := range testnet.Provinces {
		require.Eventually(t, func() bool {
			h, err := peerHeight(net.PeerOperationsURL(p))
			return err == nil && h >= height
		}, 15*time.Second, 50*time.Millisecond, "peer of %s did not reach height %d", p.Name, height)
	}
}

func peerHeight(opsURL string) (uint64, error) {
	resp, err := http.Get(opsURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := `ledger_blockchain_height{channel="` + channel + `"}`
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, prefix) {
			return strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, prefix)), 10, 64)
		}
	}
	return 0, fmt.Errorf("no height in %s/metrics", opsURL)
}

var codeRE = regexp.MustCompile(`\b([A-Z][A-Z_]{3,}): `)

// codeOf returns the chaincode's stable error code carried by an
// endorsement error, or the validation code of an invalid commit.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var ce *sdk.CommitError
	if errors.As(err, &ce) {
		return ce.Code.String()
	}
	st, ok := status.FromError(errors.Unwrap(err))
	if !ok {
		st, _ = status.FromError(err)
	}
	msgs := []string{err.Error()}
	if st != nil {
		msgs = append(msgs, st.Message())
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				msgs = append(msgs, ed.GetMessage())
			}
		}
	}
	for _, m := range msgs {
		if c := codeRE.FindStringSubmatch(m); c != nil {
			return c[1]
		}
	}
	return ""
}

func requireCode(t *testing.T, want string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, codeOf(err), "error: %v", err)
}
