package server

import (
	"context"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// createPing submits system:Ping and answers after a valid commit.
func (s *Server) createPing(w http.ResponseWriter, r *http.Request) {
	var req rest.PingRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.PingRequest{ID: req.ID, Note: req.Note}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		p, c, err := ledger.Invoke(ctx, s.ledger, id, api.Ping, creq, nil, noOpts)
		return committed(c, toPing(p)), err
	})
}

func (s *Server) getPing(w http.ResponseWriter, r *http.Request) {
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetPing, api.PingID{ID: r.PathValue("id")})
	s.answer(w, r, toPing(p), err)
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	c, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.WhoAmI, api.Empty{})
	s.answer(w, r, rest.WhoAmI{Client: clientName(r.Context()), MSPID: c.MSPID, ID: c.ID, Role: string(c.Role), Bank: c.Bank}, err)
}
