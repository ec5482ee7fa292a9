package tokencc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/token"
)

// BatchResult is TransferBatch's answer: one ItemResult per request item,
// in order.
type BatchResult struct {
	Settled  int          `json:"settled"`
	Rejected int          `json:"rejected"`
	Results  []ItemResult `json:"results"`
}

// ItemResult is the outcome of one batch item. When OK is false, Code and
// Message say why and the item changed nothing.
type ItemResult struct {
	PaymentID string         `json:"paymentId"`
	OK        bool           `json:"ok"`
	Code      token.Code     `json:"code,omitempty"`
	Message   string         `json:"message,omitempty"`
	Payment   *token.Payment `json:"payment,omitempty"`
}

// Transfer settles one payment. Reusing a payment ID fails with
// DUPLICATE_PAYMENT, so a retry after an unknown outcome is safe.
func (c *Contract) Transfer(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "Transfer", request, func(s *txState, g grant, r token.TransferRequest) (any, error) {
		p, err := c.transfer(s, g, r)
		if err != nil {
			return nil, err
		}
		return p, nil
	})
}

// TransferBatch settles up to token.MaxBatchItems payments in one
// transaction. Each item is checked against the state left by the items
// before it; an invalid item is reported and writes nothing, the others
// settle. Only an internal failure aborts the whole transaction.
func (c *Contract) TransferBatch(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return write(c, ctx, "TransferBatch", request, func(s *txState, g grant, r token.BatchRequest) (any, error) {
		if len(r.Items) == 0 {
			return nil, token.Errorf(token.CodeInvalidArgument, "batch has no items")
		}
		if len(r.Items) > token.MaxBatchItems {
			return nil, token.Errorf(token.CodeBatchTooLarge, "batch has %d items, at most %d", len(r.Items), token.MaxBatchItems)
		}
		res := BatchResult{Results: make([]ItemResult, 0, len(r.Items))}
		for _, item := range r.Items {
			p, err := c.transfer(s, g, item)
			switch code := token.CodeOf(err); {
			case err == nil:
				res.Settled++
				res.Results = append(res.Results, ItemResult{PaymentID: item.PaymentID, OK: true, Payment: &p})
			case code == token.CodeInternal:
				return nil, err
			default:
				res.Rejected++
				msg := err.Error()
				var te *token.Error
				if asTokenError(err, &te) {
					msg = te.Msg
				}
				res.Results = append(res.Results, ItemResult{PaymentID: item.PaymentID, Code: code, Message: msg})
			}
		}
		return res, nil
	})
}

// transfer checks one payment completely before its first write, so a
// rejected payment leaves no trace even inside a batch.
func (c *Contract) transfer(s *txState, g grant, r token.TransferRequest) (token.Payment, error) {
	if err := r.Validate(); err != nil {
		return token.Payment{}, err
	}
	payer, err := s.account(r.From)
	if err != nil {
		return token.Payment{}, err
	}
	if err := g.owns(payer.OwnerMSP); err != nil {
		return token.Payment{}, err
	}
	pk, err := recordKey(s, nsPayment, r.PaymentID, token.CodeDuplicatePayment, "payment ID")
	if err != nil {
		return token.Payment{}, err
	}
	// Reading the payee's account record is safe: it changes only on
	// open/freeze/close, so concurrent credits never conflict on it.
	payee, err := s.account(r.To)
	if err != nil {
		return token.Payment{}, err
	}
	if err := payer.CanSend(); err != nil {
		return token.Payment{}, err
	}
	if err := payee.CanReceive(); err != nil {
		return token.Payment{}, err
	}
	in, err := s.inputs(payer.ID, r.Inputs)
	if err != nil {
		return token.Payment{}, err
	}
	input := token.TransferInput{Request: r, Payer: payer, Payee: payee, Inputs: in}

	payerTier, err := payer.TierLimits()
	if err != nil {
		return token.Payment{}, err
	}
	var dailyKey string
	var daily token.DailyOutflow
	if payerTier.HasDailyLimit() {
		if dailyKey, err = s.key(nsDaily, payer.ID, s.tx.Day()); err != nil {
			return token.Payment{}, err
		}
		if _, err := s.getJSON(dailyKey, &daily); err != nil {
			return token.Payment{}, err
		}
		input.PayerToday = daily.Outflow
	}
	payeeTier, err := payee.TierLimits()
	if err != nil {
		return token.Payment{}, err
	}
	if payeeTier.HasBalanceCap() {
		// The one range read on the payment path, for capped tiers only.
		if input.PayeeBalance, err = s.balance(payee.ID); err != nil {
			return token.Payment{}, err
		}
	}

	plan, err := token.PlanTransfer(s.tx, input)
	if err != nil {
		return token.Payment{}, err
	}

	// Writes. Failures from here on are internal and abort the transaction.
	owners := func(acct string) string {
		if acct == payee.ID {
			return payee.OwnerMSP
		}
		return payer.OwnerMSP
	}
	if err := s.applySpend(plan.Spend, owners); err != nil {
		return token.Payment{}, err
	}
	if dailyKey != "" {
		ep, err := s.ownerPolicy(payer.OwnerMSP)
		if err != nil {
			return token.Payment{}, err
		}
		d := token.DailyOutflow{Account: payer.ID, Day: s.tx.Day(), Outflow: plan.PayerToday}
		if err := s.putJSON(dailyKey, d, ep); err != nil {
			return token.Payment{}, err
		}
	}
	if err := s.putJSON(pk, plan.Payment, nil); err != nil {
		return token.Payment{}, err
	}
	if err := s.statement(token.StatementEntry{Account: payer.ID, Type: token.EntryDebit, Reference: r.PaymentID, Counterparty: payee.ID, Amount: r.Amount}); err != nil {
		return token.Payment{}, err
	}
	if err := s.statement(token.StatementEntry{Account: payee.ID, Type: token.EntryCredit, Reference: r.PaymentID, Counterparty: payer.ID, Amount: r.Amount}); err != nil {
		return token.Payment{}, err
	}
	s.emit(Event{Type: EventTransferred, ID: r.PaymentID, From: payer.ID, To: payee.ID,
		FromMSP: payer.OwnerMSP, ToMSP: payee.OwnerMSP, Amount: r.Amount})
	return plan.Payment, nil
}
