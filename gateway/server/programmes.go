package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// programmes is the Server's state for directional appropriation.
type programmes struct {
	jobs       *jobs.Engine
	maxJobBody int64
	// earmarked selects a payer's outputs earmarked for one programme and
	// tranche (account key "account\x00programme\x00tranche"); the plain
	// selector never offers earmarked outputs.
	earmarked *selection.Selector
	// tranches remembers, per payer and programme, the tranches the payer
	// held at the last full read of its holdings, oldest first: the next
	// spend tries them from the selector's cache before reading again.
	tranches *fixedCache[trancheKey, []int]
	// heavy bounds the routes that read a programme's whole history at
	// once (utilisation, full sweeps): at the limit they answer 429.
	heavy chan struct{}
}

// Defaults of the programme routes.
const (
	defaultMaxJobBody = 16 << 20
	maxHeavyReads     = 2
	// maxUtilisationKeys bounds the rows one utilisation aggregates.
	maxUtilisationKeys = 200_000
	// flowPageSize is the page size of the gateway's own paging through a
	// programme's flows and holdings.
	flowPageSize = api.MaxPageSize
)

func (s *Server) initProgrammes(opts Options) {
	s.jobs = opts.Jobs
	s.maxJobBody = opts.MaxJobBodyBytes
	if s.maxJobBody <= 0 {
		s.maxJobBody = defaultMaxJobBody
	}
	s.earmarked = selection.New(holdingsSource{s.ledger}, selection.Options{
		LockWait:  opts.Selection.LockWait.D(),
		MaxInputs: opts.Selection.MaxInputs,
	})
	s.tranches = newFixedCache[trancheKey, []int](10000)
	s.heavy = make(chan struct{}, maxHeavyReads)
}

// trancheKey names a payer's holdings of one programme.
type trancheKey struct{ account, programme string }

// programmeHandlers maps the programme routes to their handlers.
func (s *Server) programmeHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		rest.DefineProgramme.Name:  s.defineProgramme,
		rest.GetProgramme.Name:     s.getProgramme,
		rest.ApproveProgramme.Name: s.approveProgramme,
		rest.ProposeTranche.Name:   s.proposeTranche,
		rest.GetTranche.Name:       s.getTranche,
		rest.ApproveTranche.Name:   s.approveTranche,
		rest.FundTranche.Name:      s.fundTranche,
		rest.PutDisbursement.Name:  s.putDisbursement,
		rest.GetDisbursement.Name:  s.getDisbursement,
		rest.ListJobLines.Name:     s.listJobLines,
		rest.CreateSpend.Name:      s.createSpend,
		rest.GetUtilisation.Name:   s.getUtilisation,
		rest.GetLineage.Name:       s.getLineage,
		rest.ListHoldings.Name:     s.listHoldings,
		rest.ProposeClawback.Name:  s.proposeClawback,
		rest.GetClawback.Name:      s.getClawback,
		rest.ApproveClawback.Name:  s.approveClawback,
		rest.ExecuteClawback.Name:  s.executeClawback,
		rest.SweepProgramme.Name:   s.sweep,
	}
}

// heavyRead takes a slot of the bounded heavy reads (429 when none is
// free); the returned function gives it back.
func (s *Server) heavyRead() (func(), error) {
	select {
	case s.heavy <- struct{}{}:
		return func() { <-s.heavy }, nil
	default:
		return nil, newError(rest.CodeTooManyRequests, "the gateway is reading other programmes' history; retry later")
	}
}

func (s *Server) defineProgramme(w http.ResponseWriter, r *http.Request) {
	var req rest.ProgrammeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := fromProgrammeRequest(req)
	// The definition's syntax and limits are the chaincode's own check
	// (api.DefineProgrammeRequest.Validate), run here first: a malformed
	// definition never reaches a peer. What depends on the caller and the
	// ledger (namespace, funders' provinces, unused IDs) is the chaincode's.
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.DefineProgramme, creq, nil, noOpts)
		return committed(c, toProgramme(v)), err
	})
}

func (s *Server) getProgramme(w http.ResponseWriter, r *http.Request) {
	req := api.ProgrammeID{ID: r.PathValue("id")}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetProgramme, req)
	s.answer(w, r, toProgramme(v), err)
}

func (s *Server) approveProgramme(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	req := api.ProgrammeID{ID: r.PathValue("id")}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.ApproveProgramme, req, nil, noOpts)
		return committed(c, toProgramme(v)), err
	})
}

func (s *Server) proposeTranche(w http.ResponseWriter, r *http.Request) {
	var req rest.TrancheRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.TrancheRequest{Programme: r.PathValue("id"), No: req.No, Amount: req.Amount, Date: req.Date}
	tid := api.TrancheID{Programme: creq.Programme, No: creq.No}
	if err := validate(&tid); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := creq.Amount.Positive(); err != nil {
		s.fail(w, r, newError(rest.CodeInvalidAmount, "amount: %v", err))
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.ProposeTranche, creq, nil, noOpts)
		return committed(c, toTranche(v)), err
	})
}

// getTranche reads a tranche with its approvals, contributions and each
// funder's share.
func (s *Server) getTranche(w http.ResponseWriter, r *http.Request) {
	t, err := trancheID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetTranche, t)
	s.answer(w, r, toTranche(v), err)
}

// trancheID reads the tranche of the path.
func trancheID(r *http.Request) (api.TrancheID, error) {
	no, err := strconv.Atoi(r.PathValue("no"))
	if err != nil {
		return api.TrancheID{}, badRequest("the tranche number must be an integer from 1 to 999")
	}
	t := api.TrancheID{Programme: r.PathValue("id"), No: no}
	return t, validate(&t)
}

func (s *Server) approveTranche(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := trancheID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		v, c, err := ledger.Invoke(ctx, s.ledger, id, api.ApproveTranche, t, nil, noOpts)
		return committed(c, toTranche(v)), err
	})
}

// fundTranche pays the caller's bureau's share of a tranche from its
// fiscal account (the funder's account of the programme). Without inputs
// the gateway selects the account's plain outputs covering the share
// exactly as the chaincode computes it, read from the tranche
// (programme:GetTranche, TrancheView.Shares).
func (s *Server) fundTranche(w http.ResponseWriter, r *http.Request) {
	var req rest.FundRequest
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := s.decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	t, err := trancheID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Inputs) > 0 {
		if err := api.ValidateInputs(req.Inputs, 1); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		run := func(inputs []string) (api.TrancheView, *ledger.Committed, error) {
			return ledger.Invoke(ctx, s.ledger, id, api.FundTranche, api.FundRequest{Programme: t.Programme, No: t.No, Inputs: inputs}, nil, noOpts)
		}
		if len(req.Inputs) > 0 {
			v, c, err := run(req.Inputs)
			return committed(c, toTranche(v)), err
		}
		account, share, err := s.fundersShare(ctx, id, t)
		if err != nil {
			return nil, err
		}
		var v api.TrancheView
		submit := func(inputs []string, _ int) (*ledger.Committed, []string, error) {
			var c *ledger.Committed
			var err error
			v, c, err = run(inputs)
			return c, nil, err
		}
		c, err := s.spend(ctx, id, account, share, nil, 0, submit)
		if err != nil {
			return nil, err
		}
		return committed(c, toTranche(v)), nil
	})
}

// fundersShare finds the caller's bureau among the tranche's funders and
// returns its account and its share of the tranche (the chaincode's
// pro-rata split, which FundTranche takes).
func (s *Server) fundersShare(ctx context.Context, client string, t api.TrancheID) (string, money.Amount, error) {
	who, ok := s.ids[client]
	if !ok {
		return "", 0, newError(rest.CodeUnknownIdentity, "client %s has no ledger identity configured", client)
	}
	v, err := ledger.Query(ctx, s.ledger, client, api.GetTranche, t)
	if err != nil {
		return "", 0, err
	}
	for _, f := range v.Shares {
		if f.MSP == who.MSPID && f.Bureau == who.Bank {
			return f.Account, f.Amount, nil
		}
	}
	return "", 0, newError(rest.CodeForbidden, "bureau %s of %s does not fund %s", who.Bank, who.MSPID, t.Programme)
}

// listHoldings pages through an account's outputs earmarked for the
// programme.
func (s *Server) listHoldings(w http.ResponseWriter, r *http.Request) {
	size, bookmark, err := s.pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := api.HoldingsRequest{Programme: r.PathValue("id"), Account: r.PathValue("account"), PageSize: size, Bookmark: bookmark}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.Holdings, req)
	s.answer(w, r, toOutputPage(p, s.pages.seal(pageScope(r), p.Bookmark)), err)
}

// getLineage traces an output of the programme (?account=&output=); an
// output of another programme answers NOT_FOUND.
func (s *Server) getLineage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prog := r.PathValue("id")
	req := api.LineageRequest{Account: q.Get("account"), Output: q.Get("output")}
	if req.Account == "" || req.Output == "" {
		s.fail(w, r, badRequest("account and output are required query parameters"))
		return
	}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.Lineage, req)
	if err == nil && v.Programme != prog {
		err = newError(rest.CodeNotFound, "earmarked output %s of %s is not programme %s's", req.Output, req.Account, prog)
	}
	s.answer(w, r, toLineage(v), err)
}

// holdings reads every output of account earmarked for programme (at
// most maxSelectableOutputs).
func holdings(ctx context.Context, l ledger.Ledger, identity, programme, account string) ([]api.Output, error) {
	var all []api.Output
	bookmark := ""
	for {
		p, err := ledger.Query(ctx, l, identity, api.Holdings, api.HoldingsRequest{Programme: programme, Account: account,
			PageSize: flowPageSize, Bookmark: bookmark})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Outputs {
			if o.Earmark != nil && o.Earmark.Programme == programme {
				all = append(all, o)
			}
		}
		if len(all) > maxSelectableOutputs {
			return nil, newError(rest.CodeTooFragmented, "account %s holds more than %d outputs of %s", account, maxSelectableOutputs, programme)
		}
		if p.Bookmark == "" || p.Bookmark == bookmark {
			return all, nil
		}
		bookmark = p.Bookmark
	}
}
