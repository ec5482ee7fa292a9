package token

import (
	"time"

	"github.com/yangtze-delta/settlement/chaincode/money"
)

// Kind is what an account is for.
type Kind string

// Account kinds.
const (
	KindReserve  Kind = "reserve"  // a bank's reserve account; mints land here
	KindCustomer Kind = "customer" // a tiered personal or business wallet
	KindFiscal   Kind = "fiscal"   // a fiscal bureau's account
	KindMerchant Kind = "merchant" // a merchant's collection account
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindReserve, KindCustomer, KindFiscal, KindMerchant:
		return true
	}
	return false
}

// Status is an account's life-cycle state.
type Status string

// Account statuses.
const (
	StatusActive Status = "active"
	StatusFrozen Status = "frozen"
	StatusClosed Status = "closed"
)

// Account is the record of one account. Its balance is not stored here: it
// is the sum of the account's unspent outputs.
type Account struct {
	ID              string    `json:"id"`
	OwnerMSP        string    `json:"ownerMsp"`
	Kind            Kind      `json:"kind"`
	Tier            string    `json:"tier"`
	Status          Status    `json:"status"`
	StatusReason    string    `json:"statusReason,omitempty"`
	CustomerRefHash string    `json:"customerRefHash,omitempty"`
	OpenedAt        time.Time `json:"openedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// Limits of identifier and text lengths.
const (
	MaxIDLen        = 64
	MaxPaymentIDLen = 128
	MaxPurposeLen   = 64
	MaxReasonLen    = 256
)

// ValidateID checks an identifier (account, output, mint, payment ID):
// 1 to max characters from [A-Za-z0-9._:-].
func ValidateID(what, id string, max int) error {
	if id == "" || len(id) > max {
		return Errorf(CodeInvalidArgument, "%s must be 1 to %d characters", what, max)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == ':'
		if !ok {
			return Errorf(CodeInvalidArgument, "%s %q has a character outside [A-Za-z0-9._:-]", what, id)
		}
	}
	return nil
}

// NewAccount validates and builds an active account. tier may be empty for
// reserve, fiscal and merchant accounts (it defaults to TierUnlimited);
// customer accounts must name a class tier.
func NewAccount(id, ownerMSP string, kind Kind, tier, customerRefHash string, now time.Time) (Account, error) {
	if err := ValidateID("account id", id, MaxIDLen); err != nil {
		return Account{}, err
	}
	if ownerMSP == "" {
		return Account{}, Errorf(CodeInvalidArgument, "owner MSP is empty")
	}
	if !kind.Valid() {
		return Account{}, Errorf(CodeInvalidArgument, "kind %q is not one of reserve, customer, fiscal, merchant", kind)
	}
	if kind != KindCustomer && tier == "" {
		tier = TierUnlimited
	}
	t, ok := TierByName(tier)
	if !ok {
		return Account{}, Errorf(CodeInvalidArgument, "tier %q is not one of %s, %s, %s", tier, TierClassII, TierClassIV, TierUnlimited)
	}
	if kind == KindCustomer && t.Name == TierUnlimited {
		return Account{}, Errorf(CodeInvalidArgument, "customer accounts need tier %s or %s", TierClassII, TierClassIV)
	}
	if kind != KindCustomer && t.Name != TierUnlimited {
		return Account{}, Errorf(CodeInvalidArgument, "%s accounts have tier %s", kind, TierUnlimited)
	}
	if kind == KindCustomer && customerRefHash == "" {
		return Account{}, Errorf(CodeInvalidArgument, "customer accounts need a customer reference")
	}
	return Account{
		ID: id, OwnerMSP: ownerMSP, Kind: kind, Tier: t.Name, Status: StatusActive,
		CustomerRefHash: customerRefHash, OpenedAt: now.UTC(), UpdatedAt: now.UTC(),
	}, nil
}

// TierLimits returns the account's tier. An unknown stored tier is an
// internal error.
func (a Account) TierLimits() (Tier, error) {
	t, ok := TierByName(a.Tier)
	if !ok {
		return Tier{}, Errorf(CodeInternal, "account %s has unknown tier %q", a.ID, a.Tier)
	}
	return t, nil
}

// CanSend reports whether the account may spend: only active accounts may.
func (a Account) CanSend() error { return a.usable("send") }

// CanReceive reports whether the account may be credited: only active
// accounts may.
func (a Account) CanReceive() error { return a.usable("receive") }

func (a Account) usable(what string) error {
	switch a.Status {
	case StatusActive:
		return nil
	case StatusFrozen:
		return Errorf(CodeAccountFrozen, "account %s is frozen and cannot %s", a.ID, what)
	case StatusClosed:
		return Errorf(CodeAccountClosed, "account %s is closed and cannot %s", a.ID, what)
	}
	return Errorf(CodeInternal, "account %s has unknown status %q", a.ID, a.Status)
}

// Freeze returns the account frozen with a reason. Freezing a frozen
// account updates the reason.
func (a Account) Freeze(reason string, now time.Time) (Account, error) {
	if reason == "" || len(reason) > MaxReasonLen {
		return a, Errorf(CodeInvalidArgument, "reason must be 1 to %d characters", MaxReasonLen)
	}
	if a.Status == StatusClosed {
		return a, Errorf(CodeAccountClosed, "account %s is closed", a.ID)
	}
	a.Status, a.StatusReason, a.UpdatedAt = StatusFrozen, reason, now.UTC()
	return a, nil
}

// Unfreeze returns the account active again.
func (a Account) Unfreeze(now time.Time) (Account, error) {
	switch a.Status {
	case StatusClosed:
		return a, Errorf(CodeAccountClosed, "account %s is closed", a.ID)
	case StatusActive:
		return a, Errorf(CodeInvalidArgument, "account %s is not frozen", a.ID)
	}
	a.Status, a.StatusReason, a.UpdatedAt = StatusActive, "", now.UTC()
	return a, nil
}

// Close returns the account closed; the balance must be zero. A closed
// account stays on the ledger as a marker and never reopens.
func (a Account) Close(balance money.Amount, now time.Time) (Account, error) {
	if a.Status == StatusClosed {
		return a, Errorf(CodeAccountClosed, "account %s is already closed", a.ID)
	}
	if balance != 0 {
		return a, Errorf(CodeBalanceNotZero, "account %s has balance %s", a.ID, balance)
	}
	a.Status, a.StatusReason, a.UpdatedAt = StatusClosed, "", now.UTC()
	return a, nil
}
