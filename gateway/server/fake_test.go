package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
)

// call records one ledger call.
type call struct {
	identity, fn string
	args         []string
	transient    map[string][]byte
	submit       bool
}

type answer func(args []string) ([]byte, error)

// fakeLedger is the test double at the ledger.Ledger interface.
type fakeLedger struct {
	mu       sync.Mutex
	calls    []call
	evaluate map[string]answer
	submit   map[string]answer
	events   []ledger.Event
	start    *uint64
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{evaluate: map[string]answer{}, submit: map[string]answer{}}
}

func (f *fakeLedger) Evaluate(_ context.Context, id, fn string, args ...string) ([]byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{identity: id, fn: fn, args: args})
	a := f.evaluate[fn]
	f.mu.Unlock()
	if a == nil {
		return nil, &ledger.Error{Code: ledger.CodeNotFound, Stage: ledger.StageEvaluate, FromChaincode: true, Message: fn + " not scripted"}
	}
	return a(args)
}

func (f *fakeLedger) Submit(_ context.Context, id, fn string, args []string, transient map[string][]byte, _ ledger.SubmitOptions) (*ledger.Committed, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{identity: id, fn: fn, args: args, transient: transient, submit: true})
	n := len(f.calls)
	a := f.submit[fn]
	f.mu.Unlock()
	if a == nil {
		return nil, &ledger.Error{Code: ledger.CodeInternal, Stage: ledger.StageEndorse, Message: fn + " not scripted"}
	}
	res, err := a(args)
	if err != nil {
		return nil, err
	}
	return &ledger.Committed{Result: res, TxID: "tx" + strconv.Itoa(n), BlockNumber: uint64(n), Attempts: 1}, nil
}

func (f *fakeLedger) Events(ctx context.Context, _ string, start *uint64) (<-chan ledger.Event, error) {
	f.mu.Lock()
	f.start = start
	evs := append([]ledger.Event(nil), f.events...)
	f.mu.Unlock()
	ch := make(chan ledger.Event)
	go func() {
		defer close(ch)
		for _, e := range evs {
			if start != nil && e.BlockNumber < *start {
				continue
			}
			select {
			case ch <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func (f *fakeLedger) on(fn string, a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Contains(fn, ":Get") || strings.Contains(fn, ":List") || strings.Contains(fn, ":Statement") ||
		strings.Contains(fn, ":Audit") || fn == fnVersion || fn == fnWhoAmI {
		f.evaluate[fn] = a
		return
	}
	f.submit[fn] = a
}

func (f *fakeLedger) callsTo(fn string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.fn == fn {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeLedger) submits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.submit {
			n++
		}
	}
	return n
}

func returns(s string) answer { return func([]string) ([]byte, error) { return []byte(s), nil } }

func fails(err error) answer { return func([]string) ([]byte, error) { return nil, err } }

func ccErr(code ledger.Code, msg string) error {
	return &ledger.Error{Code: code, Stage: ledger.StageEndorse, FromChaincode: true, Message: msg}
}

const (
	tokenBank    = "bank-token"
	tokenAuditor = "auditor-token"
)

func tokenHash(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

type testEnv struct {
	t      *testing.T
	ledger *fakeLedger
	srv    *Server
	h      http.Handler
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	fl := newFakeLedger()
	srv := New(Options{
		Ledger: fl,
		Clients: []config.Client{
			{Name: "icbc-sh", TokenSHA256: tokenHash(tokenBank)},
			{Name: "audit-sh", TokenSHA256: tokenHash(tokenAuditor)},
			{Name: "bocom-sh", CertSubject: "CN=bocom-backoffice,O=BOCOM,C=CN"},
		},
		MaxBodyBytes: 4096,
		Selection:    config.Selection{LockWait: config.Duration(50 * time.Millisecond), MaxInputs: 10},
		Network:      NetworkInfo{MSPID: "ShanghaiMSP", Channel: "settlement", Chaincode: "yrd", Peer: "127.0.0.1:7051"},
		Metrics:      metrics.New(),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return &testEnv{t: t, ledger: fl, srv: srv, h: srv.Handler()}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

// code returns the error code of a JSON error body.
func (r response) code(t *testing.T) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

func (e *testEnv) do(method, path, body string) response {
	return e.doAs(tokenBank, method, path, body)
}

func (e *testEnv) doAs(token, method, path, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: bytes.Clone(rec.Body.Bytes())}
}

// argJSON decodes a write's single JSON argument.
func argJSON(t *testing.T, c call) map[string]any {
	t.Helper()
	require.Len(t, c.args, 1)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(c.args[0]), &m))
	return m
}
