package tokencc

import (
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/token"
)

// Issuance is carried out only by the governance contract, once issuers of
// a quorum of provinces approved it (package govcc): the token contract has
// no operation that mints, redeems or sets a ceiling by itself. These
// functions run inside gov:Execute's transaction.

// ExecuteMint issues p into the proposing province's reserve. The reserve
// reference is used once per province; the mint stays within the
// province's ceiling.
func ExecuteMint(call *dispatch.Call, proposalID, proposerMSP string, p api.MintParams) (api.MintRecord, error) {
	s := newTxState(call)
	var none api.MintRecord
	mk, err := recordKey(s, nsMint, proposalID, api.CodeAlreadyExists, "mint of proposal")
	if err != nil {
		return none, err
	}
	rk, err := s.key(nsReserve, proposerMSP, p.ReserveRef)
	if err != nil {
		return none, err
	}
	var usedBy string
	if used, err := s.getJSON(rk, &usedBy); err != nil {
		return none, err
	} else if used {
		return none, api.Errorf(api.CodeAlreadyExists, "reserve reference %s of %s already backs mint %s", p.ReserveRef, proposerMSP, usedBy)
	}
	a, err := s.account(p.Account)
	if err != nil {
		return none, err
	}
	is, ck, err := s.issuance(proposerMSP)
	if err != nil {
		return none, err
	}
	o, m, next, err := token.PlanMint(s.tx, proposalID, p, proposerMSP, a, is)
	if err != nil {
		return none, err
	}
	if err := s.applySpend(token.Spend{Create: []api.Output{o}}, func(string) string { return a.OwnerMSP }); err != nil {
		return none, err
	}
	if err := s.putIssuance(ck, next); err != nil {
		return none, err
	}
	if err := s.putJSON(mk, m, nil); err != nil {
		return none, err
	}
	if err := s.putJSON(rk, proposalID, nil); err != nil {
		return none, err
	}
	if err := s.statement(api.StatementEntry{Account: a.ID, Type: api.EntryMint, Reference: proposalID, Amount: p.Amount}); err != nil {
		return none, err
	}
	call.Emit(api.Event{Type: api.EventMinted, ID: proposalID, Account: a.ID, MSP: a.OwnerMSP, Bank: a.Bank, Amount: p.Amount})
	return m, nil
}

// ExecuteRedeem burns p from the proposing province's reserve, spending
// inputs (the executor names them).
func ExecuteRedeem(call *dispatch.Call, proposalID, proposerMSP string, p api.RedeemParams, inputs []string) (api.Redemption, error) {
	s := newTxState(call)
	var none api.Redemption
	rk, err := recordKey(s, nsRedeem, proposalID, api.CodeAlreadyExists, "redemption of proposal")
	if err != nil {
		return none, err
	}
	a, err := s.account(p.Account)
	if err != nil {
		return none, err
	}
	in, err := s.inputs(a.ID, inputs)
	if err != nil {
		return none, err
	}
	is, ck, err := s.issuance(proposerMSP)
	if err != nil {
		return none, err
	}
	sp, red, next, err := token.PlanRedeem(s.tx, proposalID, p, proposerMSP, a, inputs, in, is)
	if err != nil {
		return none, err
	}
	if err := s.applySpend(sp, func(string) string { return a.OwnerMSP }); err != nil {
		return none, err
	}
	if err := s.putIssuance(ck, next); err != nil {
		return none, err
	}
	if err := s.putJSON(rk, red, nil); err != nil {
		return none, err
	}
	if err := s.statement(api.StatementEntry{Account: a.ID, Type: api.EntryRedeem, Reference: proposalID, Amount: p.Amount}); err != nil {
		return none, err
	}
	call.Emit(api.Event{Type: api.EventRedeemed, ID: proposalID, Account: a.ID, MSP: a.OwnerMSP, Bank: a.Bank, Amount: p.Amount})
	return red, nil
}

// SetCeiling sets a province's issuance ceiling (keeping what it issued).
func SetCeiling(call *dispatch.Call, p api.CeilingParams) (api.Ceiling, error) {
	s := newTxState(call)
	if !call.Config.HasOrg(p.MSP) {
		return api.Ceiling{}, api.Errorf(api.CodeInvalidArgument, "%s is not a province of this channel", p.MSP)
	}
	k, err := s.key(nsCeiling, p.MSP)
	if err != nil {
		return api.Ceiling{}, err
	}
	var c api.Ceiling
	if _, err := s.getJSON(k, &c); err != nil {
		return api.Ceiling{}, err
	}
	c.MSP, c.Ceiling, c.UpdatedAt = p.MSP, p.Ceiling, s.now()
	if err := s.putJSON(k, c, call.Policies.Quorum()); err != nil {
		return api.Ceiling{}, err
	}
	call.Emit(api.Event{Type: api.EventCeilingSet, ID: p.MSP, MSP: p.MSP, Amount: p.Ceiling})
	return c, nil
}

// ReadCeiling reads a province's ceiling (NOT_FOUND when it has none).
func ReadCeiling(call *dispatch.Call, msp string) (api.Ceiling, error) {
	s := newTxState(call)
	k, err := s.key(nsCeiling, msp)
	if err != nil {
		return api.Ceiling{}, err
	}
	var c api.Ceiling
	ok, err := s.getJSON(k, &c)
	if err != nil {
		return c, err
	}
	if !ok {
		return c, api.Errorf(api.CodeNotFound, "%s has no issuance ceiling", msp)
	}
	return c, nil
}

// issuance reads the supply and the province's ceiling.
func (s *txState) issuance(msp string) (token.Issuance, ceilingKeys, error) {
	sk, sup, err := s.supply()
	if err != nil {
		return token.Issuance{}, ceilingKeys{}, err
	}
	ck, err := s.key(nsCeiling, msp)
	if err != nil {
		return token.Issuance{}, ceilingKeys{}, err
	}
	is := token.Issuance{Supply: sup.Total}
	if is.HasCeiling, err = s.getJSON(ck, &is.Ceiling); err != nil {
		return token.Issuance{}, ceilingKeys{}, err
	}
	return is, ceilingKeys{supply: sk, ceiling: ck}, nil
}

type ceilingKeys struct{ supply, ceiling string }

func (s *txState) putIssuance(k ceilingKeys, is token.Issuance) error {
	if err := s.putSupply(k.supply, is.Supply); err != nil {
		return err
	}
	if !is.HasCeiling {
		return nil
	}
	return s.putJSON(k.ceiling, is.Ceiling, s.call.Policies.Quorum())
}
