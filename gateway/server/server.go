package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// Options configures a Server.
type Options struct {
	// Ledger is the Fabric door (a fake in tests).
	Ledger ledger.Ledger
	// Clients are the accepted back-office clients.
	Clients []config.Client
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Selection tunes input selection.
	Selection config.Selection
	// Network describes what this gateway is connected to, for /v1/network.
	Network NetworkInfo
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

// NetworkInfo is reported by GET /v1/network.
type NetworkInfo struct {
	MSPID     string `json:"mspId"`
	Channel   string `json:"channel"`
	Chaincode string `json:"chaincode"`
	Peer      string `json:"peer"`
}

// Server serves the API. Create with New; serve Handler(); call Drain
// after the HTTP server has shut down to wait for asynchronous writes.
type Server struct {
	ledger   ledger.Ledger
	auth     *authenticator
	selector *selection.Selector
	ops      *operations
	network  NetworkInfo
	probeID  string
	maxBody  int64
	// reservePool is the unlocked-output pool kept for reserve accounts (0: off).
	reservePool int
	// kinds caches account kinds (immutable on the ledger) for pooling.
	kinds   sync.Map
	metrics *metrics.Metrics
	log     *slog.Logger
	handler http.Handler

	// bg tracks asynchronous writes; bgCtx is their context, canceled by Drain's deadline.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
	closing  chan struct{}
	once     sync.Once
}

// route is one API route; the same table feeds the mux and the OpenAPI check.
type route struct {
	method, path string
	// public routes need no credentials.
	public  bool
	handler http.HandlerFunc
}

// New builds a Server.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		ledger:      opts.Ledger,
		auth:        newAuthenticator(opts.Clients),
		ops:         newOperations(10000),
		network:     opts.Network,
		maxBody:     opts.MaxBodyBytes,
		metrics:     opts.Metrics,
		reservePool: opts.Selection.ReservePool,
		log:         opts.Logger,
		closing:     make(chan struct{}),
	}
	if len(opts.Clients) > 0 {
		s.probeID = opts.Clients[0].Name
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.selector = selection.New(outputSource{s.ledger}, selection.Options{
		LockWait:  opts.Selection.LockWait.D(),
		MaxInputs: opts.Selection.MaxInputs,
		Metrics:   opts.Metrics,
	})
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		h := http.Handler(rt.handler)
		if !rt.public {
			h = s.authenticate(h)
		}
		mux.Handle(rt.method+" "+rt.path, s.instrument(h))
	}
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	mux.Handle("/", s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &apiError{Status: http.StatusNotFound, Code: CodeRouteNotFound, Message: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)})
	})))
	s.handler = mux
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// routes is the route table. Keep openapi.json in step (a test checks).
func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: "/healthz", public: true, handler: s.healthz},
		{method: "GET", path: "/readyz", public: true, handler: s.readyz},
		{method: "GET", path: "/openapi.json", public: true, handler: s.openapiJSON},
		{method: "GET", path: "/docs", public: true, handler: s.docsPage},

		{method: "GET", path: "/v1/whoami", handler: s.whoami},
		{method: "GET", path: "/v1/network", handler: s.networkStatus},
		{method: "POST", path: "/v1/pings", handler: s.createPing},
		{method: "GET", path: "/v1/pings/{id}", handler: s.getPing},

		{method: "POST", path: "/v1/accounts", handler: s.openAccount},
		{method: "GET", path: "/v1/accounts/{id}", handler: s.getAccount},
		{method: "GET", path: "/v1/accounts/{id}/balance", handler: s.getBalance},
		{method: "GET", path: "/v1/accounts/{id}/outputs", handler: s.listOutputs},
		{method: "GET", path: "/v1/accounts/{id}/statement", handler: s.statement},
		{method: "POST", path: "/v1/accounts/{id}/freeze", handler: s.freeze},
		{method: "POST", path: "/v1/accounts/{id}/unfreeze", handler: s.unfreeze},
		{method: "POST", path: "/v1/accounts/{id}/close", handler: s.closeAccount},
		{method: "POST", path: "/v1/accounts/{id}/merge", handler: s.merge},

		{method: "POST", path: "/v1/mints", handler: s.mint},
		{method: "POST", path: "/v1/redemptions", handler: s.redeem},

		{method: "POST", path: "/v1/payments", handler: s.createPayment},
		{method: "GET", path: "/v1/payments/{id}", handler: s.getPayment},
		{method: "POST", path: "/v1/payment-batches", handler: s.createBatch},

		{method: "GET", path: "/v1/supply", handler: s.supply},
		{method: "GET", path: "/v1/supply/audit", handler: s.auditSupply},

		{method: "GET", path: "/v1/operations/{id}", handler: s.getOperation},
		{method: "GET", path: "/v1/events", handler: s.events},
	}
}

// statusRecorder captures the status code for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument records metrics and one log line per request.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		info := &reqInfo{}
		s.metrics.InFlight(1)
		defer s.metrics.InFlight(-1)
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info)))
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.Request(route, rec.status, d)
		s.log.InfoContext(r.Context(), "http request", "route", route, "path", r.URL.Path,
			"status", rec.status, "client", info.client, "ms", d.Milliseconds())
	})
}

// BeginShutdown makes long-lived streams (SSE) end so that http.Server's
// Shutdown can drain; call it just before Shutdown.
func (s *Server) BeginShutdown() {
	s.once.Do(func() { close(s.closing) })
}

// Drain waits for asynchronous writes to finish, or cancels them when ctx
// ends (their transactions may still commit; their operation records say so).
func (s *Server) Drain(ctx context.Context) error {
	s.BeginShutdown()
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.bgCancel()
		<-done
		return ctx.Err()
	}
}
