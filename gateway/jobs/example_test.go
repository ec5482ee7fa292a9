package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// A job of three lines: two eligible recipients and one the chaincode
// refuses; sending the same job again answers the existing job.
func Example() {
	dir, _ := os.MkdirTemp("", "jobs")
	defer os.RemoveAll(dir)
	e, err := Open(filepath.Join(dir, "jobs.db"), Options{Ledger: newFakeLedger([]string{"1000"})})
	if err != nil {
		panic(err)
	}
	defer e.Close(context.Background())

	spec := Spec{ID: "SH-FIN:job-1", Programme: fakeProg, Owner: "sh-fin", Lines: []Line{
		{No: 1, Recipient: "SH-CITY:r1", Amount: money.MustParseYuan("100")},
		{No: 2, Recipient: "BAD:r2", Amount: money.MustParseYuan("50")},
		{No: 3, Recipient: "SH-CITY:r3", Amount: money.MustParseYuan("25.50")},
	}}
	if _, created, err := e.Submit(spec); err != nil || !created {
		panic(err)
	}
	j, _ := e.Get(spec.ID, "sh-fin")
	for !j.Status.Finished() {
		time.Sleep(time.Millisecond)
		j, _ = e.Get(spec.ID, "sh-fin")
	}
	fmt.Println(j.Status, j.Paid, "paid,", j.Rejected, "rejected, settled", j.Settled)
	lines, _, _ := e.Lines(spec.ID, "sh-fin", LineRejected, 0, 10)
	fmt.Println("line", lines[0].No, lines[0].Code)
	_, created, _ := e.Submit(spec)
	fmt.Println("new again:", created)
	// Output:
	// done 2 paid, 1 rejected, settled 125.50
	// line 2 PURPOSE_NOT_ALLOWED
	// new again: false
}
