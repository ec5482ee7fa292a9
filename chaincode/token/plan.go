package token

import (
	"github.com/yangtze-delta/settlement/chaincode/money"
)

// Spend is the common effect of every operation: outputs to delete and
// outputs to create.
type Spend struct {
	Delete []Output `json:"delete"`
	Create []Output `json:"create"`
}

// TransferInput is everything PlanTransfer needs from the ledger.
type TransferInput struct {
	Request TransferRequest
	Payer   Account
	Payee   Account
	// Inputs are the resolved outputs named by Request.Inputs, in order.
	Inputs []Output
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
	Payment Payment
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
		return TransferPlan{}, Errorf(CodeInternal, "accounts do not match the request")
	}
	if err := in.Payer.CanSend(); err != nil {
		return TransferPlan{}, err
	}
	if err := in.Payee.CanReceive(); err != nil {
		return TransferPlan{}, err
	}
	total, earmark, err := sumInputs(r.From, r.Inputs, in.Inputs)
	if err != nil {
		return TransferPlan{}, err
	}
	if total < r.Amount {
		return TransferPlan{}, Errorf(CodeInsufficientFunds, "inputs total %s, payment needs %s", total, r.Amount)
	}
	payerTier, err := in.Payer.TierLimits()
	if err != nil {
		return TransferPlan{}, err
	}
	today, err := payerTier.CheckOutflow(r.Amount, in.PayerToday)
	if err != nil {
		return TransferPlan{}, err
	}
	payeeTier, err := in.Payee.TierLimits()
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
	p.Payment = Payment{
		PaymentID: r.PaymentID, From: r.From, To: r.To, FromMSP: in.Payer.OwnerMSP, ToMSP: in.Payee.OwnerMSP,
		Amount: r.Amount, Purpose: r.Purpose, RemittanceHash: r.RemittanceHash,
		Inputs: append([]string(nil), r.Inputs...), PayeeOutput: payee.ID, ChangeOutputs: changeIDs,
		TxID: tx.ID, Timestamp: tx.Time,
	}
	return p, nil
}

// PlanMint validates an issuance into a reserve account and returns the new
// output and the mint record (with the new supply).
func PlanMint(tx *Tx, r MintRequest, acct Account, supply money.Amount) (Output, Mint, error) {
	if err := r.Validate(); err != nil {
		return Output{}, Mint{}, err
	}
	if acct.Kind != KindReserve {
		return Output{}, Mint{}, Errorf(CodeInvalidArgument, "account %s is a %s account; mints go to reserve accounts", acct.ID, acct.Kind)
	}
	if err := acct.CanReceive(); err != nil {
		return Output{}, Mint{}, err
	}
	newSupply, err := money.Add(supply, r.Amount)
	if err != nil {
		return Output{}, Mint{}, Errorf(CodeInvalidArgument, "supply would overflow")
	}
	o := tx.newOutput(acct.ID, r.Amount, nil)
	return o, Mint{
		MintID: r.MintID, Account: acct.ID, Amount: r.Amount, ReserveRef: r.ReserveRef, Output: o.ID,
		Supply: newSupply, TxID: tx.ID, Timestamp: tx.Time,
	}, nil
}

// PlanRedeem validates a redemption from a reserve account.
func PlanRedeem(tx *Tx, r RedeemRequest, acct Account, inputs []Output, supply money.Amount) (Spend, Redemption, error) {
	if err := r.Validate(); err != nil {
		return Spend{}, Redemption{}, err
	}
	if acct.Kind != KindReserve {
		return Spend{}, Redemption{}, Errorf(CodeInvalidArgument, "account %s is a %s account; only reserve accounts redeem", acct.ID, acct.Kind)
	}
	if err := acct.CanSend(); err != nil {
		return Spend{}, Redemption{}, err
	}
	total, earmark, err := sumInputs(acct.ID, r.Inputs, inputs)
	if err != nil {
		return Spend{}, Redemption{}, err
	}
	if total < r.Amount {
		return Spend{}, Redemption{}, Errorf(CodeInsufficientFunds, "inputs total %s, redemption needs %s", total, r.Amount)
	}
	if supply < r.Amount {
		return Spend{}, Redemption{}, Errorf(CodeInternal, "supply %s is below redemption %s", supply, r.Amount)
	}
	s := Spend{Delete: inputs}
	var ids []string
	for _, a := range SplitChange(total-r.Amount, 1) {
		o := tx.newOutput(acct.ID, a, earmark)
		s.Create = append(s.Create, o)
		ids = append(ids, o.ID)
	}
	return s, Redemption{
		RedeemID: r.RedeemID, Account: acct.ID, Amount: r.Amount, Inputs: append([]string(nil), r.Inputs...),
		ChangeOutputs: ids, Supply: supply - r.Amount, TxID: tx.ID, Timestamp: tx.Time,
	}, nil
}

// PlanMerge validates a consolidation of an account's outputs into one.
func PlanMerge(tx *Tx, r MergeRequest, acct Account, inputs []Output) (Spend, Merge, error) {
	if err := r.Validate(); err != nil {
		return Spend{}, Merge{}, err
	}
	if err := acct.CanSend(); err != nil {
		return Spend{}, Merge{}, err
	}
	total, earmark, err := sumInputs(acct.ID, r.Inputs, inputs)
	if err != nil {
		return Spend{}, Merge{}, err
	}
	o := tx.newOutput(acct.ID, total, earmark)
	return Spend{Delete: inputs, Create: []Output{o}}, Merge{
		MergeID: r.MergeID, Account: acct.ID, Inputs: append([]string(nil), r.Inputs...), Output: o.ID,
		Amount: total, TxID: tx.ID, Timestamp: tx.Time,
	}, nil
}

// sumInputs checks that the resolved inputs match the requested IDs, all
// belong to owner, are positive and share one earmark, and returns their
// total and that earmark.
func sumInputs(owner string, ids []string, inputs []Output) (money.Amount, *Earmark, error) {
	if len(ids) != len(inputs) {
		return 0, nil, Errorf(CodeInternal, "%d inputs requested, %d resolved", len(ids), len(inputs))
	}
	var total money.Amount
	var earmark *Earmark
	for i, o := range inputs {
		if o.ID != ids[i] {
			return 0, nil, Errorf(CodeInternal, "input %d resolved to %s, want %s", i, o.ID, ids[i])
		}
		if o.Account != owner {
			return 0, nil, Errorf(CodeInputNotOwned, "output %s belongs to another account", o.ID)
		}
		if o.Amount <= 0 {
			return 0, nil, Errorf(CodeInternal, "output %s has non-positive amount %s", o.ID, o.Amount)
		}
		if i == 0 {
			earmark = o.Earmark
		} else if !sameEarmark(earmark, o.Earmark) {
			return 0, nil, Errorf(CodeInvalidArgument, "inputs carry different earmarks and cannot be combined")
		}
		var err error
		if total, err = money.Add(total, o.Amount); err != nil {
			return 0, nil, Errorf(CodeInvalidArgument, "inputs total overflows")
		}
	}
	return total, earmark, nil
}
