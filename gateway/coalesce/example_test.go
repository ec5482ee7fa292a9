package coalesce_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/gateway/coalesce"
)

// Three requests that arrive together are settled by one run of the batch
// form of an operation, and each caller gets its own answer: here the
// operation doubles an amount and refuses negative ones on their own.
// Wiring an operation of the gateway is the same: a Run that calls the
// operation's batch form through the ledger and turns each item's result
// into a Result, and Rerun and Split telling which whole-batch failures
// to run again (see gateway/server/coalesce.go for payments).
func Example() {
	settle := func(ctx context.Context, lane string, reqs []int) ([]coalesce.Result[int], error) {
		fmt.Printf("lane %s: one transaction for %d requests\n", lane, len(reqs))
		out := make([]coalesce.Result[int], len(reqs))
		for i, r := range reqs {
			if r < 0 {
				out[i].Err = fmt.Errorf("refused %d", r)
				continue
			}
			out[i].Value = 2 * r
		}
		return out, nil
	}
	// The window is long here so that the count (three) forms the batch.
	c, err := coalesce.New(settle, coalesce.Options{Name: "example", Window: time.Minute, MaxItems: 3})
	if err != nil {
		log.Fatal(err)
	}
	reqs := []int{1, -2, 3}
	answers := make([]string, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Do(context.Background(), "bank-a", nil, r)
			if err != nil {
				answers[i] = fmt.Sprintf("%d: %v", r, err)
				return
			}
			answers[i] = fmt.Sprintf("%d: %d", r, v)
		}()
	}
	wg.Wait()
	for _, a := range answers {
		fmt.Println(a)
	}
	fmt.Println(c.Close(context.Background()))
	// Output:
	// lane bank-a: one transaction for 3 requests
	// 1: 2
	// -2: refused -2
	// 3: 6
	// <nil>
}
