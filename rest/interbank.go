package rest

import (
	"net/http"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// Interbank settlement (/v1/interbank): transfers between banks' settlement
// accounts. A transfer settles gross on arrival when the payer's balance
// covers it and nothing of equal or higher priority waits in its queue;
// otherwise it waits in the payer's queue, where its bank may cancel, hold,
// release or re-prioritise it, until a liquidity-saving cycle settles it
// together with others (each still recorded gross) or the end of its value
// date rejects it. Business dates are Asia/Shanghai dates "2006-01-02".

// Priorities, most urgent first.
const (
	PriorityUrgent = api.PriorityUrgent
	PriorityNormal = api.PriorityNormal
)

// Interbank transfer statuses.
const (
	TransferQueued    = api.TransferQueued
	TransferHeld      = api.TransferHeld
	TransferSettled   = api.TransferSettled
	TransferCancelled = api.TransferCancelled
	TransferRejected  = api.TransferRejected
)

// Sides of a net amount.
const (
	NetDebit  = "debit"  // pays more than it receives
	NetCredit = "credit" // receives more than it pays
	NetFlat   = "flat"   // zero
)

// Cycle outcomes (CycleRun.Status).
const (
	CycleSettled = "settled"
	// CycleNothingToSettle: no queued transfer is due, or none can settle
	// against the balances read.
	CycleNothingToSettle = "nothing_to_settle"
)

// Limits of the interbank routes.
const (
	// MaxRemittanceBytes bounds a transfer's remittance details.
	MaxRemittanceBytes = api.MaxRemittanceBytes
	// MaxCycleTransfers is the most transfers one cycle settles.
	MaxCycleTransfers = api.MaxCycleTransfers
	// MaxListedIDs bounds the transfer IDs a day's close lists (the rest
	// are counted).
	MaxListedIDs = 1000
)

// InterbankTransferRequest sends a transfer (POST /v1/interbank/transfers)
// from a settlement account of the caller's bank to another bank's. ID
// reads "BANK:local" (the paying bank's end-to-end ID) and is the
// idempotency key: a repeat with the same body answers 409
// DUPLICATE_PAYMENT, with a different body 422 PAYMENT_ID_REUSED, both with
// the stored transfer in details.transfer (priority is not compared: the
// bank may have changed it since). ValueDate empty means the earliest
// (today before the interbank cut-off). Remittance, when given, goes to the
// two provinces' private collection only (never a block); the transfer
// carries its hash.
type InterbankTransferRequest struct {
	ID         string       `json:"id"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	Amount     money.Amount `json:"amount"`
	Priority   string       `json:"priority"`
	ValueDate  string       `json:"valueDate,omitempty"`
	Remittance string       `json:"remittance,omitempty"`
}

// InterbankTransfer is a transfer's record: settled (gross, or by cycle
// Cycle), queued, held, cancelled or rejected (with its reason).
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
	QueuedAt       time.Time    `json:"queuedAt"`
	SettledAt      *time.Time   `json:"settledAt,omitempty"`
	Cycle          string       `json:"cycle,omitempty"`
	Reason         string       `json:"reason,omitempty"`
	TxID           string       `json:"txId"`
}

// PriorityRequest changes a waiting transfer's priority.
type PriorityRequest struct {
	Priority string `json:"priority"`
}

// Remittance is a transfer's private remittance record: the details and
// the salt (hex) whose record hashes to the transfer's remittanceHash.
type Remittance struct {
	ID      string `json:"id"`
	Details string `json:"details"`
	Salt    string `json:"salt"`
}

// InterbankTransferPage is one page of transfers.
type InterbankTransferPage struct {
	Transfers []InterbankTransfer `json:"transfers"`
	Bookmark  string              `json:"bookmark"`
}

// CounterpartyFlow is the gross value settled with one counterparty bank
// on a date.
type CounterpartyFlow struct {
	Bank     string       `json:"bank"`
	Sent     money.Amount `json:"sent"`
	Received money.Amount `json:"received"`
}

// BankPosition is a settlement account's position on a business date:
// the balance (the fixed day-end balance once the day is closed, Fixed),
// what waits in and out of its queues now (any value date), and the date's
// gross settled flows per counterparty bank. Truncated: the account had
// more queued or settled transfers than one position sums.
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
	Truncated      bool               `json:"truncated,omitempty"`
}

// InterbankStatement is a settlement account's position on a business
// date and one page of its statement entries of that date (00:00 to 24:00
// Asia/Shanghai).
type InterbankStatement struct {
	Position BankPosition     `json:"position"`
	Entries  []StatementEntry `json:"entries"`
	Bookmark string           `json:"bookmark"`
}

// Net is a signed amount as a side and a non-negative amount.
type Net struct {
	Side   string       `json:"side"`
	Amount money.Amount `json:"amount"`
}

// NetPosition is a settlement account's net over a cycle.
type NetPosition struct {
	Account string `json:"account"`
	Net     Net    `json:"net"`
}

// Cycle is a settled liquidity-saving cycle: Gross settled (each transfer
// recorded gross) for Liquidity, the sum of the net debits.
type Cycle struct {
	ID          string        `json:"id"`
	Settled     int           `json:"settled"`
	Transfers   []string      `json:"transfers"`
	Gross       money.Amount  `json:"gross"`
	Liquidity   money.Amount  `json:"liquidity"`
	Positions   []NetPosition `json:"positions"`
	TxID        string        `json:"txId"`
	BlockNumber uint64        `json:"blockNumber"`
}

// CycleRun is the outcome of running one cycle (POST
// /v1/interbank/cycles): how many waiting transfers the gateway read,
// how many were due, and the cycle it settled (none when Status is
// nothing_to_settle). Truncated: the queue held more than the gateway reads
// at once (the rest waits for the next cycle); Capped: the cycle limits
// left settleable transfers for the next cycle; Attempts: 2 when the first
// cycle lost a race and was recomputed.
type CycleRun struct {
	Status    string `json:"status"`
	Queued    int    `json:"queued"`
	Due       int    `json:"due"`
	Truncated bool   `json:"truncated,omitempty"`
	Capped    bool   `json:"capped,omitempty"`
	Attempts  int    `json:"attempts"`
	Cycle     *Cycle `json:"cycle,omitempty"`
}

// DayEnd is a settlement account's fixed day-end record.
type DayEnd struct {
	Account       string       `json:"account"`
	Date          string       `json:"date"`
	Balance       money.Amount `json:"balance"`
	SentGross     money.Amount `json:"sentGross"`
	ReceivedGross money.Amount `json:"receivedGross"`
	ClosedAt      time.Time    `json:"closedAt"`
	TxID          string       `json:"txId"`
}

// DayClose is what closing a business day did (POST
// /v1/interbank/days/{date}/close): the final cycle, the transfers of the
// date read, those still waiting that were rejected (at most MaxListedIDs
// listed), the day-end balances fixed now (an account closed before is not
// listed again) and the end-of-day transactions.
type DayClose struct {
	Date         string    `json:"date"`
	Cycle        *CycleRun `json:"cycle,omitempty"`
	Transfers    int       `json:"transfers"`
	Rejected     int       `json:"rejected"`
	RejectedIDs  []string  `json:"rejectedIds"`
	Closed       []DayEnd  `json:"closed"`
	Transactions []string  `json:"transactions"`
}

// StatusTotal counts a date's transfers of one status and their value.
type StatusTotal struct {
	Status string       `json:"status"`
	Count  int          `json:"count"`
	Value  money.Amount `json:"value"`
}

// BankNet is a bank's settled gross flows of a date and its net.
type BankNet struct {
	Bank     string       `json:"bank"`
	MSP      string       `json:"msp"`
	Sent     money.Amount `json:"sent"`
	Received money.Amount `json:"received"`
	Net      Net          `json:"net"`
}

// ProvinceFlow is the value settled from one province to another.
type ProvinceFlow struct {
	FromMSP string       `json:"fromMsp"`
	ToMSP   string       `json:"toMsp"`
	Count   int          `json:"count"`
	Value   money.Amount `json:"value"`
}

// Reconciliation is a value date's reconciliation over every transfer the
// caller may see: each counted under exactly one status, each bank's
// settled flows, the flows between provinces, and the sum of the banks'
// nets, which is flat (Balanced) when the day reconciles.
type Reconciliation struct {
	Date      string         `json:"date"`
	Transfers int            `json:"transfers"`
	Statuses  []StatusTotal  `json:"statuses"`
	Banks     []BankNet      `json:"banks"`
	Pairs     []ProvinceFlow `json:"pairs"`
	NetTotal  Net            `json:"netTotal"`
	Balanced  bool           `json:"balanced"`
}

// Calendar is the business calendar: Asia/Shanghai wall-clock times
// "15:04"; weekends (when closed) and holidays are not business days;
// cycles run every CycleIntervalSec seconds.
type Calendar struct {
	Open             string   `json:"open"`
	CustomerCutoff   string   `json:"customerCutoff"`
	InterbankCutoff  string   `json:"interbankCutoff"`
	EndOfDay         string   `json:"endOfDay"`
	WeekendsClosed   bool     `json:"weekendsClosed"`
	Holidays         []string `json:"holidays"`
	CycleIntervalSec int      `json:"cycleIntervalSec"`
}

// Gateway codes and details of the interbank routes. NOT_QUEUED and
// DAY_OPEN are the chaincode's (package api) and pass through.
const (
	CodeNotQueued = string(api.CodeNotQueued)
	CodeDayOpen   = string(api.CodeDayOpen)
	// CodeDayTooLarge: a business day holds more transfers than the
	// gateway reconciles or closes at once.
	CodeDayTooLarge = "DAY_TOO_LARGE"

	// DetailTransfer is the stored transfer (InterbankTransfer) on
	// DUPLICATE_PAYMENT and PAYMENT_ID_REUSED answers of
	// POST /v1/interbank/transfers.
	DetailTransfer = "transfer"
)

var interbankCodes = []CodeInfo{
	{CodeDayTooLarge, http.StatusUnprocessableEntity, false, "the business day holds more interbank transfers than this gateway reconciles or closes at once (interbank.maxDayTransfers); page through GET …/days/{date}/transfers instead"},
}
