package server

import "net/http"

func (s *Server) supply(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnGetSupply)
}

func (s *Server) auditSupply(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnAuditSupply)
}
