package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// waitOperation polls an operation until it is finished or the deadline.
func (h *harness) waitOperation(client, id string) rest.Operation {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var op rest.Operation
		h.must(http.StatusOK, client, "GET", "/v1/operations/"+id, "").decode(h.t, &op)
		if op.Status != rest.OpPending {
			return op
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("operation %s still pending", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAsyncWrite(t *testing.T) {
	h := funded(t, harnessOptions{})
	r := h.must(http.StatusAccepted, "sh-op", "POST", "/v1/payments?async=true", `{"paymentId":"SH-CITY:a1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"3"}`)
	var acc rest.Accepted
	r.decode(t, &acc)
	if r.header.Get("Location") != acc.StatusURL || acc.Status != rest.OpPending {
		t.Fatalf("accepted %+v, Location %q", acc, r.header.Get("Location"))
	}
	op := h.waitOperation("sh-op", acc.OperationID)
	if op.Status != rest.OpCommitted || op.Route != rest.CreatePayment.Name {
		t.Fatalf("operation %+v", op)
	}
	var c rest.Committed[rest.Payment]
	if err := json.Unmarshal(op.Result, &c); err != nil || c.Result.PaymentID != "SH-CITY:a1" || c.TxID == "" {
		t.Fatalf("result %s: %v", op.Result, err)
	}
	if r := h.do("sh-aud", "GET", "/v1/operations/"+acc.OperationID, ""); r.status != http.StatusNotFound || r.code(t) != rest.CodeOperationNotFound {
		t.Fatalf("another client read the operation: %d", r.status)
	}
	r = h.must(http.StatusAccepted, "sh-op", "POST", "/v1/payments?async=true", `{"paymentId":"SH-CITY:a2","from":"SH-CITY:shop","to":"SH-CITY:settle","amount":"300"}`)
	r.decode(t, &acc)
	op = h.waitOperation("sh-op", acc.OperationID)
	if op.Status != rest.OpFailed || op.Error == nil || op.Error.Code != rest.CodeInsufficientFunds {
		t.Fatalf("failed operation %+v", op)
	}
}

// TestAsyncBounded: with one worker and a queue of one, a third concurrent
// asynchronous write gets 429 with Retry-After; the first two commit.
func TestAsyncBounded(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	var armed bool
	h := funded(t, harnessOptions{workers: 1, queue: 1, fault: func(fn string) error {
		if armed && fn == "token:Transfer" {
			entered <- struct{}{}
			<-release
		}
		return nil
	}})
	armed = true
	var ids []string
	for i := range 2 {
		var acc rest.Accepted
		h.must(http.StatusAccepted, "sh-op", "POST", "/v1/payments?async=true", fmt.Sprintf(`{"paymentId":"SH-CITY:q%d","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"}`, i)).decode(t, &acc)
		ids = append(ids, acc.OperationID)
		if i == 0 {
			select { // the worker holds the first write
			case <-entered:
			case <-time.After(10 * time.Second):
				t.Fatal("the first write never started")
			}
		}
	}
	r := h.do("sh-op", "POST", "/v1/payments?async=true", `{"paymentId":"SH-CITY:q9","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"}`)
	if r.status != http.StatusTooManyRequests || r.code(t) != rest.CodeTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the bound: %d %s", r.status, r.body)
	}
	close(release)
	for _, id := range ids {
		if op := h.waitOperation("sh-op", id); op.Status != rest.OpCommitted {
			t.Fatalf("operation %+v", op)
		}
	}
}

// TestOperationsSurviveRestart: a gateway started on the same state
// directory answers for operations recorded before.
func TestOperationsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "operations.db")
	var id string
	t.Run("first gateway", func(t *testing.T) {
		h := funded(t, harnessOptions{storeAt: path})
		var acc rest.Accepted
		h.must(http.StatusAccepted, "sh-op", "POST", "/v1/payments?async=true", `{"paymentId":"SH-CITY:s1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"}`).decode(t, &acc)
		h.waitOperation("sh-op", acc.OperationID)
		id = acc.OperationID
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.pool.Close(ctx)
	})
	h := newHarness(t, harnessOptions{storeAt: path})
	var op rest.Operation
	h.must(http.StatusOK, "sh-op", "GET", "/v1/operations/"+id, "").decode(t, &op)
	if op.Status != rest.OpCommitted || len(op.Result) == 0 {
		t.Fatalf("after restart: %+v", op)
	}
}
