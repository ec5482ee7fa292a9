package api

import (
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// ContractProgramme is the namespace of the directional appropriation
// contract: earmarked fiscal programmes from budget to merchant.
const ContractProgramme = "programme"

var (
	fiscalAccess  = Access{RoleFiscal: ScopeBank}
	programmeView = Access{RoleFiscal: ScopeBank, RoleAuditor: ScopeAny, RoleCompliance: ScopeProvince,
		RoleOperator: ScopeBank}
	clawbackView = Access{RoleFiscal: ScopeBank, RoleCompliance: ScopeProvince, RoleAuditor: ScopeAny}
)

// The programme contract's operations. Programme, tranche and disbursement
// writes are a fiscal bureau's (role fiscal, bank = the bureau's code);
// earmarked spends go through token:Transfer, which applies the
// programme's spending rules.
var (
	DefineProgramme = define[DefineProgrammeRequest, ProgrammeView](Op{Contract: ContractProgramme, Name: "Define", Mode: Submit,
		Access: fiscalAccess, Doc: "defines a programme (the maker's approval counts); it becomes active once its approval rule holds"})
	ApproveProgramme = define[ProgrammeID, ProgrammeView](Op{Contract: ContractProgramme, Name: "Approve", Mode: Submit,
		Access: fiscalAccess, Doc: "approves a programme (the owner bureau's checker, or a funding bureau)"})
	ProposeTranche = define[TrancheRequest, TrancheView](Op{Contract: ContractProgramme, Name: "ProposeTranche", Mode: Submit,
		Access: fiscalAccess, Doc: "proposes a funding tranche of an active programme"})
	ApproveTranche = define[TrancheID, TrancheView](Op{Contract: ContractProgramme, Name: "ApproveTranche", Mode: Submit,
		Access: fiscalAccess, Doc: "approves a tranche (maker-checker in the owner bureau, and every funding bureau)"})
	FundTranche = define[FundRequest, TrancheView](Op{Contract: ContractProgramme, Name: "FundTranche", Mode: Submit,
		Access: fiscalAccess, Doc: "moves the calling funder's share of an approved tranche into the programme's escrow, earmarked"})
	Disburse = define[DisburseRequest, DisburseResult](Op{Contract: ContractProgramme, Name: "Disburse", Mode: Submit,
		Access: fiscalAccess, Doc: "pays up to MaxDisburseLines eligible recipients from escrow, each line once"})
	Sweep = define[SweepRequest, SweepResult](Op{Contract: ContractProgramme, Name: "Sweep", Mode: Submit,
		Access: fiscalAccess, Doc: "after expiry, returns one account's earmarked funds of the programme to the funders pro rata"})
	ProposeClawback = define[ClawbackRequest, ClawbackView](Op{Contract: ContractProgramme, Name: "ProposeClawback", Mode: Submit,
		Access: fiscalAccess, Doc: "proposes to claw a recipient's earmarked funds back before expiry"})
	ApproveClawback = define[ClawbackID, ClawbackView](Op{Contract: ContractProgramme, Name: "ApproveClawback", Mode: Submit,
		Access: Access{RoleFiscal: ScopeBank, RoleCompliance: ScopeProvince}, Doc: "approves a clawback (the holder's province's compliance)"})
	ExecuteClawback = define[ClawbackExecute, ClawbackResult](Op{Contract: ContractProgramme, Name: "ExecuteClawback", Mode: Submit,
		Access: fiscalAccess, Doc: "returns up to MaxSweepInputs of an approved clawback's earmarked outputs to the funders pro rata; repeated until the holder has none left, which closes it"})

	GetProgramme = define[ProgrammeID, ProgrammeView](Op{Contract: ContractProgramme, Name: "Get", Mode: Evaluate,
		Access: programmeView, Doc: "reads a programme, its approvals and tranches"})
	GetTranche = define[TrancheID, TrancheView](Op{Contract: ContractProgramme, Name: "GetTranche", Mode: Evaluate,
		Access: programmeView, Doc: "reads a tranche, its approvals, contributions and each funder's share"})
	GetClawback = define[ClawbackID, ClawbackView](Op{Contract: ContractProgramme, Name: "GetClawback", Mode: Evaluate,
		Access: clawbackView, Doc: "reads a clawback and its approvals (the owner bureau, the compliance of the holder's province, auditors)"})
	Utilisation = define[UtilisationRequest, UtilisationPage](Op{Contract: ContractProgramme, Name: "Utilisation", Mode: Evaluate,
		Access: programmeView, Doc: "aggregates a programme's flows: total, per tranche, province or recipient"})
	Lineage = define[LineageRequest, LineageView](Op{Contract: ContractProgramme, Name: "Lineage", Mode: Evaluate,
		Access: programmeView, Doc: "traces an earmarked output back to its programme, tranche and disbursement"})
	Holdings = define[HoldingsRequest, OutputPage](Op{Contract: ContractProgramme, Name: "Holdings", Mode: Evaluate,
		Access: programmeView, Doc: "pages through an account's unspent outputs earmarked for a programme (its owner bureau, the account's bank, auditors)"})
)

// Limits of programmes.
const (
	MaxFunders          = 8     // funding bureaus of one programme
	MaxPurposes         = 8     // purpose codes
	MaxEligibleAccounts = 256   // explicitly listed first-hop recipients
	MaxCategories       = 32    // merchant categories in a rule
	MaxDisburseLines    = 500   // lines per Disburse transaction
	MaxSweepInputs      = 100   // outputs one Sweep returns
	SharesTotal         = 10000 // funders' shares are basis points summing to this
	MaxProgrammeDays    = 3660  // the longest validity window
)

// Release rules.
const (
	// ReleaseAtTerminal clears the earmark when the funds reach an eligible
	// terminal payee (a merchant of an allowed category): "unwrap".
	ReleaseAtTerminal = "terminal"
	// ReleaseNever keeps the earmark to the end (until expiry sweeps it).
	ReleaseNever = "never"
)

// Programme statuses.
const (
	ProgrammeProposed = "proposed"
	ProgrammeActive   = "active"
)

// Funder is one funding bureau and its share of the programme.
type Funder struct {
	MSP string `json:"msp"`
	// Bureau is the funding bureau's bank code (role fiscal).
	Bureau string `json:"bureau"`
	// Account is the bureau's fiscal account its share is paid from and
	// returned to.
	Account string `json:"account"`
	// Share in basis points; the funders' shares sum to SharesTotal.
	Share int `json:"share"`
}

// Eligibility says who may receive a programme's first-hop disbursements:
// an account is eligible when it is listed, or when its kind is in Kinds
// (and, for merchants, its category in Categories); and its province is in
// Provinces (when set).
type Eligibility struct {
	Accounts   []string `json:"accounts,omitempty"`
	Kinds      []Kind   `json:"kinds,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Provinces  []string `json:"provinces,omitempty"`
}

// SpendingRules say whom recipients may pay with earmarked funds: merchants
// of the listed categories, the listed accounts, and (with PassOn) other
// eligible first-hop recipients, keeping the earmark.
type SpendingRules struct {
	PayeeCategories []string `json:"payeeCategories,omitempty"`
	PayeeAccounts   []string `json:"payeeAccounts,omitempty"`
	PassOn          bool     `json:"passOn,omitempty"`
}

// DefineProgrammeRequest defines a programme. ID reads "BUREAU:local" in
// the owner bureau's namespace.
type DefineProgrammeRequest struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Purposes []string `json:"purposes"`
	Funders  []Funder `json:"funders"`
	// Escrow is the programme's escrow account, opened by Define in the
	// owner bureau's namespace.
	Escrow string       `json:"escrow"`
	Budget money.Amount `json:"budget"`
	// ValidFrom and ValidTo are business dates (Asia/Shanghai) "2006-01-02",
	// inclusive.
	ValidFrom string `json:"validFrom"`
	ValidTo   string `json:"validTo"`
	// ValidUntil, when set, is the instant the programme ends, before the
	// end of ValidTo: it is active only before it and expired from it on
	// (Window). It falls after the start of ValidFrom and on or before the
	// end of ValidTo (the midnight after it, Asia/Shanghai). Trusted time
	// decides, so the end is as exact as the endorsers' clock skew allows
	// (Config.MaxClockSkewSeconds).
	ValidUntil      time.Time     `json:"validUntil,omitzero"`
	Eligibility     Eligibility   `json:"eligibility"`
	Spending        SpendingRules `json:"spending"`
	Release         string        `json:"release"`
	PerRecipientCap money.Amount  `json:"perRecipientCap,omitempty"`
}

// Validate checks a definition's syntax and limits: everything but what
// depends on the caller (the owner bureau's namespace and membership among
// the funders, appropriation.NewProgramme) and on the ledger (the funders'
// provinces, an unused ID and escrow).
func (r *DefineProgrammeRequest) Validate() error {
	fail := func(format string, args ...any) error { return Errorf(CodeInvalidArgument, format, args...) }
	if err := ValidateNamespaced("id", r.ID, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateText("name", r.Name, 128, true); err != nil {
		return err
	}
	if len(r.Purposes) == 0 || len(r.Purposes) > MaxPurposes {
		return fail("purposes must list 1 to %d purpose codes", MaxPurposes)
	}
	for _, p := range r.Purposes {
		if err := ValidateID("purpose", p, MaxPurposeLen); err != nil {
			return err
		}
	}
	if err := ValidateNamespaced("escrow", r.Escrow, MaxIDLen); err != nil {
		return err
	}
	if NamespaceOf(r.Escrow) != NamespaceOf(r.ID) {
		return fail("escrow %s must be in the programme's namespace %s", r.Escrow, NamespaceOf(r.ID))
	}
	if r.Budget <= 0 {
		return fail("budget must be positive")
	}
	if r.PerRecipientCap < 0 || r.PerRecipientCap > r.Budget {
		return fail("perRecipientCap must be 0 (none) to the budget")
	}
	from, err1 := time.ParseInLocation(dateLayout, r.ValidFrom, BusinessZone)
	to, err2 := time.ParseInLocation(dateLayout, r.ValidTo, BusinessZone)
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > MaxProgrammeDays*24*time.Hour {
		return fail("validFrom and validTo must be business dates (2006-01-02), from <= to, at most %d days apart", MaxProgrammeDays)
	}
	if u := r.ValidUntil; !u.IsZero() && (!u.After(from) || u.After(to.AddDate(0, 0, 1))) {
		return fail("validUntil must fall after the start of validFrom and on or before the end of validTo (Asia/Shanghai)")
	}
	switch r.Release {
	case ReleaseAtTerminal, ReleaseNever:
	default:
		return fail("release must be %q or %q", ReleaseAtTerminal, ReleaseNever)
	}
	if len(r.Funders) == 0 || len(r.Funders) > MaxFunders {
		return fail("funders must list 1 to %d bureaus", MaxFunders)
	}
	total := 0
	seen := map[string]bool{}
	for i, f := range r.Funders {
		if err := ValidateBank("funders.bureau", f.Bureau); err != nil {
			return err
		}
		if err := ValidateID("funders.msp", f.MSP, MaxIDLen); err != nil {
			return err
		}
		if err := ValidateNamespaced("funders.account", f.Account, MaxIDLen); err != nil {
			return err
		}
		if NamespaceOf(f.Account) != f.Bureau {
			return fail("funders[%d].account %s is not bureau %s's", i, f.Account, f.Bureau)
		}
		if f.Share <= 0 || f.Share > SharesTotal || seen[f.MSP+"/"+f.Bureau] {
			return fail("funders[%d] needs a share of 1 to %d basis points and appears once", i, SharesTotal)
		}
		seen[f.MSP+"/"+f.Bureau] = true
		total += f.Share
	}
	if total != SharesTotal {
		return fail("funders' shares sum to %d basis points, want %d", total, SharesTotal)
	}
	e := r.Eligibility
	if len(e.Accounts) > MaxEligibleAccounts || len(e.Categories) > MaxCategories || len(e.Kinds) > 8 || len(e.Provinces) > 16 {
		return fail("eligibility lists are too long")
	}
	if len(e.Accounts) == 0 && len(e.Kinds) == 0 {
		return fail("eligibility needs accounts or kinds")
	}
	for _, k := range e.Kinds {
		if !k.Valid() || k == KindEscrow {
			return fail("eligibility kind %q is not an account kind a recipient can have", k)
		}
	}
	for _, p := range e.Provinces {
		if err := ValidateID("eligibility.provinces", p, MaxIDLen); err != nil {
			return err
		}
	}
	s := r.Spending
	if len(s.PayeeCategories) > MaxCategories || len(s.PayeeAccounts) > MaxEligibleAccounts {
		return fail("spending lists are too long")
	}
	for _, c := range append(append([]string{}, e.Categories...), s.PayeeCategories...) {
		if len(c) != 4 || strings.Trim(c, "0123456789") != "" {
			return fail("merchant category %q must be 4 digits", c)
		}
	}
	for _, a := range append(append([]string{}, e.Accounts...), s.PayeeAccounts...) {
		if err := ValidateNamespaced("eligibility and spending accounts", a, MaxIDLen); err != nil {
			return err
		}
		if a == r.Escrow {
			return fail("the escrow %s cannot be a recipient or payee of its own programme", a)
		}
	}
	return nil
}

// dateLayout is a business date.
const dateLayout = "2006-01-02"

// Programme is a defined programme.
type Programme struct {
	DefineProgrammeRequest
	OwnerMSP    string    `json:"ownerMsp"`
	OwnerBureau string    `json:"ownerBureau"`
	Status      string    `json:"status"`
	DefinedAt   time.Time `json:"definedAt"`
	ActivatedAt time.Time `json:"activatedAt,omitzero"`
}

// Party is one party of a multi-party rule: identities of role Role from
// bank Bank of province MSP (an empty Bank: any of the province).
type Party struct {
	MSP        string `json:"msp"`
	Bank       string `json:"bank,omitempty"`
	Role       Role   `json:"role"`
	Identities int    `json:"identities"`
}

// PartyApproval is one identity's approval in a multi-party decision.
type PartyApproval struct {
	MSP      string    `json:"msp"`
	Bank     string    `json:"bank,omitempty"`
	Role     Role      `json:"role"`
	Identity string    `json:"identity"`
	TxID     string    `json:"txId"`
	At       time.Time `json:"at"`
}

// ProgrammeView is a programme with its approvals and tranches.
type ProgrammeView struct {
	Programme Programme       `json:"programme"`
	Parties   []Party         `json:"parties"`
	Approvals []PartyApproval `json:"approvals"`
	Tranches  []Tranche       `json:"tranches"`
}

// ProgrammeID names a programme.
type ProgrammeID struct {
	ID string `json:"id"`
}

// Validate checks syntax.
func (r *ProgrammeID) Validate() error { return ValidateNamespaced("id", r.ID, MaxIDLen) }

// Tranche statuses.
const (
	TrancheProposed = "proposed"
	TrancheApproved = "approved"
	TrancheFunded   = "funded"
)

// TrancheRequest proposes tranche No (1, 2, …) of a programme.
type TrancheRequest struct {
	Programme string       `json:"programme"`
	No        int          `json:"no"`
	Amount    money.Amount `json:"amount"`
	// Date is the business date the tranche is for.
	Date string `json:"date"`
}

// Tranche is a tranche record. Contributions are separate records.
type Tranche struct {
	Programme  string       `json:"programme"`
	No         int          `json:"no"`
	Amount     money.Amount `json:"amount"`
	Date       string       `json:"date"`
	Status     string       `json:"status"`
	ProposedAt time.Time    `json:"proposedAt"`
}

// Contribution is one funder's deposit of its share of a tranche.
type Contribution struct {
	Programme string       `json:"programme"`
	Tranche   int          `json:"tranche"`
	MSP       string       `json:"msp"`
	Bureau    string       `json:"bureau"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	At        time.Time    `json:"at"`
}

// TrancheView is a tranche with its approvals, contributions and each
// funder's share of it.
type TrancheView struct {
	Tranche       Tranche         `json:"tranche"`
	Approvals     []PartyApproval `json:"approvals"`
	Contributions []Contribution  `json:"contributions"`
	// Shares is what each funder pays into the escrow (FundTranche), in the
	// programme's funder order: the tranche's amount split pro rata
	// (appropriation.ProRata), summing to it exactly.
	Shares []FunderShare `json:"shares"`
}

// FunderShare is one funder's share of a tranche.
type FunderShare struct {
	MSP     string       `json:"msp"`
	Bureau  string       `json:"bureau"`
	Account string       `json:"account"`
	Amount  money.Amount `json:"amount"`
}

// TrancheID names a tranche.
type TrancheID struct {
	Programme string `json:"programme"`
	No        int    `json:"no"`
}

// Validate checks syntax.
func (r *TrancheID) Validate() error {
	if err := ValidateNamespaced("programme", r.Programme, MaxIDLen); err != nil {
		return err
	}
	if r.No < 1 || r.No > 999 {
		return Errorf(CodeInvalidArgument, "tranche no must be 1 to 999")
	}
	return nil
}

// FundRequest pays the calling funder's share of an approved tranche from
// its account (Funder.Account), spending Inputs.
type FundRequest struct {
	Programme string   `json:"programme"`
	No        int      `json:"no"`
	Inputs    []string `json:"inputs"`
}

// Validate checks syntax.
func (r *FundRequest) Validate() error {
	t := TrancheID{Programme: r.Programme, No: r.No}
	if err := t.Validate(); err != nil {
		return err
	}
	return ValidateInputs(r.Inputs, 1)
}

// DisburseLine pays one recipient. Line numbers the line within its job:
// (Job, Line) is paid at most once.
type DisburseLine struct {
	Line      int          `json:"line"`
	Recipient string       `json:"recipient"`
	Amount    money.Amount `json:"amount"`
}

// DisburseRequest pays up to MaxDisburseLines recipients from escrow,
// spending the escrow's Inputs. Job reads "BUREAU:local". ChangeSplit
// (0 to MaxChangeSplit; 0 and 1 both mean one output) splits the escrow's
// change into that many outputs of near-equal amounts (never below one
// fen each), as token:Transfer's does, so that a disbursement engine can
// keep several disbursements of a programme in flight, each on its own
// escrow output.
type DisburseRequest struct {
	Programme   string         `json:"programme"`
	Job         string         `json:"job"`
	Lines       []DisburseLine `json:"lines"`
	Inputs      []string       `json:"inputs"`
	ChangeSplit int            `json:"changeSplit,omitempty"`
}

// Validate checks syntax.
func (r *DisburseRequest) Validate() error {
	if err := ValidateNamespaced("programme", r.Programme, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateNamespaced("job", r.Job, MaxPaymentIDLen); err != nil {
		return err
	}
	if len(r.Lines) == 0 || len(r.Lines) > MaxDisburseLines {
		return Errorf(CodeBatchTooLarge, "a disbursement carries 1 to %d lines, got %d", MaxDisburseLines, len(r.Lines))
	}
	seen := make(map[int]bool, len(r.Lines))
	for _, l := range r.Lines {
		if l.Line < 0 || seen[l.Line] {
			return Errorf(CodeInvalidArgument, "line %d is negative or repeated", l.Line)
		}
		seen[l.Line] = true
	}
	if r.ChangeSplit < 0 || r.ChangeSplit > MaxChangeSplit {
		return Errorf(CodeInvalidArgument, "changeSplit must be 0 to %d", MaxChangeSplit)
	}
	return ValidateInputs(r.Inputs, 1)
}

// Line outcomes of a disbursement. A line whose (job, line) was paid
// before answers already_paid when it names the same recipient and amount
// as then, and is rejected with LINE_CONFLICT when it does not.
const (
	LinePaid        = "paid"
	LineAlreadyPaid = "already_paid"
	LineRejected    = "rejected"
)

// LineResult is one line's outcome. A rejected line changed nothing.
type LineResult struct {
	Line    int    `json:"line"`
	Status  string `json:"status"`
	Code    Code   `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Output  string `json:"output,omitempty"`
}

// DisburseResult is Disburse's answer, one result per line in order.
type DisburseResult struct {
	Paid        int          `json:"paid"`
	AlreadyPaid int          `json:"alreadyPaid"`
	Rejected    int          `json:"rejected"`
	Amount      money.Amount `json:"amount"`
	Results     []LineResult `json:"results"`
	// Change is the escrow's first change output ("" when none);
	// ChangeOutputs lists every change output with its amount (one, or
	// ChangeSplit of them), in order.
	Change        string         `json:"change,omitempty"`
	ChangeOutputs []OutputAmount `json:"changeOutputs,omitempty"`
}

// OutputAmount is an output created by a transaction and its amount.
type OutputAmount struct {
	Output string       `json:"output"`
	Amount money.Amount `json:"amount"`
}

// SweepRequest returns Account's earmarked outputs of a programme (Inputs)
// to the funders pro rata: after expiry (Sweep), or after an approved
// clawback.
type SweepRequest struct {
	Programme string   `json:"programme"`
	Account   string   `json:"account"`
	Inputs    []string `json:"inputs"`
}

// Validate checks syntax.
func (r *SweepRequest) Validate() error {
	if err := ValidateNamespaced("programme", r.Programme, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateNamespaced("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if len(r.Inputs) > MaxSweepInputs {
		return Errorf(CodeInvalidArgument, "at most %d inputs per sweep", MaxSweepInputs)
	}
	return ValidateInputs(r.Inputs, 1)
}

// SweepResult says what went back to whom.
type SweepResult struct {
	Account  string         `json:"account"`
	Amount   money.Amount   `json:"amount"`
	Returned []FunderAmount `json:"returned"`
}

// FunderAmount is an amount returned to a funder's account.
type FunderAmount struct {
	Account string       `json:"account"`
	Amount  money.Amount `json:"amount"`
	Output  string       `json:"output"`
}

// ClawbackRequest proposes to claw Account's earmarked funds of a
// programme back before expiry. ID reads "BUREAU:local" (the owner
// bureau's). It needs the owner bureau and the compliance of the holder's
// province.
type ClawbackRequest struct {
	ID        string `json:"id"`
	Programme string `json:"programme"`
	Account   string `json:"account"`
}

// Validate checks syntax.
func (r *ClawbackRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateNamespaced("programme", r.Programme, MaxIDLen); err != nil {
		return err
	}
	return ValidateNamespaced("account", r.Account, MaxIDLen)
}

// Clawback is a clawback decision. Status is ProposalPending until an
// execution finds the holder without earmarked outputs of the programme,
// then ProposalExecuted (closed). Runs counts the executions, Returned
// what they returned.
type Clawback struct {
	ClawbackRequest
	HolderMSP  string       `json:"holderMsp"`
	Status     string       `json:"status"`
	ProposedAt time.Time    `json:"proposedAt"`
	Runs       int          `json:"runs,omitempty"`
	Returned   money.Amount `json:"returned,omitempty"`
	ClosedAt   time.Time    `json:"closedAt,omitzero"`
}

// ClawbackView is a clawback with its approvals.
type ClawbackView struct {
	Clawback  Clawback        `json:"clawback"`
	Parties   []Party         `json:"parties"`
	Approvals []PartyApproval `json:"approvals"`
	Approved  bool            `json:"approved"`
}

// ClawbackID names a clawback.
type ClawbackID struct {
	ID string `json:"id"`
}

// Validate checks syntax.
func (r *ClawbackID) Validate() error { return ValidateNamespaced("id", r.ID, MaxPaymentIDLen) }

// ClawbackExecute runs an approved clawback once, returning Inputs (0 to
// MaxSweepInputs of the holder's outputs earmarked for the programme). A
// run that returns fewer than MaxSweepInputs outputs checks the holder's
// remaining outputs, and closes the clawback when none of the programme's
// is left; a run with no inputs only checks. Runs are repeated until the
// clawback closes (ClawbackResult.Closed); after that, PROPOSAL_CLOSED.
type ClawbackExecute struct {
	ID     string   `json:"id"`
	Inputs []string `json:"inputs"`
}

// Validate checks syntax.
func (r *ClawbackExecute) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	if len(r.Inputs) > MaxSweepInputs {
		return Errorf(CodeInvalidArgument, "at most %d inputs per clawback run", MaxSweepInputs)
	}
	return ValidateInputs(r.Inputs, 0)
}

// ClawbackResult is one clawback run: what it returned (Run), the
// clawback after it, and whether it closed it (the holder has no earmarked
// outputs of the programme left).
type ClawbackResult struct {
	Run      SweepResult `json:"run"`
	Clawback Clawback    `json:"clawback"`
	Closed   bool        `json:"closed"`
}

// Flow kinds: every movement of a programme's money is one flow record.
// A holder is any account other than the escrow that holds the
// programme's earmarked outputs: a first-hop recipient, a recipient it
// passed funds on to, a payee that keeps the earmark.
const (
	FlowFunded    = "funded"    // funder -> escrow
	FlowDisbursed = "disbursed" // escrow -> recipient
	FlowPassedOn  = "passed_on" // holder -> another eligible recipient (earmark kept)
	FlowSpent     = "spent"     // holder -> terminal payee, earmark kept (release never)
	FlowReleased  = "released"  // holder -> terminal payee, earmark cleared
	FlowReturned  = "returned"  // expired funds (escrow or holder) -> funders
	FlowClawed    = "clawed"    // clawed-back funds (holder) -> funders
)

// Flow is one movement of a programme's money, written under its own key
// by the transaction that made it (no counter every payment rewrites).
type Flow struct {
	Programme string `json:"programme"`
	Kind      string `json:"kind"`
	Tranche   int    `json:"tranche,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
	// FromEscrow marks returns taken from the escrow (not from a holder).
	FromEscrow bool `json:"fromEscrow,omitempty"`
	// FromMSP is the province of From when From is a holder (spends,
	// returns and clawbacks from a holder); ToMSP the province of To when
	// To is an account (funding, disbursements, spends).
	FromMSP string       `json:"fromMsp,omitempty"`
	ToMSP   string       `json:"toMsp,omitempty"`
	Amount  money.Amount `json:"amount"`
	// Output is the output the flow created for To (spends and
	// disbursements); Inputs the earmarked outputs it spent. Output IDs
	// read "<txID>.<n>", so lineage walks back from an output to the flow of
	// the transaction that made it, and from that flow's inputs onwards.
	Output    string    `json:"output,omitempty"`
	Inputs    []string  `json:"inputs,omitempty"`
	Reference string    `json:"reference"`
	TxID      string    `json:"txId"`
	At        time.Time `json:"at"`
}

// Utilisation groupings. Rows by total and by tranche are the whole
// programme's (escrow and holders); rows by province and by recipient are
// holders' rows: the holder's own flows, keyed by its account or its
// province (api.HolderRows).
const (
	ByTotal     = "total"
	ByTranche   = "tranche"
	ByProvince  = "province"
	ByRecipient = "recipient"
)

// HolderRows reports whether rows grouped by `by` are holders' rows.
func HolderRows(by string) bool { return by == ByProvince || by == ByRecipient }

// UtilisationRequest aggregates a programme's flows. The flows are read a
// page at a time (a programme's history can be long): the answer carries a
// bookmark; callers add the pages' rows.
type UtilisationRequest struct {
	Programme string `json:"programme"`
	By        string `json:"by"`
	PageSize  int    `json:"pageSize,omitempty"`
	Bookmark  string `json:"bookmark,omitempty"`
}

// Validate checks syntax.
func (r *UtilisationRequest) Validate() error {
	if err := ValidateNamespaced("programme", r.Programme, MaxIDLen); err != nil {
		return err
	}
	switch r.By {
	case ByTotal, ByTranche, ByProvince, ByRecipient:
	default:
		return Errorf(CodeInvalidArgument, "by must be total, tranche, province or recipient")
	}
	return ValidatePage(r.PageSize, r.Bookmark)
}

// Usage is one row of utilisation. A page's rows carry flow totals only
// (each a sum of positive amounts); Escrow and Held are balances, filled
// by Balances (or WithBalances) once every page was added:
//
//	Escrow = Funded − Disbursed − ReturnedFromEscrow
//	Held   = Disbursed + TransferredIn − TransferredOut − Released
//	         − (Returned − ReturnedFromEscrow) − ClawedBack
//
// TransferredIn and TransferredOut are earmarked funds one holder paid
// another, earmark kept (passed on, or spent where the earmark is not
// released): on the receiver's row and the payer's row. On a row of the
// whole programme (total, tranche) both sides land in the same row and
// cancel, so that
//
//	Funded = Escrow + Held + Released + Returned + ClawedBack
//
// at every block. A holder's row (province, recipient) carries only flows
// that move its own funds: Funded, ReturnedFromEscrow and Escrow are zero
// there (the escrow is the total row's), and Held is what the holder (or
// the province's holders) hold, never negative.
type Usage struct {
	Key                string       `json:"key"`
	Funded             money.Amount `json:"funded"`
	Disbursed          money.Amount `json:"disbursed"`
	TransferredIn      money.Amount `json:"transferredIn"`
	TransferredOut     money.Amount `json:"transferredOut"`
	Released           money.Amount `json:"released"`
	Returned           money.Amount `json:"returned"`
	ReturnedFromEscrow money.Amount `json:"returnedFromEscrow"`
	ClawedBack         money.Amount `json:"clawedBack"`
	Escrow             money.Amount `json:"escrow"`
	Held               money.Amount `json:"held"`
}

// Add adds another row's flow totals.
func (u *Usage) Add(o Usage) {
	u.Funded += o.Funded
	u.Disbursed += o.Disbursed
	u.TransferredIn += o.TransferredIn
	u.TransferredOut += o.TransferredOut
	u.Released += o.Released
	u.Returned += o.Returned
	u.ReturnedFromEscrow += o.ReturnedFromEscrow
	u.ClawedBack += o.ClawedBack
}

// WithBalances fills Escrow and Held from the flow totals of a row of the
// whole programme (total, tranche).
func (u Usage) WithBalances() Usage {
	u.Escrow = u.Funded - u.Disbursed - u.ReturnedFromEscrow
	u.Held = u.Disbursed + u.TransferredIn - u.TransferredOut - u.Released - (u.Returned - u.ReturnedFromEscrow) - u.ClawedBack
	return u
}

// Balances fills the balances of a row grouped by `by`: WithBalances for
// the whole programme's rows; for a holder's row, Held, and Escrow zero.
func (u Usage) Balances(by string) Usage {
	u = u.WithBalances()
	if HolderRows(by) {
		u.Escrow = 0
	}
	return u
}

// UtilisationPage is one page of utilisation rows over a page of flows,
// and Total, the page's flows as one row of the whole programme: callers
// add the pages' totals for the programme's total, whatever the grouping.
type UtilisationPage struct {
	Budget   money.Amount `json:"budget"`
	Total    Usage        `json:"total"`
	Rows     []Usage      `json:"rows"`
	Flows    int          `json:"flows"`
	Bookmark string       `json:"bookmark"`
}

// LineageRequest names an output (by account and ID).
type LineageRequest struct {
	Account string `json:"account"`
	Output  string `json:"output"`
}

// Validate checks syntax.
func (r *LineageRequest) Validate() error {
	if err := ValidateNamespaced("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	return ValidateID("output", r.Output, MaxOutputIDLen)
}

// LineageView traces an earmarked output: its programme and tranche, and
// the chain of transactions from the disbursement to it.
type LineageView struct {
	Output    Output   `json:"output"`
	Programme string   `json:"programme"`
	Tranche   int      `json:"tranche"`
	Hops      []Flow   `json:"hops"`
	TxIDs     []string `json:"txIds"`
}

// HoldingsRequest asks for one page of Account's outputs earmarked for
// Programme: what a sweep or clawback returns, and what a recipient may
// spend under the programme's rules.
type HoldingsRequest struct {
	Programme string `json:"programme"`
	Account   string `json:"account"`
	PageSize  int    `json:"pageSize,omitempty"`
	Bookmark  string `json:"bookmark,omitempty"`
}

// Validate checks syntax.
func (r *HoldingsRequest) Validate() error {
	if err := ValidateNamespaced("programme", r.Programme, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateNamespaced("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	return ValidatePage(r.PageSize, r.Bookmark)
}
