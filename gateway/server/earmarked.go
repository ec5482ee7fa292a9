package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// earmarkKey is the earmarked selector's account key: one payer's outputs
// of one programme and tranche (a payment cannot combine tranches).
func earmarkKey(account, programme string, tranche int) string {
	return account + "\x00" + programme + "\x00" + strconv.Itoa(tranche)
}

func parseEarmarkKey(key string) (account, programme string, tranche int, err error) {
	parts := strings.Split(key, "\x00")
	if len(parts) != 3 {
		return "", "", 0, fmt.Errorf("earmarked selection key %q is not account, programme and tranche", key)
	}
	tranche, err = strconv.Atoi(parts[2])
	return parts[0], parts[1], tranche, err
}

// holdingsSource is the earmarked selector's Source: programme:Holdings of
// the key's account, filtered to the key's tranche. A spend hands it the
// holdings it has just read (heldOutputs in the context), so that one
// payment reads the payer's outputs once.
type holdingsSource struct{ l ledger.Ledger }

type heldKey struct{}

// held carries a fresh read of one selection key's outputs.
type held struct {
	key  string
	outs []selection.Output
}

func (h holdingsSource) Outputs(ctx context.Context, identity, key string) ([]selection.Output, error) {
	if v, ok := ctx.Value(heldKey{}).(*held); ok && v.key == key {
		return v.outs, nil
	}
	account, programme, tranche, err := parseEarmarkKey(key)
	if err != nil {
		return nil, err
	}
	all, err := holdings(ctx, h.l, identity, programme, account)
	if err != nil {
		return nil, err
	}
	var out []selection.Output
	for _, o := range all {
		if o.Earmark.Tranche == tranche {
			out = append(out, selection.Output{ID: o.ID, Amount: o.Amount})
		}
	}
	return out, nil
}

// createSpend pays with the payer's funds earmarked for the programme
// (token:Transfer, which applies the programme's rules). The gateway reads
// the payer's earmarked outputs, picks the oldest tranche that covers the
// amount and selects (and locks) outputs of that tranche; the payment ID
// is the idempotency key as for POST /v1/payments (409 the same payment,
// 422 another).
func (s *Server) createSpend(w http.ResponseWriter, r *http.Request) {
	var req rest.SpendRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	prog := r.PathValue("id")
	if err := api.ValidateNamespaced("programme", prog, api.MaxIDLen); err != nil {
		s.fail(w, r, err)
		return
	}
	pay := rest.PaymentRequest{PaymentID: req.PaymentID, From: req.From, To: req.To, Amount: req.Amount, Purpose: req.Purpose,
		RemittanceHash: req.RemittanceHash}
	creq := fromPaymentRequest(pay, nil, 0)
	if err := creq.ValidateSelectable(); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		// Repeats as for POST /v1/payments: from the cache, or through the
		// chaincode's DUPLICATE_PAYMENT (no look-up query per spend).
		if p, ok := s.paid.get(paidKey{id, pay.PaymentID}); ok {
			return nil, repeated(p, pay)
		}
		var p api.Payment
		c, err := s.spendEarmarked(ctx, id, prog, req.From, req.Amount, func(inputs []string) (*ledger.Committed, []string, error) {
			var c *ledger.Committed
			var err error
			p, c, err = s.transfer(ctx, id, fromPaymentRequest(pay, inputs, 0))
			if err != nil || p.ChangeOutputs == nil {
				return c, nil, err
			}
			return c, p.ChangeOutputs, nil // the change keeps the input's earmark and tranche
		})
		if err != nil {
			return nil, s.repeatOr(ctx, id, pay, err)
		}
		s.selector.Invalidate(req.To) // a release lands as plain money
		s.paid.put(paidKey{id, p.PaymentID}, p)
		return committed(c, toPayment(p)), nil
	})
}

// spendEarmarked selects the payer's outputs of one tranche of programme
// covering amount and runs submit with them, releasing the lease on every
// path. On INPUT_SPENT the payer is read and selected once more.
func (s *Server) spendEarmarked(ctx context.Context, id, programme, account string, amount money.Amount,
	submit earmarkedFunc) (*ledger.Committed, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.spendEarmarkedOnce(ctx, id, programme, account, amount, submit)
		var le *ledger.Error
		if err != nil && attempt == 0 && errors.As(err, &le) && le.Code == ledger.CodeInputSpent {
			s.log.WarnContext(ctx, "selected earmarked input already spent, selecting again", "account", account, "programme", programme)
			continue
		}
		return c, err
	}
}

// earmarkedFunc submits a spend of inputs and returns its commit and, when
// known, the IDs of the change outputs it created (earmarked as the inputs).
type earmarkedFunc func(inputs []string) (*ledger.Committed, []string, error)

// settleEarmarked runs submit with lease's outputs and releases the lease:
// a committed spend's change joins the selector's cache (Lease.Settle).
func settleEarmarked(lease *selection.Lease, amount money.Amount, submit earmarkedFunc) (*ledger.Committed, error) {
	c, change, err := submit(lease.IDs())
	if err == nil && change != nil {
		lease.Settle(changeOutputs(change, lease.Total-amount))
	}
	lease.Release(err == nil) // a no-op after Settle
	return c, err
}

func (s *Server) spendEarmarkedOnce(ctx context.Context, id, programme, account string, amount money.Amount,
	submit earmarkedFunc) (*ledger.Committed, error) {
	// The tranches the payer held at the last full read, from the
	// selector's cache (kept fresh by settled spends): no read of the
	// holdings when one of them covers the amount.
	tk := trancheKey{account, programme}
	if known, ok := s.tranches.get(tk); ok {
		for _, t := range known {
			lease, err := s.earmarked.Select(ctx, id, earmarkKey(account, programme, t), amount)
			if err == nil {
				return settleEarmarked(lease, amount, submit)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	all, err := holdings(ctx, s.ledger, id, programme, account)
	if err != nil {
		return nil, err
	}
	byTranche := map[int][]selection.Output{}
	totals := map[int]money.Amount{}
	var sum money.Amount
	for _, o := range all {
		t := o.Earmark.Tranche
		byTranche[t] = append(byTranche[t], selection.Output{ID: o.ID, Amount: o.Amount})
		totals[t] += o.Amount
		sum += o.Amount
	}
	var covering []int
	for t, total := range totals {
		if total >= amount {
			covering = append(covering, t)
		}
	}
	sort.Ints(covering)
	heldTranches := make([]int, 0, len(totals))
	for t := range totals {
		heldTranches = append(heldTranches, t)
	}
	sort.Ints(heldTranches)
	s.tranches.put(tk, heldTranches)
	if len(covering) == 0 {
		if sum >= amount {
			details := map[string]any{}
			for t, total := range totals {
				details[strconv.Itoa(t)] = total.String()
			}
			return nil, &rest.Error{Status: rest.StatusOf(rest.CodeEarmarkSplit), Code: rest.CodeEarmarkSplit,
				Message: fmt.Sprintf("%s holds %s earmarked for %s, but no tranche alone covers %s; pay in parts", account, sum, programme, amount),
				Details: map[string]any{rest.DetailTranches: details}}
		}
		return nil, newError(rest.CodeInsufficientFunds, "%s holds %s earmarked for %s, the payment needs %s", account, sum, programme, amount)
	}
	var last error
	for _, t := range covering {
		key := earmarkKey(account, programme, t)
		s.earmarked.Invalidate(key)
		sctx := context.WithValue(ctx, heldKey{}, &held{key: key, outs: byTranche[t]})
		lease, err := s.earmarked.Select(sctx, id, key, amount)
		if err != nil {
			if errors.Is(err, selection.ErrFundsLocked) || errors.Is(err, selection.ErrInsufficientFunds) {
				last = err // locked by payments in flight: try the next tranche
				continue
			}
			return nil, err
		}
		return settleEarmarked(lease, amount, submit)
	}
	return nil, last
}
