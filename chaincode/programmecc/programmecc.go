// Package programmecc is the Fabric contract "programme" of the yrd
// chaincode: directional appropriation. A fiscal bureau defines a programme
// (maker), its checker and every co-funding bureau approve it, tranches are
// proposed and approved the same way and funded by each funder's share
// moving into the programme's escrow as earmarked outputs (no new money),
// disbursements pay eligible recipients from escrow (each job line once),
// recipients spend under the programme's rules through token:Transfer, and
// what is left at expiry goes back to the funders pro rata. The rules are
// package appropriation's; the token ledger is package tokencc's State.
package programmecc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
)

// Key namespaces. Decision records (programmes, approvals, tranches,
// contributions, recipient states, clawbacks) carry the quorum policy;
// line markers and flows are written once under the chaincode's MAJORITY.
const (
	nsApproval     = "yrd.papr"  // [programme, subject, MSP, identity hash] -> api.PartyApproval
	nsTranche      = "yrd.tran"  // [programme, NNN] -> api.Tranche
	nsContribution = "yrd.contr" // [programme, NNN, MSP, bureau] -> api.Contribution
	nsRecipient    = "yrd.recip" // [programme, account] -> recipient
	nsLine         = "yrd.line"  // [programme, job, line] -> api.LineResult
	nsClawback     = "yrd.claw"  // [clawback ID] -> api.Clawback
)

// recipient is a first-hop recipient's disbursed total (the cap counter).
type recipient struct {
	Account   string `json:"account"`
	Disbursed int64  `json:"disbursedFen"`
}

// Contract is the programme contract.
type Contract struct {
	dispatch.Contract
}

// New returns the contract.
func New() *Contract {
	return &Contract{Contract: dispatch.NewContract(api.ContractProgramme, "YRD directional appropriation")}
}

// call bundles a dispatch call with its token ledger state.
type call struct {
	*dispatch.Call
	st *tokencc.State
}

func run[Req, Resp any](ctx contractapi.TransactionContextInterface, op api.Operation[Req, Resp], request string,
	body func(c call, req Req) (Resp, error)) (string, error) {
	return dispatch.Run(ctx, op, request, func(dc *dispatch.Call, req Req) (Resp, error) {
		return body(call{Call: dc, st: tokencc.NewState(dc)}, req)
	})
}

func (c call) quorum() []byte { return c.Policies.Quorum() }

func identityHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}

func trancheKey(n int) string { return fmt.Sprintf("%03d", n) }

// programme loads a programme (NOT_FOUND when missing).
func (c call) programme(id string) (api.Programme, string, error) {
	k, err := c.st.Key(tokencc.NSProgramme, id)
	if err != nil {
		return api.Programme{}, "", err
	}
	var p api.Programme
	ok, err := c.st.GetJSON(k, &p)
	if err != nil {
		return p, k, err
	}
	if !ok {
		return p, k, api.Errorf(api.CodeNotFound, "programme %s", id)
	}
	return p, k, nil
}

// visible checks that the caller may read the programme: auditors all,
// a bureau that owns or funds it, compliance of a funding province.
func (c call) visible(p api.Programme) error {
	if c.Scope == api.ScopeAny {
		return nil
	}
	for _, f := range p.Funders {
		if f.MSP == c.Caller.MSPID && (c.Scope == api.ScopeProvince || f.Bureau == c.Caller.Bank) {
			return nil
		}
	}
	return api.Errorf(api.CodeNotFound, "programme %s", p.ID)
}

// isOwner reports whether the caller is the programme's owner bureau.
func (c call) isOwner(p api.Programme) bool {
	return c.Caller.Role == api.RoleFiscal && c.Caller.MSPID == p.OwnerMSP && c.Caller.Bank == p.OwnerBureau
}

// approve records the caller's approval of subject, if it belongs to one
// of parties (FORBIDDEN otherwise; ALREADY_EXISTS twice).
func (c call) approve(programme, subject string, parties []api.Party) (api.PartyApproval, error) {
	if appropriation.PartyOf(parties, c.Caller.MSPID, c.Caller.Bank, c.Caller.Role) < 0 {
		return api.PartyApproval{}, api.Errorf(api.CodeForbidden, "the caller is not a party to %s of %s", subject, programme)
	}
	id := identityHash(c.Caller.ID)
	k, err := c.st.Key(nsApproval, programme, subject, c.Caller.MSPID, id)
	if err != nil {
		return api.PartyApproval{}, err
	}
	var old api.PartyApproval
	if ok, err := c.st.GetJSON(k, &old); err != nil {
		return old, err
	} else if ok {
		return old, api.Errorf(api.CodeAlreadyExists, "this identity approved %s of %s already", subject, programme)
	}
	a := api.PartyApproval{MSP: c.Caller.MSPID, Bank: c.Caller.Bank, Role: c.Caller.Role, Identity: id, TxID: c.TxID, At: c.Time}
	return a, c.st.PutJSON(k, a, c.quorum())
}

// approvals reads the committed approvals of subject.
func (c call) approvals(programme, subject string) ([]api.PartyApproval, error) {
	it, err := c.Stub.GetStateByPartialCompositeKey(nsApproval, []string{programme, subject})
	if err != nil {
		return nil, api.Internal(err, "query approvals")
	}
	defer it.Close()
	out := []api.PartyApproval{}
	for it.HasNext() && len(out) <= api.MaxApprovals {
		kv, err := it.Next()
		if err != nil {
			return nil, api.Internal(err, "query approvals")
		}
		var a api.PartyApproval
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return nil, api.Internal(err, "decode approval")
		}
		out = append(out, a)
	}
	return out, nil
}

// tranches reads a programme's tranches in order.
func (c call) tranches(programme string) ([]api.Tranche, error) {
	it, err := c.Stub.GetStateByPartialCompositeKey(nsTranche, []string{programme})
	if err != nil {
		return nil, api.Internal(err, "query tranches")
	}
	defer it.Close()
	out := []api.Tranche{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, api.Internal(err, "query tranches")
		}
		var t api.Tranche
		if err := json.Unmarshal(kv.Value, &t); err != nil {
			return nil, api.Internal(err, "decode tranche")
		}
		out = append(out, t)
	}
	return out, nil
}

func (c call) view(p api.Programme) (api.ProgrammeView, error) {
	approvals, err := c.approvals(p.ID, "programme")
	if err != nil {
		return api.ProgrammeView{}, err
	}
	tranches, err := c.tranches(p.ID)
	if err != nil {
		return api.ProgrammeView{}, err
	}
	return api.ProgrammeView{Programme: p, Parties: appropriation.ProgrammeParties(p), Approvals: approvals, Tranches: tranches}, nil
}

// Define records a programme, opens its escrow account and records the
// maker's approval.
func (c *Contract) Define(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.DefineProgramme, request, func(c call, r api.DefineProgrammeRequest) (api.ProgrammeView, error) {
		var none api.ProgrammeView
		p, err := appropriation.NewProgramme(r, c.Caller.MSPID, c.Caller.Bank, c.Time)
		if err != nil {
			return none, err
		}
		for _, f := range p.Funders {
			if !c.Config.HasOrg(f.MSP) {
				return none, api.Errorf(api.CodeInvalidArgument, "funder %s is not a province of this channel", f.MSP)
			}
		}
		_, k, err := c.programme(p.ID)
		if err == nil {
			return none, api.Errorf(api.CodeAlreadyExists, "programme %s", p.ID)
		} else if api.CodeOf(err) != api.CodeNotFound {
			return none, err
		}
		if _, err := c.st.Account(p.Escrow); err == nil {
			return none, api.Errorf(api.CodeAlreadyExists, "account %s", p.Escrow)
		} else if api.CodeOf(err) != api.CodeNotFound {
			return none, err
		}
		escrow := api.Account{ID: p.Escrow, OwnerMSP: p.OwnerMSP, Bank: p.OwnerBureau, Kind: api.KindEscrow, Tier: api.TierUnlimited,
			Status: api.StatusActive, OpenedAt: c.Time, UpdatedAt: c.Time}
		if err := c.st.PutAccount(escrow); err != nil {
			return none, err
		}
		if err := c.st.PutJSON(k, p, c.quorum()); err != nil {
			return none, err
		}
		a, err := c.approve(p.ID, "programme", appropriation.ProgrammeParties(p))
		if err != nil {
			return none, err
		}
		c.Emit(api.Event{Type: api.EventProgrammeDefined, ID: p.ID, Programme: p.ID, MSP: p.OwnerMSP, Bank: p.OwnerBureau, Amount: p.Budget})
		return api.ProgrammeView{Programme: p, Parties: appropriation.ProgrammeParties(p), Approvals: []api.PartyApproval{a}, Tranches: []api.Tranche{}}, nil
	})
}

// Approve records a party's approval; the approval that completes the rule
// activates the programme.
func (c *Contract) Approve(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ApproveProgramme, request, func(c call, r api.ProgrammeID) (api.ProgrammeView, error) {
		var none api.ProgrammeView
		p, k, err := c.programme(r.ID)
		if err != nil {
			return none, err
		}
		if p.Status != api.ProgrammeProposed {
			return none, api.Errorf(api.CodeProposalClosed, "programme %s is %s", p.ID, p.Status)
		}
		parties := appropriation.ProgrammeParties(p)
		before, err := c.approvals(p.ID, "programme")
		if err != nil {
			return none, err
		}
		a, err := c.approve(p.ID, "programme", parties)
		if err != nil {
			return none, err
		}
		all := append(before, a)
		if appropriation.Satisfied(parties, all) {
			p.Status, p.ActivatedAt = api.ProgrammeActive, c.Time
			if err := c.st.PutJSON(k, p, c.quorum()); err != nil {
				return none, err
			}
		}
		c.Emit(api.Event{Type: api.EventProgrammeApproved, ID: p.ID, Programme: p.ID, MSP: c.Caller.MSPID, Bank: c.Caller.Bank})
		tranches, err := c.tranches(p.ID)
		if err != nil {
			return none, err
		}
		return api.ProgrammeView{Programme: p, Parties: parties, Approvals: all, Tranches: tranches}, nil
	})
}

// Get reads a programme.
func (c *Contract) Get(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.GetProgramme, request, func(c call, r api.ProgrammeID) (api.ProgrammeView, error) {
		p, _, err := c.programme(r.ID)
		if err != nil {
			return api.ProgrammeView{}, err
		}
		if err := c.visible(p); err != nil {
			return api.ProgrammeView{}, err
		}
		return c.view(p)
	})
}
