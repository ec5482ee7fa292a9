package workpool_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/yangtze-delta/settlement/gateway/workpool"
)

// With every worker busy and the queue full, the next submission is refused
// at once; the HTTP layer turns that into 429 Too Many Requests.
func Example() {
	p, err := workpool.New(workpool.Options{Workers: 1, Queue: 1})
	if err != nil {
		log.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	write := func(ctx context.Context) { <-release }

	_ = p.TrySubmit(func(ctx context.Context) { close(started); <-release })
	<-started                       // the worker is busy
	fmt.Println(p.TrySubmit(write)) // queued
	err = p.TrySubmit(write)
	fmt.Println(err, errors.Is(err, workpool.ErrFull))

	close(release)
	fmt.Println(p.Close(context.Background()))
	fmt.Println(errors.Is(p.TrySubmit(write), workpool.ErrClosed))
	// Output:
	// <nil>
	// workpool: queue full true
	// <nil>
	// true
}
