package server

import (
	"net/http"
	"strconv"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// healthz answers while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, rest.Health{Status: "ok"})
}

// readyz answers 200 when the province's own peer answers, the chaincode
// answers on that peer (not through another province's), and the peer is
// not behind the others for longer than the grace period (readiness.go).
// Otherwise 503 NOT_READY with a fixed message and details.reason; the
// cause is logged, never returned: the route is public.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.closing:
		s.fail(w, r, newError(rest.CodeShuttingDown, "gateway is shutting down"))
		return
	default:
	}
	res, err := s.ready.check(r.Context())
	if err != nil {
		return // the caller went away while a probe ran
	}
	if !res.ok {
		e := newError(rest.CodeNotReady, "%s", reasonMessages[res.reason])
		e.Details = map[string]any{rest.DetailReason: res.reason}
		// Not through s.fail: a load balancer polls this route, and the
		// probe has logged the cause once, when the state changed.
		w.Header().Set("Retry-After", strconv.Itoa(rest.RetryAfterSecs))
		writeJSON(w, e.Status, e)
		return
	}
	writeJSON(w, http.StatusOK, rest.Health{Status: "ready", ChaincodeVersion: res.version})
}

// networkStatus reports what this gateway is connected to.
func (s *Server) networkStatus(w http.ResponseWriter, r *http.Request) {
	v, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.Version, api.Empty{})
	n := s.network
	n.ChaincodeVersion = v.Version
	s.answer(w, r, n, err)
}
