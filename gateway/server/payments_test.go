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
	p := h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:p1", From: settle, To: jsShop, Amount: y("12.34"), Purpose: "GOODS"})
	if p.FromMSP != SH || p.ToMSP != JS || p.Amount != y("12.34") || len(p.Inputs) == 0 || p.PayeeOutput == "" {
		t.Fatalf("payment %+v", p)
	}
	var got rest.Payment
	h.must(http.StatusOK, "sh-op", "GET", "/v1/payments/SH-CITY:p1", "").decode(t, &got)
	if got.TxID != p.TxID || got.Purpose != "GOODS" {
		t.Fatalf("read back %+v", got)
	}
	h.must(http.StatusOK, "js-op", "GET", "/v1/payments/SH-CITY:p1", "") // the payee's province reads it too
	if b := h.balance("js-op", jsShop); b != "12.34" {
		t.Fatalf("payee balance %s", b)
	}
	var sup rest.Supply
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/supply", "").decode(t, &sup)
	var audit rest.SupplyAudit
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/supply/audit", "").decode(t, &audit)
	if sup.Total != y("1010000") || !audit.Balanced || audit.OutputsTotal != sup.Total {
		t.Fatalf("supply %+v audit %+v", sup, audit)
	}
}

func TestRepeatedPayment(t *testing.T) {
	h := funded(t, harnessOptions{})
	body := `{"paymentId":"SH-CITY:p1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"5"}`
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/payments", body)
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"same body", `{"paymentId":"SH-CITY:p1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"5.00"}`, http.StatusConflict, rest.CodeDuplicatePayment},
		{"different body", `{"paymentId":"SH-CITY:p1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"6"}`, http.StatusUnprocessableEntity, rest.CodePaymentIDReused},
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
	if b := h.balance("sh-op", shShop); b != "5.00" {
		t.Fatalf("paid twice: balance %s", b)
	}
}

func TestPaymentRefusals(t *testing.T) {
	h := funded(t, harnessOptions{})
	h.open("sh-op", "SH-CITY:alice", rest.KindCustomer, rest.TierClassIV)
	for _, tc := range []struct {
		name, client, body string
		status             int
		code               string
	}{
		{"insufficient", "sh-op", `{"paymentId":"SH-CITY:x1","from":"SH-CITY:shop","to":"SH-CITY:settle","amount":"1"}`, http.StatusUnprocessableEntity, rest.CodeInsufficientFunds},
		{"over per-payment limit", "sh-op", `{"paymentId":"SH-CITY:x2","from":"SH-CITY:settle","to":"SH-CITY:alice","amount":"20000"}`, http.StatusUnprocessableEntity, rest.CodeBalanceCapExceeded},
		{"other province pays", "js-op", `{"paymentId":"JS-CITY:x3","from":"SH-CITY:settle","to":"JS-CITY:shop","amount":"1"}`, http.StatusNotFound, rest.CodeNotFound},
		{"other bank pays", "sh-op2", `{"paymentId":"SH-ICBC:x3","from":"SH-CITY:settle","to":"JS-CITY:shop","amount":"1"}`, http.StatusNotFound, rest.CodeNotFound},
		{"payment ID of another bank", "sh-op", `{"paymentId":"SH-ICBC:x3","from":"SH-CITY:settle","to":"JS-CITY:shop","amount":"1"}`, http.StatusForbidden, rest.CodeForbidden},
		{"unknown payee", "sh-op", `{"paymentId":"SH-CITY:x4","from":"SH-CITY:settle","to":"SH-CITY:nobody","amount":"1"}`, http.StatusNotFound, rest.CodeNotFound},
		{"foreign input", "sh-op", `{"paymentId":"SH-CITY:x5","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1","inputs":["nope.0"]}`, http.StatusUnprocessableEntity, "INPUT_NOT_OWNED"},
		{"same account", "sh-op", `{"paymentId":"SH-CITY:x6","from":"SH-CITY:shop","to":"SH-CITY:shop","amount":"1"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"zero", "sh-op", `{"paymentId":"SH-CITY:x7","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"three decimals", "sh-op", `{"paymentId":"SH-CITY:x8","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1.001"}`, http.StatusBadRequest, rest.CodeInvalidRequest},
		{"number amount", "sh-op", `{"paymentId":"SH-CITY:x9","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":1}`, http.StatusBadRequest, rest.CodeInvalidRequest},
		{"change split 51", "sh-op", `{"paymentId":"SH-CITY:xa","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1","changeSplit":51}`, http.StatusBadRequest, rest.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.client, "POST", "/v1/payments", tc.body)
			if r.status != tc.status || r.code(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	if b := h.balance("sh-op", settle); b != "1000000.00" {
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
			r := h.do("sh-op", "POST", "/v1/payments", jsonOf(rest.PaymentRequest{PaymentID: fmt.Sprintf("SH-CITY:c%02d", i), From: settle, To: shShop, Amount: amt}))
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
	if got := h.balance("sh-op", shShop); got != want.String() {
		t.Fatalf("payee balance %s, want %s", got, want)
	}
	rest := y("1000000") - want
	if got := h.balance("sh-op", settle); got != rest.String() {
		t.Fatalf("payer balance %s, want %s", got, rest)
	}
}

func TestBatch(t *testing.T) {
	h := funded(t, harnessOptions{})
	// Each item needs outputs of its own: one payment with its change split
	// four ways leaves SH-CITY:settle five.
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:split", From: settle, To: shShop, Amount: y("1"), ChangeSplit: 4})
	var c rest.Committed[rest.BatchResult]
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/payment-batches", `{"items":[
		{"paymentId":"SH-CITY:b1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"},
		{"paymentId":"SH-CITY:b2","from":"SH-CITY:settle","to":"SH-CITY:nobody","amount":"1"},
		{"paymentId":"SH-CITY:b3","from":"SH-CITY:settle","to":"JS-CITY:shop","amount":"2"}]}`).decode(t, &c)
	if c.Result.Settled != 2 || c.Result.Rejected != 1 || c.Result.Results[1].Code != rest.CodeNotFound {
		t.Fatalf("batch %+v", c.Result)
	}
	r := h.do("sh-op", "POST", "/v1/payment-batches", `{"items":[{"paymentId":"SH-CITY:b4","from":"SH-CITY:settle","to":"SH-CITY:nobody","amount":"1"}]}`)
	if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodeBatchRejected {
		t.Fatalf("all rejected: %d %s", r.status, r.body)
	}
	// An account with one output cannot pay two items of one batch: the
	// answer names the item, and nothing waits on itself.
	h.open("sh-op", "SH-CITY:one", rest.KindMerchant, "")
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:one", From: settle, To: "SH-CITY:one", Amount: y("1")})
	r = h.do("sh-op", "POST", "/v1/payment-batches", `{"items":[
		{"paymentId":"SH-CITY:b5","from":"SH-CITY:one","to":"JS-CITY:shop","amount":"0.5"},
		{"paymentId":"SH-CITY:b6","from":"SH-CITY:settle","to":"JS-CITY:shop","amount":"1"},
		{"paymentId":"SH-CITY:b7","from":"SH-CITY:one","to":"JS-CITY:shop","amount":"0.4"}]}`)
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
		{"repeated id", `{"items":[{"paymentId":"SH-CITY:d","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"},{"paymentId":"SH-CITY:d","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"}]}`, rest.CodeInvalidRequest},
		{"bad item", `{"items":[{"paymentId":"SH-CITY:e","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"0"}]}`, rest.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("sh-op", "POST", "/v1/payment-batches", tc.body)
			if r.status != http.StatusBadRequest || r.code(t) != tc.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestProposals(t *testing.T) {
	h := funded(t, harnessOptions{})
	mint := jsonOf(rest.ProposalRequest{ID: "ShanghaiMSP:m2", Action: rest.ActionMint,
		Mint: &rest.MintParams{Account: reserve, Amount: y("500"), ReserveRef: "dep-x"}})
	if r := h.do("sh-op", "POST", "/v1/proposals", mint); r.status != http.StatusForbidden {
		t.Fatalf("operator proposes: %d %s", r.status, r.body)
	}
	var p rest.Committed[rest.Proposal]
	h.must(http.StatusCreated, "sh-iss", "POST", "/v1/proposals", mint).decode(t, &p)
	if p.Result.Approved || len(p.Result.Approvals) != 1 || p.Result.Rule.Provinces != 3 {
		t.Fatalf("proposal %+v", p.Result)
	}
	h.must(http.StatusCreated, "js-iss", "POST", "/v1/proposals/ShanghaiMSP:m2/approve", "")
	r := h.do("sh-iss", "POST", "/v1/proposals/ShanghaiMSP:m2/execute", "")
	if r.status != http.StatusConflict || r.code(t) != "NOT_APPROVED" {
		t.Fatalf("execute with two provinces: %d %s", r.status, r.body)
	}
	h.must(http.StatusCreated, "zj-iss", "POST", "/v1/proposals/ShanghaiMSP:m2/approve", "")
	var ex rest.Committed[rest.Execution]
	h.must(http.StatusCreated, "sh-iss", "POST", "/v1/proposals/ShanghaiMSP:m2/execute", "").decode(t, &ex)
	if ex.Result.Mint == nil || ex.Result.Mint.Supply != y("1010500") || ex.Result.Proposal.Status != rest.ProposalExecuted {
		t.Fatalf("execution %+v", ex.Result)
	}
	if r := h.do("sh-iss", "POST", "/v1/proposals/ShanghaiMSP:m2/execute", ""); r.status != http.StatusConflict || r.code(t) != "PROPOSAL_CLOSED" {
		t.Fatalf("second execution: %d %s", r.status, r.body)
	}
	var c rest.Ceiling
	h.must(http.StatusOK, "sh-aud", "GET", "/v1/ceilings/ShanghaiMSP", "").decode(t, &c)
	if c.Issued != y("1010500") {
		t.Fatalf("ceiling %+v", c)
	}
	// A redemption: the gateway selects the reserve's inputs.
	ex = rest.Committed[rest.Execution]{}
	red := h.decide(rest.ProposalRequest{ID: "ShanghaiMSP:r1", Action: rest.ActionRedeem, Redeem: &rest.RedeemParams{Account: reserve, Amount: y("100")}})
	if red.Redemption == nil || red.Redemption.Supply != y("1010400") || len(red.Redemption.Inputs) == 0 {
		t.Fatalf("redemption %+v", red)
	}
}
