package server

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// TestEarmarkedSpendsCoalesce: earmarked spends are token:Transfer
// requests with earmarked inputs, so the payment coalescer can settle them
// in one token:TransferBatch as it is: the programme's rules apply to each
// item (one released at a grocer, one refused at a bar, alone), and the
// programme's books balance. This is what wiring POST
// /v1/programmes/{id}/spends to Server.transfer (one line in earmarked.go)
// would give.
func TestEarmarkedSpendsCoalesce(t *testing.T) {
	h := newProgHarness(t, harnessOptions{}, "1000000", "", jobs.Options{BatchLines: 10})
	rs := h.merchants("sh-op", "r", "5812", 2)
	grocer := h.merchants("sh-op", "grocer", "5411", 1)[0]
	bar := h.merchants("sh-op", "bar", "5813", 1)[0]
	h.fundTranche(1, "50000")
	lines := []rest.DisbursementLine{{Recipient: rs[0], Amount: y("1000")}, {Recipient: rs[1], Amount: y("2000")}, {Recipient: rs[1], Amount: y("300")}}
	if res := h.put("sh-fin", "SH-FIN:ej", "application/json", linesJSON(lines)); res.status != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	if j := h.waitJob("sh-fin", "SH-FIN:ej", time.Minute); j.Status != rest.JobDone || j.Paid != 3 {
		t.Fatalf("job %+v", j)
	}
	held := func(account string, amount money.Amount) string {
		for _, o := range h.outputs(account) {
			if o.Earmark != nil && o.Earmark.Programme == prog && o.Amount == amount {
				return o.ID
			}
		}
		t.Fatalf("%s holds no earmarked output of %s", account, amount)
		return ""
	}
	spends := []api.TransferRequest{
		{PaymentID: "SH-CITY:e1", From: rs[0], To: grocer, Amount: y("500"), Inputs: []string{held(rs[0], y("1000"))}},
		{PaymentID: "SH-CITY:e2", From: rs[1], To: grocer, Amount: y("700"), Inputs: []string{held(rs[1], y("2000"))}},
		{PaymentID: "SH-CITY:e3", From: rs[1], To: bar, Amount: y("10"), Inputs: []string{held(rs[1], y("300"))}},
	}
	h.coalesceWith(config.Coalesce{Window: longWindow, MaxItems: len(spends)})
	start := h.led.Height()
	type result struct {
		p   api.Payment
		c   *ledger.Committed
		err error
	}
	results := make([]result, len(spends))
	done := make(chan int, len(spends))
	for i, req := range spends {
		go func() {
			p, c, err := h.srv.transfer(context.Background(), "sh-op", req)
			results[i] = result{p, c, err}
			done <- i
		}()
	}
	for range spends {
		<-done
	}
	txs := h.txsSince(start)
	if len(txs) != 1 {
		t.Fatalf("%d transactions, want 1: %+v", len(txs), txs)
	}
	for i, r := range results[:2] {
		if r.err != nil || r.c.TxID != txs[0].txID || r.p.PaymentID != spends[i].PaymentID {
			t.Fatalf("spend %d: %+v, %v", i, r.p, r.err)
		}
	}
	var le *ledger.Error
	if !errors.As(results[2].err, &le) || le.Code != ledger.Code(api.CodePurposeNotAllowed) {
		t.Fatalf("spend at a bar: %v", results[2].err)
	}
	released := 0
	for _, e := range txs[0].events {
		if e.Type == api.EventEarmarkReleased {
			released++
		}
	}
	if released != 2 || h.earmarked(grocer) != 0 || h.balance("sh-aud", grocer) != "1200.00" || h.earmarked(rs[1]) != y("1600") {
		t.Fatalf("released %d; grocer earmarked %s balance %s; %s earmarked %s", released, h.earmarked(grocer), h.balance("sh-aud", grocer), rs[1], h.earmarked(rs[1]))
	}
	if u := h.utilisation("sh-fin", rest.ByTotal); !u.Balanced || u.Total.Released != y("1200") {
		t.Fatalf("utilisation %+v", u)
	}
}
