package token

import (
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// Spend is the common effect of every operation: outputs to delete and
// outputs to create.
type Spend struct {
	Delete []api.Output `json:"delete"`
	Create []api.Output `json:"create"`
}

// TransferInput is everything PlanTransfer needs from the ledger.
type TransferInput struct {
	Request api.TransferRequest
	Payer   api.Account
	Payee   api.Account
	// Inputs are the resolved outputs named by Request.Inputs, in order.
	Inputs []api.Output
	// PayerToday is the payer's outflow so far today; read only when the
	// payer's tier has a daily limit.
	PayerToday money.Amount
	// PayeeBalance is the payee's balance; read only when the payee's tier
	// has a balance cap.
	PayeeBalance money.Amount
}

// TransferPlan is what a transfer writes.
type TransferPlan struct {
	Spend
	Payment api.Payment
	// PayerToday is the payer's outflow today including this payment; only
	// meaningful when the payer's tier has a daily limit.
	PayerToday money.Amount
}

// PlanTransfer validates a payment against the ledger values given and
// returns the writes. It allocates output IDs from tx only when it succeeds.
func PlanTransfer(tx *Tx, in TransferInput) (TransferPlan, error) {
	r := in.Request
	if err := r.Validate(); err != nil {
		return TransferPlan{}, err
	}
	if in.Payer.ID != r.From || in.Payee.ID != r.To {
		return TransferPlan{}, api.Errorf(api.CodeInternal, "accounts do not match the request")
	}
	if err := CanSend(in.Payer); err != nil {
		return TransferPlan{}, err
	}
	if err := CanReceive(in.Payee); err != nil {
		return TransferPlan{}, err
	}
	total, earmark, err := sumInputs(r.From, r.Inputs, in.Inputs)
	if err != nil {
		return TransferPlan{}, err
	}
	if total < r.Amount {
		return TransferPlan{}, api.Errorf(api.CodeInsufficientFunds, "inputs total %s, payment needs %s", total, r.Amount)
	}
	payerTier, err := TierOf(in.Payer)
	if err != nil {
		return TransferPlan{}, err
	}
	today, err := payerTier.CheckOutflow(r.Amount, in.PayerToday)
	if err != nil {
		return TransferPlan{}, err
	}
	payeeTier, err := TierOf(in.Payee)
	if err != nil {
		return TransferPlan{}, err
	}
	if err := payeeTier.CheckCredit(in.PayeeBalance, r.Amount); err != nil {
		return TransferPlan{}, err
	}

	p := TransferPlan{PayerToday: today}
	p.Delete = in.Inputs
	payee := tx.newOutput(r.To, r.Amount, earmark)
	p.Create = append(p.Create, payee)
	change := SplitChange(total-r.Amount, r.ChangeSplit)
	changeIDs := make([]string, 0, len(change))
	for _, a := range change {
		o := tx.newOutput(r.From, a, earmark)
		p.Create = append(p.Create, o)
		changeIDs = append(changeIDs, o.ID)
	}
	p.Payment = api.Payment{
		PaymentID: r.PaymentID, From: r.From, To: r.To, FromMSP: in.Payer.OwnerMSP, ToMSP: in.Payee.OwnerMSP,
		Amount: r.Amount, Purpose: r.Purpose, RemittanceHash: r.RemittanceHash,
		Inputs: append([]string(nil), r.Inputs...), PayeeOutput: payee.ID, ChangeOutputs: changeIDs,
		TxID: tx.ID, Timestamp: tx.Time,
	}
	return p, nil
}

// PlanMint validates an issuance into a reserve account and returns the new
// output and the mint record (with the new supply).
func PlanMint(tx *Tx, r api.MintRequest, acct api.Account, supply money.Amount) (api.Output, api.MintRecord, error) {
	if err := r.Validate(); err != nil {
		return api.Output{}, api.MintRecord{}, err
	}
	if acct.Kind != api.KindReserve {
		return api.Output{}, api.MintRecord{}, api.Errorf(api.CodeInvalidArgument, "account %s is a %s account; mints go to reserve accounts", acct.ID, acct.Kind)
	}
	if err := CanReceive(acct); err != nil {
		return api.Output{}, api.MintRecord{}, err
	}
	newSupply, err := money.Add(supply, r.Amount)
	if err != nil {
		return api.Output{}, api.MintRecord{}, api.Errorf(api.CodeInvalidArgument, "supply would overflow")
	}
	o := tx.newOutput(acct.ID, r.Amount, nil)
	return o, api.MintRecord{
		MintID: r.MintID, Account: acct.ID, Amount: r.Amount, ReserveRef: r.ReserveRef, Output: o.ID,
		Supply: newSupply, TxID: tx.ID, Timestamp: tx.Time,
	}, nil
}

// PlanRedeem validates a redemption from a reserve account.
func PlanRedeem(tx *Tx, r api.RedeemRequest, acct api.Account, inputs []api.Output, supply money.Amount) (Spend, api.Redemption, error) {
	if err := r.Validate(); err != nil {
		return Spend{}, api.Redemption{}, err
	}
	if acct.Kind != api.KindReserve {
		return Spend{}, api.Redemption{}, api.Errorf(api.CodeInvalidArgument, "account %s is a %s account; only reserve accounts redeem", acct.ID, acct.Kind)
	}
	if err := CanSend(acct); err != nil {
		return Spend{}, api.Redemption{}, err
	}
	total, earmark, err := sumInputs(acct.ID, r.Inputs, inputs)
	if err != nil {
		return Spend{}, api.Redemption{}, err
	}
	if total < r.Amount {
		return Spend{}, api.Redemption{}, api.Errorf(api.CodeInsufficientFunds, "inputs total %s, redemption needs %s", total, r.Amount)
	}
	if supply < r.Amount {
		return Spend{}, api.Redemption{}, api.Errorf(api.CodeInternal, "supply %s is below redemption %s", supply, r.Amount)
	}
	s := Spend{Delete: inputs}
	var ids []string
	for _, a := range SplitChange(total-r.Amount, 1) {
		o := tx.newOutput(acct.ID, a, earmark)
		s.Create = append(s.Create, o)
		ids = append(ids, o.ID)
	}
	return s, api.Redemption{
		RedeemID: r.RedeemID, Account: acct.ID, Amount: r.Amount, Inputs: append([]string(nil), r.Inputs...),
		ChangeOutputs: ids, Supply: supply - r.Amount, TxID: tx.ID, Timestamp: tx.Time,
	}, nil
}

// PlanMerge validates a consolidation of an account's outputs into one.
func PlanMerge(tx *Tx, r api.MergeRequest, acct api.Account, inputs []api.Output) (Spend, api.MergeRecord, error) {
	if err := r.Validate(); err != nil {
		return Spend{}, api.MergeRecord{}, err
	}
	if err := CanSend(acct); err != nil {
		return Spend{}, api.MergeRecord{}, err
	}
	total, earmark, err := sumInputs(acct.ID, r.Inputs, inputs)
	if err != nil {
		return Spend{}, api.MergeRecord{}, err
	}
	o := tx.newOutput(acct.ID, total, earmark)
	return Spend{Delete: inputs, Create: []api.Output{o}}, api.MergeRecord{
		MergeID: r.MergeID, Account: acct.ID, Inputs: append([]string(nil), r.Inputs...), Output: o.ID,
		Amount: total, TxID: tx.ID, Timestamp: tx.Time,
	}, nil
}

// sumInputs checks that the resolved inputs match the requested IDs, all
// belong to owner, are positive and share one earmark, and returns their
// total and that earmark.
func sumInputs(owner string, ids []string, inputs []api.Output) (money.Amount, *api.Earmark, error) {
	if len(ids) != len(inputs) {
		return 0, nil, api.Errorf(api.CodeInternal, "%d inputs requested, %d resolved", len(ids), len(inputs))
	}
	var total money.Amount
	var earmark *api.Earmark
	for i, o := range inputs {
		if o.ID != ids[i] {
			return 0, nil, api.Errorf(api.CodeInternal, "input %d resolved to %s, want %s", i, o.ID, ids[i])
		}
		if o.Account != owner {
			return 0, nil, api.Errorf(api.CodeInputNotOwned, "output %s belongs to another account", o.ID)
		}
		if o.Amount <= 0 {
			return 0, nil, api.Errorf(api.CodeInternal, "output %s has non-positive amount %s", o.ID, o.Amount)
		}
		if i == 0 {
			earmark = o.Earmark
		} else if !sameEarmark(earmark, o.Earmark) {
			return 0, nil, api.Errorf(api.CodeInvalidArgument, "inputs carry different earmarks and cannot be combined")
		}
		var err error
		if total, err = money.Add(total, o.Amount); err != nil {
			return 0, nil, api.Errorf(api.CodeInvalidArgument, "inputs total overflows")
		}
	}
	return total, earmark, nil
}
