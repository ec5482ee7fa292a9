package e2e

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// The chaincode's composite-key object types the rogue writes attack
// (chaincode/tokencc/keys.go, chaincode/govcc/proposals.go). The test
// reads every attacked key through the rogue chaincode before it writes:
// a name that drifted from the contracts' fails there, instead of
// attacking a key that does not exist.
const (
	nsAccount  = "yrd.acct"
	nsOutput   = "yrd.out"
	nsSpent    = "yrd.spent"
	nsPayment  = "yrd.pay"
	nsDaily    = "yrd.daily"
	nsSupply   = "yrd.supply"
	nsCeiling  = "yrd.ceil"
	nsProposal = "yrd.prop"
	nsApproval = "yrd.appr"
	// chaincode/interbankcc.
	nsTransfer = "yrd.ibt"
	nsQueue    = "yrd.ibq"
	nsCycle    = "yrd.ibcyc"
	nsDayEnd   = "yrd.ibeod"
	nsCalendar = "yrd.cal"
)

// coalitions are every province alone and every two provinces, ordered so
// that consecutive coalitions share a province: each turn swaps as few
// chaincode servers as it can.
var coalitions = [][]testnet.Province{
	{shanghai}, {shanghai, jiangsu}, {jiangsu}, {jiangsu, zhejiang}, {zhejiang}, {zhejiang, anhui},
	{anhui}, {anhui, shanghai}, {shanghai, zhejiang}, {jiangsu, anhui},
}

func coalitionName(c []testnet.Province) string {
	var names []string
	for _, p := range c {
		names = append(names, p.Name)
	}
	return strings.Join(names, "+")
}

func msps(ps []testnet.Province) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.MSPID)
	}
	return out
}

// compositeKey is the contracts' key of objectType and attributes.
func compositeKey(t *testing.T, objectType string, attrs ...string) string {
	t.Helper()
	k, err := shim.CreateCompositeKey(objectType, attrs)
	require.NoError(t, err)
	return k
}

// anyOf is the serialized endorsement policy "a peer of any of orgs": what
// a coalition would like a key's policy to be.
func anyOf(t *testing.T, orgs []string) []byte {
	t.Helper()
	env := &common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{
		NOutOf: &common.SignaturePolicy_NOutOf{N: 1}}}}
	for i, org := range orgs {
		role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: org, Role: msp.MSPRole_PEER})
		require.NoError(t, err)
		env.Identities = append(env.Identities, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role})
		n := env.Rule.GetNOutOf()
		n.Rules = append(n.Rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	b, err := proto.Marshal(env)
	require.NoError(t, err)
	return b
}

// chaincodes tracks which provinces run the rogue chaincode server, and
// swaps servers to match a coalition.
type chaincodes struct {
	t     *testing.T
	rogue string // the rogue binary
	on    map[string]bool
}

// serve makes exactly the provinces of want run the rogue server (the
// others the real one), restarting only those that change, at once, and
// waits until each changed peer answers with the binary it now runs.
func (c *chaincodes) serve(want []testnet.Province) {
	c.t.Helper()
	target := map[string]bool{}
	for _, p := range want {
		target[p.MSPID] = true
	}
	var changed []testnet.Province
	for _, p := range testnet.Provinces {
		if target[p.MSPID] != c.on[p.MSPID] {
			changed = append(changed, p)
		}
	}
	errs := make([]error, len(changed))
	var wg sync.WaitGroup
	for i, p := range changed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			bin := filepath.Join(net.Bin, "yrd")
			if target[p.MSPID] {
				bin = c.rogue
			}
			errs[i] = net.RestartChaincode(ctx, p, bin)
		}()
	}
	wg.Wait()
	for i, p := range changed {
		require.NoError(c.t, errs[i], "restart the chaincode server of %s", p.Name)
		c.on[p.MSPID] = target[p.MSPID]
	}
	for _, p := range changed {
		c.waitServing(p, target[p.MSPID])
	}
}

// waitServing waits until province p's peer runs the chaincode (a query
// answers) and it is the rogue build exactly when rogue is true: the fault
// is in place before the test relies on it.
func (c *chaincodes) waitServing(p testnet.Province, rogue bool) {
	c.t.Helper()
	a := as(c.t, p, "auditor")
	require.EventuallyWithT(c.t, func(ct *assert.CollectT) {
		_, err := evaluate(a, api.Version, api.Empty{}, sdk.WithEndorsingOrganizations(p.MSPID))
		if !assert.NoError(ct, err, "the chaincode of %s answers", p.Name) {
			return
		}
		_, err = a.contract.Evaluate("rogue:Keys", sdk.WithArguments(nsSupply, "[]"), sdk.WithEndorsingOrganizations(p.MSPID))
		assert.Equal(ct, rogue, err == nil, "%s runs the rogue chaincode: %v (err %v)", p.Name, rogue, err)
	}, 60*time.Second, 200*time.Millisecond)
}

// rogueGet reads a raw key through the rogue chaincode on province p's
// peer; nil when absent.
func rogueGet(t *testing.T, a *actor, p testnet.Province, key string) []byte {
	t.Helper()
	res, err := a.contract.Evaluate("rogue:Get", sdk.WithArguments(hex.EncodeToString([]byte(key))), sdk.WithEndorsingOrganizations(p.MSPID))
	require.NoError(t, err)
	b, err := hex.DecodeString(string(res))
	require.NoError(t, err)
	if len(b) == 0 {
		return nil
	}
	return b
}

// rogueKeys lists raw keys of a partial composite key on p's peer.
func rogueKeys(t *testing.T, a *actor, p testnet.Province, objectType string, attrs ...string) []string {
	t.Helper()
	js, err := json.Marshal(append([]string{}, attrs...))
	require.NoError(t, err)
	res, err := a.contract.Evaluate("rogue:Keys", sdk.WithArguments(objectType, string(js)), sdk.WithEndorsingOrganizations(p.MSPID))
	require.NoError(t, err)
	var hexKeys []string
	require.NoError(t, json.Unmarshal(res, &hexKeys))
	var out []string
	for _, h := range hexKeys {
		b, err := hex.DecodeString(h)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

// rewrite is the stored JSON record with fields changed.
func rewrite(t *testing.T, raw []byte, set map[string]any) []byte {
	t.Helper()
	require.NotNil(t, raw, "the attacked record exists")
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	for k, v := range set {
		_, had := m[k]
		require.True(t, had, "the record has a field %q: %s", k, raw)
		m[k] = v
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// attack is one rogue write: a function of the rogue contract and its
// arguments (hex).
type attack struct {
	name string
	fn   string
	args []string
}

func put(name, key string, value []byte) attack {
	return attack{name, "rogue:Put", []string{hex.EncodeToString([]byte(key)), hex.EncodeToString(value)}}
}

func del(name, key string) attack {
	return attack{name, "rogue:Del", []string{hex.EncodeToString([]byte(key))}}
}

func setPolicy(name, key string, policy []byte) attack {
	return attack{name, "rogue:SetPolicy", []string{hex.EncodeToString([]byte(key)), hex.EncodeToString(policy)}}
}

// rogueVictim is a province's customer account with the records a payment
// leaves: its unspent outputs, a payment record, the spent input's
// tombstone and today's outflow counter.
type rogueVictim struct {
	p       testnet.Province
	account string
	payment api.Payment // its second payment of the day
	spent   string      // an input that payment spent
}

// TestRogueCoalitions runs an altered chaincode build (roguecc) on the
// chaincode servers of every province alone and of every two provinces in
// turn, and has the coalition's peers, and only them, endorse raw writes
// against every key type of the contracts: outputs inflated and created
// from nothing, accounts' tier, status and bank changed, a daily outflow
// counter reset, the supply, payment records rewritten and deleted, a
// spent output's tombstone deleted, the configuration, a ceiling, forged
// approvals, a proposal marked executed, a key's policy replaced. Every
// one must be invalidated at commit with ENDORSEMENT_POLICY_FAILURE, and
// afterwards (the real chaincode back everywhere) every balance, record
// and decision is as before and the supply audit balances.
func TestRogueCoalitions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Honest set-up: a reserve of Shanghai funds a class-IV customer of
	// each province, who pays twice today; a mint proposal of Shanghai
	// waits with two provinces' approvals.
	shIss := as(t, shanghai, "issuer")
	reserve := shIss.id("rogue-reserve")
	shop := bankID(shanghai, "operator", "rogue-shop")
	openAccount(t, shIss, reserve, api.KindReserve, "")
	openAccount(t, as(t, shanghai, "operator"), shop, api.KindMerchant, "")
	m := mint(t, shanghai, "m-rogue", reserve, "100000.00")
	seed := split(t, shIss, "rogue-split", reserve, shop, []string{m.Output}, 8)
	victims := make([]*rogueVictim, len(testnet.Provinces))
	operators := make([]*actor, len(testnet.Provinces))
	for i, p := range testnet.Provinces {
		operators[i] = as(t, p, "operator")
		victims[i] = &rogueVictim{p: p, account: operators[i].id("rogue-victim")}
		openAccount(t, operators[i], victims[i].account, api.KindCustomer, api.TierClassIV)
	}
	// Two credits of 3,000 each: one at a time per account (a capped
	// account's credit reads its balance, so two in one block conflict).
	three := yuan(t, "3000.00")
	for round := 0; round < 2; round++ {
		o := concurrently(4, func(i int) error {
			k := 4*round + i
			_, err := settle(shIss, api.Transfer, api.TransferRequest{PaymentID: shIss.id(fmt.Sprintf("rogue-fund-%d", k)),
				From: reserve, To: victims[i].account, Amount: three, Inputs: seed.ChangeOutputs[k : k+1]})
			return err
		})
		require.Empty(t, o.failures)
		require.Equal(t, 4, o.committed)
	}
	two := yuan(t, "2000.00")
	for round := 0; round < 2; round++ {
		o := concurrently(4, func(i int) error {
			v, op := victims[i], operators[i]
			page, err := evaluate(op, api.ListOutputs, api.ListOutputsRequest{Account: v.account})
			if err != nil {
				return err
			}
			if len(page.Outputs) == 0 {
				return fmt.Errorf("%s has no outputs", v.account)
			}
			largest := page.Outputs[0]
			for _, o := range page.Outputs {
				if o.Amount > largest.Amount {
					largest = o
				}
			}
			pay, err := settle(op, api.Transfer, api.TransferRequest{PaymentID: op.id(fmt.Sprintf("rogue-pay-%d", round)),
				From: v.account, To: shop, Amount: two, Inputs: []string{largest.ID}})
			v.payment, v.spent = pay, largest.ID
			return err
		})
		require.Empty(t, o.failures)
		require.Equal(t, 4, o.committed)
	}
	// Each province's settlement account has a transfer of 1,000,000 to the
	// next province's waiting in its queue (it holds nothing: queued).
	settles := make([]string, len(testnet.Provinces))
	queued := make([]string, len(testnet.Provinces))
	for i := range testnet.Provinces {
		settles[i] = operators[i].id("rogue-settle")
		openAccount(t, operators[i], settles[i], api.KindSettlement, api.TierUnlimited)
	}
	for i := range testnet.Provinces {
		tr := mustInvoke(t, operators[i], api.SendTransfer, api.SendRequest{ID: operators[i].id("rogue-queued"), From: settles[i],
			To: settles[(i+1)%len(settles)], Amount: yuan(t, "1000000.00"), Priority: api.PriorityNormal})
		require.Equal(t, api.TransferQueued, tr.Status)
		queued[i] = tr.ID
	}

	pending := proposalID(shanghai, "rogue-pending")
	mustInvoke(t, shIss, api.Propose, api.ProposeRequest{ID: pending, Action: api.ActionMint,
		Mint: &api.MintParams{Account: reserve, Amount: yuan(t, "1.00"), ReserveRef: "rogue-pending"}})
	mustInvoke(t, as(t, jiangsu, "issuer"), api.Approve, api.ProposalID{ID: pending})
	// A programme whose recipient in every province holds an earmarked
	// output (rogue_programme_test.go).
	rp := setUpRogueProgramme(t)

	// What must not change, read through the real chaincode.
	auditor := as(t, anhui, "auditor")
	type snapshot struct {
		balances  map[string]string
		accounts  map[string]api.Account
		payments  map[string]api.Payment
		config    api.Config
		ceilings  map[string]api.Ceiling
		supply    api.Supply
		proposal  api.ProposalView
		outputs   map[string]int
		transfers map[string]api.InterbankTransfer
		calendar  api.Calendar
		programme rogueProgrammeState
	}
	read := func() snapshot {
		s := snapshot{balances: map[string]string{}, accounts: map[string]api.Account{}, payments: map[string]api.Payment{},
			ceilings: map[string]api.Ceiling{}, outputs: map[string]int{}, transfers: map[string]api.InterbankTransfer{}}
		for i, id := range queued {
			s.transfers[id] = query(t, auditor, api.GetTransfer, api.TransferAction{ID: id})
			s.balances[settles[i]] = balance(t, auditor, settles[i]).String()
		}
		s.calendar = query(t, auditor, api.GetCalendar, api.Empty{})
		for _, v := range victims {
			s.balances[v.account] = balance(t, auditor, v.account).String()
			s.accounts[v.account] = query(t, auditor, api.GetAccount, api.AccountRequest{ID: v.account})
			s.payments[v.payment.PaymentID] = query(t, auditor, api.GetPayment, api.PaymentRequest{PaymentID: v.payment.PaymentID})
			s.outputs[v.account] = len(query(t, auditor, api.ListOutputs, api.ListOutputsRequest{Account: v.account}).Outputs)
		}
		s.balances[reserve] = balance(t, auditor, reserve).String()
		s.balances[shop] = balance(t, auditor, shop).String()
		s.config = query(t, auditor, api.GetConfig, api.Empty{})
		for _, p := range testnet.Provinces {
			s.ceilings[p.MSPID] = query(t, auditor, api.GetCeiling, api.CeilingRequest{MSP: p.MSPID})
		}
		s.supply = query(t, auditor, api.GetSupply, api.Empty{})
		s.proposal = query(t, auditor, api.GetProposal, api.ProposalID{ID: pending})
		s.programme = rp.read(t, auditor)
		return s
	}
	before := read()
	require.False(t, before.proposal.Approved)
	require.Len(t, before.proposal.Approvals, 2)
	for _, v := range victims {
		require.Equal(t, "2000.00", before.balances[v.account], v.account)
	}

	bin := filepath.Join(t.TempDir(), "yrd-rogue")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./roguecc")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build roguecc: %s", out)
	cc := &chaincodes{t: t, rogue: bin, on: map[string]bool{}}
	t.Cleanup(func() {
		// The real chaincode everywhere again, whatever happened.
		for _, p := range testnet.Provinces {
			if cc.on[p.MSPID] {
				if err := net.RestartChaincode(context.Background(), p, filepath.Join(net.Bin, "yrd")); err != nil {
					t.Errorf("restore the chaincode of %s: %v", p.Name, err)
				}
			}
		}
	})

	configKey := compositeKey(t, dispatch.NSConfig)
	supplyKey := compositeKey(t, nsSupply)
	proposalKey := compositeKey(t, nsProposal, pending)
	attempted := 0
	for _, coal := range coalitions {
		t.Run(coalitionName(coal), func(t *testing.T) {
			cc.serve(coal)
			lead := coal[0]
			reader := as(t, lead, "operator")
			get := func(key string) []byte { return rogueGet(t, reader, lead, key) }
			own := victims[provinceIndex(lead)]
			// A province outside the coalition.
			var victim *rogueVictim
			for _, v := range victims {
				if !contains(coal, v.p) {
					victim = v
					break
				}
			}
			ownAccount := compositeKey(t, nsAccount, own.account)
			victimAccount := compositeKey(t, nsAccount, victim.account)
			page := query(t, auditor, api.ListOutputs, api.ListOutputsRequest{Account: own.account})
			require.NotEmpty(t, page.Outputs)
			ownOutput := compositeKey(t, nsOutput, own.account, page.Outputs[0].ID)
			daily := rogueKeys(t, reader, lead, nsDaily, own.account)
			require.Len(t, daily, 1, "one outflow counter of today")
			approvals := rogueKeys(t, reader, lead, nsApproval, pending)
			require.Len(t, approvals, 2, "the proposal's two approvals, under the approvals' object type")
			ceiling := compositeKey(t, nsCeiling, lead.MSPID)
			spent := compositeKey(t, nsSpent, own.spent)
			require.NotNil(t, get(spent), "the tombstone of %s", own.spent)
			forged := compositeKey(t, nsOutput, own.account, "forged-"+coalitionName(coal))
			require.Nil(t, get(forged))
			// The coalition's own queued transfer (its province pays) and a
			// transfer paid by a province outside it.
			li := provinceIndex(lead)
			ownTransfer := compositeKey(t, nsTransfer, queued[li])
			victimTransfer := compositeKey(t, nsTransfer, queued[provinceIndex(victim.p)])
			queueKeys := rogueKeys(t, reader, lead, nsQueue, settles[li])
			require.Len(t, queueKeys, 1, "one transfer in %s's queue", settles[li])
			forgedCycle := compositeKey(t, nsCycle, lead.MSPID+":forged-"+coalitionName(coal))
			forgedDayEnd := compositeKey(t, nsDayEnd, settles[li], "2000-01-03")
			cal, err := json.Marshal(api.Calendar{Open: "00:00", CustomerCutoff: "23:58", InterbankCutoff: "23:58", EndOfDay: "23:59", CycleIntervalSec: 1})
			require.NoError(t, err)
			cycleRecord, err := json.Marshal(api.CycleResult{ID: lead.MSPID + ":forged", Settled: 1, Gross: yuan(t, "1000000.00"), TxID: "forged"})
			require.NoError(t, err)
			dayEnd, err := json.Marshal(api.DayEnd{Account: settles[li], Date: "2000-01-03", Balance: yuan(t, huge0), TxID: "forged"})
			require.NoError(t, err)

			huge := huge0
			attacks := []attack{
				// Interbank: settle a queued transfer without cover (its
				// record marked settled; the payee's output from nothing is
				// "output from nothing" below), take it out of the queue,
				// rewrite another province's transfer, forge a cycle, a
				// day-end balance, the calendar.
				put("queued transfer marked settled", ownTransfer, rewrite(t, get(ownTransfer), map[string]any{"status": api.TransferSettled})),
				del("queued transfer taken out of the queue", queueKeys[0]),
				put("another province's transfer rewritten", victimTransfer, rewrite(t, get(victimTransfer), map[string]any{"amount": "0.01"})),
				put("cycle record forged", forgedCycle, cycleRecord),
				put("day-end balance forged", forgedDayEnd, dayEnd),
				put("calendar", compositeKey(t, nsCalendar), cal),
				put("output inflated", ownOutput, rewrite(t, get(ownOutput), map[string]any{"amount": huge})),
				put("output from nothing", forged, rewrite(t, get(ownOutput), map[string]any{"id": "forged-" + coalitionName(coal), "amount": huge})),
				put("account tier", ownAccount, rewrite(t, get(ownAccount), map[string]any{"tier": api.TierUnlimited})),
				put("account status", victimAccount, rewrite(t, get(victimAccount), map[string]any{"status": api.StatusFrozen})),
				put("account bank", victimAccount, rewrite(t, get(victimAccount), map[string]any{"bank": testnet.Bank(lead, "operator"), "ownerMsp": lead.MSPID})),
				put("daily counter reset", daily[0], rewrite(t, get(daily[0]), map[string]any{"outflow": "0.00"})),
				del("daily counter deleted", daily[0]),
				put("supply", supplyKey, rewrite(t, get(supplyKey), map[string]any{"total": huge})),
				put("payment rewritten", compositeKey(t, nsPayment, own.payment.PaymentID),
					rewrite(t, get(compositeKey(t, nsPayment, own.payment.PaymentID)), map[string]any{"amount": "0.01"})),
				del("payment deleted", compositeKey(t, nsPayment, victim.payment.PaymentID)),
				del("tombstone deleted", spent),
				put("configuration", configKey, rewrite(t, get(configKey), map[string]any{"quorum": 1, "ownerEndorsers": 1})),
				put("ceiling", ceiling, rewrite(t, get(ceiling), map[string]any{"ceiling": huge, "issued": "0.00"})),
				put("proposal marked executed", proposalKey, rewrite(t, get(proposalKey), map[string]any{"status": api.ProposalExecuted})),
				setPolicy("account policy", victimAccount, anyOf(t, msps(coal))),
				setPolicy("supply policy", supplyKey, anyOf(t, msps(coal))),
			}
			for _, q := range testnet.Provinces {
				if q.MSPID == shanghai.MSPID || q.MSPID == jiangsu.MSPID {
					continue // approved already
				}
				approval, err := json.Marshal(api.Approval{ProposalID: pending, MSP: q.MSPID, Identity: "forged", Role: api.RoleIssuer, TxID: "forged"})
				require.NoError(t, err)
				attacks = append(attacks, put("approval forged for "+q.Name, compositeKey(t, nsApproval, pending, q.MSPID, "forged"), approval))
			}
			attacks = append(attacks, rp.attacks(t, reader, get, lead, own.account, coalitionName(coal))...)

			submitter := as(t, lead, "operator")
			codes := make([]string, len(attacks))
			var wg sync.WaitGroup
			for i, a := range attacks {
				wg.Add(1)
				go func() { // asserts nothing: codes are checked below
					defer wg.Done()
					codes[i] = rogueSubmit(ctx, submitter, a, msps(coal))
				}()
			}
			wg.Wait()
			for i, a := range attacks {
				assert.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE.String(), codes[i], "%s endorsed by %s", a.name, coalitionName(coal))
			}
			attempted += len(attacks)
		})
	}
	// The control: the same rogue path commits once three provinces
	// endorse (a key no contract reads), so the failures above are the
	// policies' doing, not the harness's.
	t.Run("three provinces commit", func(t *testing.T) {
		quorum := []testnet.Province{jiangsu, zhejiang, anhui}
		cc.serve(quorum)
		code := rogueSubmit(ctx, as(t, jiangsu, "operator"), put("control", compositeKey(t, "rogue.control", "e2e"), []byte("{}")), msps(quorum))
		require.Equal(t, peer.TxValidationCode_VALID.String(), code)
	})
	cc.serve(nil)
	t.Logf("%d rogue writes by %d coalitions, every one invalidated", attempted, len(coalitions))

	after := read()
	require.Equal(t, before, after, "nothing the coalitions endorsed changed the ledger")
	requireBalancedSupply(t)
	// The tombstones and outflow counters still work: a spent input is
	// INPUT_SPENT, and 4,000 of today's 5,000 are gone.
	for _, v := range victims {
		op := as(t, v.p, "operator")
		page := query(t, op, api.ListOutputs, api.ListOutputsRequest{Account: v.account})
		var inputs []string
		for _, o := range page.Outputs {
			inputs = append(inputs, o.ID)
		}
		require.Len(t, inputs, 2, "two changes of 1,000")
		_, err := invoke(op, api.Transfer, api.TransferRequest{PaymentID: op.id("rogue-respend"), From: v.account, To: shop,
			Amount: yuan(t, "1.00"), Inputs: []string{v.spent}})
		requireCode(t, string(api.CodeInputSpent), err)
		_, err = invoke(op, api.Transfer, api.TransferRequest{PaymentID: op.id("rogue-over-daily"), From: v.account, To: shop,
			Amount: yuan(t, "1000.01"), Inputs: inputs})
		requireCode(t, string(api.CodeLimitExceeded), err)
	}
}

// huge0 is the amount the rogue writes inflate to.
const huge0 = "100000000.00"

func contains(ps []testnet.Province, p testnet.Province) bool {
	for _, q := range ps {
		if q.MSPID == p.MSPID {
			return true
		}
	}
	return false
}

// rogueSubmit has exactly the orgs endorse a rogue write as a, submits it,
// waits for its commit status and returns its validation code: VALID, the
// code of the SDK's *CommitError, or the failure before commit. It asserts
// nothing.
func rogueSubmit(ctx context.Context, a *actor, at attack, orgs []string) string {
	ctx, cancel := context.WithTimeout(ctx, sdkTimeout)
	defer cancel()
	_, err := a.contract.SubmitWithContext(ctx, at.fn, sdk.WithArguments(at.args...), sdk.WithEndorsingOrganizations(orgs...))
	var ce *sdk.CommitError
	switch {
	case err == nil:
		return peer.TxValidationCode_VALID.String()
	case errors.As(err, &ce):
		return ce.Code.String()
	default:
		return "BEFORE COMMIT: " + err.Error()
	}
}

// TestOneProvinceDown stops Anhui's chaincode server (SIGKILL) and settles
// payments among the three other provinces, through the SDK and through
// Shanghai's HTTP gateway: endorsed by the three, without Anhui.
func TestOneProvinceDown(t *testing.T) {
	shIss, shOp := as(t, shanghai, "issuer"), as(t, shanghai, "operator")
	reserve, settlement := shIss.id("down-reserve"), shOp.id("down-settle")
	jsShop, zjShop := bankID(jiangsu, "operator", "down-shop"), bankID(zhejiang, "operator", "down-shop")
	openAccount(t, shIss, reserve, api.KindReserve, "")
	openAccount(t, shOp, settlement, api.KindSettlement, "")
	openAccount(t, as(t, jiangsu, "operator"), jsShop, api.KindMerchant, "")
	openAccount(t, as(t, zhejiang, "operator"), zjShop, api.KindMerchant, "")
	m := mint(t, shanghai, "m-down", reserve, "1000.00")
	fund := mustInvoke(t, shIss, api.Transfer, api.TransferRequest{PaymentID: shIss.id("down-fund"), From: reserve, To: settlement,
		Amount: yuan(t, "1000.00"), Inputs: []string{m.Output}})

	require.NoError(t, net.Kill(anhui, "cc"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		require.NoError(t, net.RestartChaincode(ctx, anhui, filepath.Join(net.Bin, "yrd")))
		a := as(t, anhui, "auditor")
		require.Eventually(t, func() bool {
			_, err := evaluate(a, api.Version, api.Empty{}, sdk.WithEndorsingOrganizations(anhui.MSPID))
			return err == nil
		}, time.Minute, 200*time.Millisecond, "Anhui's chaincode is back")
	})
	// The fault is in place: Anhui's peer cannot run the chaincode.
	_, err := evaluate(as(t, anhui, "auditor"), api.GetSupply, api.Empty{}, sdk.WithEndorsingOrganizations(anhui.MSPID))
	require.Error(t, err, "Anhui's chaincode server is down")

	t.Run("SDK", func(t *testing.T) {
		p, st := mustInvokeAt(t, shOp, api.Transfer, api.TransferRequest{PaymentID: shOp.id("down-p-1"), From: settlement, To: jsShop,
			Amount: yuan(t, "10.00"), Inputs: []string{fund.PayeeOutput}})
		endorsers := endorserMSPs(t, processedTx(t, connect(t, shanghai, "admin"), st.TransactionID))
		sort.Strings(endorsers)
		require.Equal(t, []string{jiangsu.MSPID, shanghai.MSPID, zhejiang.MSPID}, endorsers)
		requireBalance(t, as(t, jiangsu, "operator"), jsShop, yuan(t, "10.00"))
		require.Equal(t, yuan(t, "990.00"), balance(t, shOp, settlement))
		require.Len(t, p.ChangeOutputs, 1)
	})

	t.Run("HTTP", func(t *testing.T) {
		res, err := gw(t, shanghai, "operator").Pay(context.Background(), rest.PaymentRequest{PaymentID: shOp.id("down-p-2"),
			From: settlement, To: zjShop, Amount: yuan(t, "20.00")})
		committed(t, res, err)
		gwRequireBalance(t, gw(t, zhejiang, "operator"), zjShop, "20.00")
		require.Equal(t, "970.00", gwBalanceOf(t, gw(t, shanghai, "operator"), settlement))
	})
}
