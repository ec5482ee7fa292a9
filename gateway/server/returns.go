package server

import (
	"context"
	"net/http"
	"sort"
	"sync"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
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

// approveClawback records the caller's approval. The chaincode names a
// clawback by its ID alone, so the gateway first runs the approval without
// committing it, to refuse (NOT_FOUND) a clawback of another programme
// than the path's.
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
		dry, err := ledger.Query(ctx, s.ledger, id, api.ApproveClawback, req)
		if err != nil {
			return nil, err
		}
		if dry.Clawback.Programme != prog {
			return nil, newError(rest.CodeNotFound, "clawback %s of programme %s", req.ID, prog)
		}
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.ApproveClawback, req, nil, noOpts)
		return committed(c, toClawback(v)), err
	})
}

// executeClawback returns the holder's outputs earmarked for the
// programme to the funders (programme:ExecuteClawback). The chaincode
// executes a clawback once, with at most api.MaxSweepInputs inputs, so the
// gateway sends the largest ones; what is left is reported in left.
func (s *Server) executeClawback(w http.ResponseWriter, r *http.Request) {
	var req rest.ClawbackExecuteRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	prog := r.PathValue("id")
	cid := api.ClawbackID{ID: r.PathValue("clawback")}
	if err := validate(&cid); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := api.ValidateNamespaced("account", req.Account, api.MaxIDLen); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		outs, err := holdings(ctx, s.ledger, id, prog, req.Account)
		if err != nil {
			return nil, err
		}
		if len(outs) == 0 {
			return nil, newError(rest.CodeInsufficientFunds, "%s holds no funds earmarked for %s", req.Account, prog)
		}
		sort.Slice(outs, func(i, j int) bool {
			if outs[i].Amount != outs[j].Amount {
				return outs[i].Amount > outs[j].Amount
			}
			return outs[i].ID < outs[j].ID
		})
		var held money.Amount
		for _, o := range outs {
			held += o.Amount
		}
		outs = outs[:min(len(outs), api.MaxSweepInputs)]
		res, c, err := ledger.Invoke(ctx, s.ledger, id, api.ExecuteClawback, api.ClawbackExecute{ID: cid.ID, Inputs: ids(outs)}, nil, noOpts)
		if err != nil {
			return nil, err
		}
		rep := newReport(prog, rest.ReturnClawback)
		rep.add(returnTx(c, res, len(outs)))
		rep.Accounts, rep.Left = 1, held-res.Amount
		s.invalidateFunders(rep.ReturnReport)
		return committed(c, rep.ReturnReport), nil
	})
}

// sweep returns an expired programme's earmarked funds to the funders
// (programme:Sweep, at most api.MaxSweepInputs outputs per transaction):
// the accounts named, or else the escrow and every account the
// programme's utilisation names as a recipient. The escrow goes first, so
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
				if u.Key != "" && u.Key != v.Programme.Escrow {
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
