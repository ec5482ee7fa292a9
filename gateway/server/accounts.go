package server

import (
	"context"
	"net/http"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// openAccount submits token:OpenAccount; the customer reference travels as
// transient data so it never lands in a block.
func (s *Server) openAccount(w http.ResponseWriter, r *http.Request) {
	var req rest.OpenAccountRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.CustomerRef) > api.MaxCustomerRefLen {
		s.fail(w, r, badRequest("customerRef is longer than %d bytes", api.MaxCustomerRefLen))
		return
	}
	id := clientName(r.Context())
	creq := api.OpenAccountRequest{ID: req.ID, Kind: api.Kind(req.Kind), Tier: req.Tier, MerchantCategory: req.MerchantCategory}
	if req.CustomerRef != "" {
		h, err := s.customerRefHash(id, req.CustomerRef)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		creq.CustomerRefHash = h
	}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, func(ctx context.Context) (any, error) {
		a, c, err := ledger.Invoke(ctx, s.ledger, id, api.OpenAccount, creq, nil, noOpts)
		return committed(c, toAccount(a)), err
	})
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	a, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetAccount, api.AccountRequest{ID: r.PathValue("id")})
	s.answer(w, r, toAccount(a), err)
}

func (s *Server) getBalance(w http.ResponseWriter, r *http.Request) {
	b, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetBalance, api.AccountRequest{ID: r.PathValue("id")})
	s.answer(w, r, toBalance(b), err)
}

func (s *Server) listOutputs(w http.ResponseWriter, r *http.Request) {
	size, bookmark, err := s.pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := api.ListOutputsRequest{Account: r.PathValue("id"), PageSize: size, Bookmark: bookmark}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.ListOutputs, req)
	s.answer(w, r, toOutputPage(p, s.pages.seal(pageScope(r), p.Bookmark)), err)
}

// statement lists an account's movements between from and to (RFC 3339,
// default: the last 24 hours), paged.
func (s *Server) statement(w http.ResponseWriter, r *http.Request) {
	size, bookmark, err := s.pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	to := time.Now().UTC()
	from := to.Add(-24 * time.Hour)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				s.fail(w, r, badRequest("%s must be an RFC 3339 time like 2025-01-31T00:00:00Z", p.name))
				return
			}
			*p.dst = t
		}
	}
	req := api.StatementRequest{Account: r.PathValue("id"), From: from, To: to, PageSize: size, Bookmark: bookmark}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.Statement, req)
	s.answer(w, r, toStatementPage(p, s.pages.seal(pageScope(r), p.Bookmark)), err)
}

// freeze freezes an account in two transactions, as interbank remittances
// are sent. token:RecordFreezeReason carries the reason and a fresh random
// salt as transient data and is endorsed by the caller's province alone
// (compliance acts only on its own province's accounts): it writes the
// reason to that province's private collection and nothing else, so the
// reason reaches no other province's peer and no block. token:Freeze then
// names the note's hash, which every endorser checks. Should the freeze
// fail after the note committed, the note stays unused in the province's
// collection; a retry writes a new one.
func (s *Server) freeze(w http.ResponseWriter, r *http.Request) {
	var req rest.FreezeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := api.ValidateText("reason", req.Reason, api.MaxReasonLen, true); err != nil {
		s.fail(w, r, err)
		return
	}
	acct := api.AccountRequest{ID: r.PathValue("id")}
	if err := validate(&acct); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		transient := map[string][]byte{api.TransientFreezeReason: []byte(req.Reason), api.TransientFreezeSalt: freezeSalt()}
		rc, _, err := ledger.Invoke(ctx, s.ledger, id, api.RecordFreezeReason, acct, transient,
			ledger.SubmitOptions{EndorsingOrgs: []string{s.mspOf(id)}})
		if err != nil {
			return nil, err
		}
		a, c, err := ledger.Invoke(ctx, s.ledger, id, api.Freeze, api.FreezeRequest{ID: acct.ID, ReasonHash: rc.Hash}, nil, noOpts)
		return committed(c, toAccount(a)), err
	})
}

func (s *Server) unfreeze(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	accountWriteOf(s, w, r, api.Unfreeze, &api.AccountRequest{ID: r.PathValue("id")})
}

func (s *Server) closeAccount(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	accountWriteOf(s, w, r, api.CloseAccount, &api.AccountRequest{ID: r.PathValue("id")})
}

func accountWriteOf[Req any, P interface {
	*Req
	Validate() error
}](s *Server, w http.ResponseWriter, r *http.Request, op api.Operation[Req, api.Account], req P) {
	if err := req.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		a, c, err := ledger.Invoke(ctx, s.ledger, id, op, *req, nil, noOpts)
		return committed(c, toAccount(a)), err
	})
}

// merge consolidates an account's small outputs into one (token:Merge). With
// no inputs given, the gateway picks the smallest unlocked outputs.
func (s *Server) merge(w http.ResponseWriter, r *http.Request) {
	var req rest.MergeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	acct := r.PathValue("id")
	creq := api.MergeRequest{MergeID: req.MergeID, Account: acct, Inputs: req.Inputs}
	if err := creq.ValidateSelectable(); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.MaxInputs < 0 || req.MaxInputs > api.MaxInputs || (len(req.Inputs) > 0 && req.MaxInputs != 0) {
		s.fail(w, r, badRequest("maxInputs must be 0 to %d, and only without inputs", api.MaxInputs))
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		if len(creq.Inputs) == 0 {
			lease, err := s.selector.Consolidate(ctx, id, acct, req.MaxInputs)
			if err != nil {
				return nil, err
			}
			defer lease.Release(false)
			creq.Inputs = lease.IDs()
		}
		m, c, err := ledger.Invoke(ctx, s.ledger, id, api.Merge, creq, nil, noOpts)
		s.selector.Invalidate(acct)
		return committed(c, toMerge(m)), err
	})
}
