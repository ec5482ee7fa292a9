package token

import (
	"time"

	"github.com/yangtze-delta/settlement/chaincode/money"
)

// Payment is the record of a settled transfer, stored under its payment ID.
type Payment struct {
	PaymentID      string       `json:"paymentId"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	FromMSP        string       `json:"fromMsp"`
	ToMSP          string       `json:"toMsp"`
	Amount         money.Amount `json:"amount"`
	Purpose        string       `json:"purpose,omitempty"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
	Inputs         []string     `json:"inputs"`
	PayeeOutput    string       `json:"payeeOutput"`
	ChangeOutputs  []string     `json:"changeOutputs"`
	TxID           string       `json:"txId"`
	Timestamp      time.Time    `json:"timestamp"`
}

// Mint is the record of an issuance, stored under its mint ID.
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

// Redemption is the record of a redemption, stored under its redeem ID.
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

// Merge is the record of a consolidation, stored under its merge ID.
type Merge struct {
	MergeID   string       `json:"mergeId"`
	Account   string       `json:"account"`
	Inputs    []string     `json:"inputs"`
	Output    string       `json:"output"`
	Amount    money.Amount `json:"amount"`
	TxID      string       `json:"txId"`
	Timestamp time.Time    `json:"timestamp"`
}

// Supply is the total of tokens in circulation. Only mint and redeem
// change it.
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

// StatementEntry is one line of an account statement. Each is written under
// its own new key, so statements never create a hot key.
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

// DailyOutflow is an account's cumulative outflow on one UTC day. It exists
// only for accounts whose tier has a daily limit.
type DailyOutflow struct {
	Account string       `json:"account"`
	Day     string       `json:"day"`
	Outflow money.Amount `json:"outflow"`
}
