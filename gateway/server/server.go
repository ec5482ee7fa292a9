package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/opstore"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/gateway/workpool"
	"github.com/yangtze-delta/settlement/rest"
)

// Options configures a Server.
type Options struct {
	// Ledger is the Fabric door (in tests: the real contract in process,
	// package ledger/inproc, or a scripted fake for commit-stage faults).
	Ledger ledger.Ledger
	// Clients are the accepted back-office clients.
	Clients []config.Client
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Selection tunes input selection.
	Selection config.Selection
	// Network describes what this gateway is connected to, for /v1/network.
	Network rest.Network
	// PageKey keys the page-token HMAC (default: random per process, so
	// tokens do not survive a restart).
	PageKey []byte
	// Identities are the clients' ledger identities as their certificates
	// state them: which events a client may receive, and which bank's
	// secret keys its customer references. A client missing here receives
	// no events and cannot open customer accounts.
	Identities map[string]Identity
	// Secret derives each bank's customer-reference key (required; it
	// never leaves the gateway, see customerRefHash).
	Secret []byte
	// Version is reported in the OpenAPI document.
	Version string
	// Operations keeps asynchronous writes' records (required).
	Operations *opstore.Store
	// Pool runs asynchronous writes (required). The Server owns neither:
	// the caller closes the pool (after HTTP shutdown) and then the store.
	Pool *workpool.Pool
	// Events is the gateway's shared event stream (required).
	Events *eventhub.Hub
	// Replay opens a dedicated stream for a client resuming from a block
	// older than Events' buffer (nil: such clients get 410 EVENTS_TOO_OLD).
	Replay func(ctx context.Context, startBlock uint64) (<-chan ledger.Event, error)
	// MaxReplays bounds concurrent replay streams (default 4).
	MaxReplays int
	// Jobs runs disbursement jobs (nil: the disbursement routes answer
	// 503 NOT_READY). The Server does not own it: the caller closes it
	// after HTTP shutdown.
	Jobs *jobs.Engine
	// MaxJobBodyBytes bounds a disbursement job's body (default 16 MiB:
	// 100,000 lines of JSON).
	MaxJobBodyBytes int64
	// Readiness configures GET /readyz (readiness.go; zero: the
	// configuration defaults). The probe evaluates on the province's own
	// organisation (Network.MSPID) when Ledger is also a ledger.Prober.
	Readiness config.Readiness
	// Limits are the request limits the handler enforces itself
	// (MaxURLBytes, MaxQueryBytes; zero: defaults); the others are the
	// http.Server's (NewHTTPServer).
	Limits config.HTTP
	// MaxStreamsPerClient bounds one client's event streams (default 8).
	MaxStreamsPerClient int
	// Interbank configures the interbank routes and the cycle timer
	// (interbank.go).
	Interbank InterbankOptions
	// Coalesce configures payment coalescing (coalesce.go; zero: on, with
	// package coalesce's defaults); Retry's backoff paces the re-runs of
	// coalesced batches (zero: the configuration defaults).
	Coalesce config.Coalesce
	Retry    config.Retry
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
}

// Server serves the API. Create with New and serve Handler(); at shutdown
// call BeginShutdown, shut the HTTP server down, then close the pool.
type Server struct {
	ledger   ledger.Ledger
	auth     *authenticator
	selector *selection.Selector
	ops      *opstore.Store
	pool     *workpool.Pool
	hub      *eventhub.Hub
	replay   func(ctx context.Context, startBlock uint64) (<-chan ledger.Event, error)
	replays  chan struct{}
	ids      map[string]Identity
	secret   []byte
	// routeNames maps a mux pattern to its rest route's name.
	routeNames map[string]string
	pages      *pageTokens
	network    rest.Network
	probeID    string
	maxBody    int64
	openapi    []byte
	// reservePool is the unlocked-output pool kept for reserve accounts (0: off).
	reservePool int
	// kinds caches account kinds (immutable on the ledger) for pooling.
	kinds *fixedCache[string, api.Kind]
	// paid caches the payments this gateway committed or looked up, by
	// client and payment ID, to answer a repeat without the ledger.
	paid *fixedCache[paidKey, api.Payment]
	// programmes: disbursement jobs, earmarked selection, utilisation.
	programmes
	// ib: the cycle runner and the interbank routes' bounds.
	ib *interbankState
	// transfers coalesces single payments (coalesce.go); nil when off.
	transfers *transferCoalescer
	// sends coalesces single interbank sends (coalesce_interbank.go); nil
	// when off.
	sends *sendCoalescer
	// ready answers /readyz; limits and streams bound the input (limits.go,
	// streams.go).
	ready   *readiness
	limits  config.HTTP
	streams *clientStreams
	metrics *metrics.Metrics
	log     *slog.Logger
	handler http.Handler

	closing chan struct{}
	once    sync.Once
}

// New builds a Server.
func New(opts Options) (*Server, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	switch {
	case opts.Ledger == nil:
		return nil, fmt.Errorf("server: Options.Ledger is required")
	case opts.Operations == nil:
		return nil, fmt.Errorf("server: Options.Operations is required")
	case opts.Pool == nil:
		return nil, fmt.Errorf("server: Options.Pool is required")
	case opts.Events == nil:
		return nil, fmt.Errorf("server: Options.Events is required")
	case len(opts.Secret) < 16:
		return nil, fmt.Errorf("server: Options.Secret must be at least 16 bytes")
	}
	if opts.MaxReplays <= 0 {
		opts.MaxReplays = 4
	}
	doc, err := rest.OpenAPI(opts.Version)
	if err != nil {
		return nil, fmt.Errorf("server: openapi: %w", err)
	}
	s := &Server{
		ledger:      opts.Ledger,
		auth:        newAuthenticator(opts.Clients),
		ops:         opts.Operations,
		pool:        opts.Pool,
		hub:         opts.Events,
		replay:      opts.Replay,
		replays:     make(chan struct{}, opts.MaxReplays),
		pages:       newPageTokens(opts.PageKey),
		ids:         opts.Identities,
		secret:      append([]byte(nil), opts.Secret...),
		network:     opts.Network,
		maxBody:     opts.MaxBodyBytes,
		openapi:     doc,
		metrics:     opts.Metrics,
		reservePool: opts.Selection.ReservePool,
		kinds:       newFixedCache[string, api.Kind](10000),
		paid:        newFixedCache[paidKey, api.Payment](recentPayments),
		log:         opts.Logger,
		closing:     make(chan struct{}),
	}
	if len(opts.Clients) > 0 {
		s.probeID = opts.Clients[0].Name
	}
	s.ready = newReadiness(s.ledger, s.probeID, opts.Network.MSPID, opts.Readiness, s.log)
	s.limits = inputLimits(opts.Limits)
	if opts.MaxStreamsPerClient <= 0 {
		opts.MaxStreamsPerClient = config.Defaults().Events.MaxPerClient
	}
	s.streams = newClientStreams(opts.MaxStreamsPerClient)
	s.selector = selection.New(outputSource{s.ledger}, selection.Options{
		LockWait:  opts.Selection.LockWait.D(),
		MaxInputs: opts.Selection.MaxInputs,
		Metrics:   opts.Metrics,
	})
	if s.transfers, err = s.newTransferCoalescer(opts.Coalesce, opts.Retry); err != nil {
		return nil, err
	}
	if s.sends, err = s.newSendCoalescer(opts.Coalesce, opts.Retry); err != nil {
		return nil, err
	}
	s.initProgrammes(opts)
	handlers := s.handlers()
	for name, h := range s.programmeHandlers() {
		handlers[name] = h
	}
	if err := s.initInterbank(opts); err != nil {
		return nil, err
	}
	for name, h := range s.interbankHandlers() {
		handlers[name] = h
	}
	mux := http.NewServeMux()
	s.routeNames = map[string]string{}
	for _, rt := range rest.Routes() {
		s.routeNames[rt.Method+" "+rt.Path] = rt.Name
		hf, ok := handlers[rt.Name]
		if !ok {
			return nil, fmt.Errorf("server: route %s has no handler", rt.Name)
		}
		h := http.Handler(hf)
		if !rt.Public {
			h = s.authenticate(h)
		}
		mux.Handle(rt.Method+" "+rt.Path, s.instrument(h))
	}
	if len(handlers) != len(rest.Routes()) {
		return nil, fmt.Errorf("server: %d handlers for %d routes", len(handlers), len(rest.Routes()))
	}
	mux.Handle("/", s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, newError(rest.CodeRouteNotFound, "no route %s %s", r.Method, truncate(r.URL.Path, 200)))
	})))
	s.handler = s.limitInput(mux)
	return s, nil
}

// handlers maps rest route names to handlers; New refuses a route without
// one (and a handler without a route).
func (s *Server) handlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		rest.Healthz.Name:    s.healthz,
		rest.Readyz.Name:     s.readyz,
		rest.OpenAPIDoc.Name: s.openapiJSON,
		rest.DocsPage.Name:   s.docsPage,

		rest.GetWhoAmI.Name:  s.whoami,
		rest.GetNetwork.Name: s.networkStatus,
		rest.CreatePing.Name: s.createPing,
		rest.GetPing.Name:    s.getPing,

		rest.OpenAccount.Name:     s.openAccount,
		rest.GetAccount.Name:      s.getAccount,
		rest.GetBalance.Name:      s.getBalance,
		rest.ListOutputs.Name:     s.listOutputs,
		rest.GetStatement.Name:    s.statement,
		rest.FreezeAccount.Name:   s.freeze,
		rest.UnfreezeAccount.Name: s.unfreeze,
		rest.CloseAccount.Name:    s.closeAccount,
		rest.MergeOutputs.Name:    s.merge,

		rest.CreateProposal.Name:  s.propose,
		rest.GetProposal.Name:     s.getProposal,
		rest.ApproveProposal.Name: s.approve,
		rest.ExecuteProposal.Name: s.execute,
		rest.CancelProposal.Name:  s.cancel,
		rest.GetCeiling.Name:      s.getCeiling,

		rest.CreatePayment.Name:      s.createPayment,
		rest.GetPayment.Name:         s.getPayment,
		rest.CreatePaymentBatch.Name: s.createBatch,

		rest.GetSupply.Name:   s.supply,
		rest.AuditSupply.Name: s.auditSupply,

		rest.GetOperation.Name: s.getOperation,
		rest.StreamEvents.Name: s.limitStreams(s.events),
	}
}

// Identity is a client's ledger identity as its certificate states it.
type Identity struct {
	MSPID string
	Role  api.Role
	Bank  string
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// ReadinessGauges reports the last readiness probe for the metrics
// endpoint: ready (1 or 0) and peer_lag_blocks.
func (s *Server) ReadinessGauges() map[string]float64 { return s.ready.gauges() }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
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

// instrument records metrics and one log line per request (the path cut to
// 200 bytes).
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
		s.log.InfoContext(r.Context(), "http request", "route", route, "path", truncate(r.URL.Path, 200),
			"status", rec.status, "client", info.client, "ms", d.Milliseconds())
	})
}

// BeginShutdown makes long-lived streams (SSE) end and readiness fail so
// that http.Server's Shutdown can drain; call it just before Shutdown, then
// close the pool (which waits for asynchronous writes), then the store.
func (s *Server) BeginShutdown() {
	s.once.Do(func() { close(s.closing) })
}

// outputSource reads all unspent outputs of an account, page by page, for
// the selector. It fails (never truncates) when an account holds more than
// maxSelectableOutputs: selection over a silently partial list could report
// INSUFFICIENT_FUNDS falsely.
type outputSource struct{ l ledger.Ledger }

const (
	outputPageSize       = 500
	maxSelectableOutputs = 100 * outputPageSize
)

func (o outputSource) Outputs(ctx context.Context, identity, account string) ([]selection.Output, error) {
	var all []selection.Output
	bookmark := ""
	for {
		p, err := ledger.Query(ctx, o.l, identity, api.ListOutputs, api.ListOutputsRequest{Account: account, PageSize: outputPageSize, Bookmark: bookmark})
		if err != nil {
			return nil, err
		}
		for _, out := range p.Outputs {
			if out.Earmark != nil {
				continue // earmarked funds are spent only by their own rules
			}
			all = append(all, selection.Output{ID: out.ID, Amount: out.Amount})
		}
		if len(all) > maxSelectableOutputs {
			return nil, fmt.Errorf("%w: account %s holds more than %d outputs", selection.ErrTooFragmented, account, maxSelectableOutputs)
		}
		if p.Bookmark == "" || len(p.Outputs) < outputPageSize {
			return all, nil
		}
		bookmark = p.Bookmark
	}
}

// fixedCache is a bounded cache of facts that never change on the ledger
// once written (an account's kind, a committed payment): at the limit it
// is cleared, since each is cheap to read again.
type fixedCache[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]V
	max int
}

func newFixedCache[K comparable, V any](max int) *fixedCache[K, V] {
	return &fixedCache[K, V]{m: map[K]V{}, max: max}
}

func (k *fixedCache[K, V]) get(key K) (V, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	return v, ok
}

func (k *fixedCache[K, V]) put(key K, v V) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) >= k.max {
		clear(k.m)
	}
	k.m[key] = v
}
