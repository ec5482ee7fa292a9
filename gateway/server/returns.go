package server

import (
	"context"
	"net/http"
	"sort"
	"sync"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// sweepConcurrency bounds the accounts one sweep returns at once.
const sweepConcurrency = 4

func (s *Server) proposeClawback(w http.ResponseWriter, r *http.Request) {
	var req rest.ClawbackRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.ClawbackRequest{ID: req.ID, Programme: r.PathValue("id"), Account: req.Account}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.ProposeClawback, creq, nil, noOpts)
		return committed(c, toClawback(v)), err
	})
}

// clawbackOf reads a clawback (programme:GetClawback) and refuses
// (NOT_FOUND) one of another programme than the path's: the chaincode
// names a clawback by its ID alone.
func (s *Server) clawbackOf(ctx context.Context, client, programme, id string) (api.ClawbackView, error) {
	v, err := ledger.Query(ctx, s.ledger, client, api.GetClawback, api.ClawbackID{ID: id})
	if err != nil {
		return v, err
	}
	if v.Clawback.Programme != programme {
		return v, newError(rest.CodeNotFound, "clawback %s of programme %s", id, programme)
	}
	return v, nil
}

// getClawback reads a clawback and its approvals.
func (s *Server) getClawback(w http.ResponseWriter, r *http.Request) {
	req := api.ClawbackID{ID: r.PathValue("clawback")}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.clawbackOf(r.Context(), clientName(r.Context()), r.PathValue("id"), req.ID)
	s.answer(w, r, toClawback(v), err)
}

// approveClawback records the caller's approval, after reading the
// clawback to refuse one of another programme than the path's (a caller
// who may not read it, and so is no party to it, is answered NOT_FOUND).
func (s *Server) approveClawback(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	prog := r.PathValue("id")
	req := api.ClawbackID{ID: r.PathValue("clawback")}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		if _, err := s.clawbackOf(ctx, id, prog, req.ID); err != nil {
			return nil, err
		}
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.ApproveClawback, req, nil, noOpts)
		return committed(c, toClawback(v)), err
	})
}

// maxClawbackRuns bounds the programme:ExecuteClawback runs of one
// request (each returns at most api.MaxSweepInputs outputs): a holder with
// more is left with the rest, reported in left, and the same request
// continues.
const maxClawbackRuns = 50

// executeClawback carries out an approved clawback: it reads the clawback
// (its holder), then runs programme:ExecuteClawback with the holder's
// largest earmarked outputs of the programme, at most
// api.MaxSweepInputs a run, until a run finds nothing left and closes the
// clawback, or maxClawbackRuns ran. The report lists every run; left is
// what the holder still holds (zero once closed). A closed clawback
// answers PROPOSAL_CLOSED. The body's account is optional; when given it
// must be the clawback's holder.
func (s *Server) executeClawback(w http.ResponseWriter, r *http.Request) {
	var req rest.ClawbackExecuteRequest
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := s.decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	prog := r.PathValue("id")
	cid := api.ClawbackID{ID: r.PathValue("clawback")}
	if err := validate(&cid); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Account != "" {
		if err := api.ValidateNamespaced("account", req.Account, api.MaxIDLen); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, err := s.clawbackOf(ctx, id, prog, cid.ID)
		if err != nil {
			return nil, err
		}
		holder := v.Clawback.Account
		if req.Account != "" && req.Account != holder {
			return nil, newError(string(api.CodeInvalidArgument), "account %s is not the holder of clawback %s (%s)", req.Account, cid.ID, holder)
		}
		if v.Clawback.Status != api.ProposalPending {
			return nil, newError(string(api.CodeProposalClosed), "clawback %s is %s", cid.ID, v.Clawback.Status)
		}
		rep := newReport(prog, rest.ReturnClawback)
		rep.Accounts = 1
		var last *ledger.Committed
		for run := 0; run < maxClawbackRuns && !rep.Closed; run++ {
			outs, err := largestHoldings(ctx, s.ledger, id, prog, holder, api.MaxSweepInputs)
			if err != nil {
				return nil, err
			}
			res, c, err := ledger.Invoke(ctx, s.ledger, id, api.ExecuteClawback, api.ClawbackExecute{ID: cid.ID, Inputs: ids(outs)}, nil, noOpts)
			if err != nil {
				if last != nil {
					s.invalidateFunders(rep.ReturnReport)
				}
				return nil, err
			}
			last = c
			if len(outs) > 0 {
				rep.add(returnTx(c, res.Run, len(outs)))
			}
			rep.Closed = res.Closed
		}
		s.invalidateFunders(rep.ReturnReport)
		if !rep.Closed {
			if left, ok := s.earmarkedTotal(ctx, id, prog, holder); ok {
				rep.Left = left
			}
		}
		return committed(last, rep.ReturnReport), nil
	})
}

// largestHoldings reads account's outputs earmarked for programme a page
// at a time and keeps the n largest (by amount, then ID), so that a holder
// with more outputs than the selector tracks is still returned run by run.
func largestHoldings(ctx context.Context, l ledger.Ledger, identity, programme, account string, n int) ([]api.Output, error) {
	var keep []api.Output
	bookmark := ""
	for {
		p, err := ledger.Query(ctx, l, identity, api.Holdings, api.HoldingsRequest{Programme: programme, Account: account,
			PageSize: flowPageSize, Bookmark: bookmark})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Outputs {
			if o.Earmark != nil && o.Earmark.Programme == programme {
				keep = append(keep, o)
			}
		}
		sort.Slice(keep, func(i, j int) bool {
			if keep[i].Amount != keep[j].Amount {
				return keep[i].Amount > keep[j].Amount
			}
			return keep[i].ID < keep[j].ID
		})
		keep = keep[:min(len(keep), n)]
		if p.Bookmark == "" || p.Bookmark == bookmark {
			return keep, nil
		}
		bookmark = p.Bookmark
	}
}

// sweep returns an expired programme's earmarked funds to the funders
// (programme:Sweep, at most api.MaxSweepInputs outputs per transaction):
// the accounts named, or else the escrow and every holder whose row in the
// programme's utilisation by recipient holds funds (first-hop recipients,
// and the accounts funds were passed on to or spent at keeping the
// earmark, whose rows carry their inflow). The escrow goes first, so
// that a programme that has not expired fails before anything else;
// other accounts go sweepConcurrency at a time, and the first failure
// stops the sweep (what was returned stays returned; a repeated sweep
// finds only what is left). Left is what the accounts still hold after
// (named accounts) or the programme's escrow plus held balance (all).
func (s *Server) sweep(w http.ResponseWriter, r *http.Request) {
	var req rest.SweepRequest
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := s.decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	prog := r.PathValue("id")
	if err := api.ValidateNamespaced("programme", prog, api.MaxIDLen); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Accounts) > rest.MaxSweepAccounts {
		s.fail(w, r, newError(rest.CodeBatchTooLarge, "a sweep names at most %d accounts", rest.MaxSweepAccounts))
		return
	}
	for _, a := range req.Accounts {
		if err := api.ValidateNamespaced("accounts", a, api.MaxIDLen); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		named := len(req.Accounts) > 0
		accounts := dedupe(req.Accounts)
		if !named {
			done, err := s.heavyRead()
			if err != nil {
				return nil, err
			}
			defer done()
			v, err := ledger.Query(ctx, s.ledger, id, api.GetProgramme, api.ProgrammeID{ID: prog})
			if err != nil {
				return nil, err
			}
			agg, err := s.utilisation(ctx, id, prog, api.ByRecipient)
			if err != nil {
				return nil, err
			}
			accounts = []string{v.Programme.Escrow}
			for _, u := range agg.rows {
				if u.Key != "" && u.Key != v.Programme.Escrow && u.Held > 0 {
					accounts = append(accounts, u.Key)
				}
			}
		}
		rep := newReport(prog, rest.ReturnSweep)
		rep.Accounts = len(accounts)
		var last *ledger.Committed
		if c, err := s.sweepAccount(ctx, id, prog, accounts[0], rep); err != nil {
			return nil, err
		} else if c != nil {
			last = c
		}
		var mu sync.Mutex
		var firstErr error
		sem := make(chan struct{}, sweepConcurrency)
		var wg sync.WaitGroup
		for _, acct := range accounts[1:] {
			mu.Lock()
			stop := firstErr != nil
			mu.Unlock()
			if stop {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				c, err := s.sweepAccount(ctx, id, prog, acct, rep)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if c != nil {
					last = c
				}
			}()
		}
		wg.Wait()
		s.invalidateFunders(rep.ReturnReport)
		if firstErr != nil {
			return nil, firstErr
		}
		if named {
			for _, acct := range accounts {
				left, ok := s.earmarkedTotal(ctx, id, prog, acct)
				if ok {
					rep.Left += left
				}
			}
		} else {
			agg, err := s.utilisation(ctx, id, prog, api.ByTotal)
			if err != nil {
				return nil, err
			}
			rep.Left = agg.total.Escrow + agg.total.Held
		}
		return committed(last, rep.ReturnReport), nil
	})
}

// sweepAccount returns every output of account earmarked for programme,
// api.MaxSweepInputs per transaction, into rep; it returns the last
// transaction (nil when there was nothing to return).
func (s *Server) sweepAccount(ctx context.Context, id, programme, account string, rep *report) (*ledger.Committed, error) {
	outs, err := holdings(ctx, s.ledger, id, programme, account)
	if err != nil {
		return nil, err
	}
	var last *ledger.Committed
	for len(outs) > 0 {
		n := min(len(outs), api.MaxSweepInputs)
		res, c, err := ledger.Invoke(ctx, s.ledger, id, api.Sweep, api.SweepRequest{Programme: programme, Account: account, Inputs: ids(outs[:n])}, nil, noOpts)
		if err != nil {
			return last, err
		}
		rep.add(returnTx(c, res, n))
		last, outs = c, outs[n:]
	}
	return last, nil
}

func ids(outs []api.Output) []string {
	out := make([]string, len(outs))
	for i, o := range outs {
		out[i] = o.ID
	}
	return out
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func returnTx(c *ledger.Committed, res api.SweepResult, inputs int) rest.ReturnTx {
	return rest.ReturnTx{TxID: c.TxID, BlockNumber: c.BlockNumber, Account: res.Account, Amount: res.Amount, Inputs: inputs,
		Returned: toFunderAmounts(res.Returned)}
}

// report collects a return's transactions and totals; safe for
// concurrent add.
type report struct {
	mu sync.Mutex
	rest.ReturnReport
	funders map[string]int
}

func newReport(programme, kind string) *report {
	return &report{ReturnReport: rest.ReturnReport{Programme: programme, Kind: kind, Transactions: []rest.ReturnTx{},
		Funders: []rest.FunderAmount{}}, funders: map[string]int{}}
}

func (r *report) add(tx rest.ReturnTx) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Amount += tx.Amount
	for _, f := range tx.Returned {
		i, ok := r.funders[f.Account]
		if !ok {
			i = len(r.Funders)
			r.funders[f.Account] = i
			r.Funders = append(r.Funders, rest.FunderAmount{Account: f.Account})
		}
		r.Funders[i].Amount += f.Amount
	}
	if len(r.Transactions) < rest.MaxReturnTransactions {
		r.Transactions = append(r.Transactions, tx)
	} else {
		r.Omitted++
	}
}

// invalidateFunders makes the selector read the funders' accounts again:
// returns landed there as plain money.
func (s *Server) invalidateFunders(rep rest.ReturnReport) {
	for _, f := range rep.Funders {
		s.selector.Invalidate(f.Account)
	}
}
