// Command yrd-gateway serves the YRD settlement HTTP API for one province:
// it loads the configuration (-config or YRD_GATEWAY_CONFIG), connects to
// the province's peer, serves until SIGINT or SIGTERM, then drains in-flight
// requests and asynchronous writes before exiting.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/opstore"
	"github.com/yangtze-delta/settlement/gateway/server"
	"github.com/yangtze-delta/settlement/gateway/workpool"
	"github.com/yangtze-delta/settlement/rest"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	path := flag.String("config", "", "configuration file (default $"+config.EnvPath+")")
	flag.Parse()
	// Every log record is bounded (server.BoundLog): no client-controlled
	// string can make a line large.
	log := slog.New(server.BoundLog(slog.NewJSONHandler(os.Stderr, nil), server.DefaultMaxLogValueBytes))
	if err := run(*path, log); err != nil {
		log.Error("yrd-gateway stopped", "err", err)
		os.Exit(1)
	}
}

func run(path string, log *slog.Logger) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	log = log.With("mspId", cfg.MSPID)
	m := metrics.New()
	fab, err := ledger.Dial(cfg, m, log)
	if err != nil {
		return err
	}
	defer fab.Close()

	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("stateDir: %w", err)
	}
	ops, err := opstore.Open(filepath.Join(cfg.StateDir, "operations.db"), opstore.Options{
		MaxPending: cfg.Async.MaxPending, MaxFinished: cfg.Async.MaxFinished, MaxAge: cfg.Async.MaxAge.D(),
	})
	if err != nil {
		return err
	}
	defer ops.Close()
	// Disbursement jobs: unfinished ones resume here (the chaincode pays
	// each job line once, so a line submitted again answers already_paid).
	jobEngine, err := jobs.Open(filepath.Join(cfg.StateDir, "jobs.db"), jobs.Options{Ledger: fab, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace.D())
		defer cancel()
		_ = jobEngine.Close(ctx) // a no-op after the graceful close below
	}()
	pageKey, err := loadOrCreateKey(filepath.Join(cfg.StateDir, "page-token.key"))
	if err != nil {
		return err
	}
	secret, err := loadOrCreateKey(filepath.Join(cfg.StateDir, "customer-ref.key"))
	if err != nil {
		return err
	}
	ids, err := clientIdentities(cfg)
	if err != nil {
		return err
	}
	pool, err := workpool.New(workpool.Options{Workers: cfg.Async.Workers, Queue: cfg.Async.Queue,
		OnPanic: func(v any, stack []byte) { log.Error("async write panicked", "panic", v, "stack", string(stack)) }})
	if err != nil {
		return err
	}
	evID := cfg.EventsIdentity()
	hub, err := eventhub.New(func(ctx context.Context, start *uint64) (<-chan ledger.Event, error) {
		return fab.Events(ctx, evID, start)
	}, eventhub.Options{MaxSubscribers: cfg.Events.MaxSubscribers, BufferEvents: cfg.Events.Buffer,
		OnUpstreamError: func(err error) { log.Warn("peer event stream", "err", err) }})
	if err != nil {
		return err
	}
	defer hub.Close()
	var srv *server.Server // set below, before the metrics listener serves
	m.Gauges(func() map[string]float64 {
		ps := pool.Stats()
		hs := hub.Stats()
		js := jobEngine.Stats()
		g := map[string]float64{"async_queued": float64(ps.Queued), "async_running": float64(ps.Running),
			"event_subscribers": float64(hs.Subscribers), "disbursement_jobs_queued": float64(js.Queued),
			"disbursement_jobs_running": float64(js.Running)}
		if srv != nil {
			maps.Copy(g, srv.ReadinessGauges())
		}
		return g
	})

	srv, err = server.New(server.Options{
		Ledger:       fab,
		Clients:      cfg.Clients,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Selection:    cfg.Selection,
		Network:      rest.Network{MSPID: cfg.MSPID, Channel: cfg.Channel, Chaincode: cfg.Chaincode, Peer: cfg.Peer.Endpoint},
		PageKey:      pageKey,
		Secret:       secret,
		Identities:   ids,
		Version:      version,
		Operations:   ops,
		Pool:         pool,
		Events:       hub,
		Replay: func(ctx context.Context, start uint64) (<-chan ledger.Event, error) {
			return fab.Events(ctx, evID, &start)
		},
		MaxReplays: cfg.Events.MaxReplays,
		Jobs:       jobEngine,
		Metrics:    m,
		Logger:     log,
		Interbank: server.InterbankOptions{CycleIdentity: cfg.Interbank.CycleIdentity, CycleInterval: cfg.Interbank.CycleInterval.D(),
			MaxQueue: cfg.Interbank.MaxQueue, MaxDayTransfers: cfg.Interbank.MaxDayTransfers},
		Readiness:           cfg.Readiness,
		Limits:              cfg.HTTP,
		MaxStreamsPerClient: cfg.Events.MaxPerClient,
		Coalesce:            cfg.Coalesce,
		Retry:               cfg.Retry,
	})
	if err != nil {
		return err
	}
	// Every connection bound of cfg.HTTP (server.NewHTTPServer, limits.go).
	hs := server.NewHTTPServer(srv.Handler(), cfg.HTTP, log)
	if cfg.TLS != nil {
		tc, err := serverTLS(cfg.TLS)
		if err != nil {
			return err
		}
		hs.TLSConfig = tc
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	if cfg.MetricsListen != "" {
		ms := server.NewMetricsServer(m.Handler(), cfg.HTTP, log)
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.MetricsListen, err)
		}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		log.Info("serving", "listen", ln.Addr().String(), "peer", cfg.Peer.Endpoint, "tls", cfg.TLS != nil, "metrics", cfg.MetricsListen)
		if cfg.TLS != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "grace", cfg.ShutdownGrace.D().String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace.D())
	defer cancel()
	srv.BeginShutdown()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown incomplete", "err", err)
	}
	if err := pool.Close(sctx); err != nil {
		log.Warn("asynchronous writes still running at shutdown; their records say interrupted after restart", "err", err)
	}
	// Payments still waiting to be coalesced belong to requests the two
	// closes above have waited for; this settles any left and waits.
	if err := srv.CloseCoalescer(sctx); err != nil {
		log.Warn("coalesced payments still in flight at shutdown; their clients were told the outcome is unknown", "err", err)
	}
	if err := jobEngine.Close(sctx); err != nil {
		log.Warn("disbursement batches still in flight at shutdown; their lines resume at the next start", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// clientIdentities reads each client's role and bank from its enrolment
// certificate, the source the chaincode trusts as well.
func clientIdentities(cfg config.Config) (map[string]server.Identity, error) {
	ids := make(map[string]server.Identity, len(cfg.Clients))
	for _, c := range cfg.Clients {
		pem, err := os.ReadFile(c.Identity.CertFile)
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", c.Name, err)
		}
		attrs, err := ledger.CertAttributes(pem)
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", c.Name, err)
		}
		ids[c.Name] = server.Identity{MSPID: cfg.MSPID, Role: api.Role(attrs["role"]), Bank: attrs["bank"]}
	}
	return ids, nil
}

// loadOrCreateKey reads a 32-byte key from path, creating it (mode 0600)
// when absent, so that page tokens survive a restart.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) == 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("page-token key: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("page-token key: %w", err)
	}
	return b, nil
}

func serverTLS(c *config.ServerTLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls.certFile/keyFile: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.clientCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.clientCAFile %s: no PEM certificates", c.ClientCAFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}
