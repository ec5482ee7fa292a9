package eventhub_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// Two SSE clients share one peer stream: one sees every event, the other
// only transfers; a third resumes after the last event it saw, and a fourth
// asks for history the buffer no longer has.
func Example() {
	peer := make(chan ledger.Event, 4) // stands in for the peer's stream
	peer <- ledger.Event{BlockNumber: 5, TxID: "t1", Name: "Minted"}
	peer <- ledger.Event{BlockNumber: 5, TxID: "t2", Name: "Transferred"}
	peer <- ledger.Event{BlockNumber: 6, TxID: "t3", Name: "Transferred"}
	opened := 0
	upstream := func(ctx context.Context, start *uint64) (<-chan ledger.Event, error) {
		opened++
		return peer, nil
	}
	hub, err := eventhub.New(upstream, eventhub.Options{BufferEvents: 3})
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
	ctx := context.Background()
	from5 := uint64(5)

	all, _ := hub.Subscribe(ctx, eventhub.SubscribeOptions{From: &from5})
	transfers, _ := hub.Subscribe(ctx, eventhub.SubscribeOptions{From: &from5,
		Filter: func(e eventhub.Event) bool { return e.Name == "Transferred" }})
	resumed, _ := hub.Subscribe(ctx, eventhub.SubscribeOptions{After: &eventhub.Position{Block: 5, Index: 1}})
	for range 3 {
		e := <-all.Events()
		fmt.Println("all:", e.Position(), e.Name)
	}
	for range 2 {
		e := <-transfers.Events()
		fmt.Println("transfers:", e.Position(), e.Name)
	}
	e := <-resumed.Events()
	fmt.Println("resumed:", e.Position(), e.Name)

	from4 := uint64(4)
	_, err = hub.Subscribe(ctx, eventhub.SubscribeOptions{From: &from4})
	var old *eventhub.TooOldError
	fmt.Println(errors.As(err, &old), old.Oldest)
	fmt.Println("peer streams opened:", opened)
	// Output:
	// all: 5:0 Minted
	// all: 5:1 Transferred
	// all: 6:0 Transferred
	// transfers: 5:1 Transferred
	// transfers: 6:0 Transferred
	// resumed: 6:0 Transferred
	// true 5:0
	// peer streams opened: 1
}
