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

// NewProgramme validates a definition by the calling bureau (MSP, bureau
// code) and returns the programme, proposed: the request's own syntax and
// limits (api.DefineProgrammeRequest.Validate), then what depends on the
// caller: the ID and escrow in the bureau's namespace (FORBIDDEN), the
// bureau among the funders.
func NewProgramme(r api.DefineProgrammeRequest, ownerMSP, ownerBureau string, now time.Time) (api.Programme, error) {
	if err := r.Validate(); err != nil {
		return api.Programme{}, err
	}
	if api.NamespaceOf(r.ID) != ownerBureau {
		return api.Programme{}, api.Errorf(api.CodeForbidden, "programme ID %s is not in bureau %s's namespace", r.ID, ownerBureau)
	}
	if api.NamespaceOf(r.Escrow) != ownerBureau {
		return api.Programme{}, api.Errorf(api.CodeForbidden, "escrow %s is not in bureau %s's namespace", r.Escrow, ownerBureau)
	}
	owner := false
	for _, f := range r.Funders {
		owner = owner || (f.MSP == ownerMSP && f.Bureau == ownerBureau)
	}
	if !owner {
		return api.Programme{}, api.Errorf(api.CodeInvalidArgument, "the owner bureau must be one of the funders")
	}
	if !r.ValidUntil.IsZero() {
		r.ValidUntil = r.ValidUntil.UTC() // one spelling of the instant on the ledger
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

// Window reports whether t is inside the validity window (active), after
// it (expired), or neither (before): active from the start of ValidFrom's
// business date until the end of ValidTo's, or until ValidUntil when the
// programme has one (expired from that instant on).
func Window(p api.Programme, t time.Time) (active, expired bool) {
	d := api.BusinessDate(t)
	expired = d > p.ValidTo || (!p.ValidUntil.IsZero() && !t.Before(p.ValidUntil))
	return d >= p.ValidFrom && !expired, expired
}

// End describes the end of a programme's window for messages: its last
// business date, or its ValidUntil instant.
func End(p api.Programme) string {
	if !p.ValidUntil.IsZero() {
		return p.ValidUntil.UTC().Format(time.RFC3339Nano)
	}
	return p.ValidTo + " (business date)"
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

// CheckWindow refuses a programme outside its validity window at t
// (OUTSIDE_WINDOW), before its first business date or after its last.
func CheckWindow(p api.Programme, t time.Time) error {
	if active, _ := Window(p, t); !active {
		return api.Errorf(api.CodeOutsideWindow, "programme %s is outside its validity window (%s to %s; it is %s, %s in Shanghai)",
			p.ID, p.ValidFrom, End(p), t.UTC().Format(time.RFC3339), api.BusinessDate(t))
	}
	return nil
}

// CheckSpend checks a payment of earmarked funds from payer to payee: the
// payer is a holder (the escrow's funds leave only by disbursement or a
// return); the payee must be a merchant of an allowed category, a listed
// payee account, or (when passing on is allowed) another eligible
// recipient (PURPOSE_NOT_ALLOWED otherwise). The programme must be active
// (PROPOSAL_CLOSED) and inside its window at t (OUTSIDE_WINDOW).
func CheckSpend(p api.Programme, payer, payee api.Account, t time.Time) (SpendOutcome, error) {
	if p.Status != api.ProgrammeActive {
		return SpendOutcome{}, api.Errorf(api.CodeProposalClosed, "programme %s is not active (%s)", p.ID, p.Status)
	}
	if err := CheckWindow(p, t); err != nil {
		return SpendOutcome{}, err
	}
	if payer.ID == p.Escrow || payer.Kind == api.KindEscrow {
		return SpendOutcome{}, api.Errorf(api.CodePurposeNotAllowed, "programme %s's escrow pays only by disbursement or a return", p.ID)
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

// Shares is each funder's share of a tranche of amount (ProRata), in the
// programme's funder order.
func Shares(p api.Programme, amount money.Amount) ([]api.FunderShare, error) {
	parts, err := ProRata(amount, p.Funders)
	if err != nil {
		return nil, err
	}
	out := make([]api.FunderShare, len(parts))
	for i, f := range p.Funders {
		out[i] = api.FunderShare{MSP: f.MSP, Bureau: f.Bureau, Account: f.Account, Amount: parts[i]}
	}
	return out, nil
}

// Tally aggregates flows into usage rows (flow totals) in first-seen key
// order. By total or tranche, each flow lands in one row of the whole
// programme. By recipient or province, rows are holders' (api.Usage): a
// flow lands on the row of each holder it moves funds of, keyed by the
// holder's account or province: a disbursement on the recipient's
// (Disbursed); a transfer between holders (passed on, spent keeping the
// earmark) on the payer's (TransferredOut) and the payee's
// (TransferredIn); a release, return or clawback from a holder on the
// holder's. Funding and returns from the escrow move no holder's funds and
// land on no holder's row; Total carries them.
func Tally(flows []api.Flow, by string) []api.Usage {
	var rows []api.Usage
	index := map[string]int{}
	row := func(key string) *api.Usage {
		i, ok := index[key]
		if !ok {
			i = len(rows)
			index[key] = i
			rows = append(rows, api.Usage{Key: key})
		}
		return &rows[i]
	}
	for _, f := range flows {
		if !api.HolderRows(by) {
			key := api.ByTotal
			if by == api.ByTranche {
				key = itoa(f.Tranche)
			}
			apply(row(key), f)
			continue
		}
		from, to := f.From, f.To
		if by == api.ByProvince {
			from, to = fromMSP(f), f.ToMSP
		}
		switch f.Kind {
		case api.FlowDisbursed:
			row(to).Disbursed += f.Amount
		case api.FlowPassedOn, api.FlowSpent:
			row(from).TransferredOut += f.Amount
			row(to).TransferredIn += f.Amount
		case api.FlowReleased:
			row(from).Released += f.Amount
		case api.FlowReturned:
			if !f.FromEscrow {
				row(from).Returned += f.Amount
			}
		case api.FlowClawed:
			row(from).ClawedBack += f.Amount
		}
	}
	return rows
}

// Total aggregates flows into one row of the whole programme (flow totals).
func Total(flows []api.Flow) api.Usage {
	u := api.Usage{Key: api.ByTotal}
	for _, f := range flows {
		apply(&u, f)
	}
	return u
}

// fromMSP is the province of a flow's paying holder. Returns and
// clawbacks written before flows carried FromMSP named the holder's
// province in ToMSP.
func fromMSP(f api.Flow) string {
	if f.FromMSP == "" && (f.Kind == api.FlowReturned || f.Kind == api.FlowClawed) {
		return f.ToMSP
	}
	return f.FromMSP
}

// apply adds one flow to a row of the whole programme: both sides of a
// transfer between holders land here and cancel.
func apply(u *api.Usage, f api.Flow) {
	switch f.Kind {
	case api.FlowFunded:
		u.Funded += f.Amount
	case api.FlowDisbursed:
		u.Disbursed += f.Amount
	case api.FlowPassedOn, api.FlowSpent:
		u.TransferredOut += f.Amount
		u.TransferredIn += f.Amount
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

// Balanced checks the utilisation identity of a row of the whole
// programme (after WithBalances): nothing is negative and the balances add
// up.
func Balanced(u api.Usage) bool {
	return u.Escrow >= 0 && u.Held >= 0 &&
		u.Funded == u.Escrow+u.Held+u.Released+u.Returned+u.ClawedBack
}

// HolderBalanced checks a holder's row (after Balances): no escrow side,
// and what the holder received covers what it paid on, released, returned
// and had clawed back.
func HolderBalanced(u api.Usage) bool {
	return u.Funded == 0 && u.ReturnedFromEscrow == 0 && u.Escrow == 0 && u.Held >= 0 &&
		u.Disbursed+u.TransferredIn == u.Held+u.TransferredOut+u.Released+u.Returned+u.ClawedBack
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
