package server

import (
	"context"
	"net/http"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// healthz answers while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, rest.Health{Status: "ok"})
}

// readyz answers 200 when the peer is reachable and the chaincode answers
// system:Version. The cause of a failure is logged, never returned: the
// route is public.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.closing:
		s.fail(w, r, newError(rest.CodeShuttingDown, "gateway is shutting down"))
		return
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v, err := ledger.Query(ctx, s.ledger, s.probeID, api.Version, api.Empty{})
	if err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		s.fail(w, r, newError(rest.CodeNotReady, "peer or chaincode not answering"))
		return
	}
	writeJSON(w, http.StatusOK, rest.Health{Status: "ready", ChaincodeVersion: v.Version})
}

// networkStatus reports what this gateway is connected to.
func (s *Server) networkStatus(w http.ResponseWriter, r *http.Request) {
	v, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.Version, api.Empty{})
	n := s.network
	n.ChaincodeVersion = v.Version
	s.answer(w, r, n, err)
}
