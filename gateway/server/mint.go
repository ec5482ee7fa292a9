package server

import (
	"context"
	"net/http"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

type mintRequest struct {
	MintID     string `json:"mintId"`
	Account    string `json:"account"`
	Amount     string `json:"amount"`
	ReserveRef string `json:"reserveRef"`
}

// mint submits token:Mint; the mint ID is the on-ledger idempotency key.
func (s *Server) mint(w http.ResponseWriter, r *http.Request) {
	var req mintRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := firstErr(requireField("mintId", req.MintID), requireField("account", req.Account)); err != nil {
		s.fail(w, r, err)
		return
	}
	amount, err := parseAmount("amount", req.Amount)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	args := jsonArg(mintArgs{MintID: req.MintID, Account: req.Account, Amount: amount.String(), ReserveRef: req.ReserveRef})
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		c, err := s.ledger.Submit(ctx, id, fnMint, args, nil, noOpts)
		s.selector.Invalidate(req.Account)
		return committed(c), err
	})
}

type redeemRequest struct {
	RedeemID string   `json:"redeemId"`
	Account  string   `json:"account"`
	Amount   string   `json:"amount"`
	Inputs   []string `json:"inputs"`
}

// redeem submits token:Redeem, selecting inputs when none are given.
func (s *Server) redeem(w http.ResponseWriter, r *http.Request) {
	var req redeemRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := firstErr(requireField("redeemId", req.RedeemID), requireField("account", req.Account)); err != nil {
		s.fail(w, r, err)
		return
	}
	amount, err := parseAmount("amount", req.Amount)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		return s.spend(ctx, id, req.Account, amount, req.Inputs, 0, func(inputs []string, _ int) (*ledger.Committed, error) {
			args := jsonArg(redeemArgs{RedeemID: req.RedeemID, Account: req.Account, Amount: amount.String(), Inputs: inputs})
			return s.ledger.Submit(ctx, id, fnRedeem, args, nil, noOpts)
		})
	})
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
