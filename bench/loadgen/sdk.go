package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// Network is what a run needs from a running network; *testnet.Network
// implements it.
type Network interface {
	// GatewayClient is a client of province p's HTTP gateway as user.
	GatewayClient(p testnet.Province, user string, opts ...client.Option) (*client.Client, error)
	// GatewayMetrics scrapes province p's gateway metrics.
	GatewayMetrics(ctx context.Context, hc *http.Client, p testnet.Province) (testnet.Samples, error)
	// Connect opens a Fabric Gateway SDK connection as user of province p.
	Connect(p testnet.Province, user string) (*testnet.Conn, error)
}

// sdkClient holds Fabric Gateway SDK connections, one per province and
// user, opened on first use and shared by all workers.
type sdkClient struct {
	net   Network
	cfg   Config
	mu    sync.Mutex
	conns map[string]*testnet.Conn
}

func newSDKClient(n Network, cfg Config) *sdkClient {
	return &sdkClient{net: n, cfg: cfg, conns: map[string]*testnet.Conn{}}
}

func (s *sdkClient) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.conns {
		c.Close()
		delete(s.conns, k)
	}
}

// contract returns chaincode as user of province p; its functions are
// called by their qualified names (api operations).
func (s *sdkClient) contract(p testnet.Province, user, chaincode string) (*sdk.Contract, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := p.Name + "/" + user
	c, ok := s.conns[k]
	if !ok {
		var err error
		if c, err = s.net.Connect(p, user); err != nil {
			return nil, fmt.Errorf("connect %s: %w", k, err)
		}
		s.conns[k] = c
	}
	return c.Contract(s.cfg.Channel, chaincode), nil
}

// sdkSubmit endorses, submits and waits for the commit of op(req), running
// a new proposal on MVCC/phantom conflicts and on answers of peers at
// different heights (endorsement mismatch, INPUT_NOT_OWNED for an input
// just created), up to s.cfg.ConflictAttempts in total. It returns the
// decoded result and the conflicts retried.
func sdkSubmit[Req, Resp any](ctx context.Context, s *sdkClient, c *sdk.Contract, op api.Operation[Req, Resp], req Req) (Resp, int, error) {
	res, conflicts, _, err := sdkSubmitTx(ctx, s, c, op, req)
	return res, conflicts, err
}

// sdkSubmitTx is sdkSubmit that also returns the committed transaction's
// ID.
func sdkSubmitTx[Req, Resp any](ctx context.Context, s *sdkClient, c *sdk.Contract, op api.Operation[Req, Resp], req Req) (Resp, int, string, error) {
	conflicts := 0
	for attempt := 1; ; attempt++ {
		res, st, err := testnet.Submit(ctx, c, op, req)
		if err == nil {
			txID := ""
			if st != nil {
				txID = st.TransactionID
			}
			return res, conflicts, txID, nil
		}
		code := sdkCode(err)
		// INPUT_NOT_OWNED: the input is the change of our own committed
		// transaction, but an endorsing peer has not committed that block
		// yet (the commit status came from another peer).
		conflict := code == "MVCC_READ_CONFLICT" || code == "PHANTOM_READ_CONFLICT"
		retry := conflict || code == "ENDORSE_MISMATCH" || code == string(api.CodeInputNotOwned)
		if conflict {
			conflicts++
		}
		if !retry || attempt >= s.cfg.ConflictAttempts {
			return res, conflicts, "", err
		}
		// Exponential backoff with full jitter: 20 ms, 40 ms, … capped at 1 s.
		backoff := min(20*time.Millisecond<<(attempt-1), time.Second)
		sleepCtx(ctx, time.Duration(rand.Int64N(int64(backoff))+1))
		if ctx.Err() != nil {
			return res, conflicts, "", err
		}
	}
}

var chaincodeCodeRE = regexp.MustCompile(`chaincode response \d+, ([A-Z][A-Z_]+):`)

// sdkCode is a stable code for an SDK error: the chaincode's code when the
// chaincode answered, the validation code of an invalid transaction, else
// the failing stage and gRPC code.
func sdkCode(err error) string {
	if err == nil {
		return ""
	}
	var commitErr *sdk.CommitError
	if errors.As(err, &commitErr) {
		return peer.TxValidationCode_name[int32(commitErr.Code)]
	}
	msg := err.Error()
	if m := chaincodeCodeRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if strings.Contains(msg, "ProposalResponsePayloads do not match") {
		return "ENDORSE_MISMATCH"
	}
	var stage string
	var endorseErr *sdk.EndorseError
	var submitErr *sdk.SubmitError
	var statusErr *sdk.CommitStatusError
	switch {
	case errors.As(err, &endorseErr):
		stage = "ENDORSE"
	case errors.As(err, &submitErr):
		stage = "SUBMIT"
	case errors.As(err, &statusErr):
		stage = "COMMIT_STATUS"
	case errors.Is(err, context.DeadlineExceeded):
		return "CLIENT_TIMEOUT"
	case errors.Is(err, context.Canceled):
		return "CANCELED"
	default:
		return "CLIENT_ERROR"
	}
	return stage + "_" + strings.ToUpper(status.Code(err).String())
}

var _ Network = (*testnet.Network)(nil)
