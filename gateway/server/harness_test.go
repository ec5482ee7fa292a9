package server

// The handler tests run the real chaincode in process (package
// ledger/inproc on the honest stub): every answer a test sees is one the
// contract really gives. Commit-stage faults (timeouts, conflicts, invalid
// transactions) are injected with inproc's Fault hook after a real
// endorsement.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/ledger/inproc"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/opstore"
	"github.com/yangtze-delta/settlement/gateway/workpool"
	"github.com/yangtze-delta/settlement/rest"
)

const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
)

// The gateway's clients in these tests, by name. The gateway does not care
// about provinces; the chaincode does.
var identities = map[string]inproc.Identity{
	"sh-op":   {MSPID: SH, Role: api.RoleOperator, Bank: "SH-CITY"},
	"sh-op2":  {MSPID: SH, Role: api.RoleOperator, Bank: "SH-ICBC"},
	"sh-iss":  {MSPID: SH, Role: api.RoleIssuer, Bank: "SH-PBC"},
	"sh-comp": {MSPID: SH, Role: api.RoleCompliance},
	"sh-aud":  {MSPID: SH, Role: api.RoleAuditor},
	"js-op":   {MSPID: JS, Role: api.RoleOperator, Bank: "JS-CITY"},
	"js-iss":  {MSPID: JS, Role: api.RoleIssuer, Bank: "JS-PBC"},
	"zj-iss":  {MSPID: ZJ, Role: api.RoleIssuer, Bank: "ZJ-PBC"},
}

// clientNames are the gateway's token clients (every identity).
var clientNames = []string{"sh-op", "sh-op2", "sh-iss", "sh-comp", "sh-aud", "js-op", "js-iss", "zj-iss"}

func token(client string) string { return client + "-token" }

func tokenHash(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

type harnessOptions struct {
	fault   func(fn string) error
	workers int
	queue   int
	storeAt string
	maxSubs int
	buffer  int
}

type harness struct {
	t    testing.TB
	led  *inproc.Ledger
	srv  *Server
	h    http.Handler
	ops  *opstore.Store
	pool *workpool.Pool
	hub  *eventhub.Hub
	logs *syncBuffer
	// mints numbers mint IDs.
	mints int
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	led, err := inproc.New(inproc.Options{Identities: identities, Fault: o.fault})
	if err != nil {
		t.Fatal(err)
	}
	// The network's collections, with their endorsement policies: a write
	// to private data alone, endorsed by one province (a freeze reason's
	// note, a remittance), is valid only under its collection's policy.
	colls, err := cctest.Collections()
	if err != nil {
		t.Fatal(err)
	}
	led.Stub().Collections = colls
	var clients []config.Client
	for _, name := range clientNames {
		clients = append(clients, config.Client{Name: name, TokenSHA256: tokenHash(token(name))})
	}
	clients = append(clients, config.Client{Name: "sh-op-mtls", CertSubject: "CN=bocom-backoffice,O=BOCOM,C=CN", CertIssuer: "CN=ca.shanghai"})
	if o.storeAt == "" {
		o.storeAt = filepath.Join(t.TempDir(), "operations.db")
	}
	ops, err := opstore.Open(o.storeAt, opstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := workpool.New(workpool.Options{Workers: max(o.workers, 0), Queue: max(o.queue, 0)})
	if err != nil {
		t.Fatal(err)
	}
	hub, err := eventhub.New(func(ctx context.Context, start *uint64) (<-chan ledger.Event, error) {
		return led.Events(ctx, "sh-aud", start)
	}, eventhub.Options{MaxSubscribers: o.maxSubs, BufferEvents: o.buffer, Linger: -1})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv, err := New(Options{
		Ledger:       led,
		Clients:      clients,
		MaxBodyBytes: 8192,
		Selection:    config.Selection{LockWait: config.Duration(2 * time.Second), MaxInputs: 10, ReservePool: 4},
		Network:      rest.Network{MSPID: SH, Channel: "settlement", Chaincode: "yrd", Peer: "127.0.0.1:7051"},
		Operations:   ops,
		Identities:   serverIdentities(),
		Secret:       []byte("sixteen-byte-secret-for-tests"),
		Pool:         pool,
		Events:       hub,
		Replay: func(ctx context.Context, start uint64) (<-chan ledger.Event, error) {
			return led.Events(ctx, "sh-aud", &start)
		},
		Metrics: metrics.New(),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{t: t, led: led, srv: srv, h: srv.Handler(), ops: ops, pool: pool, hub: hub, logs: logs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.BeginShutdown()
		if err := pool.Close(ctx); err != nil {
			t.Errorf("pool close: %v", err)
		}
		_ = hub.Close()
		_ = ops.Close()
	})
	return hs
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the body into v, failing the test on error.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// code returns the error code of a JSON error body.
func (r response) code(t testing.TB) string {
	t.Helper()
	var e rest.Error
	r.decode(t, &e)
	return e.Code
}

// do sends a request as client with a JSON body ("" for none).
func (h *harness) do(client, method, path, body string) response {
	h.t.Helper()
	return h.doWith(client, method, path, body, "application/json")
}

func (h *harness) doWith(client, method, path, body, contentType string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if client != "" {
		req.Header.Set("Authorization", "Bearer "+token(client))
	}
	if body != "" && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: bytes.Clone(rec.Body.Bytes())}
}

// must sends a request and fails the test unless it answers want.
func (h *harness) must(want int, client, method, path, body string) response {
	h.t.Helper()
	r := h.do(client, method, path, body)
	if r.status != want {
		h.t.Fatalf("%s %s as %s: %d %s, want %d", method, path, client, r.status, r.body, want)
	}
	return r
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func serverIdentities() map[string]Identity {
	out := map[string]Identity{}
	for name, id := range identities {
		out[name] = Identity{MSPID: id.MSPID, Role: id.Role, Bank: id.Bank}
	}
	return out
}

// open opens an account through the gateway.
func (h *harness) open(client, id, kind, tier string) rest.Account {
	h.t.Helper()
	req := rest.OpenAccountRequest{ID: id, Kind: kind, Tier: tier}
	switch kind {
	case rest.KindCustomer:
		req.CustomerRef = "ref-" + id
	case rest.KindMerchant:
		req.MerchantCategory = "5411"
	}
	var c rest.Committed[rest.Account]
	h.must(http.StatusCreated, client, "POST", "/v1/accounts", jsonOf(req)).decode(h.t, &c)
	return c.Result
}

// decide proposes as sh-iss, has js-iss and zj-iss approve, and executes.
func (h *harness) decide(p rest.ProposalRequest) rest.Execution {
	h.t.Helper()
	h.must(http.StatusCreated, "sh-iss", "POST", "/v1/proposals", jsonOf(p))
	for _, c := range []string{"js-iss", "zj-iss"} {
		h.must(http.StatusCreated, c, "POST", "/v1/proposals/"+p.ID+"/approve", "")
	}
	var ex rest.Committed[rest.Execution]
	h.must(http.StatusCreated, "sh-iss", "POST", "/v1/proposals/"+p.ID+"/execute", "").decode(h.t, &ex)
	return ex.Result
}

// mint issues amount (yuan) into SH-PBC:reserve by a quorum decision,
// after setting a ceiling the first time.
func (h *harness) mint(amount string) rest.Mint {
	h.t.Helper()
	h.mints++
	if h.mints == 1 {
		h.decide(rest.ProposalRequest{ID: "ShanghaiMSP:ceiling", Action: rest.ActionCeiling,
			Ceiling: &rest.CeilingParams{MSP: SH, Ceiling: y("100000000")}})
	}
	ex := h.decide(rest.ProposalRequest{ID: fmt.Sprintf("ShanghaiMSP:mint-%d", h.mints), Action: rest.ActionMint,
		Mint: &rest.MintParams{Account: "SH-PBC:reserve", Amount: y(amount), ReserveRef: fmt.Sprintf("dep-%d", h.mints)}})
	return *ex.Mint
}

// pay sends a payment through the gateway and returns the payment.
func (h *harness) pay(client string, p rest.PaymentRequest) rest.Payment {
	h.t.Helper()
	var c rest.Committed[rest.Payment]
	h.must(http.StatusCreated, client, "POST", "/v1/payments", jsonOf(p)).decode(h.t, &c)
	return c.Result
}

func (h *harness) balance(client, account string) string {
	h.t.Helper()
	var b rest.Balance
	h.must(http.StatusOK, client, "GET", "/v1/accounts/"+account+"/balance", "").decode(h.t, &b)
	return b.Balance.String()
}

// Accounts of the funded harness.
const (
	reserve = "SH-PBC:reserve" // Shanghai's reserve (the central-bank branch)
	settle  = "SH-CITY:settle" // SH-CITY's settlement account, funded
	shShop  = "SH-CITY:shop"   // a merchant of SH-CITY
	jsShop  = "JS-CITY:shop"   // a merchant of JS-CITY
)

// funded opens Shanghai's reserve, SH-CITY's settlement account and a
// merchant, a Jiangsu merchant, mints 1,010,000 into the reserve by a
// quorum decision and pays 1,000,000 of it to SH-CITY:settle.
func funded(t testing.TB, o harnessOptions) *harness {
	h := newHarness(t, o)
	h.open("sh-iss", reserve, rest.KindReserve, "")
	h.open("sh-op", settle, rest.KindSettlement, "")
	h.open("sh-op", shShop, rest.KindMerchant, "")
	h.open("js-op", jsShop, rest.KindMerchant, "")
	h.mint("1010000")
	h.pay("sh-iss", rest.PaymentRequest{PaymentID: "SH-PBC:fund", From: reserve, To: settle, Amount: y("1000000")})
	return h
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
