package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/ledger/inproc"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/opstore"
	"github.com/yangtze-delta/settlement/gateway/workpool"
	"github.com/yangtze-delta/settlement/rest"
)

// probeLedger is the in-process ledger with its province-pinned calls
// scripted: the own chaincode server down, a peer unreachable, heights.
// Plain Evaluate keeps answering, as the peer's Gateway does by falling
// back to another province's peer.
type probeLedger struct {
	*inproc.Ledger
	mu       sync.Mutex
	evalErr  map[string]error  // org → what EvaluateAt answers
	heightOf map[string]uint64 // org → height; absent: the ledger's
	downOrgs map[string]bool   // org → HeightAt fails
	evals    atomic.Int64      // EvaluateAt calls
}

func (p *probeLedger) EvaluateAt(ctx context.Context, org, id, fn string, args ...string) ([]byte, error) {
	p.evals.Add(1)
	p.mu.Lock()
	err := p.evalErr[org]
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return p.Ledger.EvaluateAt(ctx, org, id, fn, args...)
}

func (p *probeLedger) HeightAt(ctx context.Context, org, id string) (uint64, error) {
	p.mu.Lock()
	h, set := p.heightOf[org]
	down := p.downOrgs[org]
	p.mu.Unlock()
	if down {
		return 0, &ledger.Error{Code: ledger.CodePeerUnavailable, Stage: ledger.StageEvaluate, Message: "no peer of " + org}
	}
	if set {
		return h, nil
	}
	return p.Ledger.HeightAt(ctx, org, id)
}

func (p *probeLedger) set(f func(p *probeLedger)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// plainLedger hides the Prober side of a ledger.
type plainLedger struct{ ledger.Ledger }

// fakeClock is readiness's clock in these tests: no sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type readyFixture struct {
	t     *testing.T
	led   *probeLedger
	srv   *Server
	clock *fakeClock
	logs  *syncBuffer
}

var readyCfg = config.Readiness{MaxLag: 5, Grace: config.Duration(10 * time.Second),
	CacheFor: config.Duration(time.Second), Timeout: config.Duration(3 * time.Second)}

func newReadyFixture(t *testing.T, wrap func(*probeLedger) ledger.Ledger) *readyFixture {
	t.Helper()
	inner, err := inproc.New(inproc.Options{Identities: identities})
	if err != nil {
		t.Fatal(err)
	}
	pl := &probeLedger{Ledger: inner, evalErr: map[string]error{}, heightOf: map[string]uint64{}, downOrgs: map[string]bool{}}
	var l ledger.Ledger = pl
	if wrap != nil {
		l = wrap(pl)
	}
	ops, err := opstore.Open(filepath.Join(t.TempDir(), "operations.db"), opstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := workpool.New(workpool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub, err := eventhub.New(func(ctx context.Context, start *uint64) (<-chan ledger.Event, error) {
		return inner.Events(ctx, "sh-aud", start)
	}, eventhub.Options{Linger: -1})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv, err := New(Options{
		Ledger:     l,
		Clients:    []config.Client{{Name: "sh-op", TokenSHA256: tokenHash(token("sh-op"))}},
		Network:    rest.Network{MSPID: SH, Channel: "settlement", Chaincode: "yrd"},
		Operations: ops, Pool: pool, Events: hub,
		Secret:    []byte("sixteen-byte-secret-for-tests"),
		Readiness: readyCfg,
		Metrics:   metrics.New(),
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	srv.ready.now = clock.now
	t.Cleanup(func() {
		srv.BeginShutdown()
		_ = pool.Close(context.Background())
		_ = hub.Close()
		_ = ops.Close()
	})
	return &readyFixture{t: t, led: pl, srv: srv, clock: clock, logs: logs}
}

// readyz calls GET /readyz (public) and returns the answer.
func (f *readyFixture) readyz() response {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// notReady asserts a 503 NOT_READY with reason, a Retry-After, the fixed
// message and nothing of the cause.
func (f *readyFixture) notReady(r response, reason string) {
	f.t.Helper()
	if r.status != http.StatusServiceUnavailable {
		f.t.Fatalf("readyz %d %s, want 503", r.status, r.body)
	}
	var e rest.Error
	r.decode(f.t, &e)
	if e.Code != rest.CodeNotReady || e.Details[rest.DetailReason] != reason || e.Message != reasonMessages[reason] {
		f.t.Fatalf("readyz answered %+v, want NOT_READY %s", e, reason)
	}
	if r.header.Get("Retry-After") == "" {
		f.t.Fatal("503 without Retry-After")
	}
	if strings.Contains(string(r.body), "secret-cause") {
		f.t.Fatalf("the public route reveals the cause: %s", r.body)
	}
}

func (f *readyFixture) ready(r response) {
	f.t.Helper()
	var h rest.Health
	if r.status != http.StatusOK {
		f.t.Fatalf("readyz %d %s, want 200", r.status, r.body)
	}
	r.decode(f.t, &h)
	if h.Status != "ready" || h.ChaincodeVersion != "inproc" {
		f.t.Fatalf("readyz %+v", h)
	}
}

// next lets the cached result expire.
func (f *readyFixture) next() { f.clock.add(readyCfg.CacheFor.D()) }

func TestReadyz(t *testing.T) {
	chaincodeDown := &ledger.Error{Code: ledger.CodeChaincodeUnavailable, Stage: ledger.StageEvaluate,
		Message: "the chaincode server of ShanghaiMSP is not answering; retry later",
		Err:     errString("secret-cause: dial tcp 127.0.0.1:27008: connect: connection refused")}

	t.Run("own chaincode server down while other provinces answer", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.ready(f.readyz())
		f.led.set(func(p *probeLedger) { p.evalErr[SH] = chaincodeDown })
		f.next()
		f.notReady(f.readyz(), rest.ReasonChaincodeUnavailable)
		if !strings.Contains(f.logs.String(), "secret-cause") {
			t.Fatalf("the cause is not logged: %s", f.logs.String())
		}
		// A plain evaluation still answers (through another province's
		// peer, on the real network): readiness must not rely on it.
		if _, err := ledger.Query(context.Background(), f.led, "sh-op", api.Version, api.Empty{}); err != nil {
			t.Fatal(err)
		}
		f.led.set(func(p *probeLedger) { delete(p.evalErr, SH) })
		f.next()
		f.ready(f.readyz())
		if !strings.Contains(f.logs.String(), "ready again") {
			t.Fatalf("recovery not logged: %s", f.logs.String())
		}
	})
	t.Run("own peer unreachable", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) {
			p.evalErr[SH] = &ledger.Error{Code: ledger.CodePeerUnavailable, Stage: ledger.StageEvaluate, Message: "secret-cause"}
		})
		f.notReady(f.readyz(), rest.ReasonPeerUnavailable)
	})
	t.Run("own peer or chaincode hung", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) {
			p.evalErr[SH] = &ledger.Error{Code: ledger.CodeTimeout, Stage: ledger.StageEvaluate, Message: "secret-cause"}
		})
		f.notReady(f.readyz(), rest.ReasonProbeTimeout)
	})
	t.Run("chaincode answers with an error", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) {
			p.evalErr[SH] = &ledger.Error{Code: ledger.CodeChaincodeError, Stage: ledger.StageEvaluate, Message: "secret-cause"}
		})
		f.notReady(f.readyz(), rest.ReasonChaincodeError)
	})
	t.Run("own peer behind: ready during the grace period, then not", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) {
			p.heightOf[SH] = 100
			p.heightOf[JS], p.heightOf[ZJ], p.heightOf["AnhuiMSP"] = 130, 131, 129
		})
		f.ready(f.readyz()) // first seen behind: grace starts
		f.clock.add(readyCfg.Grace.D() - readyCfg.CacheFor.D())
		f.ready(f.readyz()) // behind for less than the grace period
		if g := f.srv.ReadinessGauges(); g["peer_lag_blocks"] != 31 || g["ready"] != 1 {
			t.Fatalf("gauges %v", g)
		}
		f.next() // behind for the whole grace period
		f.notReady(f.readyz(), rest.ReasonPeerBehind)
		if g := f.srv.ReadinessGauges(); g["ready"] != 0 {
			t.Fatalf("gauges %v", g)
		}
		// Caught up to within MaxLag: ready, and the grace starts over.
		f.led.set(func(p *probeLedger) { p.heightOf[SH] = 126 })
		f.next()
		f.ready(f.readyz())
		f.led.set(func(p *probeLedger) { p.heightOf[SH] = 100 })
		f.next()
		f.ready(f.readyz())
	})
	t.Run("MaxLag blocks behind is ready", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) { p.heightOf[SH], p.heightOf[JS] = 100, 100+readyCfg.MaxLag })
		f.ready(f.readyz())
		f.clock.add(time.Hour)
		f.ready(f.readyz())
	})
	t.Run("other provinces' peers down: not this gateway's fault", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) {
			p.heightOf[SH], p.heightOf[JS] = 100, 500
			p.downOrgs[JS], p.downOrgs[ZJ] = true, true
		})
		f.ready(f.readyz())
		f.clock.add(time.Hour)
		f.ready(f.readyz())
	})
	t.Run("own height unknown", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		f.led.set(func(p *probeLedger) { p.downOrgs[SH] = true })
		f.notReady(f.readyz(), rest.ReasonPeerUnavailable)
	})
	t.Run("a ledger without Prober is probed through any peer", func(t *testing.T) {
		f := newReadyFixture(t, func(p *probeLedger) ledger.Ledger { return plainLedger{p} })
		f.led.set(func(p *probeLedger) { p.evalErr[SH] = chaincodeDown })
		f.ready(f.readyz())
		if f.led.evals.Load() != 0 {
			t.Fatal("EvaluateAt called through a ledger that does not offer it")
		}
	})
	t.Run("cached: many calls, one probe", func(t *testing.T) {
		f := newReadyFixture(t, nil)
		var wg sync.WaitGroup
		codes := make(chan int, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- f.readyz().status
			}()
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != http.StatusOK {
				t.Fatalf("readyz %d", c)
			}
		}
		// One probe: Version and GetConfig on the own organisation.
		if n := f.led.evals.Load(); n != 2 {
			t.Fatalf("%d province-pinned evaluations for 50 calls, want 2 (one probe)", n)
		}
		f.next()
		f.ready(f.readyz())
		if n := f.led.evals.Load(); n != 3 {
			t.Fatalf("%d evaluations after the cache expired, want 3 (Version again; the province list is kept)", n)
		}
	})
}

type errString string

func (e errString) Error() string { return string(e) }
