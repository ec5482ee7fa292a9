package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// methodCase is one client method against its route: what must go on the
// wire (an independent model: literal paths, queries and bodies) and what
// the canned answer must decode to.
type methodCase struct {
	name  string
	route rest.Route
	async bool
	call  func(ctx context.Context, c *client.Client) (any, error)
	// path is the escaped path the gateway must see.
	path  string
	query string
	// body is the JSON body the gateway must see; "" for none.
	body string
	// want is the canned answer, which the method must return decoded.
	want any
}

var from = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func methodCases() []methodCase {
	payReq := rest.PaymentRequest{PaymentID: "p-1", From: "a1", To: "b1", Amount: amt, Purpose: "SALA"}
	payBody := `{"paymentId":"p-1","from":"a1","to":"b1","amount":"1234.56","purpose":"SALA"}`
	openReq := rest.OpenAccountRequest{ID: "a1", Kind: rest.KindCustomer, Tier: rest.TierClassII, CustomerRef: "c-9"}
	openBody := `{"id":"a1","kind":"customer","tier":"class-II","customerRef":"c-9"}`
	propReq := rest.ProposalRequest{ID: "ShanghaiMSP:m1", Action: rest.ActionMint, Mint: &rest.MintParams{Account: "SH-PBC:r", Amount: money.Yuan(1000), ReserveRef: "dep-1"}}
	propBody := `{"id":"ShanghaiMSP:m1","action":"mint","mint":{"account":"SH-PBC:r","amount":"1000.00","reserveRef":"dep-1"}}`
	execBody := `{"inputs":["o1"]}`
	batchReq := rest.BatchRequest{Items: []rest.PaymentRequest{payReq}}
	batchBody := `{"items":[` + payBody + `]}`
	mergeReq := rest.MergeRequest{MergeID: "g1", MaxInputs: 5}
	mergeBody := `{"mergeId":"g1","maxInputs":5}`
	pingReq := rest.PingRequest{ID: "pg1", Note: "hi"}
	pingBody := `{"id":"pg1","note":"hi"}`
	freezeBody := `{"reason":"court order"}`

	proposal := rest.Proposal{ID: "ShanghaiMSP:m1", Action: rest.ActionMint, Mint: propReq.Mint, Rule: rest.Rule{Role: "issuer", Provinces: 3, Identities: 3},
		ProposerMSP: "ShanghaiMSP", Status: rest.ProposalPending, CreatedAt: t0, ExpiresAt: t0, Approvals: []rest.Approval{{MSP: "ShanghaiMSP", Identity: "ab", Role: "issuer", TxID: "tx1", At: t0}}}
	redemption := rest.Redemption{RedeemID: "ShanghaiMSP:rd1", Account: "SH-PBC:r", Amount: money.Yuan(5), Inputs: []string{"o1"}, ChangeOutputs: []string{"o2"}, Supply: amt, TxID: "tx1", Timestamp: t0}
	execution := rest.Execution{Proposal: proposal, Redemption: &redemption}
	ceiling := rest.Ceiling{MSP: "ShanghaiMSP", Ceiling: amt, Issued: money.Yuan(5), UpdatedAt: t0}
	merge := rest.Merge{MergeID: "g1", Account: "a1", Inputs: []string{"o1", "o2"}, Output: "o3", Amount: amt, TxID: "tx1", Timestamp: t0}
	batch := rest.BatchResult{Settled: 1, Rejected: 1, Results: []rest.ItemResult{{PaymentID: "p-1", OK: true, Payment: &payment},
		{PaymentID: "p-2", Code: rest.CodeInsufficientFunds, Message: "no"}}}
	frozen := account
	frozen.Status, frozen.ReasonHash = rest.StatusFrozen, "ab"

	return append([]methodCase{
		{name: "Health", route: rest.Healthz, path: "/healthz", want: rest.Health{Status: "ok"},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Health(ctx) }},
		{name: "Ready", route: rest.Readyz, path: "/readyz", want: rest.Health{Status: "ready", ChaincodeVersion: "v1"},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Ready(ctx) }},
		{name: "OpenAPI", route: rest.OpenAPIDoc, path: "/openapi.json", want: json.RawMessage(`{"openapi":"3.0.3"}`),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.OpenAPI(ctx) }},
		{name: "WhoAmI", route: rest.GetWhoAmI, path: "/v1/whoami",
			want: rest.WhoAmI{Client: "operator", MSPID: "ShanghaiMSP", ID: "x509::CN=op", Role: "operator", Bank: "B001"},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.WhoAmI(ctx) }},
		{name: "Network", route: rest.GetNetwork, path: "/v1/network",
			want: rest.Network{MSPID: "ShanghaiMSP", Channel: "settlement", Chaincode: "yrd", Peer: "127.0.0.1:7051", ChaincodeVersion: "v1"},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Network(ctx) }},
		{name: "Ping", route: rest.CreatePing, path: "/v1/pings", body: pingBody, want: committed(ping),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Ping(ctx, pingReq) }},
		{name: "PingAsync", route: rest.CreatePing, async: true, path: "/v1/pings", query: "async=true", body: pingBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.PingAsync(ctx, pingReq) }},
		{name: "GetPing", route: rest.GetPing, path: "/v1/pings/pg1", want: ping,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetPing(ctx, "pg1") }},

		{name: "OpenAccount", route: rest.OpenAccount, path: "/v1/accounts", body: openBody, want: committed(account),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.OpenAccount(ctx, openReq) }},
		{name: "OpenAccountAsync", route: rest.OpenAccount, async: true, path: "/v1/accounts", query: "async=true", body: openBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.OpenAccountAsync(ctx, openReq) }},
		{name: "GetAccount escapes the ID", route: rest.GetAccount, path: "/v1/accounts/a%2F1", want: account,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetAccount(ctx, "a/1") }},
		{name: "Balance", route: rest.GetBalance, path: "/v1/accounts/a%20b/balance", want: rest.Balance{Account: "a b", Balance: amt},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Balance(ctx, "a b") }},
		{name: "ListOutputs", route: rest.ListOutputs, path: "/v1/accounts/a1/outputs", query: "bookmark=bm1&pageSize=2",
			want: rest.OutputPage{Outputs: []rest.Output{{ID: "tx1.0", Account: "a1", Amount: amt, TxID: "tx1",
				Earmark: &rest.Earmark{Programme: "SH-FIN:sme", Tranche: 1}, CreatedAt: t0}}, Bookmark: "bm2"},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ListOutputs(ctx, "a1", client.Page{Size: 2, Bookmark: "bm1"})
			}},
		{name: "ListOutputs first page", route: rest.ListOutputs, path: "/v1/accounts/a1/outputs", want: rest.OutputPage{Outputs: []rest.Output{}},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ListOutputs(ctx, "a1", client.Page{})
			}},
		{name: "Statement", route: rest.GetStatement, path: "/v1/accounts/a1/statement",
			query: "from=2026-01-01T00%3A00%3A00Z&pageSize=10&to=2026-03-02T09%3A30%3A00.123456789Z",
			want: rest.StatementPage{Entries: []rest.StatementEntry{{Account: "a1", Timestamp: t0, TxID: "tx1", Seq: 1,
				Type: rest.EntryCredit, Reference: "p-1", Counterparty: "b1", Amount: amt}}},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Statement(ctx, "a1", client.StatementQuery{From: from, To: t0, Page: client.Page{Size: 10}})
			}},
		{name: "Freeze", route: rest.FreezeAccount, path: "/v1/accounts/a1/freeze", body: freezeBody, want: committed(frozen),
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Freeze(ctx, "a1", rest.FreezeRequest{Reason: "court order"})
			}},
		{name: "FreezeAsync", route: rest.FreezeAccount, async: true, path: "/v1/accounts/a1/freeze", query: "async=true", body: freezeBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.FreezeAsync(ctx, "a1", rest.FreezeRequest{Reason: "court order"})
			}},
		{name: "Unfreeze", route: rest.UnfreezeAccount, path: "/v1/accounts/a1/unfreeze", want: committed(account),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Unfreeze(ctx, "a1") }},
		{name: "UnfreezeAsync", route: rest.UnfreezeAccount, async: true, path: "/v1/accounts/a1/unfreeze", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.UnfreezeAsync(ctx, "a1") }},
		{name: "CloseAccount", route: rest.CloseAccount, path: "/v1/accounts/a1/close", want: committed(account),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.CloseAccount(ctx, "a1") }},
		{name: "CloseAccountAsync", route: rest.CloseAccount, async: true, path: "/v1/accounts/a1/close", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.CloseAccountAsync(ctx, "a1") }},
		{name: "Merge", route: rest.MergeOutputs, path: "/v1/accounts/a1/merge", body: mergeBody, want: committed(merge),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Merge(ctx, "a1", mergeReq) }},
		{name: "MergeAsync", route: rest.MergeOutputs, async: true, path: "/v1/accounts/a1/merge", query: "async=true", body: mergeBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.MergeAsync(ctx, "a1", mergeReq) }},

		{name: "Propose", route: rest.CreateProposal, path: "/v1/proposals", body: propBody, want: committed(proposal),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Propose(ctx, propReq) }},
		{name: "ProposeAsync", route: rest.CreateProposal, async: true, path: "/v1/proposals", query: "async=true", body: propBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ProposeAsync(ctx, propReq) }},
		{name: "GetProposal", route: rest.GetProposal, path: "/v1/proposals/ShanghaiMSP:m1", want: proposal,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetProposal(ctx, "ShanghaiMSP:m1") }},
		{name: "Approve", route: rest.ApproveProposal, path: "/v1/proposals/ShanghaiMSP:m1/approve", want: committed(proposal),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Approve(ctx, "ShanghaiMSP:m1") }},
		{name: "ApproveAsync", route: rest.ApproveProposal, async: true, path: "/v1/proposals/ShanghaiMSP:m1/approve", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.ApproveAsync(ctx, "ShanghaiMSP:m1") }},
		{name: "Execute", route: rest.ExecuteProposal, path: "/v1/proposals/ShanghaiMSP:m1/execute", body: execBody, want: committed(execution),
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Execute(ctx, "ShanghaiMSP:m1", rest.ExecuteRequest{Inputs: []string{"o1"}})
			}},
		{name: "ExecuteAsync", route: rest.ExecuteProposal, async: true, path: "/v1/proposals/ShanghaiMSP:m1/execute", query: "async=true", body: execBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ExecuteAsync(ctx, "ShanghaiMSP:m1", rest.ExecuteRequest{Inputs: []string{"o1"}})
			}},
		{name: "Cancel", route: rest.CancelProposal, path: "/v1/proposals/ShanghaiMSP:m1/cancel", want: committed(proposal),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Cancel(ctx, "ShanghaiMSP:m1") }},
		{name: "CancelAsync", route: rest.CancelProposal, async: true, path: "/v1/proposals/ShanghaiMSP:m1/cancel", query: "async=true", want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.CancelAsync(ctx, "ShanghaiMSP:m1") }},
		{name: "Ceiling", route: rest.GetCeiling, path: "/v1/ceilings/ShanghaiMSP", want: ceiling,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Ceiling(ctx, "ShanghaiMSP") }},
		{name: "Pay", route: rest.CreatePayment, path: "/v1/payments", body: payBody, want: committed(payment),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Pay(ctx, payReq) }},
		{name: "PayAsync", route: rest.CreatePayment, async: true, path: "/v1/payments", query: "async=true", body: payBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.PayAsync(ctx, payReq) }},
		{name: "GetPayment", route: rest.GetPayment, path: "/v1/payments/p-1", want: payment,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.GetPayment(ctx, "p-1") }},
		{name: "PayBatch", route: rest.CreatePaymentBatch, path: "/v1/payment-batches", body: batchBody, want: committed(batch),
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.PayBatch(ctx, batchReq) }},
		{name: "PayBatchAsync", route: rest.CreatePaymentBatch, async: true, path: "/v1/payment-batches", query: "async=true", body: batchBody, want: accepted,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.PayBatchAsync(ctx, batchReq) }},
		{name: "Supply", route: rest.GetSupply, path: "/v1/supply", want: rest.Supply{Total: amt, TxID: "tx1", UpdatedAt: t0},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Supply(ctx) }},
		{name: "AuditSupply", route: rest.AuditSupply, path: "/v1/supply/audit", want: rest.SupplyAudit{Supply: amt, OutputsTotal: amt, Outputs: 3, Balanced: true},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.AuditSupply(ctx) }},
		{name: "Operation", route: rest.GetOperation, path: "/v1/operations/op1",
			want: rest.Operation{OperationID: "op1", Route: rest.CreatePayment.Name, Status: rest.OpCommitted, Created: t0, Updated: t0,
				Result: json.RawMessage(`{"txId":"tx1","blockNumber":7,"result":{"paymentId":"p-1"}}`)},
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Operation(ctx, "op1") }},
	}, append(programmeMethodCases(), interbankMethodCases()...)...)
}

// TestMethods calls every method against a scripted gateway and checks the
// request on the wire and the decoded answer.
func TestMethods(t *testing.T) {
	for _, tc := range methodCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := mustNew(t, f.srv.URL, client.WithToken("tok"), client.WithUserAgent("test/1"))
			status := tc.route.SuccessStatus()
			if tc.async {
				status = http.StatusAccepted
			}
			f.answerJSON(t, status, tc.want)

			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			s := f.last(t)
			if s.method != tc.route.Method {
				t.Errorf("method %s, want %s", s.method, tc.route.Method)
			}
			if s.path != tc.path {
				t.Errorf("path %s, want %s", s.path, tc.path)
			}
			if s.query != tc.query {
				t.Errorf("query %q, want %q", s.query, tc.query)
			}
			if tc.body == "" {
				if len(s.body) != 0 || s.contentType != "" {
					t.Errorf("sent a body (%s) or Content-Type %q to a route without a body", s.body, s.contentType)
				}
			} else {
				if s.contentType != "application/json" {
					t.Errorf("Content-Type %q, want application/json", s.contentType)
				}
				if !jsonEqual(t, s.body, []byte(tc.body)) {
					t.Errorf("body %s, want %s", s.body, tc.body)
				}
			}
			wantAuth := "Bearer tok"
			if tc.route.Public {
				wantAuth = ""
			}
			if s.auth != wantAuth {
				t.Errorf("Authorization %q, want %q", s.auth, wantAuth)
			}
			if s.userAgent != "test/1" || s.accept != "application/json" {
				t.Errorf("User-Agent %q, Accept %q", s.userAgent, s.accept)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded\n %#v\nwant\n %#v", got, tc.want)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// TestEveryRouteHasAMethod fails when rest gains a route the client does
// not call, or a write without its asynchronous twin.
func TestEveryRouteHasAMethod(t *testing.T) {
	covered := map[string]bool{rest.StreamEvents.Name: true} // TestEvents*
	for _, tc := range methodCases() {
		key := tc.route.Name
		if tc.async {
			key += "?async"
		}
		covered[key] = true
	}
	for _, r := range rest.Routes() {
		if r.Name == rest.DocsPage.Name {
			continue // an HTML page for browsers, not an API
		}
		if !covered[r.Name] {
			t.Errorf("route %s (%s %s) has no client method in the table", r.Name, r.Method, r.Path)
		}
		if r.Write && !covered[r.Name+"?async"] {
			t.Errorf("write route %s has no asynchronous method in the table", r.Name)
		}
	}
}

// TestQueryParametersAreDeclared: every query parameter the client sends
// is one the route declares (or async on a write).
func TestQueryParametersAreDeclared(t *testing.T) {
	for _, tc := range methodCases() {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		for k := range q {
			if k == rest.AsyncParam && tc.route.Write {
				continue
			}
			found := false
			for _, p := range tc.route.Params {
				found = found || (p.In == "query" && p.Name == k)
			}
			if !found {
				t.Errorf("%s: query parameter %q is not declared by route %s", tc.name, k, tc.route.Name)
			}
		}
	}
}

// TestEmptyIDIsRefusedLocally: a method with a path ID refuses "" without
// sending anything (GET /v1/accounts/ would be another route).
func TestEmptyIDIsRefusedLocally(t *testing.T) {
	f := newFake(t)
	c := mustNew(t, f.srv.URL)
	ctx := context.Background()
	calls := map[string]func() error{
		"GetAccount":    func() error { _, err := c.GetAccount(ctx, ""); return err },
		"Balance":       func() error { _, err := c.Balance(ctx, ""); return err },
		"Freeze":        func() error { _, err := c.Freeze(ctx, "", rest.FreezeRequest{Reason: "x"}); return err },
		"UnfreezeAsync": func() error { _, err := c.UnfreezeAsync(ctx, ""); return err },
		"Operation":     func() error { _, err := c.Operation(ctx, ""); return err },
		"GetPayment":    func() error { _, err := c.GetPayment(ctx, ""); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if got := client.CodeOf(err); got != client.CodeInvalidArgument {
				t.Fatalf("code %q (%v), want %s", got, err, client.CodeInvalidArgument)
			}
			f.none(t)
		})
	}
}

// TestAllPages pages through outputs and statement entries until the
// bookmark is empty, passing each bookmark back unchanged.
func TestAllPages(t *testing.T) {
	pagesOf := map[string]rest.OutputPage{
		"":   {Outputs: []rest.Output{{ID: "o1"}, {ID: "o2"}}, Bookmark: "b1"},
		"b1": {Outputs: []rest.Output{{ID: "o3"}}, Bookmark: "b2"},
		"b2": {Outputs: []rest.Output{}, Bookmark: ""},
	}
	var mux http.ServeMux
	mux.HandleFunc("GET /v1/accounts/{id}/outputs", func(w http.ResponseWriter, r *http.Request) {
		p, ok := pagesOf[r.URL.Query().Get("bookmark")]
		if !ok || r.URL.Query().Get("pageSize") != "2" {
			http.Error(w, `{"code":"INVALID_REQUEST","message":"bad bookmark or page size"}`, http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	mux.HandleFunc("GET /v1/accounts/{id}/statement", func(w http.ResponseWriter, r *http.Request) {
		// A gateway that answers the bookmark it was sent.
		_ = json.NewEncoder(w).Encode(rest.StatementPage{Entries: []rest.StatementEntry{{Reference: "r"}}, Bookmark: "same"})
	})
	srv := httptestServer(t, &mux)
	c := mustNew(t, srv)

	t.Run("outputs to the end", func(t *testing.T) {
		var ids []string
		for o, err := range c.AllOutputs(context.Background(), "a1", 2) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		if strings.Join(ids, ",") != "o1,o2,o3" {
			t.Fatalf("outputs %v", ids)
		}
	})
	t.Run("break stops paging", func(t *testing.T) {
		n := 0
		for _, err := range c.AllOutputs(context.Background(), "a1", 2) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			break
		}
		if n != 1 {
			t.Fatalf("n = %d", n)
		}
	})
	t.Run("an error ends the iteration", func(t *testing.T) {
		var errs []error
		for _, err := range c.AllOutputs(context.Background(), "a1", 3) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || client.CodeOf(errs[0]) != rest.CodeInvalidRequest {
			t.Fatalf("errors %v", errs)
		}
	})
	t.Run("a bookmark that does not advance", func(t *testing.T) {
		n := 0
		var last error
		for _, err := range c.AllStatementEntries(context.Background(), "a1", client.StatementQuery{Page: client.Page{Bookmark: "same"}}) {
			n++
			last = err
			if n > 10 {
				t.Fatal("paging does not end")
			}
		}
		if client.CodeOf(last) != client.CodeBadResponse {
			t.Fatalf("last error %v", last)
		}
	})
}
