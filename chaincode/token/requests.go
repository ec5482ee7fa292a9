package token

import "github.com/yangtze-delta/settlement/chaincode/money"

// Bounds on request sizes.
const (
	MaxInputs      = 100 // inputs per transfer, redeem or merge
	MaxChangeSplit = 50  // change outputs per transfer
	MaxBatchItems  = 500 // items per TransferBatch
)

// OpenAccountRequest opens an account for the caller's organisation. The
// customer reference travels in the transient map, never here.
type OpenAccountRequest struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	Tier string `json:"tier,omitempty"`
}

// FreezeRequest freezes an account.
type FreezeRequest struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// AccountRequest names one account (Unfreeze, CloseAccount).
type AccountRequest struct {
	ID string `json:"id"`
}

// MintRequest issues new tokens into a reserve account against a reserve
// (fiat deposit) reference.
type MintRequest struct {
	MintID     string       `json:"mintId"`
	Account    string       `json:"account"`
	Amount     money.Amount `json:"amount"`
	ReserveRef string       `json:"reserveRef"`
}

// RedeemRequest burns tokens from a reserve account back to fiat.
type RedeemRequest struct {
	RedeemID string       `json:"redeemId"`
	Account  string       `json:"account"`
	Amount   money.Amount `json:"amount"`
	Inputs   []string     `json:"inputs"`
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

// BatchRequest carries up to MaxBatchItems payments.
type BatchRequest struct {
	Items []TransferRequest `json:"items"`
}

// MergeRequest consolidates outputs of one account into one output.
type MergeRequest struct {
	MergeID string   `json:"mergeId"`
	Account string   `json:"account"`
	Inputs  []string `json:"inputs"`
}

// Validate checks the request's syntax (not the ledger).
func (r TransferRequest) Validate() error {
	if err := ValidateID("paymentId", r.PaymentID, MaxPaymentIDLen); err != nil {
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
	if err := r.Amount.Positive(); err != nil {
		return Errorf(CodeInvalidArgument, "amount %s must be positive", r.Amount)
	}
	if err := validateInputs(r.Inputs); err != nil {
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

// Validate checks the request's syntax.
func (r MintRequest) Validate() error {
	if err := ValidateID("mintId", r.MintID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if err := r.Amount.Positive(); err != nil {
		return Errorf(CodeInvalidArgument, "amount %s must be positive", r.Amount)
	}
	return ValidateID("reserveRef", r.ReserveRef, MaxPaymentIDLen)
}

// Validate checks the request's syntax.
func (r RedeemRequest) Validate() error {
	if err := ValidateID("redeemId", r.RedeemID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if err := r.Amount.Positive(); err != nil {
		return Errorf(CodeInvalidArgument, "amount %s must be positive", r.Amount)
	}
	return validateInputs(r.Inputs)
}

// Validate checks the request's syntax.
func (r MergeRequest) Validate() error {
	if err := ValidateID("mergeId", r.MergeID, MaxPaymentIDLen); err != nil {
		return err
	}
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if len(r.Inputs) < 2 {
		return Errorf(CodeInvalidArgument, "merge needs at least two inputs")
	}
	return validateInputs(r.Inputs)
}

func validateInputs(in []string) error {
	if len(in) == 0 || len(in) > MaxInputs {
		return Errorf(CodeInvalidArgument, "inputs must list 1 to %d output IDs", MaxInputs)
	}
	for i, id := range in {
		if err := ValidateID("input", id, 2*MaxPaymentIDLen); err != nil {
			return err
		}
		for _, prev := range in[:i] {
			if prev == id {
				return Errorf(CodeInvalidArgument, "input %s is listed twice", id)
			}
		}
	}
	return nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
