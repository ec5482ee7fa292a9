package server

// Payment coalescing through the HTTP API, on the real chaincode in
// process: what the ledger committed (blocks and transactions read
// independently of the gateway) and what each client was answered.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/coalesce"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// longWindow: batches form by count or Flush, never by the clock.
var longWindow = config.Duration(time.Minute)

// TestCoalescedPaymentsShareOneTransaction: twelve concurrent payments of
// one client, from one payer with outputs enough for each, settle in one
// transaction; each client gets its own record, with that transaction's
// ID and block.
func TestCoalescedPaymentsShareOneTransaction(t *testing.T) {
	h := funded(t, harnessOptions{})
	const n = 12
	h.splitOutputs(settle, n)
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: n})
	var reqs []string
	var ids []string
	want := map[string]money.Amount{shShop: y("0.01")} // the split's payment
	for i := range n {
		id := fmt.Sprintf("SH-CITY:co%02d", i)
		to := []string{shShop, jsShop}[i%2]
		amt := money.Amount(100 + i)
		want[to] += amt
		ids = append(ids, id)
		reqs = append(reqs, paymentBody(id, settle, to, amt.String()))
	}
	start := h.led.Height()
	answers := h.payAll("sh-op", reqs)

	txs := h.txsSince(start)
	if len(txs) != 1 || txs[0].code.String() != "VALID" {
		t.Fatalf("%d payments committed as %+v, want one valid transaction", n, txs)
	}
	if got := transferred(txs); !slices.Equal(got, ids) {
		t.Fatalf("transferred %v, want %v", got, ids)
	}
	seenInputs := map[string]bool{}
	for i, r := range answers {
		if r.status != http.StatusCreated {
			t.Fatalf("payment %d: %d %s", i, r.status, r.body)
		}
		c := committedPayment(t, r)
		if c.Result.PaymentID != ids[i] || c.TxID != txs[0].txID || c.BlockNumber != txs[0].block || c.Result.TxID != txs[0].txID {
			t.Fatalf("payment %d answered %+v, want %s in tx %s block %d", i, c, ids[i], txs[0].txID, txs[0].block)
		}
		for _, in := range c.Result.Inputs {
			if seenInputs[in] {
				t.Fatalf("input %s spent by two payments of one batch", in)
			}
			seenInputs[in] = true
		}
	}
	for acct, amt := range want {
		if b := h.balance(reader(acct), acct); b != amt.String() {
			t.Fatalf("%s balance %s, want %s", acct, b, amt)
		}
	}
	if n := metricValue(t, h.srv.metrics, "yrd_gateway_coalesce_flushes_total", map[string]string{"reason": coalesce.ReasonCount}); n != 1 {
		t.Fatalf("count flushes %v", n)
	}
}

// TestCoalescedAsyncPayments: asynchronous payments coalesce too; each
// operation records its own payment.
func TestCoalescedAsyncPayments(t *testing.T) {
	h := funded(t, harnessOptions{workers: 8})
	const n = 4
	h.splitOutputs(settle, n)
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: n})
	start := h.led.Height()
	var ops []string
	for i := range n {
		var acc rest.Accepted
		h.must(http.StatusAccepted, "sh-op", "POST", "/v1/payments?async=true", paymentBody(fmt.Sprintf("SH-CITY:as%d", i), settle, shShop, "1")).decode(t, &acc)
		ops = append(ops, acc.OperationID)
	}
	txIDs := map[string]bool{}
	for i, id := range ops {
		op := h.waitOperation("sh-op", id)
		var c rest.Committed[rest.Payment]
		if op.Status != rest.OpCommitted || json.Unmarshal(op.Result, &c) != nil || c.Result.PaymentID != fmt.Sprintf("SH-CITY:as%d", i) {
			t.Fatalf("operation %d: %+v", i, op)
		}
		txIDs[c.TxID] = true
	}
	if txs := h.txsSince(start); len(txs) != 1 || len(txIDs) != 1 || !txIDs[txs[0].txID] {
		t.Fatalf("transactions %+v, answered %v", txs, txIDs)
	}
}

// coalesceCase is one payment of TestCoalescedAnswersAreEachClients and
// the answer an uncoalesced payment gets for it.
type coalesceCase struct {
	name, body string
	status     int
	code       string
	// selected: refused by input selection, before any batch.
	selected bool
}

// coalesceCases builds accounts on h and the payments: valid ones, a
// duplicate ID in one window, and one of each refusal, from the gateway's
// selection and from the chaincode.
func coalesceCases(h *harness) []coalesceCase {
	h.t.Helper()
	h.splitOutputs(settle, 20)
	h.open("sh-op", "SH-CITY:alice", rest.KindCustomer, rest.TierClassIV)
	h.open("sh-op", "SH-CITY:frozen", rest.KindMerchant, "")
	h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:frozen/freeze", `{"reason":"court order"}`)
	h.open("sh-op", "SH-CITY:small", rest.KindMerchant, "")
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:small-1", From: settle, To: "SH-CITY:small", Amount: y("1")})
	small := h.outputOf("SH-CITY:small", y("1"))
	return []coalesceCase{
		{name: "valid to a merchant", body: paymentBody("SH-CITY:v1", settle, shShop, "1.00"), status: 201},
		{name: "valid to another province", body: paymentBody("SH-CITY:v2", settle, jsShop, "2.00"), status: 201},
		{name: "valid to a customer", body: paymentBody("SH-CITY:v3", settle, "SH-CITY:alice", "3.00"), status: 201},
		{name: "duplicate ID, first", body: paymentBody("SH-CITY:dup", settle, shShop, "4.00"), status: 201},
		{name: "duplicate ID, second", body: paymentBody("SH-CITY:dup", settle, shShop, "4.00"), status: 409, code: rest.CodeDuplicatePayment},
		{name: "insufficient, given inputs", body: paymentBody("SH-CITY:i1", "SH-CITY:small", shShop, "5", small), status: 422, code: rest.CodeInsufficientFunds},
		{name: "insufficient, selected", body: paymentBody("SH-CITY:i2", "SH-CITY:small", shShop, "5"), status: 422, code: rest.CodeInsufficientFunds, selected: true},
		{name: "frozen payee", body: paymentBody("SH-CITY:f1", settle, "SH-CITY:frozen", "1"), status: 422, code: "ACCOUNT_FROZEN"},
		{name: "over the payee's cap", body: paymentBody("SH-CITY:x2", settle, "SH-CITY:alice", "20000"), status: 422, code: rest.CodeBalanceCapExceeded},
		{name: "unknown payee", body: paymentBody("SH-CITY:x4", settle, "SH-CITY:nobody", "1"), status: 404, code: rest.CodeNotFound},
		{name: "payment ID of another bank", body: paymentBody("SH-ICBC:x3", settle, jsShop, "1"), status: 403, code: rest.CodeForbidden},
		{name: "foreign input", body: paymentBody("SH-CITY:x5", settle, shShop, "1", "nope.0"), status: 422, code: "INPUT_NOT_OWNED"},
	}
}

// TestCoalescedAnswersAreEachClients: payments of every kind of outcome,
// sent together, end in one batch; each client gets the status and code
// an uncoalesced payment gets (the same cases run with coalescing off),
// and the money that moved is what the valid payments moved.
func TestCoalescedAnswersAreEachClients(t *testing.T) {
	for _, mode := range []struct {
		name string
		co   config.Coalesce
	}{
		{"coalesced", config.Coalesce{Window: longWindow, MaxItems: api.MaxBatchItems}},
		{"uncoalesced", config.Coalesce{Disabled: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			h := funded(t, harnessOptions{})
			cases := coalesceCases(h)
			h.coalesceWith(mode.co)
			start := h.led.Height()
			var bodies []string
			batched := 0
			for _, c := range cases {
				bodies = append(bodies, c.body)
				if !c.selected {
					batched++
				}
			}
			var answers []response
			done := make(chan struct{})
			go func() { defer close(done); answers = h.payAll("sh-op", bodies) }()
			if !mode.co.Disabled {
				h.waitCoalescing(batched) // everything the selector let through is in one window
				h.srv.transfers.Flush()
			}
			<-done

			// The duplicate pair: one of them settles, the other is told so.
			dupA, dupB := answers[3], answers[4]
			if dupA.status != 201 {
				dupA, dupB = dupB, dupA
			}
			answers[3], answers[4] = dupA, dupB
			for i, c := range cases {
				r := answers[i]
				if r.status != c.status || (c.code != "" && r.code(t) != c.code) {
					t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.body, c.status, c.code)
				}
			}
			var e rest.Error
			dupB.decode(t, &e)
			if p, _ := e.Details[rest.DetailPayment].(map[string]any); p == nil || p["paymentId"] != "SH-CITY:dup" {
				t.Errorf("duplicate's details %v lack the original payment", e.Details)
			}

			txs := h.txsSince(start)
			if got, want := transferred(txs), []string{"SH-CITY:dup", "SH-CITY:v1", "SH-CITY:v2", "SH-CITY:v3"}; !slices.Equal(got, want) {
				t.Errorf("transferred %v, want %v", got, want)
			}
			if !mode.co.Disabled && len(txs) != 1 {
				t.Errorf("%d payments reached the coalescer, committed in %d transactions, want 1: %+v", batched, len(txs), txs)
			}
			for acct, want := range map[string]string{shShop: "5.01", jsShop: "2.00", "SH-CITY:alice": "3.00", "SH-CITY:small": "1.00", "SH-CITY:frozen": "0.00"} {
				if b := h.balance(reader(acct), acct); b != want {
					t.Errorf("%s balance %s, want %s", acct, b, want)
				}
			}
		})
	}
}

// TestCoalescedBatchRerunAfterConflict: the first batch is invalidated at
// commit as a whole (an MVCC conflict); it is run again and every payment
// settles in the re-run, none in the lost transaction.
func TestCoalescedBatchRerunAfterConflict(t *testing.T) {
	var batches atomic.Int32
	h := funded(t, harnessOptions{fault: func(fn string) error {
		if fn == api.TransferBatch.Function() && batches.Add(1) == 1 {
			return &ledger.Error{Code: ledger.CodeConflict, Stage: ledger.StageCommit, TxID: "lost", ValidationCode: "MVCC_READ_CONFLICT",
				Message: "transaction invalidated by a read conflict (MVCC_READ_CONFLICT) after retries"}
		}
		return nil
	}})
	const n = 6
	h.splitOutputs(settle, n)
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: n})
	start := h.led.Height()
	var reqs []string
	for i := range n {
		reqs = append(reqs, paymentBody(fmt.Sprintf("SH-CITY:rr%d", i), settle, shShop, "1"))
	}
	answers := h.payAll("sh-op", reqs)
	if got := batches.Load(); got != 2 {
		t.Fatalf("%d batch transactions endorsed, want 2 (the lost one and its re-run)", got)
	}
	txs := h.txsSince(start)
	if len(txs) != 1 || len(transferred(txs)) != n {
		t.Fatalf("committed %+v, want one transaction of %d payments", txs, n)
	}
	for i, r := range answers {
		if r.status != http.StatusCreated {
			t.Fatalf("payment %d: %d %s", i, r.status, r.body)
		}
		if c := committedPayment(t, r); c.TxID != txs[0].txID {
			t.Fatalf("payment %d answered with tx %s, want the re-run's %s", i, c.TxID, txs[0].txID)
		}
	}
	if b := h.balance("sh-op", shShop); b != "6.01" {
		t.Fatalf("payee balance %s", b)
	}
	if r := metricValue(t, h.srv.metrics, "yrd_gateway_coalesce_reruns_total", map[string]string{"reason": "rerun"}); r != 1 {
		t.Fatalf("reruns %v", r)
	}
}

// TestCoalescedRerunOfTheUnsettled: while the first batch is lost, one of
// its payments is settled elsewhere (the same payment, through another
// gateway) and another's selected input is spent. The re-run settles the
// rest, answers the settled payment as a repeat, and the payment whose
// input went is selected again and settles.
func TestCoalescedRerunOfTheUnsettled(t *testing.T) {
	var batches atomic.Int32
	var meanwhile func() error
	h := funded(t, harnessOptions{fault: func(fn string) error {
		if fn == api.TransferBatch.Function() && meanwhile != nil && batches.Add(1) == 1 {
			if err := meanwhile(); err != nil {
				return err
			}
			return &ledger.Error{Code: ledger.CodeConflict, Stage: ledger.StageCommit, TxID: "lost", ValidationCode: "MVCC_READ_CONFLICT",
				Message: "transaction invalidated by a read conflict (MVCC_READ_CONFLICT) after retries"}
		}
		return nil
	}})
	h.splitOutputs(settle, 4)
	// Two payers with an output of 5 (which a payment of 1 selects: the
	// smallest that covers it) and one of 50.
	for _, p := range []string{"SH-CITY:pb", "SH-CITY:pc"} {
		h.open("sh-op", p, rest.KindMerchant, "")
		for _, amt := range []string{"5", "50"} {
			h.pay("sh-op", rest.PaymentRequest{PaymentID: p + "-" + amt, From: settle, To: p, Amount: y(amt)})
		}
	}
	pb50, pc5, pc50 := h.outputOf("SH-CITY:pb", y("50")), h.outputOf("SH-CITY:pc", y("5")), h.outputOf("SH-CITY:pc", y("50"))
	meanwhile = func() error {
		ctx := context.Background()
		submit := func(req api.TransferRequest) error {
			_, _, err := ledger.Invoke(ctx, h.led, "sh-op", api.Transfer, req, nil, noOpts)
			return err
		}
		if err := submit(api.TransferRequest{PaymentID: "SH-CITY:settled-elsewhere", From: "SH-CITY:pb", To: shShop, Amount: y("1"), Inputs: []string{pb50}}); err != nil {
			return err
		}
		return submit(api.TransferRequest{PaymentID: "SH-CITY:spends-pc5", From: "SH-CITY:pc", To: shShop, Amount: y("5"), Inputs: []string{pc5}})
	}
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: 4})
	var answers []response
	done := make(chan struct{})
	go func() {
		defer close(done)
		answers = h.payAll("sh-op", []string{
			paymentBody("SH-CITY:settled-elsewhere", "SH-CITY:pb", shShop, "1"),
			paymentBody("SH-CITY:input-spent", "SH-CITY:pc", shShop, "1"),
			paymentBody("SH-CITY:u1", settle, shShop, "1"),
			paymentBody("SH-CITY:u2", settle, jsShop, "1"),
		})
	}()
	// After the re-run, the payment whose input went waits alone in the
	// (long) window with its new input: flush it.
	deadline := time.Now().Add(10 * time.Second)
	for batches.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	h.waitCoalescing(1)
	h.srv.transfers.Flush()
	<-done
	if got := batches.Load(); got != 2 {
		t.Fatalf("%d batch transactions endorsed, want 2", got)
	}
	if r := answers[0]; r.status != http.StatusConflict || r.code(t) != rest.CodeDuplicatePayment {
		t.Fatalf("payment settled elsewhere: %d %s", r.status, r.body)
	}
	if r := answers[1]; r.status != http.StatusCreated {
		t.Fatalf("payment whose input went: %d %s", r.status, r.body)
	} else if c := committedPayment(t, r); !slices.Equal(c.Result.Inputs, []string{pc50}) {
		t.Fatalf("re-selected inputs %v, want [%s]", c.Result.Inputs, pc50)
	}
	for _, r := range answers[2:] {
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	// shShop: 0.01 from the split, 1 settled elsewhere, 5 spent from pc,
	// then input-spent, u1: 8.01; jsShop: u2.
	if b := h.balance("sh-op", shShop); b != "8.01" {
		t.Fatalf("payee balance %s", b)
	}
	if b := h.balance("js-op", jsShop); b != "1.00" {
		t.Fatalf("payee balance %s", b)
	}
}

// TestCoalescedRepeatsAreIdempotent: payments settled in a batch, sent
// again together, answer 409 with the original (its batch's transaction)
// or 422 for another body, and commit nothing.
func TestCoalescedRepeatsAreIdempotent(t *testing.T) {
	h := funded(t, harnessOptions{})
	const n = 4
	h.splitOutputs(settle, n)
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: n})
	var reqs []string
	for i := range n {
		reqs = append(reqs, paymentBody(fmt.Sprintf("SH-CITY:id%d", i), settle, shShop, "1"))
	}
	first := h.payAll("sh-op", reqs)
	tx := committedPayment(t, first[0]).TxID
	height := h.led.Height()
	again := append(slices.Clone(reqs), paymentBody("SH-CITY:id0", settle, shShop, "2"))
	for i, r := range h.payAll("sh-op", again) {
		status, code := http.StatusConflict, rest.CodeDuplicatePayment
		if i == n {
			status, code = http.StatusUnprocessableEntity, rest.CodePaymentIDReused
		}
		if r.status != status || r.code(t) != code {
			t.Fatalf("repeat %d: %d %s", i, r.status, r.body)
		}
		var e rest.Error
		r.decode(t, &e)
		if p, _ := e.Details[rest.DetailPayment].(map[string]any); p == nil || p["txId"] != tx {
			t.Fatalf("repeat %d: details %v, want the original in tx %s", i, e.Details, tx)
		}
	}
	if h.led.Height() != height {
		t.Fatalf("repeats committed %d blocks", h.led.Height()-height)
	}
	if b := h.balance("sh-op", shShop); b != "4.01" {
		t.Fatalf("paid twice: %s", b)
	}
}

// TestCoalescingLimitAnswers429: with one batch in flight (held at the
// ledger) and the waiting limit reached, the next payment gets 429 with
// Retry-After; the waiting ones settle together once the ledger goes on.
func TestCoalescingLimitAnswers429(t *testing.T) {
	entered := make(chan string, 8)
	release := make(chan struct{})
	var armed atomic.Bool
	h := funded(t, harnessOptions{fault: func(fn string) error {
		if armed.Load() && (fn == api.Transfer.Function() || fn == api.TransferBatch.Function()) {
			entered <- fn
			<-release
		}
		return nil
	}})
	h.splitOutputs(settle, 4)
	h.coalesceWith(config.Coalesce{Window: config.Duration(time.Millisecond), MaxItems: 10, MaxPending: 2, MaxInFlight: 1})
	armed.Store(true)
	start := h.led.Height()
	answers := make([]response, 3)
	var wg sync.WaitGroup
	send := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = h.do("sh-op", "POST", "/v1/payments", paymentBody(fmt.Sprintf("SH-CITY:l%d", i), settle, shShop, "1"))
		}()
	}
	send(0)
	if fn := <-entered; fn != api.Transfer.Function() { // the lone first payment holds the one slot
		t.Fatalf("first held call %s", fn)
	}
	send(1)
	send(2)
	h.waitCoalescing(2)
	r := h.do("sh-op", "POST", "/v1/payments", paymentBody("SH-CITY:l3", settle, shShop, "1"))
	if r.status != http.StatusTooManyRequests || r.code(t) != rest.CodeTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %s", r.status, r.body)
	}
	close(release)
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusCreated {
			t.Fatalf("payment %d: %d %s", i, a.status, a.body)
		}
	}
	if fn := <-entered; fn != api.TransferBatch.Function() {
		t.Fatalf("the two waiting payments ran as %s, want one batch", fn)
	}
	if txs := h.txsSince(start); len(txs) != 2 {
		t.Fatalf("%d transactions, want 2", len(txs))
	}
	if n := metricValue(t, h.srv.metrics, "yrd_gateway_coalesce_refused_total", nil); n != 1 {
		t.Fatalf("refused %v", n)
	}
	if b := h.balance("sh-op", shShop); b != "3.01" {
		t.Fatalf("payee balance %s: the refused payment moved money", b)
	}
}

// TestCoalescingOff: disabled, concurrent payments are one transaction
// each, as before coalescing.
func TestCoalescingOff(t *testing.T) {
	h := funded(t, harnessOptions{})
	const n = 6
	h.splitOutputs(settle, n)
	h.coalesceWith(config.Coalesce{Disabled: true})
	if h.srv.transfers != nil {
		t.Fatal("coalescer present while disabled")
	}
	start := h.led.Height()
	batchesBefore := metricValue(t, h.srv.metrics, "yrd_gateway_coalesce_batches_total", nil)
	var reqs []string
	for i := range n {
		reqs = append(reqs, paymentBody(fmt.Sprintf("SH-CITY:off%d", i), settle, shShop, "1"))
	}
	txIDs := map[string]bool{}
	for i, r := range h.payAll("sh-op", reqs) {
		if r.status != http.StatusCreated {
			t.Fatalf("payment %d: %d %s", i, r.status, r.body)
		}
		txIDs[committedPayment(t, r).TxID] = true
	}
	txs := h.txsSince(start)
	valid := 0
	for _, tx := range txs {
		if tx.code.String() == "VALID" {
			valid++
		}
	}
	if len(txIDs) != n || valid != n {
		t.Fatalf("%d payments in %d answered and %d valid transactions, want one each", n, len(txIDs), valid)
	}
	if n := metricValue(t, h.srv.metrics, "yrd_gateway_coalesce_batches_total", nil); n != batchesBefore {
		t.Fatalf("batches %v with coalescing off", n)
	}
}

// TestCoalescerClosed: after CloseCoalescer a payment answers 503
// SHUTTING_DOWN, after its lease was released (the payer's funds are free).
func TestCoalescerClosed(t *testing.T) {
	h := funded(t, harnessOptions{})
	if err := h.srv.CloseCoalescer(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := h.do("sh-op", "POST", "/v1/payments", paymentBody("SH-CITY:late", settle, shShop, "1"))
	if r.status != http.StatusServiceUnavailable || r.code(t) != rest.CodeShuttingDown {
		t.Fatalf("after close: %d %s", r.status, r.body)
	}
	if h.srv.selector.Locked() != 0 {
		t.Fatalf("%d outputs still locked", h.srv.selector.Locked())
	}
}

// TestSplitTransfersClassifies: which whole-batch failures are run again
// in halves.
func TestSplitTransfersClassifies(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&ledger.Error{Code: ledger.CodeConflict}, true},
		{&ledger.Error{Code: ledger.CodeChaincodeError}, true},
		{&ledger.Error{Code: ledger.CodeInternal, FromChaincode: true}, true},
		{&ledger.Error{Code: ledger.CodeInternal}, false},
		{&ledger.Error{Code: ledger.CodeCommitUnknown}, false},
		{&ledger.Error{Code: ledger.CodeForbidden, FromChaincode: true}, false},
		{&ledger.Error{Code: ledger.CodePeerUnavailable}, false},
		{&ledger.Error{Code: ledger.CodeBatchTooLarge, Stage: ledger.StageSubmit}, true},
		{&ledger.Error{Code: ledger.CodeBatchTooLarge, FromChaincode: true}, false},
		{errors.New("other"), false},
	} {
		if got := splitTransfers(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}

// reader is a client that may read account's balance (its bank's).
func reader(account string) string {
	if account == jsShop {
		return "js-op"
	}
	return "sh-op"
}

// metricValue sums a counter's (or a histogram's sample count's) series
// matching labels.
func metricValue(t testing.TB, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, mt := range f.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metric
				}
			}
			if hg := mt.GetHistogram(); hg != nil {
				total += float64(hg.GetSampleCount())
			} else {
				total += mt.GetCounter().GetValue()
			}
		}
	}
	return total
}

// TestReservePoolRefilledOnce: payments of a reserve account selected
// together (one coalesced batch) refill its pool of unlocked outputs once
// between them, not once each. The e2e suite saw 51 payments of one
// reserve each split change 50 ways: one transaction of ~2,500 outputs
// that took seconds to endorse while 149 payments waited for their funds.
func TestReservePoolRefilledOnce(t *testing.T) {
	h := funded(t, harnessOptions{})
	const pool = 4 // the harness's selection.reservePool
	before := h.outputs(reserve)
	if len(before) != pool {
		t.Fatalf("the funding payment left the reserve %d outputs, want the pool of %d", len(before), pool)
	}
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: pool})
	var reqs []string
	for i := range pool {
		reqs = append(reqs, paymentBody(fmt.Sprintf("SH-PBC:pool%02d", i), reserve, settle, "1.00"))
	}
	start := h.led.Height()
	for i, r := range h.payAll("sh-iss", reqs) {
		if r.status != http.StatusCreated {
			t.Fatalf("payment %d: %d %s", i, r.status, r.body)
		}
	}
	if txs := h.txsSince(start); len(txs) != 1 {
		t.Fatalf("%d payments committed in %d transactions, want one batch", pool, len(txs))
	}
	// Each payment spent one output and left change: the pool needs no
	// more than one change output each (without counting change on its
	// way, they split 1 + 2 + 3 + 4 = 10 ways).
	if after := h.outputs(reserve); len(after) != pool {
		t.Fatalf("the reserve has %d outputs after the batch, want %d (the pool refilled once)", len(after), pool)
	}
}

// TestRepeatsWithoutTheCache: a repeat the gateway has not seen (committed
// through another gateway, or before a restart) reaches the chaincode, which
// refuses its ID; the gateway then answers 409 or 422 with the original, as
// for a repeat it knows, and nothing is paid twice. A repeat whose funds are
// gone meanwhile is answered the same, not INSUFFICIENT_FUNDS.
func TestRepeatsWithoutTheCache(t *testing.T) {
	h := funded(t, harnessOptions{})
	first := h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:rep1", From: settle, To: shShop, Amount: y("1.00")})
	forget := func() { h.srv.paid = newFixedCache[paidKey, api.Payment](recentPayments) }
	forget()
	r := h.do("sh-op", "POST", "/v1/payments", paymentBody("SH-CITY:rep1", settle, shShop, "1.00"))
	if r.status != http.StatusConflict || r.code(t) != rest.CodeDuplicatePayment {
		t.Fatalf("repeat: %d %s", r.status, r.body)
	}
	forget()
	r = h.do("sh-op", "POST", "/v1/payments", paymentBody("SH-CITY:rep1", settle, shShop, "2.00"))
	if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodePaymentIDReused {
		t.Fatalf("repeat with another body: %d %s", r.status, r.body)
	}
	forget()
	r = h.do("sh-op", "POST", "/v1/payments", paymentBody("SH-CITY:rep1", settle, shShop, "99999999.00"))
	if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodePaymentIDReused {
		t.Fatalf("repeat beyond the funds: %d %s", r.status, r.body)
	}
	// Another bank's client gets no cached record of SH-CITY's payment.
	r = h.do("js-op", "POST", "/v1/payments", paymentBody("SH-CITY:rep1", jsShop, shShop, "1.00"))
	if r.status == http.StatusConflict || r.status == http.StatusCreated {
		t.Fatalf("another bank's repeat: %d %s", r.status, r.body)
	}
	if b := h.balance("sh-op", shShop); b != first.Amount.String() {
		t.Fatalf("shop holds %s after repeats of one payment of %s", b, first.Amount)
	}
}
