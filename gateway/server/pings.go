package server

import (
	"context"
	"net/http"
)

type pingRequest struct {
	ID   string `json:"id"`
	Note string `json:"note"`
}

// createPing submits system:Ping and answers after a valid commit.
func (s *Server) createPing(w http.ResponseWriter, r *http.Request) {
	var req pingRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := requireField("id", req.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		c, err := s.ledger.Submit(ctx, id, fnPing, []string{req.ID, req.Note}, nil, noOpts)
		return committed(c), err
	})
}

func (s *Server) getPing(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnGetPing, r.PathValue("id"))
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnWhoAmI)
}
