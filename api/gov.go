package api

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// ContractGov is the namespace of the governance contract: the channel-wide
// configuration every endorser reads from the ledger, and decisions that
// need several parties (issuance, redemption, issuance ceilings,
// configuration changes), taken by recorded approvals on the ledger.
const ContractGov = "gov"

var govAccess = Access{RoleIssuer: ScopeProvince, RoleAdmin: ScopeProvince}

// The governance contract's operations.
var (
	Init = define[Config, Config](Op{Contract: ContractGov, Name: "Init", Mode: Submit, Config: ConfigOptional,
		Access: Access{RoleAdmin: ScopeAny}, Doc: "writes the first configuration; refused once one exists"})
	GetConfig = define[Empty, Config](Op{Contract: ContractGov, Name: "GetConfig", Mode: Evaluate, Config: ConfigOptional,
		Access: anyRole, Doc: "reads the configuration"})
	Propose = define[ProposeRequest, ProposalView](Op{Contract: ContractGov, Name: "Propose", Mode: Submit,
		Access: govAccess, Doc: "records a proposal; the proposer's province counts as its first approval"})
	Approve = define[ProposalID, ProposalView](Op{Contract: ContractGov, Name: "Approve", Mode: Submit,
		Access: govAccess, Doc: "records the caller's approval of a pending proposal"})
	Execute = define[ExecuteRequest, Execution](Op{Contract: ContractGov, Name: "Execute", Mode: Submit,
		Access: govAccess, Doc: "carries out an approved proposal, exactly once"})
	Cancel = define[ProposalID, ProposalView](Op{Contract: ContractGov, Name: "Cancel", Mode: Submit,
		Access: govAccess, Doc: "withdraws a pending proposal (its proposer's province)"})
	GetProposal = define[ProposalID, ProposalView](Op{Contract: ContractGov, Name: "GetProposal", Mode: Evaluate,
		Access: Access{RoleIssuer: ScopeAny, RoleAdmin: ScopeAny, RoleAuditor: ScopeAny}, Doc: "reads a proposal and its approvals"})
	GetCeiling = define[CeilingRequest, Ceiling](Op{Contract: ContractGov, Name: "GetCeiling", Mode: Evaluate,
		Access: Access{RoleIssuer: ScopeAny, RoleAdmin: ScopeAny, RoleAuditor: ScopeAny}, Doc: "reads a province's issuance ceiling and what it issued"})
)

// Config is the channel-wide configuration of the chaincode.
type Config struct {
	// Orgs are the MSP IDs of the provinces, sorted. Only callers from these
	// MSPs are served; key-level policies name their peers.
	Orgs []string `json:"orgs"`
	// BankPrefixes maps each province's MSP ID to the prefix of its banks'
	// codes (e.g. "ShanghaiMSP": "SH-"). A caller's bank attribute must
	// start with its own province's prefix, so no province's CA can issue a
	// certificate for another province's bank and act in that bank's ID
	// namespace. Every province has one; no prefix is a prefix of another,
	// so a bank code belongs to at most one province.
	BankPrefixes map[string]string `json:"bankPrefixes"`
	// OwnerEndorsers is how many provinces besides the owner must endorse a
	// change to an owned key (outputs, accounts): at least half of the
	// provinces (rounded down) and at most all others, so that the owner
	// and its endorsers are always a majority.
	OwnerEndorsers int `json:"ownerEndorsers"`
	// Quorum is how many provinces must endorse a change to a shared key
	// (supply, configuration, ceilings) and approve a decision: a majority
	// of the provinces at least.
	Quorum int `json:"quorum"`
	// MaxClockSkewSeconds bounds how far a transaction's timestamp may be
	// from each endorser's clock (0: DefaultMaxClockSkew).
	MaxClockSkewSeconds int `json:"maxClockSkewSeconds,omitempty"`
}

// DefaultMaxClockSkew is the clock skew an endorser tolerates when the
// configuration does not say.
const DefaultMaxClockSkew = 300 * time.Second

// ClockSkew is the configured skew bound.
func (c *Config) ClockSkew() time.Duration {
	if c.MaxClockSkewSeconds <= 0 {
		return DefaultMaxClockSkew
	}
	return time.Duration(c.MaxClockSkewSeconds) * time.Second
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if err := ValidateOrgs("orgs", c.Orgs); err != nil {
		return err
	}
	if err := c.validateBankPrefixes(); err != nil {
		return err
	}
	// Minimums: no minority of provinces may change a key or take a
	// decision, whatever the first admin writes with gov:Init.
	if lo, hi := max(1, len(c.Orgs)/2), len(c.Orgs)-1; c.OwnerEndorsers < lo || c.OwnerEndorsers > hi {
		return Errorf(CodeInvalidArgument, "ownerEndorsers must be %d to %d: the owner and its endorsers must be a majority of the %d provinces",
			lo, hi, len(c.Orgs))
	}
	if lo := len(c.Orgs)/2 + 1; c.Quorum < lo || c.Quorum > len(c.Orgs) {
		return Errorf(CodeInvalidArgument, "quorum must be %d to %d: a majority of the %d provinces", lo, len(c.Orgs), len(c.Orgs))
	}
	if c.MaxClockSkewSeconds < 0 || c.MaxClockSkewSeconds > 3600 {
		return Errorf(CodeInvalidArgument, "maxClockSkewSeconds must be 0 to 3600")
	}
	return nil
}

// ValidateOrgs checks a channel's provinces: at least 2 MSP IDs, sorted and
// distinct.
func ValidateOrgs(what string, orgs []string) error {
	if len(orgs) < 2 {
		return Errorf(CodeInvalidArgument, "%s needs at least 2 MSP IDs, got %d", what, len(orgs))
	}
	for i, o := range orgs {
		if err := ValidateID(what, o, MaxIDLen); err != nil {
			return err
		}
		if i > 0 && orgs[i-1] >= o {
			return Errorf(CodeInvalidArgument, "%s must be sorted and distinct (%q after %q)", what, o, orgs[i-1])
		}
	}
	return nil
}

// validateBankPrefixes checks that every province (c.Orgs, already
// checked) has a bank-code prefix, that no other MSP has one, and that no
// prefix is a prefix of another's (nor equal to it).
func (c *Config) validateBankPrefixes() error {
	for i, o := range c.Orgs {
		p, ok := c.BankPrefixes[o]
		if !ok {
			return Errorf(CodeInvalidArgument, "bankPrefixes has no prefix for province %s", o)
		}
		if err := ValidateBankPrefix(fmt.Sprintf("bankPrefixes[%s]", o), p); err != nil {
			return err
		}
		for _, other := range c.Orgs[:i] {
			q := c.BankPrefixes[other]
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return Errorf(CodeInvalidArgument, "the bank prefixes of %s (%q) and %s (%q) overlap: no prefix may start another", other, q, o, p)
			}
		}
	}
	if len(c.BankPrefixes) != len(c.Orgs) {
		msps := make([]string, 0, len(c.BankPrefixes))
		for m := range c.BankPrefixes {
			if !c.HasOrg(m) {
				msps = append(msps, m)
			}
		}
		sort.Strings(msps)
		return Errorf(CodeInvalidArgument, "bankPrefixes names %q, which is not among orgs", msps[0])
	}
	return nil
}

// ValidateBankPrefix checks a province's bank-code prefix: 1 to
// MaxBankLen-1 characters of [A-Z0-9-], so that a bank code can extend it.
func ValidateBankPrefix(what, prefix string) error {
	if prefix == "" || len(prefix) >= MaxBankLen {
		return Errorf(CodeInvalidArgument, "%s %q must be 1 to %d characters", what, prefix, MaxBankLen-1)
	}
	return ValidateBank(what, prefix+"X")
}

// OwnsBank reports whether bank code bank belongs to province msp: it
// starts with msp's prefix and is longer. An MSP without a prefix owns no
// bank.
func (c *Config) OwnsBank(msp, bank string) bool {
	p := c.BankPrefixes[msp]
	return p != "" && len(bank) > len(p) && strings.HasPrefix(bank, p)
}

// ProvinceOfBank returns the province whose prefix bank code bank starts
// with (at most one does in a valid configuration).
func (c *Config) ProvinceOfBank(bank string) (string, bool) {
	for _, o := range c.Orgs {
		if c.OwnsBank(o, bank) {
			return o, true
		}
	}
	return "", false
}

// HasOrg reports whether msp is a configured province.
func (c *Config) HasOrg(msp string) bool {
	for _, o := range c.Orgs {
		if o == msp {
			return true
		}
	}
	return false
}

// Action is what a proposal decides.
type Action string

// Actions.
const (
	ActionMint     Action = "mint"     // issue tokens into the proposing province's reserve
	ActionRedeem   Action = "redeem"   // burn tokens of the proposing province's reserve
	ActionCeiling  Action = "ceiling"  // set a province's issuance ceiling
	ActionConfig   Action = "config"   // replace the channel configuration
	ActionCalendar Action = "calendar" // replace the interbank business calendar
)

// Rule says who must approve a proposal: identities of Role from at least
// Provinces distinct provinces (and at least Identities distinct
// certificates). The proposer's approval counts.
type Rule struct {
	Role       Role `json:"role"`
	Provinces  int  `json:"provinces"`
	Identities int  `json:"identities"`
}

// RuleOf is the one table of decision rules. quorum is the configuration's.
func RuleOf(a Action, quorum int) (Rule, bool) {
	switch a {
	case ActionMint, ActionRedeem, ActionCeiling, ActionCalendar:
		return Rule{Role: RoleIssuer, Provinces: quorum, Identities: quorum}, true
	case ActionConfig:
		return Rule{Role: RoleAdmin, Provinces: quorum, Identities: quorum}, true
	}
	return Rule{}, false
}

// Limits of proposals.
const (
	DefaultProposalTTL = 24 * time.Hour
	MaxProposalTTL     = 7 * 24 * time.Hour
	// MaxApprovals bounds the approvals a proposal collects (one per
	// identity; far more than any rule needs).
	MaxApprovals = 32
)

// ProposeRequest records a proposal. ID reads "MSP:local" with the
// proposer's MSP. Exactly the parameters of Action are set.
type ProposeRequest struct {
	ID       string         `json:"id"`
	Action   Action         `json:"action"`
	Mint     *MintParams    `json:"mint,omitempty"`
	Redeem   *RedeemParams  `json:"redeem,omitempty"`
	Ceiling  *CeilingParams `json:"ceiling,omitempty"`
	Config   *Config        `json:"config,omitempty"`
	Calendar *Calendar      `json:"calendar,omitempty"`
	// TTLSeconds is how long the proposal may collect approvals (0: one day,
	// at most seven).
	TTLSeconds int `json:"ttlSeconds,omitempty"`
}

// MintParams issues Amount into the reserve account Account against a
// reserve (fiat deposit) reference, unique per province.
type MintParams struct {
	Account    string       `json:"account"`
	Amount     money.Amount `json:"amount"`
	ReserveRef string       `json:"reserveRef"`
}

// RedeemParams burns Amount of the reserve account Account.
type RedeemParams struct {
	Account string       `json:"account"`
	Amount  money.Amount `json:"amount"`
}

// CeilingParams sets the issuance ceiling of province MSP.
type CeilingParams struct {
	MSP     string       `json:"msp"`
	Ceiling money.Amount `json:"ceiling"`
}

// Validate checks syntax.
func (r *ProposeRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	if r.TTLSeconds < 0 || time.Duration(r.TTLSeconds)*time.Second > MaxProposalTTL {
		return Errorf(CodeInvalidArgument, "ttlSeconds must be 0 to %d", int(MaxProposalTTL/time.Second))
	}
	set := 0
	for _, p := range []bool{r.Mint != nil, r.Redeem != nil, r.Ceiling != nil, r.Config != nil, r.Calendar != nil} {
		if p {
			set++
		}
	}
	want := map[Action]bool{ActionMint: r.Mint != nil, ActionRedeem: r.Redeem != nil, ActionCeiling: r.Ceiling != nil, ActionConfig: r.Config != nil, ActionCalendar: r.Calendar != nil}
	ok, known := want[r.Action]
	if !known {
		return Errorf(CodeInvalidArgument, "action %q is not one of mint, redeem, ceiling, config, calendar", r.Action)
	}
	if !ok || set != 1 {
		return Errorf(CodeInvalidArgument, "a %s proposal carries exactly its own parameters (%q)", r.Action, r.Action)
	}
	switch {
	case r.Mint != nil:
		if err := ValidateNamespaced("mint.account", r.Mint.Account, MaxIDLen); err != nil {
			return err
		}
		if err := positive("mint.amount", r.Mint.Amount); err != nil {
			return err
		}
		return ValidateID("mint.reserveRef", r.Mint.ReserveRef, MaxPaymentIDLen)
	case r.Redeem != nil:
		if err := ValidateNamespaced("redeem.account", r.Redeem.Account, MaxIDLen); err != nil {
			return err
		}
		return positive("redeem.amount", r.Redeem.Amount)
	case r.Ceiling != nil:
		if err := ValidateID("ceiling.msp", r.Ceiling.MSP, MaxIDLen); err != nil {
			return err
		}
		if r.Ceiling.Ceiling < 0 {
			return Errorf(CodeInvalidArgument, "ceiling.ceiling must not be negative")
		}
		return nil
	case r.Calendar != nil:
		return r.Calendar.Validate()
	default:
		return r.Config.Validate()
	}
}

// ProposalID names a proposal.
type ProposalID struct {
	ID string `json:"id"`
}

// Validate checks syntax.
func (r *ProposalID) Validate() error { return ValidateNamespaced("id", r.ID, MaxPaymentIDLen) }

// ExecuteRequest carries out an approved proposal. A redemption names the
// reserve outputs it burns.
type ExecuteRequest struct {
	ID     string   `json:"id"`
	Inputs []string `json:"inputs,omitempty"`
}

// Validate checks syntax.
func (r *ExecuteRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	return validateInputsIf(r.Inputs, 0)
}

// Proposal statuses.
const (
	ProposalPending   = "pending"
	ProposalExecuted  = "executed"
	ProposalCancelled = "cancelled"
)

// Proposal is a recorded proposal. Its approvals are separate records.
type Proposal struct {
	ID          string         `json:"id"`
	Action      Action         `json:"action"`
	Mint        *MintParams    `json:"mint,omitempty"`
	Redeem      *RedeemParams  `json:"redeem,omitempty"`
	Ceiling     *CeilingParams `json:"ceiling,omitempty"`
	Config      *Config        `json:"config,omitempty"`
	Calendar    *Calendar      `json:"calendar,omitempty"`
	Rule        Rule           `json:"rule"`
	ProposerMSP string         `json:"proposerMsp"`
	Proposer    string         `json:"proposer"`
	Status      string         `json:"status"`
	CreatedAt   time.Time      `json:"createdAt"`
	ExpiresAt   time.Time      `json:"expiresAt"`
	ClosedAt    *time.Time     `json:"closedAt,omitempty"`
	ClosedTx    string         `json:"closedTx,omitempty"`
}

// Approval is one identity's approval of a proposal.
type Approval struct {
	ProposalID string    `json:"proposalId"`
	MSP        string    `json:"msp"`
	Identity   string    `json:"identity"`
	Role       Role      `json:"role"`
	TxID       string    `json:"txId"`
	At         time.Time `json:"at"`
}

// ProposalView is a proposal with its approvals and whether its rule holds.
type ProposalView struct {
	Proposal  Proposal   `json:"proposal"`
	Approvals []Approval `json:"approvals"`
	// Approved: the rule holds (distinct provinces and identities).
	Approved bool `json:"approved"`
}

// Execution is what Execute did.
type Execution struct {
	Proposal   Proposal    `json:"proposal"`
	Mint       *MintRecord `json:"mint,omitempty"`
	Redemption *Redemption `json:"redemption,omitempty"`
	Ceiling    *Ceiling    `json:"ceiling,omitempty"`
	Config     *Config     `json:"config,omitempty"`
	Calendar   *Calendar   `json:"calendar,omitempty"`
}

// CeilingRequest names a province.
type CeilingRequest struct {
	MSP string `json:"msp"`
}

// Validate checks syntax.
func (r *CeilingRequest) Validate() error { return ValidateID("msp", r.MSP, MaxIDLen) }

// Ceiling is a province's issuance ceiling and the amount its reserve has
// issued net of redemptions. A province without one cannot mint.
type Ceiling struct {
	MSP       string       `json:"msp"`
	Ceiling   money.Amount `json:"ceiling"`
	Issued    money.Amount `json:"issued"`
	UpdatedAt time.Time    `json:"updatedAt"`
}
