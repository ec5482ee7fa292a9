package server

import (
	"context"
	"net/http"
	"time"
)

type openAccountRequest struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Tier        string `json:"tier"`
	CustomerRef string `json:"customerRef"`
}

// openAccount submits token:OpenAccount; the customer reference travels as
// transient data so it never lands in a block.
func (s *Server) openAccount(w http.ResponseWriter, r *http.Request) {
	var req openAccountRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, f := range []struct{ n, v string }{{"id", req.ID}, {"kind", req.Kind}} {
		if err := requireField(f.n, f.v); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	var transient map[string][]byte
	if req.CustomerRef != "" {
		transient = map[string][]byte{transientCustomerRef: []byte(req.CustomerRef)}
	}
	id := clientName(r.Context())
	args := jsonArg(openAccountArgs{ID: req.ID, Kind: req.Kind, Tier: req.Tier})
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		c, err := s.ledger.Submit(ctx, id, fnOpenAccount, args, transient, noOpts)
		return committed(c), err
	})
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnGetAccount, r.PathValue("id"))
}

func (s *Server) getBalance(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnGetBalance, r.PathValue("id"))
}

func (s *Server) listOutputs(w http.ResponseWriter, r *http.Request) {
	size, bookmark, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.evaluatePage(w, r, fnListOutputs, r.PathValue("id"), size, bookmark)
}

// statement lists an account's movements between from and to (RFC 3339,
// default: the last 24 hours), paged.
func (s *Server) statement(w http.ResponseWriter, r *http.Request) {
	size, bookmark, err := pageParams(r)
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
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.fail(w, r, badRequest(CodeInvalidRequest, "%s must be an RFC 3339 time like 2025-01-31T00:00:00Z", p.name))
				return
			}
			*p.dst = t
		}
	}
	if to.Before(from) {
		s.fail(w, r, badRequest(CodeInvalidRequest, "to is before from"))
		return
	}
	// Full precision: "to" defaults to now, and truncating it to the second
	// would hide the entries of the current second.
	s.evaluatePage(w, r, fnStatement, r.PathValue("id"), from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), size, bookmark)
}

type freezeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) freeze(w http.ResponseWriter, r *http.Request) {
	var req freezeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := requireField("reason", req.Reason); err != nil {
		s.fail(w, r, err)
		return
	}
	s.accountWrite(w, r, fnFreeze, freezeArgs{ID: r.PathValue("id"), Reason: req.Reason})
}

func (s *Server) unfreeze(w http.ResponseWriter, r *http.Request) {
	s.accountWrite(w, r, fnUnfreeze, accountIDArgs{ID: r.PathValue("id")})
}

func (s *Server) closeAccount(w http.ResponseWriter, r *http.Request) {
	s.accountWrite(w, r, fnCloseAccount, accountIDArgs{ID: r.PathValue("id")})
}

func (s *Server) accountWrite(w http.ResponseWriter, r *http.Request, fn string, arg any) {
	id := clientName(r.Context())
	args := jsonArg(arg)
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		c, err := s.ledger.Submit(ctx, id, fn, args, nil, noOpts)
		return committed(c), err
	})
}

type mergeRequest struct {
	MergeID string   `json:"mergeId"`
	Inputs  []string `json:"inputs"`
	// MaxInputs caps how many outputs the gateway picks when inputs is empty.
	MaxInputs int `json:"maxInputs"`
}

// merge consolidates an account's small outputs into one (token:Merge). With
// no inputs given, the gateway picks the smallest unlocked outputs.
func (s *Server) merge(w http.ResponseWriter, r *http.Request) {
	var req mergeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := requireField("mergeId", req.MergeID); err != nil {
		s.fail(w, r, err)
		return
	}
	id, acct := clientName(r.Context()), r.PathValue("id")
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		inputs := req.Inputs
		if len(inputs) == 0 {
			lease, err := s.selector.Consolidate(ctx, id, acct, req.MaxInputs)
			if err != nil {
				return nil, err
			}
			inputs = lease.IDs()
			defer func() { lease.Release(false) }()
		}
		c, err := s.ledger.Submit(ctx, id, fnMerge, jsonArg(mergeArgs{MergeID: req.MergeID, Account: acct, Inputs: inputs}), nil, noOpts)
		s.selector.Invalidate(acct)
		return committed(c), err
	})
}
