package tokencc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/access"
	"github.com/yangtze-delta/settlement/chaincode/token"
)

// Roles, read from the "role" attribute of the caller's certificate.
const (
	RoleOperator   = "operator"   // a bank's back office: accounts and payments
	RoleCompliance = "compliance" // freezes and unfreezes
	RoleIssuer     = "issuer"     // requests mints, redeems reserve
	RoleAuditor    = "auditor"    // reads everything
)

// scope says which accounts a role may act on.
type scope int

const (
	// ownOrg: the caller's MSP must own the account (for payments: the
	// payer; for payment reads: payer or payee).
	ownOrg scope = iota + 1
	// anyOrg: any province's accounts.
	anyOrg
)

// rule maps each allowed role to its scope; a role not listed is refused.
type rule map[string]scope

// roleTable is the one place that says who may call what. It is built
// fresh by New and never changed afterwards.
func roleTable() map[string]rule {
	reader := rule{RoleAuditor: anyOrg, RoleOperator: ownOrg, RoleCompliance: ownOrg, RoleIssuer: ownOrg}
	return map[string]rule{
		"OpenAccount":   {RoleOperator: ownOrg},
		"Freeze":        {RoleCompliance: ownOrg},
		"Unfreeze":      {RoleCompliance: ownOrg},
		"CloseAccount":  {RoleOperator: ownOrg},
		"Mint":          {RoleIssuer: anyOrg},
		"Redeem":        {RoleOperator: ownOrg, RoleIssuer: ownOrg},
		"Transfer":      {RoleOperator: ownOrg},
		"TransferBatch": {RoleOperator: ownOrg},
		"Merge":         {RoleOperator: ownOrg},
		"GetAccount":    reader,
		"GetBalance":    reader,
		"ListOutputs":   reader,
		"Statement":     reader,
		"GetPayment":    {RoleAuditor: anyOrg, RoleOperator: ownOrg, RoleCompliance: ownOrg},
		"GetSupply":     {RoleAuditor: anyOrg, RoleIssuer: anyOrg, RoleOperator: anyOrg, RoleCompliance: anyOrg},
		"AuditSupply":   {RoleAuditor: anyOrg, RoleIssuer: anyOrg},
	}
}

// grant is a caller admitted to a function, pending the org check.
type grant struct {
	fn     string
	caller access.Caller
	scope  scope
}

// authorize is the door: it reads the caller from the certificate and
// checks that its MSP is a configured province and its role may call fn.
// The org check follows with grant.owns once the account is known.
func (c *Contract) authorize(ctx contractapi.TransactionContextInterface, fn string) (grant, error) {
	caller, err := access.CallerOf(ctx.GetClientIdentity())
	if err != nil {
		return grant{}, token.Errorf(token.CodeForbidden, "cannot identify caller: %v", err)
	}
	if !c.cfg.isOrg(caller.MSPID) {
		return grant{}, token.Errorf(token.CodeForbidden, "MSP %s is not a province of this channel", caller.MSPID)
	}
	r, ok := c.rules[fn]
	if !ok {
		return grant{}, token.Errorf(token.CodeForbidden, "function %s has no access rule", fn)
	}
	s, ok := r[caller.Role]
	if !ok {
		return grant{}, token.Errorf(token.CodeForbidden, "role %q may not call %s", caller.Role, fn)
	}
	return grant{fn: fn, caller: caller, scope: s}, nil
}

// owns checks the org rule: with ownOrg scope the caller's MSP must be one
// of owners.
func (g grant) owns(owners ...string) error {
	if g.scope == anyOrg {
		return nil
	}
	for _, o := range owners {
		if o == g.caller.MSPID {
			return nil
		}
	}
	return token.Errorf(token.CodeForbidden, "%s of %s may not call %s on another province's account", g.caller.Role, g.caller.MSPID, g.fn)
}
