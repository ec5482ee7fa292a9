package opstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/yangtze-delta/settlement/gateway/opstore"
)

// An operation outlives a restart; one still running at the restart is
// reported as interrupted; only its owner can read it.
func Example() {
	dir, err := os.MkdirTemp("", "opstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "operations.db")

	s, err := opstore.Open(path, opstore.Options{MaxPending: 100})
	if err != nil {
		log.Fatal(err)
	}
	paid, _ := s.Create(opstore.Spec{Owner: "bank-a", Route: "POST /v1/payments", Key: "pay-1"})
	_ = s.Finish(paid.ID, opstore.Outcome{Status: opstore.StatusCommitted, TxID: "tx1", Result: json.RawMessage(`{"blockNumber":7}`)})
	running, _ := s.Create(opstore.Spec{Owner: "bank-a", Route: "POST /v1/payments", Key: "pay-2"})
	_ = s.Close() // the gateway stops while pay-2 is being written

	s, err = opstore.Open(path, opstore.Options{MaxPending: 100})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	r, _ := s.Get(paid.ID, "bank-a")
	fmt.Println(r.Key, r.Status, r.TxID, string(r.Result))
	r, _ = s.Get(running.ID, "bank-a")
	fmt.Println(r.Key, r.Status)
	_, err = s.Get(paid.ID, "bank-b")
	fmt.Println(errors.Is(err, opstore.ErrNotFound))
	// Output:
	// pay-1 committed tx1 {"blockNumber":7}
	// pay-2 interrupted
	// true
}
