package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// createPayment moves money: POST /v1/payments. The client's payment ID is
// the on-ledger idempotency key: a repeat with the same body answers 409
// with the original payment, a repeat with a different body 422. With
// coalescing on, the payment shares a token:TransferBatch with others that
// arrive within the window, and still gets its own answer (coalesce.go).
func (s *Server) createPayment(w http.ResponseWriter, r *http.Request) {
	var req rest.PaymentRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := fromPaymentRequest(req, req.Inputs, req.ChangeSplit)
	if err := creq.ValidateSelectable(); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		// A repeat of a payment this gateway knows is answered from its
		// cache. Otherwise no look-up first (a query per payment): the
		// chaincode refuses a repeated ID (DUPLICATE_PAYMENT), and a
		// failed payment looks the ID up below.
		if p, ok := s.paid.get(paidKey{id, req.PaymentID}); ok {
			return nil, repeated(p, req)
		}
		pool := 0
		if req.ChangeSplit == 0 && s.isReserve(ctx, id, req.From) {
			pool = s.reservePool
		}
		var p api.Payment
		c, err := s.spend(ctx, id, req.From, req.Amount, req.Inputs, pool, func(inputs []string, split int) (*ledger.Committed, []string, error) {
			if split == 0 {
				split = req.ChangeSplit
			}
			var c *ledger.Committed
			var err error
			// Coalesced with other payments when coalescing is on (coalesce.go).
			p, c, err = s.transfer(ctx, id, fromPaymentRequest(req, inputs, split))
			if err != nil || p.ChangeOutputs == nil {
				return c, nil, err
			}
			return c, p.ChangeOutputs, nil
		})
		if err != nil {
			return nil, s.repeatOr(ctx, id, req, err)
		}
		s.selector.Invalidate(req.To)
		s.paid.put(paidKey{id, p.PaymentID}, p)
		return committed(c, toPayment(p)), nil
	})
}

// checkRepeat looks the payment ID up: nil when unused, else a 409 (same
// body) or 422 (different body) carrying the original payment.
func (s *Server) checkRepeat(ctx context.Context, id string, req rest.PaymentRequest) error {
	p, err := ledger.Query(ctx, s.ledger, id, api.GetPayment, api.PaymentRequest{PaymentID: req.PaymentID})
	if err != nil {
		if ledger.CodeOf(err) == ledger.CodeNotFound {
			return nil
		}
		return err
	}
	s.paid.put(paidKey{id, p.PaymentID}, p)
	return repeated(p, req)
}

// recentPayments bounds the cache of committed payments (~1 KB each).
const recentPayments = 10000

// paidKey is a cached payment's key: the client that paid or looked it up
// (another client may not be allowed to see it) and its payment ID.
type paidKey struct{ client, paymentID string }

// repeated is the answer to a request that repeats payment p's ID: 409
// (same body) or 422 (different body), carrying p.
func repeated(p api.Payment, req rest.PaymentRequest) error {
	details := map[string]any{rest.DetailPayment: toPayment(p)}
	if samePayment(p, req) {
		return &rest.Error{Status: http.StatusConflict, Code: rest.CodeDuplicatePayment,
			Message: "payment " + req.PaymentID + " already exists with this body", Details: details}
	}
	return &rest.Error{Status: http.StatusUnprocessableEntity, Code: rest.CodePaymentIDReused,
		Message: "payment ID " + req.PaymentID + " was used for a different payment", Details: details}
}

// repeatOr answers a payment that failed with err: when its payment ID is
// already on the ledger (a repeat, refused by the chaincode, or refused
// before it by selection because the first payment spent the funds), 409 or
// 422 with the original; otherwise err. A look-up that fails leaves err.
func (s *Server) repeatOr(ctx context.Context, id string, req rest.PaymentRequest, err error) error {
	switch ledger.CodeOf(err) {
	case ledger.CodeForbidden, ledger.CodeInvalidArgument, ledger.CodeCanceled:
		return err // not a repeat's answer: the ID was not checked, or the caller left
	}
	var repeat *rest.Error
	if rerr := s.checkRepeat(ctx, id, req); errors.As(rerr, &repeat) {
		return repeat
	}
	return err
}

// samePayment reports whether a request repeats a stored payment: from,
// to, amount, purpose and remittance hash must match.
func samePayment(p api.Payment, req rest.PaymentRequest) bool {
	return p.From == req.From && p.To == req.To && p.Amount == req.Amount && p.Purpose == req.Purpose &&
		p.RemittanceHash == req.RemittanceHash
}

// isReserve reports whether account is a reserve account (cached, bounded:
// kinds never change). A failed look-up answers false: pooling is an
// optimisation.
func (s *Server) isReserve(ctx context.Context, id, account string) bool {
	if s.reservePool == 0 {
		return false
	}
	if k, ok := s.kinds.get(account); ok {
		return k == api.KindReserve
	}
	a, err := ledger.Query(ctx, s.ledger, id, api.GetAccount, api.AccountRequest{ID: account})
	if err != nil {
		return false
	}
	s.kinds.put(account, a.Kind)
	return a.Kind == api.KindReserve
}

// poolSplit is the change split that refills a pool of target unlocked
// outputs when free are left (0: no split needed).
func poolSplit(target, free int) int {
	if target <= 0 || free >= target {
		return 0
	}
	return min(target-free, api.MaxChangeSplit)
}

// spend runs submit with the given inputs, or with inputs the selector
// locks for it (released when submit returns, on every path). With pool > 0
// the change of a selected payment is split so that the account keeps about
// pool unlocked outputs. When the chaincode says a selected input is
// already spent, the account is re-read and selection runs once more.
func (s *Server) spend(ctx context.Context, id, account string, amount money.Amount, given []string, pool int,
	submit spendFunc,
) (*ledger.Committed, error) {
	if len(given) > 0 {
		defer s.selector.Invalidate(account)
		c, _, err := submit(given, 0)
		return c, err
	}
	for attempt := 0; ; attempt++ {
		c, err := s.spendOnce(ctx, id, account, amount, pool, submit)
		if err == nil {
			return c, nil
		}
		var le *ledger.Error
		if attempt == 0 && errors.As(err, &le) && le.Code == ledger.CodeInputSpent {
			s.log.WarnContext(ctx, "selected input already spent, selecting again", "account", account)
			continue
		}
		return nil, err
	}
}

// spendFunc submits a spend of inputs with the given change split and
// returns its commit and, when the answer names them, the IDs of the change
// outputs it created at the paying account (api.Payment.ChangeOutputs);
// nil when unknown.
type spendFunc func(inputs []string, changeSplit int) (*ledger.Committed, []string, error)

func (s *Server) spendOnce(ctx context.Context, id, account string, amount money.Amount, pool int,
	submit spendFunc,
) (c *ledger.Committed, err error) {
	lease, err := s.selector.Select(ctx, id, account, amount)
	if err != nil {
		return nil, err
	}
	defer func() { lease.Release(err == nil) }() // a no-op after Settle
	split := 0
	if lease.Total > amount {
		// Change on its way from payments in flight counts towards the
		// pool: otherwise payments selected together (one batch) would
		// each split change for the whole pool.
		split = poolSplit(pool, lease.Free+lease.Incoming)
		lease.Expect(max(split, 1))
	}
	c, change, err := submit(lease.IDs(), split)
	if err == nil && change != nil {
		lease.Settle(changeOutputs(change, lease.Total-amount))
	}
	return c, err
}

// changeOutputs are the outputs of a payment's change: ids as the payment
// record names them, amounts by the contract's rule (api.SplitChange).
// nil when the two disagree (the account is then read again).
func changeOutputs(ids []string, change money.Amount) []selection.Output {
	amounts := api.SplitChange(change, len(ids))
	if len(amounts) != len(ids) {
		return nil
	}
	out := make([]selection.Output, len(ids))
	for i, id := range ids {
		out[i] = selection.Output{ID: id, Amount: amounts[i]}
	}
	return out
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request) {
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetPayment, api.PaymentRequest{PaymentID: r.PathValue("id")})
	s.answer(w, r, toPayment(p), err)
}
