package govcc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/interbankcc"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
)

// Keys of decisions. Both carry the configuration's quorum policy: no
// coalition smaller than a quorum of provinces can forge, alter or delete
// a proposal or an approval, and an approval is only ever written by the
// approving identity's own transaction (its signature is on the proposal
// every honest endorser checks).
const (
	nsProposal = "yrd.prop" // [proposalID] -> api.Proposal
	nsApproval = "yrd.appr" // [proposalID, MSP, identity hash] -> api.Approval
)

// Propose records a proposal and the proposer's own approval.
func (c *Contract) Propose(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Propose, request, func(call *dispatch.Call, r api.ProposeRequest) (api.ProposalView, error) {
		var none api.ProposalView
		if api.NamespaceOf(r.ID) != call.Caller.MSPID {
			return none, api.Errorf(api.CodeForbidden, "proposal ID %s is not in %s's namespace (%s:…)", r.ID, call.Caller.MSPID, call.Caller.MSPID)
		}
		rule, _ := api.RuleOf(r.Action, call.Config.Quorum)
		if call.Caller.Role != rule.Role {
			return none, api.Errorf(api.CodeForbidden, "a %s proposal is made by a %s", r.Action, rule.Role)
		}
		if err := checkProposal(call, r); err != nil {
			return none, err
		}
		k, err := key(call, nsProposal, r.ID)
		if err != nil {
			return none, err
		}
		if old, err := call.Stub.GetState(k); err != nil {
			return none, api.Internal(err, "read proposal")
		} else if old != nil {
			return none, api.Errorf(api.CodeAlreadyExists, "proposal %s", r.ID)
		}
		ttl := api.DefaultProposalTTL
		if r.TTLSeconds > 0 {
			ttl = time.Duration(r.TTLSeconds) * time.Second
		}
		p := api.Proposal{ID: r.ID, Action: r.Action, Mint: r.Mint, Redeem: r.Redeem, Ceiling: r.Ceiling, Config: r.Config, Calendar: r.Calendar,
			Rule: rule, ProposerMSP: call.Caller.MSPID, Proposer: identityHash(call.Caller.ID), Status: api.ProposalPending,
			CreatedAt: call.Time, ExpiresAt: call.Time.Add(ttl)}
		if err := putJSON(call, k, p); err != nil {
			return none, err
		}
		a, err := approve(call, p)
		if err != nil {
			return none, err
		}
		call.Emit(api.Event{Type: api.EventProposed, ID: p.ID, MSP: p.ProposerMSP, Action: p.Action})
		return view(p, []api.Approval{a}), nil
	})
}

// checkProposal fails early on what execution would refuse anyway.
func checkProposal(call *dispatch.Call, r api.ProposeRequest) error {
	switch r.Action {
	case api.ActionMint, api.ActionRedeem:
		account := ""
		if r.Mint != nil {
			account = r.Mint.Account
		} else {
			account = r.Redeem.Account
		}
		if api.NamespaceOf(account) != call.Caller.Bank {
			return api.Errorf(api.CodeForbidden, "a province's central-bank branch proposes for its own reserve (%s:…), not %s", call.Caller.Bank, account)
		}
	case api.ActionCeiling:
		if !call.Config.HasOrg(r.Ceiling.MSP) {
			return api.Errorf(api.CodeInvalidArgument, "%s is not a province of this channel", r.Ceiling.MSP)
		}
	case api.ActionConfig:
		if !r.Config.HasOrg(call.Caller.MSPID) {
			return api.Errorf(api.CodeInvalidArgument, "a configuration that drops the proposing province is refused")
		}
	}
	return nil
}

// Approve records the caller's approval of a pending proposal.
func (c *Contract) Approve(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Approve, request, func(call *dispatch.Call, r api.ProposalID) (api.ProposalView, error) {
		var none api.ProposalView
		p, err := pending(call, r.ID)
		if err != nil {
			return none, err
		}
		if call.Caller.Role != p.Rule.Role {
			return none, api.Errorf(api.CodeForbidden, "a %s proposal is approved by %ss", p.Action, p.Rule.Role)
		}
		approvals, err := approvalsOf(call, p.ID)
		if err != nil {
			return none, err
		}
		if len(approvals) >= api.MaxApprovals {
			return none, api.Errorf(api.CodeLimitExceeded, "proposal %s has %d approvals already", p.ID, len(approvals))
		}
		a, err := approve(call, p)
		if err != nil {
			return none, err
		}
		call.Emit(api.Event{Type: api.EventApproved, ID: p.ID, MSP: call.Caller.MSPID, Action: p.Action})
		return view(p, append(approvals, a)), nil
	})
}

// Execute carries out an approved proposal exactly once.
func (c *Contract) Execute(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Execute, request, func(call *dispatch.Call, r api.ExecuteRequest) (api.Execution, error) {
		var none api.Execution
		p, err := pending(call, r.ID)
		if err != nil {
			return none, err
		}
		if call.Caller.Role != p.Rule.Role {
			return none, api.Errorf(api.CodeForbidden, "a %s proposal is executed by a %s", p.Action, p.Rule.Role)
		}
		if (p.Action == api.ActionMint || p.Action == api.ActionRedeem) && call.Caller.MSPID != p.ProposerMSP {
			return none, api.Errorf(api.CodeForbidden, "the proposing province (%s) executes its own reserve's %s", p.ProposerMSP, p.Action)
		}
		if (len(r.Inputs) > 0) != (p.Action == api.ActionRedeem) {
			return none, api.Errorf(api.CodeInvalidArgument, "inputs are given for a redemption, and only for one")
		}
		approvals, err := approvalsOf(call, p.ID)
		if err != nil {
			return none, err
		}
		if v := view(p, approvals); !v.Approved {
			return none, api.Errorf(api.CodeNotApproved, "proposal %s needs %ss of %d provinces; %s", p.ID, p.Rule.Role, p.Rule.Provinces, tally(v))
		}
		ex := api.Execution{}
		switch p.Action {
		case api.ActionMint:
			m, err := tokencc.ExecuteMint(call, p.ID, p.ProposerMSP, *p.Mint)
			if err != nil {
				return none, err
			}
			ex.Mint = &m
		case api.ActionRedeem:
			red, err := tokencc.ExecuteRedeem(call, p.ID, p.ProposerMSP, *p.Redeem, r.Inputs)
			if err != nil {
				return none, err
			}
			ex.Redemption = &red
		case api.ActionCeiling:
			c, err := tokencc.SetCeiling(call, *p.Ceiling)
			if err != nil {
				return none, err
			}
			ex.Ceiling = &c
		case api.ActionConfig:
			cfg, err := replaceConfig(call, *p.Config)
			if err != nil {
				return none, err
			}
			ex.Config = &cfg
		case api.ActionCalendar:
			cal, err := interbankcc.SetCalendar(call, *p.Calendar)
			if err != nil {
				return none, err
			}
			ex.Calendar = &cal
		}
		p, err = closeProposal(call, p, api.ProposalExecuted)
		if err != nil {
			return none, err
		}
		call.Emit(api.Event{Type: api.EventExecuted, ID: p.ID, MSP: p.ProposerMSP, Action: p.Action})
		ex.Proposal = p
		return ex, nil
	})
}

// Cancel withdraws a pending proposal; only its proposer's province may.
func (c *Contract) Cancel(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Cancel, request, func(call *dispatch.Call, r api.ProposalID) (api.ProposalView, error) {
		var none api.ProposalView
		p, err := pending(call, r.ID)
		if err != nil {
			return none, err
		}
		if call.Caller.MSPID != p.ProposerMSP || call.Caller.Role != p.Rule.Role {
			return none, api.Errorf(api.CodeForbidden, "only %ss of %s may cancel proposal %s", p.Rule.Role, p.ProposerMSP, p.ID)
		}
		approvals, err := approvalsOf(call, p.ID)
		if err != nil {
			return none, err
		}
		if p, err = closeProposal(call, p, api.ProposalCancelled); err != nil {
			return none, err
		}
		call.Emit(api.Event{Type: api.EventCancelled, ID: p.ID, MSP: p.ProposerMSP, Action: p.Action})
		return view(p, approvals), nil
	})
}

// GetProposal reads a proposal with its approvals.
func (c *Contract) GetProposal(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.GetProposal, request, func(call *dispatch.Call, r api.ProposalID) (api.ProposalView, error) {
		p, err := load(call, r.ID)
		if err != nil {
			return api.ProposalView{}, err
		}
		approvals, err := approvalsOf(call, p.ID)
		if err != nil {
			return api.ProposalView{}, err
		}
		return view(p, approvals), nil
	})
}

// GetCeiling reads a province's issuance ceiling.
func (c *Contract) GetCeiling(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.GetCeiling, request, func(call *dispatch.Call, r api.CeilingRequest) (api.Ceiling, error) {
		return tokencc.ReadCeiling(call, r.MSP)
	})
}

func key(call *dispatch.Call, ns string, attrs ...string) (string, error) {
	k, err := call.Stub.CreateCompositeKey(ns, attrs)
	if err != nil {
		return "", api.Errorf(api.CodeInvalidArgument, "bad key attribute: %v", err)
	}
	return k, nil
}

// putJSON writes v under k with the quorum policy (set when the key is
// created; rewriting an existing key keeps it).
func putJSON(call *dispatch.Call, k string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return api.Internal(err, "encode")
	}
	old, err := call.Stub.GetState(k)
	if err != nil {
		return api.Internal(err, "read state")
	}
	if err := call.Stub.PutState(k, b); err != nil {
		return api.Internal(err, "write state")
	}
	if old == nil {
		if err := call.Stub.SetStateValidationParameter(k, call.Policies.Quorum()); err != nil {
			return api.Internal(err, "set key policy")
		}
	}
	return nil
}

func load(call *dispatch.Call, id string) (api.Proposal, error) {
	k, err := key(call, nsProposal, id)
	if err != nil {
		return api.Proposal{}, err
	}
	b, err := call.Stub.GetState(k)
	if err != nil {
		return api.Proposal{}, api.Internal(err, "read proposal")
	}
	if b == nil {
		return api.Proposal{}, api.Errorf(api.CodeNotFound, "proposal %s", id)
	}
	var p api.Proposal
	if err := json.Unmarshal(b, &p); err != nil {
		return api.Proposal{}, api.Internal(err, "decode proposal")
	}
	return p, nil
}

// pending loads a proposal that may still be approved, executed or
// cancelled: pending and not expired (by the transaction's trusted time).
func pending(call *dispatch.Call, id string) (api.Proposal, error) {
	p, err := load(call, id)
	if err != nil {
		return p, err
	}
	if p.Status != api.ProposalPending {
		return p, api.Errorf(api.CodeProposalClosed, "proposal %s is %s", id, p.Status)
	}
	if !call.Time.Before(p.ExpiresAt) {
		return p, api.Errorf(api.CodeProposalClosed, "proposal %s expired at %s", id, p.ExpiresAt.Format(time.RFC3339))
	}
	return p, nil
}

func closeProposal(call *dispatch.Call, p api.Proposal, status string) (api.Proposal, error) {
	k, err := key(call, nsProposal, p.ID)
	if err != nil {
		return p, err
	}
	at := call.Time
	p.Status, p.ClosedAt, p.ClosedTx = status, &at, call.TxID
	return p, putJSON(call, k, p)
}

// identityHash names a certificate in approval keys without its subject.
func identityHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}

// approve records the caller's approval (ALREADY_EXISTS if it approved).
func approve(call *dispatch.Call, p api.Proposal) (api.Approval, error) {
	id := identityHash(call.Caller.ID)
	k, err := key(call, nsApproval, p.ID, call.Caller.MSPID, id)
	if err != nil {
		return api.Approval{}, err
	}
	if old, err := call.Stub.GetState(k); err != nil {
		return api.Approval{}, api.Internal(err, "read approval")
	} else if old != nil {
		return api.Approval{}, api.Errorf(api.CodeAlreadyExists, "this identity approved proposal %s already", p.ID)
	}
	a := api.Approval{ProposalID: p.ID, MSP: call.Caller.MSPID, Identity: id, Role: call.Caller.Role, TxID: call.TxID, At: call.Time}
	return a, putJSON(call, k, a)
}

// approvalsOf reads a proposal's approvals (committed ones: approvals made
// in this transaction are added by the caller).
func approvalsOf(call *dispatch.Call, id string) ([]api.Approval, error) {
	it, err := call.Stub.GetStateByPartialCompositeKey(nsApproval, []string{id})
	if err != nil {
		return nil, api.Internal(err, "query approvals")
	}
	defer it.Close()
	var out []api.Approval
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, api.Internal(err, "query approvals")
		}
		var a api.Approval
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return nil, api.Internal(err, "decode approval")
		}
		if a.ProposalID != id {
			return nil, api.Errorf(api.CodeInternal, "approval of %s under proposal %s", a.ProposalID, id)
		}
		out = append(out, a)
		if len(out) > api.MaxApprovals {
			break
		}
	}
	return out, nil
}

// view reports whether the rule holds: approvals by the rule's role from
// enough distinct provinces and identities.
func view(p api.Proposal, approvals []api.Approval) api.ProposalView {
	if approvals == nil {
		approvals = []api.Approval{}
	}
	provinces, ids := map[string]bool{}, map[string]bool{}
	for _, a := range approvals {
		if a.Role != p.Rule.Role {
			continue
		}
		provinces[a.MSP] = true
		ids[a.Identity] = true
	}
	ok := len(provinces) >= p.Rule.Provinces && len(ids) >= p.Rule.Identities
	return api.ProposalView{Proposal: p, Approvals: approvals, Approved: ok}
}

func tally(v api.ProposalView) string {
	provinces := map[string]bool{}
	for _, a := range v.Approvals {
		if a.Role == v.Proposal.Rule.Role {
			provinces[a.MSP] = true
		}
	}
	return "approved by " + strconv.Itoa(len(provinces)) + " so far"
}

// replaceConfig writes a new configuration decided by quorum.
func replaceConfig(call *dispatch.Call, cfg api.Config) (api.Config, error) {
	if _, err := dispatch.Policies(cfg); err != nil {
		return cfg, err
	}
	k, err := dispatch.ConfigKey(call.Stub)
	if err != nil {
		return cfg, err
	}
	if err := putJSON(call, k, cfg); err != nil {
		return cfg, err
	}
	call.Emit(api.Event{Type: api.EventConfigChanged, ID: "config"})
	return cfg, nil
}
