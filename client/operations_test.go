package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

func operation(status string, result any, e *rest.Error) rest.Operation {
	op := rest.Operation{OperationID: "op1", Route: rest.CreatePayment.Name, Status: status, Created: t0, Updated: t0, Error: e}
	if result != nil {
		b, _ := json.Marshal(result)
		op.Result = b
	}
	return op
}

// TestOperationResult turns finished operations into what the synchronous
// call would have returned.
func TestOperationResult(t *testing.T) {
	t.Run("committed", func(t *testing.T) {
		res, err := client.OperationResult[rest.Payment](operation(rest.OpCommitted, committed(payment), nil))
		if err != nil || res.TxID != "tx1" || res.BlockNumber != 7 || res.Result.PaymentID != "p-1" || res.Result.Amount != amt {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	t.Run("committed, route named by its pattern", func(t *testing.T) {
		op := operation(rest.OpCommitted, committed(payment), nil)
		op.Route = rest.CreatePayment.Method + " " + rest.CreatePayment.Path
		if _, err := client.OperationResult[rest.Execution](op); client.CodeOf(err) != client.CodeInvalidArgument {
			t.Fatalf("an Execution read out of a payment operation: %v", err)
		}
	})
	t.Run("failed", func(t *testing.T) {
		op := operation(rest.OpFailed, nil, &rest.Error{Code: rest.CodeInsufficientFunds, Message: "no", Details: map[string]any{"txId": "tx2"}})
		_, err := client.OperationResult[rest.Payment](op)
		e := requireCode(t, err, rest.CodeInsufficientFunds, 422)
		if e.TxID() != "tx2" || e.Path != "/v1/operations/op1" {
			t.Fatalf("TxID %q path %q", e.TxID(), e.Path)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		_, err := client.OperationResult[rest.Payment](operation(rest.OpInterrupted, nil, nil))
		requireCode(t, err, rest.CodeCommitUnknown, 504)
	})
	t.Run("pending", func(t *testing.T) {
		_, err := client.OperationResult[rest.Payment](operation(rest.OpPending, nil, nil))
		requireCode(t, err, client.CodeInvalidArgument, 0)
	})
	t.Run("the wrong result type", func(t *testing.T) {
		_, err := client.OperationResult[rest.Account](operation(rest.OpCommitted, committed(payment), nil))
		requireCode(t, err, client.CodeInvalidArgument, 0)
	})
}

// TestWaitOperation polls until the operation is no longer pending.
func TestWaitOperation(t *testing.T) {
	var polls atomic.Int32
	url := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := operation(rest.OpPending, nil, nil)
		if polls.Add(1) >= 3 {
			op = operation(rest.OpCommitted, committed(payment), nil)
		}
		_ = json.NewEncoder(w).Encode(op)
	}))
	c := mustNew(t, url, client.WithPollInterval(time.Millisecond))
	op, err := c.WaitOperation(context.Background(), "op1")
	if err != nil || op.Status != rest.OpCommitted || polls.Load() != 3 {
		t.Fatalf("op %+v, err %v after %d polls", op, err, polls.Load())
	}

	t.Run("the context ends the wait", func(t *testing.T) {
		url := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(operation(rest.OpPending, nil, nil))
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		op, err := mustNew(t, url, client.WithPollInterval(time.Millisecond)).WaitOperation(ctx, "op1")
		if client.CodeOf(err) != client.CodeTimeout || op.Status != rest.OpPending {
			t.Fatalf("op %+v, err %v", op, err)
		}
	})
}
