package govcc_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/money"
)

// TestMintNeedsIssuersOfThreeProvinces: one province's issuer cannot
// mint. The proposer's approval counts; a mint executes only once issuers
// of three distinct provinces approved it.
func TestMintNeedsIssuersOfThreeProvinces(t *testing.T) {
	tests := []struct {
		name string
		// approvers besides the proposer (Shanghai's issuer)
		approvers []*memstub.Identity
		code      api.Code
	}{
		{"the proposer alone", nil, api.CodeNotApproved},
		{"the proposer and one province", []*memstub.Identity{issuer(JS)}, api.CodeNotApproved},
		{"two issuers of the proposer's province and one other", []*memstub.Identity{issuer2(SH), issuer(JS)}, api.CodeNotApproved},
		{"two issuers of another province", []*memstub.Identity{issuer(JS), issuer2(JS)}, api.CodeNotApproved},
		{"three provinces", []*memstub.Identity{issuer(JS), issuer(ZJ)}, ""},
		{"four provinces", []*memstub.Identity{issuer(JS), issuer(ZJ), issuer(AH)}, ""},
		{"three provinces, one of them twice", []*memstub.Identity{issuer2(SH), issuer(AH), issuer(ZJ)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newReserves(t)
			e.SetCeiling(SH, y("1000000"))
			id := e.Propose(issuer(SH), mintReq(SH, y("250000.50"), "deposit-1"))
			e.Approve(id, tt.approvers...)
			v := cctest.Must(e, auditor(ZJ), api.GetProposal, api.ProposalID{ID: id})
			if v.Approved != (tt.code == "") || len(v.Approvals) != 1+len(tt.approvers) {
				t.Fatalf("view: approved=%v with %d approvals", v.Approved, len(v.Approvals))
			}
			if tt.code != "" {
				cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, tt.code)
				if e.Supply() != 0 || e.Balance(reserve(SH)) != 0 {
					t.Fatal("money was created")
				}
				return
			}
			ex, r := cctest.Call(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id})
			if !r.OK() {
				t.Fatal(r.Message)
			}
			if ex.Mint == nil || ex.Mint.Amount != y("250000.50") || ex.Mint.Account != reserve(SH) || ex.Proposal.Status != api.ProposalExecuted {
				t.Fatalf("execution %+v", ex)
			}
			if e.Supply() != y("250000.50") || e.Balance(reserve(SH)) != y("250000.50") || e.Issued(SH) != y("250000.50") {
				t.Fatalf("supply %s, reserve %s, issued %s", e.Supply(), e.Balance(reserve(SH)), e.Issued(SH))
			}
			env := cctest.Envelope(t, r)
			if len(env.Events) != 2 || env.Events[0].Type != api.EventMinted || env.Events[0].Bank != "SH-PBC" ||
				env.Events[0].Amount != y("250000.50") || env.Events[1].Type != api.EventExecuted || env.Events[1].Action != api.ActionMint {
				t.Fatalf("events %+v", env.Events)
			}
			// Exactly once.
			cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeProposalClosed)
			cctest.Reject(e, issuer(AH), api.Approve, api.ProposalID{ID: id}, api.CodeProposalClosed)
			cctest.Reject(e, issuer(SH), api.Cancel, api.ProposalID{ID: id}, api.CodeProposalClosed)
			if e.Supply() != y("250000.50") {
				t.Fatalf("supply %s after a second Execute", e.Supply())
			}
		})
	}
}

// TestMintRules: what a mint may do even with three provinces' approval.
func TestMintRules(t *testing.T) {
	tests := []struct {
		name string
		// run proposes, approves and executes; it returns the execution's
		// answer code (or fails the test at an earlier refusal it expects).
		run  func(e *env) (api.Code, money.Amount)
		code api.Code
	}{
		{"at the ceiling", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("1000"), "d1")), y("1000")
		}, ""},
		{"a fen past the ceiling", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("1000.01"), "d1")), 0
		}, api.CodeCeilingExceeded},
		{"past the ceiling with an earlier mint", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			if c := execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("600"), "d1")); c != "" {
				e.TB.Fatalf("first mint: %s", c)
			}
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("400.01"), "d2")), y("600")
		}, api.CodeCeilingExceeded},
		{"a province without a ceiling", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(JS, y("1000"))
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("1"), "d1")), 0
		}, api.CodeCeilingExceeded},
		{"a reserve reference used twice", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			if c := execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("1"), "deposit-7")); c != "" {
				e.TB.Fatalf("first mint: %s", c)
			}
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("1"), "deposit-7")), y("1")
		}, api.CodeAlreadyExists},
		{"the same reserve reference in two provinces", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			e.SetCeiling(JS, y("1000"))
			if c := execMint(e, issuer(JS), issuer(JS), mintReq(JS, y("1"), "deposit-7")); c != "" {
				e.TB.Fatalf("Jiangsu's mint: %s", c)
			}
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("2"), "deposit-7")), y("3")
		}, ""},
		{"executed by another province", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			return execMint(e, issuer(SH), issuer(JS), mintReq(SH, y("1"), "d1")), 0
		}, api.CodeForbidden},
		{"a certificate of one province claiming another's central bank", func(e *env) (api.Code, money.Amount) {
			// Shanghai's CA issues an issuer certificate with bank JS-PBC:
			// the door refuses a bank outside Shanghai's prefix (and,
			// behind it, execution would find the reserve is Jiangsu's).
			e.SetCeiling(SH, y("1000"))
			rogue := cctest.Ident(SH, api.RoleIssuer, cctest.PBC(JS), "rogue")
			r := cctest.Reject(e, rogue, api.Propose, withID(mintReq(JS, y("1"), "d1"), "ShanghaiMSP:rogue"), api.CodeForbidden)
			return cctest.CodeOf(r.Message), 0
		}, api.CodeForbidden},
		{"a frozen reserve", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			e.Freeze(reserve(SH), "audit")
			return execMint(e, issuer(SH), issuer(SH), mintReq(SH, y("1"), "d1")), 0
		}, api.CodeAccountFrozen},
		{"an account that does not exist", func(e *env) (api.Code, money.Amount) {
			e.SetCeiling(SH, y("1000"))
			r := mintReq(SH, y("1"), "d1")
			r.Mint.Account = "SH-PBC:nowhere"
			return execMint(e, issuer(SH), issuer(SH), r), 0
		}, api.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newReserves(t)
			code, supply := tt.run(e)
			if code != tt.code {
				t.Fatalf("execute: code %q, want %q", code, tt.code)
			}
			if got := e.Supply(); got != supply {
				t.Fatalf("supply %s, want %s", got, supply)
			}
		})
	}
}

// execMint proposes r as proposer, has the issuers of two other
// provinces approve it and executes it as executor; it returns the code of
// the execution ("" when it settled). A refused execution changes nothing.
func execMint(e *env, proposer, executor *memstub.Identity, r api.ProposeRequest) api.Code {
	e.TB.Helper()
	id := e.Propose(proposer, r)
	e.Approve(id, issuer(cctest.Others(proposer.MSPID)[0]), issuer(cctest.Others(proposer.MSPID)[1]))
	before := e.L.Snapshot()
	_, res := cctest.Call(e, executor, api.Execute, api.ExecuteRequest{ID: id})
	if !res.OK() && !reflect.DeepEqual(before, e.L.Snapshot()) {
		e.TB.Fatal("a refused execution changed the state")
	}
	return cctest.CodeOf(res.Message)
}

// TestProposalRules: who may propose, approve, execute and cancel.
func TestProposalRules(t *testing.T) {
	e := newReserves(t)
	e.SetCeiling(SH, y("1000"))
	id := e.Propose(issuer(SH), mintReq(SH, y("1"), "d1"))
	cfg := govcc.DefaultConfig()
	cfg.MaxClockSkewSeconds = 120
	cfgID := e.Propose(admin(SH), api.ProposeRequest{Action: api.ActionConfig, Config: &cfg})
	tests := []struct {
		name string
		run  func(e *env)
	}{
		{"an operator cannot propose", func(e *env) {
			cctest.Reject(e, operator(SH, "SH-ICBC"), api.Propose, withID(mintReq(SH, y("1"), "x"), "ShanghaiMSP:op"), api.CodeForbidden)
		}},
		{"an operator cannot approve", func(e *env) {
			cctest.Reject(e, operator(JS, "JS-ABC"), api.Approve, api.ProposalID{ID: id}, api.CodeForbidden)
		}},
		{"an auditor cannot approve", func(e *env) {
			cctest.Reject(e, auditor(JS), api.Approve, api.ProposalID{ID: id}, api.CodeForbidden)
		}},
		{"an admin cannot propose a mint", func(e *env) {
			cctest.Reject(e, admin(SH), api.Propose, withID(mintReq(SH, y("1"), "x"), "ShanghaiMSP:adm"), api.CodeForbidden)
		}},
		{"an admin cannot approve a mint", func(e *env) {
			cctest.Reject(e, admin(JS), api.Approve, api.ProposalID{ID: id}, api.CodeForbidden)
		}},
		{"an issuer cannot propose a configuration", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:cfg2", Action: api.ActionConfig, Config: &cfg}, api.CodeForbidden)
		}},
		{"an issuer cannot approve a configuration", func(e *env) {
			cctest.Reject(e, issuer(JS), api.Approve, api.ProposalID{ID: cfgID}, api.CodeForbidden)
		}},
		{"the same identity approves twice", func(e *env) {
			e.Approve(id, issuer(JS))
			cctest.Reject(e, issuer(JS), api.Approve, api.ProposalID{ID: id}, api.CodeAlreadyExists)
		}},
		{"the proposer approves its own proposal", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Approve, api.ProposalID{ID: id}, api.CodeAlreadyExists)
		}},
		{"a proposal ID in another province's namespace", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, withID(mintReq(SH, y("1"), "x"), "JiangsuMSP:p"), api.CodeForbidden)
		}},
		{"a proposal ID without namespace", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, withID(mintReq(SH, y("1"), "x"), "p"), api.CodeInvalidArgument)
		}},
		{"a proposal ID used twice", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, withID(mintReq(SH, y("2"), "x"), id), api.CodeAlreadyExists)
		}},
		{"a mint into another province's reserve", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, withID(mintReq(JS, y("1"), "x"), "ShanghaiMSP:foreign"), api.CodeForbidden)
		}},
		{"a redemption from another province's reserve", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:r", Action: api.ActionRedeem,
				Redeem: &api.RedeemParams{Account: reserve(JS), Amount: y("1")}}, api.CodeForbidden)
		}},
		{"a ceiling for an unknown province", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:c", Action: api.ActionCeiling,
				Ceiling: &api.CeilingParams{MSP: "EvilMSP", Ceiling: y("1")}}, api.CodeInvalidArgument)
		}},
		{"a configuration that drops the proposer", func(e *env) {
			c := api.Config{Orgs: []string{AH, JS, ZJ}, OwnerEndorsers: 2, Quorum: 2,
				BankPrefixes: map[string]string{AH: "AH-", JS: "JS-", ZJ: "ZJ-"}}
			if err := c.Validate(); err != nil {
				t.Fatalf("the configuration must be valid, so that only the dropped proposer refuses it: %v", err)
			}
			cctest.Reject(e, admin(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:drop", Action: api.ActionConfig, Config: &c}, api.CodeInvalidArgument)
		}},
		{"parameters of another action", func(e *env) {
			cctest.Reject(e, issuer(SH), api.Propose, `{"id":"ShanghaiMSP:mix","action":"mint","ceiling":{"msp":"ShanghaiMSP","ceiling":"1"}}`, api.CodeInvalidArgument)
		}},
		{"an unknown proposal", func(e *env) {
			cctest.Reject(e, issuer(JS), api.Approve, api.ProposalID{ID: "ShanghaiMSP:nothing"}, api.CodeNotFound)
			cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: "ShanghaiMSP:nothing"}, api.CodeNotFound)
		}},
		{"inputs for a mint", func(e *env) {
			id := e.decideLater(SH, mintReq(SH, y("1"), "inputs"))
			cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id, Inputs: []string{"x.0"}}, api.CodeInvalidArgument)
		}},
		{"another province cancels", func(e *env) {
			cctest.Reject(e, issuer(JS), api.Cancel, api.ProposalID{ID: id}, api.CodeForbidden)
		}},
		{"an admin of the proposer's province cancels a mint", func(e *env) {
			cctest.Reject(e, admin(SH), api.Cancel, api.ProposalID{ID: id}, api.CodeForbidden)
		}},
		{"an operator reads a proposal", func(e *env) {
			cctest.Reject(e, operator(SH, "SH-ICBC"), api.GetProposal, api.ProposalID{ID: id}, api.CodeForbidden)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(e.with(t)) })
	}
}

func withID(r api.ProposeRequest, id string) api.ProposeRequest { r.ID = id; return r }

// TestApprovalLimit: a proposal takes at most api.MaxApprovals approvals.
func TestApprovalLimit(t *testing.T) {
	e := newReserves(t)
	id := e.Propose(issuer(SH), api.ProposeRequest{Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: SH, Ceiling: y("1")}})
	for i := 1; i < api.MaxApprovals; i++ {
		e.Approve(id, cctest.Ident(orgs[i%len(orgs)], api.RoleIssuer, cctest.PBC(orgs[i%len(orgs)]), fmt.Sprintf("issuer-%d", i)))
	}
	cctest.Reject(e, cctest.Ident(JS, api.RoleIssuer, cctest.PBC(JS), "one-too-many"), api.Approve, api.ProposalID{ID: id}, api.CodeLimitExceeded)
}

// TestCancel: the proposing province withdraws a pending proposal; it
// cannot be approved or executed after.
func TestCancel(t *testing.T) {
	e := newReserves(t)
	e.SetCeiling(SH, y("1000"))
	id := e.Propose(issuer(SH), mintReq(SH, y("1"), "d1"))
	e.Approve(id, issuer(JS), issuer(ZJ))
	v, r := cctest.Call(e, issuer2(SH), api.Cancel, api.ProposalID{ID: id})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	if v.Proposal.Status != api.ProposalCancelled || v.Proposal.ClosedTx != r.TxID || len(v.Approvals) != 3 {
		t.Fatalf("view %+v", v)
	}
	if env := cctest.Envelope(t, r); len(env.Events) != 1 || env.Events[0].Type != api.EventCancelled || env.Events[0].ID != id {
		t.Fatalf("events %+v", env.Events)
	}
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeProposalClosed)
	cctest.Reject(e, issuer(AH), api.Approve, api.ProposalID{ID: id}, api.CodeProposalClosed)
	cctest.Reject(e, issuer(SH), api.Cancel, api.ProposalID{ID: id}, api.CodeProposalClosed)
	if e.Supply() != 0 {
		t.Fatal("a cancelled mint created money")
	}
}

// TestProposalExpiry: a proposal collects approvals until ExpiresAt (by
// the transaction's trusted time); from then on it can be neither
// approved, executed nor cancelled.
func TestProposalExpiry(t *testing.T) {
	e := newReserves(t)
	e.SetCeiling(SH, y("1000"))
	v := cctest.Must(e, issuer(SH), api.Propose, withTTL(withID(mintReq(SH, y("1"), "d1"), "ShanghaiMSP:ttl"), 60))
	created := v.Proposal.CreatedAt
	if !v.Proposal.ExpiresAt.Equal(created.Add(time.Minute)) {
		t.Fatalf("expires at %s, created %s", v.Proposal.ExpiresAt, created)
	}
	e.L.Clock = created.Add(59 * time.Second)
	e.Approve("ShanghaiMSP:ttl", issuer(JS))
	e.L.Clock = created.Add(60 * time.Second)
	cctest.Reject(e, issuer(ZJ), api.Approve, api.ProposalID{ID: "ShanghaiMSP:ttl"}, api.CodeProposalClosed)

	// Approved in time, executed too late.
	v = cctest.Must(e, issuer(SH), api.Propose, withTTL(withID(mintReq(SH, y("1"), "d2"), "ShanghaiMSP:late"), 60))
	e.Approve("ShanghaiMSP:late", issuer(JS), issuer(ZJ))
	e.L.Clock = v.Proposal.ExpiresAt.Add(time.Second)
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: "ShanghaiMSP:late"}, api.CodeProposalClosed)
	cctest.Reject(e, issuer(SH), api.Cancel, api.ProposalID{ID: "ShanghaiMSP:late"}, api.CodeProposalClosed)
	if e.Supply() != 0 {
		t.Fatal("an expired mint created money")
	}

	// The default lifetime is a day; at most seven days may be asked for.
	v = cctest.Must(e, issuer(SH), api.Propose, withID(mintReq(SH, y("1"), "d3"), "ShanghaiMSP:default"))
	if got := v.Proposal.ExpiresAt.Sub(v.Proposal.CreatedAt); got != api.DefaultProposalTTL {
		t.Fatalf("default lifetime %s", got)
	}
	cctest.Reject(e, issuer(SH), api.Propose, withTTL(withID(mintReq(SH, y("1"), "d4"), "ShanghaiMSP:long"), int(api.MaxProposalTTL/time.Second)+1), api.CodeInvalidArgument)
}

func withTTL(r api.ProposeRequest, s int) api.ProposeRequest { r.TTLSeconds = s; return r }

// TestRedemption: a redemption needs issuers of three provinces too; it
// burns reserve outputs, lowers the supply and what the province issued,
// and executes once.
func TestRedemption(t *testing.T) {
	e := newReserves(t)
	e.SetCeiling(SH, y("1000"))
	out := e.Decide(SH, mintReq(SH, y("1000"), "d1"), nil).Mint.Output
	redeem := func(amount string) api.ProposeRequest {
		return api.ProposeRequest{Action: api.ActionRedeem, Redeem: &api.RedeemParams{Account: reserve(SH), Amount: y(amount)}}
	}
	// Two provinces are not enough.
	id := e.Propose(issuer(SH), redeem("300"))
	e.Approve(id, issuer(JS))
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id, Inputs: []string{out}}, api.CodeNotApproved)
	e.Approve(id, issuer(AH))
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeInvalidArgument)
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id, Inputs: []string{"nobody.0"}}, api.CodeInputNotOwned)
	cctest.Reject(e, issuer(JS), api.Execute, api.ExecuteRequest{ID: id, Inputs: []string{out}}, api.CodeForbidden)
	ex, r := cctest.Call(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id, Inputs: []string{out}})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	red := ex.Redemption
	if red == nil || red.Amount != y("300") || red.Supply != y("700") || len(red.ChangeOutputs) != 1 {
		t.Fatalf("redemption %+v", red)
	}
	if e.Supply() != y("700") || e.Balance(reserve(SH)) != y("700") || e.Issued(SH) != y("700") {
		t.Fatalf("supply %s, reserve %s, issued %s", e.Supply(), e.Balance(reserve(SH)), e.Issued(SH))
	}
	if env := cctest.Envelope(t, r); len(env.Events) != 2 || env.Events[0].Type != api.EventRedeemed || env.Events[0].Amount != y("300") {
		t.Fatalf("events %+v", env.Events)
	}
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id, Inputs: red.ChangeOutputs}, api.CodeProposalClosed)
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: e.decideLater(SH, redeem("300")), Inputs: []string{out}}, api.CodeInputSpent)
	// More than the inputs hold.
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: e.decideLater(SH, redeem("700.01")), Inputs: red.ChangeOutputs}, api.CodeInsufficientFunds)
	// The room freed under the ceiling is usable again.
	e.Decide(SH, mintReq(SH, y("300"), "d2"), nil)
	if e.Issued(SH) != y("1000") || e.Supply() != y("1000") {
		t.Fatalf("issued %s, supply %s", e.Issued(SH), e.Supply())
	}
}

// decideLater proposes r as msp's issuer and has two other provinces
// approve it, and returns its ID for the test to execute.
func (e *env) decideLater(msp string, r api.ProposeRequest) string {
	e.TB.Helper()
	id := e.Propose(issuer(msp), r)
	e.Approve(id, issuer(cctest.Others(msp)[0]), issuer(cctest.Others(msp)[1]))
	return id
}

// TestCeilingDecision: a ceiling is itself decided by issuers of three
// provinces; any issuer may execute it; what was issued is kept.
func TestCeilingDecision(t *testing.T) {
	e := newReserves(t)
	ceiling := func(msp, amount string) api.ProposeRequest {
		return api.ProposeRequest{Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: msp, Ceiling: y(amount)}}
	}
	id := e.Propose(issuer(SH), ceiling(SH, "1000"))
	e.Approve(id, issuer(JS))
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeNotApproved)
	cctest.Reject(e, auditor(SH), api.GetCeiling, api.CeilingRequest{MSP: SH}, api.CodeNotFound)
	e.Approve(id, issuer(AH))
	ex, r := cctest.Call(e, issuer(ZJ), api.Execute, api.ExecuteRequest{ID: id})
	if !r.OK() || ex.Ceiling == nil || ex.Ceiling.Ceiling != y("1000") || ex.Ceiling.MSP != SH {
		t.Fatalf("%s %+v", r.Message, ex)
	}
	e.Decide(SH, mintReq(SH, y("800"), "d1"), nil)
	// Lowered below what was issued: no further mint.
	e.Decide(JS, ceiling(SH, "500"), nil)
	c := cctest.Must(e, issuer(AH), api.GetCeiling, api.CeilingRequest{MSP: SH})
	if c.Ceiling != y("500") || c.Issued != y("800") {
		t.Fatalf("ceiling %+v", c)
	}
	id = e.decideLater(SH, mintReq(SH, y("0.01"), "d2"))
	cctest.Reject(e, issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeCeilingExceeded)
}

// TestConfigDecision: the configuration changes by a decision of the
// admins of three provinces, and gov:Init cannot run twice.
func TestConfigDecision(t *testing.T) {
	e := newEnv(t)
	cctest.Reject(e, admin(JS), api.Init, govcc.DefaultConfig(), api.CodeAlreadyExists)
	cfg := govcc.DefaultConfig()
	cfg.MaxClockSkewSeconds = 90
	id := e.Propose(admin(SH), api.ProposeRequest{Action: api.ActionConfig, Config: &cfg})
	e.Approve(id, admin(JS))
	cctest.Reject(e, admin(AH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeNotApproved)
	cctest.Reject(e, issuer(AH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeForbidden)
	e.Approve(id, cctest.Ident(JS, api.RoleAdmin, "", "admin2"))
	cctest.Reject(e, admin(AH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeNotApproved)
	e.Approve(id, admin(ZJ))
	ex, r := cctest.Call(e, admin(AH), api.Execute, api.ExecuteRequest{ID: id})
	if !r.OK() || ex.Config == nil || ex.Config.MaxClockSkewSeconds != 90 {
		t.Fatalf("%s %+v", r.Message, ex)
	}
	if got := cctest.Must(e, auditor(SH), api.GetConfig, api.Empty{}); got.MaxClockSkewSeconds != 90 || got.Quorum != 3 {
		t.Fatalf("config %+v", got)
	}
	env := cctest.Envelope(t, r)
	if len(env.Events) != 2 || env.Events[0].Type != api.EventConfigChanged || env.Events[1].Type != api.EventExecuted {
		t.Fatalf("events %+v", env.Events)
	}
	bad := govcc.DefaultConfig()
	bad.Quorum = 5
	cctest.Reject(e, admin(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:bad", Action: api.ActionConfig, Config: &bad}, api.CodeInvalidArgument)
}

// TestInit: nothing runs before gov:Init but the operations that may; Init
// is an admin's, of a configured province, once.
func TestInit(t *testing.T) {
	e := &env{cctest.Unconfigured(t, chaincode)}
	cctest.Reject(e, issuer(SH), api.OpenAccount, api.OpenAccountRequest{ID: reserve(SH), Kind: api.KindReserve}, api.CodeNotConfigured)
	cctest.Reject(e, issuer(SH), api.Propose, mintReq(SH, y("1"), "d"), api.CodeNotConfigured)
	cctest.Reject(e, auditor(SH), api.GetSupply, api.Empty{}, api.CodeNotConfigured)
	cctest.Reject(e, auditor(SH), api.GetConfig, api.Empty{}, api.CodeNotConfigured)
	cctest.Reject(e, issuer(SH), api.Init, govcc.DefaultConfig(), api.CodeForbidden)
	cctest.Reject(e, cctest.Ident("EvilMSP", api.RoleAdmin, "", "admin"), api.Init, govcc.DefaultConfig(), api.CodeForbidden)
	cctest.Reject(e, admin(SH), api.Init, api.Config{Orgs: []string{SH}, OwnerEndorsers: 1, Quorum: 1}, api.CodeInvalidArgument)
	jsZJ := api.Config{Orgs: []string{JS, ZJ}, OwnerEndorsers: 1, Quorum: 2, BankPrefixes: map[string]string{JS: "JS-", ZJ: "ZJ-"}}
	cctest.Reject(e, admin(SH), api.Init, jsZJ, api.CodeForbidden)
	if got := cctest.Must(e, admin(SH), api.Init, govcc.DefaultConfig()); got.Quorum != 3 || got.BankPrefixes[SH] != "SH-" {
		t.Fatalf("config %+v", got)
	}
	cctest.Reject(e, admin(SH), api.Init, govcc.DefaultConfig(), api.CodeAlreadyExists)
	cctest.Reject(e, cctest.Ident("EvilMSP", api.RoleAuditor, "", "auditor"), api.GetSupply, api.Empty{}, api.CodeForbidden)
}

// TestInitIsNotOneAdminsChoice: gov:Init is one admin's transaction, and
// honest peers endorse whatever their chaincode accepts. The chaincode
// therefore refuses configurations that would let a minority decide, that
// leave a province's banks unbound, or (where the province's chaincode
// server knows its channel, YRD_CHANNEL_ORGS) that name other provinces.
func TestInitIsNotOneAdminsChoice(t *testing.T) {
	def := govcc.DefaultConfig
	with := func(f func(*api.Config)) api.Config { c := def(); f(&c); return c }
	three := with(func(c *api.Config) {
		c.Orgs = []string{AH, JS, SH}
		delete(c.BankPrefixes, ZJ)
		c.OwnerEndorsers, c.Quorum = 2, 3
	})
	evil := with(func(c *api.Config) {
		c.Orgs = []string{AH, "EvilMSP", JS, SH, ZJ}
		c.BankPrefixes["EvilMSP"] = "EV-"
	})
	tests := []struct {
		name    string
		channel []string // YRD_CHANNEL_ORGS of the endorsers' chaincode servers
		cfg     api.Config
		code    api.Code
	}{
		{"a quorum of one", nil, with(func(c *api.Config) { c.Quorum = 1 }), api.CodeInvalidArgument},
		{"a quorum of two of four", nil, with(func(c *api.Config) { c.Quorum = 2 }), api.CodeInvalidArgument},
		{"the owner and one other", nil, with(func(c *api.Config) { c.OwnerEndorsers = 1 }), api.CodeInvalidArgument},
		{"no bank prefixes", nil, with(func(c *api.Config) { c.BankPrefixes = nil }), api.CodeInvalidArgument},
		{"a province without a bank prefix", nil, with(func(c *api.Config) { delete(c.BankPrefixes, JS) }), api.CodeInvalidArgument},
		{"two provinces sharing a prefix", nil, with(func(c *api.Config) { c.BankPrefixes[JS] = "SH-" }), api.CodeInvalidArgument},
		{"overlapping prefixes", nil, with(func(c *api.Config) { c.BankPrefixes[JS] = "SH-JS-" }), api.CodeInvalidArgument},
		{"the channel's provinces", orgs, def(), ""},
		{"a channel that drops a province", orgs, three, api.CodeForbidden},
		{"a channel with an extra province", orgs, evil, api.CodeForbidden},
		{"endorsers that do not know their channel take any valid list", nil, three, ""},
		{"the endorsers' own channel of three", []string{AH, JS, SH}, three, ""},
		{"the full list against endorsers of three", []string{AH, JS, SH}, def(), api.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := govcc.SetChannelOrgs(tt.channel); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = govcc.SetChannelOrgs(nil) })
			e := &env{cctest.Unconfigured(t, chaincode)}
			if tt.code != "" {
				cctest.Reject(e, admin(SH), api.Init, tt.cfg, tt.code)
				cctest.Reject(e, auditor(SH), api.GetConfig, api.Empty{}, api.CodeNotConfigured)
				return
			}
			cctest.Must(e, admin(SH), api.Init, tt.cfg)
			if got := cctest.Must(e, auditor(SH), api.GetConfig, api.Empty{}); !reflect.DeepEqual(got, tt.cfg) {
				t.Fatalf("config %+v, want %+v", got, tt.cfg)
			}
		})
	}
}

// TestSetChannelOrgs: the server's list is checked like a configuration's
// and copied; an empty one unsets it.
func TestSetChannelOrgs(t *testing.T) {
	t.Cleanup(func() { _ = govcc.SetChannelOrgs(nil) })
	for _, bad := range [][]string{{SH}, {SH, AH}, {AH, AH}, {AH, "Evil MSP"}} {
		if err := govcc.SetChannelOrgs(bad); cctest.CodeOf(err.Error()) != api.CodeInvalidArgument {
			t.Errorf("SetChannelOrgs(%v) = %v", bad, err)
		}
	}
	in := []string{AH, JS}
	if err := govcc.SetChannelOrgs(in); err != nil {
		t.Fatal(err)
	}
	in[0] = "EvilMSP"
	if got := govcc.ChannelOrgs(); !reflect.DeepEqual(got, []string{AH, JS}) {
		t.Fatalf("ChannelOrgs = %v", got)
	}
	if err := govcc.SetChannelOrgs(nil); err != nil || govcc.ChannelOrgs() != nil {
		t.Fatalf("unset: %v %v", govcc.ChannelOrgs(), err)
	}
}

// TestProposalEvents: one envelope per transaction; the proposer's and
// approvers' provinces are named.
func TestProposalEvents(t *testing.T) {
	e := newReserves(t)
	_, r := cctest.Call(e, issuer(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:c", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: SH, Ceiling: y("1")}})
	if env := cctest.Envelope(t, r); len(env.Events) != 1 || env.Events[0] != (api.Event{Type: api.EventProposed, ID: "ShanghaiMSP:c", MSP: SH, Action: api.ActionCeiling}) {
		t.Fatalf("events %+v", env.Events)
	}
	_, r = cctest.Call(e, issuer(JS), api.Approve, api.ProposalID{ID: "ShanghaiMSP:c"})
	if env := cctest.Envelope(t, r); len(env.Events) != 1 || env.Events[0] != (api.Event{Type: api.EventApproved, ID: "ShanghaiMSP:c", MSP: JS, Action: api.ActionCeiling}) {
		t.Fatalf("events %+v", env.Events)
	}
	e.Approve("ShanghaiMSP:c", issuer(ZJ))
	_, r = cctest.Call(e, issuer(AH), api.Execute, api.ExecuteRequest{ID: "ShanghaiMSP:c"})
	env := cctest.Envelope(t, r)
	if len(env.Events) != 2 || env.Events[0] != (api.Event{Type: api.EventCeilingSet, ID: SH, MSP: SH, Amount: y("1")}) ||
		env.Events[1] != (api.Event{Type: api.EventExecuted, ID: "ShanghaiMSP:c", MSP: SH, Action: api.ActionCeiling}) {
		t.Fatalf("events %+v", env.Events)
	}
}
