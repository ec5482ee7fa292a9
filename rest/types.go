package rest

import (
	"encoding/json"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// Committed is the answer to a committed write: the transaction and the
// operation's result.
type Committed[T any] struct {
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	Result      T      `json:"result"`
}

// Accepted is the answer to an asynchronous write (?async=true).
type Accepted struct {
	OperationID string `json:"operationId"`
	Status      string `json:"status"`
	StatusURL   string `json:"statusUrl"`
}

// Operation statuses.
const (
	OpPending   = "pending"
	OpCommitted = "committed"
	OpFailed    = "failed"
	// OpInterrupted: the gateway restarted while the write ran; it may or
	// may not have committed. Look the business ID up (e.g. the payment).
	OpInterrupted = "interrupted"
)

// Operation is the state of an asynchronous write.
type Operation struct {
	OperationID string    `json:"operationId"`
	Route       string    `json:"route"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	// Result is the Committed answer once committed.
	Result json.RawMessage `json:"result,omitempty"`
	// Error is the error once failed.
	Error *Error `json:"error,omitempty"`
}

// Account kinds, statuses and tiers.
const (
	KindReserve    = "reserve"
	KindCustomer   = "customer"
	KindFiscal     = "fiscal"
	KindMerchant   = "merchant"
	KindSettlement = "settlement"

	StatusActive = "active"
	StatusFrozen = "frozen"
	StatusClosed = "closed"

	TierClassII   = "class-II"
	TierClassIV   = "class-IV"
	TierUnlimited = "unlimited"
)

// OpenAccountRequest opens an account of the caller's bank (POST
// /v1/accounts). The ID reads "BANK:local" with the bank's code.
// CustomerRef (an ID number, a phone) is required for customer accounts; it
// never leaves the gateway: the gateway sends a keyed hash made with its
// bank's secret. MerchantCategory (4 digits) is required for merchants.
type OpenAccountRequest struct {
	ID               string `json:"id"`
	Kind             string `json:"kind"`
	Tier             string `json:"tier,omitempty"`
	CustomerRef      string `json:"customerRef,omitempty"`
	MerchantCategory string `json:"merchantCategory,omitempty"`
}

// Account is an account record. Its balance is GET …/balance.
type Account struct {
	ID               string `json:"id"`
	OwnerMSP         string `json:"ownerMsp"`
	Bank             string `json:"bank"`
	Kind             string `json:"kind"`
	Tier             string `json:"tier"`
	MerchantCategory string `json:"merchantCategory,omitempty"`
	Status           string `json:"status"`
	// ReasonHash commits to a freeze reason kept in the province's private
	// data; the reason itself is never in a block.
	ReasonHash      string    `json:"reasonHash,omitempty"`
	CustomerRefHash string    `json:"customerRefHash,omitempty"`
	OpenedAt        time.Time `json:"openedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// FreezeRequest freezes an account. The reason goes to the province's
// private data only.
type FreezeRequest struct {
	Reason string `json:"reason"`
}

// Balance is an account's balance: the sum of its unspent outputs.
type Balance struct {
	Account string       `json:"account"`
	Balance money.Amount `json:"balance"`
}

// Earmark marks an output as a programme's money: it may only be spent as
// the programme allows.
type Earmark struct {
	Programme string `json:"programme"`
	Tranche   int    `json:"tranche"`
}

// Output is one unspent output of an account.
type Output struct {
	ID        string       `json:"id"`
	Account   string       `json:"account"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	Earmark   *Earmark     `json:"earmark,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
}

// OutputPage is one page of an account's unspent outputs.
type OutputPage struct {
	Outputs  []Output `json:"outputs"`
	Bookmark string   `json:"bookmark"`
}

// Statement entry types.
const (
	EntryDebit  = "debit"
	EntryCredit = "credit"
	EntryMint   = "mint"
	EntryRedeem = "redeem"
)

// StatementEntry is one line of an account statement.
type StatementEntry struct {
	Account      string       `json:"account"`
	Timestamp    time.Time    `json:"timestamp"`
	TxID         string       `json:"txId"`
	Seq          int          `json:"seq"`
	Type         string       `json:"type"`
	Reference    string       `json:"reference"`
	Counterparty string       `json:"counterparty,omitempty"`
	Amount       money.Amount `json:"amount"`
}

// StatementPage is one page of an account statement.
type StatementPage struct {
	Entries  []StatementEntry `json:"entries"`
	Bookmark string           `json:"bookmark"`
}

// MergeRequest consolidates an account's outputs into one. With no inputs
// the gateway picks up to MaxInputs of the smallest unlocked outputs.
type MergeRequest struct {
	MergeID   string   `json:"mergeId"`
	Inputs    []string `json:"inputs,omitempty"`
	MaxInputs int      `json:"maxInputs,omitempty"`
}

// Merge is the record of a consolidation.
type Merge struct {
	MergeID   string       `json:"mergeId"`
	Account   string       `json:"account"`
	Inputs    []string     `json:"inputs"`
	Output    string       `json:"output"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	Timestamp time.Time    `json:"timestamp"`
}

// Mint is the record of an issuance; MintID is the proposal that decided it.
type Mint struct {
	MintID     string       `json:"mintId"`
	Account    string       `json:"account"`
	Amount     money.Amount `json:"amount"`
	ReserveRef string       `json:"reserveRef"`
	Output     string       `json:"output"`
	Supply     money.Amount `json:"supply"`
	TxID       string       `json:"txId"`
	Timestamp  time.Time    `json:"timestamp"`
}

// Redemption is the record of a redemption; RedeemID is the proposal that
// decided it.
type Redemption struct {
	RedeemID      string       `json:"redeemId"`
	Account       string       `json:"account"`
	Amount        money.Amount `json:"amount"`
	Inputs        []string     `json:"inputs"`
	ChangeOutputs []string     `json:"changeOutputs"`
	Supply        money.Amount `json:"supply"`
	TxID          string       `json:"txId"`
	Timestamp     time.Time    `json:"timestamp"`
}

// Proposal actions.
const (
	ActionMint    = "mint"
	ActionRedeem  = "redeem"
	ActionCeiling = "ceiling"
	ActionConfig  = "config"
	// ActionCalendar replaces the interbank business calendar.
	ActionCalendar = "calendar"
)

// Proposal statuses.
const (
	ProposalPending   = "pending"
	ProposalExecuted  = "executed"
	ProposalCancelled = "cancelled"
)

// ProposalRequest proposes a decision that needs several parties (POST
// /v1/proposals): issuing into or redeeming from the proposing province's
// reserve, or a province's issuance ceiling (issuers of three provinces),
// or a configuration change (admins of three provinces). ID reads
// "MSP:local". Exactly the parameters of Action are set.
type ProposalRequest struct {
	ID         string         `json:"id"`
	Action     string         `json:"action"`
	Mint       *MintParams    `json:"mint,omitempty"`
	Redeem     *RedeemParams  `json:"redeem,omitempty"`
	Ceiling    *CeilingParams `json:"ceiling,omitempty"`
	Config     *Config        `json:"config,omitempty"`
	Calendar   *Calendar      `json:"calendar,omitempty"`
	TTLSeconds int            `json:"ttlSeconds,omitempty"`
}

// MintParams issues Amount into a reserve account against a reserve
// (fiat deposit) reference.
type MintParams struct {
	Account    string       `json:"account"`
	Amount     money.Amount `json:"amount"`
	ReserveRef string       `json:"reserveRef"`
}

// RedeemParams burns Amount of a reserve account.
type RedeemParams struct {
	Account string       `json:"account"`
	Amount  money.Amount `json:"amount"`
}

// CeilingParams sets a province's issuance ceiling.
type CeilingParams struct {
	MSP     string       `json:"msp"`
	Ceiling money.Amount `json:"ceiling"`
}

// Config is the channel configuration the chaincode reads from the ledger.
type Config struct {
	Orgs []string `json:"orgs"`
	// BankPrefixes maps each province's MSP ID to the prefix every one of
	// its bank codes starts with.
	BankPrefixes        map[string]string `json:"bankPrefixes"`
	OwnerEndorsers      int               `json:"ownerEndorsers"`
	Quorum              int               `json:"quorum"`
	MaxClockSkewSeconds int               `json:"maxClockSkewSeconds,omitempty"`
}

// Rule says who must approve: identities of Role from at least Provinces
// provinces.
type Rule struct {
	Role       string `json:"role"`
	Provinces  int    `json:"provinces"`
	Identities int    `json:"identities"`
}

// Approval is one identity's recorded approval.
type Approval struct {
	MSP      string    `json:"msp"`
	Identity string    `json:"identity"`
	Role     string    `json:"role"`
	TxID     string    `json:"txId"`
	At       time.Time `json:"at"`
}

// Proposal is a proposal with its approvals.
type Proposal struct {
	ID          string         `json:"id"`
	Action      string         `json:"action"`
	Mint        *MintParams    `json:"mint,omitempty"`
	Redeem      *RedeemParams  `json:"redeem,omitempty"`
	Ceiling     *CeilingParams `json:"ceiling,omitempty"`
	Config      *Config        `json:"config,omitempty"`
	Calendar    *Calendar      `json:"calendar,omitempty"`
	Rule        Rule           `json:"rule"`
	ProposerMSP string         `json:"proposerMsp"`
	Status      string         `json:"status"`
	CreatedAt   time.Time      `json:"createdAt"`
	ExpiresAt   time.Time      `json:"expiresAt"`
	ClosedAt    *time.Time     `json:"closedAt,omitempty"`
	Approvals   []Approval     `json:"approvals"`
	// Approved: the rule holds; the proposal can be executed.
	Approved bool `json:"approved"`
}

// ExecuteRequest carries out an approved proposal. For a redemption the
// gateway selects the reserve's inputs when none are given.
type ExecuteRequest struct {
	Inputs []string `json:"inputs,omitempty"`
}

// Execution is what carrying out a proposal did.
type Execution struct {
	Proposal   Proposal    `json:"proposal"`
	Mint       *Mint       `json:"mint,omitempty"`
	Redemption *Redemption `json:"redemption,omitempty"`
	Ceiling    *Ceiling    `json:"ceiling,omitempty"`
	Config     *Config     `json:"config,omitempty"`
	Calendar   *Calendar   `json:"calendar,omitempty"`
}

// Ceiling is a province's issuance ceiling and what it issued, net of
// redemptions.
type Ceiling struct {
	MSP       string       `json:"msp"`
	Ceiling   money.Amount `json:"ceiling"`
	Issued    money.Amount `json:"issued"`
	UpdatedAt time.Time    `json:"updatedAt"`
}

// PaymentRequest moves money (POST /v1/payments). The payment ID is the
// idempotency key: a repeat with the same body answers 409 with the
// original payment, with a different body 422 PAYMENT_ID_REUSED. With no
// inputs the gateway selects them.
type PaymentRequest struct {
	PaymentID      string       `json:"paymentId"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	Amount         money.Amount `json:"amount"`
	Purpose        string       `json:"purpose,omitempty"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
	Inputs         []string     `json:"inputs,omitempty"`
	ChangeSplit    int          `json:"changeSplit,omitempty"`
}

// Payment is the record of a settled payment.
type Payment struct {
	PaymentID      string       `json:"paymentId"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	FromMSP        string       `json:"fromMsp"`
	ToMSP          string       `json:"toMsp"`
	FromBank       string       `json:"fromBank"`
	ToBank         string       `json:"toBank"`
	Amount         money.Amount `json:"amount"`
	Purpose        string       `json:"purpose,omitempty"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
	Inputs         []string     `json:"inputs"`
	PayeeOutput    string       `json:"payeeOutput"`
	ChangeOutputs  []string     `json:"changeOutputs"`
	TxID           string       `json:"txId"`
	Timestamp      time.Time    `json:"timestamp"`
}

// BatchRequest settles up to MaxBatchItems payments in one transaction.
type BatchRequest struct {
	Items []PaymentRequest `json:"items"`
}

// BatchResult has one result per item, in order. An item that failed
// changed nothing; the others settled.
type BatchResult struct {
	Settled  int          `json:"settled"`
	Rejected int          `json:"rejected"`
	Results  []ItemResult `json:"results"`
}

// ItemResult is one batch item's outcome.
type ItemResult struct {
	PaymentID string   `json:"paymentId"`
	OK        bool     `json:"ok"`
	Code      string   `json:"code,omitempty"`
	Message   string   `json:"message,omitempty"`
	Payment   *Payment `json:"payment,omitempty"`
}

// Supply is the total of tokens in circulation.
type Supply struct {
	Total     money.Amount `json:"total"`
	TxID      string       `json:"txId,omitempty"`
	UpdatedAt time.Time    `json:"updatedAt"`
}

// SupplyAudit compares the supply with the sum of every unspent output.
type SupplyAudit struct {
	Supply       money.Amount `json:"supply"`
	OutputsTotal money.Amount `json:"outputsTotal"`
	Outputs      int          `json:"outputs"`
	Balanced     bool         `json:"balanced"`
}

// PingRequest writes a ping record (an end-to-end check of the write path).
type PingRequest struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

// Ping is a ping record.
type Ping struct {
	ID     string `json:"id"`
	Note   string `json:"note"`
	MSPID  string `json:"mspId"`
	Role   string `json:"role"`
	TxID   string `json:"txId"`
	TxTime string `json:"txTime"`
}

// WhoAmI is the caller as the chaincode sees its ledger identity.
type WhoAmI struct {
	Client string `json:"client"`
	MSPID  string `json:"mspId"`
	ID     string `json:"id"`
	Role   string `json:"role"`
	Bank   string `json:"bank,omitempty"`
}

// Network is what this gateway is connected to.
type Network struct {
	MSPID            string `json:"mspId"`
	Channel          string `json:"channel"`
	Chaincode        string `json:"chaincode"`
	Peer             string `json:"peer"`
	ChaincodeVersion string `json:"chaincodeVersion"`
}

// Health is /healthz's and /readyz's answer.
type Health struct {
	Status           string `json:"status"`
	ChaincodeVersion string `json:"chaincodeVersion,omitempty"`
}

// SSEEventName is the SSE event name of GET /v1/events.
const SSEEventName = "tx"

// TxEvents is the data of one Server-Sent Event of GET /v1/events: the
// business events of one committed transaction that the client may see.
// The SSE id is "block:index", the resume position.
type TxEvents struct {
	TxID      string    `json:"txId"`
	Block     uint64    `json:"block"`
	Timestamp time.Time `json:"timestamp"`
	Events    []Event   `json:"events"`
}

// Event is one business event. Fields not relevant to its type are omitted.
// A client receives only events about its own bank (bank roles), its
// province (compliance, admins) or all (auditors).
type Event struct {
	Type     string       `json:"type"`
	ID       string       `json:"id"`
	Account  string       `json:"account,omitempty"`
	MSP      string       `json:"msp,omitempty"`
	Bank     string       `json:"bank,omitempty"`
	From     string       `json:"from,omitempty"`
	To       string       `json:"to,omitempty"`
	FromMSP  string       `json:"fromMsp,omitempty"`
	ToMSP    string       `json:"toMsp,omitempty"`
	FromBank string       `json:"fromBank,omitempty"`
	ToBank   string       `json:"toBank,omitempty"`
	Amount   money.Amount `json:"amount,omitempty"`
	Action   string       `json:"action,omitempty"`
	// Programme, Tranche and Count describe programme events (Count: the
	// lines a disbursement paid).
	Programme string `json:"programme,omitempty"`
	Tranche   int    `json:"tranche,omitempty"`
	Count     int    `json:"count,omitempty"`
	// Cycle names the settlement cycle that settled an interbank transfer
	// (empty when it settled gross); ValueDate and Priority describe one.
	Cycle     string `json:"cycle,omitempty"`
	ValueDate string `json:"valueDate,omitempty"`
	Priority  string `json:"priority,omitempty"`
}
