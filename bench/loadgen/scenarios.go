package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// A scenario sets itself up (not measured) and returns the operation its
// workers repeat.
type scenario struct {
	name, desc string
	// bench marks scenarios on the benchmark chaincode.
	bench bool
	// gateway marks scenarios whose conflicts are retried by the gateways.
	gateway bool
	setup   func(ctx context.Context, r *runner, tag string) (opFunc, error)
}

// tokenShape describes a payment scenario on yrd.
type tokenShape struct {
	hotPayer, hotPayee bool
	// payee province of worker w, given its payer province index.
	payeeOffset func(w int) int
}

var (
	distinct      = tokenShape{payeeOffset: func(int) int { return 0 }}
	hotPayer      = tokenShape{hotPayer: true, payeeOffset: func(w int) int { return w % 4 }}
	hotPayee      = tokenShape{hotPayee: true}
	crossProvince = tokenShape{payeeOffset: func(w int) int { return 1 + (w/4)%3 }}
)

// catalog lists every scenario in run order.
func catalog() []scenario {
	return []scenario{
		{name: "gw:distinct", gateway: true, desc: "HTTP gateways; each worker pays from its own account to its own payee, provinces round robin",
			setup: tokenSetup(distinct, viaGateway)},
		{name: "gw:earmarked", gateway: true, desc: "HTTP gateways; as gw:distinct, but each payer spends funds earmarked for a programme at a merchant it allows (released there): POST /v1/programmes/{id}/spends",
			setup: earmarkedSetup},
		{name: "gw:hot-payer", gateway: true, desc: "HTTP gateway of Shanghai; one bank settlement account pays every worker's payee (pre-split output pool)",
			setup: tokenSetup(hotPayer, viaGateway)},
		{name: "gw:hot-payee", gateway: true, desc: "HTTP gateways; every worker's own account pays one Shanghai merchant",
			setup: tokenSetup(hotPayee, viaGateway)},
		{name: "gw:cross-province", gateway: true, desc: "HTTP gateways; each worker pays from its province into another province",
			setup: tokenSetup(crossProvince, viaGateway)},
		{name: "gw:batch", gateway: true, desc: "HTTP gateway of Shanghai; POST /v1/payment-batches, one bank settlement account pays BatchSize payees per transaction",
			setup: batchSetup},
		{name: "sdk:distinct", desc: "Fabric Gateway SDK, no HTTP gateway (floor); as gw:distinct, inputs chained by the worker",
			setup: tokenSetup(distinct, viaSDK)},
		{name: "sdk:hot-payer", desc: "Fabric Gateway SDK; one bank settlement account pays from a pool of pre-split outputs",
			setup: tokenSetup(hotPayer, viaSDK)},
		{name: "sdk:hot-payee", desc: "Fabric Gateway SDK; every worker's own account pays one merchant",
			setup: tokenSetup(hotPayee, viaSDK)},
		{name: "sdk:cross-province", desc: "Fabric Gateway SDK; each worker pays from its province into another",
			setup: tokenSetup(crossProvince, viaSDK)},
		{name: "bench:put", bench: true, desc: "yrdbench blind write (no read): Fabric's floor cost per transaction",
			setup: benchPutSetup},
		{name: "bench:transfer-distinct", bench: true, desc: "yrdbench naive account model (one balance row each, read-modify-write), distinct pairs",
			setup: benchTransferSetup(false)},
		{name: "bench:transfer-hot", bench: true, desc: "yrdbench naive account model, every worker pays from one hot account",
			setup: benchTransferSetup(true)},
	}
}

// ScenarioNames lists the scenarios Run knows, in run order.
func ScenarioNames() []string {
	var out []string
	for _, s := range catalog() {
		out = append(out, s.name)
	}
	return out
}

type via int

const (
	viaGateway via = iota
	viaSDK
)

var (
	payAmount  = money.Amount(1) // 0.01
	fundAmount = money.Yuan(100_000)
	// settlementAmount is what a province's reserve pays into its bank's
	// settlement account for one scenario; the run mints that much per
	// token scenario into each reserve.
	settlementAmount = money.Yuan(1_000_000_000)
)

func province(i int) testnet.Province { return testnet.Provinces[((i%4)+4)%4] }

// indexOf is p's position in testnet.Provinces.
func indexOf(p testnet.Province) int {
	for i, q := range testnet.Provinces {
		if q.MSPID == p.MSPID {
			return i
		}
	}
	return 0
}

// bankFunds are a scenario's accounts of a province's city commercial
// bank: a settlement account, funded from the run's reserve of the
// province's central-bank branch by one payment, and a sink for the
// cents that splitting it pays. The bank's operator pays from it.
type bankFunds struct {
	settlement, sink string
}

func fundsOf(p testnet.Province, tag string) bankFunds {
	return bankFunds{
		settlement: bankID(p, "operator", tag+"-settle"),
		sink:       bankID(p, "operator", tag+"-sink"),
	}
}

func (f bankFunds) accounts(p testnet.Province) []account {
	return []account{{f.settlement, p, "operator", rest.KindSettlement}, {f.sink, p, "operator", rest.KindMerchant}}
}

// fund pays settlementAmount from the province's reserve into the bank's
// settlement account and splits that into a pool of at least pool outputs.
func (r *runner) fund(ctx context.Context, p testnet.Province, f bankFunds, tag string, pool int) error {
	_, err := r.gw.pay(ctx, p, "issuer", rest.PaymentRequest{PaymentID: bankID(p, "issuer", tag+"-fund"),
		From: r.reserves[p.MSPID], To: f.settlement, Amount: settlementAmount})
	if err != nil {
		return fmt.Errorf("fund %s: %w", f.settlement, err)
	}
	return r.split(ctx, p, "operator", f.settlement, f.sink, tag, pool)
}

// tokenAccounts are a token scenario's accounts, opened and funded: worker
// w pays from payer[w] (of province payerProv[w]) to payee[w]; outputs[w]
// is payer[w]'s one output (empty for a hot payer, which pays from its
// pool of outputs).
type tokenAccounts struct {
	payer, payee         []string
	payerProv, payeeProv []testnet.Province
	outputs              []string
}

// prepareToken opens and funds the accounts of a token scenario of shape
// for n workers, their IDs made from tag.
func (r *runner) prepareToken(ctx context.Context, shape tokenShape, tag string, n int) (tokenAccounts, error) {
	funds := func(p testnet.Province) bankFunds { return fundsOf(p, tag) }
	payer := make([]string, n)
	payerProv := make([]testnet.Province, n)
	payee := make([]string, n)
	payeeProv := make([]testnet.Province, n)
	accts := []account{}
	for _, p := range testnet.Provinces {
		accts = append(accts, funds(p).accounts(p)...)
	}
	hot := bankID(province(0), "operator", tag+"-hot")
	for w := 0; w < n; w++ {
		if shape.hotPayer {
			payer[w], payerProv[w] = funds(province(0)).settlement, province(0)
		} else {
			payerProv[w] = province(w)
			payer[w] = bankID(payerProv[w], "operator", fmt.Sprintf("%s-a%d", tag, w))
			accts = append(accts, account{payer[w], payerProv[w], "operator", rest.KindMerchant})
		}
		if shape.hotPayee {
			payee[w], payeeProv[w] = hot, province(0)
		} else {
			payeeProv[w] = province(w%4 + shape.payeeOffset(w))
			payee[w] = bankID(payeeProv[w], "operator", fmt.Sprintf("%s-b%d", tag, w))
			accts = append(accts, account{payee[w], payeeProv[w], "operator", rest.KindMerchant})
		}
	}
	if shape.hotPayee {
		accts = append(accts, account{hot, province(0), "operator", rest.KindMerchant})
	}
	if err := r.openAccounts(ctx, accts); err != nil {
		return tokenAccounts{}, err
	}
	// Each province's settlement account: funded from its reserve, split
	// into a pool large enough to fund its payers in parallel (or, for
	// the hot payer, to pay from).
	err := parallel(ctx, 4, 4, func(ctx context.Context, i int) error {
		p := province(i)
		pool := (n + 3) / 4
		if shape.hotPayer {
			if i != 0 {
				return nil
			}
			pool = 2 * n
		}
		return r.fund(ctx, p, funds(p), tag+"-"+p.Name, pool)
	})
	if err != nil {
		return tokenAccounts{}, err
	}
	// Fund the payers: the payee output of the funding payment is the
	// payer's one output, which the SDK workers then chain.
	outputs := make([]string, n)
	if !shape.hotPayer {
		err := parallel(ctx, n, 16, func(ctx context.Context, w int) error {
			p := payerProv[w]
			rec, err := r.gw.pay(ctx, p, "operator", rest.PaymentRequest{PaymentID: bankID(p, "operator", fmt.Sprintf("%s-fund%d", tag, w)),
				From: funds(p).settlement, To: payer[w], Amount: fundAmount})
			if err != nil {
				return fmt.Errorf("fund %s: %w", payer[w], err)
			}
			outputs[w] = rec.PayeeOutput
			return nil
		})
		if err != nil {
			return tokenAccounts{}, err
		}
	}
	return tokenAccounts{payer: payer, payee: payee, payerProv: payerProv, payeeProv: payeeProv, outputs: outputs}, nil
}

func tokenSetup(shape tokenShape, path via) func(ctx context.Context, r *runner, tag string) (opFunc, error) {
	return func(ctx context.Context, r *runner, tag string) (opFunc, error) {
		n := r.cfg.Concurrency
		ta, err := r.prepareToken(ctx, shape, tag, n)
		if err != nil {
			return nil, err
		}
		payer, payee, payerProv, outputs := ta.payer, ta.payee, ta.payerProv, ta.outputs
		pid := func(w, seq int) string {
			return bankID(payerProv[w], "operator", fmt.Sprintf("%s-w%d-%d", tag, w, seq))
		}
		if path == viaGateway {
			return func(ctx context.Context, w, seq int) outcome {
				rec, err := r.gw.pay(ctx, payerProv[w], "operator", rest.PaymentRequest{PaymentID: pid(w, seq), From: payer[w], To: payee[w], Amount: payAmount})
				if err != nil {
					return outcome{code: gwCode(err)}
				}
				return outcome{txs: 1, payments: 1, txID: rec.TxID}
			}, nil
		}

		// SDK: the worker names its inputs itself.
		contracts := make([]*sdk.Contract, n)
		for w := 0; w < n; w++ {
			c, err := r.sdk.contract(payerProv[w], "operator", r.cfg.Chaincode)
			if err != nil {
				return nil, err
			}
			contracts[w] = c
		}
		var pool chan string
		if shape.hotPayer {
			ids, err := r.listOutputs(ctx, province(0), "operator", payer[0])
			if err != nil {
				return nil, err
			}
			pool = make(chan string, len(ids)+n)
			for _, id := range ids {
				pool <- id
			}
		}
		return func(ctx context.Context, w, seq int) outcome {
			var in string
			if pool != nil {
				select {
				case in = <-pool:
				case <-ctx.Done():
					return outcome{code: "POOL_EMPTY"}
				}
			} else {
				in = outputs[w]
			}
			rec, conflicts, err := sdkSubmit(ctx, r.sdk, contracts[w], api.Transfer,
				api.TransferRequest{PaymentID: pid(w, seq), From: payer[w], To: payee[w], Amount: payAmount, Inputs: []string{in}})
			if err == nil && len(rec.ChangeOutputs) == 0 {
				err = errors.New("payment left no change")
			}
			if err != nil {
				if pool == nil {
					// Find the payer's output again (the payment may have committed).
					if ids, lerr := r.listOutputs(context.WithoutCancel(ctx), payerProv[w], "operator", payer[w]); lerr == nil && len(ids) > 0 {
						outputs[w] = ids[0]
					}
				}
				return outcome{conflicts: conflicts, code: sdkCode(err)}
			}
			if pool != nil {
				pool <- rec.ChangeOutputs[0]
			} else {
				outputs[w] = rec.ChangeOutputs[0]
			}
			return outcome{txs: 1, payments: 1, conflicts: conflicts, txID: rec.TxID}
		}, nil
	}
}

func batchSetup(ctx context.Context, r *runner, tag string) (opFunc, error) {
	n, size := r.cfg.Concurrency, r.cfg.BatchSize
	p := province(0)
	f := fundsOf(p, tag)
	const payees = 20
	accts := f.accounts(p)
	payee := func(i int) string { return bankID(province(i), "operator", fmt.Sprintf("%s-b%d", tag, i)) }
	for i := 0; i < payees; i++ {
		accts = append(accts, account{payee(i), province(i), "operator", rest.KindMerchant})
	}
	if err := r.openAccounts(ctx, accts); err != nil {
		return nil, err
	}
	if err := r.fund(ctx, p, f, tag, n*size+n*size/2); err != nil {
		return nil, err
	}
	return func(ctx context.Context, w, seq int) outcome {
		items := make([]rest.PaymentRequest, size)
		for k := range items {
			items[k] = rest.PaymentRequest{PaymentID: bankID(p, "operator", fmt.Sprintf("%s-w%d-%d-%d", tag, w, seq, k)), From: f.settlement,
				To: payee((w*size + k) % payees), Amount: payAmount}
		}
		res, err := r.gw.as(p, "operator").PayBatch(ctx, rest.BatchRequest{Items: items})
		o := batchOutcome(res.Result, err, size)
		if o.code == "" {
			o.txID = res.TxID
		}
		return o
	}, nil
}

// batchOutcome counts a batch: committed with every item settled, or a
// failed operation whose code is the gateway's, or ITEM_<code> of the first
// rejected item (of a committed batch, or of one whose every item was
// rejected: BATCH_REJECTED).
func batchOutcome(res rest.BatchResult, err error, size int) outcome {
	if err != nil {
		var e *client.Error
		if errors.As(err, &e) && e.Code == rest.CodeBatchRejected {
			if items, ok := e.BatchResults(); ok {
				res = rest.BatchResult{Results: items}
			}
		}
		if len(res.Results) == 0 {
			return outcome{code: gwCode(err)}
		}
	}
	if err == nil && res.Settled == size {
		return outcome{txs: 1, payments: size}
	}
	for _, it := range res.Results {
		if !it.OK {
			return outcome{code: "ITEM_" + it.Code} // counted as a failed operation
		}
	}
	return outcome{code: "BAD_RESULT"} // fewer settled than sent, none rejected
}

func benchPutSetup(ctx context.Context, r *runner, tag string) (opFunc, error) {
	cs, err := r.benchContracts()
	if err != nil {
		return nil, err
	}
	value := strings.Repeat("x", 100)
	return func(ctx context.Context, w, seq int) outcome {
		_, conflicts, txID, err := sdkSubmitTx(ctx, r.sdk, cs[w%4], api.BenchPut, api.BenchPutRequest{Key: fmt.Sprintf("%s-w%d-%d", tag, w, seq), Value: value})
		if err != nil {
			return outcome{conflicts: conflicts, code: sdkCode(err)}
		}
		return outcome{txs: 1, payments: 1, conflicts: conflicts, txID: txID}
	}, nil
}

func benchTransferSetup(hot bool) func(ctx context.Context, r *runner, tag string) (opFunc, error) {
	return func(ctx context.Context, r *runner, tag string) (opFunc, error) {
		cs, err := r.benchContracts()
		if err != nil {
			return nil, err
		}
		n := r.cfg.Concurrency
		from := func(w int) string {
			if hot {
				return tag + "-hot"
			}
			return fmt.Sprintf("%s-a%d", tag, w)
		}
		to := func(w int) string { return fmt.Sprintf("%s-b%d", tag, w) }
		var opens []api.BenchAccount
		for w := 0; w < n; w++ {
			if !hot {
				opens = append(opens, api.BenchAccount{Account: from(w), AmountFen: 100_000_000_000})
			}
			opens = append(opens, api.BenchAccount{Account: to(w)})
		}
		if hot {
			opens = append(opens, api.BenchAccount{Account: from(0), AmountFen: 100_000_000_000_000})
		}
		err = parallel(ctx, len(opens), 16, func(ctx context.Context, i int) error {
			_, _, err := sdkSubmit(ctx, r.sdk, cs[i%4], api.BenchOpen, opens[i])
			if err != nil {
				return fmt.Errorf("open %s: %w", opens[i].Account, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, w, seq int) outcome {
			_, conflicts, txID, err := sdkSubmitTx(ctx, r.sdk, cs[w%4], api.BenchTransfer, api.BenchTransferRequest{From: from(w), To: to(w), AmountFen: 1})
			if err != nil {
				return outcome{conflicts: conflicts, code: sdkCode(err)}
			}
			return outcome{txs: 1, payments: 1, conflicts: conflicts, txID: txID}
		}, nil
	}
}
