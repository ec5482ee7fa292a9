package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/rest"
)

// TestCoalescedSendsShareOneTransaction: eight concurrent interbank sends
// of one client (four covered, four far beyond the balance) settle or
// queue in one interbank:SendBatch; each client gets its own transfer,
// with the batch's transaction; a repeated ID in the same window gets its
// own DUPLICATE_PAYMENT. The queue holds the queued ones.
func TestCoalescedSendsShareOneTransaction(t *testing.T) {
	h := newIBHarness(t, "1000")
	const n = 8
	c, err := h.srv.newSendCoalescer(config.Coalesce{Window: longWindow, MaxItems: n + 1}, testRetry)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.sends = c
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	start := h.led.Height()
	out := make([]response, n+1)
	var wg sync.WaitGroup
	for i := range n + 1 {
		amount := "1"
		if i%2 == 1 {
			amount = "1000000"
		}
		id := fmt.Sprintf("SH-CITY:cs%02d", i)
		if i == n {
			id = "SH-CITY:cs00" // the first one's ID again
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = h.send("sh-op", rest.InterbankTransferRequest{ID: id, From: shSettle, To: jsSettle, Amount: y(amount), Priority: rest.PriorityUrgent})
		}()
	}
	wg.Wait()
	txs := h.txsSince(start)
	if len(txs) != 1 || txs[0].code.String() != "VALID" {
		t.Fatalf("%d sends committed as %+v, want one valid transaction", n+1, txs)
	}
	settled, queued, dup := 0, 0, 0
	for i, r := range out {
		if r.status == http.StatusConflict && r.code(t) == rest.CodeDuplicatePayment {
			dup++
			continue
		}
		var c rest.Committed[rest.InterbankTransfer]
		if r.status != http.StatusCreated {
			t.Fatalf("send %d: %d %s", i, r.status, r.body)
		}
		r.decode(t, &c)
		if c.TxID != txs[0].txID {
			t.Fatalf("send %d answered transaction %s, the batch is %s", i, c.TxID, txs[0].txID)
		}
		switch c.Result.Status {
		case rest.TransferSettled:
			settled++
		case rest.TransferQueued:
			queued++
		}
	}
	if dup != 1 || settled+queued != n || queued < n/2 {
		t.Fatalf("settled %d, queued %d, duplicates %d", settled, queued, dup)
	}
	q, err := h.srv.ledger.Evaluate(context.Background(), "sh-op", api.ListQueue.Function(), `{"account":"`+shSettle+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	var page api.QueuePage
	if err := json.Unmarshal(q, &page); err != nil || len(page.Transfers) != queued {
		t.Fatalf("queue %s (%v), want %d", q, err, queued)
	}
}
