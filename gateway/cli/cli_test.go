package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// seen is one request the fake gateway received.
type seen struct {
	method, path, query, auth, contentType string
	body                                   []byte
}

type scripted struct {
	status int
	body   string
}

// fakeGateway answers each "METHOD path" with its scripted answer and hands
// what it received to the test over a channel: nothing is asserted in the
// server's goroutine.
type fakeGateway struct {
	mu      sync.Mutex
	answers map[string]scripted
	reqs    chan seen
}

func newFakeGateway(t *testing.T) (*fakeGateway, *httptest.Server) {
	t.Helper()
	f := &fakeGateway{answers: map[string]scripted{}, reqs: make(chan seen, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		select {
		case f.reqs <- seen{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery,
			auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), body: b}:
		default:
		}
		f.mu.Lock()
		a, ok := f.answers[r.Method+" "+r.URL.EscapedPath()]
		f.mu.Unlock()
		if !ok {
			a = scripted{404, `{"code":"ROUTE_NOT_FOUND","message":"no route"}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGateway) on(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[route] = scripted{status, body}
}

func (f *fakeGateway) last(t *testing.T) seen {
	t.Helper()
	select {
	case s := <-f.reqs:
		return s
	default:
		t.Fatal("no request reached the gateway")
		return seen{}
	}
}

func (f *fakeGateway) none(t *testing.T) {
	t.Helper()
	select {
	case s := <-f.reqs:
		t.Fatalf("a request reached the gateway: %s %s", s.method, s.path)
	default:
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, IO{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return result{code, out.String(), errOut.String()}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	t0        = time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	yuan      = money.MustParseYuan
	account   = rest.Account{ID: "SH-CITY:a/1", OwnerMSP: "ShanghaiMSP", Bank: "SH-CITY", Kind: rest.KindCustomer, Tier: rest.TierClassII, Status: rest.StatusActive, OpenedAt: t0, UpdatedAt: t0}
	payment   = rest.Payment{PaymentID: "SH-CITY:p-1", From: "SH-CITY:a", To: "JS-CITY:b", FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", FromBank: "SH-CITY", ToBank: "JS-CITY", Amount: yuan("12.34"), Inputs: []string{"o1"}, PayeeOutput: "abcdef.0", TxID: "abcdef0123456789", Timestamp: t0}
	committed = rest.Committed[rest.Payment]{TxID: "abcdef0123456789", BlockNumber: 42, Result: payment}

	mintProposal = rest.Proposal{ID: "ShanghaiMSP:m1", Action: rest.ActionMint,
		Mint: &rest.MintParams{Account: "SH-PBC:reserve", Amount: yuan("1000"), ReserveRef: "dep-1"},
		Rule: rest.Rule{Role: "issuer", Provinces: 3, Identities: 3}, ProposerMSP: "ShanghaiMSP", Status: rest.ProposalPending,
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
		Approvals: []rest.Approval{{MSP: "ShanghaiMSP", Identity: "5f0c", Role: "issuer", TxID: "t7", At: t0}}}
	approvedProposal = func() rest.Proposal {
		p := mintProposal
		p.Approvals = append(append([]rest.Approval(nil), p.Approvals...),
			rest.Approval{MSP: "JiangsuMSP", Identity: "9a1b", Role: "issuer", TxID: "t8", At: t0},
			rest.Approval{MSP: "ZhejiangMSP", Identity: "77c2", Role: "issuer", TxID: "t9", At: t0})
		p.Approved = true
		return p
	}()
	executedProposal = func() rest.Proposal {
		p := approvedProposal
		p.Status, p.ClosedAt = rest.ProposalExecuted, &t0
		return p
	}()
)

func TestCommands(t *testing.T) {
	frozen := account
	frozen.Status, frozen.ReasonHash = rest.StatusFrozen, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tests := []struct {
		name   string
		args   []string
		route  string // answered route
		status int
		answer any
		// want: the request the gateway must see
		method, path, query string
		body                string // JSON; "" for none
		// output must contain these lines (after collapsing runs of spaces)
		output []string
	}{
		{name: "whoami", args: []string{"whoami"}, route: "GET /v1/whoami", status: 200,
			answer: rest.WhoAmI{Client: "operator", MSPID: "ShanghaiMSP", Role: "operator"}, method: "GET", path: "/v1/whoami",
			output: []string{"client operator", "mspId ShanghaiMSP", "role operator"}},
		{name: "network", args: []string{"network"}, route: "GET /v1/network", status: 200,
			answer: rest.Network{MSPID: "ShanghaiMSP", Channel: "settlement", ChaincodeVersion: "v1"}, method: "GET", path: "/v1/network",
			output: []string{"channel settlement", "chaincodeVersion v1"}},
		{name: "account open", args: []string{"account", "open", "SH-CITY:a1", "--kind", "customer", "--tier", "class-II", "--customer-ref", "c-9"},
			route: "POST /v1/accounts", status: 201, answer: rest.Committed[rest.Account]{TxID: "t1", BlockNumber: 7, Result: account},
			method: "POST", path: "/v1/accounts", body: `{"id":"SH-CITY:a1","kind":"customer","tier":"class-II","customerRef":"c-9"}`,
			output: []string{"status committed", "txId t1", "block 7", "id SH-CITY:a/1", "bank SH-CITY", "kind customer", "status active"}},
		{name: "account open merchant", args: []string{"account", "open", "SH-CITY:shop", "--kind", "merchant", "--merchant-category", "5411"},
			route: "POST /v1/accounts", status: 201, answer: rest.Committed[rest.Account]{TxID: "t1", BlockNumber: 7, Result: account},
			method: "POST", path: "/v1/accounts", body: `{"id":"SH-CITY:shop","kind":"merchant","merchantCategory":"5411"}`,
			output: []string{"status committed"}},
		{name: "account get escapes the ID", args: []string{"account", "get", "SH-CITY:a/1"}, route: "GET /v1/accounts/SH-CITY:a%2F1", status: 200,
			answer: account, method: "GET", path: "/v1/accounts/SH-CITY:a%2F1",
			output: []string{"id SH-CITY:a/1", "ownerMsp ShanghaiMSP", "bank SH-CITY", "status active", "openedAt 2025-01-02T00:00:00Z"}},
		{name: "account balance", args: []string{"account", "balance", "a1"}, route: "GET /v1/accounts/a1/balance", status: 200,
			answer: rest.Balance{Account: "a1", Balance: yuan("12.34")}, method: "GET", path: "/v1/accounts/a1/balance",
			output: []string{"account a1", "balance 12.34"}},
		{name: "account outputs", args: []string{"account", "outputs", "a1", "--page-size", "1"}, route: "GET /v1/accounts/a1/outputs", status: 200,
			answer: rest.OutputPage{Outputs: []rest.Output{{ID: "tx1.0", Account: "a1", Amount: yuan("5"), Earmark: &rest.Earmark{Programme: "SH-FIN:sme", Tranche: 1}, CreatedAt: t0}}, Bookmark: "bm"},
			method: "GET", path: "/v1/accounts/a1/outputs", query: "pageSize=1",
			output: []string{"OUTPUT AMOUNT EARMARK CREATED", "tx1.0 5.00 SH-FIN:sme#1 2025-01-02T00:00:00Z", "more: --bookmark bm"}},
		{name: "account statement", args: []string{"account", "statement", "a1", "--page-size", "2", "--from", "2025-01-01T00:00:00Z"},
			route: "GET /v1/accounts/a1/statement", status: 200,
			answer: rest.StatementPage{Entries: []rest.StatementEntry{{Timestamp: t0, Type: rest.EntryDebit, Amount: yuan("1"), Counterparty: "b1",
				Reference: "p-1", TxID: "0123456789abcdef"}}, Bookmark: "AHN0bXQAYTEA"},
			method: "GET", path: "/v1/accounts/a1/statement", query: "from=2025-01-01T00%3A00%3A00Z&pageSize=2",
			output: []string{"TIME TYPE AMOUNT COUNTERPARTY REFERENCE TX", "2025-01-02T00:00:00Z debit -1.00 b1 p-1 0123456789ab", "more: --bookmark AHN0bXQAYTEA"}},
		{name: "account statement next page", args: []string{"account", "statement", "a1", "--bookmark", "AHN0bXQAYTEA"},
			route: "GET /v1/accounts/a1/statement", status: 200, answer: rest.StatementPage{Entries: []rest.StatementEntry{}},
			method: "GET", path: "/v1/accounts/a1/statement", query: "bookmark=AHN0bXQAYTEA", output: []string{"(no entries)"}},
		{name: "account freeze", args: []string{"account", "freeze", "a1", "--reason", "court order"}, route: "POST /v1/accounts/a1/freeze",
			status: 201, answer: rest.Committed[rest.Account]{TxID: "t2", BlockNumber: 8, Result: frozen}, method: "POST", path: "/v1/accounts/a1/freeze",
			body: `{"reason":"court order"}`, output: []string{"status committed", "block 8", "status frozen", "reasonHash " + frozen.ReasonHash}},
		{name: "account unfreeze", args: []string{"account", "unfreeze", "a1"}, route: "POST /v1/accounts/a1/unfreeze",
			status: 201, answer: rest.Committed[rest.Account]{TxID: "t3", BlockNumber: 9, Result: account}, method: "POST", path: "/v1/accounts/a1/unfreeze",
			output: []string{"txId t3"}},
		{name: "account close", args: []string{"account", "close", "a1"}, route: "POST /v1/accounts/a1/close",
			status: 201, answer: rest.Committed[rest.Account]{TxID: "t4", BlockNumber: 10, Result: account}, method: "POST", path: "/v1/accounts/a1/close",
			output: []string{"txId t4"}},
		{name: "account merge", args: []string{"account", "merge", "a1", "--id", "g1", "--max-inputs", "5"}, route: "POST /v1/accounts/a1/merge",
			status: 201, answer: rest.Committed[rest.Merge]{TxID: "t5", BlockNumber: 11, Result: rest.Merge{MergeID: "g1", Account: "a1", Inputs: []string{"o1", "o2"}, Output: "o3", Amount: yuan("3")}},
			method: "POST", path: "/v1/accounts/a1/merge", body: `{"mergeId":"g1","maxInputs":5}`, output: []string{"output o3", `inputs ["o1","o2"]`}},
		{name: "proposal mint", args: []string{"proposal", "mint", "ShanghaiMSP:m1", "--account", "SH-PBC:reserve", "--amount", "1000", "--reserve-ref", "dep-1", "--ttl", "3600"},
			route: "POST /v1/proposals", status: 201, answer: rest.Committed[rest.Proposal]{TxID: "t7", BlockNumber: 11, Result: mintProposal},
			method: "POST", path: "/v1/proposals",
			body:   `{"id":"ShanghaiMSP:m1","action":"mint","mint":{"account":"SH-PBC:reserve","amount":"1000.00","reserveRef":"dep-1"},"ttlSeconds":3600}`,
			output: []string{"status committed", "block 11", "id ShanghaiMSP:m1", "action mint", "status pending", "approved false"}},
		{name: "proposal redeem", args: []string{"proposal", "redeem", "ShanghaiMSP:rd1", "--account", "SH-PBC:reserve", "--amount", "5"},
			route: "POST /v1/proposals", status: 201, answer: rest.Committed[rest.Proposal]{TxID: "t8", BlockNumber: 12, Result: rest.Proposal{ID: "ShanghaiMSP:rd1", Action: rest.ActionRedeem, Status: rest.ProposalPending}},
			method: "POST", path: "/v1/proposals", body: `{"id":"ShanghaiMSP:rd1","action":"redeem","redeem":{"account":"SH-PBC:reserve","amount":"5.00"}}`,
			output: []string{"id ShanghaiMSP:rd1", "action redeem"}},
		{name: "proposal ceiling", args: []string{"proposal", "ceiling", "JiangsuMSP:c1", "--msp", "AnhuiMSP", "--ceiling", "1000000"},
			route: "POST /v1/proposals", status: 201, answer: rest.Committed[rest.Proposal]{TxID: "t9", BlockNumber: 13, Result: rest.Proposal{ID: "JiangsuMSP:c1", Action: rest.ActionCeiling, Status: rest.ProposalPending}},
			method: "POST", path: "/v1/proposals", body: `{"id":"JiangsuMSP:c1","action":"ceiling","ceiling":{"msp":"AnhuiMSP","ceiling":"1000000.00"}}`,
			output: []string{"id JiangsuMSP:c1", "action ceiling"}},
		{name: "proposal calendar", args: []string{"proposal", "calendar", "JiangsuMSP:cal1", "--weekends-open", "--holidays", "2026-10-01,2026-10-02", "--interbank-cutoff", "16:45"},
			route: "POST /v1/proposals", status: 201, answer: rest.Committed[rest.Proposal]{TxID: "t9", BlockNumber: 13, Result: rest.Proposal{ID: "JiangsuMSP:cal1", Action: rest.ActionCalendar, Status: rest.ProposalPending}},
			method: "POST", path: "/v1/proposals",
			body:   `{"id":"JiangsuMSP:cal1","action":"calendar","calendar":{"open":"08:30","customerCutoff":"16:30","interbankCutoff":"16:45","endOfDay":"17:30","weekendsClosed":false,"holidays":["2026-10-01","2026-10-02"],"cycleIntervalSec":60}}`,
			output: []string{"id JiangsuMSP:cal1", "action calendar"}},
		{name: "proposal show", args: []string{"proposal", "show", "ShanghaiMSP:m1"}, route: "GET /v1/proposals/ShanghaiMSP:m1", status: 200,
			answer: approvedProposal, method: "GET", path: "/v1/proposals/ShanghaiMSP:m1",
			output: []string{"id ShanghaiMSP:m1", "proposerMsp ShanghaiMSP", "approved true", "rule", " role issuer", " provinces 3"}},
		{name: "proposal approve", args: []string{"proposal", "approve", "ShanghaiMSP:m1"}, route: "POST /v1/proposals/ShanghaiMSP:m1/approve", status: 201,
			answer: rest.Committed[rest.Proposal]{TxID: "t10", BlockNumber: 14, Result: approvedProposal}, method: "POST", path: "/v1/proposals/ShanghaiMSP:m1/approve",
			output: []string{"status committed", "txId t10", "approved true"}},
		{name: "proposal execute", args: []string{"proposal", "execute", "ShanghaiMSP:m1"}, route: "POST /v1/proposals/ShanghaiMSP:m1/execute", status: 201,
			answer: rest.Committed[rest.Execution]{TxID: "t11", BlockNumber: 15, Result: rest.Execution{Proposal: executedProposal,
				Mint: &rest.Mint{MintID: "ShanghaiMSP:m1", Account: "SH-PBC:reserve", Amount: yuan("1000"), ReserveRef: "dep-1", Output: "t11.0", Supply: yuan("1000")}}},
			method: "POST", path: "/v1/proposals/ShanghaiMSP:m1/execute", body: `{}`,
			output: []string{"status committed", "block 15", "mint", " mintId ShanghaiMSP:m1", " supply 1000.00"}},
		{name: "proposal execute a redemption with inputs", args: []string{"proposal", "execute", "ShanghaiMSP:rd1", "--inputs", "o1,o2"},
			route: "POST /v1/proposals/ShanghaiMSP:rd1/execute", status: 201,
			answer: rest.Committed[rest.Execution]{TxID: "t12", BlockNumber: 16, Result: rest.Execution{Redemption: &rest.Redemption{RedeemID: "ShanghaiMSP:rd1", Supply: yuan("995")}}},
			method: "POST", path: "/v1/proposals/ShanghaiMSP:rd1/execute", body: `{"inputs":["o1","o2"]}`,
			output: []string{"redemption", " redeemId ShanghaiMSP:rd1", " supply 995.00"}},
		{name: "proposal cancel", args: []string{"proposal", "cancel", "ShanghaiMSP:m1"}, route: "POST /v1/proposals/ShanghaiMSP:m1/cancel", status: 201,
			answer: rest.Committed[rest.Proposal]{TxID: "t13", BlockNumber: 17, Result: rest.Proposal{ID: "ShanghaiMSP:m1", Status: rest.ProposalCancelled}},
			method: "POST", path: "/v1/proposals/ShanghaiMSP:m1/cancel", output: []string{"txId t13", "status cancelled"}},
		{name: "proposal async", args: []string{"--async", "proposal", "approve", "ShanghaiMSP:m1"}, route: "POST /v1/proposals/ShanghaiMSP:m1/approve", status: 202,
			answer: rest.Accepted{OperationID: "op2", Status: rest.OpPending, StatusURL: "/v1/operations/op2"},
			method: "POST", path: "/v1/proposals/ShanghaiMSP:m1/approve", query: "async=true", output: []string{"status pending", "operation op2"}},
		{name: "ceiling", args: []string{"ceiling", "ShanghaiMSP"}, route: "GET /v1/ceilings/ShanghaiMSP", status: 200,
			answer: rest.Ceiling{MSP: "ShanghaiMSP", Ceiling: yuan("1000000"), Issued: yuan("1000"), UpdatedAt: t0}, method: "GET", path: "/v1/ceilings/ShanghaiMSP",
			output: []string{"msp ShanghaiMSP", "ceiling 1000000.00", "issued 1000.00"}},
		{name: "pay", args: []string{"pay", "--id", "SH-CITY:p-1", "--from", "SH-CITY:a", "--to", "JS-CITY:b", "--amount", "12.34", "--purpose", "SALA"},
			route: "POST /v1/payments", status: 201, answer: committed, method: "POST", path: "/v1/payments",
			body:   `{"paymentId":"SH-CITY:p-1","from":"SH-CITY:a","to":"JS-CITY:b","amount":"12.34","purpose":"SALA"}`,
			output: []string{"txId abcdef0123456789", "block 42", "amount 12.34", "fromBank SH-CITY", "toBank JS-CITY", `inputs ["o1"]`}},
		{name: "pay async", args: []string{"--async", "pay", "--id", "p-2", "--from", "a", "--to", "b", "--amount", "1"},
			route: "POST /v1/payments", status: 202, answer: rest.Accepted{OperationID: "op1", Status: rest.OpPending, StatusURL: "/v1/operations/op1"},
			method: "POST", path: "/v1/payments", query: "async=true",
			body:   `{"paymentId":"p-2","from":"a","to":"b","amount":"1.00"}`,
			output: []string{"status pending", "operation op1", "statusUrl /v1/operations/op1"}},
		{name: "payment get", args: []string{"payment", "get", "SH-CITY:p-1"}, route: "GET /v1/payments/SH-CITY:p-1", status: 200,
			answer: payment, method: "GET", path: "/v1/payments/SH-CITY:p-1", output: []string{"paymentId SH-CITY:p-1", "amount 12.34"}},
		{name: "operation get", args: []string{"operation", "get", "op1"}, route: "GET /v1/operations/op1", status: 200,
			answer: rest.Operation{OperationID: "op1", Route: "createPayment", Status: rest.OpCommitted, Result: json.RawMessage(mustJSON(t, committed))},
			method: "GET", path: "/v1/operations/op1", output: []string{"status committed", "result", " txId abcdef0123456789", "  paymentId SH-CITY:p-1"}},
		{name: "operation wait", args: []string{"operation", "wait", "op1"}, route: "GET /v1/operations/op1", status: 200,
			answer: rest.Operation{OperationID: "op1", Status: rest.OpCommitted}, method: "GET", path: "/v1/operations/op1", output: []string{"status committed"}},
		{name: "supply", args: []string{"supply"}, route: "GET /v1/supply", status: 200,
			answer: rest.Supply{Total: yuan("1000")}, method: "GET", path: "/v1/supply", output: []string{"total 1000.00"}},
		{name: "supply audit", args: []string{"supply", "--audit"}, route: "GET /v1/supply/audit", status: 200,
			answer: rest.SupplyAudit{Supply: yuan("1000"), OutputsTotal: yuan("1000"), Balanced: true}, method: "GET", path: "/v1/supply/audit", output: []string{"balanced true"}},
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

func jsonEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("body %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(a, b)
}

// squeeze collapses runs of spaces so tests do not depend on column widths;
// leading indentation keeps its depth (one space per level).
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		indent := strings.Repeat(" ", (len(l)-len(strings.TrimLeft(l, " ")))/2)
		lines[i] = indent + strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func TestJSONPrintsTheTypedAnswer(t *testing.T) {
	f, srv := newFakeGateway(t)
	f.on("POST /v1/payments", 201, mustJSON(t, committed)+"\n")
	r := run(t, nil, "--url", srv.URL, "--token", "tok", "--json", "pay", "--id", "p-1", "--from", "a", "--to", "b", "--amount", "12.34")
	if r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	if !jsonEqual(t, []byte(r.stdout), mustJSON(t, committed)) || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"typed", 409, `{"code":"DUPLICATE_PAYMENT","message":"payment p-1 already exists","details":{"payment":{}}}`, "error DUPLICATE_PAYMENT: payment p-1 already exists\n"},
		{"forbidden", 403, `{"code":"FORBIDDEN","message":"role \"auditor\" may not call Transfer"}`, "error FORBIDDEN: role \"auditor\" may not call Transfer\n"},
		{"not the gateway's shape", 502, `bad gateway`, "error HTTP_502: bad gateway\n"},
		{"empty body", 503, ``, "error HTTP_503: Service Unavailable\n"},
		{"a success the client cannot read", 200, `[]`, "error CLIENT_BAD_RESPONSE: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			f.on("GET /v1/payments/p-1", tt.status, tt.body)
			r := run(t, map[string]string{EnvURL: srv.URL}, "payment", "get", "p-1")
			if r.code != ExitError || !strings.HasPrefix(r.stderr, tt.want) || r.stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want %q", r.code, r.stderr, r.stdout, tt.want)
			}
		})
	}
	t.Run("gateway unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		r := run(t, nil, "--url", srv.URL, "supply")
		if r.code != ExitError || !strings.HasPrefix(r.stderr, "error CLIENT_TRANSPORT: GET /v1/supply") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("a failed operation", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		f.on("GET /v1/operations/op1", 200, mustJSON(t, rest.Operation{OperationID: "op1", Status: rest.OpFailed,
			Error: &rest.Error{Code: rest.CodeInsufficientFunds, Message: "no"}}))
		r := run(t, map[string]string{EnvURL: srv.URL}, "operation", "wait", "op1")
		if r.code != ExitError || r.stderr != "error INSUFFICIENT_FUNDS: no\n" || !strings.Contains(squeeze(r.stdout), "status failed\n") {
			t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"launch"}},
		{"account without subcommand", []string{"account"}},
		{"missing argument", []string{"account", "get"}},
		{"extra argument", []string{"account", "get", "a", "b"}},
		{"missing required flag", []string{"pay", "--id", "p", "--from", "a", "--to", "b"}},
		{"unknown flag", []string{"supply", "--everything"}},
		{"open without kind", []string{"account", "open", "a1"}},
		{"mint is a proposal now", []string{"mint", "--id", "m", "--account", "r", "--amount", "1", "--reserve-ref", "d"}},
		{"redeem is a proposal now", []string{"redeem", "--id", "r", "--account", "r", "--amount", "1", "--inputs", "o1"}},
		{"proposal without subcommand", []string{"proposal"}},
		{"unknown proposal action", []string{"proposal", "config", "ShanghaiMSP:c"}},
		{"proposal mint without reserve ref", []string{"proposal", "mint", "ShanghaiMSP:m", "--account", "r", "--amount", "1"}},
		{"proposal mint without an ID", []string{"proposal", "mint", "--account", "r", "--amount", "1", "--reserve-ref", "d"}},
		{"proposal ceiling without msp", []string{"proposal", "ceiling", "ShanghaiMSP:c", "--ceiling", "1"}},
		{"proposal redeem with a bad amount", []string{"proposal", "redeem", "ShanghaiMSP:r", "--account", "r", "--amount", "1.001"}},
		{"proposal execute with two IDs", []string{"proposal", "execute", "ShanghaiMSP:m", "ShanghaiMSP:n"}},
		{"ceiling without MSP", []string{"ceiling"}},
		{"token and token file", []string{"--token", "a", "--token-file", "f", "supply"}},
		{"an amount with three decimals", []string{"pay", "--id", "p", "--from", "a", "--to", "b", "--amount", "1.001"}},
		{"a negative amount", []string{"proposal", "mint", "ShanghaiMSP:m", "--account", "r", "--amount", "-1", "--reserve-ref", "d"}},
		{"a time that is not RFC 3339", []string{"account", "statement", "a1", "--from", "yesterday"}},
		{"merge without an ID", []string{"account", "merge", "a1"}},
		{"a URL that is not http", []string{"--url", "ftp://gw", "supply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			r := run(t, map[string]string{EnvURL: srv.URL}, tt.args...)
			if r.code != ExitUsage || r.stderr == "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			f.none(t)
		})
	}
}

func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "envtok")
	if err := os.WriteFile(envFile, []byte("from-env-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"flag", map[string]string{EnvToken: "env"}, []string{"--token", "flag"}, "Bearer flag"},
		{"flag file", map[string]string{EnvToken: "env"}, []string{"--token-file", file}, "Bearer from-file"},
		{"env", map[string]string{EnvToken: "env", EnvTokenFile: envFile}, nil, "Bearer env"},
		{"env file", map[string]string{EnvTokenFile: envFile}, nil, "Bearer from-env-file"},
		{"none", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			f.on("GET /v1/supply", 200, `{"total":"0.00"}`)
			env := map[string]string{EnvURL: srv.URL}
			for k, v := range tt.env {
				env[k] = v
			}
			r := run(t, env, append(tt.args, "supply")...)
			if r.code != ExitOK {
				t.Fatal(r.stderr)
			}
			if got := f.last(t).auth; got != tt.want {
				t.Fatalf("Authorization %q, want %q", got, tt.want)
			}
		})
	}
}

// sseServer streams the given TxEvents with IDs 10:0, 11:0, …, honouring
// Last-Event-ID by skipping events up to and including it; it reports each
// request's "Last-Event-ID|query" on reqs.
func sseServer(t *testing.T, events []rest.TxEvents, reqs chan<- string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- r.Header.Get("Last-Event-ID") + "|" + r.URL.RawQuery
		w.Header().Set("Content-Type", "text/event-stream")
		last := r.Header.Get("Last-Event-ID")
		skip := last != ""
		fmt.Fprint(w, ": keep-alive\n\n")
		for i, ev := range events {
			id := fmt.Sprintf("%d:0", 10+i)
			if skip {
				skip = id != last
				continue
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", id, rest.SSEEventName, b)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

var sseEvents = []rest.TxEvents{
	{TxID: "tx-aaaaaaaaaaaaaaaa", Block: 10, Timestamp: t0, Events: []rest.Event{{Type: "AccountOpened", ID: "a1", Account: "a1", MSP: "JiangsuMSP"}}},
	{TxID: "tx-bbbbbbbbbbbbbbbb", Block: 11, Timestamp: t0, Events: []rest.Event{{Type: "Transferred", ID: "p-1", From: "r1", To: "a1", Amount: yuan("5")}}},
	{TxID: "tx-cccccccccccccccc", Block: 12, Timestamp: t0, Events: []rest.Event{{Type: "Frozen", ID: "a1", Account: "a1", MSP: "JiangsuMSP", Bank: "JS-CITY"}}},
}

func TestEventsTail(t *testing.T) {
	reqs := make(chan string, 4)
	srv := sseServer(t, sseEvents, reqs)
	r := run(t, map[string]string{EnvURL: srv.URL}, "events", "tail", "--count", "2", "--type", "Transferred", "--account", "a1")
	if r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	want := "10:0 AccountOpened id=a1 account=a1 tx=tx-aaaaaaaaa\n" +
		"11:0 Transferred id=p-1 from=r1 to=a1 amount=5.00 tx=tx-bbbbbbbbb\n"
	if got := squeeze(r.stdout); got != want {
		t.Fatalf("stdout\n%s\nwant\n%s", got, want)
	}
	if got := <-reqs; got != "|account=a1&type=Transferred" {
		t.Fatalf("request %q", got)
	}

	r = run(t, map[string]string{EnvURL: srv.URL}, "--json", "events", "tail", "--last-event-id", "11:0", "--from-block", "3")
	if r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	wantJSON := `{"id":"12:0","event":"tx","data":` + mustJSON(t, sseEvents[2]) + `}`
	if !jsonEqual(t, []byte(r.stdout), wantJSON) {
		t.Fatalf("stdout %s, want %s", r.stdout, wantJSON)
	}
	if got := <-reqs; got != "11:0|" {
		t.Fatalf("resume request %q: the Last-Event-ID wins over --from-block", got)
	}
}

func TestEventsTailInterrupted(t *testing.T) {
	reqs := make(chan string, 1)
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- r.URL.RawQuery
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-hold:
		}
	}))
	defer srv.Close()
	defer close(hold)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"--url", srv.URL, "events", "tail"}, IO{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	}()
	<-reqs // the stream is open
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("an interrupted tail exits %d: %s", code, errOut.String())
	}
}

// TestUsage: --help prints the command list, which names the proposal
// commands and no longer the direct mint or redeem; every command in the
// table is listed, and every listed command exists.
func TestUsage(t *testing.T) {
	r := run(t, nil, "--help")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{
		"proposal mint MSP:ID --account ID --amount YUAN --reserve-ref R",
		"proposal redeem MSP:ID --account ID --amount YUAN",
		"proposal ceiling MSP:ID --msp MSP --ceiling YUAN",
		"proposal show MSP:ID", "proposal approve MSP:ID", "proposal execute MSP:ID", "proposal cancel MSP:ID",
		"ceiling MSP",
		"account open BANK:ID",
	} {
		if !strings.Contains(r.stdout, "\n  "+want) {
			t.Errorf("usage lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, gone := range []string{"\n  mint ", "\n  redeem "} {
		if strings.Contains(r.stdout, gone) {
			t.Errorf("usage still lists %q:\n%s", strings.TrimSpace(gone), r.stdout)
		}
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		f := strings.Fields(line)
		name := f[0]
		for i := 1; groups[name] && i < len(f); i++ { // groups nest
			name += " " + f[i]
		}
		listed[name] = true
	}
	for name := range commands {
		if !listed[name] {
			t.Errorf("command %q is not in the usage text", name)
		}
	}
	for name := range listed {
		if _, ok := commands[name]; !ok {
			t.Errorf("the usage text lists %q, which is no command", name)
		}
	}

	// Without a command, the usage goes to stderr with exit 2.
	r = run(t, nil)
	if r.code != ExitUsage || !strings.HasPrefix(r.stderr, "usage: yrdctl") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}
