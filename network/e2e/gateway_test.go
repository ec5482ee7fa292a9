package e2e

// Tests through the real yrd-gateway processes (one per province), over
// HTTP, with the bearer tokens network.sh issued. IDs are in their bank's
// (or, for proposals, province's) namespace, and their local part starts
// with "gw-" so that they never collide with the other tests of the
// package.

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
	"regexp"
	"sort"
	"strconv"
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

// gwOpen opens account id as c's client: a customer account with a
// customer reference (the gateway sends only its keyed hash), a merchant
// account with its category.
func gwOpen(t *testing.T, c *client.Client, id, kind, tier string) rest.Committed[rest.Account] {
	t.Helper()
	req := rest.OpenAccountRequest{ID: id, Kind: kind, Tier: tier}
	switch kind {
	case rest.KindCustomer:
		req.CustomerRef = "cust-" + id
	case rest.KindMerchant:
		req.MerchantCategory = merchantCategory
	}
	res, err := c.OpenAccount(context.Background(), req)
	return committed(t, res, err)
}

// gwDecide takes a decision through network n's gateways: proposed by
// province p's issuer, approved by the issuers of the next two provinces
// (three provinces in all), executed by p's issuer. Each step waits until
// every peer has its block, since the next runs at another gateway.
func gwDecide(t *testing.T, n *testnet.Network, p testnet.Province, req rest.ProposalRequest) rest.Execution {
	t.Helper()
	ctx := context.Background()
	i0 := provinceIndex(p)
	prop, err := gwOn(t, n, p, "issuer").Propose(ctx, req)
	committed(t, prop, err)
	require.False(t, prop.Result.Approved, "one province approved %s", req.ID)
	require.NoError(t, waitHeightsOn(n, prop.BlockNumber+1))
	for k := 1; k <= 2; k++ {
		q := testnet.Provinces[(i0+k)%len(testnet.Provinces)]
		a, err := gwOn(t, n, q, "issuer").Approve(ctx, req.ID)
		committed(t, a, err)
		require.Equal(t, k == 2, a.Result.Approved, "%s approved by %d provinces", req.ID, k+1)
		require.NoError(t, waitHeightsOn(n, a.BlockNumber+1))
	}
	ex, err := gwOn(t, n, p, "issuer").Execute(ctx, req.ID, rest.ExecuteRequest{})
	committed(t, ex, err)
	require.Equal(t, rest.ProposalExecuted, ex.Result.Proposal.Status)
	require.NoError(t, waitHeightsOn(n, ex.BlockNumber+1))
	return ex.Result
}

// gwSetCeiling gives province p of network n an issuance ceiling.
func gwSetCeiling(t *testing.T, n *testnet.Network, p testnet.Province, local, ceiling string) rest.Ceiling {
	t.Helper()
	ex := gwDecide(t, n, p, rest.ProposalRequest{ID: proposalID(p, local), Action: rest.ActionCeiling,
		Ceiling: &rest.CeilingParams{MSP: p.MSPID, Ceiling: money.MustParseYuan(ceiling)}})
	require.NotNil(t, ex.Ceiling)
	return *ex.Ceiling
}

// gwMint issues amount into reserve, a reserve account of province p's
// central-bank branch, by a decision taken through network n's gateways
// (on the shared network, within the ceilings ensureCeilings set).
func gwMint(t *testing.T, n *testnet.Network, p testnet.Province, local, reserve, amount string) rest.Mint {
	t.Helper()
	if n == net {
		ensureCeilings(t)
	}
	ex := gwDecide(t, n, p, rest.ProposalRequest{ID: proposalID(p, local), Action: rest.ActionMint,
		Mint: &rest.MintParams{Account: reserve, Amount: money.MustParseYuan(amount), ReserveRef: "dep-" + local}})
	require.NotNil(t, ex.Mint)
	return *ex.Mint
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

// TestGatewayPaymentFlow opens accounts of three banks in two provinces,
// mints by a decision of three provinces' issuers, funds a bank from the
// reserve, pays across provinces, and reads the payment, balances and
// statements through both provinces' gateways; then the error paths:
// repeats (409/422), credentials (401), roles (403), scope (404).
func TestGatewayPaymentFlow(t *testing.T) {
	ctx := context.Background()
	shIss, shOp, jsOp := gw(t, shanghai, "issuer"), gw(t, shanghai, "operator"), gw(t, jiangsu, "operator")
	reserve, settlement := bankID(shanghai, "issuer", "gw-reserve"), bankID(shanghai, "operator", "gw-settle")
	alice := bankID(jiangsu, "operator", "gw-alice")
	gwOpen(t, shIss, reserve, rest.KindReserve, "")
	gwOpen(t, shOp, settlement, rest.KindSettlement, "")
	gwOpen(t, jsOp, alice, rest.KindCustomer, rest.TierClassII)
	m := gwMint(t, net, shanghai, "gw-m-1", reserve, "100000.00")
	require.Equal(t, "100000.00", gwBalanceOf(t, shIss, reserve))
	fundID := bankID(shanghai, "issuer", "gw-fund-1")
	gwPay(t, shIss, pay(fundID, reserve, settlement, "100000.00"))
	require.Equal(t, "0.00", gwBalanceOf(t, shIss, reserve))
	require.Equal(t, "100000.00", gwBalanceOf(t, shOp, settlement))

	payID := bankID(shanghai, "operator", "gw-p-1")
	body := pay(payID, settlement, alice, "1234.50")
	body.Purpose = "SALA"
	w := gwPay(t, shOp, body)
	require.Equal(t, payID, w.Result.PaymentID)
	require.Equal(t, w.TxID, w.Result.TxID)

	t.Run("read from both provinces", func(t *testing.T) {
		gwRequireBalance(t, jsOp, alice, "1234.50")
		for _, c := range []*client.Client{shOp, jsOp} {
			p, err := c.GetPayment(ctx, payID)
			require.NoError(t, err)
			require.Equal(t, "1234.50", p.Amount.String())
			require.Equal(t, "SALA", p.Purpose)
			require.Equal(t, "ShanghaiMSP", p.FromMSP)
			require.Equal(t, "JiangsuMSP", p.ToMSP)
			require.Equal(t, "SH-CITY", p.FromBank)
			require.Equal(t, "JS-CITY", p.ToBank)
			require.Equal(t, w.TxID, p.TxID)
		}
		require.Equal(t, "98765.50", gwBalanceOf(t, shOp, settlement))

		st, err := jsOp.Statement(ctx, alice, client.StatementQuery{})
		require.NoError(t, err)
		require.Len(t, st.Entries, 1)
		require.Equal(t, rest.EntryCredit, st.Entries[0].Type)
		require.Equal(t, payID, st.Entries[0].Reference)
		require.Equal(t, settlement, st.Entries[0].Counterparty)
		require.Equal(t, "1234.50", st.Entries[0].Amount.String())

		lines := func(c *client.Client, account string) []string {
			st, err := c.Statement(ctx, account, client.StatementQuery{Page: client.Page{Size: 10}})
			require.NoError(t, err)
			var out []string
			for _, e := range st.Entries {
				out = append(out, e.Type+":"+e.Reference+":"+e.Amount.String())
			}
			return out
		}
		require.ElementsMatch(t, []string{"credit:" + fundID + ":100000.00", "debit:" + payID + ":1234.50"}, lines(shOp, settlement))
		require.ElementsMatch(t, []string{"mint:" + m.MintID + ":100000.00", "debit:" + fundID + ":100000.00"}, lines(shIss, reserve))
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
			`{"paymentId":"`+payID+`","from":"`+settlement+`","to":"`+alice+`","amount":"1234.5","purpose":"SALA"}`)
		require.Equal(t, http.StatusConflict, status)
		require.Equal(t, rest.CodeDuplicatePayment, e.Code, e.Message)

		amount := pay(payID, settlement, alice, "1.00")
		amount.Purpose = "SALA"
		for name, diff := range map[string]rest.PaymentRequest{
			"amount":  amount,
			"purpose": pay(payID, settlement, alice, "1234.50"),
		} {
			_, err = shOp.Pay(ctx, diff)
			ae = apiErr(t, err, http.StatusUnprocessableEntity, rest.CodePaymentIDReused)
			orig, ok := ae.Payment()
			require.True(t, ok, name)
			require.Equal(t, w.TxID, orig.TxID, name)
		}
		require.Equal(t, "1234.50", gwBalanceOf(t, jsOp, alice), "nothing moved")
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
			_, err = c.Balance(ctx, alice)
			apiErr(t, err, http.StatusUnauthorized, rest.CodeUnauthenticated)
			_, err = c.Pay(ctx, pay(bankID(shanghai, "operator", "gw-p-401-"+strings.ReplaceAll(name, " ", "-")), settlement, alice, "1.00"))
			apiErr(t, err, http.StatusUnauthorized, rest.CodeUnauthenticated)
		}
	})

	t.Run("403 beyond the role, 404 beyond the scope", func(t *testing.T) {
		_, err := gw(t, shanghai, "auditor").Pay(ctx, pay(bankID(shanghai, "operator", "gw-p-403"), settlement, alice, "1.00"))
		apiErr(t, err, http.StatusForbidden, rest.CodeForbidden)
		// Operators take no part in issuance.
		_, err = shOp.Propose(ctx, rest.ProposalRequest{ID: proposalID(shanghai, "gw-m-403"), Action: rest.ActionMint,
			Mint: &rest.MintParams{Account: reserve, Amount: money.MustParseYuan("1.00"), ReserveRef: "x"}})
		apiErr(t, err, http.StatusForbidden, rest.CodeForbidden)
		// Shanghai's account is out of Jiangsu's operator's scope: as
		// missing as an account that does not exist.
		_, err = jsOp.Pay(ctx, pay(bankID(jiangsu, "operator", "gw-p-404"), settlement, alice, "1.00"))
		apiErr(t, err, http.StatusNotFound, rest.CodeNotFound)
		_, err = jsOp.GetAccount(ctx, settlement)
		apiErr(t, err, http.StatusNotFound, rest.CodeNotFound)
		_, err = shOp.GetPayment(ctx, bankID(shanghai, "operator", "gw-p-403"))
		apiErr(t, err, http.StatusNotFound, rest.CodeNotFound)
		require.Equal(t, "98765.50", gwBalanceOf(t, shOp, settlement))
	})

	t.Run("async write and status URL", func(t *testing.T) {
		rec := &headerRecorder{}
		c := gwOn(t, net, shanghai, "operator", client.WithHTTPClient(&http.Client{Transport: rec}), client.WithPollInterval(200*time.Millisecond))
		asyncID := bankID(shanghai, "operator", "gw-p-async")
		acc, err := c.PayAsync(ctx, pay(asyncID, settlement, alice, "10.00"))
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
		gwRequireBalance(t, jsOp, alice, "1244.50")
		p, err := jsOp.GetPayment(ctx, asyncID)
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
	shIss, jsOp := gw(t, shanghai, "issuer"), gw(t, jiangsu, "operator")
	shop, reserve := bankID(jiangsu, "operator", "gw-ev-shop"), bankID(shanghai, "issuer", "gw-ev-reserve")
	opened := gwOpen(t, jsOp, shop, rest.KindMerchant, "")
	gwOpen(t, shIss, reserve, rest.KindReserve, "")
	gwMint(t, net, shanghai, "gw-ev-m", reserve, "1000.00")
	payN := func(from, to int) []string {
		var want []string
		for i := from; i < to; i++ {
			id := bankID(shanghai, "issuer", fmt.Sprintf("gw-ev-p%d", i))
			gwPay(t, shIss, pay(id, reserve, shop, "1.00"))
			want = append(want, id)
		}
		return want
	}
	// Events are read at Jiangsu's gateway, filtered to the payee.
	reader := gw(t, jiangsu, "auditor")
	opts := client.EventsOptions{Type: "Transferred", Account: shop, FromBlock: &opened.BlockNumber}

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

	// The payee's bank sees the same payments (they name its account).
	opts.LastEventID = ""
	got, _ = collect(t, jsOp, opts, 7, time.Minute)
	require.Equal(t, append(append(append([]string{}, first...), missed...), later...), ids(got))

	// A malformed Last-Event-ID is refused.
	opts.LastEventID = "yesterday"
	_, err := reader.Events(context.Background(), opts, func(client.Event) error { return client.ErrStop })
	apiErr(t, err, http.StatusBadRequest, rest.CodeInvalidRequest)
}

// TestGatewayConcurrentPayments sends 200 payments at once from one
// reserve account through one gateway: all must commit, none fail.
func TestGatewayConcurrentPayments(t *testing.T) {
	shIss, jsOp := gw(t, shanghai, "issuer"), gw(t, jiangsu, "operator")
	reserve, shop := bankID(shanghai, "issuer", "gw-hot-reserve"), bankID(jiangsu, "operator", "gw-hot-shop")
	gwOpen(t, shIss, reserve, rest.KindReserve, "")
	gwOpen(t, jsOp, shop, rest.KindMerchant, "")
	gwMint(t, net, shanghai, "gw-hot-m", reserve, "1000000.00")

	const n = 200
	results := make([]payOutcome, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			_, err := shIss.Pay(context.Background(), pay(bankID(shanghai, "issuer", fmt.Sprintf("gw-hot-p%03d", i)), reserve, shop, "1.00"))
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

	gwRequireBalance(t, jsOp, shop, "200.00")
	require.Equal(t, "999800.00", gwBalanceOf(t, shIss, reserve))
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
	// ctlAs runs yrdctl as province p's user, in test t.
	ctlAs := func(t *testing.T, p testnet.Province, user string, args ...string) result {
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
	ctl := func(p testnet.Province, user string, args ...string) result {
		t.Helper()
		return ctlAs(t, p, user, args...)
	}
	okIn := func(t *testing.T, r result) string {
		t.Helper()
		require.Equal(t, 0, r.code, r.stderr)
		return r.stdout
	}
	ok := func(r result) string {
		t.Helper()
		return okIn(t, r)
	}

	ensureCeilings(t)
	reserve, bob := bankID(zhejiang, "issuer", "gw-ctl-reserve"), bankID(anhui, "operator", "gw-ctl-bob")
	payID := bankID(zhejiang, "issuer", "gw-ctl-p")
	mintID := proposalID(zhejiang, "gw-ctl-m")
	ok(ctl(zhejiang, "issuer", "account", "open", reserve, "--kind", "reserve"))
	out1 := ok(ctl(anhui, "operator", "account", "open", bob, "--kind", "customer", "--tier", "class-II", "--customer-ref", "bob-1"))
	require.Regexp(t, `(?m)^status\s+committed$`, out1)
	require.Regexp(t, `(?m)^id\s+`+regexp.QuoteMeta(bob)+`$`, out1)
	require.Regexp(t, `(?m)^bank\s+AH-CITY$`, out1)

	// A mint: proposed by Zhejiang's issuer, approved by two other
	// provinces' issuers, executed once by Zhejiang's.
	before := ok(ctl(zhejiang, "auditor", "--json", "ceiling", "ZhejiangMSP"))
	// Each gateway answers once its own peer committed; the next step runs
	// at another province's gateway, so it waits for every peer.
	settled := func(out string) string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^block\s+(\d+)$`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		b, err := strconv.ParseUint(m[1], 10, 64)
		require.NoError(t, err)
		waitHeights(t, b+1)
		return out
	}
	notApproved := func() {
		t.Helper()
		r := ctl(zhejiang, "issuer", "proposal", "execute", mintID)
		require.Equal(t, 1, r.code)
		require.True(t, strings.HasPrefix(r.stderr, "error NOT_APPROVED: "), r.stderr)
	}
	require.Regexp(t, `(?m)^approved\s+false$`,
		settled(ok(ctl(zhejiang, "issuer", "proposal", "mint", mintID, "--account", reserve, "--amount", "500.00", "--reserve-ref", "dep-ctl"))))
	notApproved()
	require.Regexp(t, `(?m)^approved\s+false$`, settled(ok(ctl(jiangsu, "issuer", "proposal", "approve", mintID))))
	notApproved()
	require.Regexp(t, `(?m)^approved\s+true$`, settled(ok(ctl(anhui, "issuer", "proposal", "approve", mintID))))
	require.Regexp(t, `(?m)^approved\s+true$`, ok(ctl(zhejiang, "auditor", "proposal", "show", mintID)))
	out1 = settled(ok(ctl(zhejiang, "issuer", "proposal", "execute", mintID)))
	require.Regexp(t, `(?m)^\s+mintId\s+`+regexp.QuoteMeta(mintID)+`$`, out1)
	r := ctl(zhejiang, "issuer", "proposal", "execute", mintID)
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "error PROPOSAL_CLOSED: "), r.stderr)
	var c0, c1 rest.Ceiling
	require.NoError(t, json.Unmarshal([]byte(before), &c0))
	require.NoError(t, json.Unmarshal([]byte(ok(ctl(zhejiang, "auditor", "--json", "ceiling", "ZhejiangMSP"))), &c1))
	require.Equal(t, c0.Issued+money.MustParseYuan("500.00"), c1.Issued, "the ceiling counts the one mint")

	out1 = ok(ctl(zhejiang, "issuer", "pay", "--id", payID, "--from", reserve, "--to", bob, "--amount", "42.50", "--purpose", "GDDS"))
	require.Regexp(t, `(?m)^block\s+\d+$`, out1)
	require.Regexp(t, `(?m)^amount\s+42\.50$`, out1)

	gwRequireBalance(t, gw(t, anhui, "operator"), bob, "42.50")
	require.Regexp(t, `(?m)^balance\s+42\.50$`, ok(ctl(anhui, "operator", "account", "balance", bob)))
	st := ok(ctl(anhui, "operator", "account", "statement", bob))
	require.Regexp(t, `(?m)^TIME\s+TYPE\s+AMOUNT`, st)
	require.Regexp(t, `credit\s+42\.50\s+`+regexp.QuoteMeta(reserve)+`\s+`+regexp.QuoteMeta(payID), st)

	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok(ctl(anhui, "auditor", "--json", "payment", "get", payID))), &p))
	require.Equal(t, "42.50", p["amount"])
	require.Equal(t, "AnhuiMSP", p["toMsp"])
	require.Equal(t, "AH-CITY", p["toBank"])

	require.Regexp(t, `(?m)^role\s+compliance$`, ok(ctl(anhui, "compliance", "whoami")))
	t.Run("freeze and unfreeze", func(t *testing.T) {
		okIn(t, ctlAs(t, anhui, "compliance", "account", "freeze", bob, "--reason", "KYC review"))
		require.Regexp(t, `(?m)^status\s+frozen$`, okIn(t, ctlAs(t, anhui, "operator", "account", "get", bob)))
		okIn(t, ctlAs(t, anhui, "compliance", "account", "unfreeze", bob))
	})

	events := ok(ctl(anhui, "auditor", "events", "tail", "--account", bob, "--type", "Transferred", "--from-block", "1", "--count", "1"))
	require.Regexp(t, `^\d+:\d+\s+Transferred\s+id=`+regexp.QuoteMeta(payID)+` from=`+regexp.QuoteMeta(reserve)+` to=`+regexp.QuoteMeta(bob)+` amount=42\.50`, events)

	require.Regexp(t, `(?m)^total\s+\d+\.\d\d$`, ok(ctl(anhui, "auditor", "supply")))

	r = ctl(zhejiang, "auditor", "pay", "--id", bankID(zhejiang, "issuer", "gw-ctl-p2"), "--from", reserve, "--to", bob, "--amount", "1")
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "error FORBIDDEN: "), r.stderr)
	r = ctl(zhejiang, "issuer", "pay", "--id", payID, "--from", reserve, "--to", bob, "--amount", "42.50", "--purpose", "GDDS")
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "error DUPLICATE_PAYMENT: "), r.stderr)
	r = ctl(zhejiang, "operator", "--token", "wrong", "supply")
	require.Equal(t, 1, r.code)
	require.Equal(t, "error UNAUTHENTICATED: missing or unknown credentials\n", r.stderr)
}
