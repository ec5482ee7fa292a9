package ledger

// These tests put a fake Fabric Gateway service (the gRPC boundary) behind
// the real SDK and Fabric, and script it with what the pinned peer answers
// (see unavailable.go): an evaluation with target organisations runs on
// those organisations' peers only; a peer whose chaincode server is down
// answers 500 without payload, which the Gateway reports as Aborted with
// one ErrorDetail per failed peer.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gwproto "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
)

// launchFailure is the ErrorDetail message of a peer whose CCaaS server
// refuses connections, exactly as the pinned peer worded it on the real
// network (chaincode server of Shanghai killed; the transaction ID, package
// ID and address vary).
const launchFailure = `error in simulation: failed to execute transaction e28c3cfeeca9741bf7b5741f50a3a9a86662bbb8ccfe7284a33772e4bedf9ede: ` +
	`could not launch chaincode yrd_v1:350ac3a3623796585bc2deaa210f1f7d2f4057d007bcf72a06cb38e71c751dc0: ` +
	`connection to yrd_v1:350ac3a3623796585bc2deaa210f1f7d2f4057d007bcf72a06cb38e71c751dc0 failed: ` +
	`error cannot create connection for yrd_v1:350ac3a3623796585bc2deaa210f1f7d2f4057d007bcf72a06cb38e71c751dc0: ` +
	`error creating grpc connection to 127.0.0.1:41008: failed to create new connection: connection error: ` +
	`desc = "transport: error while dialing: dial tcp 127.0.0.1:41008: connect: connection refused"`

// fakeGateway answers Evaluate and Endorse as a province's peer does.
type fakeGateway struct {
	gwproto.UnimplementedGatewayServer
	local   string
	heights map[string]uint64 // org → block height; absent: no peer of that org reachable
	ccDown  map[string]bool   // org → its chaincode server is down

	mu      sync.Mutex
	targets [][]string // target organisations of each Evaluate
}

func (g *fakeGateway) Evaluate(_ context.Context, req *gwproto.EvaluateRequest) (*gwproto.EvaluateResponse, error) {
	cc, args := invocation(req.GetProposedTransaction())
	targets := req.GetTargetOrganizations()
	g.mu.Lock()
	g.targets = append(g.targets, slices.Clone(targets))
	g.mu.Unlock()
	// Without targets the Gateway tries its own organisation's peer, then
	// the others' by height, on a peer-side failure.
	orgs := targets
	if len(orgs) == 0 {
		orgs = []string{g.local}
		for org := range g.heights {
			if org != g.local {
				orgs = append(orgs, org)
			}
		}
	}
	var failed []protoadapt.MessageV1
	for _, org := range orgs {
		h, ok := g.heights[org]
		if !ok {
			continue
		}
		if cc == "qscc" {
			b, _ := proto.Marshal(&common.BlockchainInfo{Height: h})
			return &gwproto.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: b}}, nil
		}
		if g.ccDown[org] {
			failed = append(failed, &gwproto.ErrorDetail{Address: "peer0." + org + ":7051", MspId: org, Message: launchFailure})
			continue
		}
		b, _ := json.Marshal(api.VersionInfo{Version: "v1 " + org + " " + args[0]})
		return &gwproto.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: b}}, nil
	}
	if len(failed) == 0 {
		return nil, status.Errorf(codes.FailedPrecondition, "no peers available to evaluate chaincode %s in channel settlement", cc)
	}
	st, _ := status.New(codes.Aborted, "failed to evaluate transaction, see attached details for more info").WithDetails(failed...)
	return nil, st.Err()
}

func (g *fakeGateway) Endorse(context.Context, *gwproto.EndorseRequest) (*gwproto.EndorseResponse, error) {
	// The Gateway endorses on its own organisation's peer first and gives up
	// when that peer cannot run the chaincode.
	st, _ := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gwproto.ErrorDetail{Address: "peer0." + g.local + ":7051", MspId: g.local, Message: launchFailure})
	return nil, st.Err()
}

// invocation returns the chaincode name and arguments of a signed proposal.
func invocation(sp *peer.SignedProposal) (string, []string) {
	var prop peer.Proposal
	var payload peer.ChaincodeProposalPayload
	var spec peer.ChaincodeInvocationSpec
	if proto.Unmarshal(sp.GetProposalBytes(), &prop) != nil || proto.Unmarshal(prop.GetPayload(), &payload) != nil ||
		proto.Unmarshal(payload.GetInput(), &spec) != nil {
		return "", nil
	}
	var args []string
	for _, a := range spec.GetChaincodeSpec().GetInput().GetArgs() {
		args = append(args, string(a))
	}
	return spec.GetChaincodeSpec().GetChaincodeId().GetName(), args
}

// serveFake starts g on a TLS listener and returns a Fabric dialled to it.
func serveFake(t *testing.T, g *fakeGateway) *Fabric {
	t.Helper()
	return serveGateway(t, g, g.local)
}

// serveGateway starts a Gateway service on a TLS listener and returns a
// Fabric of organisation local dialled to it.
func serveGateway(t *testing.T, g gwproto.GatewayServer, local string) *Fabric {
	t.Helper()
	cfg := testConfig(t)
	certPEM, keyPEM := serverCert(t, "peer0.shanghai.yrd")
	caFile := filepath.Join(t.TempDir(), "peer-ca.pem")
	require.NoError(t, os.WriteFile(caFile, certPEM, 0o600))
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&pair)))
	gwproto.RegisterGatewayServer(srv, g)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	cfg.Peer.Endpoint = ln.Addr().String()
	cfg.Peer.TLSCAFile = caFile
	cfg.MSPID = local
	cfg.Timeouts.Endorse = config.Duration(5 * time.Second)
	f, err := Dial(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// serverCert makes a self-signed TLS certificate for host (its own CA).
func serverCert(t *testing.T, host string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func TestProbeOnOneOrganisation(t *testing.T) {
	const sh, js, zj = "ShanghaiMSP", "JiangsuMSP", "ZhejiangMSP"
	g := &fakeGateway{local: sh, heights: map[string]uint64{sh: 40, js: 52, zj: 51}, ccDown: map[string]bool{sh: true}}
	f := serveFake(t, g)
	ctx := context.Background()

	t.Run("a plain evaluation hides the province's dead chaincode server", func(t *testing.T) {
		v, err := Query(ctx, f, "bank", api.Version, api.Empty{})
		require.NoError(t, err, "the Gateway fell back to another province's peer")
		require.NotEmpty(t, v.Version)
	})
	t.Run("EvaluateAt the own organisation sees it", func(t *testing.T) {
		_, err := QueryAt(ctx, f, sh, "bank", api.Version, api.Empty{})
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, CodeChaincodeUnavailable, e.Code, e.Error())
		require.Equal(t, []string{sh}, e.FailedMSPs)
		require.NotContains(t, e.Message, "127.0.0.1", "no addresses in what clients read")
	})
	t.Run("EvaluateAt another organisation answers", func(t *testing.T) {
		_, err := QueryAt(ctx, f, js, "bank", api.Version, api.Empty{})
		require.NoError(t, err)
	})
	t.Run("HeightAt reads each organisation's peer", func(t *testing.T) {
		for org, want := range g.heights {
			h, err := f.HeightAt(ctx, org, "bank")
			require.NoError(t, err, org)
			require.Equal(t, want, h, org)
		}
		_, err := f.HeightAt(ctx, "AnhuiMSP", "bank")
		require.Error(t, err, "no peer of that organisation")
		_, err = f.HeightAt(ctx, sh, "nobody")
		require.Equal(t, CodeUnknownIdentity, CodeOf(err))
	})
	t.Run("the probes named exactly one target organisation", func(t *testing.T) {
		g.mu.Lock()
		defer g.mu.Unlock()
		require.Empty(t, g.targets[0], "the plain evaluation")
		for _, tg := range g.targets[1:] {
			require.Len(t, tg, 1)
		}
	})
	t.Run("a payment endorsed while the chaincode server is down", func(t *testing.T) {
		_, err := f.Submit(ctx, "bank", "token:Transfer", []string{"{}"}, nil, SubmitOptions{})
		require.Equal(t, CodeChaincodeUnavailable, CodeOf(err), err)
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, StageEndorse, e.Stage)
	})
}
