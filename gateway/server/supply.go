package server

import (
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func (s *Server) supply(w http.ResponseWriter, r *http.Request) {
	sup, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetSupply, api.Empty{})
	s.answer(w, r, toSupply(sup), err)
}

func (s *Server) auditSupply(w http.ResponseWriter, r *http.Request) {
	a, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.AuditSupply, api.Empty{})
	s.answer(w, r, toAudit(a), err)
}
