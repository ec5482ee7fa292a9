package e2e

import (
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

func openAccount(t *testing.T, op *actor, id string, kind api.Kind, tier string) {
	t.Helper()
	mustInvoke(t, op, api.OpenAccount, api.OpenAccountRequest{ID: id, Kind: kind, Tier: tier},
		sdk.WithTransient(map[string][]byte{api.TransientCustomerRef: []byte("ref-" + id), api.TransientSalt: []byte("s")}))
}

func mint(t *testing.T, iss *actor, id, account, amount string) api.MintRecord {
	t.Helper()
	return mustInvoke(t, iss, api.Mint, api.MintRequest{MintID: id, Account: account, Amount: yuan(t, amount), ReserveRef: "deposit-" + id})
}

// requireBalance waits (briefly) until a's peer reports want for account:
// another province's peer may commit a block a moment after the submitter's.
func requireBalance(t *testing.T, a *actor, account string, want money.Amount) {
	t.Helper()
	var got money.Amount
	require.Eventually(t, func() bool {
		got = balance(t, a, account)
		return got == want
	}, 10*time.Second, 100*time.Millisecond, "balance of %s seen by %s: %s, want %s", account, a.p.Name, &got, want)
}

func balance(t *testing.T, a *actor, account string) money.Amount {
	t.Helper()
	return query(t, a, api.GetBalance, api.AccountRequest{ID: account}).Balance
}

// split pays a token amount to payee and leaves the change in n outputs.
func split(t *testing.T, op *actor, id, from, payee string, inputs []string, n int) api.Payment {
	t.Helper()
	p := mustInvoke(t, op, api.Transfer, api.TransferRequest{PaymentID: id, From: from, To: payee,
		Amount: yuan(t, "0.01"), Inputs: inputs, ChangeSplit: n})
	require.Len(t, p.ChangeOutputs, n)
	return p
}

func requireBalancedSupply(t *testing.T) {
	t.Helper()
	audit := query(t, as(t, anhui, "auditor"), api.AuditSupply, api.Empty{})
	require.True(t, audit.Balanced, "supply %s, outputs %s", audit.Supply, audit.OutputsTotal)
}

// TestTokenLifecycle covers minting across provinces, a cross-province
// payment, a duplicate payment ID, a frozen account and tier limits.
func TestTokenLifecycle(t *testing.T) {
	shOp, jsOp := as(t, shanghai, "operator"), as(t, jiangsu, "operator")
	shIss := as(t, shanghai, "issuer")
	openAccount(t, shOp, "sh-reserve", api.KindReserve, "")
	openAccount(t, jsOp, "js-alice", api.KindCustomer, api.TierClassIV)
	openAccount(t, jsOp, "js-shop", api.KindMerchant, "")

	var m api.MintRecord
	t.Run("mint needs three provinces", func(t *testing.T) {
		_, err := invoke(shIss, api.Mint, api.MintRequest{MintID: "m-two", Account: "sh-reserve",
			Amount: yuan(t, "100.00"), ReserveRef: "dep-two"}, sdk.WithEndorsingOrganizations(shanghai.MSPID, jiangsu.MSPID))
		requireCode(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE.String(), err)
		requireBalance(t, shOp, "sh-reserve", 0)

		m = mint(t, shIss, "m-1", "sh-reserve", "1000000.00")
		requireBalance(t, shOp, "sh-reserve", yuan(t, "1000000.00"))
		requireBalancedSupply(t)
	})

	var pay api.Payment
	t.Run("cross-province payment", func(t *testing.T) {
		pay = mustInvoke(t, shOp, api.Transfer, api.TransferRequest{PaymentID: "p-1", From: "sh-reserve", To: "js-alice",
			Amount: yuan(t, "1500.00"), Inputs: []string{m.Output}, Purpose: "SALA"})
		requireBalance(t, jsOp, "js-alice", yuan(t, "1500.00"))
		requireBalance(t, shOp, "sh-reserve", yuan(t, "998500.00"))
	})

	t.Run("duplicate payment ID", func(t *testing.T) {
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: "p-1", From: "sh-reserve", To: "js-alice",
			Amount: yuan(t, "1.00"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeDuplicatePayment), err)
		requireBalance(t, jsOp, "js-alice", yuan(t, "1500.00"))
	})

	t.Run("frozen account neither receives nor sends", func(t *testing.T) {
		comp := as(t, jiangsu, "compliance")
		mustInvoke(t, comp, api.Freeze, api.FreezeRequest{ID: "js-alice", Reason: "court order"})
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: "p-frozen-in", From: "sh-reserve", To: "js-alice",
			Amount: yuan(t, "1.00"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeAccountFrozen), err)
		_, err = invoke(jsOp, api.Transfer, api.TransferRequest{PaymentID: "p-frozen-out", From: "js-alice", To: "js-shop",
			Amount: yuan(t, "1.00"), Inputs: []string{pay.PayeeOutput}})
		requireCode(t, string(api.CodeAccountFrozen), err)
		mustInvoke(t, comp, api.Unfreeze, api.AccountRequest{ID: "js-alice"})
	})

	t.Run("tier limits", func(t *testing.T) {
		// Class IV: at most 2,000 yuan per payment, balance at most 10,000.
		_, err := invoke(shOp, api.Transfer, api.TransferRequest{PaymentID: "p-cap", From: "sh-reserve", To: "js-alice",
			Amount: yuan(t, "8500.01"), Inputs: pay.ChangeOutputs})
		requireCode(t, string(api.CodeBalanceCapExceeded), err)
		more := mustInvoke(t, shOp, api.Transfer, api.TransferRequest{PaymentID: "p-2", From: "sh-reserve", To: "js-alice",
			Amount: yuan(t, "1000.00"), Inputs: pay.ChangeOutputs})
		_, err = invoke(jsOp, api.Transfer, api.TransferRequest{PaymentID: "p-big", From: "js-alice", To: "js-shop",
			Amount: yuan(t, "2000.01"), Inputs: []string{pay.PayeeOutput, more.PayeeOutput}})
		requireCode(t, string(api.CodeLimitExceeded), err)
		mustInvoke(t, jsOp, api.Transfer, api.TransferRequest{PaymentID: "p-ok", From: "js-alice", To: "js-shop",
			Amount: yuan(t, "2000.00"), Inputs: []string{pay.PayeeOutput, more.PayeeOutput}})
		requireBalance(t, jsOp, "js-alice", yuan(t, "500.00"))
	})

	t.Run("another province cannot spend Shanghai's money", func(t *testing.T) {
		out := query(t, shOp, api.ListOutputs, api.ListOutputsRequest{Account: "sh-reserve", PageSize: 10})
		require.NotEmpty(t, out.Outputs)
		_, err := invoke(jsOp, api.Transfer, api.TransferRequest{PaymentID: "p-steal", From: "sh-reserve", To: "js-shop",
			Amount: yuan(t, "1.00"), Inputs: []string{out.Outputs[0].ID}})
		requireCode(t, string(api.CodeForbidden), err)
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

// TestHotAccounts: many payments out of one reserve account, and many into
// one merchant account, all commit without MVCC conflicts.
func TestHotAccounts(t *testing.T) {
	zjOp, zjIss := as(t, zhejiang, "operator"), as(t, zhejiang, "issuer")
	ahOp := as(t, anhui, "operator")
	openAccount(t, zjOp, "zj-reserve", api.KindReserve, "")
	openAccount(t, ahOp, "ah-shop", api.KindMerchant, "")
	m := mint(t, zjIss, "m-hot", "zj-reserve", "500000.00")

	// 100 outputs for the reserve: two splits of 50.
	first := split(t, zjOp, "split-1", "zj-reserve", "ah-shop", []string{m.Output}, 50)
	second := split(t, zjOp, "split-2", "zj-reserve", "ah-shop", first.ChangeOutputs[:1], 50)
	pool := append(append([]string(nil), first.ChangeOutputs[1:]...), second.ChangeOutputs...)
	require.Len(t, pool, 99)

	t.Run("50 concurrent payments out of one reserve account", func(t *testing.T) {
		one := yuan(t, "1.00") // parsed here: the goroutines below assert nothing
		o := concurrently(50, func(i int) error {
			_, err := invoke(zjOp, api.Transfer, api.TransferRequest{PaymentID: fmt.Sprintf("hot-out-%d", i),
				From: "zj-reserve", To: "ah-shop", Amount: one, Inputs: []string{pool[i]}})
			return err
		})
		t.Logf("hot payer: %d committed, %d MVCC conflicts, %d other failures", o.committed, o.conflicts, len(o.failures))
		require.Empty(t, o.failures)
		require.Zero(t, o.conflicts)
		require.Equal(t, 50, o.committed)
	})

	t.Run("100 concurrent payments into one merchant account", func(t *testing.T) {
		// 100 payers in Zhejiang, each funded with one output by one batch.
		payers := make([]string, 100)
		open := concurrently(100, func(i int) error {
			payers[i] = fmt.Sprintf("zj-payer-%03d", i)
			_, err := invoke(zjOp, api.OpenAccount, api.OpenAccountRequest{ID: payers[i], Kind: api.KindMerchant},
				sdk.WithTransient(map[string][]byte{api.TransientCustomerRef: []byte(payers[i])}))
			return err
		})
		require.Empty(t, open.failures)
		require.Equal(t, 100, open.committed)
		third := split(t, zjOp, "split-3", "zj-reserve", "ah-shop", pool[50:51], 50)
		fourth := split(t, zjOp, "split-4", "zj-reserve", "ah-shop", pool[51:52], 50)
		funds := append(append([]string(nil), third.ChangeOutputs...), fourth.ChangeOutputs...)
		items := make([]api.TransferRequest, 100)
		for i := range items {
			items[i] = api.TransferRequest{PaymentID: fmt.Sprintf("fund-%d", i), From: "zj-reserve", To: payers[i],
				Amount: yuan(t, "3.00"), Inputs: []string{funds[i]}}
		}
		res := mustInvoke(t, zjOp, api.TransferBatch, api.BatchRequest{Items: items})
		require.Equal(t, 100, res.Settled, "%+v", res.Results)

		// Read on the submitting province's peer, which has every block
		// whose commit the submissions above waited for.
		zjAud := as(t, zhejiang, "auditor")
		before := balance(t, zjAud, "ah-shop")
		three := yuan(t, "3.00")
		o := concurrently(100, func(i int) error {
			_, err := invoke(zjOp, api.Transfer, api.TransferRequest{PaymentID: fmt.Sprintf("hot-in-%d", i),
				From: payers[i], To: "ah-shop", Amount: three, Inputs: []string{res.Results[i].Payment.PayeeOutput}})
			return err
		})
		t.Logf("hot payee: %d committed, %d MVCC conflicts, %d other failures", o.committed, o.conflicts, len(o.failures))
		require.Empty(t, o.failures)
		require.Zero(t, o.conflicts)
		require.Equal(t, 100, o.committed)
		requireBalance(t, ahOp, "ah-shop", before+yuan(t, "300.00"))
	})
	requireBalancedSupply(t)
}

// TestBatchOf500 settles a 500-payment batch in which a few items are bad:
// each bad item is reported with its code and changes nothing.
func TestBatchOf500(t *testing.T) {
	op, iss := as(t, anhui, "operator"), as(t, anhui, "issuer")
	openAccount(t, op, "ah-fiscal", api.KindReserve, "")
	openAccount(t, op, "ah-benef", api.KindMerchant, "")
	m := mint(t, iss, "m-batch", "ah-fiscal", "100000.00")

	// 500 outputs: one split of 50, then ten splits of 50 from its change.
	seed := split(t, op, "batch-seed", "ah-fiscal", "ah-benef", []string{m.Output}, 10)
	var outputs []string
	var mu sync.Mutex
	o := concurrently(10, func(i int) error {
		p, err := invoke(op, api.Transfer, api.TransferRequest{PaymentID: fmt.Sprintf("batch-split-%d", i),
			From: "ah-fiscal", To: "ah-benef", Amount: 1, Inputs: seed.ChangeOutputs[i : i+1], ChangeSplit: 50})
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

	before := balance(t, op, "ah-benef")
	items := make([]api.TransferRequest, 500)
	for i := range items {
		items[i] = api.TransferRequest{PaymentID: fmt.Sprintf("b-%03d", i), From: "ah-fiscal", To: "ah-benef",
			Amount: yuan(t, "1.00"), Inputs: []string{outputs[i]}}
	}
	bad := map[int]api.Code{
		7:   api.CodeNotFound,          // unknown payee
		42:  api.CodeInputSpent,        // an input already spent
		99:  api.CodeInsufficientFunds, // more than its input holds
		250: api.CodeDuplicatePayment,  // the ID of an earlier item
		499: api.CodeInvalidArgument,   // no amount
	}
	items[7].To = "nobody"
	items[42].Inputs = []string{m.Output}
	items[99].Amount = yuan(t, "900000.00")
	items[250].PaymentID = items[249].PaymentID
	items[499].Amount = 0
	res := mustInvoke(t, op, api.TransferBatch, api.BatchRequest{Items: items})
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
	requireBalance(t, op, "ah-benef", before+yuan(t, "495.00"))
	requireBalancedSupply(t)
}
