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
	"io"
	"net/http"
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

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// gw is a client of province p's gateway signed in as user.
func gw(t *testing.T, p testnet.Province, user string) *client.Client {
	t.Helper()
	return gwOn(t, net, p, user)
}

// gwOn is gw on another network than the package's, with extra options.
func gwOn(t *testing.T, n *testnet.Network, p testnet.Province, user string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := n.GatewayClient(p, user, opts...)
	require.NoError(t, err)
	return c
}

// committed requires a write to have committed: a transaction ID and a
// block (the client has checked the 201).
func committed[T any](t *testing.T, res rest.Committed[T], err error) rest.Committed[T] {
	t.Helper()
	require.NoError(t, err)
	require.NotEmpty(t, res.TxID)
	require.NotZero(t, res.BlockNumber)
	return res
}

// apiErr asserts err is the client's error with HTTP status and code.
func apiErr(t *testing.T, err error, status int, code string) *client.Error {
	t.Helper()
	var ae *client.Error
	require.True(t, errors.As(err, &ae), "want %d %s, got %v", status, code, err)
	require.Equal(t, code, ae.Code, ae.Message)
	require.Equal(t, status, ae.Status, ae.Message)
	return ae
}

func gwOpen(t *testing.T, c *client.Client, id, kind, tier string) rest.Committed[rest.Account] {
	t.Helper()
	req := rest.OpenAccountRequest{ID: id, Kind: kind, Tier: tier}
	if kind == rest.KindCustomer {
		req.CustomerRef = "cust-" + id
	}
	res, err := c.OpenAccount(context.Background(), req)
	return committed(t, res, err)
}

func gwMint(t *testing.T, c *client.Client, id, account, amount string) rest.Committed[rest.Mint] {
	t.Helper()
	res, err := c.Mint(context.Background(), rest.MintRequest{MintID: id, Account: account, Amount: money.MustParseYuan(amount), ReserveRef: "dep-" + id})
	return committed(t, res, err)
}

func gwPay(t *testing.T, c *client.Client, req rest.PaymentRequest) rest.Committed[rest.Payment] {
	t.Helper()
	res, err := c.Pay(context.Background(), req)
	return committed(t, res, err)
}

func pay(id, from, to, amount string) rest.PaymentRequest {
	return rest.PaymentRequest{PaymentID: id, From: from, To: to, Amount: money.MustParseYuan(amount)}
}

func gwBalanceOf(t *testing.T, c *client.Client, account string) string {
	t.Helper()
	b, err := c.Balance(context.Background(), account)
	require.NoError(t, err)
	return b.Balance.String()
}

// eventually runs check until it passes: a gateway reports a commit once
// its own peer has the block; other provinces' peers may be a block behind.
func eventually(t *testing.T, check func(c *assert.CollectT)) {
	t.Helper()
	require.EventuallyWithT(t, check, 15*time.Second, 100*time.Millisecond)
}

func gwRequireBalance(t *testing.T, c *client.Client, account, want string) {
	t.Helper()
	eventually(t, func(ct *assert.CollectT) {
		b, err := c.Balance(context.Background(), account)
		if assert.NoError(ct, err) {
			assert.Equal(ct, want, b.Balance.String())
		}
	})
}

// rawPost sends body as it is to route of province p's gateway as user: for
// wire forms the typed client never writes. It returns the status and the
// error answer, if any.
func rawPost(t *testing.T, p testnet.Province, user string, route rest.Route, body string) (int, rest.Error) {
	t.Helper()
	tok, err := net.GatewayToken(p, user)
	require.NoError(t, err)
	req, err := http.NewRequest(route.Method, net.GatewayURL(p)+route.Path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(t, err)
	var e rest.Error
	if resp.StatusCode >= 300 {
		require.NoError(t, json.Unmarshal(b, &e), string(b))
	}
	return resp.StatusCode, e
}

// headerRecorder is an HTTP transport that keeps the Location header of the
// last 202 answer it carried.
type headerRecorder struct {
	mu       sync.Mutex
	location string
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusAccepted {
		h.mu.Lock()
		h.location = resp.Header.Get("Location")
		h.mu.Unlock()
	}
	return resp, err
}

func (h *headerRecorder) lastLocation() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.location
}

// TestGatewayPaymentFlow opens accounts in two provinces, mints with the
// issuer's token, pays across provinces, and reads the payment, balances
// and statements through both provinces' gateways; then the error paths:
// repeats (409/422), credentials (401), roles (403).
func TestGatewayPaymentFlow(t *testing.T) {
	ctx := context.Background()
	shOp, jsOp := gw(t, shanghai, "operator"), gw(t, jiangsu, "operator")
	gwOpen(t, shOp, "gw-sh-reserve", rest.KindReserve, "")
	gwOpen(t, jsOp, "gw-js-alice", rest.KindCustomer, rest.TierClassII)
	gwMint(t, gw(t, shanghai, "issuer"), "gw-m-1", "gw-sh-reserve", "100000.00")
	require.Equal(t, "100000.00", gwBalanceOf(t, shOp, "gw-sh-reserve"))

	body := pay("gw-p-1", "gw-sh-reserve", "gw-js-alice", "1234.50")
	body.Purpose = "SALA"
	w := gwPay(t, shOp, body)
	require.Equal(t, "gw-p-1", w.Result.PaymentID)
	require.Equal(t, w.TxID, w.Result.TxID)

	t.Run("read from both provinces", func(t *testing.T) {
		gwRequireBalance(t, jsOp, "gw-js-alice", "1234.50")
		for _, c := range []*client.Client{shOp, jsOp} {
			p, err := c.GetPayment(ctx, "gw-p-1")
			require.NoError(t, err)
			require.Equal(t, "1234.50", p.Amount.String())
			require.Equal(t, "SALA", p.Purpose)
			require.Equal(t, "ShanghaiMSP", p.FromMSP)
			require.Equal(t, "JiangsuMSP", p.ToMSP)
			require.Equal(t, w.TxID, p.TxID)
		}
		require.Equal(t, "98765.50", gwBalanceOf(t, shOp, "gw-sh-reserve"))

		st, err := jsOp.Statement(ctx, "gw-js-alice", client.StatementQuery{})
		require.NoError(t, err)
		require.Len(t, st.Entries, 1)
		require.Equal(t, rest.EntryCredit, st.Entries[0].Type)
		require.Equal(t, "gw-p-1", st.Entries[0].Reference)
		require.Equal(t, "gw-sh-reserve", st.Entries[0].Counterparty)
		require.Equal(t, "1234.50", st.Entries[0].Amount.String())

		st, err = shOp.Statement(ctx, "gw-sh-reserve", client.StatementQuery{Page: client.Page{Size: 10}})
		require.NoError(t, err)
		var kinds []string
		for _, e := range st.Entries {
			kinds = append(kinds, e.Type+":"+e.Reference+":"+e.Amount.String())
		}
		require.ElementsMatch(t, []string{"mint:gw-m-1:100000.00", "debit:gw-p-1:1234.50"}, kinds)
	})

	t.Run("repeated payment ID", func(t *testing.T) {
		_, err := shOp.Pay(ctx, body)
		ae := apiErr(t, err, http.StatusConflict, rest.CodeDuplicatePayment)
		orig, ok := ae.Payment()
		require.True(t, ok, "the answer carries the original payment")
		require.Equal(t, w.TxID, orig.TxID)

		// The same body with the amount spelt differently is the same
		// payment (sent raw: the typed client always writes two decimals).
		status, e := rawPost(t, shanghai, "operator", rest.CreatePayment,
			`{"paymentId":"gw-p-1","from":"gw-sh-reserve","to":"gw-js-alice","amount":"1234.5","purpose":"SALA"}`)
		require.Equal(t, http.StatusConflict, status)
		require.Equal(t, rest.CodeDuplicatePayment, e.Code, e.Message)

		amount := pay("gw-p-1", "gw-sh-reserve", "gw-js-alice", "1.00")
		amount.Purpose = "SALA"
		for name, diff := range map[string]rest.PaymentRequest{
			"amount":  amount,
			"purpose": pay("gw-p-1", "gw-sh-reserve", "gw-js-alice", "1234.50"),
		} {
			_, err = shOp.Pay(ctx, diff)
			ae = apiErr(t, err, http.StatusUnprocessableEntity, rest.CodePaymentIDReused)
			orig, ok := ae.Payment()
			require.True(t, ok, name)
			require.Equal(t, w.TxID, orig.TxID, name)
		}
		require.Equal(t, "1234.50", gwBalanceOf(t, jsOp, "gw-js-alice"), "nothing moved")
	})

	t.Run("401 without or with a wrong token", func(t *testing.T) {
		shTok, err := net.GatewayToken(shanghai, "operator")
		require.NoError(t, err)
		for name, tok := range map[string]string{"none": "", "wrong": "not-a-token", "other province's": shTok} {
			var opts []client.Option
			if tok != "" {
				opts = append(opts, client.WithToken(tok))
			}
			c, err := client.New(net.GatewayURL(jiangsu), opts...)
			require.NoError(t, err)
			_, err = c.Balance(ctx, "gw-js-alice")
			apiErr(t, err, http.StatusUnauthorized, rest.CodeUnauthenticated)
			_, err = c.Pay(ctx, pay("gw-p-401-"+strings.ReplaceAll(name, " ", "-"), "gw-sh-reserve", "gw-js-alice", "1.00"))
			apiErr(t, err, http.StatusUnauthorized, rest.CodeUnauthenticated)
		}
	})

	t.Run("403 beyond the role", func(t *testing.T) {
		_, err := gw(t, shanghai, "auditor").Pay(ctx, pay("gw-p-403", "gw-sh-reserve", "gw-js-alice", "1.00"))
		apiErr(t, err, http.StatusForbidden, rest.CodeForbidden)
		_, err = shOp.Mint(ctx, rest.MintRequest{MintID: "gw-m-403", Account: "gw-sh-reserve", Amount: money.MustParseYuan("1.00"), ReserveRef: "x"})
		apiErr(t, err, http.StatusForbidden, rest.CodeForbidden)
		// Jiangsu's operator may not spend Shanghai's reserve.
		_, err = jsOp.Pay(ctx, pay("gw-p-403b", "gw-sh-reserve", "gw-js-alice", "1.00"))
		var ae *client.Error
		require.ErrorAs(t, err, &ae)
		require.Contains(t, []int{http.StatusForbidden, http.StatusUnprocessableEntity}, ae.Status, ae.Error())
		_, err = shOp.GetPayment(ctx, "gw-p-403")
		apiErr(t, err, http.StatusNotFound, rest.CodeNotFound)
		require.Equal(t, "98765.50", gwBalanceOf(t, shOp, "gw-sh-reserve"))
	})

	t.Run("async write and status URL", func(t *testing.T) {
		rec := &headerRecorder{}
		c := gwOn(t, net, shanghai, "operator", client.WithHTTPClient(&http.Client{Transport: rec}), client.WithPollInterval(200*time.Millisecond))
		acc, err := c.PayAsync(ctx, pay("gw-p-async", "gw-sh-reserve", "gw-js-alice", "10.00"))
		require.NoError(t, err)
		require.Equal(t, rest.OpPending, acc.Status)
		require.Equal(t, acc.StatusURL, rec.lastLocation())
		require.Equal(t, rest.GetOperation.PathFor(acc.OperationID), acc.StatusURL)
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		op, err := c.WaitOperation(wctx, acc.OperationID)
		require.NoError(t, err)
		require.Equal(t, rest.OpCommitted, op.Status)
		res, err := client.OperationResult[rest.Payment](op)
		require.NoError(t, err)
		require.NotEmpty(t, res.TxID)
		// Only its creator sees the operation.
		_, err = gw(t, shanghai, "auditor").Operation(ctx, acc.OperationID)
		apiErr(t, err, http.StatusNotFound, rest.CodeOperationNotFound)
		gwRequireBalance(t, jsOp, "gw-js-alice", "1244.50")
		p, err := jsOp.GetPayment(ctx, "gw-p-async")
		require.NoError(t, err)
		require.Equal(t, res.TxID, p.TxID)
	})
}

// sseEvent is one business event received over SSE.
type sseEvent struct {
	pos, typ, id string
}

// collect reads events from c until n arrived or the wait ended; it
// returns them and the last event ID.
func collect(t *testing.T, c *client.Client, opts client.EventsOptions, n int, wait time.Duration) ([]sseEvent, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var got []sseEvent
	last, err := c.Events(ctx, opts, func(ev client.Event) error {
		for _, e := range ev.Data.Events {
			got = append(got, sseEvent{ev.ID, e.Type, e.ID})
		}
		if n > 0 && len(got) >= n {
			return client.ErrStop
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
	opened := gwOpen(t, jsOp, "gw-ev-shop", rest.KindMerchant, "")
	gwOpen(t, shOp, "gw-ev-reserve", rest.KindReserve, "")
	gwMint(t, gw(t, shanghai, "issuer"), "gw-ev-m", "gw-ev-reserve", "1000.00")
	payN := func(from, to int) []string {
		var want []string
		for i := from; i < to; i++ {
			id := fmt.Sprintf("gw-ev-p%d", i)
			gwPay(t, shOp, pay(id, "gw-ev-reserve", "gw-ev-shop", "1.00"))
			want = append(want, id)
		}
		return want
	}
	// Events are read at Jiangsu's gateway, filtered to the payee.
	reader := gw(t, jiangsu, "auditor")
	opts := client.EventsOptions{Type: "Transferred", Account: "gw-ev-shop", FromBlock: &opened.BlockNumber}

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
	_, err := reader.Events(context.Background(), opts, func(client.Event) error { return client.ErrStop })
	apiErr(t, err, http.StatusBadRequest, rest.CodeInvalidRequest)
}

// TestGatewayConcurrentPayments sends 200 payments at once from one
// reserve account through one gateway: all must commit, none fail.
func TestGatewayConcurrentPayments(t *testing.T) {
	shOp, jsOp := gw(t, shanghai, "operator"), gw(t, jiangsu, "operator")
	gwOpen(t, shOp, "gw-hot-reserve", rest.KindReserve, "")
	gwOpen(t, jsOp, "gw-hot-shop", rest.KindMerchant, "")
	gwMint(t, gw(t, shanghai, "issuer"), "gw-hot-m", "gw-hot-reserve", "1000000.00")

	const n = 200
	results := make([]payOutcome, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			_, err := shOp.Pay(context.Background(), pay(fmt.Sprintf("gw-hot-p%03d", i), "gw-hot-reserve", "gw-hot-shop", "1.00"))
			results[i] = outcomeOf(err)
			results[i].d = time.Since(t0)
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
	audit, err := gw(t, anhui, "auditor").AuditSupply(context.Background())
	require.NoError(t, err)
	require.True(t, audit.Balanced)
}

// payOutcome is how a payment call ended: 201 (the client returns no error
// only for a 201 with a committed payment), or the error's status and code.
type payOutcome struct {
	status int
	code   string
	d      time.Duration
}

// outcomeOf classifies a write's error without asserting, for goroutines.
func outcomeOf(err error) payOutcome {
	var ae *client.Error
	switch {
	case err == nil:
		return payOutcome{status: http.StatusCreated}
	case errors.As(err, &ae):
		return payOutcome{status: ae.Status, code: ae.Code}
	default:
		return payOutcome{code: err.Error()}
	}
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
