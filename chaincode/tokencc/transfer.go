package tokencc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/token"
)

// Transfer settles one payment. Reusing a payment ID fails with
// DUPLICATE_PAYMENT, so a retry after an unknown outcome is safe.
func (c *Contract) Transfer(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Transfer, request, func(s *txState, r api.TransferRequest) (api.Payment, error) {
		return s.transfer(r)
	})
}

// TransferBatch settles up to token.MaxBatchItems payments in one
// transaction. Each item is checked against the state left by the items
// before it; an invalid item is reported and writes nothing, the others
// settle. Only an internal failure aborts the whole transaction.
func (c *Contract) TransferBatch(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.TransferBatch, request, func(s *txState, r api.BatchRequest) (api.BatchResult, error) {
		res := api.BatchResult{Results: make([]api.ItemResult, 0, len(r.Items))}
		for _, item := range r.Items {
			p, err := s.transfer(item)
			switch code := api.CodeOf(err); {
			case err == nil:
				res.Settled++
				res.Results = append(res.Results, api.ItemResult{PaymentID: item.PaymentID, OK: true, Payment: &p})
			case code == api.CodeInternal:
				return api.BatchResult{}, err
			default:
				res.Rejected++
				res.Results = append(res.Results, api.ItemResult{PaymentID: item.PaymentID, Code: code, Message: api.MessageOf(err)})
			}
		}
		return res, nil
	})
}

// transfer checks one payment completely before its first write, so a
// rejected payment leaves no trace even inside a batch.
func (s *txState) transfer(r api.TransferRequest) (api.Payment, error) {
	if err := r.Validate(); err != nil {
		return api.Payment{}, err
	}
	payer, err := s.ownedAccount(r.From)
	if err != nil {
		return api.Payment{}, err
	}
	if api.NamespaceOf(r.PaymentID) != payer.Bank {
		return api.Payment{}, api.Errorf(api.CodeForbidden, "payment ID %s is not in the paying bank's namespace (%s:…)", r.PaymentID, payer.Bank)
	}
	pk, err := recordKey(s, nsPayment, r.PaymentID, api.CodeDuplicatePayment, "payment ID")
	if err != nil {
		return api.Payment{}, err
	}
	// Reading the payee's account record is safe: it changes only on
	// open/freeze/close, so concurrent credits never conflict on it.
	payee, err := s.account(r.To)
	if err != nil {
		return api.Payment{}, err
	}
	if err := token.CanSend(payer); err != nil {
		return api.Payment{}, err
	}
	if err := token.CanReceive(payee); err != nil {
		return api.Payment{}, err
	}
	in, err := s.inputs(payer.ID, r.Inputs)
	if err != nil {
		return api.Payment{}, err
	}
	input := token.TransferInput{Request: r, Payer: payer, Payee: payee, Inputs: in}
	// Earmarked funds pay only where their programme allows, and may be
	// released there (directional appropriation).
	var spend *appropriation.SpendOutcome
	if len(in) > 0 && in[0].Earmark != nil {
		p, err := s.programme(in[0].Earmark.Programme)
		if err != nil {
			return api.Payment{}, err
		}
		o, err := appropriation.CheckSpend(p, payer, payee, s.now())
		if err != nil {
			return api.Payment{}, err
		}
		spend, input.ReleaseEarmark = &o, o.Release
	}

	payerTier, err := token.TierOf(payer)
	if err != nil {
		return api.Payment{}, err
	}
	var dailyKey string
	var daily token.DailyOutflow
	if payerTier.HasDailyLimit() {
		if dailyKey, err = s.key(nsDaily, payer.ID, api.BusinessDate(s.tx.Time)); err != nil {
			return api.Payment{}, err
		}
		if _, err := s.getJSON(dailyKey, &daily); err != nil {
			return api.Payment{}, err
		}
		input.PayerToday = daily.Outflow
	}
	payeeTier, err := token.TierOf(payee)
	if err != nil {
		return api.Payment{}, err
	}
	if payeeTier.HasBalanceCap() {
		// The one range read on the payment path, for capped tiers only.
		if input.PayeeBalance, input.PayeeOutputs, err = s.balance(payee.ID); err != nil {
			return api.Payment{}, err
		}
	}

	plan, err := token.PlanTransfer(s.tx, input)
	if err != nil {
		return api.Payment{}, err
	}

	// Writes. Failures from here on are internal and abort the transaction.
	owners := func(acct string) string {
		if acct == payee.ID {
			return payee.OwnerMSP
		}
		return payer.OwnerMSP
	}
	if err := s.applySpend(plan.Spend, owners); err != nil {
		return api.Payment{}, err
	}
	if dailyKey != "" {
		ep, err := s.ownerPolicy(payer.OwnerMSP)
		if err != nil {
			return api.Payment{}, err
		}
		d := token.DailyOutflow{Account: payer.ID, Day: api.BusinessDate(s.tx.Time), Outflow: plan.PayerToday}
		if err := s.putJSON(dailyKey, d, ep); err != nil {
			return api.Payment{}, err
		}
	}
	if err := s.putJSON(pk, plan.Payment, nil); err != nil {
		return api.Payment{}, err
	}
	if err := s.statement(api.StatementEntry{Account: payer.ID, Type: api.EntryDebit, Reference: r.PaymentID, Counterparty: payee.ID, Amount: r.Amount}); err != nil {
		return api.Payment{}, err
	}
	if err := s.statement(api.StatementEntry{Account: payee.ID, Type: api.EntryCredit, Reference: r.PaymentID, Counterparty: payer.ID, Amount: r.Amount}); err != nil {
		return api.Payment{}, err
	}
	s.call.Emit(api.Event{Type: api.EventTransferred, ID: r.PaymentID, From: payer.ID, To: payee.ID,
		FromMSP: payer.OwnerMSP, ToMSP: payee.OwnerMSP, FromBank: payer.Bank, ToBank: payee.Bank, Amount: r.Amount})
	if spend != nil {
		mark := in[0].Earmark
		if err := s.flow(api.Flow{Programme: mark.Programme, Kind: spend.Kind, Tranche: mark.Tranche, From: payer.ID, To: payee.ID,
			FromMSP: payer.OwnerMSP, ToMSP: payee.OwnerMSP, Amount: r.Amount, Output: plan.Payment.PayeeOutput, Inputs: append([]string(nil), r.Inputs...),
			Reference: r.PaymentID}); err != nil {
			return api.Payment{}, err
		}
		ev := api.EventEarmarkSpent
		if spend.Release {
			ev = api.EventEarmarkReleased
		}
		s.call.Emit(api.Event{Type: ev, ID: r.PaymentID, Programme: mark.Programme, Tranche: mark.Tranche, From: payer.ID, To: payee.ID,
			FromMSP: payer.OwnerMSP, ToMSP: payee.OwnerMSP, FromBank: payer.Bank, ToBank: payee.Bank, Amount: r.Amount})
	}
	return plan.Payment, nil
}
