package server

import (
	"context"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// propose submits gov:Propose: issuance, redemption, ceilings and
// configuration changes are decisions recorded on the ledger and taken by
// approvals of several provinces, never by one caller.
func (s *Server) propose(w http.ResponseWriter, r *http.Request) {
	var req rest.ProposalRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := fromProposalRequest(req)
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.Propose, creq, nil, noOpts)
		return committed(c, toProposal(v)), err
	})
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request) {
	v, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetProposal, api.ProposalID{ID: r.PathValue("id")})
	s.answer(w, r, toProposal(v), err)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	s.proposalWrite(w, r, api.Approve)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	s.proposalWrite(w, r, api.Cancel)
}

func (s *Server) proposalWrite(w http.ResponseWriter, r *http.Request, op api.Operation[api.ProposalID, api.ProposalView]) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.ProposalID{ID: r.PathValue("id")}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, op, creq, nil, noOpts)
		return committed(c, toProposal(v)), err
	})
}

// execute submits gov:Execute. A redemption without inputs gets them from
// the selector (the reserve's unlocked outputs covering the amount).
func (s *Server) execute(w http.ResponseWriter, r *http.Request) {
	var req rest.ExecuteRequest
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := s.decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	creq := api.ExecuteRequest{ID: r.PathValue("id"), Inputs: req.Inputs}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		p, err := ledger.Query(ctx, s.ledger, id, api.GetProposal, api.ProposalID{ID: creq.ID})
		if err != nil {
			return nil, err
		}
		run := func(inputs []string) (api.Execution, *ledger.Committed, error) {
			in := creq
			in.Inputs = inputs
			return ledger.Invoke(ctx, s.ledger, id, api.Execute, in, nil, noOpts)
		}
		var ex api.Execution
		var c *ledger.Committed
		if p.Proposal.Action == api.ActionRedeem && p.Proposal.Redeem != nil {
			c, err = s.spend(ctx, id, p.Proposal.Redeem.Account, p.Proposal.Redeem.Amount, creq.Inputs, 0, func(inputs []string, _ int) (*ledger.Committed, []string, error) {
				var c *ledger.Committed
				var err error
				ex, c, err = run(inputs)
				return c, nil, err
			})
		} else {
			ex, c, err = run(creq.Inputs)
		}
		if err != nil {
			return nil, err
		}
		if ex.Mint != nil {
			s.selector.Invalidate(ex.Mint.Account)
		}
		return committed(c, toExecution(ex)), nil
	})
}

func (s *Server) getCeiling(w http.ResponseWriter, r *http.Request) {
	c, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetCeiling, api.CeilingRequest{MSP: r.PathValue("msp")})
	s.answer(w, r, toCeiling(c), err)
}
