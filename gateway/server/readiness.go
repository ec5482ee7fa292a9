package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// readiness answers GET /readyz. One probe checks, in order:
//
//  1. the chaincode on the province's own peer: system:Version evaluated on
//     the gateway's own organisation only (ledger.Prober). A plain
//     evaluation would be answered by another province's peer when the own
//     chaincode server is dead, and readiness would lie;
//  2. how far behind that peer is: every province's height (qscc
//     GetChainInfo on each organisation, in parallel), the own one against
//     the highest of the others. More than MaxLag blocks behind for Grace
//     or longer is not ready. Provinces whose peer does not answer are left
//     out: the gateway needs its own peer, not theirs.
//
// The provinces are the channel configuration's (gov:GetConfig), re-read
// at most once a minute.
//
// Bounds: at most one probe runs at a time (callers wait for it, or until
// their request ends), and a result answers every call for CacheFor, so
// /readyz costs the network at most 2 + provinces evaluations per CacheFor
// however often it is called. A probe runs detached from the request that
// started it (a caller hanging up does not cancel a probe others wait for)
// within Timeout. Causes are logged when the state changes, never returned.
type readiness struct {
	l      ledger.Ledger
	prober ledger.Prober // nil: the chaincode probe goes through any peer, no lag check
	id     string        // probe identity (a configured client)
	msp    string        // the gateway's own organisation
	cfg    config.Readiness
	log    *slog.Logger
	now    func() time.Time

	sem chan struct{} // one probe at a time

	mu          sync.Mutex
	last        readyResult
	lastAt      time.Time // zero: no result yet
	behindSince time.Time // zero: not behind at the last probe
	orgs        []string
	orgsAt      time.Time
}

// readyResult is one probe's verdict.
type readyResult struct {
	ok bool
	// reason is a rest.Reason* when !ok.
	reason  string
	version string
	// own, highest: the own peer's height and the highest other peer's
	// (0 when unknown); lag = highest - own when positive.
	own, highest, lag uint64
}

const orgsRefresh = time.Minute

func newReadiness(l ledger.Ledger, id, msp string, cfg config.Readiness, log *slog.Logger) *readiness {
	def := config.Defaults().Readiness
	if cfg == (config.Readiness{}) {
		cfg = def
	}
	if cfg.CacheFor <= 0 {
		cfg.CacheFor = def.CacheFor
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	r := &readiness{l: l, id: id, msp: msp, cfg: cfg, log: log, now: time.Now, sem: make(chan struct{}, 1)}
	if p, ok := l.(ledger.Prober); ok && msp != "" {
		r.prober = p
	}
	return r
}

// check returns a result no older than CacheFor, probing when there is none.
func (r *readiness) check(ctx context.Context) (readyResult, error) {
	if res, ok := r.cached(); ok {
		return res, nil
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return readyResult{}, ctx.Err()
	}
	defer func() { <-r.sem }()
	if res, ok := r.cached(); ok {
		return res, nil // probed while this caller waited
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout.D())
	defer cancel()
	res, cause := r.probe(pctx)
	r.record(pctx, res, cause)
	return res, nil
}

func (r *readiness) cached() (readyResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastAt.IsZero() || r.now().Sub(r.lastAt) >= r.cfg.CacheFor.D() {
		return readyResult{}, false
	}
	return r.last, true
}

// record stores res and logs a change of state with its cause.
func (r *readiness) record(ctx context.Context, res readyResult, cause error) {
	r.mu.Lock()
	prev, first := r.last, r.lastAt.IsZero()
	r.last, r.lastAt = res, r.now()
	r.mu.Unlock()
	attrs := []any{"reason", res.reason, "peerHeight", res.own, "highestOtherHeight", res.highest, "lagBlocks", res.lag}
	if cause != nil {
		attrs = append(attrs, "err", cause)
		if d := ledger.FabricDetail(cause); d != "" {
			attrs = append(attrs, "fabric", d) // the peers' own words, for operators only
		}
	}
	switch {
	case !res.ok && (first || prev.ok || prev.reason != res.reason):
		r.log.WarnContext(ctx, "readiness: not ready", attrs...)
	case res.ok && !first && !prev.ok:
		r.log.InfoContext(ctx, "readiness: ready again", attrs...)
	case res.ok && res.lag > r.cfg.MaxLag && prev.lag <= r.cfg.MaxLag:
		r.log.InfoContext(ctx, "readiness: peer behind, within the grace period", append(attrs, "grace", r.cfg.Grace.D().String())...)
	}
}

// gauges are the last probe's state for the metrics endpoint.
func (r *readiness) gauges() map[string]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	ready := 0.0
	if r.last.ok {
		ready = 1
	}
	return map[string]float64{"ready": ready, "peer_lag_blocks": float64(r.last.lag)}
}

// probe runs one check; cause is what the log says (nil when ready).
func (r *readiness) probe(ctx context.Context) (readyResult, error) {
	var v api.VersionInfo
	var err error
	if r.prober != nil {
		v, err = ledger.QueryAt(ctx, r.prober, r.msp, r.id, api.Version, api.Empty{})
	} else {
		v, err = ledger.Query(ctx, r.l, r.id, api.Version, api.Empty{})
	}
	if err != nil {
		return readyResult{reason: reasonOf(err)}, err
	}
	res := readyResult{ok: true, version: v.Version}
	if r.prober == nil {
		return res, nil
	}
	orgs := r.provinces(ctx)
	if len(orgs) == 0 {
		return res, nil // no channel configuration yet: nothing to compare with
	}
	heights := r.heights(ctx, orgs)
	own, ok := heights[r.msp]
	if !ok {
		return readyResult{reason: rest.ReasonPeerUnavailable}, errors.New("the own peer did not report its height")
	}
	res.own = own
	for org, h := range heights {
		if org != r.msp && h > res.highest {
			res.highest = h
		}
	}
	if res.highest > own {
		res.lag = res.highest - own
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.lag <= r.cfg.MaxLag {
		r.behindSince = time.Time{}
		return res, nil
	}
	if r.behindSince.IsZero() {
		r.behindSince = now
	}
	if now.Sub(r.behindSince) >= r.cfg.Grace.D() {
		res.ok, res.reason = false, rest.ReasonPeerBehind
		return res, errors.New("the own peer stays behind the other provinces' peers")
	}
	return res, nil
}

// provinces returns the channel's organisations, re-read from the ledger at
// most once per orgsRefresh; on failure the last list read (possibly none).
func (r *readiness) provinces(ctx context.Context) []string {
	r.mu.Lock()
	orgs, at := r.orgs, r.orgsAt
	r.mu.Unlock()
	if !at.IsZero() && r.now().Sub(at) < orgsRefresh {
		return orgs
	}
	c, err := ledger.QueryAt(ctx, r.prober, r.msp, r.id, api.GetConfig, api.Empty{})
	if err != nil {
		r.log.DebugContext(ctx, "readiness: channel configuration not read", "err", err)
		return orgs
	}
	r.mu.Lock()
	r.orgs, r.orgsAt = append([]string(nil), c.Orgs...), r.now()
	r.mu.Unlock()
	return c.Orgs
}

// heights asks every organisation's peer for its height, in parallel (one
// goroutine per province: a handful); organisations that fail are left out.
func (r *readiness) heights(ctx context.Context, orgs []string) map[string]uint64 {
	type answer struct {
		org string
		h   uint64
		err error
	}
	ch := make(chan answer, len(orgs))
	for _, org := range orgs {
		go func() {
			h, err := r.prober.HeightAt(ctx, org, r.id)
			ch <- answer{org, h, err}
		}()
	}
	out := make(map[string]uint64, len(orgs))
	for range orgs {
		a := <-ch
		if a.err != nil {
			r.log.DebugContext(ctx, "readiness: no height", "org", a.org, "err", a.err)
			continue
		}
		out[a.org] = a.h
	}
	return out
}

// reasonOf maps a failed chaincode probe to a NOT_READY reason.
func reasonOf(err error) string {
	switch ledger.CodeOf(err) {
	case ledger.CodeChaincodeUnavailable:
		return rest.ReasonChaincodeUnavailable
	case ledger.CodePeerUnavailable, ledger.CodeCanceled:
		return rest.ReasonPeerUnavailable
	case ledger.CodeTimeout:
		return rest.ReasonProbeTimeout
	}
	return rest.ReasonChaincodeError
}

// reasonMessages are the NOT_READY messages: fixed texts, nothing internal.
var reasonMessages = map[string]string{
	rest.ReasonPeerUnavailable:      "the province's peer does not answer",
	rest.ReasonChaincodeUnavailable: "the province's chaincode server does not answer",
	rest.ReasonChaincodeError:       "the chaincode does not answer the readiness probe",
	rest.ReasonProbeTimeout:         "the province's peer or chaincode did not answer in time",
	rest.ReasonPeerBehind:           "the province's peer is behind the other provinces' peers",
}
