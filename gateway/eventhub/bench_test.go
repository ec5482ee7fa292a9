package eventhub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// BenchmarkFanOut measures delivering one upstream event to every
// subscriber (ns/op is per event, all subscribers served), each subscriber
// reading as fast as it can, as SSE handlers do. The producer stays within
// two batches of the slowest subscriber (the hub itself never waits, and
// would drop a subscriber a whole ring behind).
func BenchmarkFanOut(b *testing.B) {
	const ring, batch = 1 << 16, 1 << 13
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			up := make(chan ledger.Event, 1024)
			h, err := eventhub.New(func(context.Context, *uint64) (<-chan ledger.Event, error) { return up, nil },
				eventhub.Options{BufferEvents: ring, SubscriberBuffer: 256, MaxSubscribers: n})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			var wg sync.WaitGroup
			acks := make(chan struct{}, 2*n)
			errs := make(chan error, n)
			for range n {
				s, err := h.Subscribe(context.Background(), eventhub.SubscribeOptions{From: new(uint64)})
				if err != nil {
					b.Fatal(err)
				}
				wg.Go(func() {
					defer s.Close()
					for i := 1; i <= b.N; i++ {
						if _, ok := <-s.Events(); !ok {
							errs <- s.Err()
							return
						}
						if i%batch == 0 {
							acks <- struct{}{}
						}
					}
				})
			}
			payload := []byte(`{"version":1,"events":[{"type":"Transferred"}]}`)
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				up <- ledger.Event{BlockNumber: uint64(i / 10), TxID: "tx", Name: "yrd", Payload: payload}
				if i%batch == 0 && i >= 2*batch {
					for range n { // every subscriber has read the batch before this one
						select {
						case <-acks:
						case err := <-errs:
							b.Fatalf("subscriber ended early: %v", err)
						}
					}
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatalf("subscriber ended early: %v", err)
			}
		})
	}
}
