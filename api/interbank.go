package api

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// ContractInterbank is the namespace of the interbank settlement contract:
// transfers between banks' settlement accounts, settled gross when the
// payer has the liquidity and nothing of equal or higher priority waits,
// queued otherwise, and settled in liquidity-saving cycles.
const ContractInterbank = "interbank"

var (
	ibOperator = Access{RoleOperator: ScopeBank}
	ibView     = Access{RoleOperator: ScopeBank, RoleAuditor: ScopeAny, RoleCompliance: ScopeProvince, RoleIssuer: ScopeAny}
)

// The interbank contract's operations.
var (
	PutRemittance = define[RemittanceRequest, RemittanceReceipt](Op{Contract: ContractInterbank, Name: "PutRemittance", Mode: Submit,
		Access: ibOperator, Transient: []string{TransientRemittance, TransientRemittanceSalt},
		Doc: "records a transfer's remittance details in the two provinces' private collection before it is sent (endorsed by the payer's province only)"})
	SendTransfer = define[SendRequest, InterbankTransfer](Op{Contract: ContractInterbank, Name: "Send", Mode: Submit,
		Access: ibOperator, Doc: "sends an interbank transfer: settled gross at once when possible, queued otherwise"})
	SendBatch = define[SendBatchRequest, SendBatchResult](Op{Contract: ContractInterbank, Name: "SendBatch", Mode: Submit,
		Access: ibOperator, Doc: "sends up to MaxBatchItems transfers in one transaction, each as its own Send over the state the items before it left; a refused item is reported and writes nothing"})
	CancelTransfer = define[TransferAction, InterbankTransfer](Op{Contract: ContractInterbank, Name: "Cancel", Mode: Submit,
		Access: ibOperator, Doc: "cancels a queued transfer (the payer's bank)"})
	Reprioritise = define[ReprioritiseRequest, InterbankTransfer](Op{Contract: ContractInterbank, Name: "Reprioritise", Mode: Submit,
		Access: ibOperator, Doc: "changes a queued transfer's priority (the payer's bank)"})
	HoldTransfer = define[TransferAction, InterbankTransfer](Op{Contract: ContractInterbank, Name: "Hold", Mode: Submit,
		Access: ibOperator, Doc: "holds a queued transfer out of settlement (the payer's bank)"})
	ReleaseTransfer = define[TransferAction, InterbankTransfer](Op{Contract: ContractInterbank, Name: "Release", Mode: Submit,
		Access: ibOperator, Doc: "releases a held transfer back to the queue (the payer's bank)"})
	SettleCycle = define[CycleRequest, CycleResult](Op{Contract: ContractInterbank, Name: "Settle", Mode: Submit,
		Access: Access{RoleOperator: ScopeBank, RoleIssuer: ScopeProvince},
		Doc:    "settles a set of queued transfers at once if every bank's net debit is covered by the inputs named for it"})
	EndOfDay = define[EndOfDayRequest, EndOfDayResult](Op{Contract: ContractInterbank, Name: "EndOfDay", Mode: Submit,
		Access: Access{RoleIssuer: ScopeProvince}, Doc: "after the end of a business day, rejects the named transfers still queued for it"})
	GetTransfer = define[TransferAction, InterbankTransfer](Op{Contract: ContractInterbank, Name: "GetTransfer", Mode: Evaluate,
		Access: ibView, Doc: "reads an interbank transfer (payer's and payee's banks)"})
	ListQueue = define[QueueRequest, QueuePage](Op{Contract: ContractInterbank, Name: "Queue", Mode: Evaluate,
		Access: Access{RoleOperator: ScopeBank, RoleIssuer: ScopeAny, RoleAuditor: ScopeAny},
		Doc:    "pages through queued transfers: one bank's outgoing queue, or every bank's (the solver's input)"})
	Position = define[PositionRequest, BankPosition](Op{Contract: ContractInterbank, Name: "Position", Mode: Evaluate,
		Access: ibView, Doc: "a bank's position on a business date: balance, queued in and out, gross flows per counterparty"})
	GetCalendar = define[Empty, Calendar](Op{Contract: ContractInterbank, Name: "GetCalendar", Mode: Evaluate,
		Access: anyRole, Doc: "reads the business calendar (set by a quorum decision)"})
	GetRemittance = define[TransferAction, Remittance](Op{Contract: ContractInterbank, Name: "GetRemittance", Mode: Evaluate,
		Access: Access{RoleOperator: ScopeBank, RoleCompliance: ScopeProvince},
		Doc:    "reads a transfer's remittance details from the two provinces' private collection (payer's and payee's banks)"})
	DayTransfers = define[DayRequest, TransferPage](Op{Contract: ContractInterbank, Name: "DayTransfers", Mode: Evaluate,
		Access: ibView, Doc: "pages through every transfer of a value date, whatever its status (reconciliation); rows the caller may see"})
)

// TransientRemittance carries a transfer's remittance details and
// TransientRemittanceSalt a random salt (16 to 64 bytes) to PutRemittance:
// both go to the private data collection of the two banks' provinces in a
// transaction that writes nothing else and is endorsed by the payer's
// province alone (the collection's endorsement policy), so the details
// never reach a third province's peer. Send then names the record's hash,
// which every endorser checks against the collection's public hash.
const (
	TransientRemittance     = "remittance"
	TransientRemittanceSalt = "remittanceSalt"
)

// RemittanceRequest records the remittance details of transfer ID (not
// sent yet) to account To; the details are transient.
type RemittanceRequest struct {
	ID string `json:"id"`
	To string `json:"to"`
}

// Validate checks syntax.
func (r *RemittanceRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	return ValidateNamespaced("to", r.To, MaxIDLen)
}

// RemittanceReceipt is what Send names: the private record's hash.
type RemittanceReceipt struct {
	ID         string `json:"id"`
	Collection string `json:"collection"`
	Hash       string `json:"hash"`
}

// Remittance is a transfer's private remittance record.
type Remittance struct {
	ID      string `json:"id"`
	Details string `json:"details"`
	// Salt is hex. The record's JSON encoding hashes (SHA-256) to the
	// transfer's RemittanceHash.
	Salt string `json:"salt"`
}

// CollectionBilateral is the private data collection shared by two
// provinces (the order does not matter); a transfer inside one province
// uses CollectionKYC of that province.
func CollectionBilateral(a, b string) string {
	if a == b {
		return CollectionKYC(a)
	}
	if b < a {
		a, b = b, a
	}
	return "bilateral_" + a + "_" + b
}

// Priorities, most urgent first.
const (
	PriorityUrgent = "urgent"
	PriorityNormal = "normal"
)

// PriorityRank orders priorities: a lower rank settles first.
func PriorityRank(p string) int {
	if p == PriorityUrgent {
		return 0
	}
	return 1
}

// Transfer statuses.
const (
	TransferQueued    = "queued"
	TransferHeld      = "held"
	TransferSettled   = "settled"
	TransferCancelled = "cancelled"
	TransferRejected  = "rejected"
)

// Limits of interbank settlement.
const (
	MaxCycleTransfers  = 1000 // transfers settled by one cycle
	MaxCycleBanks      = 64   // banks whose inputs one cycle names
	MaxRemittanceBytes = 4096
	// MaxCycleScan bounds the outputs a cycle reads to cover one net debtor
	// when the request names none for it.
	MaxCycleScan = 1000
	// MaxPositionRows bounds the queued and settled transfers one Position
	// sums (each).
	MaxPositionRows = 20000
)

// SendRequest sends a transfer from a settlement account of the caller's
// bank to another bank's settlement account. ID reads "BANK:local" (the
// payer bank's end-to-end ID). Inputs, when given, settle it gross at once
// if they cover it and nothing of equal or higher priority waits in the
// payer's queue; without inputs, or otherwise, it is queued. ValueDate
// empty means the current business date (the next one after the interbank
// cut-off). RemittanceHash, when set, is PutRemittance's receipt.
type SendRequest struct {
	ID             string       `json:"id"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	Amount         money.Amount `json:"amount"`
	Priority       string       `json:"priority"`
	ValueDate      string       `json:"valueDate,omitempty"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
	Inputs         []string     `json:"inputs,omitempty"`
}

// Validate checks syntax.
func (r *SendRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateNamespaced("from", r.From, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateNamespaced("to", r.To, MaxIDLen); err != nil {
		return err
	}
	if NamespaceOf(r.From) == NamespaceOf(r.To) {
		return Errorf(CodeInvalidArgument, "an interbank transfer goes to another bank")
	}
	if err := positive("amount", r.Amount); err != nil {
		return err
	}
	if r.Priority != PriorityUrgent && r.Priority != PriorityNormal {
		return Errorf(CodeInvalidArgument, "priority must be urgent or normal")
	}
	if r.ValueDate != "" {
		if _, err := time.ParseInLocation("2006-01-02", r.ValueDate, BusinessZone); err != nil {
			return Errorf(CodeInvalidArgument, "valueDate must be a business date 2006-01-02")
		}
	}
	if r.RemittanceHash != "" && !isHex64(r.RemittanceHash) {
		return Errorf(CodeInvalidArgument, "remittanceHash must be 64 lower-case hex characters")
	}
	return validateInputsIf(r.Inputs, 0)
}

// SendBatchRequest sends several transfers in one transaction (the
// gateway coalesces single sends of one client into it).
type SendBatchRequest struct {
	Items []SendRequest `json:"items"`
}

// Validate checks the size; each item is checked as it runs, so that a bad
// item is reported on its own.
func (r *SendBatchRequest) Validate() error {
	if len(r.Items) == 0 || len(r.Items) > MaxBatchItems {
		return Errorf(CodeBatchTooLarge, "a batch holds 1 to %d transfers", MaxBatchItems)
	}
	return nil
}

// SendItemResult is one item's outcome: its transfer (settled or queued),
// or its own error code and message.
type SendItemResult struct {
	ID       string             `json:"id"`
	OK       bool               `json:"ok"`
	Transfer *InterbankTransfer `json:"transfer,omitempty"`
	Code     Code               `json:"code,omitempty"`
	Message  string             `json:"message,omitempty"`
}

// SendBatchResult counts the items settled gross, queued and refused.
type SendBatchResult struct {
	Settled  int              `json:"settled"`
	Queued   int              `json:"queued"`
	Rejected int              `json:"rejected"`
	Results  []SendItemResult `json:"results"`
}

// InterbankTransfer is the record of one transfer, settled gross or in a
// cycle, queued, held, cancelled or rejected.
type InterbankTransfer struct {
	ID             string       `json:"id"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	FromBank       string       `json:"fromBank"`
	ToBank         string       `json:"toBank"`
	FromMSP        string       `json:"fromMsp"`
	ToMSP          string       `json:"toMsp"`
	Amount         money.Amount `json:"amount"`
	Priority       string       `json:"priority"`
	ValueDate      string       `json:"valueDate"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
	Status         string       `json:"status"`
	// Seq orders a payer's queue within a priority: the enqueue time's
	// nanoseconds and the transaction ID.
	Seq       string    `json:"seq"`
	QueuedAt  time.Time `json:"queuedAt"`
	SettledAt time.Time `json:"settledAt,omitzero"`
	// Cycle is the settlement cycle that settled it ("" when settled gross).
	Cycle  string `json:"cycle,omitempty"`
	Reason string `json:"reason,omitempty"`
	TxID   string `json:"txId"`
}

// TransferAction names a transfer.
type TransferAction struct {
	ID string `json:"id"`
}

// Validate checks syntax.
func (r *TransferAction) Validate() error { return ValidateNamespaced("id", r.ID, MaxPaymentIDLen) }

// ReprioritiseRequest changes a queued transfer's priority.
type ReprioritiseRequest struct {
	ID       string `json:"id"`
	Priority string `json:"priority"`
}

// Validate checks syntax.
func (r *ReprioritiseRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	if r.Priority != PriorityUrgent && r.Priority != PriorityNormal {
		return Errorf(CodeInvalidArgument, "priority must be urgent or normal")
	}
	return nil
}

// CycleRequest settles Transfers (queued, not held, value date due) at
// once. Inputs names, for every settlement account whose net position in
// the cycle is a debit, unspent outputs covering that debit. ID reads
// "BANK:local" or "MSP:local" (the submitter's namespace).
type CycleRequest struct {
	ID        string              `json:"id"`
	Transfers []string            `json:"transfers"`
	Inputs    map[string][]string `json:"inputs"`
}

// Validate checks syntax and size (the verification cost is linear in it).
func (r *CycleRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxPaymentIDLen); err != nil {
		return err
	}
	if len(r.Transfers) == 0 || len(r.Transfers) > MaxCycleTransfers {
		return Errorf(CodeBatchTooLarge, "a cycle settles 1 to %d transfers", MaxCycleTransfers)
	}
	if err := validateIDs("transfer", r.Transfers, MaxPaymentIDLen); err != nil {
		return err
	}
	if len(r.Inputs) > MaxCycleBanks {
		return Errorf(CodeInvalidArgument, "inputs name at most %d accounts", MaxCycleBanks)
	}
	for _, acct := range SortedKeys(r.Inputs) {
		if err := ValidateNamespaced("inputs account", acct, MaxIDLen); err != nil {
			return err
		}
		if err := ValidateInputs(r.Inputs[acct], 1); err != nil {
			return err
		}
	}
	return nil
}

// NetPosition is a settlement account's net position in a cycle
// (positive: it receives more than it pays). Amounts on the wire are never
// negative, so its JSON form is {"account", "debit", "credit"}, one of the
// two zero.
type NetPosition struct {
	Account string
	Net     money.Amount
}

type netPositionJSON struct {
	Account string       `json:"account"`
	Debit   money.Amount `json:"debit"`
	Credit  money.Amount `json:"credit"`
}

// MarshalJSON renders the debit/credit form.
func (n NetPosition) MarshalJSON() ([]byte, error) {
	j := netPositionJSON{Account: n.Account}
	if n.Net < 0 {
		j.Debit = -n.Net
	} else {
		j.Credit = n.Net
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the debit/credit form.
func (n *NetPosition) UnmarshalJSON(b []byte) error {
	var j netPositionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Debit != 0 && j.Credit != 0 {
		return Errorf(CodeInvalidArgument, "a net position is a debit or a credit, not both")
	}
	*n = NetPosition{Account: j.Account, Net: j.Credit - j.Debit}
	return nil
}

// CycleResult is what a cycle settled.
type CycleResult struct {
	ID        string        `json:"id"`
	Settled   int           `json:"settled"`
	Gross     money.Amount  `json:"gross"`
	Positions []NetPosition `json:"positions"`
	// Liquidity is the sum of the net debits: what the cycle needed instead
	// of Gross.
	Liquidity money.Amount `json:"liquidity"`
	TxID      string       `json:"txId"`
}

// EndOfDayRequest rejects the named transfers still queued (or held) for
// Date, after that date's end of day, and fixes the day-end balances of the
// named settlement accounts. The calendar decides when the day ends.
type EndOfDayRequest struct {
	Date      string   `json:"date"`
	Transfers []string `json:"transfers"`
	Reason    string   `json:"reason"`
	Accounts  []string `json:"accounts,omitempty"`
}

// Validate checks syntax.
func (r *EndOfDayRequest) Validate() error {
	if _, err := time.ParseInLocation("2006-01-02", r.Date, BusinessZone); err != nil {
		return Errorf(CodeInvalidArgument, "date must be a business date 2006-01-02")
	}
	if len(r.Transfers) > MaxCycleTransfers {
		return Errorf(CodeBatchTooLarge, "at most %d transfers per end-of-day call", MaxCycleTransfers)
	}
	if err := validateIDs("transfer", r.Transfers, MaxPaymentIDLen); err != nil {
		return err
	}
	if len(r.Accounts) > MaxCycleBanks {
		return Errorf(CodeBatchTooLarge, "at most %d accounts per end-of-day call", MaxCycleBanks)
	}
	if err := validateIDs("account", r.Accounts, MaxIDLen); err != nil {
		return err
	}
	return ValidateText("reason", r.Reason, MaxReasonLen, true)
}

// validateIDs checks a list of distinct namespaced IDs.
func validateIDs(what string, ids []string, max int) error {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := ValidateNamespaced(what, id, max); err != nil {
			return err
		}
		if seen[id] {
			return Errorf(CodeInvalidArgument, "%s %s is named twice", what, id)
		}
		seen[id] = true
	}
	return nil
}

// EndOfDayResult lists what was rejected and the day-end balances fixed.
type EndOfDayResult struct {
	Date     string   `json:"date"`
	Rejected []string `json:"rejected"`
	Closed   []DayEnd `json:"closed"`
}

// DayEnd is a settlement account's fixed day-end record: its balance when
// the day was closed and the day's gross interbank flows.
type DayEnd struct {
	Account       string       `json:"account"`
	Date          string       `json:"date"`
	Balance       money.Amount `json:"balance"`
	SentGross     money.Amount `json:"sentGross"`
	ReceivedGross money.Amount `json:"receivedGross"`
	ClosedAt      time.Time    `json:"closedAt"`
	TxID          string       `json:"txId"`
}

// DayRequest pages through the transfers of a value date.
type DayRequest struct {
	Date     string `json:"date"`
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// Validate checks syntax.
func (r *DayRequest) Validate() error {
	if _, err := time.ParseInLocation("2006-01-02", r.Date, BusinessZone); err != nil {
		return Errorf(CodeInvalidArgument, "date must be a business date 2006-01-02")
	}
	return ValidatePage(r.PageSize, r.Bookmark)
}

// TransferPage is one page of transfers.
type TransferPage struct {
	Transfers []InterbankTransfer `json:"transfers"`
	Bookmark  string              `json:"bookmark"`
}

// QueueRequest pages through queued transfers: of one payer account when
// Account is set, else every bank's (issuers and auditors only).
type QueueRequest struct {
	Account  string `json:"account,omitempty"`
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// Validate checks syntax.
func (r *QueueRequest) Validate() error {
	if r.Account != "" {
		if err := ValidateNamespaced("account", r.Account, MaxIDLen); err != nil {
			return err
		}
	}
	return ValidatePage(r.PageSize, r.Bookmark)
}

// QueuePage is one page of queued (and held) transfers, in queue order
// (per payer: queued before held, then priority, then enqueue order).
type QueuePage = TransferPage

// PositionRequest asks for a bank's settlement account position on a date.
type PositionRequest struct {
	Account string `json:"account"`
	Date    string `json:"date,omitempty"`
}

// Validate checks syntax.
func (r *PositionRequest) Validate() error {
	if err := ValidateNamespaced("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if r.Date != "" {
		if _, err := time.ParseInLocation("2006-01-02", r.Date, BusinessZone); err != nil {
			return Errorf(CodeInvalidArgument, "date must be a business date 2006-01-02")
		}
	}
	return nil
}

// CounterpartyFlow is gross settled flow with one counterparty bank.
type CounterpartyFlow struct {
	Bank     string       `json:"bank"`
	Sent     money.Amount `json:"sent"`
	Received money.Amount `json:"received"`
}

// BankPosition is a settlement account's position on a business date.
// Balance is the fixed day-end balance once the day is closed (Fixed),
// the current balance before. Queued amounts are everything waiting now,
// whatever its value date.
type BankPosition struct {
	Account        string             `json:"account"`
	Bank           string             `json:"bank"`
	MSP            string             `json:"msp"`
	Date           string             `json:"date"`
	Balance        money.Amount       `json:"balance"`
	Fixed          bool               `json:"fixed"`
	QueuedOut      money.Amount       `json:"queuedOut"`
	QueuedIn       money.Amount       `json:"queuedIn"`
	SentGross      money.Amount       `json:"sentGross"`
	ReceivedGross  money.Amount       `json:"receivedGross"`
	Counterparties []CounterpartyFlow `json:"counterparties"`
	// Truncated is set when the account had more queued or settled
	// transfers than one position reads (MaxPositionRows); the sums then
	// cover the first MaxPositionRows of each.
	Truncated bool `json:"truncated,omitempty"`
}

// Calendar is the business calendar and the day's schedule, Asia/Shanghai
// wall-clock times "15:04". Weekends and Holidays are not business days.
type Calendar struct {
	Open             string   `json:"open"`
	CustomerCutoff   string   `json:"customerCutoff"`
	InterbankCutoff  string   `json:"interbankCutoff"`
	EndOfDay         string   `json:"endOfDay"`
	WeekendsClosed   bool     `json:"weekendsClosed"`
	Holidays         []string `json:"holidays,omitempty"`
	CycleIntervalSec int      `json:"cycleIntervalSec"`
}

// Validate checks a calendar.
func (c *Calendar) Validate() error {
	for _, t := range []string{c.Open, c.CustomerCutoff, c.InterbankCutoff, c.EndOfDay} {
		if _, err := time.Parse("15:04", t); err != nil || len(t) != 5 {
			return Errorf(CodeInvalidArgument, "calendar times are HH:MM, got %q", t)
		}
	}
	if !(c.Open < c.CustomerCutoff && c.CustomerCutoff <= c.InterbankCutoff && c.InterbankCutoff < c.EndOfDay) {
		return Errorf(CodeInvalidArgument, "calendar needs open < customer cut-off <= interbank cut-off < end of day")
	}
	if len(c.Holidays) > 366 {
		return Errorf(CodeInvalidArgument, "at most 366 holidays")
	}
	for _, h := range c.Holidays {
		if _, err := time.ParseInLocation("2006-01-02", h, BusinessZone); err != nil {
			return Errorf(CodeInvalidArgument, "holiday %q is not a date 2006-01-02", h)
		}
	}
	if c.CycleIntervalSec < 1 || c.CycleIntervalSec > 3600 {
		return Errorf(CodeInvalidArgument, "cycleIntervalSec must be 1 to 3600")
	}
	return nil
}

// DefaultCalendar is the schedule used until a quorum decides another.
func DefaultCalendar() Calendar {
	return Calendar{Open: "08:30", CustomerCutoff: "16:30", InterbankCutoff: "17:00", EndOfDay: "17:30",
		WeekendsClosed: true, CycleIntervalSec: 60}
}

// SortedKeys returns a map's keys in order (deterministic iteration).
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
