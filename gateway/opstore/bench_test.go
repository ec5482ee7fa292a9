package opstore_test

import (
	"encoding/json"
	"testing"

	"github.com/yangtze-delta/settlement/gateway/opstore"
)

var benchResult = json.RawMessage(`{"txId":"3f1c0e4b9a","blockNumber":42,"result":{"paymentId":"pay-1","status":"SETTLED"}}`)

// BenchmarkCreateFinish measures one operation's two fsync'd writes from a
// single goroutine (the worst case for batching: nothing to share a
// transaction with).
func BenchmarkCreateFinish(b *testing.B) {
	s := open(b, dbPath(b), opstore.Options{MaxFinished: 10_000})
	b.ReportAllocs()
	for b.Loop() {
		r, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "POST /v1/payments", Key: "pay-1"})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Finish(r.ID, opstore.Outcome{Status: opstore.StatusCommitted, TxID: "3f1c0e4b9a", Result: benchResult}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateFinishParallel is the gateway's shape: many requests at
// once, whose writes bbolt's Batch combines into shared transactions.
func BenchmarkCreateFinishParallel(b *testing.B) {
	s := open(b, dbPath(b), opstore.Options{MaxFinished: 10_000, MaxPending: 100_000})
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := s.Create(opstore.Spec{Owner: "bank-a", Route: "POST /v1/payments", Key: "pay-1"})
			if err != nil {
				b.Error(err)
				return
			}
			if err := s.Finish(r.ID, opstore.Outcome{Status: opstore.StatusCommitted, TxID: "3f1c0e4b9a", Result: benchResult}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
