package server

// Conversions of the interbank types (package api, the chaincode's
// reconciliation report, the cycle runner's results) to the bank-facing
// types (package rest), field by field; see convert.go.

import (
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/gateway/cycles"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

func toInterbankTransfer(t api.InterbankTransfer) rest.InterbankTransfer {
	out := rest.InterbankTransfer{ID: t.ID, From: t.From, To: t.To, FromBank: t.FromBank, ToBank: t.ToBank, FromMSP: t.FromMSP,
		ToMSP: t.ToMSP, Amount: t.Amount, Priority: t.Priority, ValueDate: t.ValueDate, RemittanceHash: t.RemittanceHash,
		Status: t.Status, QueuedAt: t.QueuedAt, Cycle: t.Cycle, Reason: t.Reason, TxID: t.TxID}
	if !t.SettledAt.IsZero() {
		at := t.SettledAt
		out.SettledAt = &at
	}
	return out
}

func toInterbankTransferPage(p api.TransferPage, bookmark string) rest.InterbankTransferPage {
	out := rest.InterbankTransferPage{Transfers: make([]rest.InterbankTransfer, len(p.Transfers)), Bookmark: bookmark}
	for i, t := range p.Transfers {
		out.Transfers[i] = toInterbankTransfer(t)
	}
	return out
}

func toBankPosition(p api.BankPosition) rest.BankPosition {
	out := rest.BankPosition{Account: p.Account, Bank: p.Bank, MSP: p.MSP, Date: p.Date, Balance: p.Balance, Fixed: p.Fixed,
		QueuedOut: p.QueuedOut, QueuedIn: p.QueuedIn, SentGross: p.SentGross, ReceivedGross: p.ReceivedGross,
		Counterparties: make([]rest.CounterpartyFlow, len(p.Counterparties)), Truncated: p.Truncated}
	for i, c := range p.Counterparties {
		out.Counterparties[i] = rest.CounterpartyFlow{Bank: c.Bank, Sent: c.Sent, Received: c.Received}
	}
	return out
}

// toNet splits a signed amount into its side and size.
func toNet(a money.Amount) rest.Net {
	switch {
	case a > 0:
		return rest.Net{Side: rest.NetCredit, Amount: a}
	case a < 0:
		return rest.Net{Side: rest.NetDebit, Amount: -a}
	}
	return rest.Net{Side: rest.NetFlat}
}

func toCycleRun(r cycles.Result) rest.CycleRun {
	out := rest.CycleRun{Status: rest.CycleNothingToSettle, Queued: r.Queued, Due: r.Due, Truncated: r.Truncated, Capped: r.Capped, Attempts: r.Attempts}
	if r.Cycle == nil {
		return out
	}
	out.Status = rest.CycleSettled
	c := &rest.Cycle{ID: r.Cycle.ID, Settled: r.Cycle.Settled, Transfers: nonNil(r.Transfers), Gross: r.Cycle.Gross,
		Liquidity: r.Cycle.Liquidity, Positions: make([]rest.NetPosition, len(r.Cycle.Positions)), TxID: r.TxID, BlockNumber: r.BlockNumber}
	for i, p := range r.Cycle.Positions {
		c.Positions[i] = rest.NetPosition{Account: p.Account, Net: toNet(p.Net)}
	}
	out.Cycle = c
	return out
}

func toDayClose(d cycles.DayResult) rest.DayClose {
	out := rest.DayClose{Date: d.Date, Transfers: d.Transfers, Rejected: len(d.Rejected),
		RejectedIDs: nonNil(d.Rejected[:min(len(d.Rejected), rest.MaxListedIDs)]), Closed: make([]rest.DayEnd, len(d.Closed)),
		Transactions: nonNil(d.TxIDs)}
	if d.Final != nil && d.FinalErr == nil {
		run := toCycleRun(*d.Final)
		out.Cycle = &run
	}
	for i, e := range d.Closed {
		out.Closed[i] = rest.DayEnd{Account: e.Account, Date: e.Date, Balance: e.Balance, SentGross: e.SentGross,
			ReceivedGross: e.ReceivedGross, ClosedAt: e.ClosedAt, TxID: e.TxID}
	}
	return out
}

func toReconciliation(r interbank.Report) rest.Reconciliation {
	out := rest.Reconciliation{Date: r.Date, Transfers: r.Transfers, Statuses: make([]rest.StatusTotal, len(r.Statuses)),
		Banks: make([]rest.BankNet, len(r.Banks)), Pairs: make([]rest.ProvinceFlow, len(r.Pairs)), NetTotal: toNet(r.NetTotal),
		Balanced: r.Balanced}
	for i, s := range r.Statuses {
		out.Statuses[i] = rest.StatusTotal{Status: s.Status, Count: s.Count, Value: s.Value}
	}
	for i, b := range r.Banks {
		out.Banks[i] = rest.BankNet{Bank: b.Bank, MSP: b.MSP, Sent: b.Sent, Received: b.Received, Net: toNet(b.Net)}
	}
	for i, p := range r.Pairs {
		out.Pairs[i] = rest.ProvinceFlow{FromMSP: p.FromMSP, ToMSP: p.ToMSP, Count: p.Count, Value: p.Value}
	}
	return out
}

func fromCalendar(c rest.Calendar) api.Calendar {
	return api.Calendar{Open: c.Open, CustomerCutoff: c.CustomerCutoff, InterbankCutoff: c.InterbankCutoff, EndOfDay: c.EndOfDay,
		WeekendsClosed: c.WeekendsClosed, Holidays: append([]string(nil), c.Holidays...), CycleIntervalSec: c.CycleIntervalSec}
}

func toCalendar(c api.Calendar) rest.Calendar {
	return rest.Calendar{Open: c.Open, CustomerCutoff: c.CustomerCutoff, InterbankCutoff: c.InterbankCutoff, EndOfDay: c.EndOfDay,
		WeekendsClosed: c.WeekendsClosed, Holidays: nonNil(append([]string(nil), c.Holidays...)), CycleIntervalSec: c.CycleIntervalSec}
}
