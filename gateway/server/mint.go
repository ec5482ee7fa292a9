package server

import (
	"context"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// mint submits token:Mint; the mint ID is the on-ledger idempotency key.
func (s *Server) mint(w http.ResponseWriter, r *http.Request) {
	var req rest.MintRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.MintRequest{MintID: req.MintID, Account: req.Account, Amount: req.Amount, ReserveRef: req.ReserveRef}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		m, c, err := ledger.Invoke(ctx, s.ledger, id, api.Mint, creq, nil, noOpts)
		s.selector.Invalidate(req.Account)
		return committed(c, toMint(m)), err
	})
}

// redeem submits token:Redeem, selecting inputs when none are given.
func (s *Server) redeem(w http.ResponseWriter, r *http.Request) {
	var req rest.RedeemRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.RedeemRequest{RedeemID: req.RedeemID, Account: req.Account, Amount: req.Amount, Inputs: req.Inputs}
	if err := creq.ValidateSelectable(); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		var red api.Redemption
		c, err := s.spend(ctx, id, req.Account, req.Amount, req.Inputs, 0, func(inputs []string, _ int) (*ledger.Committed, error) {
			in := creq
			in.Inputs = inputs
			var c *ledger.Committed
			var err error
			red, c, err = ledger.Invoke(ctx, s.ledger, id, api.Redeem, in, nil, noOpts)
			return c, err
		})
		return committed(c, toRedemption(red)), err
	})
}
