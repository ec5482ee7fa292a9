package e2e

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
)

var (
	shanghai = testnet.Provinces[0]
	jiangsu  = testnet.Provinces[1]
	zhejiang = testnet.Provinces[2]
	anhui    = testnet.Provinces[3]
)

func yuan(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.ParseYuan(s)
	require.NoError(t, err)
	return a
}

// requireBalance waits (briefly) until a's peer reports want for account:
// another province's peer may commit a block a moment after the submitter's.
func requireBalance(t *testing.T, a *actor, account string, want money.Amount) {
	t.Helper()
	var got money.Amount
	require.Eventually(t, func() bool {
		got = balance(t, a, account)
		return got == want
	}, 10*time.Second, 100*time.Millisecond, "balance of %s seen by %s/%s: %s, want %s", account, a.p.Name, a.user, &got, want)
}

func balance(t *testing.T, a *actor, account string) money.Amount {
	t.Helper()
	return query(t, a, api.GetBalance, api.AccountRequest{ID: account}).Balance
}

// split pays a token amount to payee and leaves the change in n outputs.
func split(t *testing.T, a *actor, local, from, payee string, inputs []string, n int) api.Payment {
	t.Helper()
	p := mustInvoke(t, a, api.Transfer, api.TransferRequest{PaymentID: a.id(local), From: from, To: payee,
		Amount: yuan(t, "0.01"), Inputs: inputs, ChangeSplit: n})
	require.Len(t, p.ChangeOutputs, n)
	return p
}

func requireBalancedSupply(t *testing.T) {
	t.Helper()
	audit := query(t, as(t, anhui, "auditor"), api.AuditSupply, api.Empty{})
	require.True(t, audit.Balanced, "supply %s, outputs %s", audit.Supply, audit.OutputsTotal)
}

// requireNotInBlock reads transaction txID from the ledger (qscc) and
// requires that secret appears nowhere in it: not in its arguments, its
// writes, its event or its response.
func requireNotInBlock(t *testing.T, txID, secret string) {
	t.Helper()
	tx := processedTx(t, connect(t, anhui, "admin"), txID)
	require.Equal(t, int32(peer.TxValidationCode_VALID), tx.GetValidationCode())
	raw := tx.GetTransactionEnvelope().GetPayload()
	require.NotEmpty(t, raw)
	require.False(t, bytes.Contains(raw, []byte(secret)), "transaction %s carries %q", txID, secret)
}

// TestTokenLifecycle covers a mint decided by issuers of three provinces
// (whose execution endorsed by two provinces is invalid), funding a bank
// from the reserve, a cross-province payment, a duplicate payment ID, a
// frozen account (its reason never in a block) and tier limits.
func TestTokenLifecycle(t *testing.T) {
	shOp, jsOp := as(t, shanghai, "operator"), as(t, jiangsu, "operator")
	shIss := as(t, shanghai, "issuer")
	reserve, settlement := shIss.id("reserve"), shOp.id("settlement")
	alice, shop := jsOp.id("alice"), jsOp.id("shop")
	openAccount(t, shIss, reserve, api.KindReserve, "")
	openAccount(t, shOp, settlement, api.KindSettlement, "")
	openAccount(t, jsOp, alice, api.KindCustomer, api.TierClassIV)
	openAccount(t, jsOp, shop, api.KindMerchant, "")
	ensureCeilings(t)

	var m api.MintRecord
	t.Run("mint needs three provinces", func(t *testing.T) {
		id := proposalID(shanghai, "m-1")
		mustInvoke(t, shIss, api.Propose, api.ProposeRequest{ID: id, Action: api.ActionMint,
			Mint: &api.MintParams{Account: reserve, Amount: yuan(t, "1000000.00"), ReserveRef: "deposit-m-1"}})
		mustInvoke(t, as(t, jiangsu, "issuer"), api.Approve, api.ProposalID{ID: id})
		mustInvoke(t, as(t, zhejiang, "issuer"), api.Approve, api.ProposalID{ID: id})
		// Approved, but the execution endorsed by two provinces writes the
		// supply, the ceiling and a reserve output: each needs three.
		_, err := invoke(shIss, api.Execute, api.ExecuteRequest{ID: id}, sdk.WithEndorsingOrganizations(shanghai.MSPID, jiangsu.MSPID))
		requireCode(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE.String(), err)
		requireBalance(t, shOp, settlement, 0)
		requireBalance(t, shIss, reserve, 0)

		ex := mustInvoke(t, shIss, api.Execute, api.ExecuteRequest{ID: id})
		require.NotNil(t, ex.Mint)
		m = *ex.Mint
		require.Equal(t, id, m.MintID)
		requireBalance(t, shIss, reserve, yuan(t, "1000000.00"))
		requireBalancedSupply(t)
	})

	var fund, pay api.Payment
	t.Run("the reserve funds its province's bank", func(t *testing.T) {
		fund = mustInvoke(t, shIss, api.Transfer, api.TransferRequest{PaymentID: shIss.id("fund-1"), From: reserve, To: settlement,
			Amount: yuan(t, "100000.00"), Inputs: []string{m.Output}})
		require.Equal(t, "SH-PBC", fund.FromBank)
		require.Equal(t, "SH-CITY", fund.ToBank)
		requireBalance(t, shOp, settlement, yuan(t, "100000.00"))
		requireBalance(t, shIss, reserve, yuan(t, "900000.00"))
	})

	t.Run("cross-province payment", func(t *testing.T) {
		pay = mustInvoke(t, shOp, api.Transfer, api.TransferRequest{PaymentID: shOp.id("p-1"), From: settlement, To: alice,
			Amount: yuan(t, "1500.00"), Inputs: []string{fund.PayeeOutput}, Purpose: "SALA"})
		requireBalance(t, jsOp, alice, yuan(t, "1500.00"))
		requireBalance(t, shOp, settlement, yuan(t, "98500.00"))
		for _, reader := range []*actor{shOp, jsOp} {
			got := query(t, reader, api.GetPayment, api.PaymentRequest{PaymentID: pay.PaymentID})
			require.Equal(t, pay.TxID, got.TxID, "read by %s", reader.p.Name)
		}
	})

	t.Run("duplicate payment ID", func(t *testing.T) {
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: shOp.id("p-1"), From: settlement, To: alice,
			Amount: yuan(t, "1.00"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeDuplicatePayment), err)
		requireBalance(t, jsOp, alice, yuan(t, "1500.00"))
	})

	t.Run("a payment ID in another bank's namespace", func(t *testing.T) {
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: bankID(shanghai, "operator2", "p-x"), From: settlement, To: alice,
			Amount: yuan(t, "1.00"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeForbidden), err)
	})

	t.Run("frozen account neither receives nor sends", func(t *testing.T) {
		const reason = "court order 2026-117 (lifecycle)"
		comp := as(t, jiangsu, "compliance")
		frozen, _ := freezeAccount(t, comp, alice, reason)
		require.Len(t, frozen.ReasonHash, 64)
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: shOp.id("p-frozen-in"), From: settlement, To: alice,
			Amount: yuan(t, "1.00"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeAccountFrozen), err)
		_, err = invoke(jsOp, api.Transfer, api.TransferRequest{PaymentID: jsOp.id("p-frozen-out"), From: alice, To: shop,
			Amount: yuan(t, "1.00"), Inputs: []string{pay.PayeeOutput}})
		requireCode(t, string(api.CodeAccountFrozen), err)
		mustInvoke(t, comp, api.Unfreeze, api.AccountRequest{ID: alice})
	})

	t.Run("tier limits", func(t *testing.T) {
		// Class IV: at most 2,000 yuan per payment, balance at most 10,000.
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: shOp.id("p-cap"), From: settlement, To: alice,
			Amount: yuan(t, "8500.01"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeBalanceCapExceeded), err)
		more := mustInvoke(t, shOp, api.Transfer, api.TransferRequest{PaymentID: shOp.id("p-2"), From: settlement, To: alice,
			Amount: yuan(t, "1000.00"), Inputs: pay.ChangeOutputs})
		_, err = invoke(jsOp, api.Transfer, api.TransferRequest{PaymentID: jsOp.id("p-big"), From: alice, To: shop,
			Amount: yuan(t, "2000.01"), Inputs: []string{pay.PayeeOutput, more.PayeeOutput}})
		requireCode(t, string(api.CodeLimitExceeded), err)
		mustInvoke(t, jsOp, api.Transfer, api.TransferRequest{PaymentID: jsOp.id("p-ok"), From: alice, To: shop,
			Amount: yuan(t, "2000.00"), Inputs: []string{pay.PayeeOutput, more.PayeeOutput}})
		requireBalance(t, jsOp, alice, yuan(t, "500.00"))
	})

	t.Run("another province cannot spend Shanghai's money", func(t *testing.T) {
		out := query(t, shOp, api.ListOutputs, api.ListOutputsRequest{Account: settlement, PageSize: 10})
		require.NotEmpty(t, out.Outputs)
		// Out of Jiangsu's scope, Shanghai's account is as missing as an
		// account that does not exist.
		_, err := invoke(jsOp, api.Transfer, api.TransferRequest{PaymentID: jsOp.id("p-steal"), From: settlement, To: shop,
			Amount: yuan(t, "1.00"), Inputs: []string{out.Outputs[0].ID}})
		requireCode(t, string(api.CodeNotFound), err)
		_, err = evaluate(jsOp, api.GetBalance, api.AccountRequest{ID: settlement})
		requireCode(t, string(api.CodeNotFound), err)
		requireBalance(t, shOp, settlement, yuan(t, "97500.00"))
	})
	requireBalancedSupply(t)
}

// outcome counts what happened to concurrent submissions.
type outcome struct {
	mu        sync.Mutex
	committed int
	conflicts int
	failures  []string
}

func (o *outcome) add(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch code := codeOf(err); {
	case err == nil:
		o.committed++
	case code == peer.TxValidationCode_MVCC_READ_CONFLICT.String() || code == peer.TxValidationCode_PHANTOM_READ_CONFLICT.String():
		o.conflicts++
	default:
		o.failures = append(o.failures, err.Error())
	}
}

// concurrently runs n submissions at once and reports what happened.
func concurrently(n int, fn func(i int) error) *outcome {
	var o outcome
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.add(fn(i))
		}()
	}
	wg.Wait()
	return &o
}

// TestHotAccounts: many payments out of one reserve account (paid by the
// central-bank branch), and many into one merchant account, all commit
// without MVCC conflicts.
func TestHotAccounts(t *testing.T) {
	zjOp, zjIss := as(t, zhejiang, "operator"), as(t, zhejiang, "issuer")
	ahOp := as(t, anhui, "operator")
	reserve, shop := zjIss.id("hot-reserve"), ahOp.id("hot-shop")
	openAccount(t, zjIss, reserve, api.KindReserve, "")
	openAccount(t, ahOp, shop, api.KindMerchant, "")
	m := mint(t, zhejiang, "m-hot", reserve, "500000.00")

	// 100 outputs for the reserve: two splits of 50.
	first := split(t, zjIss, "split-1", reserve, shop, []string{m.Output}, 50)
	second := split(t, zjIss, "split-2", reserve, shop, first.ChangeOutputs[:1], 50)
	pool := append(append([]string(nil), first.ChangeOutputs[1:]...), second.ChangeOutputs...)
	require.Len(t, pool, 99)

	t.Run("50 concurrent payments out of one reserve account", func(t *testing.T) {
		one := yuan(t, "1.00") // parsed here: the goroutines below assert nothing
		o := concurrently(50, func(i int) error {
			_, err := invoke(zjIss, api.Transfer, api.TransferRequest{PaymentID: zjIss.id(fmt.Sprintf("hot-out-%d", i)),
				From: reserve, To: shop, Amount: one, Inputs: []string{pool[i]}})
			return err
		})
		t.Logf("hot payer: %d committed, %d MVCC conflicts, %d other failures", o.committed, o.conflicts, len(o.failures))
		require.Empty(t, o.failures)
		require.Zero(t, o.conflicts)
		require.Equal(t, 50, o.committed)
	})

	t.Run("100 concurrent payments into one merchant account", func(t *testing.T) {
		// 100 payers of Zhejiang's city bank, each funded with one output by
		// one batch from the reserve.
		payers := make([]string, 100)
		for i := range payers {
			payers[i] = zjOp.id(fmt.Sprintf("payer-%03d", i))
		}
		open := concurrently(100, func(i int) error {
			_, err := invoke(zjOp, api.OpenAccount, openRequest(payers[i], api.KindMerchant, ""))
			return err
		})
		require.Empty(t, open.failures)
		require.Equal(t, 100, open.committed)
		third := split(t, zjIss, "split-3", reserve, shop, pool[50:51], 50)
		fourth := split(t, zjIss, "split-4", reserve, shop, pool[51:52], 50)
		funds := append(append([]string(nil), third.ChangeOutputs...), fourth.ChangeOutputs...)
		items := make([]api.TransferRequest, 100)
		for i := range items {
			items[i] = api.TransferRequest{PaymentID: zjIss.id(fmt.Sprintf("fund-%d", i)), From: reserve, To: payers[i],
				Amount: yuan(t, "3.00"), Inputs: []string{funds[i]}}
		}
		res := mustInvoke(t, zjIss, api.TransferBatch, api.BatchRequest{Items: items})
		require.Equal(t, 100, res.Settled, "%+v", res.Results)

		// Read on the submitting province's peer, which has every block
		// whose commit the submissions above waited for.
		zjAud := as(t, zhejiang, "auditor")
		before := balance(t, zjAud, shop)
		three := yuan(t, "3.00")
		o := concurrently(100, func(i int) error {
			_, err := invoke(zjOp, api.Transfer, api.TransferRequest{PaymentID: zjOp.id(fmt.Sprintf("hot-in-%d", i)),
				From: payers[i], To: shop, Amount: three, Inputs: []string{res.Results[i].Payment.PayeeOutput}})
			return err
		})
		t.Logf("hot payee: %d committed, %d MVCC conflicts, %d other failures", o.committed, o.conflicts, len(o.failures))
		require.Empty(t, o.failures)
		require.Zero(t, o.conflicts)
		require.Equal(t, 100, o.committed)
		requireBalance(t, ahOp, shop, before+yuan(t, "300.00"))
	})
	requireBalancedSupply(t)
}

// TestBatchOf500 settles a 500-payment batch in which a few items are bad:
// each bad item is reported with its code and changes nothing.
func TestBatchOf500(t *testing.T) {
	iss, op := as(t, anhui, "issuer"), as(t, anhui, "operator")
	reserve, benef := iss.id("batch-reserve"), op.id("benef")
	openAccount(t, iss, reserve, api.KindReserve, "")
	openAccount(t, op, benef, api.KindMerchant, "")
	m := mint(t, anhui, "m-batch", reserve, "100000.00")

	// 500 outputs: one split of 10, then ten splits of 50 from its change.
	seed := split(t, iss, "batch-seed", reserve, benef, []string{m.Output}, 10)
	var outputs []string
	var mu sync.Mutex
	o := concurrently(10, func(i int) error {
		p, err := invoke(iss, api.Transfer, api.TransferRequest{PaymentID: iss.id(fmt.Sprintf("batch-split-%d", i)),
			From: reserve, To: benef, Amount: 1, Inputs: seed.ChangeOutputs[i : i+1], ChangeSplit: 50})
		if err != nil {
			return err
		}
		mu.Lock()
		outputs = append(outputs, p.ChangeOutputs...)
		mu.Unlock()
		return nil
	})
	require.Empty(t, o.failures)
	require.Equal(t, 10, o.committed)
	require.Len(t, outputs, 500)

	before := balance(t, op, benef)
	items := make([]api.TransferRequest, 500)
	for i := range items {
		items[i] = api.TransferRequest{PaymentID: iss.id(fmt.Sprintf("b-%03d", i)), From: reserve, To: benef,
			Amount: yuan(t, "1.00"), Inputs: []string{outputs[i]}}
	}
	bad := map[int]api.Code{
		7:   api.CodeNotFound,          // unknown payee
		42:  api.CodeInputSpent,        // an input already spent
		99:  api.CodeInsufficientFunds, // more than its input holds
		250: api.CodeDuplicatePayment,  // the ID of an earlier item
		499: api.CodeInvalidArgument,   // no amount
	}
	items[7].To = op.id("nobody")
	items[42].Inputs = []string{m.Output}
	items[99].Amount = yuan(t, "900000.00")
	items[250].PaymentID = items[249].PaymentID
	items[499].Amount = 0
	res := mustInvoke(t, iss, api.TransferBatch, api.BatchRequest{Items: items})
	require.Len(t, res.Results, 500)
	require.Equal(t, 495, res.Settled)
	require.Equal(t, 5, res.Rejected)
	for i, r := range res.Results {
		if want, isBad := bad[i]; isBad {
			require.False(t, r.OK, "item %d", i)
			require.Equal(t, want, r.Code, "item %d: %s", i, r.Message)
		} else {
			require.True(t, r.OK, "item %d: %s %s", i, r.Code, r.Message)
		}
	}
	requireBalance(t, op, benef, before+yuan(t, "495.00"))
	requireBalancedSupply(t)
}
