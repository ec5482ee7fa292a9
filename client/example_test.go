package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// exampleGateway is a small stand-in for a yrd gateway that serves canned
// answers of the rest types: payments up to 1000.00 settle, larger ones
// fail with INSUFFICIENT_FUNDS, a payment ID is used once, statements come
// in pages of two, and the event stream holds two transactions.
//
// TODO: run the examples against gateway/server over gateway/ledger/inproc
// (the real chaincode in process) once those compile again.
func exampleGateway() *httptest.Server {
	var mu sync.Mutex
	paid := map[string]rest.Payment{}
	ops := map[string]rest.Operation{}
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(w http.ResponseWriter, code, msg string, details map[string]any) {
		reply(w, rest.StatusOf(code), rest.Error{Code: code, Message: msg, Details: details})
	}
	mux := http.NewServeMux()
	route := func(r rest.Route, h http.HandlerFunc) { mux.HandleFunc(r.Method+" "+r.Path, h) }

	route(rest.CreatePayment, func(w http.ResponseWriter, r *http.Request) {
		var req rest.PaymentRequest
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&req) != nil {
			fail(w, rest.CodeInvalidRequest, "send a JSON payment", nil)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if p, ok := paid[req.PaymentID]; ok {
			fail(w, rest.CodeDuplicatePayment, "payment "+req.PaymentID+" already exists with this body", map[string]any{"payment": p})
			return
		}
		if req.Amount > money.Yuan(1000) {
			fail(w, rest.CodeInsufficientFunds, "account "+req.From+" holds 1000.00", nil)
			return
		}
		p := rest.Payment{PaymentID: req.PaymentID, From: req.From, To: req.To, FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP",
			Amount: req.Amount, Inputs: []string{"tx0.0"}, PayeeOutput: "tx-" + req.PaymentID + ".0", TxID: "tx-" + req.PaymentID, Timestamp: at}
		paid[req.PaymentID] = p
		res := rest.Committed[rest.Payment]{TxID: p.TxID, BlockNumber: 7, Result: p}
		if r.URL.Query().Get(rest.AsyncParam) == "true" {
			b, _ := json.Marshal(res)
			id := "op-" + req.PaymentID
			ops[id] = rest.Operation{OperationID: id, Route: rest.CreatePayment.Name, Status: rest.OpCommitted, Created: at, Updated: at, Result: b}
			reply(w, http.StatusAccepted, rest.Accepted{OperationID: id, Status: rest.OpPending, StatusURL: rest.GetOperation.PathFor(id)})
			return
		}
		reply(w, http.StatusCreated, res)
	})
	route(rest.GetOperation, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		op, ok := ops[r.PathValue("id")]
		if !ok {
			fail(w, rest.CodeOperationNotFound, "no such operation", nil)
			return
		}
		reply(w, http.StatusOK, op)
	})
	route(rest.GetStatement, func(w http.ResponseWriter, r *http.Request) {
		entries := []rest.StatementEntry{
			{Account: r.PathValue("id"), Timestamp: at, TxID: "tx-m1", Type: rest.EntryMint, Reference: "m-1", Amount: money.Yuan(1000)},
			{Account: r.PathValue("id"), Timestamp: at.Add(time.Minute), TxID: "tx-p-1", Type: rest.EntryDebit, Reference: "p-1", Counterparty: "js-alice", Amount: money.MustParseYuan("12.34")},
			{Account: r.PathValue("id"), Timestamp: at.Add(2 * time.Minute), TxID: "tx-p-2", Type: rest.EntryDebit, Reference: "p-2", Counterparty: "js-bob", Amount: money.MustParseYuan("0.50")},
		}
		switch r.URL.Query().Get("bookmark") {
		case "":
			reply(w, http.StatusOK, rest.StatementPage{Entries: entries[:2], Bookmark: "page-2"})
		case "page-2":
			reply(w, http.StatusOK, rest.StatementPage{Entries: entries[2:]})
		default:
			fail(w, rest.CodeInvalidRequest, "bookmark is not a page token this API returned", nil)
		}
	})
	route(rest.StreamEvents, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i, e := range []rest.Event{
			{Type: "AccountOpened", ID: "js-alice", Account: "js-alice", MSP: "JiangsuMSP"},
			{Type: "Transferred", ID: "p-1", From: "sh-reserve", To: "js-alice", Amount: money.MustParseYuan("12.34")},
		} {
			b, _ := json.Marshal(rest.TxEvents{TxID: fmt.Sprintf("tx%d", i), Block: uint64(10 + i), Timestamp: at, Events: []rest.Event{e}})
			fmt.Fprintf(w, "id: %d:0\nevent: %s\ndata: %s\n\n", 10+i, rest.SSEEventName, b)
		}
	})
	return httptest.NewServer(mux)
}

// A payment, answered once it committed.
func Example() {
	gw := exampleGateway()
	defer gw.Close()

	c, err := client.New(gw.URL, client.WithToken("operator-token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Pay(context.Background(), rest.PaymentRequest{PaymentID: "p-1", From: "sh-reserve", To: "js-alice",
		Amount: money.MustParseYuan("12.34"), Purpose: "SALA"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("committed", res.TxID, "in block", res.BlockNumber)
	fmt.Println(res.Result.From, "->", res.Result.To, res.Result.Amount)
	// Output:
	// committed tx-p-1 in block 7
	// sh-reserve -> js-alice 12.34
}

// Branch on the error's code, never on its message.
func ExampleCodeOf() {
	gw := exampleGateway()
	defer gw.Close()
	c, _ := client.New(gw.URL, client.WithToken("operator-token"))

	_, err := c.Pay(context.Background(), rest.PaymentRequest{PaymentID: "p-big", From: "sh-reserve", To: "js-alice",
		Amount: money.Yuan(5000)})
	switch client.CodeOf(err) {
	case "":
		fmt.Println("paid")
	case rest.CodeInsufficientFunds:
		fmt.Println("not enough money; nothing moved")
	default:
		fmt.Println("failed:", err)
	}
	// Output:
	// not enough money; nothing moved
}

// A payment sent twice is refused the second time, with the stored payment.
func ExampleError_Payment() {
	gw := exampleGateway()
	defer gw.Close()
	c, _ := client.New(gw.URL, client.WithToken("operator-token"))
	ctx := context.Background()
	req := rest.PaymentRequest{PaymentID: "p-7", From: "sh-reserve", To: "js-alice", Amount: money.MustParseYuan("3.00")}

	first, _ := c.Pay(ctx, req)
	_, err := c.Pay(ctx, req) // a retry after an unknown outcome, say
	var e *client.Error
	if errors.As(err, &e) && e.Code == rest.CodeDuplicatePayment {
		stored, _ := e.Payment()
		fmt.Println(e.Status, e.Code, "- already committed in", stored.TxID, stored.TxID == first.TxID)
	}
	// Output:
	// 409 DUPLICATE_PAYMENT - already committed in tx-p-7 true
}

// An asynchronous write: accepted at once, its outcome read later.
func ExampleClient_PayAsync() {
	gw := exampleGateway()
	defer gw.Close()
	c, _ := client.New(gw.URL, client.WithToken("operator-token"), client.WithPollInterval(10*time.Millisecond))
	ctx := context.Background()

	acc, err := c.PayAsync(ctx, rest.PaymentRequest{PaymentID: "p-9", From: "sh-reserve", To: "js-alice", Amount: money.Yuan(1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(acc.Status, acc.StatusURL)
	op, err := c.WaitOperation(ctx, acc.OperationID)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := client.OperationResult[rest.Payment](op)
	fmt.Println(op.Status, res.TxID, res.Result.Amount, err)
	// Output:
	// pending /v1/operations/op-p-9
	// committed tx-p-9 1.00 <nil>
}

// Every entry of a statement, page after page.
func ExampleClient_AllStatementEntries() {
	gw := exampleGateway()
	defer gw.Close()
	c, _ := client.New(gw.URL, client.WithToken("operator-token"))

	q := client.StatementQuery{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Page: client.Page{Size: 2}}
	for e, err := range c.AllStatementEntries(context.Background(), "sh-reserve", q) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.Type, e.Reference, e.Amount)
	}
	// Output:
	// mint m-1 1000.00
	// debit p-1 12.34
	// debit p-2 0.50
}

// Follow committed business events; keep the last ID to resume later.
func ExampleClient_Events() {
	gw := exampleGateway()
	defer gw.Close()
	c, _ := client.New(gw.URL, client.WithToken("auditor-token"))

	last, err := c.Events(context.Background(), client.EventsOptions{Account: "js-alice"}, func(ev client.Event) error {
		for _, e := range ev.Data.Events {
			fmt.Println(ev.ID, e.Type, e.ID)
		}
		return nil
	})
	fmt.Println("resume after", last, err)
	// Output:
	// 10:0 AccountOpened js-alice
	// 11:0 Transferred p-1
	// resume after 11:0 <nil>
}

// New refuses what cannot work.
func ExampleNew() {
	_, err := client.New("")
	fmt.Println(err)
	_, err = client.New("gw.example:8080")
	fmt.Println(strings.Contains(err.Error(), "want http(s)://host"))
	// Output:
	// client: the gateway's base URL is required
	// true
}
