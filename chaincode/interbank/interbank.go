// Package interbank holds the rules of interbank settlement as plain Go:
// the business calendar (value dates, cut-offs, end of day in
// Asia/Shanghai) and the deterministic verification of a liquidity-saving
// cycle: the net position of every settlement account over the transfers
// a cycle names, and whether the inputs named for each net debtor cover its
// debit. The solver that chooses the transfers may be anything (package
// liquidity is ours); the chaincode only verifies, in time linear in the
// transfers named.
package interbank

import (
	"slices"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

const dateLayout = "2006-01-02"

// IsBusinessDay reports whether date is a business day.
func IsBusinessDay(c api.Calendar, date string) bool {
	d, err := time.ParseInLocation(dateLayout, date, api.BusinessZone)
	if err != nil {
		return false
	}
	if c.WeekendsClosed && (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday) {
		return false
	}
	return !slices.Contains(c.Holidays, date)
}

// NextBusinessDay returns the first business day after date (at most a
// year ahead; "" beyond).
func NextBusinessDay(c api.Calendar, date string) string {
	d, err := time.ParseInLocation(dateLayout, date, api.BusinessZone)
	if err != nil {
		return ""
	}
	for i := 0; i < 400; i++ {
		d = d.AddDate(0, 0, 1)
		if s := d.Format(dateLayout); IsBusinessDay(c, s) {
			return s
		}
	}
	return ""
}

// clock is t's Asia/Shanghai wall-clock time "15:04".
func clock(t time.Time) string { return t.In(api.BusinessZone).Format("15:04") }

// ValueDate is the value date of an interbank transfer sent at t: today's
// business date before the interbank cut-off on a business day, else the
// next business day.
func ValueDate(c api.Calendar, t time.Time) string {
	today := api.BusinessDate(t)
	if IsBusinessDay(c, today) && clock(t) < c.InterbankCutoff {
		return today
	}
	return NextBusinessDay(c, today)
}

// CheckValueDate checks a requested value date: a business day, not
// before the earliest possible one.
func CheckValueDate(c api.Calendar, requested string, t time.Time) (string, error) {
	earliest := ValueDate(c, t)
	if requested == "" {
		return earliest, nil
	}
	if !IsBusinessDay(c, requested) {
		return "", api.Errorf(api.CodeInvalidArgument, "value date %s is not a business day", requested)
	}
	if requested < earliest {
		return "", api.Errorf(api.CodeInvalidArgument, "value date %s is before the earliest possible %s (cut-off %s)", requested, earliest, c.InterbankCutoff)
	}
	return requested, nil
}

// PastEndOfDay reports whether date's end of day has passed at t.
func PastEndOfDay(c api.Calendar, date string, t time.Time) bool {
	today := api.BusinessDate(t)
	return today > date || today == date && clock(t) >= c.EndOfDay
}

// Leg is a transfer as the cycle verification sees it.
type Leg struct {
	ID       string
	From, To string
	Amount   money.Amount
}

// Nets returns each account's net position over legs (credits minus
// debits), in account order.
func Nets(legs []Leg) ([]api.NetPosition, error) {
	net := map[string]money.Amount{}
	for _, l := range legs {
		var err error
		if net[l.From], err = money.Sub(net[l.From], l.Amount); err != nil {
			return nil, api.Errorf(api.CodeInvalidArgument, "net position overflows")
		}
		if net[l.To], err = money.Add(net[l.To], l.Amount); err != nil {
			return nil, api.Errorf(api.CodeInvalidArgument, "net position overflows")
		}
	}
	out := make([]api.NetPosition, 0, len(net))
	for _, acct := range api.SortedKeys(net) {
		out = append(out, api.NetPosition{Account: acct, Net: net[acct]})
	}
	return out, nil
}

// Cover checks a cycle: every account with a net debit must have inputs
// totalling at least that debit (covered), and inputs may be named only
// for net debtors. It returns the liquidity used (the sum of net debits).
func Cover(nets []api.NetPosition, inputTotals map[string]money.Amount) (money.Amount, error) {
	var used money.Amount
	debtors := map[string]bool{}
	for _, n := range nets {
		if n.Net >= 0 {
			continue
		}
		debtors[n.Account] = true
		if inputTotals[n.Account] < -n.Net {
			return 0, api.Errorf(api.CodeInsufficientFunds, "account %s's net debit %s is not covered (inputs %s)", n.Account, -n.Net, inputTotals[n.Account])
		}
		var err error
		if used, err = money.Add(used, -n.Net); err != nil {
			return 0, api.Errorf(api.CodeInvalidArgument, "liquidity overflows")
		}
	}
	for _, acct := range api.SortedKeys(inputTotals) {
		if !debtors[acct] {
			return 0, api.Errorf(api.CodeInvalidArgument, "inputs are named for %s, which is not a net debtor of the cycle", acct)
		}
	}
	return used, nil
}

// Open reports whether settlement runs at t: a business day, at or after
// its open and before its end of day.
func Open(c api.Calendar, t time.Time) bool {
	h := clock(t)
	return IsBusinessDay(c, api.BusinessDate(t)) && h >= c.Open && h < c.EndOfDay
}

// Due reports whether a transfer with valueDate may settle at t: its value
// date is today and settlement is open.
func Due(c api.Calendar, valueDate string, t time.Time) bool {
	return valueDate == api.BusinessDate(t) && Open(c, t)
}
