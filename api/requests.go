package api

import (
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// OpenAccountRequest opens an account of the caller's bank. The ID must be
// in the bank's namespace ("BANK:local"). CustomerRefHash, required for
// customer accounts, is a keyed hash of the customer reference made by the
// bank's gateway with a secret that never leaves it; the reference itself
// never reaches the chaincode.
type OpenAccountRequest struct {
	ID               string `json:"id"`
	Kind             Kind   `json:"kind"`
	Tier             string `json:"tier,omitempty"`
	CustomerRefHash  string `json:"customerRefHash,omitempty"`
	MerchantCategory string `json:"merchantCategory,omitempty"`
}

// Validate checks syntax.
func (r *OpenAccountRequest) Validate() error {
	if err := ValidateNamespaced("id", r.ID, MaxIDLen); err != nil {
		return err
	}
	if !r.Kind.Valid() {
		return Errorf(CodeInvalidArgument, "kind %q is not one of reserve, customer, fiscal, merchant, settlement", r.Kind)
	}
	if r.CustomerRefHash != "" && !isHex64(r.CustomerRefHash) {
		return Errorf(CodeInvalidArgument, "customerRefHash must be 64 lower-case hex characters")
	}
	if (r.Kind == KindMerchant) != (r.MerchantCategory != "") {
		return Errorf(CodeInvalidArgument, "merchantCategory (4 digits) is required for merchant accounts and only for them")
	}
	if r.MerchantCategory != "" && !isDigits(r.MerchantCategory, 4) {
		return Errorf(CodeInvalidArgument, "merchantCategory must be 4 digits")
	}
	switch r.Tier {
	case "", TierClassII, TierClassIV, TierUnlimited:
		return nil
	}
	return Errorf(CodeInvalidArgument, "tier %q is not one of %s, %s, %s", r.Tier, TierClassII, TierClassIV, TierUnlimited)
}

// AccountRequest names one account.
type AccountRequest struct {
	ID string `json:"id"`
}

// Validate checks syntax.
func (r *AccountRequest) Validate() error { return ValidateID("id", r.ID, MaxIDLen) }

// FreezeRequest freezes an account. ReasonHash is the hash of the reason's
// note that RecordFreezeReason wrote for this account
// (FreezeReasonReceipt.Hash); the reason itself never travels with it.
type FreezeRequest struct {
	ID         string `json:"id"`
	ReasonHash string `json:"reasonHash"`
}

// Validate checks syntax.
func (r *FreezeRequest) Validate() error {
	if err := ValidateID("id", r.ID, MaxIDLen); err != nil {
		return err
	}
	if !isHex64(r.ReasonHash) {
		return Errorf(CodeInvalidArgument, "reasonHash must be 64 lower-case hex characters (RecordFreezeReason's hash)")
	}
	return nil
}

// TransferRequest is one payment.
type TransferRequest struct {
	PaymentID      string       `json:"paymentId"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	Amount         money.Amount `json:"amount"`
	Inputs         []string     `json:"inputs"`
	Purpose        string       `json:"purpose,omitempty"`
	RemittanceHash string       `json:"remittanceHash,omitempty"`
	ChangeSplit    int          `json:"changeSplit,omitempty"`
}

// Validate checks syntax.
func (r *TransferRequest) Validate() error { return r.check(1) }

// ValidateSelectable checks syntax, allowing no inputs (the gateway selects
// them).
func (r *TransferRequest) ValidateSelectable() error { return r.check(0) }

func (r *TransferRequest) check(minInputs int) error {
	if err := ValidateNamespaced("paymentId", r.PaymentID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateID("from", r.From, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateID("to", r.To, MaxIDLen); err != nil {
		return err
	}
	if r.From == r.To {
		return Errorf(CodeInvalidArgument, "from and to are the same account; use Merge to consolidate")
	}
	if err := positive("amount", r.Amount); err != nil {
		return err
	}
	if err := validateInputsIf(r.Inputs, minInputs); err != nil {
		return err
	}
	if r.Purpose != "" {
		if err := ValidateID("purpose", r.Purpose, MaxPurposeLen); err != nil {
			return err
		}
	}
	if r.RemittanceHash != "" && !isHex64(r.RemittanceHash) {
		return Errorf(CodeInvalidArgument, "remittanceHash must be 64 lower-case hex characters (SHA-256)")
	}
	if r.ChangeSplit < 0 || r.ChangeSplit > MaxChangeSplit {
		return Errorf(CodeInvalidArgument, "changeSplit must be 0 to %d", MaxChangeSplit)
	}
	return nil
}

// BatchRequest carries 1 to MaxBatchItems payments. Items are validated one
// by one when they run, so that one bad item fails alone.
type BatchRequest struct {
	Items []TransferRequest `json:"items"`
}

// Validate checks the batch's size.
func (r *BatchRequest) Validate() error {
	if len(r.Items) == 0 {
		return Errorf(CodeInvalidArgument, "batch has no items")
	}
	if len(r.Items) > MaxBatchItems {
		return Errorf(CodeBatchTooLarge, "batch has %d items, at most %d", len(r.Items), MaxBatchItems)
	}
	return nil
}

// MergeRequest consolidates outputs of one account into one output.
type MergeRequest struct {
	MergeID string   `json:"mergeId"`
	Account string   `json:"account"`
	Inputs  []string `json:"inputs"`
}

// Validate checks syntax.
func (r *MergeRequest) Validate() error { return r.check(2) }

// ValidateSelectable checks syntax, allowing no inputs (the gateway selects
// them).
func (r *MergeRequest) ValidateSelectable() error { return r.check(0) }

func (r *MergeRequest) check(minInputs int) error {
	if err := ValidateNamespaced("mergeId", r.MergeID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	return validateInputsIf(r.Inputs, minInputs)
}

// ListOutputsRequest asks for one page of an account's unspent outputs.
type ListOutputsRequest struct {
	Account  string `json:"account"`
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// Validate checks syntax.
func (r *ListOutputsRequest) Validate() error {
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	return ValidatePage(r.PageSize, r.Bookmark)
}

// PaymentRequest names one payment.
type PaymentRequest struct {
	PaymentID string `json:"paymentId"`
}

// Validate checks syntax.
func (r *PaymentRequest) Validate() error {
	return ValidateID("paymentId", r.PaymentID, MaxPaymentIDLen)
}

// StatementRequest asks for one page of an account's statement entries with
// timestamps in [From, To).
type StatementRequest struct {
	Account  string    `json:"account"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	PageSize int       `json:"pageSize,omitempty"`
	Bookmark string    `json:"bookmark,omitempty"`
}

// Validate checks syntax.
func (r *StatementRequest) Validate() error {
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if r.To.Before(r.From) {
		return Errorf(CodeInvalidArgument, "to is before from")
	}
	return ValidatePage(r.PageSize, r.Bookmark)
}

// ValidateInputs checks a list of output IDs: min to MaxInputs entries, each
// a valid ID, none twice.
func ValidateInputs(in []string, min int) error {
	if len(in) < min || len(in) > MaxInputs {
		return Errorf(CodeInvalidArgument, "inputs must list %d to %d output IDs", min, MaxInputs)
	}
	seen := make(map[string]bool, len(in))
	for _, id := range in {
		if err := ValidateID("input", id, MaxOutputIDLen); err != nil {
			return err
		}
		if seen[id] {
			return Errorf(CodeInvalidArgument, "input %s is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

func positive(what string, a money.Amount) error {
	if a <= 0 {
		return Errorf(CodeInvalidArgument, "%s %s must be positive", what, a)
	}
	return nil
}

func validateInputsIf(in []string, min int) error {
	if min == 0 && len(in) == 0 {
		return nil
	}
	return ValidateInputs(in, max(min, 1))
}
