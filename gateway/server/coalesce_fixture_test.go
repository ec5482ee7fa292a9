package server

// Fixtures of the coalescing tests (coalesce_test.go): a harness whose
// payment coalescer the test configures, accounts holding many outputs,
// concurrent payments, and an independent reading of the ledger's blocks
// (what was committed, in how many transactions).

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// testRetry paces coalesced re-runs quickly in tests.
var testRetry = config.Retry{BackoffBase: config.Duration(time.Millisecond), BackoffMax: config.Duration(5 * time.Millisecond)}

// coalesceWith replaces the harness's payment coalescer (the default one,
// or none) with one configured by co. Call it while no payment is in
// flight.
func (h *harness) coalesceWith(co config.Coalesce) {
	h.t.Helper()
	c, err := h.srv.newTransferCoalescer(co, testRetry)
	if err != nil {
		h.t.Fatal(err)
	}
	old := h.srv.transfers
	h.srv.transfers = c
	closeCoalescer := func(c *transferCoalescer) {
		if c == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			h.t.Errorf("closing a coalescer: %v", err)
		}
	}
	closeCoalescer(old)
	h.t.Cleanup(func() { closeCoalescer(c) })
}

// waitCoalescing polls until n payments wait in the coalescer.
func (h *harness) waitCoalescing(n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := h.srv.transfers.Stats()
		if st.Pending == n {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d payments wait in the coalescer, want %d", st.Pending, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// splitOutputs makes account (funded, of sh-op's bank) hold at least n
// unspent outputs: one payment of 0.01 to shShop whose change is split n
// ways.
func (h *harness) splitOutputs(account string, n int) {
	h.t.Helper()
	h.pay("sh-op", rest.PaymentRequest{PaymentID: fmt.Sprintf("SH-CITY:split-%s-%d", account[len("SH-CITY:"):], n), From: account, To: shShop,
		Amount: y("0.01"), ChangeSplit: n})
	if got := len(h.outputs(account)); got < n {
		h.t.Fatalf("%s holds %d outputs, want at least %d", account, got, n)
	}
}

// outputs reads account's unspent outputs on the ledger as an auditor.
func (h *harness) outputs(account string) []api.Output {
	h.t.Helper()
	p, err := ledger.Query(context.Background(), h.led, "sh-aud", api.ListOutputs, api.ListOutputsRequest{Account: account, PageSize: 1000})
	if err != nil {
		h.t.Fatalf("outputs of %s: %v", account, err)
	}
	return p.Outputs
}

// outputOf returns the ID of account's unspent output of amount.
func (h *harness) outputOf(account string, amount money.Amount) string {
	h.t.Helper()
	for _, o := range h.outputs(account) {
		if o.Amount == amount {
			return o.ID
		}
	}
	h.t.Fatalf("%s has no output of %s", account, amount)
	return ""
}

// payAll sends the payments concurrently as client and returns the
// responses in the order of reqs.
func (h *harness) payAll(client string, reqs []string) []response {
	out := make([]response, len(reqs))
	var wg sync.WaitGroup
	for i, body := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = h.do(client, "POST", "/v1/payments", body)
		}()
	}
	wg.Wait()
	return out
}

// committedTx is one transaction of the ledger's blocks.
type committedTx struct {
	block uint64
	txID  string
	code  peer.TxValidationCode
	// events are its business events (valid transactions only).
	events []api.Event
}

// txsSince reads every transaction of blocks from..height-1 from the
// in-process ledger's blocks, independently of the gateway.
func (h *harness) txsSince(from uint64) []committedTx {
	h.t.Helper()
	var out []committedTx
	for n := from; n < h.led.Height(); n++ {
		b, err := h.led.Stub().Block(context.Background(), n)
		if err != nil {
			h.t.Fatalf("block %d: %v", n, err)
		}
		for _, tx := range b.Txs {
			ct := committedTx{block: b.Number, txID: tx.TxID, code: tx.Code}
			if tx.Code == peer.TxValidationCode_VALID && tx.Event != nil {
				var env api.Envelope
				if err := json.Unmarshal(tx.Event.Payload, &env); err != nil {
					h.t.Fatalf("event of %s: %v", tx.TxID, err)
				}
				ct.events = env.Events
			}
			out = append(out, ct)
		}
	}
	return out
}

// transferred lists the payment IDs of the Transferred events of txs,
// sorted.
func transferred(txs []committedTx) []string {
	var ids []string
	for _, tx := range txs {
		for _, e := range tx.events {
			if e.Type == api.EventTransferred {
				ids = append(ids, e.ID)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// paymentBody renders a payment request.
func paymentBody(id, from, to, amount string, inputs ...string) string {
	return jsonOf(rest.PaymentRequest{PaymentID: id, From: from, To: to, Amount: y(amount), Inputs: inputs})
}

// committedPayment decodes a 201 payment answer.
func committedPayment(t testing.TB, r response) rest.Committed[rest.Payment] {
	t.Helper()
	var c rest.Committed[rest.Payment]
	r.decode(t, &c)
	return c
}
