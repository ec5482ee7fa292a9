package programmecc

import (
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
	"github.com/yangtze-delta/settlement/money"
)

// Sweep returns one account's earmarked outputs of an expired programme
// (the escrow's or a holder's) to the funders pro rata, without the
// holder: the owner bureau sweeps, and only after the validity window by
// the transaction's trusted time (NOT_EXPIRED before).
func (c *Contract) Sweep(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Sweep, request, func(c call, r api.SweepRequest) (api.SweepResult, error) {
		p, _, err := c.programme(r.Programme)
		if err != nil {
			return api.SweepResult{}, err
		}
		if !c.isOwner(p) {
			return api.SweepResult{}, api.Errorf(api.CodeForbidden, "programme %s is swept by its owner bureau %s", p.ID, p.OwnerBureau)
		}
		if _, expired := appropriation.Window(p, c.Time); !expired {
			return api.SweepResult{}, api.Errorf(api.CodeNotExpired, "programme %s runs until %s", p.ID, appropriation.End(p))
		}
		return c.giveBack(p, r.Account, r.Inputs, api.FlowReturned, api.EventExpired)
	})
}

// giveBack deletes account's earmarked inputs of programme p and pays
// their total to the funders' accounts pro rata, as plain money.
func (c call) giveBack(p api.Programme, account string, ids []string, kind string, event api.EventType) (api.SweepResult, error) {
	var none api.SweepResult
	holder, err := c.st.Account(account)
	if err != nil {
		return none, err
	}
	in, err := c.st.Inputs(holder.ID, ids)
	if err != nil {
		return none, err
	}
	var total money.Amount
	tranches := map[int]money.Amount{}
	for _, o := range in {
		if o.Earmark == nil || o.Earmark.Programme != p.ID {
			return none, api.Errorf(api.CodeInvalidArgument, "output %s is not %s's earmarked money", o.ID, p.ID)
		}
		if total, err = money.Add(total, o.Amount); err != nil {
			return none, api.Errorf(api.CodeInvalidArgument, "inputs overflow")
		}
		tranches[o.Earmark.Tranche] += o.Amount
	}
	parts, err := appropriation.ProRata(total, p.Funders)
	if err != nil {
		return none, err
	}
	sp := token.Spend{Delete: in}
	owners := map[string]string{}
	res := api.SweepResult{Account: holder.ID, Amount: total}
	for i, f := range p.Funders {
		if parts[i] == 0 {
			continue
		}
		o := token.NewOutput(c.st.Tx(), f.Account, parts[i], nil)
		sp.Create = append(sp.Create, o)
		owners[f.Account] = f.MSP
		res.Returned = append(res.Returned, api.FunderAmount{Account: f.Account, Amount: parts[i], Output: o.ID})
		if err := c.st.Statement(api.StatementEntry{Account: f.Account, Type: api.EntryCredit, Reference: p.ID, Counterparty: holder.ID, Amount: parts[i]}); err != nil {
			return none, err
		}
	}
	if err := c.st.ApplySpend(sp, func(acct string) string { return owners[acct] }); err != nil {
		return none, err
	}
	if err := c.st.Statement(api.StatementEntry{Account: holder.ID, Type: api.EntryDebit, Reference: p.ID, Amount: total}); err != nil {
		return none, err
	}
	for no := 0; no <= 999; no++ { // deterministic order over the tranches present
		amt, ok := tranches[no]
		if !ok {
			continue
		}
		if err := c.st.Flow(api.Flow{Programme: p.ID, Kind: kind, Tranche: no, From: holder.ID, To: "funders",
			FromEscrow: holder.ID == p.Escrow, FromMSP: holder.OwnerMSP, Amount: amt, Reference: string(event)}); err != nil {
			return none, err
		}
	}
	c.Emit(api.Event{Type: event, ID: p.ID, Programme: p.ID, Account: holder.ID, MSP: holder.OwnerMSP, Bank: holder.Bank, Amount: total})
	return res, nil
}

// ProposeClawback records a clawback decision (the owner bureau) on a
// recipient of the programme; it needs the compliance of the holder's
// province as well.
func (c *Contract) ProposeClawback(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ProposeClawback, request, func(c call, r api.ClawbackRequest) (api.ClawbackView, error) {
		var none api.ClawbackView
		p, err := c.active(r.Programme)
		if err != nil {
			return none, err
		}
		if !c.isOwner(p) || api.NamespaceOf(r.ID) != p.OwnerBureau {
			return none, api.Errorf(api.CodeForbidden, "clawbacks of %s are proposed by its owner bureau %s in its namespace", p.ID, p.OwnerBureau)
		}
		holder, err := c.st.Account(r.Account)
		if err != nil {
			return none, err
		}
		k, err := c.st.Key(nsClawback, r.ID)
		if err != nil {
			return none, err
		}
		var old api.Clawback
		if ok, err := c.st.GetJSON(k, &old); err != nil {
			return none, err
		} else if ok {
			return none, api.Errorf(api.CodeAlreadyExists, "clawback %s", r.ID)
		}
		cb := api.Clawback{ClawbackRequest: r, HolderMSP: holder.OwnerMSP, Status: api.ProposalPending, ProposedAt: c.Time}
		if err := c.st.PutJSON(k, cb, c.quorum()); err != nil {
			return none, err
		}
		parties := appropriation.ClawbackParties(p, holder.OwnerMSP)
		a, err := c.approve(p.ID, "clawback:"+r.ID, parties)
		if err != nil {
			return none, err
		}
		return api.ClawbackView{Clawback: cb, Parties: parties, Approvals: []api.PartyApproval{a}}, nil
	})
}

func (c call) clawback(id string) (api.Clawback, string, error) {
	k, err := c.st.Key(nsClawback, id)
	if err != nil {
		return api.Clawback{}, "", err
	}
	var cb api.Clawback
	ok, err := c.st.GetJSON(k, &cb)
	if err != nil {
		return cb, k, err
	}
	if !ok {
		return cb, k, api.Errorf(api.CodeNotFound, "clawback %s", id)
	}
	return cb, k, nil
}

// ApproveClawback records the approval of the holder province's compliance
// (or another owner-bureau identity).
func (c *Contract) ApproveClawback(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ApproveClawback, request, func(c call, r api.ClawbackID) (api.ClawbackView, error) {
		var none api.ClawbackView
		cb, _, err := c.clawback(r.ID)
		if err != nil {
			return none, err
		}
		if cb.Status != api.ProposalPending {
			return none, api.Errorf(api.CodeProposalClosed, "clawback %s is %s", cb.ID, cb.Status)
		}
		p, _, err := c.programme(cb.Programme)
		if err != nil {
			return none, err
		}
		parties := appropriation.ClawbackParties(p, cb.HolderMSP)
		before, err := c.approvals(p.ID, "clawback:"+cb.ID)
		if err != nil {
			return none, err
		}
		a, err := c.approve(p.ID, "clawback:"+cb.ID, parties)
		if err != nil {
			return none, err
		}
		all := append(before, a)
		return api.ClawbackView{Clawback: cb, Parties: parties, Approvals: all, Approved: appropriation.Satisfied(parties, all)}, nil
	})
}

// ExecuteClawback runs an approved clawback once: it returns the given
// inputs (at most api.MaxSweepInputs of the holder's outputs earmarked for
// the programme, possibly none) to the funders pro rata and counts the run
// in the clawback record. A run that was not full (fewer inputs than the
// limit) then reads the holder's outputs: when none earmarked for the
// programme is left, the clawback closes (ProposalExecuted; later runs
// answer PROPOSAL_CLOSED). A full run leaves that check to the next one,
// so that the runs of a holder with many outputs do not each read them
// all. Repeating a run is safe: spent inputs are refused (INPUT_SPENT) and
// a closed clawback moves nothing.
func (c *Contract) ExecuteClawback(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ExecuteClawback, request, func(c call, r api.ClawbackExecute) (api.ClawbackResult, error) {
		var none api.ClawbackResult
		cb, k, err := c.clawback(r.ID)
		if err != nil {
			return none, err
		}
		if cb.Status != api.ProposalPending {
			return none, api.Errorf(api.CodeProposalClosed, "clawback %s is %s", cb.ID, cb.Status)
		}
		p, _, err := c.programme(cb.Programme)
		if err != nil {
			return none, err
		}
		if !c.isOwner(p) {
			return none, api.Errorf(api.CodeForbidden, "clawbacks of %s are executed by its owner bureau", p.ID)
		}
		parties := appropriation.ClawbackParties(p, cb.HolderMSP)
		approvals, err := c.approvals(p.ID, "clawback:"+cb.ID)
		if err != nil {
			return none, err
		}
		if !appropriation.Satisfied(parties, approvals) {
			return none, api.Errorf(api.CodeNotApproved, "clawback %s needs the owner bureau and the compliance of %s", cb.ID, cb.HolderMSP)
		}
		res := api.SweepResult{Account: cb.Account, Returned: []api.FunderAmount{}}
		if len(r.Inputs) > 0 {
			if res, err = c.giveBack(p, cb.Account, r.Inputs, api.FlowClawed, api.EventClawedBack); err != nil {
				return none, err
			}
		}
		closed := false
		if len(r.Inputs) < api.MaxSweepInputs {
			left, err := c.holdsEarmarked(cb.Account, p.ID, r.Inputs)
			if err != nil {
				return none, err
			}
			closed = !left
		}
		cb.Runs++
		if cb.Returned, err = money.Add(cb.Returned, res.Amount); err != nil {
			return none, api.Internal(err, "clawback %s total", cb.ID)
		}
		if closed {
			cb.Status, cb.ClosedAt = api.ProposalExecuted, c.Time
		}
		if err := c.st.PutJSON(k, cb, c.quorum()); err != nil {
			return none, err
		}
		return api.ClawbackResult{Run: res, Clawback: cb, Closed: closed}, nil
	})
}

// holdsEarmarked reports whether account has an unspent output earmarked
// for programme other than those spent (this transaction's inputs; range
// reads do not see the transaction's own deletions). It reads the
// account's outputs in key order up to the first such output; the read is
// recorded, so a concurrent credit to the account makes the transaction
// fail validation rather than close on a stale view.
func (c call) holdsEarmarked(account, programme string, spent []string) (bool, error) {
	gone := make(map[string]bool, len(spent))
	for _, id := range spent {
		gone[id] = true
	}
	it, err := c.Stub.GetStateByPartialCompositeKey(tokencc.NSOutput, []string{account})
	if err != nil {
		return false, api.Internal(err, "query outputs of %s", account)
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return false, api.Internal(err, "query outputs of %s", account)
		}
		var o api.Output
		if err := json.Unmarshal(kv.Value, &o); err != nil {
			return false, api.Internal(err, "decode output %s", kv.Key)
		}
		if o.Account == account && !gone[o.ID] && o.Earmark != nil && o.Earmark.Programme == programme {
			return true, nil
		}
	}
	return false, nil
}

// GetClawback reads a clawback and its approvals: the programme's owner
// bureau, the compliance of the holder's province and auditors; anyone
// else is answered NOT_FOUND, as for a clawback that does not exist.
func (c *Contract) GetClawback(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetClawback, request, func(c call, r api.ClawbackID) (api.ClawbackView, error) {
		var none api.ClawbackView
		cb, _, err := c.clawback(r.ID)
		if err != nil {
			return none, err
		}
		p, _, err := c.programme(cb.Programme)
		if err != nil {
			return none, err
		}
		switch {
		case c.Scope == api.ScopeAny:
		case c.Caller.Role == api.RoleCompliance && c.Caller.MSPID == cb.HolderMSP:
		case c.isOwner(p):
		default:
			return none, api.Errorf(api.CodeNotFound, "clawback %s", r.ID)
		}
		parties := appropriation.ClawbackParties(p, cb.HolderMSP)
		approvals, err := c.approvals(p.ID, "clawback:"+cb.ID)
		if err != nil {
			return none, err
		}
		return api.ClawbackView{Clawback: cb, Parties: parties, Approvals: approvals, Approved: appropriation.Satisfied(parties, approvals)}, nil
	})
}
