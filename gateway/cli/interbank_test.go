package cli

import (
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/rest"
)

var (
	ibTransfer = rest.InterbankTransfer{ID: "SH-CITY:t1", From: "SH-CITY:settle", To: "JS-CITY:settle", FromBank: "SH-CITY", ToBank: "JS-CITY",
		FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", Amount: yuan("1000000"), Priority: rest.PriorityNormal, ValueDate: "2025-01-02",
		Status: rest.TransferQueued, QueuedAt: t0, TxID: "abcdef0123456789"}
	ibCommitted = rest.Committed[rest.InterbankTransfer]{TxID: "abcdef0123456789", BlockNumber: 42, Result: ibTransfer}
	ibPosition  = rest.BankPosition{Account: "SH-CITY:settle", Bank: "SH-CITY", MSP: "ShanghaiMSP", Date: "2025-01-02", Balance: yuan("100000"),
		SentGross: yuan("1000000"), ReceivedGross: yuan("1000000"), Counterparties: []rest.CounterpartyFlow{{Bank: "JS-CITY", Sent: yuan("1000000")}}}
)

func TestInterbankCommands(t *testing.T) {
	settled := ibTransfer
	settled.Status, settled.Cycle = rest.TransferSettled, "ShanghaiMSP:cycle-1"
	held := ibTransfer
	held.Status = rest.TransferHeld
	tp := "/v1/interbank/transfers/SH-CITY:t1"
	tests := []struct {
		name   string
		args   []string
		route  string
		status int
		answer any
		method string
		path   string
		query  string
		body   string
		output []string
	}{
		{name: "send", args: []string{"interbank", "send", "--id", "SH-CITY:t1", "--from", "SH-CITY:settle", "--to", "JS-CITY:settle",
			"--amount", "1000000", "--priority", "urgent", "--value-date", "2025-01-03", "--remittance", "invoice 7"},
			route: "POST /v1/interbank/transfers", status: 201, answer: ibCommitted, method: "POST", path: "/v1/interbank/transfers",
			body:   `{"id":"SH-CITY:t1","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1000000.00","priority":"urgent","valueDate":"2025-01-03","remittance":"invoice 7"}`,
			output: []string{"status committed", "txId abcdef0123456789", "block 42", "id SH-CITY:t1", "status queued", "amount 1000000.00"}},
		{name: "send with the default priority, async", args: []string{"--async", "interbank", "send", "--id", "SH-CITY:t2", "--from", "SH-CITY:settle",
			"--to", "JS-CITY:settle", "--amount", "5"},
			route: "POST /v1/interbank/transfers", status: 202, answer: rest.Accepted{OperationID: "op1", Status: rest.OpPending, StatusURL: "/v1/operations/op1"},
			method: "POST", path: "/v1/interbank/transfers", query: "async=true",
			body:   `{"id":"SH-CITY:t2","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"5.00","priority":"normal"}`,
			output: []string{"status pending", "operation op1"}},
		{name: "get", args: []string{"interbank", "get", "SH-CITY:t1"}, route: "GET " + tp, status: 200, answer: settled,
			method: "GET", path: tp, output: []string{"id SH-CITY:t1", "status settled", "cycle ShanghaiMSP:cycle-1", "fromMsp ShanghaiMSP"}},
		{name: "cancel", args: []string{"interbank", "cancel", "SH-CITY:t1"}, route: "POST " + tp + "/cancel", status: 201, answer: ibCommitted,
			method: "POST", path: tp + "/cancel", output: []string{"status committed", "block 42"}},
		{name: "hold", args: []string{"interbank", "hold", "SH-CITY:t1"}, route: "POST " + tp + "/hold", status: 201,
			answer: rest.Committed[rest.InterbankTransfer]{TxID: "t9", BlockNumber: 43, Result: held},
			method: "POST", path: tp + "/hold", output: []string{"txId t9", "status held"}},
		{name: "release, async", args: []string{"--async", "interbank", "release", "SH-CITY:t1"}, route: "POST " + tp + "/release", status: 202,
			answer: rest.Accepted{OperationID: "op2", Status: rest.OpPending, StatusURL: "/v1/operations/op2"},
			method: "POST", path: tp + "/release", query: "async=true", output: []string{"operation op2"}},
		{name: "priority", args: []string{"interbank", "priority", "SH-CITY:t1", "urgent"}, route: "POST " + tp + "/priority", status: 201, answer: ibCommitted,
			method: "POST", path: tp + "/priority", body: `{"priority":"urgent"}`, output: []string{"status committed"}},
		{name: "remittance", args: []string{"interbank", "remittance", "SH-CITY:t1"}, route: "GET " + tp + "/remittance", status: 200,
			answer: rest.Remittance{ID: "SH-CITY:t1", Details: "invoice 7", Salt: "00ff"},
			method: "GET", path: tp + "/remittance", output: []string{"details invoice 7", "salt 00ff"}},
		{name: "queue", args: []string{"interbank", "queue", "--account", "SH-CITY:settle", "--page-size", "1"}, route: "GET /v1/interbank/queue", status: 200,
			answer: rest.InterbankTransferPage{Transfers: []rest.InterbankTransfer{ibTransfer}, Bookmark: "bm"},
			method: "GET", path: "/v1/interbank/queue", query: "account=SH-CITY%3Asettle&pageSize=1",
			output: []string{"ID FROM TO AMOUNT PRIORITY VALUE DATE STATUS CYCLE",
				"SH-CITY:t1 SH-CITY:settle JS-CITY:settle 1000000.00 normal 2025-01-02 queued -", "more: --bookmark bm"}},
		{name: "an empty queue", args: []string{"interbank", "queue"}, route: "GET /v1/interbank/queue", status: 200,
			answer: rest.InterbankTransferPage{Transfers: []rest.InterbankTransfer{}}, method: "GET", path: "/v1/interbank/queue", output: []string{"(no transfers)"}},
		{name: "cycle", args: []string{"interbank", "cycle"}, route: "POST /v1/interbank/cycles", status: 200,
			answer: rest.CycleRun{Status: rest.CycleSettled, Queued: 3, Due: 3, Attempts: 1, Cycle: &rest.Cycle{ID: "ShanghaiMSP:cycle-1", Settled: 3,
				Transfers: []string{"A:1"}, Gross: yuan("3000000"), Positions: []rest.NetPosition{}, TxID: "t10", BlockNumber: 44}},
			method: "POST", path: "/v1/interbank/cycles", output: []string{"status settled", "queued 3", "cycle", " settled 3", " gross 3000000.00", " liquidity 0.00"}},
		{name: "nothing to settle", args: []string{"interbank", "cycle"}, route: "POST /v1/interbank/cycles", status: 200,
			answer: rest.CycleRun{Status: rest.CycleNothingToSettle, Attempts: 1}, method: "POST", path: "/v1/interbank/cycles",
			output: []string{"status nothing_to_settle"}},
		{name: "position", args: []string{"interbank", "position", "SH-CITY:settle", "--date", "2025-01-02"},
			route: "GET /v1/interbank/positions/SH-CITY:settle", status: 200, answer: ibPosition,
			method: "GET", path: "/v1/interbank/positions/SH-CITY:settle", query: "date=2025-01-02",
			output: []string{"balance 100000.00", "sentGross 1000000.00", "fixed false"}},
		{name: "statement", args: []string{"interbank", "statement", "SH-CITY:settle", "--page-size", "2"},
			route: "GET /v1/interbank/statements/SH-CITY:settle", status: 200,
			answer: rest.InterbankStatement{Position: ibPosition, Entries: []rest.StatementEntry{{Timestamp: t0, Type: rest.EntryDebit, Amount: yuan("1000000"),
				Counterparty: "JS-CITY:settle", Reference: "SH-CITY:t1", TxID: "0123456789abcdef"}}, Bookmark: "bm2"},
			method: "GET", path: "/v1/interbank/statements/SH-CITY:settle", query: "pageSize=2",
			output: []string{"balance 100000.00", "TIME TYPE AMOUNT COUNTERPARTY REFERENCE TX",
				"2025-01-02T00:00:00Z debit -1000000.00 JS-CITY:settle SH-CITY:t1 0123456789ab", "more: --bookmark bm2"}},
		{name: "transfers of a day", args: []string{"interbank", "transfers", "2025-01-02", "--bookmark", "bm"},
			route: "GET /v1/interbank/days/2025-01-02/transfers", status: 200,
			answer: rest.InterbankTransferPage{Transfers: []rest.InterbankTransfer{settled}},
			method: "GET", path: "/v1/interbank/days/2025-01-02/transfers", query: "bookmark=bm",
			output: []string{"SH-CITY:t1 SH-CITY:settle JS-CITY:settle 1000000.00 normal 2025-01-02 settled ShanghaiMSP:cycle-1"}},
		{name: "reconcile", args: []string{"interbank", "reconcile", "2025-01-02"},
			route: "GET /v1/interbank/days/2025-01-02/reconciliation", status: 200,
			answer: rest.Reconciliation{Date: "2025-01-02", Transfers: 2, Statuses: []rest.StatusTotal{{Status: rest.TransferSettled, Count: 2, Value: yuan("3")}},
				Banks: []rest.BankNet{{Bank: "SH-CITY", MSP: "ShanghaiMSP", Sent: yuan("2"), Received: yuan("1"), Net: rest.Net{Side: rest.NetDebit, Amount: yuan("1")}},
					{Bank: "JS-CITY", MSP: "JiangsuMSP", Sent: yuan("1"), Received: yuan("2"), Net: rest.Net{Side: rest.NetCredit, Amount: yuan("1")}}},
				Pairs: []rest.ProvinceFlow{}, NetTotal: rest.Net{Side: rest.NetFlat}, Balanced: true},
			method: "GET", path: "/v1/interbank/days/2025-01-02/reconciliation",
			output: []string{"transfers 2", "balanced true", "netTotal 0.00", "settled 2 3.00", "BANK MSP SENT RECEIVED NET",
				"SH-CITY ShanghaiMSP 2.00 1.00 -1.00", "JS-CITY JiangsuMSP 1.00 2.00 1.00"}},
		{name: "close", args: []string{"interbank", "close", "2025-01-02"}, route: "POST /v1/interbank/days/2025-01-02/close", status: 200,
			answer: rest.DayClose{Date: "2025-01-02", Transfers: 3, Rejected: 1, RejectedIDs: []string{"SH-CITY:t1"}, Closed: []rest.DayEnd{}, Transactions: []string{"t11"}},
			method: "POST", path: "/v1/interbank/days/2025-01-02/close", output: []string{"date 2025-01-02", "rejected 1", `rejectedIds ["SH-CITY:t1"]`}},
		{name: "calendar", args: []string{"interbank", "calendar"}, route: "GET /v1/interbank/calendar", status: 200,
			answer: rest.Calendar{Open: "08:30", CustomerCutoff: "16:30", InterbankCutoff: "17:00", EndOfDay: "17:30", WeekendsClosed: true, Holidays: []string{}, CycleIntervalSec: 60},
			method: "GET", path: "/v1/interbank/calendar", output: []string{"open 08:30", "endOfDay 17:30", "cycleIntervalSec 60"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			f.on(tt.route, tt.status, mustJSON(t, tt.answer))
			r := run(t, map[string]string{EnvURL: srv.URL, EnvToken: "tok"}, tt.args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := f.last(t)
			if got.method != tt.method || got.path != tt.path || got.query != tt.query || got.auth != "Bearer tok" {
				t.Fatalf("request %s %s ?%s auth %q, want %s %s ?%s", got.method, got.path, got.query, got.auth, tt.method, tt.path, tt.query)
			}
			if tt.body == "" {
				if len(got.body) != 0 {
					t.Fatalf("sent a body %s", got.body)
				}
			} else if !jsonEqual(t, got.body, tt.body) || got.contentType != "application/json" {
				t.Fatalf("body %s (%s), want %s", got.body, got.contentType, tt.body)
			}
			out := squeeze(r.stdout)
			for _, want := range tt.output {
				if !strings.Contains(out, want+"\n") {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

func TestInterbankJSONAndErrors(t *testing.T) {
	t.Run("--json prints the answer", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		f.on("GET /v1/interbank/transfers/SH-CITY:t1", 200, mustJSON(t, ibTransfer))
		r := run(t, map[string]string{EnvURL: srv.URL}, "--json", "interbank", "get", "SH-CITY:t1")
		if r.code != ExitOK || !jsonEqual(t, []byte(r.stdout), mustJSON(t, ibTransfer)) || strings.Count(r.stdout, "\n") != 1 {
			t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
		}
	})
	t.Run("a gateway error", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		f.on("POST /v1/interbank/transfers/SH-CITY:t1/cancel", 409, `{"code":"NOT_QUEUED","message":"transfer SH-CITY:t1 is settled"}`)
		r := run(t, map[string]string{EnvURL: srv.URL}, "interbank", "cancel", "SH-CITY:t1")
		if r.code != ExitError || r.stderr != "error NOT_QUEUED: transfer SH-CITY:t1 is settled\n" {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	usage := [][]string{
		{"interbank"},
		{"interbank", "send", "--id", "SH-CITY:t", "--from", "a", "--to", "b"},
		{"interbank", "send", "--id", "SH-CITY:t", "--from", "a", "--to", "b", "--amount", "1", "--priority", "high"},
		{"interbank", "send", "--id", "SH-CITY:t", "--from", "a", "--to", "b", "--amount", "1.001"},
		{"interbank", "priority", "SH-CITY:t"},
		{"interbank", "priority", "SH-CITY:t", "soon"},
		{"interbank", "get"},
		{"interbank", "close"},
		{"interbank", "reconcile", "2025-01-02", "2025-01-03"},
		{"interbank", "cycle", "now"},
		{"interbank", "launch"},
	}
	for _, args := range usage {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f, srv := newFakeGateway(t)
			r := run(t, map[string]string{EnvURL: srv.URL}, args...)
			if r.code != ExitUsage || r.stderr == "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			f.none(t)
		})
	}
}
