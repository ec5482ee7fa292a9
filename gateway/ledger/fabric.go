package ledger

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/metrics"
)

// Fabric implements Ledger over the Fabric Gateway SDK.
type Fabric struct {
	conn      *grpc.ClientConn
	gateways  map[string]*client.Gateway
	chaincode string
	channel   string
	evaluate  time.Duration
	submitter *submitter
	metrics   *metrics.Metrics
	log       *slog.Logger
}

var _ Ledger = (*Fabric)(nil)

// Dial opens the shared gRPC connection to cfg.Peer and one SDK gateway per
// configured client identity. It does not wait for the peer to answer; use
// a readiness probe (an Evaluate) for that.
func Dial(cfg config.Config, m *metrics.Metrics, log *slog.Logger) (*Fabric, error) {
	caPEM, err := os.ReadFile(cfg.Peer.TLSCAFile)
	if err != nil {
		return nil, fmt.Errorf("ledger: peer.tlsCAFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("ledger: peer.tlsCAFile %s: no PEM certificates", cfg.Peer.TLSCAFile)
	}
	creds := credentials.NewClientTLSFromCert(pool, cfg.Peer.ServerNameOverride)
	conn, err := grpc.NewClient("dns:///"+cfg.Peer.Endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("ledger: connect to peer %s: %w", cfg.Peer.Endpoint, err)
	}
	f := &Fabric{
		conn:      conn,
		gateways:  map[string]*client.Gateway{},
		chaincode: cfg.Chaincode,
		channel:   cfg.Channel,
		evaluate:  cfg.Timeouts.Evaluate.D(),
		metrics:   m,
		log:       log,
		submitter: &submitter{
			policy: policy{
				endorse:      cfg.Timeouts.Endorse.D(),
				submit:       cfg.Timeouts.Submit.D(),
				commitStatus: cfg.Timeouts.CommitStatus.D(),
				commit:       cfg.Timeouts.Commit.D(),
				lookup:       min(submitLookup, cfg.Timeouts.CommitStatus.D()),
				attempts:     cfg.Retry.ConflictAttempts,
				backoffBase:  cfg.Retry.BackoffBase.D(),
				backoffMax:   cfg.Retry.BackoffMax.D(),
				lagWait:      cfg.Retry.LagWait.D(),
			},
			localMSP: cfg.MSPID,
			metrics:  m,
			log:      log,
			sleep:    sleepCtx,
		},
	}
	for i, cl := range cfg.Clients {
		gw, err := connectIdentity(conn, cfg, cl.Identity)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("ledger: clients[%d] (%s): %w", i, cl.Name, err)
		}
		f.gateways[cl.Name] = gw
	}
	return f, nil
}

func connectIdentity(conn *grpc.ClientConn, cfg config.Config, id config.Identity) (*client.Gateway, error) {
	certPEM, err := os.ReadFile(id.CertFile)
	if err != nil {
		return nil, fmt.Errorf("identity.certFile: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("identity.certFile %s: %w", id.CertFile, err)
	}
	x509ID, err := identity.NewX509Identity(cfg.MSPID, cert)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	keyPEM, err := os.ReadFile(id.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("identity.keyFile: %w", err)
	}
	key, err := privateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("identity.keyFile %s: %w", id.KeyFile, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, fmt.Errorf("identity.keyFile %s: %w", id.KeyFile, err)
	}
	return client.Connect(x509ID,
		client.WithSign(sign),
		client.WithHash(hash.SHA256),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(cfg.Timeouts.Evaluate.D()),
		client.WithEndorseTimeout(cfg.Timeouts.Endorse.D()),
		client.WithSubmitTimeout(cfg.Timeouts.Submit.D()),
		client.WithCommitStatusTimeout(cfg.Timeouts.CommitStatus.D()),
	)
}

// privateKeyFromPEM reads PKCS #8 keys (what Fabric CA and cryptogen write)
// and SEC 1 "EC PRIVATE KEY" keys (what openssl ecparam writes).
func privateKeyFromPEM(b []byte) (crypto.PrivateKey, error) {
	if block, _ := pem.Decode(b); block != nil && block.Type == "EC PRIVATE KEY" {
		return x509.ParseECPrivateKey(block.Bytes)
	}
	return identity.PrivateKeyFromPEM(b)
}

// Close closes the SDK gateways and the shared connection.
func (f *Fabric) Close() error {
	for _, gw := range f.gateways {
		_ = gw.Close()
	}
	return f.conn.Close()
}

func (f *Fabric) gateway(name string) (*client.Gateway, error) {
	gw, ok := f.gateways[name]
	if !ok {
		return nil, &Error{Code: CodeUnknownIdentity, Stage: StageEvaluate, Message: "no identity configured for client " + name}
	}
	return gw, nil
}

// Evaluate implements Ledger.
func (f *Fabric) Evaluate(ctx context.Context, id, fn string, args ...string) ([]byte, error) {
	gw, err := f.gateway(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.evaluate)
	defer cancel()
	start := time.Now()
	contract := gw.GetNetwork(f.channel).GetContract(f.chaincode)
	res, err := contract.EvaluateWithContext(ctx, fn, client.WithArguments(args...))
	if err != nil {
		e := classify(StageEvaluate, "", err)
		f.metrics.Stage(string(StageEvaluate), string(e.Code), time.Since(start))
		return nil, e
	}
	f.metrics.Stage(string(StageEvaluate), "ok", time.Since(start))
	return res, nil
}

// Submit implements Ledger.
func (f *Fabric) Submit(ctx context.Context, id, fn string, args []string, transient map[string][]byte, opts SubmitOptions) (*Committed, error) {
	gw, err := f.gateway(id)
	if err != nil {
		return nil, err
	}
	contract := gw.GetNetwork(f.channel).GetContract(f.chaincode)
	popts := []client.ProposalOption{client.WithArguments(args...)}
	if len(transient) > 0 {
		popts = append(popts, client.WithTransient(transient))
	}
	if len(opts.EndorsingOrgs) > 0 {
		popts = append(popts, client.WithEndorsingOrganizations(opts.EndorsingOrgs...))
	}
	propose := func(ctx context.Context) (endorsed, error) {
		proposal, err := contract.NewProposal(fn, popts...)
		if err != nil {
			return nil, err
		}
		tx, err := proposal.EndorseWithContext(ctx)
		if err != nil {
			return nil, err
		}
		return &fabricTx{gw: gw, channel: f.channel, tx: tx}, nil
	}
	return f.submitter.run(ctx, fn, propose)
}

// Events implements Ledger.
func (f *Fabric) Events(ctx context.Context, id string, startBlock *uint64) (<-chan Event, error) {
	gw, err := f.gateway(id)
	if err != nil {
		return nil, err
	}
	var opts []client.ChaincodeEventsOption
	if startBlock != nil {
		opts = append(opts, client.WithStartBlock(*startBlock))
	}
	src, err := gw.GetNetwork(f.channel).ChaincodeEvents(ctx, f.chaincode, opts...)
	if err != nil {
		return nil, classify(StageEvents, "", err)
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for ev := range src {
			select {
			case out <- Event{BlockNumber: ev.BlockNumber, TxID: ev.TransactionID, Name: ev.EventName, Payload: ev.Payload}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// fabricTx adapts *client.Transaction to the submit loop. The first submit
// signs the transaction; its bytes (signature included) are then kept, and
// every re-send rebuilds the transaction from those same bytes, so the
// orderer sees the identical envelope and transaction ID each time (the
// path that would also work after a process restart).
type fabricTx struct {
	gw      *client.Gateway
	channel string
	tx      *client.Transaction

	mu     sync.Mutex
	signed []byte
	// commit is the commit of the last successful submit, or a look-up of
	// the transaction ID when no submit has succeeded.
	commit *client.Commit
}

func (t *fabricTx) TransactionID() string { return t.tx.TransactionID() }
func (t *fabricTx) Result() []byte        { return t.tx.Result() }

func (t *fabricTx) Submit(ctx context.Context) error {
	t.mu.Lock()
	tx := t.tx
	if t.signed != nil {
		again, err := t.gw.NewTransaction(t.signed)
		if err != nil {
			t.mu.Unlock()
			return fmt.Errorf("rebuild signed transaction: %w", err)
		}
		tx = again
	}
	t.mu.Unlock()
	commit, err := tx.SubmitWithContext(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.signed == nil {
		// Submit signed the envelope (even if the call failed after
		// signing); keep exactly those bytes for any re-send.
		if b, berr := t.tx.Bytes(); berr == nil {
			t.signed = b
		}
	}
	if err != nil {
		return err
	}
	t.commit = commit
	return nil
}

// Status waits for the transaction's commit status. Before any submit has
// succeeded it looks the transaction up by its ID: a failed submit may still
// have reached the orderers (see submitter.commit).
func (t *fabricTx) Status(ctx context.Context) (peer.TxValidationCode, uint64, error) {
	t.mu.Lock()
	commit := t.commit
	if commit == nil {
		c, err := LookupCommit(t.gw, t.channel, t.tx.TransactionID())
		if err != nil {
			t.mu.Unlock()
			return 0, 0, err
		}
		commit = c
	}
	t.mu.Unlock()
	st, err := commit.StatusWithContext(ctx)
	if err != nil {
		return 0, 0, err
	}
	return st.Code, st.BlockNumber, nil
}

// LookupCommit builds the commit status request for transaction txID on
// channel, as gw's identity (the SDK signs it when it is sent), for a
// transaction whose submit failed and that may be ordered anyway. Its
// Status answers at once for a committed transaction and otherwise waits
// until it commits or the call's context ends.
func LookupCommit(gw *client.Gateway, channel, txID string) (*client.Commit, error) {
	id := gw.Identity()
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	if err != nil {
		return nil, fmt.Errorf("serialize identity: %w", err)
	}
	req, err := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: channel, TransactionId: txID, Identity: creator})
	if err != nil {
		return nil, fmt.Errorf("commit status request: %w", err)
	}
	signed, err := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: req})
	if err != nil {
		return nil, fmt.Errorf("commit status request: %w", err)
	}
	return gw.NewCommit(signed)
}
