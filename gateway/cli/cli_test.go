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
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// seen is one request the fake gateway received.
type seen struct {
	method, path, query, auth string
	body                      map[string]any
}

// fakeGateway answers every request with the scripted status and body for
// "METHOD path" and records what it received.
type fakeGateway struct {
	mu      sync.Mutex
	reqs    []seen
	answers map[string]struct {
		status int
		body   string
	}
}

func newFakeGateway(t *testing.T) (*fakeGateway, *httptest.Server) {
	f := &fakeGateway{answers: map[string]struct {
		status int
		body   string
	}{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization")}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			require.NoError(t, json.Unmarshal(b, &s.body))
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, s)
		a, ok := f.answers[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		if !ok {
			a.status, a.body = 404, `{"code":"ROUTE_NOT_FOUND","message":"no route"}`
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
	f.answers[route] = struct {
		status int
		body   string
	}{status, body}
}

func (f *fakeGateway) last(t *testing.T) seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.reqs, "no request reached the gateway")
	return f.reqs[len(f.reqs)-1]
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

const committedPayment = `{"txId":"abcdef0123456789","blockNumber":42,"result":{"paymentId":"p-1","from":"a","to":"b","amount":"12.34","inputs":["o1"]}}`

func TestCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		route  string // answered route
		status int
		answer string
		// want: the request the gateway must see
		method, path, query string
		body                map[string]any
		// output must contain these lines (after collapsing runs of spaces)
		output []string
	}{
		{name: "whoami", args: []string{"whoami"}, route: "GET /v1/whoami", status: 200,
			answer: `{"mspId":"ShanghaiMSP","role":"operator"}`, method: "GET", path: "/v1/whoami",
			output: []string{"mspId ShanghaiMSP", "role operator"}},
		{name: "account open", args: []string{"account", "open", "a1", "--kind", "customer", "--tier", "class-II", "--customer-ref", "c-9"},
			route: "POST /v1/accounts", status: 201, answer: `{"txId":"t1","blockNumber":7,"result":{"id":"a1","kind":"customer"}}`,
			method: "POST", path: "/v1/accounts", body: map[string]any{"id": "a1", "kind": "customer", "tier": "class-II", "customerRef": "c-9"},
			output: []string{"status committed", "txId t1", "block 7", "id a1", "kind customer"}},
		{name: "account get", args: []string{"account", "get", "a/1"}, route: "GET /v1/accounts/a/1", status: 200,
			answer: `{"id":"a/1","status":"active","limits":{"perPayment":"2000.00"}}`, method: "GET", path: "/v1/accounts/a/1",
			output: []string{"id a/1", "status active", "limits", " perPayment 2000.00"}},
		{name: "account balance", args: []string{"account", "balance", "a1"}, route: "GET /v1/accounts/a1/balance", status: 200,
			answer: `{"account":"a1","balance":"12.34"}`, method: "GET", path: "/v1/accounts/a1/balance",
			output: []string{"account a1", "balance 12.34"}},
		{name: "account statement", args: []string{"account", "statement", "a1", "--page-size", "2", "--from", "2025-01-01T00:00:00Z"},
			route: "GET /v1/accounts/a1/statement", status: 200,
			answer: `{"entries":[{"timestamp":"2025-01-02T00:00:00Z","type":"debit","amount":"1.00","counterparty":"b1","reference":"p-1","txId":"0123456789abcdef"}],"bookmark":"AHN0bXQAYTEA"}`,
			method: "GET", path: "/v1/accounts/a1/statement", query: "from=2025-01-01T00%3A00%3A00Z&pageSize=2",
			output: []string{"TIME TYPE AMOUNT COUNTERPARTY REFERENCE TX", "2025-01-02T00:00:00Z debit -1.00 b1 p-1 0123456789ab", "more: --bookmark AHN0bXQAYTEA"}},
		{name: "account statement next page", args: []string{"account", "statement", "a1", "--bookmark", "AHN0bXQAYTEA"},
			route: "GET /v1/accounts/a1/statement", status: 200, answer: `{"entries":[],"bookmark":""}`,
			method: "GET", path: "/v1/accounts/a1/statement", query: "bookmark=AHN0bXQAYTEA", output: []string{"(no entries)"}},
		{name: "account freeze", args: []string{"account", "freeze", "a1", "--reason", "court order"}, route: "POST /v1/accounts/a1/freeze",
			status: 201, answer: `{"txId":"t2","blockNumber":8,"result":null}`, method: "POST", path: "/v1/accounts/a1/freeze",
			body: map[string]any{"reason": "court order"}, output: []string{"status committed", "block 8"}},
		{name: "account unfreeze", args: []string{"account", "unfreeze", "a1"}, route: "POST /v1/accounts/a1/unfreeze",
			status: 201, answer: `{"txId":"t3","blockNumber":9}`, method: "POST", path: "/v1/accounts/a1/unfreeze", body: map[string]any{}},
		{name: "account close", args: []string{"account", "close", "a1"}, route: "POST /v1/accounts/a1/close",
			status: 201, answer: `{"txId":"t4","blockNumber":10}`, method: "POST", path: "/v1/accounts/a1/close", body: map[string]any{}},
		{name: "mint", args: []string{"mint", "--id", "m1", "--account", "r1", "--amount", "1000.00", "--reserve-ref", "dep-1"},
			route: "POST /v1/mints", status: 201, answer: `{"txId":"t5","blockNumber":11,"result":{"mintId":"m1","supply":"1000.00"}}`,
			method: "POST", path: "/v1/mints", body: map[string]any{"mintId": "m1", "account": "r1", "amount": "1000.00", "reserveRef": "dep-1"},
			output: []string{"mintId m1", "supply 1000.00"}},
		{name: "pay", args: []string{"pay", "--id", "p-1", "--from", "a", "--to", "b", "--amount", "12.34", "--purpose", "SALA"},
			route: "POST /v1/payments", status: 201, answer: committedPayment, method: "POST", path: "/v1/payments",
			body:   map[string]any{"paymentId": "p-1", "from": "a", "to": "b", "amount": "12.34", "purpose": "SALA"},
			output: []string{"txId abcdef0123456789", "block 42", "amount 12.34", `inputs ["o1"]`}},
		{name: "pay async", args: []string{"--async", "pay", "--id", "p-2", "--from", "a", "--to", "b", "--amount", "1"},
			route: "POST /v1/payments", status: 202, answer: `{"operationId":"op1","status":"pending","statusUrl":"/v1/operations/op1"}`,
			method: "POST", path: "/v1/payments", query: "async=true",
			body:   map[string]any{"paymentId": "p-2", "from": "a", "to": "b", "amount": "1"},
			output: []string{"status pending", "operation op1", "statusUrl /v1/operations/op1"}},
		{name: "payment get", args: []string{"payment", "get", "p-1"}, route: "GET /v1/payments/p-1", status: 200,
			answer: `{"paymentId":"p-1","amount":"12.34"}`, method: "GET", path: "/v1/payments/p-1", output: []string{"paymentId p-1", "amount 12.34"}},
		{name: "operation get", args: []string{"operation", "get", "op1"}, route: "GET /v1/operations/op1", status: 200,
			answer: `{"operationId":"op1","status":"committed"}`, method: "GET", path: "/v1/operations/op1", output: []string{"status committed"}},
		{name: "supply", args: []string{"supply"}, route: "GET /v1/supply", status: 200,
			answer: `{"total":"1000.00"}`, method: "GET", path: "/v1/supply", output: []string{"total 1000.00"}},
		{name: "supply audit", args: []string{"supply", "--audit"}, route: "GET /v1/supply/audit", status: 200,
			answer: `{"supply":"1000.00","balanced":true}`, method: "GET", path: "/v1/supply/audit", output: []string{"balanced true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			f.on(tt.route, tt.status, tt.answer)
			r := run(t, map[string]string{EnvURL: srv.URL, EnvToken: "tok"}, tt.args...)
			require.Equal(t, ExitOK, r.code, r.stderr)
			got := f.last(t)
			require.Equal(t, tt.method, got.method)
			require.Equal(t, tt.path, got.path)
			require.Equal(t, tt.query, got.query)
			require.Equal(t, "Bearer tok", got.auth)
			if tt.body != nil {
				require.Equal(t, tt.body, got.body)
			}
			out := squeeze(r.stdout)
			for _, want := range tt.output {
				require.Contains(t, out, want+"\n")
			}
		})
	}
}

// squeeze collapses runs of spaces so tests do not depend on column widths;
// leading indentation keeps one space.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		indent := ""
		if strings.HasPrefix(l, " ") {
			indent = " "
		}
		lines[i] = indent + strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func TestJSONPrintsTheAnswer(t *testing.T) {
	f, srv := newFakeGateway(t)
	f.on("POST /v1/payments", 201, committedPayment+"\n")
	r := run(t, nil, "--url", srv.URL, "--token", "tok", "--json", "pay", "--id", "p-1", "--from", "a", "--to", "b", "--amount", "12.34")
	require.Equal(t, ExitOK, r.code, r.stderr)
	require.JSONEq(t, committedPayment, r.stdout)
	require.Equal(t, 1, strings.Count(r.stdout, "\n"))
}

func TestAPIErrors(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			f.on("GET /v1/payments/p-1", tt.status, tt.body)
			r := run(t, map[string]string{EnvURL: srv.URL}, "payment", "get", "p-1")
			require.Equal(t, ExitError, r.code)
			require.Equal(t, tt.want, r.stderr)
			require.Empty(t, r.stdout)
		})
	}
	t.Run("as a Go error", func(t *testing.T) {
		f, srv := newFakeGateway(t)
		f.on("GET /v1/supply", 401, `{"code":"UNAUTHENTICATED","message":"missing or unknown credentials"}`)
		_, err := (&Client{BaseURL: srv.URL}).Do(context.Background(), "GET", "/v1/supply", nil, nil)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "UNAUTHENTICATED", ae.Code)
		require.Equal(t, 401, ae.Status)
	})
	t.Run("gateway unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		r := run(t, nil, "--url", srv.URL, "supply")
		require.Equal(t, ExitError, r.code)
		require.True(t, strings.HasPrefix(r.stderr, "error: GET /v1/supply"), r.stderr)
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
		{"mint without reserve ref", []string{"mint", "--id", "m", "--account", "r", "--amount", "1"}},
		{"token and token file", []string{"--token", "a", "--token-file", "f", "supply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeGateway(t)
			r := run(t, map[string]string{EnvURL: srv.URL}, tt.args...)
			require.Equal(t, ExitUsage, r.code)
			require.NotEmpty(t, r.stderr)
			require.Empty(t, f.reqs, "no request for a bad command line")
		})
	}
}

func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	envFile := filepath.Join(dir, "envtok")
	require.NoError(t, os.WriteFile(envFile, []byte("from-env-file"), 0o600))
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
			require.Equal(t, ExitOK, r.code, r.stderr)
			require.Equal(t, tt.want, f.last(t).auth)
		})
	}
}

// sseServer streams the given events, honouring Last-Event-ID by skipping
// events up to and including it.
func sseServer(t *testing.T, events []string, lastIDs *[]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*lastIDs = append(*lastIDs, r.Header.Get("Last-Event-ID")+"|"+r.URL.RawQuery)
		w.Header().Set("Content-Type", "text/event-stream")
		skip := r.Header.Get("Last-Event-ID") != ""
		fmt.Fprint(w, ": keep-alive\n\n")
		for i, data := range events {
			id := fmt.Sprintf("%d:0", 10+i)
			if skip {
				if id == r.Header.Get("Last-Event-ID") {
					skip = false
				}
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: yrd\ndata: %s\n\n", id, data)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

var sseEvents = []string{
	`{"version":1,"txId":"tx-aaaaaaaaaaaaaaaa","events":[{"type":"AccountOpened","id":"a1","account":"a1"}]}`,
	`{"version":1,"txId":"tx-bbbbbbbbbbbbbbbb","events":[{"type":"Transferred","id":"p-1","from":"r1","to":"a1","amount":"5.00"}]}`,
	`{"version":1,"txId":"tx-cccccccccccccccc","events":[{"type":"Frozen","id":"a1","account":"a1","reason":"x"}]}`,
}

func TestEventsTail(t *testing.T) {
	var reqs []string
	srv := sseServer(t, sseEvents, &reqs)
	r := run(t, map[string]string{EnvURL: srv.URL}, "events", "tail", "--count", "2", "--type", "Transferred", "--account", "a1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	require.Equal(t, "10:0 AccountOpened id=a1 account=a1 tx=tx-aaaaaaaaa\n"+
		"11:0 Transferred id=p-1 from=r1 to=a1 amount=5.00 tx=tx-bbbbbbbbb\n", squeeze(r.stdout))
	require.Equal(t, []string{"|account=a1&type=Transferred"}, reqs)

	r = run(t, map[string]string{EnvURL: srv.URL}, "--json", "events", "tail", "--last-event-id", "11:0")
	require.Equal(t, ExitOK, r.code, r.stderr)
	require.JSONEq(t, `{"id":"12:0","event":"yrd","data":`+sseEvents[2]+`}`, r.stdout)
	require.Equal(t, "11:0|", reqs[1])
}

func TestClientEventsResume(t *testing.T) {
	var reqs []string
	srv := sseServer(t, sseEvents, &reqs)
	c := &Client{BaseURL: srv.URL}
	var got []string
	last, err := c.Events(context.Background(), EventsOptions{}, func(ev Event) error {
		got = append(got, ev.ID)
		if len(got) == 1 {
			return ErrStop
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, "10:0", last)
	last, err = c.Events(context.Background(), EventsOptions{LastEventID: last}, func(ev Event) error {
		got = append(got, ev.ID)
		return nil
	})
	require.NoError(t, err, "a stream the server ends is not an error")
	require.Equal(t, "12:0", last)
	require.Equal(t, []string{"10:0", "11:0", "12:0"}, got)
}
