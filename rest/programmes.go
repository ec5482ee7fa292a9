package rest

import (
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// Directional appropriation: earmarked fiscal programmes (/v1/programmes).
// A fiscal bureau (role fiscal) defines a programme; the owner bureau's
// checker and every co-funding bureau approve it; tranches are proposed and
// approved the same way and each funder moves its pro-rata share into the
// programme's escrow; disbursement jobs pay recipients from the escrow;
// recipients spend under the programme's rules; what is left at expiry, or
// clawed back by decision, goes back to the funders pro rata.

// KindEscrow is the kind of a programme's escrow account (opened by the
// programme's definition, never by OpenAccount).
const KindEscrow = "escrow"

// Programme statuses.
const (
	ProgrammeProposed = "proposed"
	ProgrammeActive   = "active"
)

// Release rules: where the earmark ends.
const (
	// ReleaseAtTerminal clears the earmark at an eligible terminal payee (a
	// merchant of an allowed category, or a listed payee account).
	ReleaseAtTerminal = "terminal"
	// ReleaseNever keeps the earmark until expiry sweeps it.
	ReleaseNever = "never"
)

// Tranche statuses.
const (
	TrancheProposed = "proposed"
	TrancheApproved = "approved"
	TrancheFunded   = "funded"
)

// Utilisation groupings (GET …/utilisation?by=).
const (
	ByTotal     = "total"
	ByTranche   = "tranche"
	ByProvince  = "province"
	ByRecipient = "recipient"
)

// Flow kinds: every movement of a programme's money.
const (
	FlowFunded    = "funded"
	FlowDisbursed = "disbursed"
	FlowPassedOn  = "passed_on"
	FlowSpent     = "spent"
	FlowReleased  = "released"
	FlowReturned  = "returned"
	FlowClawed    = "clawed"
)

// Disbursement job statuses.
const (
	// JobQueued: accepted, waiting for a free runner.
	JobQueued = "queued"
	// JobRunning: batches are being settled.
	JobRunning = "running"
	// JobDone: every line has its final outcome (paid, already paid or
	// rejected).
	JobDone = "done"
	// JobFailed: the job stopped on an error (see error); its pending lines
	// were not attempted. Sending the same job again resumes it.
	JobFailed = "failed"
)

// Disbursement line statuses.
const (
	LinePending     = "pending"
	LinePaid        = "paid"
	LineAlreadyPaid = "already_paid"
	LineRejected    = "rejected"
)

// Return kinds.
const (
	ReturnSweep    = "sweep"
	ReturnClawback = "clawback"
)

// Limits of programme routes.
const (
	// MaxJobLines bounds the lines of one disbursement job.
	MaxJobLines = 100_000
	// MaxSweepAccounts bounds the accounts one sweep request names.
	MaxSweepAccounts = 1000
	// MaxReturnTransactions bounds the transactions a sweep's answer lists
	// (the rest are counted in omitted).
	MaxReturnTransactions = 1000
)

// Funder is one funding bureau and its share of a programme.
type Funder struct {
	MSP string `json:"msp"`
	// Bureau is the funding bureau's bank code.
	Bureau string `json:"bureau"`
	// Account is the bureau's fiscal account its share is paid from and
	// returned to.
	Account string `json:"account"`
	// Share in basis points; the funders' shares sum to 10,000.
	Share int `json:"share"`
}

// Eligibility says who may receive first-hop disbursements: a listed
// account, or an account of a listed kind (merchants: of a listed
// category), in a listed province when provinces are given.
type Eligibility struct {
	Accounts   []string `json:"accounts,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Provinces  []string `json:"provinces,omitempty"`
}

// SpendingRules say whom recipients may pay with earmarked funds.
type SpendingRules struct {
	PayeeCategories []string `json:"payeeCategories,omitempty"`
	PayeeAccounts   []string `json:"payeeAccounts,omitempty"`
	// PassOn lets a recipient pay another eligible recipient, keeping the
	// earmark.
	PassOn bool `json:"passOn,omitempty"`
}

// ProgrammeRequest defines a programme (POST /v1/programmes). ID and
// Escrow read "BUREAU:local" in the calling bureau's namespace; ValidFrom
// and ValidTo are business dates (Asia/Shanghai) "2006-01-02", inclusive.
// ValidUntil, optional (RFC 3339), ends the programme at that instant
// instead of at the end of ValidTo: active only before it, expired from it
// on; it falls after the start of ValidFrom and on or before the end of
// ValidTo.
type ProgrammeRequest struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Purposes        []string      `json:"purposes"`
	Funders         []Funder      `json:"funders"`
	Escrow          string        `json:"escrow"`
	Budget          money.Amount  `json:"budget"`
	ValidFrom       string        `json:"validFrom"`
	ValidTo         string        `json:"validTo"`
	ValidUntil      *time.Time    `json:"validUntil,omitempty"`
	Eligibility     Eligibility   `json:"eligibility"`
	Spending        SpendingRules `json:"spending"`
	Release         string        `json:"release"`
	PerRecipientCap money.Amount  `json:"perRecipientCap,omitempty"`
}

// Party is one party of a multi-party rule: Identities distinct
// identities of role Role from bank Bank (any bank when empty) of MSP.
type Party struct {
	MSP        string `json:"msp"`
	Bank       string `json:"bank,omitempty"`
	Role       string `json:"role"`
	Identities int    `json:"identities"`
}

// PartyApproval is one identity's recorded approval.
type PartyApproval struct {
	MSP      string    `json:"msp"`
	Bank     string    `json:"bank,omitempty"`
	Role     string    `json:"role"`
	Identity string    `json:"identity"`
	TxID     string    `json:"txId"`
	At       time.Time `json:"at"`
}

// Programme is a programme with its approval rule, approvals and tranches.
type Programme struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Purposes        []string        `json:"purposes"`
	Funders         []Funder        `json:"funders"`
	Escrow          string          `json:"escrow"`
	Budget          money.Amount    `json:"budget"`
	ValidFrom       string          `json:"validFrom"`
	ValidTo         string          `json:"validTo"`
	ValidUntil      *time.Time      `json:"validUntil,omitempty"`
	Eligibility     Eligibility     `json:"eligibility"`
	Spending        SpendingRules   `json:"spending"`
	Release         string          `json:"release"`
	PerRecipientCap money.Amount    `json:"perRecipientCap,omitempty"`
	OwnerMSP        string          `json:"ownerMsp"`
	OwnerBureau     string          `json:"ownerBureau"`
	Status          string          `json:"status"`
	DefinedAt       time.Time       `json:"definedAt"`
	ActivatedAt     *time.Time      `json:"activatedAt,omitempty"`
	Parties         []Party         `json:"parties"`
	Approvals       []PartyApproval `json:"approvals"`
	Tranches        []TrancheInfo   `json:"tranches"`
}

// TrancheInfo is a tranche as a programme lists it.
type TrancheInfo struct {
	No         int          `json:"no"`
	Amount     money.Amount `json:"amount"`
	Date       string       `json:"date"`
	Status     string       `json:"status"`
	ProposedAt time.Time    `json:"proposedAt"`
}

// TrancheRequest proposes tranche No (1 to 999) of an active programme
// (POST /v1/programmes/{id}/tranches); Date is the business date it is for.
type TrancheRequest struct {
	No     int          `json:"no"`
	Amount money.Amount `json:"amount"`
	Date   string       `json:"date"`
}

// Contribution is one funder's deposit of its share of a tranche.
type Contribution struct {
	MSP    string       `json:"msp"`
	Bureau string       `json:"bureau"`
	Amount money.Amount `json:"amount"`
	TxID   string       `json:"txId"`
	At     time.Time    `json:"at"`
}

// Tranche is a tranche with its approvals, contributions and each
// funder's share: the amount the funder pays into the escrow (the
// tranche's amount split pro rata by the funders' shares, the fen left over
// to the first funders, summing to the amount exactly).
type Tranche struct {
	Programme     string          `json:"programme"`
	No            int             `json:"no"`
	Amount        money.Amount    `json:"amount"`
	Date          string          `json:"date"`
	Status        string          `json:"status"`
	ProposedAt    time.Time       `json:"proposedAt"`
	Approvals     []PartyApproval `json:"approvals"`
	Contributions []Contribution  `json:"contributions"`
	Shares        []TrancheShare  `json:"shares"`
}

// TrancheShare is one funder's share of a tranche.
type TrancheShare struct {
	MSP     string       `json:"msp"`
	Bureau  string       `json:"bureau"`
	Account string       `json:"account"`
	Amount  money.Amount `json:"amount"`
}

// FundRequest pays the calling bureau's share of an approved tranche
// (POST …/tranches/{no}/fund) from its fiscal account. With no inputs the
// gateway selects the account's plain outputs.
type FundRequest struct {
	Inputs []string `json:"inputs,omitempty"`
}

// DisbursementLine is one recipient of a disbursement job. Line numbers
// the line within its job: (job, line) is paid at most once, ever. In a
// JSON body either every line gives its number or none does (then the
// lines are numbered 1, 2, … in order); in a CSV body the line number is
// the row number in the file (a header row counts).
type DisbursementLine struct {
	Line      int          `json:"line,omitempty"`
	Recipient string       `json:"recipient"`
	Amount    money.Amount `json:"amount"`
}

// DisbursementRequest is a disbursement job's lines (PUT
// /v1/programmes/{id}/disbursements/{job}, as JSON; the same route takes
// text/csv "recipient,amount" rows with an optional header row).
type DisbursementRequest struct {
	Lines []DisbursementLine `json:"lines"`
}

// DisbursementJob is a disbursement job and its progress. Settled lines
// are paid (by this job's batches) or already paid (the ledger had paid
// them for this job before, e.g. before a gateway restart); both count in
// settledAmount. Line outcomes are read with GET …/lines.
type DisbursementJob struct {
	ID          string       `json:"id"`
	Programme   string       `json:"programme"`
	Status      string       `json:"status"`
	Lines       int          `json:"lines"`
	Pending     int          `json:"pending"`
	Paid        int          `json:"paid"`
	AlreadyPaid int          `json:"alreadyPaid"`
	Rejected    int          `json:"rejected"`
	Amount      money.Amount `json:"amount"`
	// SettledAmount is what paid and already-paid lines carried.
	SettledAmount money.Amount `json:"settledAmount"`
	// Batches counts the committed disbursement transactions, InFlight those
	// being settled now.
	Batches    int        `json:"batches"`
	InFlight   int        `json:"inFlight"`
	LastTxID   string     `json:"lastTxId,omitempty"`
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Error is why a failed job stopped.
	Error *Error `json:"error,omitempty"`
}

// JobLine is one line of a disbursement job and its outcome. A rejected
// line changed nothing; Code says why.
type JobLine struct {
	Line      int          `json:"line"`
	Recipient string       `json:"recipient"`
	Amount    money.Amount `json:"amount"`
	Status    string       `json:"status"`
	Code      string       `json:"code,omitempty"`
	Message   string       `json:"message,omitempty"`
	Output    string       `json:"output,omitempty"`
	TxID      string       `json:"txId,omitempty"`
}

// JobLinePage is one page of a job's lines, in line order.
type JobLinePage struct {
	Lines    []JobLine `json:"lines"`
	Bookmark string    `json:"bookmark"`
}

// SpendRequest pays with the payer's funds earmarked for the programme
// (POST /v1/programmes/{id}/spends), under the programme's rules. The
// payment ID is the idempotency key, as for POST /v1/payments. The gateway
// selects the payer's earmarked outputs of one tranche (a payment cannot
// combine tranches).
type SpendRequest struct {
	PaymentID      string       `json:"paymentId"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	Amount         money.Amount `json:"amount"`
	Purpose        string       `json:"purpose,omitempty"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
}

// Usage is one row of utilisation: flow totals and balances:
//
//	escrow = funded − disbursed − returnedFromEscrow
//	held   = disbursed + transferredIn − transferredOut − released
//	         − (returned − returnedFromEscrow) − clawedBack
//
// transferredIn and transferredOut are earmarked funds one holder paid
// another keeping the earmark (passed on to another recipient, or spent
// at a payee where the earmark is not released). The total row and rows
// by tranche are the whole programme's: both sides of such a transfer
// cancel there, and funded = escrow + held + released + returned +
// clawedBack. Rows by recipient (a holder's account: a first-hop recipient,
// a recipient funds were passed on to, a payee keeping the earmark) and by
// province (the holders' province) are holders' rows: what moved the
// holders' own funds, with held, what they hold; funded and
// returnedFromEscrow are zero there and escrow is absent (the escrow is
// the total's). A negative balance (an identity is broken) is left out,
// and on the total row balanced is false.
type Usage struct {
	Key                string        `json:"key"`
	Funded             money.Amount  `json:"funded"`
	Disbursed          money.Amount  `json:"disbursed"`
	TransferredIn      money.Amount  `json:"transferredIn"`
	TransferredOut     money.Amount  `json:"transferredOut"`
	Released           money.Amount  `json:"released"`
	Returned           money.Amount  `json:"returned"`
	ReturnedFromEscrow money.Amount  `json:"returnedFromEscrow"`
	ClawedBack         money.Amount  `json:"clawedBack"`
	Escrow             *money.Amount `json:"escrow,omitempty"`
	Held               *money.Amount `json:"held,omitempty"`
}

// Utilisation is a programme's utilisation over all its flows: the total
// row, whether it balances, and one page of rows by the grouping asked for
// (rows sorted by key). Balanced says that no balance is negative, that the
// identity funded = escrow + held + released + returned + clawedBack holds,
// and, when escrowChecked, that the escrow's earmarked outputs on the ledger
// (escrowOutputs) equal the escrow balance.
type Utilisation struct {
	Programme     string       `json:"programme"`
	By            string       `json:"by"`
	Budget        money.Amount `json:"budget"`
	Flows         int          `json:"flows"`
	Total         Usage        `json:"total"`
	Balanced      bool         `json:"balanced"`
	EscrowChecked bool         `json:"escrowChecked"`
	EscrowOutputs money.Amount `json:"escrowOutputs"`
	Rows          []Usage      `json:"rows"`
	Bookmark      string       `json:"bookmark"`
}

// Flow is one movement of a programme's money.
type Flow struct {
	Kind    string `json:"kind"`
	Tranche int    `json:"tranche,omitempty"`
	From    string `json:"from"`
	To      string `json:"to"`
	// FromEscrow marks returns taken from the escrow.
	FromEscrow bool `json:"fromEscrow,omitempty"`
	// FromMSP is the paying holder's province, ToMSP the receiving
	// account's.
	FromMSP   string       `json:"fromMsp,omitempty"`
	ToMSP     string       `json:"toMsp,omitempty"`
	Amount    money.Amount `json:"amount"`
	Output    string       `json:"output,omitempty"`
	Inputs    []string     `json:"inputs,omitempty"`
	Reference string       `json:"reference"`
	TxID      string       `json:"txId"`
	At        time.Time    `json:"at"`
}

// Lineage traces an earmarked output back to its programme, tranche and
// disbursement: the hops from the output back to the disbursement.
type Lineage struct {
	Output    Output   `json:"output"`
	Programme string   `json:"programme"`
	Tranche   int      `json:"tranche"`
	Hops      []Flow   `json:"hops"`
	TxIDs     []string `json:"txIds"`
}

// ClawbackRequest proposes to claw a holder's earmarked funds of the
// programme back before expiry (POST /v1/programmes/{id}/clawbacks). ID
// reads "BUREAU:local" with the owner bureau's code. It needs the owner
// bureau and the compliance of the holder's province.
type ClawbackRequest struct {
	ID      string `json:"id"`
	Account string `json:"account"`
}

// Clawback is a clawback decision with its rule and approvals. Status is
// pending until an execution leaves the holder with no earmarked funds of
// the programme, then executed (closedAt). Runs counts the executions (each
// returns at most 100 outputs), returned what they returned.
type Clawback struct {
	ID         string          `json:"id"`
	Programme  string          `json:"programme"`
	Account    string          `json:"account"`
	HolderMSP  string          `json:"holderMsp"`
	Status     string          `json:"status"`
	ProposedAt time.Time       `json:"proposedAt"`
	Runs       int             `json:"runs"`
	Returned   money.Amount    `json:"returned"`
	ClosedAt   *time.Time      `json:"closedAt,omitempty"`
	Parties    []Party         `json:"parties"`
	Approvals  []PartyApproval `json:"approvals"`
	// Approved: the rule holds; the clawback can be executed.
	Approved bool `json:"approved"`
}

// ClawbackExecuteRequest carries out an approved clawback (POST
// …/clawbacks/{clawback}/execute; the body is optional): the gateway reads
// the clawback's holder and its earmarked outputs of the programme and
// returns them to the funders, run after run, until none is left (the
// clawback closes) or the request's bound of runs is reached (sending it
// again continues). Account, when given, must name the clawback's holder
// (kept for older clients; the gateway reads the holder from the
// clawback).
type ClawbackExecuteRequest struct {
	Account string `json:"account,omitempty"`
}

// SweepRequest returns an expired programme's earmarked funds to the
// funders pro rata (POST /v1/programmes/{id}/sweeps). With accounts, those
// accounts are swept; without, the escrow and every holder the
// utilisation by recipient shows holding funds (first-hop recipients and
// the accounts funds were passed on to).
type SweepRequest struct {
	Accounts []string `json:"accounts,omitempty"`
}

// FunderAmount is an amount returned to a funder's account (Output is the
// new output; totals have none).
type FunderAmount struct {
	Account string       `json:"account"`
	Amount  money.Amount `json:"amount"`
	Output  string       `json:"output,omitempty"`
}

// ReturnTx is one return transaction: up to 100 of one account's
// earmarked outputs back to the funders.
type ReturnTx struct {
	TxID        string         `json:"txId"`
	BlockNumber uint64         `json:"blockNumber"`
	Account     string         `json:"account"`
	Amount      money.Amount   `json:"amount"`
	Inputs      int            `json:"inputs"`
	Returned    []FunderAmount `json:"returned"`
}

// ReturnReport is what a sweep or an executed clawback returned: every
// transaction (at most MaxReturnTransactions listed, the rest counted in
// omitted), the totals per funder account, and what is left earmarked
// afterwards (clawback: in the holder's account, zero once the clawback
// closed; sweep: the programme's escrow and held balances, i.e. funds in
// accounts the sweep did not reach). Closed (clawback) says the clawback
// closed: the holder has no earmarked funds of the programme left.
type ReturnReport struct {
	Programme    string         `json:"programme"`
	Kind         string         `json:"kind"`
	Accounts     int            `json:"accounts"`
	Amount       money.Amount   `json:"amount"`
	Transactions []ReturnTx     `json:"transactions"`
	Omitted      int            `json:"omitted,omitempty"`
	Funders      []FunderAmount `json:"funders"`
	Left         money.Amount   `json:"left"`
	Closed       bool           `json:"closed,omitempty"`
}

// Gateway codes of the programme routes.
const (
	CodeJobIDReused  = "JOB_ID_REUSED"
	CodeJobNotFound  = "JOB_NOT_FOUND"
	CodeEarmarkSplit = "EARMARK_SPLIT"
	CodeTooManyRows  = "TOO_MANY_ROWS"
)

var programmeCodes = []CodeInfo{
	{CodeJobIDReused, 422, false, "the disbursement job ID was used for different lines (or by another client); details.job is the existing job"},
	{CodeJobNotFound, 404, false, "no such disbursement job of this client and programme"},
	{CodeEarmarkSplit, 422, false, "the payer's earmarked funds cover the amount only across tranches, which one payment cannot combine; pay in parts (details.tranches)"},
	{CodeTooManyRows, 422, false, "the utilisation has more distinct keys than the gateway aggregates at once; group by total, tranche or province"},
}

// Keys of Error.Details on programme routes.
const (
	// DetailJob is the existing job (DisbursementJob) on JOB_ID_REUSED.
	DetailJob = "job"
	// DetailTranches maps tranche numbers to the payer's earmarked total
	// in each, on EARMARK_SPLIT.
	DetailTranches = "tranches"
	// DetailLine is the line number a body error is about.
	DetailLine = "line"
)
