package server

// The chaincode's types (package api) are converted to the bank-facing
// types (package rest) here, field by field, so that a change inside the
// chaincode cannot silently change what banks receive: a renamed or new api
// field does not reach rest until this file says so, and rest's golden
// tests pin the wire form.

import (
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/rest"
	"maps"
)

func toAccount(a api.Account) rest.Account {
	return rest.Account{ID: a.ID, OwnerMSP: a.OwnerMSP, Bank: a.Bank, Kind: string(a.Kind), Tier: a.Tier,
		MerchantCategory: a.MerchantCategory, Status: string(a.Status), ReasonHash: a.ReasonHash,
		CustomerRefHash: a.CustomerRefHash, OpenedAt: a.OpenedAt, UpdatedAt: a.UpdatedAt}
}

func toBalance(b api.Balance) rest.Balance {
	return rest.Balance{Account: b.Account, Balance: b.Balance}
}

func toOutput(o api.Output) rest.Output {
	out := rest.Output{ID: o.ID, Account: o.Account, Amount: o.Amount, TxID: o.TxID, CreatedAt: o.CreatedAt}
	if o.Earmark != nil {
		out.Earmark = &rest.Earmark{Programme: o.Earmark.Programme, Tranche: o.Earmark.Tranche}
	}
	return out
}

func toOutputPage(p api.OutputPage, bookmark string) rest.OutputPage {
	out := rest.OutputPage{Outputs: make([]rest.Output, len(p.Outputs)), Bookmark: bookmark}
	for i, o := range p.Outputs {
		out.Outputs[i] = toOutput(o)
	}
	return out
}

func toStatementPage(p api.StatementPage, bookmark string) rest.StatementPage {
	out := rest.StatementPage{Entries: make([]rest.StatementEntry, len(p.Entries)), Bookmark: bookmark}
	for i, e := range p.Entries {
		out.Entries[i] = rest.StatementEntry{Account: e.Account, Timestamp: e.Timestamp, TxID: e.TxID, Seq: e.Seq,
			Type: e.Type, Reference: e.Reference, Counterparty: e.Counterparty, Amount: e.Amount}
	}
	return out
}

func toPayment(p api.Payment) rest.Payment {
	return rest.Payment{PaymentID: p.PaymentID, From: p.From, To: p.To, FromMSP: p.FromMSP, ToMSP: p.ToMSP,
		FromBank: p.FromBank, ToBank: p.ToBank, Amount: p.Amount, Purpose: p.Purpose, RemittanceHash: p.RemittanceHash, Inputs: nonNil(p.Inputs),
		PayeeOutput: p.PayeeOutput, ChangeOutputs: nonNil(p.ChangeOutputs), TxID: p.TxID, Timestamp: p.Timestamp}
}

func toBatchResult(r api.BatchResult) rest.BatchResult {
	out := rest.BatchResult{Settled: r.Settled, Rejected: r.Rejected, Results: make([]rest.ItemResult, len(r.Results))}
	for i, it := range r.Results {
		ir := rest.ItemResult{PaymentID: it.PaymentID, OK: it.OK, Code: string(it.Code), Message: it.Message}
		if it.Payment != nil {
			p := toPayment(*it.Payment)
			ir.Payment = &p
		}
		out.Results[i] = ir
	}
	return out
}

func toMint(m api.MintRecord) rest.Mint {
	return rest.Mint{MintID: m.MintID, Account: m.Account, Amount: m.Amount, ReserveRef: m.ReserveRef, Output: m.Output,
		Supply: m.Supply, TxID: m.TxID, Timestamp: m.Timestamp}
}

func toRedemption(r api.Redemption) rest.Redemption {
	return rest.Redemption{RedeemID: r.RedeemID, Account: r.Account, Amount: r.Amount, Inputs: nonNil(r.Inputs),
		ChangeOutputs: nonNil(r.ChangeOutputs), Supply: r.Supply, TxID: r.TxID, Timestamp: r.Timestamp}
}

func toMerge(m api.MergeRecord) rest.Merge {
	return rest.Merge{MergeID: m.MergeID, Account: m.Account, Inputs: nonNil(m.Inputs), Output: m.Output, Amount: m.Amount,
		TxID: m.TxID, Timestamp: m.Timestamp}
}

func toSupply(s api.Supply) rest.Supply {
	return rest.Supply{Total: s.Total, TxID: s.TxID, UpdatedAt: s.UpdatedAt}
}

func toAudit(a api.SupplyAudit) rest.SupplyAudit {
	return rest.SupplyAudit{Supply: a.Supply, OutputsTotal: a.OutputsTotal, Outputs: a.Outputs, Balanced: a.Balanced}
}

func toPing(p api.PingRecord) rest.Ping {
	return rest.Ping{ID: p.ID, Note: p.Note, MSPID: p.MSPID, Role: string(p.Role), TxID: p.TxID, TxTime: p.TxTime}
}

func toEvent(e api.Event) rest.Event {
	return rest.Event{Type: string(e.Type), ID: e.ID, Account: e.Account, MSP: e.MSP, Bank: e.Bank, From: e.From, To: e.To,
		FromMSP: e.FromMSP, ToMSP: e.ToMSP, FromBank: e.FromBank, ToBank: e.ToBank, Amount: e.Amount, Action: string(e.Action),
		Programme: e.Programme, Tranche: e.Tranche, Count: e.Count, Cycle: e.Cycle, ValueDate: e.ValueDate, Priority: e.Priority}
}

func toProposal(v api.ProposalView) rest.Proposal {
	p := v.Proposal
	out := rest.Proposal{ID: p.ID, Action: string(p.Action), Rule: rest.Rule{Role: string(p.Rule.Role), Provinces: p.Rule.Provinces, Identities: p.Rule.Identities},
		ProposerMSP: p.ProposerMSP, Status: p.Status, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, ClosedAt: p.ClosedAt,
		Approvals: make([]rest.Approval, len(v.Approvals)), Approved: v.Approved}
	if p.Mint != nil {
		out.Mint = &rest.MintParams{Account: p.Mint.Account, Amount: p.Mint.Amount, ReserveRef: p.Mint.ReserveRef}
	}
	if p.Redeem != nil {
		out.Redeem = &rest.RedeemParams{Account: p.Redeem.Account, Amount: p.Redeem.Amount}
	}
	if p.Ceiling != nil {
		out.Ceiling = &rest.CeilingParams{MSP: p.Ceiling.MSP, Ceiling: p.Ceiling.Ceiling}
	}
	if p.Config != nil {
		c := toConfig(*p.Config)
		out.Config = &c
	}
	if p.Calendar != nil {
		c := toCalendar(*p.Calendar)
		out.Calendar = &c
	}
	for i, a := range v.Approvals {
		out.Approvals[i] = rest.Approval{MSP: a.MSP, Identity: a.Identity, Role: string(a.Role), TxID: a.TxID, At: a.At}
	}
	return out
}

func toConfig(c api.Config) rest.Config {
	return rest.Config{Orgs: append([]string{}, c.Orgs...), BankPrefixes: maps.Clone(c.BankPrefixes), OwnerEndorsers: c.OwnerEndorsers, Quorum: c.Quorum, MaxClockSkewSeconds: c.MaxClockSkewSeconds}
}

func fromConfig(c rest.Config) api.Config {
	return api.Config{Orgs: append([]string(nil), c.Orgs...), BankPrefixes: maps.Clone(c.BankPrefixes), OwnerEndorsers: c.OwnerEndorsers, Quorum: c.Quorum, MaxClockSkewSeconds: c.MaxClockSkewSeconds}
}

func toCeiling(c api.Ceiling) rest.Ceiling {
	return rest.Ceiling{MSP: c.MSP, Ceiling: c.Ceiling, Issued: c.Issued, UpdatedAt: c.UpdatedAt}
}

func toExecution(e api.Execution) rest.Execution {
	out := rest.Execution{Proposal: toProposal(api.ProposalView{Proposal: e.Proposal, Approved: true})}
	out.Proposal.Approvals = nil
	if e.Mint != nil {
		m := toMint(*e.Mint)
		out.Mint = &m
	}
	if e.Redemption != nil {
		r := toRedemption(*e.Redemption)
		out.Redemption = &r
	}
	if e.Ceiling != nil {
		c := toCeiling(*e.Ceiling)
		out.Ceiling = &c
	}
	if e.Config != nil {
		c := toConfig(*e.Config)
		out.Config = &c
	}
	if e.Calendar != nil {
		c := toCalendar(*e.Calendar)
		out.Calendar = &c
	}
	return out
}

// fromProposalRequest is the chaincode request of a proposal.
func fromProposalRequest(p rest.ProposalRequest) api.ProposeRequest {
	out := api.ProposeRequest{ID: p.ID, Action: api.Action(p.Action), TTLSeconds: p.TTLSeconds}
	if p.Mint != nil {
		out.Mint = &api.MintParams{Account: p.Mint.Account, Amount: p.Mint.Amount, ReserveRef: p.Mint.ReserveRef}
	}
	if p.Redeem != nil {
		out.Redeem = &api.RedeemParams{Account: p.Redeem.Account, Amount: p.Redeem.Amount}
	}
	if p.Ceiling != nil {
		out.Ceiling = &api.CeilingParams{MSP: p.Ceiling.MSP, Ceiling: p.Ceiling.Ceiling}
	}
	if p.Config != nil {
		c := fromConfig(*p.Config)
		out.Config = &c
	}
	if p.Calendar != nil {
		c := fromCalendar(*p.Calendar)
		out.Calendar = &c
	}
	return out
}

// fromPaymentRequest is the chaincode request of a bank's payment.
func fromPaymentRequest(p rest.PaymentRequest, inputs []string, split int) api.TransferRequest {
	return api.TransferRequest{PaymentID: p.PaymentID, From: p.From, To: p.To, Amount: p.Amount, Inputs: inputs,
		Purpose: p.Purpose, RemittanceHash: p.RemittanceHash, ChangeSplit: split}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
