package token

import (
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// Owner is who an account belongs to: a province and one of its banks
// (a commercial bank, the central-bank branch, a fiscal bureau).
type Owner struct {
	MSP  string
	Bank string
}

// NewAccount validates and builds an active account of owner. The ID must
// be in the bank's namespace ("BANK:local"). tier may be empty for
// non-customer accounts (it defaults to api.TierUnlimited); customer
// accounts must name a class tier and carry a customer reference hash;
// merchant accounts a merchant category.
func NewAccount(r api.OpenAccountRequest, owner Owner, now time.Time) (api.Account, error) {
	if err := r.Validate(); err != nil {
		return api.Account{}, err
	}
	if owner.MSP == "" {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "owner MSP is empty")
	}
	if err := api.ValidateBank("bank", owner.Bank); err != nil {
		return api.Account{}, err
	}
	if api.NamespaceOf(r.ID) != owner.Bank {
		return api.Account{}, api.Errorf(api.CodeForbidden, "account ID %s is not in bank %s's namespace (%s:…)", r.ID, owner.Bank, owner.Bank)
	}
	kind, tier := r.Kind, r.Tier
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
	if (kind == api.KindCustomer) != (r.CustomerRefHash != "") {
		return api.Account{}, api.Errorf(api.CodeInvalidArgument, "customer accounts, and only they, carry a customer reference hash")
	}
	return api.Account{
		ID: r.ID, OwnerMSP: owner.MSP, Bank: owner.Bank, Kind: kind, Tier: t.Name, MerchantCategory: r.MerchantCategory,
		Status: api.StatusActive, CustomerRefHash: r.CustomerRefHash, OpenedAt: now.UTC(), UpdatedAt: now.UTC(),
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

// Freeze returns the account frozen; reasonHash commits to the reason kept
// in private data. Freezing a frozen account updates the hash.
func Freeze(a api.Account, reasonHash string, now time.Time) (api.Account, error) {
	if len(reasonHash) != 64 {
		return a, api.Errorf(api.CodeInternal, "freeze reason hash is %d characters, want 64", len(reasonHash))
	}
	if a.Status == api.StatusClosed {
		return a, api.Errorf(api.CodeAccountClosed, "account %s is closed", a.ID)
	}
	a.Status, a.ReasonHash, a.UpdatedAt = api.StatusFrozen, reasonHash, now.UTC()
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
	a.Status, a.ReasonHash, a.UpdatedAt = api.StatusActive, "", now.UTC()
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
	a.Status, a.ReasonHash, a.UpdatedAt = api.StatusClosed, "", now.UTC()
	return a, nil
}
