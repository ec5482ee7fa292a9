package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
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
		if err := s.checkRepeat(ctx, id, req); err != nil {
			return nil, err
		}
		pool := 0
		if req.ChangeSplit == 0 && s.isReserve(ctx, id, req.From) {
			pool = s.reservePool
		}
		var p api.Payment
		c, err := s.spend(ctx, id, req.From, req.Amount, req.Inputs, pool, func(inputs []string, split int) (*ledger.Committed, error) {
			if split == 0 {
				split = req.ChangeSplit
			}
			var c *ledger.Committed
			var err error
			// Coalesced with other payments when coalescing is on (coalesce.go).
			p, c, err = s.transfer(ctx, id, fromPaymentRequest(req, inputs, split))
			return c, err
		})
		if err != nil {
			if c := ledger.CodeOf(err); c == ledger.CodeDuplicatePayment {
				if rerr := s.checkRepeat(ctx, id, req); rerr != nil {
					return nil, rerr
				}
			}
			return nil, err
		}
		s.selector.Invalidate(req.To)
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
	details := map[string]any{rest.DetailPayment: toPayment(p)}
	if samePayment(p, req) {
		return &rest.Error{Status: http.StatusConflict, Code: rest.CodeDuplicatePayment,
			Message: "payment " + req.PaymentID + " already exists with this body", Details: details}
	}
	return &rest.Error{Status: http.StatusUnprocessableEntity, Code: rest.CodePaymentIDReused,
		Message: "payment ID " + req.PaymentID + " was used for a different payment", Details: details}
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
	submit func(inputs []string, changeSplit int) (*ledger.Committed, error),
) (*ledger.Committed, error) {
	if len(given) > 0 {
		defer s.selector.Invalidate(account)
		return submit(given, 0)
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

func (s *Server) spendOnce(ctx context.Context, id, account string, amount money.Amount, pool int,
	submit func(inputs []string, changeSplit int) (*ledger.Committed, error),
) (c *ledger.Committed, err error) {
	lease, err := s.selector.Select(ctx, id, account, amount)
	if err != nil {
		return nil, err
	}
	defer func() { lease.Release(err == nil) }()
	split := 0
	if lease.Total > amount {
		// Change on its way from payments in flight counts towards the
		// pool: otherwise payments selected together (one batch) would
		// each split change for the whole pool.
		split = poolSplit(pool, lease.Free+lease.Incoming)
		lease.Expect(max(split, 1))
	}
	return submit(lease.IDs(), split)
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request) {
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetPayment, api.PaymentRequest{PaymentID: r.PathValue("id")})
	s.answer(w, r, toPayment(p), err)
}
