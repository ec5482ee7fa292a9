package token

import (
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// NewAccount validates and builds an active account. tier may be empty for
// reserve, fiscal and merchant accounts (it defaults to api.TierUnlimited);
// customer accounts must name a class tier.
func NewAccount(id, ownerMSP string, kind api.Kind, tier, customerRefHash string, now time.Time) (api.Account, error) {
	if err := api.ValidateID("account id", id, api.MaxIDLen); err != nil {
		return api.Account{}, err
	}
	if ownerMSP == "" {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "owner MSP is empty")
	}
	if !kind.Valid() {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "kind %q is not one of reserve, customer, fiscal, merchant", kind)
	}
	if kind != api.KindCustomer && tier == "" {
		tier = api.TierUnlimited
	}
	t, ok := TierByName(tier)
	if !ok {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "tier %q is not one of %s, %s, %s", tier, api.TierClassII, api.TierClassIV, api.TierUnlimited)
	}
	if kind == api.KindCustomer && t.Name == api.TierUnlimited {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "customer accounts need tier %s or %s", api.TierClassII, api.TierClassIV)
	}
	if kind != api.KindCustomer && t.Name != api.TierUnlimited {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "%s accounts have tier %s", kind, api.TierUnlimited)
	}
	if kind == api.KindCustomer && customerRefHash == "" {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "customer accounts need a customer reference")
	}
	return api.Account{
		ID: id, OwnerMSP: ownerMSP, Kind: kind, Tier: t.Name, Status: api.StatusActive,
		CustomerRefHash: customerRefHash, OpenedAt: now.UTC(), UpdatedAt: now.UTC(),
	}, nil
}

// TierOf returns the account's tier. An unknown stored tier is an
// internal error.
func TierOf(a api.Account) (Tier, error) {
	t, ok := TierByName(a.Tier)
	if !ok {
		return Tier{}, api.Errorf(api.CodeInternal, "account %s has unknown tier %q", a.ID, a.Tier)
	}
	return t, nil
}

// CanSend reports whether the account may spend: only active accounts may.
func CanSend(a api.Account) error { return usable(a, "send") }

// CanReceive reports whether the account may be credited: only active
// accounts may.
func CanReceive(a api.Account) error { return usable(a, "receive") }

func usable(a api.Account, what string) error {
	switch a.Status {
	case api.StatusActive:
		return nil
	case api.StatusFrozen:
		return api.Errorf(api.CodeAccountFrozen, "account %s is frozen and cannot %s", a.ID, what)
	case api.StatusClosed:
		return api.Errorf(api.CodeAccountClosed, "account %s is closed and cannot %s", a.ID, what)
	}
	return api.Errorf(api.CodeInternal, "account %s has unknown status %q", a.ID, a.Status)
}

// Freeze returns the account frozen with a reason. Freezing a frozen
// account updates the reason.
func Freeze(a api.Account, reason string, now time.Time) (api.Account, error) {
	if reason == "" || len(reason) > api.MaxReasonLen {
		return a, api.Errorf(api.CodeInvalidArgument, "reason must be 1 to %d characters", api.MaxReasonLen)
	}
	if a.Status == api.StatusClosed {
		return a, api.Errorf(api.CodeAccountClosed, "account %s is closed", a.ID)
	}
	a.Status, a.StatusReason, a.UpdatedAt = api.StatusFrozen, reason, now.UTC()
	return a, nil
}

// Unfreeze returns the account active again.
func Unfreeze(a api.Account, now time.Time) (api.Account, error) {
	switch a.Status {
	case api.StatusClosed:
		return a, api.Errorf(api.CodeAccountClosed, "account %s is closed", a.ID)
	case api.StatusActive:
		return a, api.Errorf(api.CodeInvalidArgument, "account %s is not frozen", a.ID)
	}
	a.Status, a.StatusReason, a.UpdatedAt = api.StatusActive, "", now.UTC()
	return a, nil
}

// Close returns the account closed; the balance must be zero. A closed
// account stays on the ledger as a marker and never reopens.
func Close(a api.Account, balance money.Amount, now time.Time) (api.Account, error) {
	if a.Status == api.StatusClosed {
		return a, api.Errorf(api.CodeAccountClosed, "account %s is already closed", a.ID)
	}
	if balance != 0 {
		return a, api.Errorf(api.CodeBalanceNotZero, "account %s has balance %s", a.ID, balance)
	}
	a.Status, a.StatusReason, a.UpdatedAt = api.StatusClosed, "", now.UTC()
	return a, nil
}
