package server

import (
	"context"
	"net/http"
	"time"
)

// healthz answers while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the peer is reachable and the chaincode answers
// system:Version.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.closing:
		s.fail(w, r, &apiError{Status: http.StatusServiceUnavailable, Code: CodeShuttingDown, Message: "gateway is shutting down"})
		return
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v, err := s.ledger.Evaluate(ctx, s.probeID, fnVersion)
	if err != nil {
		e := toAPIError(err)
		s.fail(w, r, &apiError{Status: http.StatusServiceUnavailable, Code: CodeNotReady,
			Message: "peer or chaincode not answering", Details: map[string]any{"cause": e.Code, "message": e.Message}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "chaincodeVersion": passThrough(v)})
}

// networkStatus reports what this gateway is connected to.
func (s *Server) networkStatus(w http.ResponseWriter, r *http.Request) {
	v, err := s.ledger.Evaluate(r.Context(), clientName(r.Context()), fnVersion)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"network": s.network, "chaincodeVersion": passThrough(v)})
}
