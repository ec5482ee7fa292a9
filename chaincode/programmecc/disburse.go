package programmecc

import (
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// Disburse pays up to api.MaxDisburseLines recipients from the escrow's
// inputs (all of one tranche). Each line is checked on its own (an
// eligible, active recipient; the per-recipient cap; the remaining escrow)
// and either pays or changes nothing. A line paid before in this job is
// never paid twice: it answers already_paid when it names the recipient
// and amount the line marker recorded, and is rejected with LINE_CONFLICT
// when it does not (the job ID was reused for other lines). The change
// goes back to escrow, split into ChangeSplit outputs when asked.
func (c *Contract) Disburse(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Disburse, request, func(c call, r api.DisburseRequest) (api.DisburseResult, error) {
		var none api.DisburseResult
		p, err := c.active(r.Programme)
		if err != nil {
			return none, err
		}
		if !c.isOwner(p) {
			return none, api.Errorf(api.CodeForbidden, "disbursements of %s are the owner bureau %s's", p.ID, p.OwnerBureau)
		}
		if api.NamespaceOf(r.Job) != p.OwnerBureau {
			return none, api.Errorf(api.CodeForbidden, "job %s is not in bureau %s's namespace", r.Job, p.OwnerBureau)
		}
		if err := appropriation.CheckWindow(p, c.Time); err != nil {
			return none, err
		}
		escrow, err := c.st.Account(p.Escrow)
		if err != nil {
			return none, err
		}
		in, err := c.st.Inputs(escrow.ID, r.Inputs)
		if err != nil {
			return none, err
		}
		var mark *api.Earmark
		var avail money.Amount
		for i, o := range in {
			if o.Earmark == nil || o.Earmark.Programme != p.ID || (i > 0 && *o.Earmark != *mark) {
				return none, api.Errorf(api.CodeInvalidArgument, "escrow inputs must all carry one tranche of %s", p.ID)
			}
			mark = o.Earmark
			if avail, err = money.Add(avail, o.Amount); err != nil {
				return none, api.Errorf(api.CodeInvalidArgument, "inputs overflow")
			}
		}
		tx := c.st.Tx()
		res := api.DisburseResult{Results: make([]api.LineResult, 0, len(r.Lines))}
		var create []api.Output
		owners := map[string]string{escrow.ID: escrow.OwnerMSP}
		credited := map[string]money.Amount{} // this batch's credits per recipient, not yet in any balance
		for _, l := range r.Lines {
			lr, out, err := c.line(p, r.Job, l, avail-res.Amount, credited[l.Recipient], mark)
			if err != nil {
				return none, err
			}
			switch lr.Status {
			case api.LinePaid:
				res.Paid++
				res.Amount += l.Amount
				create = append(create, out.Output)
				owners[out.Output.Account] = out.msp
				credited[l.Recipient] += l.Amount
			case api.LineAlreadyPaid:
				res.AlreadyPaid++
			default:
				res.Rejected++
			}
			res.Results = append(res.Results, lr)
		}
		if res.Paid == 0 {
			// Nothing to move: the inputs stay where they are.
			return res, nil
		}
		sp := token.Spend{Delete: in}
		// The payees' outputs were allocated as lines passed; the change last.
		sp.Create = create
		for _, part := range api.SplitChange(avail-res.Amount, r.ChangeSplit) {
			o := token.NewOutput(tx, escrow.ID, part, mark)
			sp.Create = append(sp.Create, o)
			if res.Change == "" {
				res.Change = o.ID
			}
			res.ChangeOutputs = append(res.ChangeOutputs, api.OutputAmount{Output: o.ID, Amount: part})
		}
		if err := c.st.ApplySpend(sp, func(acct string) string { return owners[acct] }); err != nil {
			return none, err
		}
		if err := c.st.Statement(api.StatementEntry{Account: escrow.ID, Type: api.EntryDebit, Reference: r.Job, Amount: res.Amount}); err != nil {
			return none, err
		}
		c.Emit(api.Event{Type: api.EventDisbursed, ID: r.Job, Programme: p.ID, Tranche: mark.Tranche, MSP: p.OwnerMSP, Bank: p.OwnerBureau,
			Account: escrow.ID, Amount: res.Amount, Count: res.Paid})
		return res, nil
	})
}

type paidOutput struct {
	api.Output
	msp string
}

// lineMarker records a paid line under [programme, job, line]: its
// outcome and what it paid to whom, so that the line sent again is
// recognised (already_paid) only with the same recipient and amount.
// Markers written before Recipient was recorded have none and answer
// already_paid whatever the line names.
type lineMarker struct {
	Line      int          `json:"line"`
	Status    string       `json:"status"`
	Output    string       `json:"output,omitempty"`
	Recipient string       `json:"recipient,omitempty"`
	Amount    money.Amount `json:"amount,omitempty"`
}

// line settles one disbursement line against the remaining escrow, or
// reports why not; only internal failures are errors.
func (c call) line(p api.Programme, job string, l api.DisburseLine, remaining, inBatch money.Amount, mark *api.Earmark) (api.LineResult, paidOutput, error) {
	lr := api.LineResult{Line: l.Line}
	reject := func(err error) (api.LineResult, paidOutput, error) {
		if api.CodeOf(err) == api.CodeInternal {
			return lr, paidOutput{}, err
		}
		lr.Status, lr.Code, lr.Message = api.LineRejected, api.CodeOf(err), api.MessageOf(err)
		return lr, paidOutput{}, nil
	}
	lk, err := c.st.Key(nsLine, p.ID, job, strconv.Itoa(l.Line))
	if err != nil {
		return reject(err)
	}
	var prior lineMarker
	if ok, err := c.st.GetJSON(lk, &prior); err != nil {
		return lr, paidOutput{}, err
	} else if ok {
		if prior.Recipient != "" && (prior.Recipient != l.Recipient || prior.Amount != l.Amount) {
			return reject(api.Errorf(api.CodeLineConflict, "line %d of job %s was paid before to %s (%s), not to %s (%s); the job ID was used for other lines",
				l.Line, job, prior.Recipient, prior.Amount, l.Recipient, l.Amount))
		}
		return api.LineResult{Line: l.Line, Status: api.LineAlreadyPaid, Output: prior.Output}, paidOutput{}, nil
	}
	if l.Amount <= 0 {
		return reject(api.Errorf(api.CodeInvalidArgument, "amount must be positive"))
	}
	if l.Amount > remaining {
		return reject(api.Errorf(api.CodeInsufficientFunds, "the escrow inputs have %s left, the line needs %s", remaining, l.Amount))
	}
	a, err := c.st.Account(l.Recipient)
	if err != nil {
		return reject(err)
	}
	if err := token.CanReceive(a); err != nil {
		return reject(err)
	}
	if err := appropriation.Eligible(p, a); err != nil {
		return reject(err)
	}
	tier, err := token.TierOf(a)
	if err != nil {
		return reject(err)
	}
	if tier.HasBalanceCap() {
		bal, n, err := c.st.Balance(a.ID)
		if err != nil {
			return lr, paidOutput{}, err
		}
		if err := tier.CheckCredit(bal+inBatch, n, l.Amount); err != nil {
			return reject(err)
		}
	}
	// The cap counter exists only for a programme with a cap: without one,
	// disbursements to a recipient write no key of their own but the line
	// marker (so concurrent jobs paying one recipient do not conflict).
	if p.PerRecipientCap > 0 {
		rk, err := c.st.Key(nsRecipient, p.ID, a.ID)
		if err != nil {
			return reject(err)
		}
		var st recipient
		if _, err := c.st.GetJSON(rk, &st); err != nil { // sees this batch's earlier lines
			return lr, paidOutput{}, err
		}
		total, err := money.Add(money.Amount(st.Disbursed), l.Amount)
		if err != nil || total > p.PerRecipientCap {
			return reject(api.Errorf(api.CodeOverCap, "recipient %s would receive %s of %s, over the cap %s", a.ID, total, p.ID, p.PerRecipientCap))
		}
		st.Account, st.Disbursed = a.ID, int64(total)
		if err := c.st.PutJSON(rk, st, c.quorum()); err != nil {
			return lr, paidOutput{}, err
		}
	}
	o := token.NewOutput(c.st.Tx(), a.ID, l.Amount, mark)
	lr.Status, lr.Output = api.LinePaid, o.ID
	marker := lineMarker{Line: l.Line, Status: api.LinePaid, Output: o.ID, Recipient: a.ID, Amount: l.Amount}
	if err := c.st.PutJSON(lk, marker, nil); err != nil {
		return lr, paidOutput{}, err
	}
	if err := c.st.Flow(api.Flow{Programme: p.ID, Kind: api.FlowDisbursed, Tranche: mark.Tranche, From: p.Escrow, To: a.ID,
		ToMSP: a.OwnerMSP, Amount: l.Amount, Output: o.ID, Reference: job + "#" + strconv.Itoa(l.Line)}); err != nil {
		return lr, paidOutput{}, err
	}
	if err := c.st.Statement(api.StatementEntry{Account: a.ID, Type: api.EntryCredit, Reference: job, Counterparty: p.Escrow, Amount: l.Amount}); err != nil {
		return lr, paidOutput{}, err
	}
	return lr, paidOutput{Output: o, msp: a.OwnerMSP}, nil
}
