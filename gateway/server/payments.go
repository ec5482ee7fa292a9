package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

type paymentRequest struct {
	PaymentID      string   `json:"paymentId"`
	From           string   `json:"from"`
	To             string   `json:"to"`
	Amount         string   `json:"amount"`
	Purpose        string   `json:"purpose"`
	RemittanceHash string   `json:"remittanceHash"`
	Inputs         []string `json:"inputs"`
	ChangeSplit    int      `json:"changeSplit"`
}

func (p *paymentRequest) validate(field string) (money.Amount, error) {
	if err := firstErr(requireField(field+"paymentId", p.PaymentID), requireField(field+"from", p.From), requireField(field+"to", p.To)); err != nil {
		return 0, err
	}
	if p.From == p.To {
		return 0, badRequest(CodeInvalidRequest, "%sfrom and %sto are the same account", field, field)
	}
	if p.ChangeSplit < 0 || p.ChangeSplit > config.MaxChangeSplit {
		return 0, badRequest(CodeInvalidRequest, "%schangeSplit must be from 0 to %d", field, config.MaxChangeSplit)
	}
	return parseAmount(field+"amount", p.Amount)
}

func (p *paymentRequest) args(amount money.Amount, inputs []string) transferArgs {
	return transferArgs{PaymentID: p.PaymentID, From: p.From, To: p.To, Amount: amount.String(), Inputs: inputs,
		Purpose: p.Purpose, RemittanceHash: p.RemittanceHash, ChangeSplit: p.ChangeSplit}
}

// createPayment moves money: POST /v1/payments. The client's payment ID is
// the on-ledger idempotency key: a repeat with the same body answers 409
// with the original payment, a repeat with a different body 422.
func (s *Server) createPayment(w http.ResponseWriter, r *http.Request) {
	var req paymentRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	amount, err := req.validate("")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		if err := s.checkRepeat(ctx, id, req); err != nil {
			return nil, err
		}
		pool := 0
		if req.ChangeSplit == 0 && s.isReserve(ctx, id, req.From) {
			pool = s.reservePool
		}
		res, err := s.spend(ctx, id, req.From, amount, req.Inputs, pool, func(inputs []string, split int) (*ledger.Committed, error) {
			args := req.args(amount, inputs)
			if split > 0 {
				args.ChangeSplit = split
			}
			return s.ledger.Submit(ctx, id, fnTransfer, jsonArg(args), nil, noOpts)
		})
		if err != nil {
			if c := ledger.CodeOf(err); c == ledger.CodeDuplicatePayment || c == ledger.CodeAlreadyExists {
				if rerr := s.checkRepeat(ctx, id, req); rerr != nil {
					return nil, rerr
				}
			}
			return nil, err
		}
		s.selector.Invalidate(req.To)
		return res, nil
	})
}

// checkRepeat looks the payment ID up: nil when unused, else a 409 (same
// body) or 422 (different body) carrying the original payment.
func (s *Server) checkRepeat(ctx context.Context, id string, req paymentRequest) error {
	b, err := s.ledger.Evaluate(ctx, id, fnGetPayment, req.PaymentID)
	if err != nil {
		if ledger.CodeOf(err) == ledger.CodeNotFound {
			return nil
		}
		return err
	}
	same, err := samePayment(b, req)
	if err != nil {
		return err
	}
	details := map[string]any{"payment": passThrough(b)}
	if same {
		return &apiError{Status: http.StatusConflict, Code: string(ledger.CodeDuplicatePayment),
			Message: "payment " + req.PaymentID + " already exists with this body", Details: details}
	}
	return &apiError{Status: http.StatusUnprocessableEntity, Code: CodePaymentIDReused,
		Message: "payment ID " + req.PaymentID + " was used for a different payment", Details: details}
}

// isReserve reports whether account is a reserve account (cached: kinds
// never change). A failed look-up answers false: pooling is an optimisation.
func (s *Server) isReserve(ctx context.Context, id, account string) bool {
	if s.reservePool == 0 {
		return false
	}
	if k, ok := s.kinds.Load(account); ok {
		return k == kindReserve
	}
	b, err := s.ledger.Evaluate(ctx, id, fnGetAccount, account)
	if err != nil {
		return false
	}
	kind, err := accountKind(b)
	if err != nil {
		return false
	}
	s.kinds.Store(account, kind)
	return kind == kindReserve
}

// poolSplit is the change split that refills a pool of target unlocked
// outputs when free are left (0: no split needed).
func poolSplit(target, free int) int {
	if target <= 0 || free >= target {
		return 0
	}
	return min(target-free, config.MaxChangeSplit)
}

// spend runs submit with the given inputs, or with inputs the selector
// locks for it (released after the outcome is known). With pool > 0 the
// change of a selected payment is split so that the account keeps about
// pool unlocked outputs. When the chaincode says a selected input is
// already spent, the account is re-read and selection runs once more.
func (s *Server) spend(ctx context.Context, id, account string, amount money.Amount, given []string, pool int,
	submit func(inputs []string, changeSplit int) (*ledger.Committed, error),
) (*writeResult, error) {
	if len(given) > 0 {
		c, err := submit(given, 0)
		s.selector.Invalidate(account)
		return committed(c), err
	}
	for attempt := 0; ; attempt++ {
		lease, err := s.selector.Select(ctx, id, account, amount)
		if err != nil {
			return nil, err
		}
		split := 0
		if lease.Total > amount {
			split = poolSplit(pool, lease.Free)
		}
		c, err := submit(lease.IDs(), split)
		lease.Release(err == nil)
		if err == nil {
			return committed(c), nil
		}
		var le *ledger.Error
		if attempt == 0 && errors.As(err, &le) && le.Code == ledger.CodeInputSpent {
			s.log.WarnContext(ctx, "selected input already spent, selecting again", "account", account)
			continue
		}
		return nil, err
	}
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request) {
	s.evaluate(w, r, fnGetPayment, r.PathValue("id"))
}
