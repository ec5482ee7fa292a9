package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

var (
	ibTransfer = rest.InterbankTransfer{ID: "SH-CITY:t1", From: "SH-CITY:settle", To: "JS-CITY:settle", FromBank: "SH-CITY", ToBank: "JS-CITY",
		FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", Amount: amt, Priority: rest.PriorityNormal, ValueDate: "2026-03-02",
		Status: rest.TransferQueued, QueuedAt: t0, TxID: "tx1"}
	ibPage     = rest.InterbankTransferPage{Transfers: []rest.InterbankTransfer{ibTransfer}, Bookmark: "bm2"}
	ibPosition = rest.BankPosition{Account: "SH-CITY:settle", Bank: "SH-CITY", MSP: "ShanghaiMSP", Date: "2026-03-02", Balance: amt,
		Counterparties: []rest.CounterpartyFlow{{Bank: "JS-CITY", Sent: amt}}}
)

func interbankMethodCases() []methodCase {
	sendReq := rest.InterbankTransferRequest{ID: "SH-CITY:t1", From: "SH-CITY:settle", To: "JS-CITY:settle", Amount: amt,
		Priority: rest.PriorityNormal, Remittance: "invoice 7"}
	sendBody := `{"id":"SH-CITY:t1","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1234.56","priority":"normal","remittance":"invoice 7"}`
	tp := "/v1/interbank/transfers/SH-CITY:t1"
	prioBody := `{"priority":"urgent"}`
	run := rest.CycleRun{Status: rest.CycleSettled, Queued: 3, Due: 3, Attempts: 1, Cycle: &rest.Cycle{ID: "ShanghaiMSP:cycle-1", Settled: 3,
		Transfers: []string{"A:1", "B:1", "C:1"}, Gross: amt, Positions: []rest.NetPosition{{Account: "A:s", Net: rest.Net{Side: rest.NetFlat}}}, TxID: "tx2", BlockNumber: 4}}
	closed := rest.DayClose{Date: "2026-03-02", Transfers: 2, Rejected: 1, RejectedIDs: []string{"SH-CITY:t1"},
		Closed: []rest.DayEnd{{Account: "SH-CITY:settle", Date: "2026-03-02", Balance: amt, ClosedAt: t0, TxID: "tx3"}}, Transactions: []string{"tx3"}}
	rec := rest.Reconciliation{Date: "2026-03-02", Transfers: 1, Statuses: []rest.StatusTotal{{Status: rest.TransferSettled, Count: 1, Value: amt}},
		Banks: []rest.BankNet{}, Pairs: []rest.ProvinceFlow{}, NetTotal: rest.Net{Side: rest.NetFlat}, Balanced: true}
	cal := rest.Calendar{Open: "08:30", CustomerCutoff: "16:30", InterbankCutoff: "17:00", EndOfDay: "17:30", WeekendsClosed: true, Holidays: []string{}, CycleIntervalSec: 60}
	stmt := rest.InterbankStatement{Position: ibPosition, Entries: []rest.StatementEntry{{Account: "SH-CITY:settle", Timestamp: t0, TxID: "tx1", Seq: 1,
		Type: rest.EntryDebit, Reference: "SH-CITY:t1", Amount: amt}}, Bookmark: "bm3"}

	return []methodCase{
		{name: "SendTransfer", route: rest.SendInterbankTransfer, path: "/v1/interbank/transfers", body: sendBody, want: committed(ibTransfer),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.SendTransfer(ctx, sendReq) }},
		{name: "SendTransferAsync", route: rest.SendInterbankTransfer, async: true, path: "/v1/interbank/transfers", query: "async=true", body: sendBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.SendTransferAsync(ctx, sendReq) }},
		{name: "GetTransfer", route: rest.GetInterbankTransfer, path: tp, want: ibTransfer,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetTransfer(ctx, "SH-CITY:t1") }},
		{name: "CancelTransfer", route: rest.CancelInterbankTransfer, path: tp + "/cancel", want: committed(ibTransfer),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.CancelTransfer(ctx, "SH-CITY:t1") }},
		{name: "CancelTransferAsync", route: rest.CancelInterbankTransfer, async: true, path: tp + "/cancel", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.CancelTransferAsync(ctx, "SH-CITY:t1")
			}},
		{name: "HoldTransfer", route: rest.HoldInterbankTransfer, path: tp + "/hold", want: committed(ibTransfer),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.HoldTransfer(ctx, "SH-CITY:t1") }},
		{name: "HoldTransferAsync", route: rest.HoldInterbankTransfer, async: true, path: tp + "/hold", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.HoldTransferAsync(ctx, "SH-CITY:t1")
			}},
		{name: "ReleaseTransfer", route: rest.ReleaseInterbankTransfer, path: tp + "/release", want: committed(ibTransfer),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ReleaseTransfer(ctx, "SH-CITY:t1") }},
		{name: "ReleaseTransferAsync", route: rest.ReleaseInterbankTransfer, async: true, path: tp + "/release", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ReleaseTransferAsync(ctx, "SH-CITY:t1")
			}},
		{name: "ReprioritiseTransfer", route: rest.ReprioritiseInterbankTransfer, path: tp + "/priority", body: prioBody, want: committed(ibTransfer),
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ReprioritiseTransfer(ctx, "SH-CITY:t1", rest.PriorityUrgent)
			}},
		{name: "ReprioritiseTransferAsync", route: rest.ReprioritiseInterbankTransfer, async: true, path: tp + "/priority", query: "async=true", body: prioBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ReprioritiseTransferAsync(ctx, "SH-CITY:t1", rest.PriorityUrgent)
			}},
		{name: "Remittance", route: rest.GetInterbankRemittance, path: tp + "/remittance", want: rest.Remittance{ID: "SH-CITY:t1", Details: "invoice 7", Salt: "00ff"},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Remittance(ctx, "SH-CITY:t1") }},
		{name: "Queue", route: rest.ListInterbankQueue, path: "/v1/interbank/queue", query: "account=SH-CITY%3Asettle&bookmark=bm1&pageSize=2", want: ibPage,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Queue(ctx, "SH-CITY:settle", client.Page{Size: 2, Bookmark: "bm1"})
			}},
		{name: "Queue of every bank", route: rest.ListInterbankQueue, path: "/v1/interbank/queue", want: ibPage,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Queue(ctx, "", client.Page{}) }},
		{name: "RunCycle", route: rest.RunInterbankCycle, path: "/v1/interbank/cycles", want: run,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.RunCycle(ctx) }},
		{name: "Position", route: rest.GetInterbankPosition, path: "/v1/interbank/positions/SH-CITY:settle", query: "date=2026-03-02", want: ibPosition,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Position(ctx, "SH-CITY:settle", "2026-03-02")
			}},
		{name: "Position today", route: rest.GetInterbankPosition, path: "/v1/interbank/positions/SH-CITY:settle", want: ibPosition,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Position(ctx, "SH-CITY:settle", "") }},
		{name: "InterbankStatement", route: rest.GetInterbankStatement, path: "/v1/interbank/statements/SH-CITY:settle", query: "date=2026-03-02&pageSize=5", want: stmt,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.InterbankStatement(ctx, "SH-CITY:settle", "2026-03-02", client.Page{Size: 5})
			}},
		{name: "DayTransfers", route: rest.ListInterbankDay, path: "/v1/interbank/days/2026-03-02/transfers", query: "pageSize=2", want: ibPage,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.DayTransfers(ctx, "2026-03-02", client.Page{Size: 2})
			}},
		{name: "Reconcile", route: rest.ReconcileInterbankDay, path: "/v1/interbank/days/2026-03-02/reconciliation", want: rec,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Reconcile(ctx, "2026-03-02") }},
		{name: "CloseDay", route: rest.CloseInterbankDay, path: "/v1/interbank/days/2026-03-02/close", want: closed,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.CloseDay(ctx, "2026-03-02") }},
		{name: "Calendar", route: rest.GetInterbankCalendar, path: "/v1/interbank/calendar", want: cal,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Calendar(ctx) }},
	}
}

// TestTransferOfARepeat: a repeated send's error carries the stored
// transfer.
func TestTransferOfARepeat(t *testing.T) {
	f := newFake(t)
	c := mustNew(t, f.srv.URL)
	f.answer(http.StatusConflict, jsonString(t, rest.Error{Code: rest.CodeDuplicatePayment, Message: "transfer SH-CITY:t1 already exists with this body",
		Details: map[string]any{rest.DetailTransfer: ibTransfer}}))
	_, err := c.SendTransfer(context.Background(), rest.InterbankTransferRequest{ID: "SH-CITY:t1", From: "SH-CITY:settle", To: "JS-CITY:settle",
		Amount: money.Yuan(1), Priority: rest.PriorityNormal})
	ce := requireCode(t, err, rest.CodeDuplicatePayment, http.StatusConflict)
	got, ok := ce.Transfer()
	if !ok || got.ID != "SH-CITY:t1" || got.Status != rest.TransferQueued {
		t.Fatalf("stored transfer %+v, %v", got, ok)
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeJSONAnswer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// TestAllQueuedPages passes each bookmark back until the last page.
func TestAllQueuedPages(t *testing.T) {
	pagesOf := map[string]rest.InterbankTransferPage{
		"":   {Transfers: []rest.InterbankTransfer{{ID: "A:1"}, {ID: "A:2"}}, Bookmark: "b1"},
		"b1": {Transfers: []rest.InterbankTransfer{{ID: "A:3"}}, Bookmark: ""},
	}
	var mux http.ServeMux
	mux.HandleFunc("GET /v1/interbank/queue", func(w http.ResponseWriter, r *http.Request) {
		p, ok := pagesOf[r.URL.Query().Get("bookmark")]
		if !ok || r.URL.Query().Get("account") != "A:settle" {
			http.Error(w, `{"code":"INVALID_REQUEST","message":"bad bookmark or account"}`, http.StatusBadRequest)
			return
		}
		writeJSONAnswer(w, p)
	})
	mux.HandleFunc("GET /v1/interbank/days/{date}/transfers", func(w http.ResponseWriter, r *http.Request) {
		writeJSONAnswer(w, pagesOf[r.URL.Query().Get("bookmark")])
	})
	c := mustNew(t, httptestServer(t, &mux))
	for name, seq := range map[string]func() []string{
		"queue": func() []string {
			var ids []string
			for tr, err := range c.AllQueued(context.Background(), "A:settle", 2) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, tr.ID)
			}
			return ids
		},
		"day": func() []string {
			var ids []string
			for tr, err := range c.AllDayTransfers(context.Background(), "2026-03-02", 2) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, tr.ID)
			}
			return ids
		},
	} {
		if got := seq(); len(got) != 3 || got[2] != "A:3" {
			t.Fatalf("%s: %v", name, got)
		}
	}
}
