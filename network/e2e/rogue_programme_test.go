package e2e

// The programme part of TestRogueCoalitions: a small programme whose
// recipients in every province hold an earmarked output, and rogue writes
// against its keys (docs/appropriation.md, "Programme keys and
// coalitions").

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// Object types of chaincode/programmecc (unexported there; the test reads
// each attacked key before it writes, so a drifted name fails the test).
const (
	nsProgApproval = "yrd.papr" // [programme, subject, MSP, identity hash]
	nsClawback     = "yrd.claw" // [clawback ID]
)

// rogueProgramme is the programme the coalitions attack: owned and funded
// by Shanghai's bureau, one recipient per province holding one earmarked
// output of 100.00, a clawback proposed (not approved) on each of them,
// and the rest in the escrow. Recipients may pay restaurants (5812) only,
// so a customer account is an ineligible payee.
type rogueProgramme struct {
	id, escrow, treasury string
	holders              map[string]string // MSP -> account
	clawbacks            map[string]string // MSP -> clawback ID
}

func setUpRogueProgramme(t *testing.T) *rogueProgramme {
	t.Helper()
	ctx := context.Background()
	maker, checker := gw(t, shanghai, "fiscal"), gw(t, shanghai, "fiscal2")
	iss := gw(t, shanghai, "issuer")
	rp := &rogueProgramme{id: bankID(shanghai, "fiscal", "rogue-prog"), escrow: bankID(shanghai, "fiscal", "rogue-escrow"),
		treasury: bankID(shanghai, "fiscal", "rogue-treasury"), holders: map[string]string{}, clawbacks: map[string]string{}}
	reserve := bankID(shanghai, "issuer", "rogue-prog-reserve")
	gwOpen(t, iss, reserve, rest.KindReserve, "")
	gwMint(t, net, shanghai, "m-rogue-prog", reserve, "1000.00")
	res, err := maker.OpenAccount(ctx, rest.OpenAccountRequest{ID: rp.treasury, Kind: rest.KindFiscal})
	settled(t, res, err)
	gwPay(t, iss, pay(bankID(shanghai, "issuer", "rogue-prog-fund"), reserve, rp.treasury, "1000.00"))
	var holders []string
	for _, p := range testnet.Provinces {
		rp.holders[p.MSPID] = bankID(p, "operator", "rogue-holder")
		holders = append(holders, rp.holders[p.MSPID])
	}
	w := &pgWorld{op: map[string]*client.Client{}}
	for _, p := range testnet.Provinces {
		w.op[p.Name] = gw(t, p, "operator")
	}
	pgOpen(t, w, holders, rest.KindCustomer, "")

	today := api.BusinessDate(time.Now())
	def, err := maker.DefineProgramme(ctx, rest.ProgrammeRequest{ID: rp.id, Name: "rogue target", Purposes: []string{"SME-RELIEF"},
		Funders: []rest.Funder{{MSP: shanghai.MSPID, Bureau: testnet.Bank(shanghai, "fiscal"), Account: rp.treasury, Share: api.SharesTotal}},
		Escrow:  rp.escrow, Budget: money.MustParseYuan("1000"), ValidFrom: today, ValidTo: nextDay(today),
		Eligibility: rest.Eligibility{Kinds: []string{rest.KindCustomer}},
		Spending:    rest.SpendingRules{PayeeCategories: []string{"5812"}}, Release: rest.ReleaseAtTerminal})
	settled(t, def, err)
	act, err := checker.ApproveProgramme(ctx, rp.id)
	require.Equal(t, rest.ProgrammeActive, settled(t, act, err).Status)
	tr, err := maker.ProposeTranche(ctx, rp.id, rest.TrancheRequest{No: 1, Amount: money.MustParseYuan("1000"), Date: today})
	settled(t, tr, err)
	tr, err = checker.ApproveTranche(ctx, rp.id, 1)
	settled(t, tr, err)
	tr, err = maker.FundTranche(ctx, rp.id, 1, rest.FundRequest{})
	require.Equal(t, rest.TrancheFunded, settled(t, tr, err).Status)
	var lines []rest.DisbursementLine
	for i, h := range holders {
		lines = append(lines, rest.DisbursementLine{Line: i + 1, Recipient: h, Amount: money.MustParseYuan("100")})
	}
	job := bankID(shanghai, "fiscal", "rogue-job")
	_, err = maker.Disburse(ctx, rp.id, job, rest.DisbursementRequest{Lines: lines})
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	j, err := gwOn(t, net, shanghai, "fiscal", client.WithPollInterval(200*time.Millisecond)).WaitJob(wctx, rp.id, job, nil)
	require.NoError(t, err)
	require.Equal(t, rest.JobDone, j.Status)
	require.Equal(t, len(lines), j.Paid)
	for _, p := range testnet.Provinces {
		rp.clawbacks[p.MSPID] = bankID(shanghai, "fiscal", "rogue-claw-"+p.Name)
		cb, err := maker.ProposeClawback(ctx, rp.id, rest.ClawbackRequest{ID: rp.clawbacks[p.MSPID], Account: rp.holders[p.MSPID]})
		require.False(t, settled(t, cb, err).Approved)
	}
	return rp
}

// rogueProgrammeState is what the attacks must leave as it was.
type rogueProgrammeState struct {
	Programme api.ProgrammeView
	Usage     api.UtilisationPage
	Outputs   map[string][]api.Output
	Clawbacks map[string]api.ClawbackView
}

func (rp *rogueProgramme) read(t *testing.T, a *actor) rogueProgrammeState {
	t.Helper()
	s := rogueProgrammeState{Outputs: map[string][]api.Output{}, Clawbacks: map[string]api.ClawbackView{}}
	s.Programme = query(t, a, api.GetProgramme, api.ProgrammeID{ID: rp.id})
	s.Usage = query(t, a, api.Utilisation, api.UtilisationRequest{Programme: rp.id, By: api.ByRecipient, PageSize: 1000})
	for _, acct := range append([]string{rp.escrow, rp.treasury}, mapValues(rp.holders)...) {
		s.Outputs[acct] = query(t, a, api.ListOutputs, api.ListOutputsRequest{Account: acct, PageSize: 1000}).Outputs
	}
	for _, id := range rp.clawbacks {
		s.Clawbacks[id] = query(t, a, api.GetClawback, api.ClawbackID{ID: id})
	}
	return s
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, p := range testnet.Provinces {
		if v, ok := m[p.MSPID]; ok {
			out = append(out, v)
		}
	}
	return out
}

// batch is one rogue transaction of several puts and deletes (made with
// put and del).
func batch(name string, writes ...attack) attack {
	type write struct {
		Op    string `json:"op"`
		Key   string `json:"key"`
		Value string `json:"value,omitempty"`
	}
	var ws []write
	for _, w := range writes {
		switch w.fn {
		case "rogue:Put":
			ws = append(ws, write{"put", w.args[0], w.args[1]})
		case "rogue:Del":
			ws = append(ws, write{"del", w.args[0], ""})
		default:
			panic("e2e: batch takes puts and deletes, not " + w.fn)
		}
	}
	b, err := json.Marshal(ws)
	if err != nil {
		panic(err)
	}
	return attack{name, "rogue:Batch", []string{string(b)}}
}

// without is the stored JSON record with a field removed.
func without(t *testing.T, raw []byte, field string) []byte {
	t.Helper()
	require.NotNil(t, raw, "the attacked record exists")
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	_, had := m[field]
	require.True(t, had, "the record has a field %q: %s", field, raw)
	delete(m, field)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// plainOutput is a stored output record without its earmark (if any).
func plainOutput(t *testing.T, raw []byte) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "earmark")
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// attacks are the coalition's rogue writes against the programme: lead is
// the coalition's first province, whose recipient holds the earmarked
// output attacked; payee is an account of the coalition's own that the
// programme does not allow (a customer account); get reads a raw key
// through the rogue chaincode of lead's peer, as reader.
func (rp *rogueProgramme) attacks(t *testing.T, reader *actor, get func(string) []byte, lead testnet.Province, payee, coal string) []attack {
	t.Helper()
	outputKey := func(account string) (string, []byte) {
		t.Helper()
		page := query(t, as(t, anhui, "auditor"), api.ListOutputs, api.ListOutputsRequest{Account: account})
		require.NotEmpty(t, page.Outputs, "%s holds an output", account)
		k := compositeKey(t, tokencc.NSOutput, account, page.Outputs[0].ID)
		raw := get(k)
		require.NotNil(t, raw, "output key of %s", account)
		return k, raw
	}
	holder := rp.holders[lead.MSPID]
	held, heldRaw := outputKey(holder)
	var o api.Output
	require.NoError(t, json.Unmarshal(heldRaw, &o))
	require.NotNil(t, o.Earmark, "%s's output is earmarked", holder)
	require.Equal(t, rp.id, o.Earmark.Programme)
	escrowOut, escrowRaw := outputKey(rp.escrow)
	plain, plainRaw := outputKey(payee)
	// Outputs made up at accounts of the coalition's choosing.
	made := func(account, local string, from []byte) (string, []byte) {
		t.Helper()
		id := local + "-" + coal
		k := compositeKey(t, tokencc.NSOutput, account, id)
		require.Nil(t, get(k))
		return k, plainOutput(t, rewrite(t, from, map[string]any{"id": id, "account": account}))
	}
	paidKey, paidVal := made(payee, "rogue-paid", heldRaw)
	escKey, escVal := made(payee, "rogue-escrow", escrowRaw)
	clawKey, clawVal := made(rp.treasury, "rogue-claw", heldRaw)
	plainKey, plainVal := made(rp.treasury, "rogue-plain", rewrite(t, plainRaw, map[string]any{"account": rp.treasury}))

	progKey := compositeKey(t, tokencc.NSProgramme, rp.id)
	prog := get(progKey)
	require.NotNil(t, prog, "the programme record")
	claw := rp.clawbacks[lead.MSPID]
	clawRecord := compositeKey(t, nsClawback, claw)
	require.NotNil(t, get(clawRecord), "clawback %s", claw)
	approvals := rogueKeys(t, reader, lead, nsProgApproval, rp.id, "clawback:"+claw)
	require.Len(t, approvals, 1, "the clawback's one approval (the proposer's)")
	forgedApproval := compositeKey(t, nsProgApproval, rp.id, "clawback:"+claw, lead.MSPID, "forged")
	approval, err := json.Marshal(api.PartyApproval{MSP: lead.MSPID, Role: api.RoleCompliance, Identity: "forged", TxID: "forged", At: time.Now().UTC()})
	require.NoError(t, err)
	return []attack{
		put("earmark stripped", held, without(t, heldRaw, "earmark")),
		batch("ineligible payee paid", del("", held), put("", paidKey, paidVal)),
		batch("escrow moved", del("", escrowOut), put("", escKey, escVal)),
		put("escrow output taken over", escrowOut, rewrite(t, escrowRaw, map[string]any{"account": payee})),
		put("programme window widened", progKey, rewrite(t, prog, map[string]any{"validFrom": "2000-01-03", "validTo": "2099-12-31"})),
		put("programme eligibility widened", progKey, rewrite(t, prog, map[string]any{"eligibility": map[string]any{"accounts": []string{payee}},
			"spending": map[string]any{"payeeAccounts": []string{payee}}})),
		put("clawback approval forged", forgedApproval, approval),
		put("clawback marked executed", clawRecord, rewrite(t, get(clawRecord), map[string]any{"status": api.ProposalExecuted})),
		batch("clawback executed without approval, before expiry", del("", held), put("", clawKey, clawVal)),
		batch("plain funds clawed outside the programme", del("", plain), put("", plainKey, plainVal)),
	}
}
