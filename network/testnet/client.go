package testnet

import (
	"bufio"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// Conn is a Fabric Gateway SDK connection as one user of one province, to
// that province's peer.
type Conn struct {
	*sdk.Gateway
	grpc *grpc.ClientConn

	mu        sync.Mutex
	contracts []*sdk.Contract
}

// Close closes the gateway and its gRPC connection.
func (c *Conn) Close() {
	c.mu.Lock()
	for _, k := range c.contracts {
		contracts.Delete(k)
	}
	c.contracts = nil
	c.mu.Unlock()
	_ = c.Gateway.Close()
	_ = c.grpc.Close()
}

// contracts maps each contract Conn.Contract made, until its Conn closes,
// to its channel and gateway: Submit looks a transaction up by its ID
// through them after a failed submit.
var contracts sync.Map // *sdk.Contract → contractOf

type contractOf struct {
	gw      *sdk.Gateway
	channel string
}

// Contract returns chaincode on channel, addressed by qualified function
// names ("token:Transfer", an api operation's Function).
func (c *Conn) Contract(channel, chaincode string) *sdk.Contract {
	k := c.GetNetwork(channel).GetContract(chaincode)
	contracts.Store(k, contractOf{gw: c.Gateway, channel: channel})
	c.mu.Lock()
	c.contracts = append(c.contracts, k)
	c.mu.Unlock()
	return k
}

// bankCodes are the provinces' code prefixes of bank codes, as
// test-network-scripts/lib/common.sh (CODE) has them.
var bankCodes = map[string]string{"shanghai": "SH", "jiangsu": "JS", "zhejiang": "ZJ", "anhui": "AH"}

// Bank is the bank code carried by the certificate of province p's user, as
// network.sh enrols it (lib/common.sh, bank_of): operator acts for the
// city commercial bank (SH-CITY), operator2 for a national bank's branch
// (SH-ICBC), issuer for the central-bank branch (SH-PBC), fiscal and
// fiscal2 (maker and checker) for the fiscal bureau (SH-FIN); "" for roles
// that act for no bank.
func Bank(p Province, user string) string {
	suffix := map[string]string{"operator": "CITY", "operator2": "ICBC", "issuer": "PBC", "fiscal": "FIN", "fiscal2": "FIN"}[user]
	if suffix == "" || bankCodes[p.Name] == "" {
		return ""
	}
	return bankCodes[p.Name] + "-" + suffix
}

// Role is the role attribute of a user's certificate (lib/common.sh,
// role_of): operator2 is an operator of another bank, fiscal2 a second
// officer of the fiscal bureau.
func Role(user string) api.Role {
	switch user {
	case "operator2":
		return api.RoleOperator
	case "fiscal2":
		return api.RoleFiscal
	}
	return api.Role(user)
}

// PeerConn opens a TLS gRPC connection to province p's peer (the Gateway,
// Endorser and Deliver services).
func (n *Network) PeerConn(p Province) (*grpc.ClientConn, error) {
	caPEM, err := os.ReadFile(n.CAFile(p))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("CA file of %s holds no certificate", p.Name)
	}
	cc, err := grpc.NewClient(n.PeerEndpoint(p), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, "")))
	if err != nil {
		return nil, fmt.Errorf("dial peer of %s: %w", p.Name, err)
	}
	return cc, nil
}

// Signer is a user's ledger identity: its serialized form (the creator of
// a proposal) and a signing function over SHA-256 digests, the same signer
// the Fabric Gateway SDK uses.
type Signer struct {
	ID identity.Identity
	// Creator is the serialized identity (msp.SerializedIdentity).
	Creator []byte
	// Sign signs a digest (ECDSA, low-S).
	Sign identity.Sign
}

// SignerOf reads province p's user's certificate and private key.
func (n *Network) SignerOf(p Province, user string) (*Signer, error) {
	certFile, keyFile := n.Identity(p, user)
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, err
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		return nil, err
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	if err != nil {
		return nil, fmt.Errorf("serialize identity: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	return &Signer{ID: id, Creator: creator, Sign: sign}, nil
}

// Connect opens a Fabric Gateway SDK connection as user of province p.
func (n *Network) Connect(p Province, user string) (*Conn, error) {
	s, err := n.SignerOf(p, user)
	if err != nil {
		return nil, err
	}
	cc, err := n.PeerConn(p)
	if err != nil {
		return nil, err
	}
	gw, err := sdk.Connect(s.ID, sdk.WithSign(s.Sign), sdk.WithHash(hash.SHA256), sdk.WithClientConnection(cc),
		sdk.WithEvaluateTimeout(10*time.Second), sdk.WithEndorseTimeout(30*time.Second),
		sdk.WithSubmitTimeout(10*time.Second), sdk.WithCommitStatusTimeout(60*time.Second))
	if err != nil {
		_ = cc.Close()
		return nil, err
	}
	return &Conn{Gateway: gw, grpc: cc}, nil
}

// Evaluate runs a read-only api operation with its one JSON argument and
// decodes the answer; it runs on the connection's peer unless opts pick
// another organisation's (sdk.WithEndorsingOrganizations). It refuses an
// operation that must be submitted.
func Evaluate[Req, Resp any](ctx context.Context, c *sdk.Contract, op api.Operation[Req, Resp], req Req,
	opts ...sdk.ProposalOption) (Resp, error) {
	var zero Resp
	if op.Mode != api.Evaluate {
		return zero, fmt.Errorf("%s is a %s operation, not evaluate", op.Function(), op.Mode)
	}
	arg, err := op.Encode(req)
	if err != nil {
		return zero, err
	}
	b, err := c.EvaluateWithContext(ctx, op.Function(), append([]sdk.ProposalOption{sdk.WithArguments(arg)}, opts...)...)
	if err != nil {
		return zero, err
	}
	return op.DecodeResponse(b)
}

// Submit endorses an api operation with its one JSON argument (opts may add
// transient data or pick endorsers), sends it to ordering and waits for its
// commit status. A transaction committed as invalid fails with an
// *sdk.CommitError carrying the validation code; the status (block,
// transaction ID) is returned whenever one was read. It refuses an
// operation that is evaluate-only.
//
// A submit that fails Unavailable or DeadlineExceeded may have reached the
// orderers anyway (with BFT the Fabric Gateway reports a transaction that
// fewer than a quorum of orderers acknowledged as Unavailable, fabric
// #4415): when c came from Conn.Contract, Submit then looks the transaction
// up by its ID for up to submitLookup and carries on with its status if it
// committed; otherwise it returns the submit's error.
func Submit[Req, Resp any](ctx context.Context, c *sdk.Contract, op api.Operation[Req, Resp], req Req,
	opts ...sdk.ProposalOption) (Resp, *sdk.Status, error) {
	var zero Resp
	if op.Mode != api.Submit {
		return zero, nil, fmt.Errorf("%s is a %s operation, not submit", op.Function(), op.Mode)
	}
	arg, err := op.Encode(req)
	if err != nil {
		return zero, nil, err
	}
	prop, err := c.NewProposal(op.Function(), append([]sdk.ProposalOption{sdk.WithArguments(arg)}, opts...)...)
	if err != nil {
		return zero, nil, err
	}
	tx, err := prop.EndorseWithContext(ctx)
	if err != nil {
		return zero, nil, err
	}
	var st *sdk.Status
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		var lerr error
		if st, lerr = lookUp(ctx, c, tx.TransactionID(), err); lerr != nil {
			return zero, nil, err
		}
	} else if st, err = commit.StatusWithContext(ctx); err != nil {
		return zero, nil, err
	}
	if !st.Successful {
		return zero, st, &sdk.CommitError{TransactionID: st.TransactionID, Code: st.Code}
	}
	resp, err := op.DecodeResponse(tx.Result())
	return resp, st, err
}

// submitLookup bounds the look-up after a failed submit: a transaction
// that two BFT orderers had already ordered commits within a block or two;
// one that only some orderers received is forwarded to the leader after
// 2 s (RequestForwardTimeout).
const submitLookup = 5 * time.Second

// lookUp waits for the commit status of transaction txID, submitted through
// c, after its submit failed with submitErr. It fails when the error proves
// nothing was sent, when c is not a Conn's contract, or when the
// transaction did not commit within submitLookup.
func lookUp(ctx context.Context, c *sdk.Contract, txID string, submitErr error) (*sdk.Status, error) {
	if code := status.Code(submitErr); code != codes.Unavailable && code != codes.DeadlineExceeded {
		return nil, submitErr
	}
	v, ok := contracts.Load(c)
	if !ok {
		return nil, submitErr
	}
	of := v.(contractOf)
	commit, err := ledger.LookupCommit(of.gw, of.channel, txID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, submitLookup)
	defer cancel()
	return commit.StatusWithContext(ctx)
}

// GatewayClient returns a client of province p's yrd-gateway signed in with
// user's bearer token; opts add to (and may override) its options.
func (n *Network) GatewayClient(p Province, user string, opts ...client.Option) (*client.Client, error) {
	tok, err := n.GatewayToken(p, user)
	if err != nil {
		return nil, fmt.Errorf("gateway token of %s/%s: %w", p.Name, user, err)
	}
	return client.New(n.GatewayURL(p), append([]client.Option{client.WithToken(tok)}, opts...)...)
}

// Sample is one sample of a Prometheus text exposition.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples is a scrape of a metrics endpoint.
type Samples []Sample

// Sum adds the samples of the metric name whose labels include every pair
// of match (nil matches all).
func (s Samples) Sum(name string, match map[string]string) float64 {
	var total float64
next:
	for _, x := range s {
		if x.Name != name {
			continue
		}
		for k, v := range match {
			if x.Labels[k] != v {
				continue next
			}
		}
		total += x.Value
	}
	return total
}

// maxMetricLine bounds one line of a metrics exposition.
const maxMetricLine = 1 << 20

// ParseMetrics reads the Prometheus text format: comments are skipped,
// label values may hold escaped quotes, a line longer than 1 MiB fails.
func ParseMetrics(r io.Reader) (Samples, error) {
	var out Samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxMetricLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func parseSample(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	rest := line
	if i := strings.IndexAny(line, "{ "); i >= 0 && line[i] == '{' {
		s.Name, rest = line[:i], line[i+1:]
		for {
			rest = strings.TrimLeft(rest, ", ")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			k, v, ok := strings.Cut(rest, `="`)
			if !ok {
				return s, fmt.Errorf("metric line %q: bad labels", line)
			}
			var val strings.Builder
			j := 0
			for ; j < len(v) && v[j] != '"'; j++ {
				if v[j] == '\\' && j+1 < len(v) {
					j++
					if v[j] == 'n' {
						val.WriteByte('\n')
						continue
					}
				}
				val.WriteByte(v[j])
			}
			if j == len(v) {
				return s, fmt.Errorf("metric line %q: unterminated label value", line)
			}
			s.Labels[k] = val.String()
			rest = v[j+1:]
		}
	} else {
		s.Name, rest, _ = strings.Cut(line, " ")
	}
	fields := strings.Fields(rest)
	if s.Name == "" || len(fields) == 0 {
		return s, fmt.Errorf("metric line %q: no value", line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("metric line %q: %w", line, err)
	}
	s.Value = v
	return s, nil
}

// GatewayMetrics scrapes province p's yrd-gateway /metrics with hc (nil:
// http.DefaultClient).
func (n *Network) GatewayMetrics(ctx context.Context, hc *http.Client, p Province) (Samples, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.GatewayMetricsURL(p)+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", p.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics of %s: HTTP %d", p.Name, resp.StatusCode)
	}
	return ParseMetrics(resp.Body)
}
