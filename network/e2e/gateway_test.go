package e2e

// Tests through the real yrd-gateway processes (one per province), over
// HTTP, with the bearer tokens network.sh issued. Account IDs start with
// "gw-" so that they never collide with the other tests of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/cli"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// gw is a client of province p's gateway signed in as user.
func gw(t *testing.T, p testnet.Province, user string) *cli.Client {
	t.Helper()
	return gwOn(t, net, p, user)
}

// gwOn is gw on another network than the package's.
func gwOn(t *testing.T, n *testnet.Network, p testnet.Province, user string) *cli.Client {
	t.Helper()
	tok, err := n.GatewayToken(p, user)
	require.NoError(t, err)
	return &cli.Client{BaseURL: n.GatewayURL(p), Token: tok, HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// committedWrite is a 201 answer.
type committedWrite struct {
	TxID        string          `json:"txId"`
	BlockNumber uint64          `json:"blockNumber"`
	Result      json.RawMessage `json:"result"`
}

func post(t *testing.T, c *cli.Client, path string, body any) committedWrite {
	t.Helper()
	resp, err := c.Do(context.Background(), http.MethodPost, path, nil, body)
	require.NoError(t, err, "POST %s", path)
	require.Equal(t, http.StatusCreated, resp.Status)
	var w committedWrite
	require.NoError(t, json.Unmarshal(resp.Body, &w))
	require.NotEmpty(t, w.TxID)
	require.NotZero(t, w.BlockNumber)
	return w
}

func get(t *testing.T, c *cli.Client, path string, q url.Values, into any) {
	t.Helper()
	resp, err := c.Do(context.Background(), http.MethodGet, path, q, nil)
	require.NoError(t, err, "GET %s", path)
	require.Equal(t, http.StatusOK, resp.Status)
	require.NoError(t, json.Unmarshal(resp.Body, into), string(resp.Body))
}

// apiErr asserts err is the gateway's typed error with status and code.
func apiErr(t *testing.T, err error, status int, code string) *cli.APIError {
	t.Helper()
	var ae *cli.APIError
	require.True(t, errors.As(err, &ae), "want %d %s, got %v", status, code, err)
	require.Equal(t, code, ae.Code, ae.Message)
	require.Equal(t, status, ae.Status, ae.Message)
	return ae
}

func gwOpen(t *testing.T, c *cli.Client, id, kind, tier string) committedWrite {
	t.Helper()
	body := map[string]string{"id": id, "kind": kind}
	if tier != "" {
		body["tier"] = tier
	}
	if kind == "customer" {
		body["customerRef"] = "cust-" + id
	}
	return post(t, c, "/v1/accounts", body)
}

func gwMint(t *testing.T, c *cli.Client, id, account, amount string) {
	t.Helper()
	post(t, c, "/v1/mints", map[string]string{"mintId": id, "account": account, "amount": amount, "reserveRef": "dep-" + id})
}

func pay(id, from, to, amount string) map[string]string {
	return map[string]string{"paymentId": id, "from": from, "to": to, "amount": amount}
}

type gwBalance struct {
	Account string `json:"account"`
	Balance string `json:"balance"`
}

func gwBalanceOf(t *testing.T, c *cli.Client, account string) string {
	t.Helper()
	var b gwBalance
	get(t, c, "/v1/accounts/"+account+"/balance", nil, &b)
	return b.Balance
}

// eventually runs check until it passes: a gateway reports a commit once
// its own peer has the block; other provinces' peers may be a block behind.
func eventually(t *testing.T, check func(c *assert.CollectT)) {
	t.Helper()
	require.EventuallyWithT(t, check, 15*time.Second, 100*time.Millisecond)
}

func gwRequireBalance(t *testing.T, c *cli.Client, account, want string) {
	t.Helper()
	eventually(t, func(ct *assert.CollectT) {
		resp, err := c.Do(context.Background(), http.MethodGet, "/v1/accounts/"+account+"/balance", nil, nil)
		if !assert.NoError(ct, err) {
			return
		}
		var b gwBalance
		assert.NoError(ct, json.Unmarshal(resp.Body, &b))
		assert.Equal(ct, want, b.Balance)
	})
}

type gwStatement struct {
	Entries []struct {
		Type         string `json:"type"`
		Reference    string `json:"reference"`
		Counterparty string `json:"counterparty"`
		Amount       string `json:"amount"`
	} `json:"entries"`
}

// TestGatewayPaymentFlow opens accounts in two provinces, mints with the
// issuer's token, pays across provinces, and reads the payment, balances
// and statements through both provinces' gateways; then the error paths:
// repeats (409/422), credentials (401), roles (403).
func TestGatewayPaymentFlow(t *testing.T) {
	shOp, jsOp := gw(t, shanghai, "operator"), gw(t, jiangsu, "operator")
	gwOpen(t, shOp, "gw-sh-reserve", "reserve", "")
	gwOpen(t, jsOp, "gw-js-alice", "customer", "class-II")
	gwMint(t, gw(t, shanghai, "issuer"), "gw-m-1", "gw-sh-reserve", "100000.00")
	require.Equal(t, "100000.00", gwBalanceOf(t, shOp, "gw-sh-reserve"))

	body := pay("gw-p-1", "gw-sh-reserve", "gw-js-alice", "1234.50")
	body["purpose"] = "SALA"
	w := post(t, shOp, "/v1/payments", body)
	var res struct {
		PaymentID string `json:"paymentId"`
		Amount    string `json:"amount"`
		TxID      string `json:"txId"`
	}
	require.NoError(t, json.Unmarshal(w.Result, &res))
	require.Equal(t, "gw-p-1", res.PaymentID)
	require.Equal(t, w.TxID, res.TxID)

	t.Run("read from both provinces", func(t *testing.T) {
		gwRequireBalance(t, jsOp, "gw-js-alice", "1234.50")
		for _, c := range []*cli.Client{shOp, jsOp} {
			var p map[string]any
			get(t, c, "/v1/payments/gw-p-1", nil, &p)
			require.Equal(t, "1234.50", p["amount"])
			require.Equal(t, "SALA", p["purpose"])
			require.Equal(t, "ShanghaiMSP", p["fromMsp"])
			require.Equal(t, "JiangsuMSP", p["toMsp"])
			require.Equal(t, w.TxID, p["txId"])
		}
		require.Equal(t, "98765.50", gwBalanceOf(t, shOp, "gw-sh-reserve"))

		var st gwStatement
		get(t, jsOp, "/v1/accounts/gw-js-alice/statement", nil, &st)
		require.Len(t, st.Entries, 1)
		require.Equal(t, "credit", st.Entries[0].Type)
		require.Equal(t, "gw-p-1", st.Entries[0].Reference)
		require.Equal(t, "gw-sh-reserve", st.Entries[0].Counterparty)
		require.Equal(t, "1234.50", st.Entries[0].Amount)

		get(t, shOp, "/v1/accounts/gw-sh-reserve/statement", url.Values{"pageSize": {"10"}}, &st)
		var kinds []string
		for _, e := range st.Entries {
			kinds = append(kinds, e.Type+":"+e.Reference+":"+e.Amount)
		}
		require.ElementsMatch(t, []string{"mint:gw-m-1:100000.00", "debit:gw-p-1:1234.50"}, kinds)
	})

	t.Run("repeated payment ID", func(t *testing.T) {
		_, err := shOp.Do(context.Background(), http.MethodPost, "/v1/payments", nil, body)
		ae := apiErr(t, err, http.StatusConflict, "DUPLICATE_PAYMENT")
		require.Equal(t, w.TxID, ae.Details["payment"].(map[string]any)["txId"], "the original payment")

		// The same body with the amount spelt differently is the same payment.
		same := map[string]string{"paymentId": "gw-p-1", "from": "gw-sh-reserve", "to": "gw-js-alice", "amount": "1234.5", "purpose": "SALA"}
		_, err = shOp.Do(context.Background(), http.MethodPost, "/v1/payments", nil, same)
		apiErr(t, err, http.StatusConflict, "DUPLICATE_PAYMENT")

		for name, diff := range map[string]map[string]string{
			"amount":  {"paymentId": "gw-p-1", "from": "gw-sh-reserve", "to": "gw-js-alice", "amount": "1.00", "purpose": "SALA"},
			"purpose": {"paymentId": "gw-p-1", "from": "gw-sh-reserve", "to": "gw-js-alice", "amount": "1234.50"},
		} {
			_, err = shOp.Do(context.Background(), http.MethodPost, "/v1/payments", nil, diff)
			ae = apiErr(t, err, http.StatusUnprocessableEntity, "PAYMENT_ID_REUSED")
			require.Equal(t, w.TxID, ae.Details["payment"].(map[string]any)["txId"], name)
		}
		require.Equal(t, "1234.50", gwBalanceOf(t, jsOp, "gw-js-alice"), "nothing moved")
	})

	t.Run("401 without or with a wrong token", func(t *testing.T) {
		for name, tok := range map[string]string{"none": "", "wrong": "not-a-token", "other province's": shOp.Token} {
			c := &cli.Client{BaseURL: net.GatewayURL(jiangsu), Token: tok}
			_, err := c.Do(context.Background(), http.MethodGet, "/v1/accounts/gw-js-alice/balance", nil, nil)
			apiErr(t, err, http.StatusUnauthorized, "UNAUTHENTICATED")
			_, err = c.Do(context.Background(), http.MethodPost, "/v1/payments", nil, pay("gw-p-401-"+name, "gw-sh-reserve", "gw-js-alice", "1.00"))
			apiErr(t, err, http.StatusUnauthorized, "UNAUTHENTICATED")
		}
	})

	t.Run("403 beyond the role", func(t *testing.T) {
		_, err := gw(t, shanghai, "auditor").Do(context.Background(), http.MethodPost, "/v1/payments", nil, pay("gw-p-403", "gw-sh-reserve", "gw-js-alice", "1.00"))
		apiErr(t, err, http.StatusForbidden, "FORBIDDEN")
		_, err = shOp.Do(context.Background(), http.MethodPost, "/v1/mints", nil, map[string]string{"mintId": "gw-m-403", "account": "gw-sh-reserve", "amount": "1.00", "reserveRef": "x"})
		apiErr(t, err, http.StatusForbidden, "FORBIDDEN")
		// Jiangsu's operator may not spend Shanghai's reserve.
		_, err = jsOp.Do(context.Background(), http.MethodPost, "/v1/payments", nil, pay("gw-p-403b", "gw-sh-reserve", "gw-js-alice", "1.00"))
		require.Error(t, err)
		var ae *cli.APIError
		require.ErrorAs(t, err, &ae)
		require.Contains(t, []int{http.StatusForbidden, http.StatusUnprocessableEntity}, ae.Status, ae.Error())
		_, err = shOp.Do(context.Background(), http.MethodGet, "/v1/payments/gw-p-403", nil, nil)
		apiErr(t, err, http.StatusNotFound, "NOT_FOUND")
		require.Equal(t, "98765.50", gwBalanceOf(t, shOp, "gw-sh-reserve"))
	})

	t.Run("async write and status URL", func(t *testing.T) {
		resp, err := shOp.Do(context.Background(), http.MethodPost, "/v1/payments", url.Values{"async": {"true"}}, pay("gw-p-async", "gw-sh-reserve", "gw-js-alice", "10.00"))
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, resp.Status)
		var acc struct{ OperationID, Status, StatusURL string }
		require.NoError(t, json.Unmarshal(resp.Body, &acc))
		require.Equal(t, "pending", acc.Status)
		require.Equal(t, acc.StatusURL, resp.Location)
		var op struct {
			Status string         `json:"status"`
			Result committedWrite `json:"result"`
		}
		require.Eventually(t, func() bool {
			get(t, shOp, acc.StatusURL, nil, &op)
			return op.Status != "pending"
		}, time.Minute, 200*time.Millisecond)
		require.Equal(t, "committed", op.Status)
		require.NotEmpty(t, op.Result.TxID)
		// Only its creator sees the operation.
		_, err = gw(t, shanghai, "auditor").Do(context.Background(), http.MethodGet, acc.StatusURL, nil, nil)
		apiErr(t, err, http.StatusNotFound, "NOT_FOUND")
		gwRequireBalance(t, jsOp, "gw-js-alice", "1244.50")
		var p map[string]any
		get(t, jsOp, "/v1/payments/gw-p-async", nil, &p)
		require.Equal(t, op.Result.TxID, p["txId"])
	})
}

// sseEvent is one business event received over SSE.
type sseEvent struct {
	pos, typ, id string
}

// collect reads events from c until n arrived or the wait ended; it
// returns them and the last event ID.
func collect(t *testing.T, c *cli.Client, opts cli.EventsOptions, n int, wait time.Duration) ([]sseEvent, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var got []sseEvent
	last, err := c.Events(ctx, opts, func(ev cli.Event) error {
		var env struct {
			Events []struct{ Type, ID string } `json:"events"`
		}
		require.NoError(t, json.Unmarshal(ev.Data, &env))
		for _, e := range env.Events {
			got = append(got, sseEvent{ev.ID, e.Type, e.ID})
		}
		if n > 0 && len(got) >= n {
			return cli.ErrStop
		}
		return nil
	})
	if ctx.Err() == nil {
		require.NoError(t, err)
	}
	return got, last
}

func ids(evs []sseEvent) []string {
	var r []string
	for _, e := range evs {
		r = append(r, e.id)
	}
	return r
}

// TestGatewayEventsResume reads some events, disconnects, misses some
// payments, reconnects with Last-Event-ID and receives exactly the missed
// events, none twice.
func TestGatewayEventsResume(t *testing.T) {
	shOp, jsOp := gw(t, shanghai, "operator"), gw(t, jiangsu, "operator")
	opened := gwOpen(t, jsOp, "gw-ev-shop", "merchant", "")
	gwOpen(t, shOp, "gw-ev-reserve", "reserve", "")
	gwMint(t, gw(t, shanghai, "issuer"), "gw-ev-m", "gw-ev-reserve", "1000.00")
	payN := func(from, to int) []string {
		var want []string
		for i := from; i < to; i++ {
			id := fmt.Sprintf("gw-ev-p%d", i)
			post(t, shOp, "/v1/payments", pay(id, "gw-ev-reserve", "gw-ev-shop", "1.00"))
			want = append(want, id)
		}
		return want
	}
	// Events are read at Jiangsu's gateway, filtered to the payee.
	reader := gw(t, jiangsu, "auditor")
	opts := cli.EventsOptions{Type: "Transferred", Account: "gw-ev-shop", FromBlock: &opened.BlockNumber}

	first := payN(0, 3)
	got, last := collect(t, reader, opts, 3, time.Minute)
	require.Equal(t, first, ids(got))
	require.NotEmpty(t, last)

	missed := payN(3, 6)

	opts.LastEventID = last
	got, last2 := collect(t, reader, opts, 3, time.Minute)
	require.Equal(t, missed, ids(got), "exactly the missed events")

	// And nothing more: a later payment is the next event, no repeats before it.
	later := payN(6, 7)
	opts.LastEventID = last2
	got, _ = collect(t, reader, opts, 1, time.Minute)
	require.Equal(t, later, ids(got))

	// Resuming from the middle of the history replays only what follows.
	opts.LastEventID = last
	got, _ = collect(t, reader, opts, 4, time.Minute)
	require.Equal(t, append(append([]string{}, missed...), later...), ids(got))

	// A malformed Last-Event-ID is refused.
	opts.LastEventID = "yesterday"
	_, err := reader.Events(context.Background(), opts, func(cli.Event) error { return cli.ErrStop })
	apiErr(t, err, http.StatusBadRequest, "INVALID_REQUEST")
}

// TestGatewayConcurrentPayments sends 200 payments at once from one
// reserve account through one gateway: all must commit, none fail.
func TestGatewayConcurrentPayments(t *testing.T) {
	shOp, jsOp := gw(t, shanghai, "operator"), gw(t, jiangsu, "operator")
	gwOpen(t, shOp, "gw-hot-reserve", "reserve", "")
	gwOpen(t, jsOp, "gw-hot-shop", "merchant", "")
	gwMint(t, gw(t, shanghai, "issuer"), "gw-hot-m", "gw-hot-reserve", "1000000.00")

	const n = 200
	type outcome struct {
		status int
		code   string
		d      time.Duration
	}
	results := make([]outcome, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			resp, err := shOp.Do(context.Background(), http.MethodPost, "/v1/payments", nil,
				pay(fmt.Sprintf("gw-hot-p%03d", i), "gw-hot-reserve", "gw-hot-shop", "1.00"))
			results[i].d = time.Since(t0)
			var ae *cli.APIError
			switch {
			case err == nil:
				results[i].status = resp.Status
			case errors.As(err, &ae):
				results[i].status, results[i].code = ae.Status, ae.Code
			default:
				results[i].code = err.Error()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)

	byOutcome := map[string]int{}
	var lat []time.Duration
	for _, r := range results {
		byOutcome[fmt.Sprintf("%d %s", r.status, r.code)]++
		lat = append(lat, r.d)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("%d concurrent payments from one reserve account: outcomes %v, wall %s, %.1f committed/s, latency p50 %s p95 %s max %s",
		n, byOutcome, wall.Round(time.Millisecond), float64(byOutcome["201 "])/wall.Seconds(),
		lat[n/2].Round(time.Millisecond), lat[n*95/100].Round(time.Millisecond), lat[n-1].Round(time.Millisecond))
	require.Equal(t, map[string]int{"201 ": n}, byOutcome)

	gwRequireBalance(t, jsOp, "gw-hot-shop", "200.00")
	require.Equal(t, "999800.00", gwBalanceOf(t, shOp, "gw-hot-reserve"))
	var audit struct {
		Balanced bool `json:"balanced"`
	}
	get(t, gw(t, anhui, "auditor"), "/v1/supply/audit", nil, &audit)
	require.True(t, audit.Balanced)
}

// TestYrdctl runs the built yrdctl binary against the real gateways.
func TestYrdctl(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "yrdctl")
	build := exec.Command("go", "build", "-o", bin, "./gateway/cmd/yrdctl")
	build.Dir = net.Root
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	tokenFile := func(p testnet.Province, user string) string {
		return filepath.Join(net.StateDir, "orgs", p.Name, "gateway", "tokens", user)
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	ctl := func(p testnet.Province, user string, args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "YRD_URL="+net.GatewayURL(p), "YRD_TOKEN=", "YRD_TOKEN_FILE="+tokenFile(p, user))
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return result{code, o.String(), e.String()}
	}
	ok := func(r result) string {
		t.Helper()
		require.Equal(t, 0, r.code, r.stderr)
		return r.stdout
	}

	ok(ctl(zhejiang, "operator", "account", "open", "gw-ctl-reserve", "--kind", "reserve"))
	out1 := ok(ctl(anhui, "operator", "account", "open", "gw-ctl-bob", "--kind", "customer", "--tier", "class-II", "--customer-ref", "bob-1"))
	require.Regexp(t, `(?m)^status\s+committed$`, out1)
	require.Regexp(t, `(?m)^id\s+gw-ctl-bob$`, out1)
	ok(ctl(zhejiang, "issuer", "mint", "--id", "gw-ctl-m", "--account", "gw-ctl-reserve", "--amount", "500.00", "--reserve-ref", "dep-ctl"))
	out1 = ok(ctl(zhejiang, "operator", "pay", "--id", "gw-ctl-p", "--from", "gw-ctl-reserve", "--to", "gw-ctl-bob", "--amount", "42.50", "--purpose", "GDDS"))
	require.Regexp(t, `(?m)^block\s+\d+$`, out1)
	require.Regexp(t, `(?m)^amount\s+42\.50$`, out1)

	gwRequireBalance(t, gw(t, anhui, "operator"), "gw-ctl-bob", "42.50")
	require.Regexp(t, `(?m)^balance\s+42\.50$`, ok(ctl(anhui, "operator", "account", "balance", "gw-ctl-bob")))
	st := ok(ctl(anhui, "operator", "account", "statement", "gw-ctl-bob"))
	require.Regexp(t, `(?m)^TIME\s+TYPE\s+AMOUNT`, st)
	require.Regexp(t, `credit\s+42\.50\s+gw-ctl-reserve\s+gw-ctl-p`, st)

	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok(ctl(anhui, "auditor", "--json", "payment", "get", "gw-ctl-p"))), &p))
	require.Equal(t, "42.50", p["amount"])
	require.Equal(t, "AnhuiMSP", p["toMsp"])

	require.Regexp(t, `(?m)^role\s+compliance$`, ok(ctl(anhui, "compliance", "whoami")))
	ok(ctl(anhui, "compliance", "account", "freeze", "gw-ctl-bob", "--reason", "KYC review"))
	require.Regexp(t, `(?m)^status\s+frozen$`, ok(ctl(anhui, "operator", "account", "get", "gw-ctl-bob")))
	ok(ctl(anhui, "compliance", "account", "unfreeze", "gw-ctl-bob"))

	events := ok(ctl(anhui, "auditor", "events", "tail", "--account", "gw-ctl-bob", "--type", "Transferred", "--from-block", "1", "--count", "1"))
	require.Regexp(t, `^\d+:\d+\s+Transferred\s+id=gw-ctl-p from=gw-ctl-reserve to=gw-ctl-bob amount=42\.50`, events)

	require.Regexp(t, `(?m)^total\s+\d+\.\d\d$`, ok(ctl(anhui, "auditor", "supply")))

	r := ctl(zhejiang, "auditor", "pay", "--id", "gw-ctl-p2", "--from", "gw-ctl-reserve", "--to", "gw-ctl-bob", "--amount", "1")
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "error FORBIDDEN: "), r.stderr)
	r = ctl(zhejiang, "operator", "pay", "--id", "gw-ctl-p", "--from", "gw-ctl-reserve", "--to", "gw-ctl-bob", "--amount", "42.50", "--purpose", "GDDS")
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "error DUPLICATE_PAYMENT: "), r.stderr)
	r = ctl(zhejiang, "operator", "--token", "wrong", "supply")
	require.Equal(t, 1, r.code)
	require.Equal(t, "error UNAUTHENTICATED: missing or unknown credentials\n", r.stderr)
}
