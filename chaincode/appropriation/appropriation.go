// Package appropriation holds the rules of directional appropriation as
// plain Go: earmarked fiscal programmes, their approval rules, who may
// receive a first-hop disbursement, whom a recipient may pay with
// earmarked funds, when the earmark is released, validity windows, pro-rata
// returns to the funders and the utilisation identities. Nothing here
// imports Fabric: package programmecc reads ledger state, calls these
// functions and writes what they return.
package appropriation

import (
	"slices"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// dateLayout is a business date.
const dateLayout = "2006-01-02"

// NewProgramme validates a definition by the calling bureau (MSP, bureau
// code) and returns the programme, proposed.
func NewProgramme(r api.DefineProgrammeRequest, ownerMSP, ownerBureau string, now time.Time) (api.Programme, error) {
	fail := func(format string, args ...any) (api.Programme, error) {
		return api.Programme{}, api.Errorf(api.CodeInvalidArgument, format, args...)
	}
	if err := api.ValidateNamespaced("id", r.ID, api.MaxIDLen); err != nil {
		return api.Programme{}, err
	}
	if api.NamespaceOf(r.ID) != ownerBureau {
		return api.Programme{}, api.Errorf(api.CodeForbidden, "programme ID %s is not in bureau %s's namespace", r.ID, ownerBureau)
	}
	if err := api.ValidateText("name", r.Name, 128, true); err != nil {
		return api.Programme{}, err
	}
	if len(r.Purposes) == 0 || len(r.Purposes) > api.MaxPurposes {
		return fail("purposes must list 1 to %d purpose codes", api.MaxPurposes)
	}
	for _, p := range r.Purposes {
		if err := api.ValidateID("purpose", p, api.MaxPurposeLen); err != nil {
			return api.Programme{}, err
		}
	}
	if err := api.ValidateNamespaced("escrow", r.Escrow, api.MaxIDLen); err != nil {
		return api.Programme{}, err
	}
	if api.NamespaceOf(r.Escrow) != ownerBureau {
		return api.Programme{}, api.Errorf(api.CodeForbidden, "escrow %s is not in bureau %s's namespace", r.Escrow, ownerBureau)
	}
	if r.Budget <= 0 {
		return fail("budget must be positive")
	}
	if r.PerRecipientCap < 0 || r.PerRecipientCap > r.Budget {
		return fail("perRecipientCap must be 0 (none) to the budget")
	}
	from, err1 := time.ParseInLocation(dateLayout, r.ValidFrom, api.BusinessZone)
	to, err2 := time.ParseInLocation(dateLayout, r.ValidTo, api.BusinessZone)
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > api.MaxProgrammeDays*24*time.Hour {
		return fail("validFrom and validTo must be business dates (2006-01-02), from <= to, at most %d days apart", api.MaxProgrammeDays)
	}
	switch r.Release {
	case api.ReleaseAtTerminal, api.ReleaseNever:
	default:
		return fail("release must be %q or %q", api.ReleaseAtTerminal, api.ReleaseNever)
	}
	if len(r.Funders) == 0 || len(r.Funders) > api.MaxFunders {
		return fail("funders must list 1 to %d bureaus", api.MaxFunders)
	}
	total, owner := 0, false
	seen := map[string]bool{}
	for i, f := range r.Funders {
		if err := api.ValidateBank("funders.bureau", f.Bureau); err != nil {
			return api.Programme{}, err
		}
		if err := api.ValidateID("funders.msp", f.MSP, api.MaxIDLen); err != nil {
			return api.Programme{}, err
		}
		if err := api.ValidateNamespaced("funders.account", f.Account, api.MaxIDLen); err != nil {
			return api.Programme{}, err
		}
		if api.NamespaceOf(f.Account) != f.Bureau {
			return fail("funders[%d].account %s is not bureau %s's", i, f.Account, f.Bureau)
		}
		if f.Share <= 0 || seen[f.MSP+"/"+f.Bureau] {
			return fail("funders[%d] needs a positive share and appears once", i)
		}
		seen[f.MSP+"/"+f.Bureau] = true
		total += f.Share
		owner = owner || (f.MSP == ownerMSP && f.Bureau == ownerBureau)
	}
	if total != api.SharesTotal {
		return fail("funders' shares sum to %d basis points, want %d", total, api.SharesTotal)
	}
	if !owner {
		return fail("the owner bureau must be one of the funders")
	}
	e := r.Eligibility
	if len(e.Accounts) > api.MaxEligibleAccounts || len(e.Categories) > api.MaxCategories || len(e.Kinds) > 8 || len(e.Provinces) > 16 {
		return fail("eligibility lists are too long")
	}
	if len(e.Accounts) == 0 && len(e.Kinds) == 0 {
		return fail("eligibility needs accounts or kinds")
	}
	for _, c := range append(append([]string{}, e.Categories...), r.Spending.PayeeCategories...) {
		if len(c) != 4 {
			return fail("merchant category %q must be 4 digits", c)
		}
	}
	if len(r.Spending.PayeeCategories) > api.MaxCategories || len(r.Spending.PayeeAccounts) > api.MaxEligibleAccounts {
		return fail("spending lists are too long")
	}
	return api.Programme{DefineProgrammeRequest: r, OwnerMSP: ownerMSP, OwnerBureau: ownerBureau,
		Status: api.ProgrammeProposed, DefinedAt: now.UTC()}, nil
}

// ProgrammeParties is the programme's approval rule: two distinct
// identities of the owner bureau (maker and checker), and one of every
// other funding bureau. Tranches follow the same rule.
func ProgrammeParties(p api.Programme) []api.Party {
	parties := []api.Party{{MSP: p.OwnerMSP, Bank: p.OwnerBureau, Role: api.RoleFiscal, Identities: 2}}
	for _, f := range p.Funders {
		if f.MSP == p.OwnerMSP && f.Bureau == p.OwnerBureau {
			continue
		}
		parties = append(parties, api.Party{MSP: f.MSP, Bank: f.Bureau, Role: api.RoleFiscal, Identities: 1})
	}
	return parties
}

// ClawbackParties: the owner bureau and the compliance of the holder's
// province.
func ClawbackParties(p api.Programme, holderMSP string) []api.Party {
	return []api.Party{
		{MSP: p.OwnerMSP, Bank: p.OwnerBureau, Role: api.RoleFiscal, Identities: 1},
		{MSP: holderMSP, Role: api.RoleCompliance, Identities: 1},
	}
}

// PartyOf returns the index of the party the approver belongs to, or -1.
func PartyOf(parties []api.Party, msp, bank string, role api.Role) int {
	for i, p := range parties {
		if p.MSP == msp && p.Role == role && (p.Bank == "" || p.Bank == bank) {
			return i
		}
	}
	return -1
}

// Satisfied reports whether approvals meet every party's count of distinct
// identities.
func Satisfied(parties []api.Party, approvals []api.PartyApproval) bool {
	for _, p := range parties {
		ids := map[string]bool{}
		for _, a := range approvals {
			if a.MSP == p.MSP && a.Role == p.Role && (p.Bank == "" || a.Bank == p.Bank) {
				ids[a.Identity] = true
			}
		}
		if len(ids) < p.Identities {
			return false
		}
	}
	return true
}

// Window reports whether t's business date is inside the validity window
// (active), after it (expired), or neither (before).
func Window(p api.Programme, t time.Time) (active, expired bool) {
	d := api.BusinessDate(t)
	return d >= p.ValidFrom && d <= p.ValidTo, d > p.ValidTo
}

// Eligible checks a first-hop recipient: listed, or of an eligible kind
// (merchants of an eligible category), and in an eligible province.
func Eligible(p api.Programme, a api.Account) error {
	e := p.Eligibility
	if len(e.Provinces) > 0 && !slices.Contains(e.Provinces, a.OwnerMSP) {
		return api.Errorf(api.CodePurposeNotAllowed, "account %s is in %s, outside the programme's provinces", a.ID, a.OwnerMSP)
	}
	if slices.Contains(e.Accounts, a.ID) {
		return nil
	}
	if slices.Contains(e.Kinds, a.Kind) {
		if a.Kind != api.KindMerchant || len(e.Categories) == 0 || slices.Contains(e.Categories, a.MerchantCategory) {
			return nil
		}
	}
	return api.Errorf(api.CodePurposeNotAllowed, "account %s is not an eligible recipient of programme %s", a.ID, p.ID)
}

// SpendOutcome is what an earmarked payment does to the earmark.
type SpendOutcome struct {
	// Release: the payee is an eligible terminal payee and the programme
	// releases there: the payee's output carries no earmark.
	Release bool
	// Kind is the flow kind (FlowReleased, FlowSpent, FlowPassedOn).
	Kind string
}

// CheckSpend checks a payment of earmarked funds from payer to payee: the
// payee must be a merchant of an allowed category, a listed payee account,
// or (when passing on is allowed) another eligible recipient. The programme
// must be active at t.
func CheckSpend(p api.Programme, payee api.Account, t time.Time) (SpendOutcome, error) {
	if p.Status != api.ProgrammeActive {
		return SpendOutcome{}, api.Errorf(api.CodePurposeNotAllowed, "programme %s is not active", p.ID)
	}
	if active, _ := Window(p, t); !active {
		return SpendOutcome{}, api.Errorf(api.CodePurposeNotAllowed, "programme %s is outside its validity window (%s to %s)", p.ID, p.ValidFrom, p.ValidTo)
	}
	s := p.Spending
	terminal := payee.Kind == api.KindMerchant && slices.Contains(s.PayeeCategories, payee.MerchantCategory) ||
		slices.Contains(s.PayeeAccounts, payee.ID)
	if terminal {
		if p.Release == api.ReleaseAtTerminal {
			return SpendOutcome{Release: true, Kind: api.FlowReleased}, nil
		}
		return SpendOutcome{Kind: api.FlowSpent}, nil
	}
	if s.PassOn && Eligible(p, payee) == nil {
		return SpendOutcome{Kind: api.FlowPassedOn}, nil
	}
	return SpendOutcome{}, api.Errorf(api.CodePurposeNotAllowed, "programme %s's funds may not pay %s", p.ID, payee.ID)
}

// ProRata splits amount among the funders by their shares (basis points):
// each gets floor(amount × share / total); the fen left over go one each
// to the funders in order. The parts sum to amount exactly.
func ProRata(amount money.Amount, funders []api.Funder) ([]money.Amount, error) {
	out := make([]money.Amount, len(funders))
	var sum money.Amount
	for i, f := range funders {
		part, err := money.MulDiv(amount, int64(f.Share), api.SharesTotal)
		if err != nil {
			return nil, api.Errorf(api.CodeInvalidArgument, "pro-rata share overflows")
		}
		out[i] = part
		sum += part
	}
	for i := 0; sum < amount && len(out) > 0; i = (i + 1) % len(out) {
		out[i]++
		sum++
	}
	return out, nil
}

// Tally aggregates flows into one usage row per key (by: total, tranche,
// province of the recipient, recipient), in first-seen order.
func Tally(flows []api.Flow, by string) []api.Usage {
	var rows []api.Usage
	index := map[string]int{}
	for _, f := range flows {
		key := "total"
		switch by {
		case api.ByTranche:
			key = itoa(f.Tranche)
		case api.ByProvince:
			key = f.ToMSP
		case api.ByRecipient:
			key = recipientOf(f)
		}
		i, ok := index[key]
		if !ok {
			i = len(rows)
			index[key] = i
			rows = append(rows, api.Usage{Key: key})
		}
		apply(&rows[i], f)
	}
	return rows
}

// recipientOf is the recipient a flow concerns.
func recipientOf(f api.Flow) string {
	switch f.Kind {
	case api.FlowDisbursed:
		return f.To
	case api.FlowFunded:
		return ""
	}
	return f.From
}

// apply adds one flow to a usage row's flow totals.
func apply(u *api.Usage, f api.Flow) {
	switch f.Kind {
	case api.FlowFunded:
		u.Funded += f.Amount
	case api.FlowDisbursed:
		u.Disbursed += f.Amount
	case api.FlowReleased:
		u.Released += f.Amount
	case api.FlowReturned:
		u.Returned += f.Amount
		if f.FromEscrow {
			u.ReturnedFromEscrow += f.Amount
		}
	case api.FlowClawed:
		u.ClawedBack += f.Amount
	}
}

// Balanced checks the utilisation identity of a row (after WithBalances):
// nothing is negative and the balances add up.
func Balanced(u api.Usage) bool {
	return u.Escrow >= 0 && u.Held >= 0 &&
		u.Funded == u.Escrow+u.Held+u.Released+u.Returned+u.ClawedBack
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
