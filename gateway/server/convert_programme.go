package server

// Conversions of the programme routes' types (see convert.go for why they
// are field by field).

import (
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/rest"
)

func fromProgrammeRequest(r rest.ProgrammeRequest) api.DefineProgrammeRequest {
	out := api.DefineProgrammeRequest{ID: r.ID, Name: r.Name, Purposes: append([]string(nil), r.Purposes...), Escrow: r.Escrow,
		Budget: r.Budget, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Release: r.Release, PerRecipientCap: r.PerRecipientCap,
		Eligibility: api.Eligibility{Accounts: append([]string(nil), r.Eligibility.Accounts...),
			Categories: append([]string(nil), r.Eligibility.Categories...), Provinces: append([]string(nil), r.Eligibility.Provinces...)},
		Spending: api.SpendingRules{PayeeCategories: append([]string(nil), r.Spending.PayeeCategories...),
			PayeeAccounts: append([]string(nil), r.Spending.PayeeAccounts...), PassOn: r.Spending.PassOn}}
	if r.ValidUntil != nil {
		out.ValidUntil = *r.ValidUntil
	}
	for _, k := range r.Eligibility.Kinds {
		out.Eligibility.Kinds = append(out.Eligibility.Kinds, api.Kind(k))
	}
	for _, f := range r.Funders {
		out.Funders = append(out.Funders, api.Funder{MSP: f.MSP, Bureau: f.Bureau, Account: f.Account, Share: f.Share})
	}
	return out
}

func toFunders(fs []api.Funder) []rest.Funder {
	out := make([]rest.Funder, len(fs))
	for i, f := range fs {
		out[i] = rest.Funder{MSP: f.MSP, Bureau: f.Bureau, Account: f.Account, Share: f.Share}
	}
	return out
}

func toParties(ps []api.Party) []rest.Party {
	out := make([]rest.Party, len(ps))
	for i, p := range ps {
		out[i] = rest.Party{MSP: p.MSP, Bank: p.Bank, Role: string(p.Role), Identities: p.Identities}
	}
	return out
}

func toPartyApprovals(as []api.PartyApproval) []rest.PartyApproval {
	out := make([]rest.PartyApproval, len(as))
	for i, a := range as {
		out[i] = rest.PartyApproval{MSP: a.MSP, Bank: a.Bank, Role: string(a.Role), Identity: a.Identity, TxID: a.TxID, At: a.At}
	}
	return out
}

func toProgramme(v api.ProgrammeView) rest.Programme {
	p := v.Programme
	e := p.Eligibility
	out := rest.Programme{ID: p.ID, Name: p.Name, Purposes: nonNil(p.Purposes), Funders: toFunders(p.Funders), Escrow: p.Escrow,
		Budget: p.Budget, ValidFrom: p.ValidFrom, ValidTo: p.ValidTo, Release: p.Release, PerRecipientCap: p.PerRecipientCap,
		Eligibility: rest.Eligibility{Accounts: e.Accounts, Categories: e.Categories, Provinces: e.Provinces},
		Spending: rest.SpendingRules{PayeeCategories: p.Spending.PayeeCategories, PayeeAccounts: p.Spending.PayeeAccounts,
			PassOn: p.Spending.PassOn},
		OwnerMSP: p.OwnerMSP, OwnerBureau: p.OwnerBureau, Status: p.Status, DefinedAt: p.DefinedAt,
		Parties: toParties(v.Parties), Approvals: toPartyApprovals(v.Approvals), Tranches: make([]rest.TrancheInfo, len(v.Tranches))}
	for _, k := range e.Kinds {
		out.Eligibility.Kinds = append(out.Eligibility.Kinds, string(k))
	}
	if !p.ActivatedAt.IsZero() {
		t := p.ActivatedAt
		out.ActivatedAt = &t
	}
	if !p.ValidUntil.IsZero() {
		t := p.ValidUntil
		out.ValidUntil = &t
	}
	for i, t := range v.Tranches {
		out.Tranches[i] = rest.TrancheInfo{No: t.No, Amount: t.Amount, Date: t.Date, Status: t.Status, ProposedAt: t.ProposedAt}
	}
	return out
}

func toTranche(v api.TrancheView) rest.Tranche {
	t := v.Tranche
	out := rest.Tranche{Programme: t.Programme, No: t.No, Amount: t.Amount, Date: t.Date, Status: t.Status, ProposedAt: t.ProposedAt,
		Approvals: toPartyApprovals(v.Approvals), Contributions: make([]rest.Contribution, len(v.Contributions)),
		Shares: make([]rest.TrancheShare, len(v.Shares))}
	for i, c := range v.Contributions {
		out.Contributions[i] = rest.Contribution{MSP: c.MSP, Bureau: c.Bureau, Amount: c.Amount, TxID: c.TxID, At: c.At}
	}
	for i, s := range v.Shares {
		out.Shares[i] = rest.TrancheShare{MSP: s.MSP, Bureau: s.Bureau, Account: s.Account, Amount: s.Amount}
	}
	return out
}

func toClawback(v api.ClawbackView) rest.Clawback {
	c := v.Clawback
	out := rest.Clawback{ID: c.ID, Programme: c.Programme, Account: c.Account, HolderMSP: c.HolderMSP, Status: c.Status,
		ProposedAt: c.ProposedAt, Runs: c.Runs, Returned: c.Returned, Parties: toParties(v.Parties), Approvals: toPartyApprovals(v.Approvals),
		Approved: v.Approved}
	if !c.ClosedAt.IsZero() {
		t := c.ClosedAt
		out.ClosedAt = &t
	}
	return out
}

func toFlow(f api.Flow) rest.Flow {
	return rest.Flow{Kind: f.Kind, Tranche: f.Tranche, From: f.From, To: f.To, FromEscrow: f.FromEscrow, FromMSP: f.FromMSP, ToMSP: f.ToMSP,
		Amount: f.Amount, Output: f.Output, Inputs: f.Inputs, Reference: f.Reference, TxID: f.TxID, At: f.At}
}

func toLineage(v api.LineageView) rest.Lineage {
	out := rest.Lineage{Output: toOutput(v.Output), Programme: v.Programme, Tranche: v.Tranche, Hops: make([]rest.Flow, len(v.Hops)),
		TxIDs: nonNil(v.TxIDs)}
	for i, h := range v.Hops {
		out.Hops[i] = toFlow(h)
	}
	return out
}

// toUsage converts a row (with its balances) grouped by `by`: its
// non-negative balances, and no escrow on a holder's row (api.HolderRows).
func toUsage(u api.Usage, by string) rest.Usage {
	out := rest.Usage{Key: u.Key, Funded: u.Funded, Disbursed: u.Disbursed, TransferredIn: u.TransferredIn, TransferredOut: u.TransferredOut,
		Released: u.Released, Returned: u.Returned, ReturnedFromEscrow: u.ReturnedFromEscrow, ClawedBack: u.ClawedBack}
	if !api.HolderRows(by) && u.Escrow >= 0 {
		e := u.Escrow
		out.Escrow = &e
	}
	if u.Held >= 0 {
		h := u.Held
		out.Held = &h
	}
	return out
}

func toFunderAmounts(fs []api.FunderAmount) []rest.FunderAmount {
	out := make([]rest.FunderAmount, len(fs))
	for i, f := range fs {
		out[i] = rest.FunderAmount{Account: f.Account, Amount: f.Amount, Output: f.Output}
	}
	return out
}

func toJob(j jobs.Job) rest.DisbursementJob {
	out := rest.DisbursementJob{ID: j.ID, Programme: j.Programme, Status: string(j.Status), Lines: j.Lines, Pending: j.Pending,
		Paid: j.Paid, AlreadyPaid: j.AlreadyPaid, Rejected: j.Rejected, Amount: j.Amount, SettledAmount: j.Settled,
		Batches: j.Batches, InFlight: j.InFlight, LastTxID: j.LastTxID, Created: j.Created, Updated: j.Updated}
	if !j.Started.IsZero() {
		t := j.Started
		out.StartedAt = &t
	}
	if !j.Finished.IsZero() {
		t := j.Finished
		out.FinishedAt = &t
	}
	if j.ErrCode != "" {
		out.Error = &rest.Error{Code: j.ErrCode, Message: j.ErrMessage}
	}
	return out
}

func toJobLine(l jobs.Line) rest.JobLine {
	return rest.JobLine{Line: l.No, Recipient: l.Recipient, Amount: l.Amount, Status: string(l.Status), Code: l.Code,
		Message: l.Message, Output: l.Output, TxID: l.TxID}
}
