package e2e

// The trust model on the real network: decisions by recorded approvals of
// a quorum of provinces, trusted time, bank-level ownership, and bounded
// pagination.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// approvalMSPs lists the provinces that approved, sorted.
func approvalMSPs[A interface{ api.Approval | rest.Approval }](approvals []A) []string {
	var out []string
	for _, a := range approvals {
		switch a := any(a).(type) {
		case api.Approval:
			out = append(out, a.MSP)
		case rest.Approval:
			out = append(out, a.MSP)
		}
	}
	sort.Strings(out)
	return out
}

// TestMintByQuorum: a mint is carried out only once issuers of three
// provinces approved it (the proposer counts): with two approvals Execute
// answers NOT_APPROVED and nothing is minted; only the proposing province
// executes; a second Execute (or approval) answers PROPOSAL_CLOSED; the
// supply and the province's ceiling count exactly one mint. Through the
// SDK (api.Propose, api.Approve, api.Execute) and through the gateways.
func TestMintByQuorum(t *testing.T) {
	ensureCeilings(t)

	t.Run("SDK", func(t *testing.T) {
		p := zhejiang
		iss, ahIss, shIss, jsIss := as(t, p, "issuer"), as(t, anhui, "issuer"), as(t, shanghai, "issuer"), as(t, jiangsu, "issuer")
		auditor := as(t, p, "auditor")
		reserve := iss.id("quorum-reserve")
		openAccount(t, iss, reserve, api.KindReserve, "")
		id, amount := proposalID(p, "quorum-sdk"), yuan(t, "1234.56")
		supply0 := query(t, auditor, api.GetSupply, api.Empty{}).Total
		ceiling0 := query(t, auditor, api.GetCeiling, api.CeilingRequest{MSP: p.MSPID})
		unchanged := func() {
			t.Helper()
			requireBalance(t, iss, reserve, 0)
			require.Equal(t, supply0, query(t, auditor, api.GetSupply, api.Empty{}).Total, "supply")
			require.Equal(t, ceiling0, query(t, auditor, api.GetCeiling, api.CeilingRequest{MSP: p.MSPID}), "ceiling")
		}

		v := mustInvoke(t, iss, api.Propose, api.ProposeRequest{ID: id, Action: api.ActionMint,
			Mint: &api.MintParams{Account: reserve, Amount: amount, ReserveRef: "deposit-quorum-sdk"}})
		require.Equal(t, api.Rule{Role: api.RoleIssuer, Provinces: 3, Identities: 3}, v.Proposal.Rule)
		require.Equal(t, api.ProposalPending, v.Proposal.Status)
		require.False(t, v.Approved)
		// The proposer approved by proposing; approving again adds nothing.
		_, err := invoke(iss, api.Approve, api.ProposalID{ID: id})
		requireCode(t, string(api.CodeAlreadyExists), err)
		_, err = invoke(iss, api.Execute, api.ExecuteRequest{ID: id})
		requireCode(t, string(api.CodeNotApproved), err)

		v = mustInvoke(t, ahIss, api.Approve, api.ProposalID{ID: id})
		require.False(t, v.Approved)
		require.Equal(t, []string{anhui.MSPID, zhejiang.MSPID}, approvalMSPs(v.Approvals))
		_, err = invoke(iss, api.Execute, api.ExecuteRequest{ID: id})
		requireCode(t, string(api.CodeNotApproved), err)
		unchanged()

		v = mustInvoke(t, shIss, api.Approve, api.ProposalID{ID: id})
		require.True(t, v.Approved)
		require.Equal(t, []string{anhui.MSPID, shanghai.MSPID, zhejiang.MSPID}, approvalMSPs(v.Approvals))
		// Approved, but a mint is carried out by its own province's issuer.
		_, err = invoke(ahIss, api.Execute, api.ExecuteRequest{ID: id})
		requireCode(t, string(api.CodeForbidden), err)
		unchanged()

		ex := mustInvoke(t, iss, api.Execute, api.ExecuteRequest{ID: id})
		require.NotNil(t, ex.Mint)
		require.Equal(t, api.ProposalExecuted, ex.Proposal.Status)
		require.Equal(t, amount, ex.Mint.Amount)
		require.Equal(t, supply0+amount, ex.Mint.Supply)

		_, err = invoke(iss, api.Execute, api.ExecuteRequest{ID: id})
		requireCode(t, string(api.CodeProposalClosed), err)
		_, err = invoke(jsIss, api.Approve, api.ProposalID{ID: id})
		requireCode(t, string(api.CodeProposalClosed), err)

		requireBalance(t, iss, reserve, amount)
		require.Equal(t, supply0+amount, query(t, auditor, api.GetSupply, api.Empty{}).Total, "supply: one mint")
		ceiling := query(t, auditor, api.GetCeiling, api.CeilingRequest{MSP: p.MSPID})
		require.Equal(t, ceiling0.Issued+amount, ceiling.Issued, "ceiling: one mint")
		require.Equal(t, ceiling0.Ceiling, ceiling.Ceiling)
		got := query(t, auditor, api.GetProposal, api.ProposalID{ID: id})
		require.Equal(t, api.ProposalExecuted, got.Proposal.Status)
		require.Len(t, got.Approvals, 3)
		requireBalancedSupply(t)
	})

	t.Run("HTTP", func(t *testing.T) {
		ctx := context.Background()
		p := jiangsu
		iss, zjIss, ahIss, shIss := gw(t, p, "issuer"), gw(t, zhejiang, "issuer"), gw(t, anhui, "issuer"), gw(t, shanghai, "issuer")
		auditor := gw(t, p, "auditor")
		reserve := bankID(p, "issuer", "quorum-reserve")
		gwOpen(t, iss, reserve, rest.KindReserve, "")
		id, amount := proposalID(p, "quorum-http"), money.MustParseYuan("4321.09")
		supply0, err := auditor.Supply(ctx)
		require.NoError(t, err)
		ceiling0, err := auditor.Ceiling(ctx, p.MSPID)
		require.NoError(t, err)
		unchanged := func() {
			t.Helper()
			require.Equal(t, "0.00", gwBalanceOf(t, iss, reserve))
			s, err := auditor.Supply(ctx)
			require.NoError(t, err)
			require.Equal(t, supply0.Total, s.Total, "supply")
			c, err := auditor.Ceiling(ctx, p.MSPID)
			require.NoError(t, err)
			require.Equal(t, ceiling0, c, "ceiling")
		}
		// step requires a committed write and waits until every peer has it:
		// the next step runs at another province's gateway.
		step := func(res rest.Committed[rest.Proposal], err error) rest.Proposal {
			t.Helper()
			committed(t, res, err)
			waitHeights(t, res.BlockNumber+1)
			return res.Result
		}

		v := step(iss.Propose(ctx, rest.ProposalRequest{ID: id, Action: rest.ActionMint,
			Mint: &rest.MintParams{Account: reserve, Amount: amount, ReserveRef: "dep-quorum-http"}}))
		require.Equal(t, rest.Rule{Role: "issuer", Provinces: 3, Identities: 3}, v.Rule)
		require.False(t, v.Approved)
		_, err = iss.Approve(ctx, id)
		apiErr(t, err, http.StatusConflict, rest.CodeAlreadyExists)
		_, err = iss.Execute(ctx, id, rest.ExecuteRequest{})
		apiErr(t, err, http.StatusConflict, string(api.CodeNotApproved))

		v = step(zjIss.Approve(ctx, id))
		require.False(t, v.Approved)
		require.Equal(t, []string{jiangsu.MSPID, zhejiang.MSPID}, approvalMSPs(v.Approvals))
		_, err = iss.Execute(ctx, id, rest.ExecuteRequest{})
		apiErr(t, err, http.StatusConflict, string(api.CodeNotApproved))
		unchanged()

		v = step(ahIss.Approve(ctx, id))
		require.True(t, v.Approved)
		require.Equal(t, []string{anhui.MSPID, jiangsu.MSPID, zhejiang.MSPID}, approvalMSPs(v.Approvals))
		_, err = ahIss.Execute(ctx, id, rest.ExecuteRequest{})
		apiErr(t, err, http.StatusForbidden, rest.CodeForbidden)
		unchanged()

		ex, err := iss.Execute(ctx, id, rest.ExecuteRequest{})
		committed(t, ex, err)
		require.NotNil(t, ex.Result.Mint)
		require.Equal(t, rest.ProposalExecuted, ex.Result.Proposal.Status)
		require.Equal(t, amount, ex.Result.Mint.Amount)
		waitHeights(t, ex.BlockNumber+1)

		_, err = iss.Execute(ctx, id, rest.ExecuteRequest{})
		apiErr(t, err, http.StatusConflict, string(api.CodeProposalClosed))
		_, err = shIss.Approve(ctx, id)
		apiErr(t, err, http.StatusConflict, string(api.CodeProposalClosed))

		require.Equal(t, amount.String(), gwBalanceOf(t, iss, reserve))
		s, err := auditor.Supply(ctx)
		require.NoError(t, err)
		require.Equal(t, supply0.Total+amount, s.Total, "supply: one mint")
		c, err := auditor.Ceiling(ctx, p.MSPID)
		require.NoError(t, err)
		require.Equal(t, ceiling0.Issued+amount, c.Issued, "ceiling: one mint")
		got, err := auditor.GetProposal(ctx, id)
		require.NoError(t, err)
		require.Equal(t, rest.ProposalExecuted, got.Status)
		require.Len(t, got.Approvals, 3)
		audit, err := auditor.AuditSupply(ctx)
		require.NoError(t, err)
		require.True(t, audit.Balanced)
	})
}

// proposalAt builds a chaincode proposal by hand, as the Fabric Gateway
// SDK would but with a timestamp of the test's choosing: a ChannelHeader
// (ENDORSER_TRANSACTION on the channel, TxId = hex(sha256(nonce ||
// creator))), a SignatureHeader (creator, nonce) and the invocation of
// args, signed with the identity's key.
func proposalAt(t *testing.T, s *testnet.Signer, at time.Time, args ...string) *peer.SignedProposal {
	t.Helper()
	nonce := make([]byte, 24)
	_, err := rand.Read(nonce)
	require.NoError(t, err)
	sum := sha256.Sum256(append(append([]byte{}, nonce...), s.Creator...))
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	ccid := &peer.ChaincodeID{Name: chaincode}
	header := marshal(&common.Header{
		ChannelHeader: marshal(&common.ChannelHeader{
			Type:      int32(common.HeaderType_ENDORSER_TRANSACTION),
			ChannelId: channel,
			TxId:      hex.EncodeToString(sum[:]),
			Timestamp: timestamppb.New(at),
			Extension: marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: ccid}),
		}),
		SignatureHeader: marshal(&common.SignatureHeader{Creator: s.Creator, Nonce: nonce}),
	})
	input := &peer.ChaincodeInput{}
	for _, a := range args {
		input.Args = append(input.Args, []byte(a))
	}
	payload := marshal(&peer.ChaincodeProposalPayload{Input: marshal(&peer.ChaincodeInvocationSpec{
		ChaincodeSpec: &peer.ChaincodeSpec{Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: ccid, Input: input}})})
	proposal := marshal(&peer.Proposal{Header: header, Payload: payload})
	digest := sha256.Sum256(proposal)
	sig, err := s.Sign(digest[:])
	require.NoError(t, err)
	return &peer.SignedProposal{ProposalBytes: proposal, Signature: sig}
}

// TestClockSkew: every province's endorser refuses a proposal whose
// timestamp is ten minutes from its clock (CLOCK_SKEW, trusted time), for
// a read and for a write, and accepts one within the configured skew.
// The SDK sets the timestamp itself, so the proposals are built by hand
// and sent to each peer's Endorser service.
func TestClockSkew(t *testing.T) {
	signer, err := net.SignerOf(shanghai, "operator")
	require.NoError(t, err)
	endorsers := map[string]peer.EndorserClient{}
	for _, p := range testnet.Provinces {
		conn, err := net.PeerConn(p)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		endorsers[p.Name] = peer.NewEndorserClient(conn)
	}
	open, err := json.Marshal(api.OpenAccountRequest{ID: bankID(shanghai, "operator", "skew-account"), Kind: api.KindSettlement})
	require.NoError(t, err)
	calls := []struct {
		name string
		args []string
	}{
		{"read", []string{api.GetSupply.Function(), "{}"}},
		{"write", []string{api.OpenAccount.Function(), string(open)}},
	}
	skew := time.Duration(query(t, as(t, shanghai, "auditor"), api.GetConfig, api.Empty{}).MaxClockSkewSeconds) * time.Second
	if skew == 0 {
		skew = api.DefaultMaxClockSkew
	}
	require.Less(t, 2*time.Minute, skew, "the test's in-skew offset must be within the configured skew")
	for _, off := range []time.Duration{10 * time.Minute, -10 * time.Minute, 0, -2 * time.Minute, 2 * time.Minute} {
		for _, call := range calls {
			t.Run(call.name+"/"+off.String(), func(t *testing.T) {
				sp := proposalAt(t, signer, time.Now().Add(off), call.args...)
				for _, p := range testnet.Provinces {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					resp, err := endorsers[p.Name].ProcessProposal(ctx, sp)
					cancel()
					require.NoError(t, err, "the peer of %s processes the proposal", p.Name)
					r := resp.GetResponse()
					if off > skew || off < -skew {
						require.Equal(t, int32(500), r.GetStatus(), "%s: %s", p.Name, r.GetMessage())
						require.Contains(t, r.GetMessage(), string(api.CodeClockSkew)+":", p.Name)
						require.Nil(t, resp.GetEndorsement(), "%s endorsed a skewed proposal", p.Name)
					} else {
						require.Equal(t, int32(200), r.GetStatus(), "%s: %s", p.Name, r.GetMessage())
						require.NotNil(t, resp.GetEndorsement(), p.Name)
					}
				}
			})
		}
	}
}

// TestBankIsolation: an operator of one bank (the province's ICBC branch,
// operator2) cannot read, pay from, merge, list the outputs or statement
// of, or close an account of another bank of the same province (the city
// bank), nor read its payments: each answers NOT_FOUND, exactly as for an
// account that does not exist, and nothing changes; it has no right to
// freeze at all (FORBIDDEN: only compliance freezes), while the province's
// compliance officer can, and the reason stays out of the blocks. Through
// the SDK and through the gateway, whose event stream shows a bank none of
// the other bank's events.
func TestBankIsolation(t *testing.T) {
	t.Run("SDK", func(t *testing.T) {
		p := zhejiang
		op, op2, iss := as(t, p, "operator"), as(t, p, "operator2"), as(t, p, "issuer")
		victim, peerAccount, own, missing := op.id("iso-victim"), op.id("iso-peer"), op2.id("iso-own"), op.id("iso-missing")
		reserve := iss.id("iso-reserve")
		openAccount(t, iss, reserve, api.KindReserve, "")
		openAccount(t, op, victim, api.KindMerchant, "")
		openAccount(t, op, peerAccount, api.KindMerchant, "")
		openAccount(t, op2, own, api.KindMerchant, "")
		m := mint(t, p, "m-iso-sdk", reserve, "500.00")
		fund := mustInvoke(t, iss, api.Transfer, api.TransferRequest{PaymentID: iss.id("iso-fund"), From: reserve, To: victim,
			Amount: yuan(t, "100.00"), Inputs: []string{m.Output}})
		// A payment inside the city bank: out of the ICBC branch's scope.
		inside := mustInvoke(t, op, api.Transfer, api.TransferRequest{PaymentID: op.id("iso-inside"), From: victim, To: peerAccount,
			Amount: yuan(t, "1.00"), Inputs: []string{fund.PayeeOutput}})
		require.Len(t, inside.ChangeOutputs, 1)
		output := inside.ChangeOutputs[0]

		// The city bank's own operator sees it all: the refusals below are
		// about scope, not about the IDs.
		require.Equal(t, yuan(t, "99.00"), balance(t, op, victim))
		query(t, op, api.GetPayment, api.PaymentRequest{PaymentID: inside.PaymentID})

		n := 0
		next := func(what string) string { n++; return op2.id(what + "-" + strconv.Itoa(n)) }
		for name, call := range map[string]func(id string) error{
			"read the account": func(id string) error {
				_, err := evaluate(op2, api.GetAccount, api.AccountRequest{ID: id})
				return err
			},
			"read the balance": func(id string) error {
				_, err := evaluate(op2, api.GetBalance, api.AccountRequest{ID: id})
				return err
			},
			"list the outputs": func(id string) error {
				_, err := evaluate(op2, api.ListOutputs, api.ListOutputsRequest{Account: id})
				return err
			},
			"read the statement": func(id string) error {
				_, err := evaluate(op2, api.Statement, api.StatementRequest{Account: id, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
				return err
			},
			"pay from it": func(id string) error {
				_, err := invoke(op2, api.Transfer, api.TransferRequest{PaymentID: next("iso-steal"), From: id, To: own,
					Amount: yuan(t, "1.00"), Inputs: []string{output}})
				return err
			},
			"merge it": func(id string) error {
				_, err := invoke(op2, api.Merge, api.MergeRequest{MergeID: next("iso-merge"), Account: id, Inputs: []string{output, inside.PayeeOutput}})
				return err
			},
			"close it": func(id string) error {
				_, err := invoke(op2, api.CloseAccount, api.AccountRequest{ID: id})
				return err
			},
		} {
			t.Run(name, func(t *testing.T) {
				requireCode(t, string(api.CodeNotFound), call(victim))
				requireCode(t, string(api.CodeNotFound), call(missing))
			})
		}
		_, err := evaluate(op2, api.GetPayment, api.PaymentRequest{PaymentID: inside.PaymentID})
		requireCode(t, string(api.CodeNotFound), err)
		_, err = evaluate(op2, api.GetPayment, api.PaymentRequest{PaymentID: op.id("iso-no-such-payment")})
		requireCode(t, string(api.CodeNotFound), err)
		_, _, err = recordFreezeReason(op2, victim, "not an operator's call")
		requireCode(t, string(api.CodeForbidden), err)
		_, err = invoke(op2, api.Freeze, api.FreezeRequest{ID: victim, ReasonHash: strings.Repeat("0", 64)})
		requireCode(t, string(api.CodeForbidden), err)
		_, err = invoke(op2, api.Unfreeze, api.AccountRequest{ID: victim})
		requireCode(t, string(api.CodeForbidden), err)

		require.Equal(t, yuan(t, "99.00"), balance(t, op, victim), "nothing moved")
		require.Equal(t, api.StatusActive, query(t, op, api.GetAccount, api.AccountRequest{ID: victim}).Status)
		require.Equal(t, yuan(t, "0.00"), balance(t, op2, own))

		// The province's compliance officer covers every bank of it.
		const reason = "AML alert 7731 (isolation, SDK)"
		comp := as(t, p, "compliance")
		// A freeze naming no note of the account changes nothing.
		_, err = invoke(comp, api.Freeze, api.FreezeRequest{ID: victim, ReasonHash: strings.Repeat("0", 64)})
		requireCode(t, string(api.CodeInvalidArgument), err)
		require.Equal(t, api.StatusActive, query(t, op, api.GetAccount, api.AccountRequest{ID: victim}).Status)
		freezeAccount(t, comp, victim, reason)
		require.Equal(t, api.StatusFrozen, query(t, op, api.GetAccount, api.AccountRequest{ID: victim}).Status)
		mustInvoke(t, comp, api.Unfreeze, api.AccountRequest{ID: victim})
		require.Equal(t, yuan(t, "99.00"), balance(t, op, victim))
	})

	t.Run("HTTP", func(t *testing.T) {
		ctx := context.Background()
		p := anhui
		op, op2, iss := gw(t, p, "operator"), gw(t, p, "operator2"), gw(t, p, "issuer")
		victim, peerAccount := bankID(p, "operator", "iso-victim"), bankID(p, "operator", "iso-peer")
		own, missing := bankID(p, "operator2", "iso-own"), bankID(p, "operator", "iso-missing")
		reserve := bankID(p, "issuer", "iso-reserve")
		opened := gwOpen(t, op, victim, rest.KindMerchant, "")
		gwOpen(t, op, peerAccount, rest.KindMerchant, "")
		gwOpen(t, iss, reserve, rest.KindReserve, "")
		gwMint(t, net, p, "m-iso-http", reserve, "500.00")
		gwPay(t, iss, pay(bankID(p, "issuer", "iso-fund"), reserve, victim, "100.00"))
		inside := gwPay(t, op, pay(bankID(p, "operator", "iso-inside"), victim, peerAccount, "1.00"))
		outs, err := op.ListOutputs(ctx, victim, client.Page{})
		require.NoError(t, err)
		require.NotEmpty(t, outs.Outputs)
		output := outs.Outputs[0].ID
		require.Equal(t, "99.00", gwBalanceOf(t, op, victim))

		n := 0
		next := func(what string) string { n++; return bankID(p, "operator2", what+"-"+strconv.Itoa(n)) }
		for name, call := range map[string]func(id string) error{
			"read the account": func(id string) error { _, err := op2.GetAccount(ctx, id); return err },
			"read the balance": func(id string) error { _, err := op2.Balance(ctx, id); return err },
			"list the outputs": func(id string) error { _, err := op2.ListOutputs(ctx, id, client.Page{}); return err },
			"read the statement": func(id string) error {
				_, err := op2.Statement(ctx, id, client.StatementQuery{})
				return err
			},
			"pay from it, the gateway selecting": func(id string) error {
				_, err := op2.Pay(ctx, pay(next("iso-steal"), id, own, "1.00"))
				return err
			},
			"pay from it, naming an input": func(id string) error {
				req := pay(next("iso-steal"), id, own, "1.00")
				req.Inputs = []string{output}
				_, err := op2.Pay(ctx, req)
				return err
			},
			"merge it": func(id string) error {
				_, err := op2.Merge(ctx, id, rest.MergeRequest{MergeID: next("iso-merge"), Inputs: []string{output, inside.Result.PayeeOutput}})
				return err
			},
			"close it": func(id string) error { _, err := op2.CloseAccount(ctx, id); return err },
		} {
			t.Run(name, func(t *testing.T) {
				apiErr(t, call(victim), http.StatusNotFound, rest.CodeNotFound)
				apiErr(t, call(missing), http.StatusNotFound, rest.CodeNotFound)
			})
		}
		_, err = op2.GetPayment(ctx, inside.Result.PaymentID)
		apiErr(t, err, http.StatusNotFound, rest.CodeNotFound)
		_, err = op2.Freeze(ctx, victim, rest.FreezeRequest{Reason: "not an operator's call"})
		apiErr(t, err, http.StatusForbidden, rest.CodeForbidden)
		require.Equal(t, "99.00", gwBalanceOf(t, op, victim), "nothing moved")

		t.Run("compliance freezes it", func(t *testing.T) {
			const reason = "AML alert 7732 (isolation, HTTP)"
			comp := gw(t, p, "compliance")
			frozen, err := comp.Freeze(ctx, victim, rest.FreezeRequest{Reason: reason})
			committed(t, frozen, err)
			require.Equal(t, rest.StatusFrozen, frozen.Result.Status)
			require.Len(t, frozen.Result.ReasonHash, 64)
			requireNotInBlock(t, frozen.TxID, reason)
			a, err := op.GetAccount(ctx, victim)
			require.NoError(t, err)
			require.Equal(t, rest.StatusFrozen, a.Status)
			unfrozen, err := comp.Unfreeze(ctx, victim)
			committed(t, unfrozen, err)
		})

		// Events: the ICBC branch's stream, from the city bank's account
		// opening on, shows none of the city bank's events (openings,
		// payments, the freeze): the first it sees is its own opening.
		mine := gwOpen(t, op2, own, rest.KindMerchant, "")
		got, _ := collect(t, op2, client.EventsOptions{FromBlock: &opened.BlockNumber}, 1, time.Minute)
		require.Len(t, got, 1)
		require.Equal(t, string(api.EventAccountOpened), got[0].typ)
		require.Equal(t, own, got[0].id, "the first event the ICBC branch sees (its own opening was in block %d)", mine.BlockNumber)
		got, _ = collect(t, op, client.EventsOptions{FromBlock: &opened.BlockNumber}, 1, time.Minute)
		require.Len(t, got, 1)
		require.Equal(t, victim, got[0].id, "the city bank sees its own opening first")
	})
}

// TestForgedBookmark: a bookmark is where the peer starts its scan, so a
// forged one would start it in another account's rows. The finding: a
// Jiangsu operator lists its own account with
// bookmark=AHlyZC5vdXQA (base64url of "\x00yrd.out\x00", the first key of
// every account's outputs). The gateway answers 400 (its page tokens are
// sealed); through the SDK the raw bookmark is INVALID_ARGUMENT from the
// chaincode; no foreign row either way. Genuine page tokens and bookmarks
// still page.
func TestForgedBookmark(t *testing.T) {
	ctx := context.Background()
	ensureCeilings(t)
	// Foreign rows: a Shanghai account with outputs, whose keys sort after
	// the forged start key.
	shIss := as(t, shanghai, "issuer")
	foreign := shIss.id("bm-foreign")
	openAccount(t, shIss, foreign, api.KindReserve, "")
	fm := mint(t, shanghai, "m-bm", foreign, "10.00")
	// Jiangsu's operator's own account with two outputs.
	jsIss, jsOp := as(t, jiangsu, "issuer"), as(t, jiangsu, "operator")
	reserve, own, other := jsIss.id("bm-reserve"), jsOp.id("bm-own"), jsOp.id("bm-other")
	openAccount(t, jsIss, reserve, api.KindReserve, "")
	openAccount(t, jsOp, own, api.KindMerchant, "")
	openAccount(t, jsOp, other, api.KindMerchant, "")
	m := mint(t, jiangsu, "m-bm", reserve, "10.00")
	f := mustInvoke(t, jsIss, api.Transfer, api.TransferRequest{PaymentID: jsIss.id("bm-1"), From: reserve, To: own,
		Amount: yuan(t, "1.00"), Inputs: []string{m.Output}})
	mustInvoke(t, jsIss, api.Transfer, api.TransferRequest{PaymentID: jsIss.id("bm-2"), From: reserve, To: own,
		Amount: yuan(t, "1.00"), Inputs: f.ChangeOutputs})

	const forged = "AHlyZC5vdXQA"
	raw, err := base64URL(forged)
	require.NoError(t, err)
	require.Equal(t, "\x00yrd.out\x00", raw)

	t.Run("HTTP", func(t *testing.T) {
		c := gw(t, jiangsu, "operator")
		// Genuine tokens page through the account.
		first, err := c.ListOutputs(ctx, own, client.Page{Size: 1})
		require.NoError(t, err)
		require.Len(t, first.Outputs, 1)
		require.NotEmpty(t, first.Bookmark)
		second, err := c.ListOutputs(ctx, own, client.Page{Size: 1, Bookmark: first.Bookmark})
		require.NoError(t, err)
		require.Len(t, second.Outputs, 1)
		require.NotEqual(t, first.Outputs[0].ID, second.Outputs[0].ID)

		// The finding, as it was sent.
		tok, err := net.GatewayToken(jiangsu, "operator")
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodGet, net.GatewayURL(jiangsu)+rest.ListOutputs.PathFor(own)+"?bookmark="+forged, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		var e rest.Error
		require.NoError(t, json.Unmarshal(body, &e), string(body))
		require.Equal(t, rest.CodeInvalidRequest, e.Code)
		require.NotContains(t, string(body), foreign)
		require.NotContains(t, string(body), "SH-")

		// Through the client too, and for statements; a genuine token of
		// another account (or list) is refused as well.
		_, err = c.ListOutputs(ctx, own, client.Page{Bookmark: forged})
		apiErr(t, err, http.StatusBadRequest, rest.CodeInvalidRequest)
		_, err = c.Statement(ctx, own, client.StatementQuery{Page: client.Page{Bookmark: "AHlyZC5zdG10AA"}})
		apiErr(t, err, http.StatusBadRequest, rest.CodeInvalidRequest)
		_, err = c.ListOutputs(ctx, other, client.Page{Size: 1, Bookmark: first.Bookmark})
		apiErr(t, err, http.StatusBadRequest, rest.CodeInvalidRequest)
		_, err = gw(t, jiangsu, "operator2").ListOutputs(ctx, own, client.Page{Size: 1, Bookmark: first.Bookmark})
		require.Error(t, err, "another client's token")
	})

	t.Run("SDK", func(t *testing.T) {
		first := query(t, jsOp, api.ListOutputs, api.ListOutputsRequest{Account: own, PageSize: 1})
		require.Len(t, first.Outputs, 1)
		require.NotEmpty(t, first.Bookmark)
		second := query(t, jsOp, api.ListOutputs, api.ListOutputsRequest{Account: own, PageSize: 1, Bookmark: first.Bookmark})
		require.Len(t, second.Outputs, 1)
		require.Equal(t, own, second.Outputs[0].Account)

		for name, bm := range map[string]string{
			"the finding":                raw,
			"a foreign output's key":     compositeKey(t, nsOutput, foreign, fm.Output),
			"another own account's page": first.Bookmark,
		} {
			t.Run(name, func(t *testing.T) {
				account := own
				if bm == first.Bookmark {
					account = other
				}
				page, err := evaluate(jsOp, api.ListOutputs, api.ListOutputsRequest{Account: account, Bookmark: bm})
				requireCode(t, string(api.CodeInvalidArgument), err)
				require.Empty(t, page.Outputs)
			})
		}
		_, err := evaluate(jsOp, api.Statement, api.StatementRequest{Account: own, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour),
			Bookmark: "\x00yrd.stmt\x00"})
		requireCode(t, string(api.CodeInvalidArgument), err)
	})
}

func base64URL(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}
