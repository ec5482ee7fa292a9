package programmecc

import (
	"encoding/json"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

func (c call) active(id string) (api.Programme, error) {
	p, _, err := c.programme(id)
	if err != nil {
		return p, err
	}
	if p.Status != api.ProgrammeActive {
		return p, api.Errorf(api.CodeProposalClosed, "programme %s is not active (%s)", p.ID, p.Status)
	}
	return p, nil
}

func (c call) tranche(programme string, no int) (api.Tranche, string, error) {
	k, err := c.st.Key(nsTranche, programme, trancheKey(no))
	if err != nil {
		return api.Tranche{}, "", err
	}
	var t api.Tranche
	ok, err := c.st.GetJSON(k, &t)
	if err != nil {
		return t, k, err
	}
	if !ok {
		return t, k, api.Errorf(api.CodeNotFound, "tranche %d of %s", no, programme)
	}
	return t, k, nil
}

func (c call) contributions(programme string, no int) ([]api.Contribution, error) {
	it, err := c.Stub.GetStateByPartialCompositeKey(nsContribution, []string{programme, trancheKey(no)})
	if err != nil {
		return nil, api.Internal(err, "query contributions")
	}
	defer it.Close()
	out := []api.Contribution{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, api.Internal(err, "query contributions")
		}
		var x api.Contribution
		if err := json.Unmarshal(kv.Value, &x); err != nil {
			return nil, api.Internal(err, "decode contribution")
		}
		out = append(out, x)
	}
	return out, nil
}

// GetTranche reads a tranche with its approvals, contributions and each
// funder's share (those who may read the programme).
func (c *Contract) GetTranche(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetTranche, request, func(c call, r api.TrancheID) (api.TrancheView, error) {
		var none api.TrancheView
		p, _, err := c.programme(r.Programme)
		if err != nil {
			return none, err
		}
		if err := c.visible(p); err != nil {
			return none, err
		}
		t, _, err := c.tranche(p.ID, r.No)
		if err != nil {
			return none, err
		}
		approvals, err := c.approvals(p.ID, "tranche:"+trancheKey(t.No))
		if err != nil {
			return none, err
		}
		contribs, err := c.contributions(p.ID, t.No)
		if err != nil {
			return none, err
		}
		shares, err := appropriation.Shares(p, t.Amount)
		if err != nil {
			return none, err
		}
		return api.TrancheView{Tranche: t, Approvals: approvals, Contributions: contribs, Shares: shares}, nil
	})
}

// ProposeTranche records a tranche of an active programme (the owner
// bureau's maker) and the maker's approval.
func (c *Contract) ProposeTranche(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ProposeTranche, request, func(c call, r api.TrancheRequest) (api.TrancheView, error) {
		var none api.TrancheView
		id := api.TrancheID{Programme: r.Programme, No: r.No}
		if err := id.Validate(); err != nil {
			return none, err
		}
		if r.Amount <= 0 {
			return none, api.Errorf(api.CodeInvalidArgument, "amount must be positive")
		}
		if _, err := time.ParseInLocation("2006-01-02", r.Date, api.BusinessZone); err != nil {
			return none, api.Errorf(api.CodeInvalidArgument, "date must be a business date 2006-01-02")
		}
		p, err := c.active(r.Programme)
		if err != nil {
			return none, err
		}
		if !c.isOwner(p) {
			return none, api.Errorf(api.CodeForbidden, "tranches of %s are proposed by bureau %s", p.ID, p.OwnerBureau)
		}
		existing, err := c.tranches(p.ID)
		if err != nil {
			return none, err
		}
		var total money.Amount
		for _, t := range existing {
			if t.No == r.No {
				return none, api.Errorf(api.CodeAlreadyExists, "tranche %d of %s", r.No, p.ID)
			}
			total += t.Amount
		}
		if total+r.Amount > p.Budget {
			return none, api.Errorf(api.CodeLimitExceeded, "tranches would total %s, over the budget %s", total+r.Amount, p.Budget)
		}
		_, k, err := c.tranche(p.ID, r.No)
		if api.CodeOf(err) != api.CodeNotFound {
			return none, err
		}
		t := api.Tranche{Programme: p.ID, No: r.No, Amount: r.Amount, Date: r.Date, Status: api.TrancheProposed, ProposedAt: c.Time}
		if err := c.st.PutJSON(k, t, c.quorum()); err != nil {
			return none, err
		}
		a, err := c.approve(p.ID, "tranche:"+trancheKey(r.No), appropriation.ProgrammeParties(p))
		if err != nil {
			return none, err
		}
		shares, err := appropriation.Shares(p, t.Amount)
		if err != nil {
			return none, err
		}
		return api.TrancheView{Tranche: t, Approvals: []api.PartyApproval{a}, Contributions: []api.Contribution{}, Shares: shares}, nil
	})
}

// ApproveTranche records a party's approval of a tranche; the approval
// that completes the programme's rule approves it for funding.
func (c *Contract) ApproveTranche(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ApproveTranche, request, func(c call, r api.TrancheID) (api.TrancheView, error) {
		var none api.TrancheView
		p, err := c.active(r.Programme)
		if err != nil {
			return none, err
		}
		t, k, err := c.tranche(p.ID, r.No)
		if err != nil {
			return none, err
		}
		if t.Status != api.TrancheProposed {
			return none, api.Errorf(api.CodeProposalClosed, "tranche %d of %s is %s", t.No, p.ID, t.Status)
		}
		subject := "tranche:" + trancheKey(t.No)
		parties := appropriation.ProgrammeParties(p)
		before, err := c.approvals(p.ID, subject)
		if err != nil {
			return none, err
		}
		a, err := c.approve(p.ID, subject, parties)
		if err != nil {
			return none, err
		}
		all := append(before, a)
		if appropriation.Satisfied(parties, all) {
			t.Status = api.TrancheApproved
			if err := c.st.PutJSON(k, t, c.quorum()); err != nil {
				return none, err
			}
		}
		shares, err := appropriation.Shares(p, t.Amount)
		if err != nil {
			return none, err
		}
		return api.TrancheView{Tranche: t, Approvals: all, Contributions: []api.Contribution{}, Shares: shares}, nil
	})
}

// FundTranche moves the calling funder's pro-rata share of an approved
// tranche from its fiscal account into the escrow, earmarked with the
// programme and tranche. Supply is unchanged: plain funds become earmarked.
func (c *Contract) FundTranche(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.FundTranche, request, func(c call, r api.FundRequest) (api.TrancheView, error) {
		var none api.TrancheView
		p, err := c.active(r.Programme)
		if err != nil {
			return none, err
		}
		t, tk, err := c.tranche(p.ID, r.No)
		if err != nil {
			return none, err
		}
		if t.Status == api.TrancheProposed {
			return none, api.Errorf(api.CodeNotApproved, "tranche %d of %s is not approved yet", t.No, p.ID)
		}
		idx := -1
		for i, f := range p.Funders {
			if f.MSP == c.Caller.MSPID && f.Bureau == c.Caller.Bank {
				idx = i
			}
		}
		if idx < 0 {
			return none, api.Errorf(api.CodeForbidden, "bureau %s of %s does not fund %s", c.Caller.Bank, c.Caller.MSPID, p.ID)
		}
		f := p.Funders[idx]
		ck, err := c.st.Key(nsContribution, p.ID, trancheKey(t.No), f.MSP, f.Bureau)
		if err != nil {
			return none, err
		}
		var prior api.Contribution
		if ok, err := c.st.GetJSON(ck, &prior); err != nil {
			return none, err
		} else if ok {
			return none, api.Errorf(api.CodeAlreadyExists, "bureau %s funded tranche %d of %s already", f.Bureau, t.No, p.ID)
		}
		shares, err := appropriation.Shares(p, t.Amount)
		if err != nil {
			return none, err
		}
		share := shares[idx].Amount
		from, err := c.st.OwnedAccount(f.Account)
		if err != nil {
			return none, err
		}
		if err := token.CanSend(from); err != nil {
			return none, err
		}
		escrow, err := c.st.Account(p.Escrow)
		if err != nil {
			return none, err
		}
		in, err := c.st.Inputs(from.ID, r.Inputs)
		if err != nil {
			return none, err
		}
		var total money.Amount
		for _, o := range in {
			if o.Earmark != nil {
				return none, api.Errorf(api.CodeInvalidArgument, "tranches are funded with plain money; %s is earmarked", o.ID)
			}
			if total, err = money.Add(total, o.Amount); err != nil {
				return none, api.Errorf(api.CodeInvalidArgument, "inputs overflow")
			}
		}
		if total < share {
			return none, api.Errorf(api.CodeInsufficientFunds, "inputs total %s, the %s share of tranche %d is %s", total, f.Bureau, t.No, share)
		}
		mark := &api.Earmark{Programme: p.ID, Tranche: t.No}
		tx := c.st.Tx()
		sp := token.Spend{Delete: in, Create: []api.Output{token.NewOutput(tx, escrow.ID, share, mark)}}
		if change := total - share; change > 0 {
			sp.Create = append(sp.Create, token.NewOutput(tx, from.ID, change, nil))
		}
		owners := func(acct string) string {
			if acct == escrow.ID {
				return escrow.OwnerMSP
			}
			return from.OwnerMSP
		}
		if err := c.st.ApplySpend(sp, owners); err != nil {
			return none, err
		}
		contrib := api.Contribution{Programme: p.ID, Tranche: t.No, MSP: f.MSP, Bureau: f.Bureau, Amount: share, TxID: c.TxID, At: c.Time}
		if err := c.st.PutJSON(ck, contrib, c.quorum()); err != nil {
			return none, err
		}
		if err := c.st.Flow(api.Flow{Programme: p.ID, Kind: api.FlowFunded, Tranche: t.No, From: from.ID, To: escrow.ID,
			ToMSP: escrow.OwnerMSP, Amount: share, Reference: "tranche:" + trancheKey(t.No)}); err != nil {
			return none, err
		}
		for _, e := range []api.StatementEntry{
			{Account: from.ID, Type: api.EntryDebit, Reference: p.ID, Counterparty: escrow.ID, Amount: share},
			{Account: escrow.ID, Type: api.EntryCredit, Reference: p.ID, Counterparty: from.ID, Amount: share},
		} {
			if err := c.st.Statement(e); err != nil {
				return none, err
			}
		}
		contribs, err := c.contributions(p.ID, t.No)
		if err != nil {
			return none, err
		}
		contribs = append(contribs, contrib)
		if len(contribs) == len(p.Funders) && t.Status != api.TrancheFunded {
			t.Status = api.TrancheFunded
			if err := c.st.PutJSON(tk, t, c.quorum()); err != nil {
				return none, err
			}
		}
		c.Emit(api.Event{Type: api.EventTrancheFunded, ID: p.ID, Programme: p.ID, Tranche: t.No, MSP: f.MSP, Bank: f.Bureau,
			From: from.ID, To: escrow.ID, FromMSP: from.OwnerMSP, ToMSP: escrow.OwnerMSP, FromBank: from.Bank, ToBank: escrow.Bank, Amount: share})
		approvals, err := c.approvals(p.ID, "tranche:"+trancheKey(t.No))
		if err != nil {
			return none, err
		}
		return api.TrancheView{Tranche: t, Approvals: approvals, Contributions: contribs, Shares: shares}, nil
	})
}
