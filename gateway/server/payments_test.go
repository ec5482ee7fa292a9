package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

func y(s string) money.Amount { return money.MustParseYuan(s) }

func TestPayAndRead(t *testing.T) {
	h := funded(t, harnessOptions{})
	p := h.pay("sh-op", rest.PaymentRequest{PaymentID: "p1", From: "sh-reserve", To: "js-shop", Amount: y("12.34"), Purpose: "GOODS"})
	if p.FromMSP != SH || p.ToMSP != JS || p.Amount != y("12.34") || len(p.Inputs) == 0 || p.PayeeOutput == "" {
		t.Fatalf("payment %+v", p)
	}
	var got rest.Payment
	h.must(http.StatusOK, "sh-op", "GET", "/v1/payments/p1", "").decode(t, &got)
	if got.TxID != p.TxID || got.Purpose != "GOODS" {
		t.Fatalf("read back %+v", got)
	}
	h.must(http.StatusOK, "js-op", "GET", "/v1/payments/p1", "") // the payee's province reads it too
	if b := h.balance("js-op", "js-shop"); b != "12.34" {
		t.Fatalf("payee balance %s", b)
	}
	var sup rest.Supply
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/supply", "").decode(t, &sup)
	var audit rest.SupplyAudit
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/supply/audit", "").decode(t, &audit)
	if sup.Total != y("1000000") || !audit.Balanced || audit.OutputsTotal != sup.Total {
		t.Fatalf("supply %+v audit %+v", sup, audit)
	}
}

func TestRepeatedPayment(t *testing.T) {
	h := funded(t, harnessOptions{})
	body := `{"paymentId":"p1","from":"sh-reserve","to":"sh-shop","amount":"5"}`
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/payments", body)
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"same body", `{"paymentId":"p1","from":"sh-reserve","to":"sh-shop","amount":"5.00"}`, http.StatusConflict, rest.CodeDuplicatePayment},
		{"different body", `{"paymentId":"p1","from":"sh-reserve","to":"sh-shop","amount":"6"}`, http.StatusUnprocessableEntity, rest.CodePaymentIDReused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("sh-op", "POST", "/v1/payments", tc.body)
			if r.status != tc.status || r.code(t) != tc.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
			var e rest.Error
			r.decode(t, &e)
			if e.Details["payment"] == nil {
				t.Fatal("the original payment is not in the details")
			}
		})
	}
	if b := h.balance("sh-op", "sh-shop"); b != "5.00" {
		t.Fatalf("paid twice: balance %s", b)
	}
}

func TestPaymentRefusals(t *testing.T) {
	h := funded(t, harnessOptions{})
	h.open("sh-op", "alice", rest.KindCustomer, rest.TierClassIV)
	for _, tc := range []struct {
		name, client, body string
		status             int
		code               string
	}{
		{"insufficient", "sh-op", `{"paymentId":"x1","from":"sh-shop","to":"sh-reserve","amount":"1"}`, http.StatusUnprocessableEntity, rest.CodeInsufficientFunds},
		{"over per-payment limit", "sh-op", `{"paymentId":"x2","from":"sh-reserve","to":"alice","amount":"20000"}`, http.StatusUnprocessableEntity, rest.CodeBalanceCapExceeded},
		{"other province pays", "js-op", `{"paymentId":"x3","from":"sh-reserve","to":"js-shop","amount":"1"}`, http.StatusForbidden, rest.CodeForbidden},
		{"unknown payee", "sh-op", `{"paymentId":"x4","from":"sh-reserve","to":"nobody","amount":"1"}`, http.StatusNotFound, rest.CodeNotFound},
		{"foreign input", "sh-op", `{"paymentId":"x5","from":"sh-reserve","to":"sh-shop","amount":"1","inputs":["nope.0"]}`, http.StatusUnprocessableEntity, "INPUT_NOT_OWNED"},
		{"same account", "sh-op", `{"paymentId":"x6","from":"sh-shop","to":"sh-shop","amount":"1"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"zero", "sh-op", `{"paymentId":"x7","from":"sh-reserve","to":"sh-shop","amount":"0"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"three decimals", "sh-op", `{"paymentId":"x8","from":"sh-reserve","to":"sh-shop","amount":"1.001"}`, http.StatusBadRequest, rest.CodeInvalidRequest},
		{"number amount", "sh-op", `{"paymentId":"x9","from":"sh-reserve","to":"sh-shop","amount":1}`, http.StatusBadRequest, rest.CodeInvalidRequest},
		{"change split 51", "sh-op", `{"paymentId":"xa","from":"sh-reserve","to":"sh-shop","amount":"1","changeSplit":51}`, http.StatusBadRequest, rest.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.client, "POST", "/v1/payments", tc.body)
			if r.status != tc.status || r.code(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	if b := h.balance("sh-op", "sh-reserve"); b != "1000000.00" {
		t.Fatalf("refused payments moved money: %s", b)
	}
}

// TestConcurrentPayments: many payments from one reserve account at once
// all commit, each exactly once; the balances match a model kept by the
// test, not by the code under test.
func TestConcurrentPayments(t *testing.T) {
	h := funded(t, harnessOptions{})
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	want := money.Amount(0)
	for i := range n {
		amt := money.Amount(100 + i) // 1.00 + i fen
		want += amt
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.do("sh-op", "POST", "/v1/payments", jsonOf(rest.PaymentRequest{PaymentID: fmt.Sprintf("c%02d", i), From: "sh-reserve", To: "sh-shop", Amount: amt}))
			if r.status != http.StatusCreated {
				errs <- fmt.Errorf("payment %d: %d %s", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := h.balance("sh-op", "sh-shop"); got != want.String() {
		t.Fatalf("payee balance %s, want %s", got, want)
	}
	rest := y("1000000") - want
	if got := h.balance("sh-op", "sh-reserve"); got != rest.String() {
		t.Fatalf("payer balance %s, want %s", got, rest)
	}
}

func TestBatch(t *testing.T) {
	h := funded(t, harnessOptions{})
	// Each item needs outputs of its own: one payment with its change split
	// four ways leaves sh-reserve five.
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "split", From: "sh-reserve", To: "sh-shop", Amount: y("1"), ChangeSplit: 4})
	var c rest.Committed[rest.BatchResult]
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/payment-batches", `{"items":[
		{"paymentId":"b1","from":"sh-reserve","to":"sh-shop","amount":"1"},
		{"paymentId":"b2","from":"sh-reserve","to":"nobody","amount":"1"},
		{"paymentId":"b3","from":"sh-reserve","to":"js-shop","amount":"2"}]}`).decode(t, &c)
	if c.Result.Settled != 2 || c.Result.Rejected != 1 || c.Result.Results[1].Code != rest.CodeNotFound {
		t.Fatalf("batch %+v", c.Result)
	}
	r := h.do("sh-op", "POST", "/v1/payment-batches", `{"items":[{"paymentId":"b4","from":"sh-reserve","to":"nobody","amount":"1"}]}`)
	if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodeBatchRejected {
		t.Fatalf("all rejected: %d %s", r.status, r.body)
	}
	// An account with one output cannot pay two items of one batch: the
	// answer names the item, and nothing waits on itself.
	h.open("sh-op", "sh-one", rest.KindMerchant, "")
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "one", From: "sh-reserve", To: "sh-one", Amount: y("1")})
	r = h.do("sh-op", "POST", "/v1/payment-batches", `{"items":[
		{"paymentId":"b5","from":"sh-one","to":"js-shop","amount":"0.5"},
		{"paymentId":"b6","from":"sh-reserve","to":"js-shop","amount":"1"},
		{"paymentId":"b7","from":"sh-one","to":"js-shop","amount":"0.4"}]}`)
	var e rest.Error
	r.decode(t, &e)
	if r.status != http.StatusUnprocessableEntity || e.Code != rest.CodeInsufficientFunds || e.Details[rest.DetailItems] == nil {
		t.Fatalf("one output, two items: %d %s", r.status, r.body)
	}
	if items := e.Details[rest.DetailItems].([]any); len(items) != 1 || items[0].(map[string]any)["index"] != float64(2) {
		t.Fatalf("failing items %v, want items[2]", e.Details[rest.DetailItems])
	}
	for _, tc := range []struct{ name, body, code string }{
		{"empty", `{"items":[]}`, rest.CodeInvalidRequest},
		{"repeated id", `{"items":[{"paymentId":"d","from":"sh-reserve","to":"sh-shop","amount":"1"},{"paymentId":"d","from":"sh-reserve","to":"sh-shop","amount":"1"}]}`, rest.CodeInvalidRequest},
		{"bad item", `{"items":[{"paymentId":"e","from":"sh-reserve","to":"sh-shop","amount":"0"}]}`, rest.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("sh-op", "POST", "/v1/payment-batches", tc.body)
			if r.status != http.StatusBadRequest || r.code(t) != tc.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestMintAndRedeem(t *testing.T) {
	h := funded(t, harnessOptions{})
	r := h.do("sh-op", "POST", "/v1/mints", `{"mintId":"mx","account":"sh-reserve","amount":"1","reserveRef":"d"}`)
	if r.status != http.StatusForbidden {
		t.Fatalf("operator mint: %d %s", r.status, r.body)
	}
	var c rest.Committed[rest.Redemption]
	h.must(http.StatusCreated, "sh-iss", "POST", "/v1/redemptions", `{"redeemId":"r1","account":"sh-reserve","amount":"100"}`).decode(t, &c)
	if c.Result.Supply != y("999900") {
		t.Fatalf("redemption %+v", c.Result)
	}
}
