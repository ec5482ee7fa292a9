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
	// PayeeBalance and PayeeOutputs are the payee's balance and number of
	// unspent outputs; read only when the payee's tier has a balance cap.
	PayeeBalance money.Amount
	PayeeOutputs int
	// ReleaseEarmark: the inputs are earmarked and the payee is where the
	// programme releases them (package appropriation decided): the payee's
	// output is plain money; the change stays earmarked.
	ReleaseEarmark bool
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
	if api.NamespaceOf(r.PaymentID) != in.Payer.Bank {
		return TransferPlan{}, api.Errorf(api.CodeForbidden, "payment ID %s is not in the paying bank's namespace (%s:…)", r.PaymentID, in.Payer.Bank)
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
	if err := payeeTier.CheckCredit(in.PayeeBalance, in.PayeeOutputs, r.Amount); err != nil {
		return TransferPlan{}, err
	}

	p := TransferPlan{PayerToday: today}
	p.Delete = in.Inputs
	payeeMark := earmark
	if in.ReleaseEarmark {
		payeeMark = nil
	}
	payee := tx.newOutput(r.To, r.Amount, payeeMark)
	p.Create = append(p.Create, payee)
	change := api.SplitChange(total-r.Amount, r.ChangeSplit)
	changeIDs := make([]string, 0, len(change))
	for _, a := range change {
		o := tx.newOutput(r.From, a, earmark)
		p.Create = append(p.Create, o)
		changeIDs = append(changeIDs, o.ID)
	}
	p.Payment = api.Payment{
		PaymentID: r.PaymentID, From: r.From, To: r.To, FromMSP: in.Payer.OwnerMSP, ToMSP: in.Payee.OwnerMSP,
		FromBank: in.Payer.Bank, ToBank: in.Payee.Bank,
		Amount: r.Amount, Purpose: r.Purpose, RemittanceHash: r.RemittanceHash,
		Inputs: append([]string(nil), r.Inputs...), PayeeOutput: payee.ID, ChangeOutputs: changeIDs,
		TxID: tx.ID, Timestamp: tx.Time,
	}
	return p, nil
}

// Issuance is the state a mint or redemption changes: the supply and the
// province's ceiling record.
type Issuance struct {
	Supply  money.Amount
	Ceiling api.Ceiling
	// HasCeiling is false when the province has no ceiling yet.
	HasCeiling bool
}

// PlanMint validates an issuance of p into the reserve account acct,
// decided by proposal id, and returns the new output, the mint record and
// the new supply and ceiling. The reserve must belong to the proposing
// province, and the issue must stay within that province's ceiling.
func PlanMint(tx *Tx, id string, p api.MintParams, proposerMSP string, acct api.Account, is Issuance) (api.Output, api.MintRecord, Issuance, error) {
	fail := func(err error) (api.Output, api.MintRecord, Issuance, error) {
		return api.Output{}, api.MintRecord{}, is, err
	}
	if acct.Kind != api.KindReserve {
		return fail(api.Errorf(api.CodeInvalidArgument, "account %s is a %s account; mints go to reserve accounts", acct.ID, acct.Kind))
	}
	if acct.OwnerMSP != proposerMSP {
		return fail(api.Errorf(api.CodeForbidden, "a province mints into its own reserve; %s belongs to %s", acct.ID, acct.OwnerMSP))
	}
	if err := CanReceive(acct); err != nil {
		return fail(err)
	}
	if !is.HasCeiling || is.Ceiling.MSP != proposerMSP {
		return fail(api.Errorf(api.CodeCeilingExceeded, "%s has no issuance ceiling; propose one first", proposerMSP))
	}
	issued, err := money.Add(is.Ceiling.Issued, p.Amount)
	if err != nil || issued > is.Ceiling.Ceiling {
		return fail(api.Errorf(api.CodeCeilingExceeded, "%s has issued %s of its ceiling %s; %s more would exceed it",
			proposerMSP, is.Ceiling.Issued, is.Ceiling.Ceiling, p.Amount))
	}
	supply, err := money.Add(is.Supply, p.Amount)
	if err != nil {
		return fail(api.Errorf(api.CodeInvalidArgument, "supply would overflow"))
	}
	o := tx.newOutput(acct.ID, p.Amount, nil)
	next := Issuance{Supply: supply, Ceiling: is.Ceiling, HasCeiling: true}
	next.Ceiling.Issued, next.Ceiling.UpdatedAt = issued, tx.Time
	return o, api.MintRecord{
		MintID: id, Account: acct.ID, Amount: p.Amount, ReserveRef: p.ReserveRef, Output: o.ID,
		Supply: supply, TxID: tx.ID, Timestamp: tx.Time,
	}, next, nil
}

// PlanRedeem validates a redemption of p from the proposing province's
// reserve account, spending inputs (named by ids).
func PlanRedeem(tx *Tx, id string, p api.RedeemParams, proposerMSP string, acct api.Account, ids []string, inputs []api.Output, is Issuance) (Spend, api.Redemption, Issuance, error) {
	fail := func(err error) (Spend, api.Redemption, Issuance, error) { return Spend{}, api.Redemption{}, is, err }
	if acct.Kind != api.KindReserve {
		return fail(api.Errorf(api.CodeInvalidArgument, "account %s is a %s account; only reserve accounts redeem", acct.ID, acct.Kind))
	}
	if acct.OwnerMSP != proposerMSP {
		return fail(api.Errorf(api.CodeForbidden, "a province redeems from its own reserve; %s belongs to %s", acct.ID, acct.OwnerMSP))
	}
	if err := CanSend(acct); err != nil {
		return fail(err)
	}
	if err := api.ValidateInputs(ids, 1); err != nil {
		return fail(err)
	}
	total, earmark, err := sumInputs(acct.ID, ids, inputs)
	if err != nil {
		return fail(err)
	}
	if earmark != nil {
		return fail(api.Errorf(api.CodeInvalidArgument, "earmarked funds are not redeemed"))
	}
	if total < p.Amount {
		return fail(api.Errorf(api.CodeInsufficientFunds, "inputs total %s, redemption needs %s", total, p.Amount))
	}
	if is.Supply < p.Amount {
		return fail(api.Errorf(api.CodeInternal, "supply %s is below redemption %s", is.Supply, p.Amount))
	}
	s := Spend{Delete: inputs}
	var change []string
	for _, a := range api.SplitChange(total-p.Amount, 1) {
		o := tx.newOutput(acct.ID, a, nil)
		s.Create = append(s.Create, o)
		change = append(change, o.ID)
	}
	next := is
	next.Supply = is.Supply - p.Amount
	if is.HasCeiling {
		next.Ceiling.Issued = max(0, is.Ceiling.Issued-p.Amount)
		next.Ceiling.UpdatedAt = tx.Time
	}
	return s, api.Redemption{
		RedeemID: id, Account: acct.ID, Amount: p.Amount, Inputs: append([]string(nil), ids...),
		ChangeOutputs: change, Supply: next.Supply, TxID: tx.ID, Timestamp: tx.Time,
	}, next, nil
}

// PlanMerge validates a consolidation of an account's outputs into one.
func PlanMerge(tx *Tx, r api.MergeRequest, acct api.Account, inputs []api.Output) (Spend, api.MergeRecord, error) {
	if err := r.Validate(); err != nil {
		return Spend{}, api.MergeRecord{}, err
	}
	if api.NamespaceOf(r.MergeID) != acct.Bank {
		return Spend{}, api.MergeRecord{}, api.Errorf(api.CodeForbidden, "merge ID %s is not in bank %s's namespace", r.MergeID, acct.Bank)
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
