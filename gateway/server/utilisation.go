package server

import (
	"context"
	"net/http"
	"sort"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// aggregate is a programme's utilisation over all its flows.
type aggregate struct {
	budget money.Amount
	flows  int
	total  api.Usage
	rows   []api.Usage // by key, with balances
}

// utilisation adds every page of programme:Utilisation (grouped by) into
// rows with balances (api.Usage.Balances: holders' rows by province and
// recipient), and the pages' totals into the programme's total. It fails
// with TOO_MANY_ROWS beyond maxUtilisationKeys distinct keys.
func (s *Server) utilisation(ctx context.Context, client, programme, by string) (aggregate, error) {
	rows := map[string]*api.Usage{}
	var agg aggregate
	bookmark := ""
	for {
		p, err := ledger.Query(ctx, s.ledger, client, api.Utilisation, api.UtilisationRequest{Programme: programme, By: by,
			PageSize: flowPageSize, Bookmark: bookmark})
		if err != nil {
			return aggregate{}, err
		}
		agg.budget = p.Budget
		agg.flows += p.Flows
		for _, r := range p.Rows {
			u := rows[r.Key]
			if u == nil {
				if len(rows) == maxUtilisationKeys {
					return aggregate{}, newError(rest.CodeTooManyRows, "programme %s has more than %d %s keys", programme, maxUtilisationKeys, by)
				}
				u = &api.Usage{Key: r.Key}
				rows[r.Key] = u
			}
			u.Add(r)
		}
		agg.total.Add(p.Total)
		if p.Bookmark == "" || p.Bookmark == bookmark {
			break
		}
		bookmark = p.Bookmark
	}
	agg.total.Key = api.ByTotal
	agg.total = agg.total.WithBalances()
	agg.rows = make([]api.Usage, 0, len(rows))
	for _, u := range rows {
		agg.rows = append(agg.rows, u.Balances(by))
	}
	sort.Slice(agg.rows, func(i, j int) bool { return agg.rows[i].Key < agg.rows[j].Key })
	return agg, nil
}

// identityHolds checks a total row: no balance is negative and funded =
// escrow + held + released + returned + clawed back (api.Usage).
func identityHolds(u api.Usage) bool {
	return u.Escrow >= 0 && u.Held >= 0 && u.Funded == u.Escrow+u.Held+u.Released+u.Returned+u.ClawedBack
}

// getUtilisation aggregates a programme's flows (?by=total|tranche|
// province|recipient) and answers the total, the identity check and one
// page of rows sorted by key. The escrow balance is compared with the
// escrow's earmarked outputs when the caller may read them (the owner
// bureau, auditors): read before and after the flows, and used only when
// both reads agree.
func (s *Server) getUtilisation(w http.ResponseWriter, r *http.Request) {
	prog := r.PathValue("id")
	by := r.URL.Query().Get("by")
	if by == "" {
		by = api.ByTotal
	}
	req := api.UtilisationRequest{Programme: prog, By: by}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	size, after, err := s.pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Page tokens carry "k:" and the last key (a key may be empty: a
	// province missing from flows written before they named it).
	if after != "" && (len(after) < 2 || after[:2] != "k:") {
		s.fail(w, r, badRequest("bookmark is not a page token of this list"))
		return
	}
	done, err := s.heavyRead()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer done()
	ctx, client := r.Context(), clientName(r.Context())
	v, err := ledger.Query(ctx, s.ledger, client, api.GetProgramme, api.ProgrammeID{ID: prog})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var agg aggregate
	checked := false
	var escrow money.Amount
	for attempt := 0; attempt < 3 && !checked; attempt++ {
		before, okBefore := s.earmarkedTotal(ctx, client, prog, v.Programme.Escrow)
		if agg, err = s.utilisation(ctx, client, prog, by); err != nil {
			s.fail(w, r, err)
			return
		}
		after, okAfter := s.earmarkedTotal(ctx, client, prog, v.Programme.Escrow)
		if !okBefore || !okAfter {
			break
		}
		checked, escrow = before == after, after
	}
	out := rest.Utilisation{Programme: prog, By: by, Budget: agg.budget, Flows: agg.flows, Total: toUsage(agg.total, api.ByTotal),
		EscrowChecked: checked, EscrowOutputs: escrow, Rows: []rest.Usage{}}
	out.Balanced = identityHolds(agg.total) && (!checked || escrow == agg.total.Escrow)
	start := sort.Search(len(agg.rows), func(i int) bool { return after == "" || agg.rows[i].Key > after[2:] })
	end := min(start+size, len(agg.rows))
	for _, u := range agg.rows[start:end] {
		out.Rows = append(out.Rows, toUsage(u, by))
	}
	if end < len(agg.rows) && end > start {
		out.Bookmark = s.pages.seal(pageScope(r), "k:"+agg.rows[end-1].Key)
	}
	writeJSON(w, http.StatusOK, out)
}

// earmarkedTotal sums an account's outputs earmarked for programme; false
// when the caller may not read them.
func (s *Server) earmarkedTotal(ctx context.Context, client, programme, account string) (money.Amount, bool) {
	outs, err := holdings(ctx, s.ledger, client, programme, account)
	if err != nil {
		return 0, false
	}
	var sum money.Amount
	for _, o := range outs {
		sum += o.Amount
	}
	return sum, true
}
