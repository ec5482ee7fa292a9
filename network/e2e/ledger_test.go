package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/network/testnet"
)

// actor is one user of one province calling the yrd chaincode through the
// Fabric Gateway SDK.
type actor struct {
	p        testnet.Province
	contract *client.Contract
}

func as(t *testing.T, p testnet.Province, user string) *actor {
	t.Helper()
	return &actor{p: p, contract: connect(t, p, user).GetNetwork(channel).GetContract(chaincode)}
}

// commitError is a transaction that was ordered but is not valid.
type commitError struct {
	txID string
	code peer.TxValidationCode
}

func (e *commitError) Error() string {
	return fmt.Sprintf("transaction %s invalid: %s", e.txID, e.code)
}

// submit endorses, orders and waits for the commit of fn with one JSON
// argument. An invalid commit returns a *commitError.
func (a *actor) submit(fn string, req any, opts ...client.ProposalOption) ([]byte, error) {
	out, _, err := a.submitAt(fn, req, opts...)
	return out, err
}

// submitAt is submit that also returns the block the transaction is in.
func (a *actor) submitAt(fn string, req any, opts ...client.ProposalOption) ([]byte, uint64, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, 0, err
	}
	opts = append([]client.ProposalOption{client.WithArguments(string(b))}, opts...)
	out, commit, err := a.contract.SubmitAsync(fn, opts...)
	if err != nil {
		return nil, 0, err
	}
	st, err := commit.Status()
	if err != nil {
		return nil, 0, err
	}
	if !st.Successful {
		return nil, st.BlockNumber, &commitError{txID: st.TransactionID, code: st.Code}
	}
	return out, st.BlockNumber, nil
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

// mustSubmit submits, requires success, and waits until every province's
// peer has the block: what a test builds next may be endorsed anywhere.
func (a *actor) mustSubmit(t *testing.T, fn string, req any, into any, opts ...client.ProposalOption) {
	t.Helper()
	out, block, err := a.submitAt(fn, req, opts...)
	require.NoError(t, err, "%s by %s", fn, a.p.Name)
	waitHeights(t, block+1)
	if into != nil {
		require.NoError(t, json.Unmarshal(out, into))
	}
}

func (a *actor) eval(t *testing.T, into any, fn string, args ...string) {
	t.Helper()
	out, err := a.contract.EvaluateTransaction(fn, args...)
	require.NoError(t, err, "%s by %s", fn, a.p.Name)
	require.NoError(t, json.Unmarshal(out, into))
}

var codeRE = regexp.MustCompile(`\b([A-Z][A-Z_]{3,}): `)

// codeOf returns the chaincode's stable error code carried by an
// endorsement error, or the validation code of an invalid commit.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var ce *commitError
	if errors.As(err, &ce) {
		return ce.code.String()
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
