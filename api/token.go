package api

import (
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// ContractToken is the namespace of the token contract.
const ContractToken = "token"

// TransientFreezeReason and TransientFreezeSalt carry a freeze reason and
// a random salt (16 to 64 bytes) to token:RecordFreezeReason, the first of
// a freeze's two transactions. It writes nothing but a note in the owning
// province's private data collection (CollectionKYC) and is endorsed by
// that province alone (the collection's endorsement policy), so the reason
// never reaches another province's peer, not even in memory, nor a block.
// token:Freeze then names the note's hash (FreezeReasonReceipt.Hash), which
// every endorser checks against the collection's public hash and the
// account record keeps as its ReasonHash.
const (
	TransientFreezeReason = "reason"
	TransientFreezeSalt   = "salt"
)

// CollectionKYC is the private data collection of a province: customer
// data and freeze reasons, readable only by that province's peers.
func CollectionKYC(msp string) string { return "kyc_" + msp }

var (
	bankReader = Access{RoleAuditor: ScopeAny, RoleCompliance: ScopeProvince,
		RoleOperator: ScopeBank, RoleIssuer: ScopeBank, RoleFiscal: ScopeBank}
	bankWriter = Access{RoleOperator: ScopeBank, RoleIssuer: ScopeBank, RoleFiscal: ScopeBank}
	supplyView = Access{RoleAuditor: ScopeAny, RoleIssuer: ScopeAny, RoleOperator: ScopeAny, RoleCompliance: ScopeAny,
		RoleFiscal: ScopeAny, RoleAdmin: ScopeAny}
)

// The token contract's operations. Issuing and redeeming are not here:
// they are decisions taken by issuers of several provinces (gov:Propose).
var (
	OpenAccount = define[OpenAccountRequest, Account](Op{Contract: ContractToken, Name: "OpenAccount", Mode: Submit,
		Access: bankWriter,
		Doc:    "opens an account of the caller's bank (operators: customer, merchant, settlement; issuers: reserve; fiscal bureaus: fiscal)"})
	RecordFreezeReason = define[AccountRequest, FreezeReasonReceipt](Op{Contract: ContractToken, Name: "RecordFreezeReason", Mode: Submit,
		Access: Access{RoleCompliance: ScopeProvince}, Transient: []string{TransientFreezeReason, TransientFreezeSalt},
		Doc: "records the reason of a coming freeze in the account's province's private collection (endorsed by that province only)"})
	Freeze = define[FreezeRequest, Account](Op{Contract: ContractToken, Name: "Freeze", Mode: Submit,
		Access: Access{RoleCompliance: ScopeProvince},
		Doc:    "freezes an account: it can neither send nor receive; it names the hash of a reason recorded by RecordFreezeReason"})
	Unfreeze = define[AccountRequest, Account](Op{Contract: ContractToken, Name: "Unfreeze", Mode: Submit,
		Access: Access{RoleCompliance: ScopeProvince}, Doc: "makes a frozen account active again"})
	CloseAccount = define[AccountRequest, Account](Op{Contract: ContractToken, Name: "CloseAccount", Mode: Submit,
		Access: bankWriter, Doc: "closes an account with a zero balance for good"})
	Transfer = define[TransferRequest, Payment](Op{Contract: ContractToken, Name: "Transfer", Mode: Submit,
		Access: bankWriter, Doc: "settles one payment from an account of the caller's bank"})
	TransferBatch = define[BatchRequest, BatchResult](Op{Contract: ContractToken, Name: "TransferBatch", Mode: Submit,
		Access: bankWriter, Doc: "settles up to MaxBatchItems payments in one transaction, each on its own"})
	Merge = define[MergeRequest, MergeRecord](Op{Contract: ContractToken, Name: "Merge", Mode: Submit,
		Access: bankWriter, Doc: "consolidates outputs of one account into one"})

	GetAccount = define[AccountRequest, Account](Op{Contract: ContractToken, Name: "GetAccount", Mode: Evaluate,
		Access: bankReader, Doc: "reads an account record"})
	GetBalance = define[AccountRequest, Balance](Op{Contract: ContractToken, Name: "GetBalance", Mode: Evaluate,
		Access: bankReader, Doc: "sums an account's unspent outputs"})
	ListOutputs = define[ListOutputsRequest, OutputPage](Op{Contract: ContractToken, Name: "ListOutputs", Mode: Evaluate,
		Access: bankReader, Doc: "pages through an account's unspent outputs"})
	GetPayment = define[PaymentRequest, Payment](Op{Contract: ContractToken, Name: "GetPayment", Mode: Evaluate,
		Access: bankReader, Doc: "reads a payment record (payer's and payee's banks)"})
	Statement = define[StatementRequest, StatementPage](Op{Contract: ContractToken, Name: "Statement", Mode: Evaluate,
		Access: bankReader, Doc: "pages through an account's statement entries in a time window"})
	GetSupply = define[Empty, Supply](Op{Contract: ContractToken, Name: "GetSupply", Mode: Evaluate,
		Access: supplyView, Doc: "reads the total supply"})
	AuditSupply = define[Empty, SupplyAudit](Op{Contract: ContractToken, Name: "AuditSupply", Mode: Evaluate,
		Access: Access{RoleAuditor: ScopeAny, RoleIssuer: ScopeAny}, Doc: "sums every unspent output and compares with the supply (full scan)"})
)

// Kind is what an account is for.
type Kind string

// Account kinds.
const (
	KindReserve    Kind = "reserve"    // a reserve account; mints land here
	KindCustomer   Kind = "customer"   // a tiered personal or business wallet
	KindFiscal     Kind = "fiscal"     // a fiscal bureau's account
	KindMerchant   Kind = "merchant"   // a merchant's collection account
	KindSettlement Kind = "settlement" // a bank's own settlement account
	KindEscrow     Kind = "escrow"     // a programme's escrow (opened by programme:Define)
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindReserve, KindCustomer, KindFiscal, KindMerchant, KindSettlement, KindEscrow:
		return true
	}
	return false
}

// KindsOf lists the account kinds a role may open: a commercial bank's
// operators customer, merchant and settlement accounts; the central-bank
// branch (issuer) the province's reserve; a fiscal bureau fiscal accounts.
func KindsOf(r Role) []Kind {
	switch r {
	case RoleOperator:
		return []Kind{KindCustomer, KindMerchant, KindSettlement}
	case RoleIssuer:
		return []Kind{KindReserve}
	case RoleFiscal:
		return []Kind{KindFiscal}
	}
	return nil
}

// Status is an account's life-cycle state.
type Status string

// Account statuses.
const (
	StatusActive Status = "active"
	StatusFrozen Status = "frozen"
	StatusClosed Status = "closed"
)

// Tier names (e-CNY wallet classes); see package token for their limits.
const (
	TierClassII   = "class-II"
	TierClassIV   = "class-IV"
	TierUnlimited = "unlimited"
)

// Account is the record of one account. Its balance is not stored here: it
// is the sum of the account's unspent outputs.
type Account struct {
	ID       string `json:"id"`
	OwnerMSP string `json:"ownerMsp"`
	// Bank is the owning bank's code; the account ID starts with "Bank:".
	Bank string `json:"bank"`
	Kind Kind   `json:"kind"`
	Tier string `json:"tier"`
	// MerchantCategory is a merchant account's category code (4 digits).
	MerchantCategory string `json:"merchantCategory,omitempty"`
	Status           Status `json:"status"`
	// ReasonHash is the SHA-256 of the freeze's private note (reason and
	// salt, see FreezeReasonReceipt) in the province's collection; the
	// reason itself is only there.
	ReasonHash      string    `json:"reasonHash,omitempty"`
	CustomerRefHash string    `json:"customerRefHash,omitempty"`
	OpenedAt        time.Time `json:"openedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// FreezeReasonReceipt is RecordFreezeReason's answer: the collection that
// holds the note and the note's hash, which Freeze names. The note is the
// JSON encoding of a FreezeNote, kept under a key made of the account and
// this hash: every freeze has a note of its own (a fresh salt and
// transaction ID), an earlier freeze's note is never overwritten, and the
// hash names exactly one note of exactly that account.
type FreezeReasonReceipt struct {
	Account    string `json:"account"`
	Collection string `json:"collection"`
	Hash       string `json:"hash"`
}

// FreezeNote is the private record of a freeze reason. Its JSON encoding
// hashes (SHA-256) to the account's ReasonHash.
type FreezeNote struct {
	Account string `json:"account"`
	Reason  string `json:"reason"`
	// Salt is hex.
	Salt string `json:"salt"`
	// TxID is RecordFreezeReason's transaction.
	TxID string `json:"txId"`
}

// Earmark marks an output as a programme's money (directional
// appropriation): it may only be spent as the programme allows. It
// travels: outputs made from earmarked inputs carry the same earmark until
// the programme releases it, and inputs with different earmarks (or plain
// and earmarked inputs) are never combined.
type Earmark struct {
	Programme string `json:"programme"`
	Tranche   int    `json:"tranche"`
}

// Clone returns a deep copy, or nil for nil.
func (e *Earmark) Clone() *Earmark {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}

// Output is one unspent amount owned by one account.
type Output struct {
	ID        string       `json:"id"`
	Account   string       `json:"account"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	Earmark   *Earmark     `json:"earmark,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
}

// Payment is the record of a settled transfer.
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

// MintRecord is the record of an issuance; MintID is the proposal that
// decided it.
type MintRecord struct {
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

// MergeRecord is the record of a consolidation.
type MergeRecord struct {
	MergeID   string       `json:"mergeId"`
	Account   string       `json:"account"`
	Inputs    []string     `json:"inputs"`
	Output    string       `json:"output"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	Timestamp time.Time    `json:"timestamp"`
}

// Supply is the total of tokens in circulation.
type Supply struct {
	Total     money.Amount `json:"total"`
	TxID      string       `json:"txId,omitempty"`
	UpdatedAt time.Time    `json:"updatedAt"`
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

// Balance is GetBalance's answer.
type Balance struct {
	Account string       `json:"account"`
	Balance money.Amount `json:"balance"`
}

// OutputPage is ListOutputs' answer. An empty bookmark means no more pages.
type OutputPage struct {
	Outputs  []Output `json:"outputs"`
	Bookmark string   `json:"bookmark"`
}

// StatementPage is Statement's answer. An empty bookmark means no more pages.
type StatementPage struct {
	Entries  []StatementEntry `json:"entries"`
	Bookmark string           `json:"bookmark"`
}

// SupplyAudit is AuditSupply's answer.
type SupplyAudit struct {
	Supply       money.Amount `json:"supply"`
	OutputsTotal money.Amount `json:"outputsTotal"`
	Outputs      int          `json:"outputs"`
	Balanced     bool         `json:"balanced"`
}

// BatchResult is TransferBatch's answer: one ItemResult per request item,
// in order.
type BatchResult struct {
	Settled  int          `json:"settled"`
	Rejected int          `json:"rejected"`
	Results  []ItemResult `json:"results"`
}

// ItemResult is the outcome of one batch item. When OK is false, Code and
// Message say why and the item changed nothing.
type ItemResult struct {
	PaymentID string   `json:"paymentId"`
	OK        bool     `json:"ok"`
	Code      Code     `json:"code,omitempty"`
	Message   string   `json:"message,omitempty"`
	Payment   *Payment `json:"payment,omitempty"`
}

// SplitChange divides change into n outputs (n < 1 means 1) whose amounts
// differ by at most one fen, the larger first. Zero change gives none; n is
// reduced so that no output is zero. It is the contract's rule for a
// payment's change (Payment.ChangeOutputs, in this order): the chaincode
// creates them by it and the gateway knows their amounts by it.
func SplitChange(change money.Amount, n int) []money.Amount {
	if change <= 0 {
		return nil
	}
	if n < 1 {
		n = 1
	}
	if money.Amount(n) > change {
		n = int(change)
	}
	base, rem := change/money.Amount(n), change%money.Amount(n)
	out := make([]money.Amount, n)
	for i := range out {
		out[i] = base
		if money.Amount(i) < rem {
			out[i]++
		}
	}
	return out
}
