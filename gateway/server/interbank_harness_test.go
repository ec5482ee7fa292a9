package server

// Fixtures of the interbank tests: three banks in three provinces, each
// with a settlement account funded from Shanghai's reserve, and a ledger
// wrapper that records what the gateway submits.

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/ledger/inproc"
	"github.com/yangtze-delta/settlement/rest"
)

func init() {
	for name, id := range map[string]inproc.Identity{
		"zj-ib": {MSPID: ZJ, Role: api.RoleOperator, Bank: "ZJ-BOC"},
	} {
		identities[name] = id
		clientNames = append(clientNames, name)
	}
}

// The settlement accounts of the interbank tests and their banks'
// clients.
const (
	shSettle = "SH-CITY:settle" // sh-op
	jsSettle = "JS-CITY:settle" // js-op
	zjSettle = "ZJ-BOC:settle"  // zj-ib
	today    = "2026-01-05"     // the inproc clock starts at 09:00 on this Monday in Shanghai
	tomorrow = "2026-01-06"
)

// ibHarness is a harness with three funded settlement accounts; the
// gateway's interbank clock follows the ledger's clock.
type ibHarness struct {
	*harness
	rec *recordingLedger
}

// newIBHarness opens the three settlement accounts and funds each with
// fund yuan.
func newIBHarness(t testing.TB, fund string) *ibHarness {
	t.Helper()
	h := &ibHarness{harness: newHarness(t, harnessOptions{})}
	stub := h.led.Stub()
	h.srv.ib.now = func() time.Time { return stub.Clock }
	// The network's collections, with their endorsement policies: a
	// remittance endorsed by the payer's province alone must be valid
	// under its bilateral collection's policy.
	colls, err := cctest.Collections()
	if err != nil {
		t.Fatal(err)
	}
	stub.Collections = colls
	h.rec = &recordingLedger{Ledger: h.srv.ledger}
	h.srv.ledger = h.rec
	h.open("sh-iss", reserve, rest.KindReserve, "")
	for _, a := range []struct{ client, id string }{{"sh-op", shSettle}, {"js-op", jsSettle}, {"zj-ib", zjSettle}} {
		h.open(a.client, a.id, rest.KindSettlement, "")
	}
	total := y(fund) * 3
	h.mint(total.String())
	for i, acct := range []string{shSettle, jsSettle, zjSettle} {
		h.pay("sh-iss", rest.PaymentRequest{PaymentID: fmt.Sprintf("SH-PBC:ibfund-%d", i), From: reserve, To: acct, Amount: y(fund)})
	}
	return h
}

// send posts a transfer as client and answers the response.
func (h *ibHarness) send(client string, req rest.InterbankTransferRequest) response {
	h.t.Helper()
	return h.do(client, "POST", rest.SendInterbankTransfer.Path, jsonOf(req))
}

// mustSend sends a transfer and returns it, failing unless committed.
func (h *ibHarness) mustSend(client string, req rest.InterbankTransferRequest) rest.InterbankTransfer {
	h.t.Helper()
	var c rest.Committed[rest.InterbankTransfer]
	h.must(http.StatusCreated, client, "POST", rest.SendInterbankTransfer.Path, jsonOf(req)).decode(h.t, &c)
	if c.TxID == "" || c.Result.ID != req.ID {
		h.t.Fatalf("send %s: answer %+v", req.ID, c)
	}
	return c.Result
}

// transfer reads a transfer as client.
func (h *ibHarness) transfer(client, id string) rest.InterbankTransfer {
	h.t.Helper()
	var t rest.InterbankTransfer
	h.must(http.StatusOK, client, "GET", rest.GetInterbankTransfer.PathFor(id), "").decode(h.t, &t)
	return t
}

// setClock sets the ledger's clock (and so the gateway's interbank
// clock) to wall-clock time hh:mm on date in Shanghai.
func (h *ibHarness) setClock(date string, hh, mm int) {
	d, err := time.ParseInLocation("2006-01-02", date, api.BusinessZone)
	if err != nil {
		h.t.Fatal(err)
	}
	h.led.Stub().Clock = d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

// submitted is one Submit the gateway made.
type submitted struct {
	fn        string
	args      []string
	transient map[string][]byte
	opts      ledger.SubmitOptions
	// ok: it committed.
	ok bool
}

// recordingLedger records every Submit and passes it on.
type recordingLedger struct {
	ledger.Ledger
	mu   sync.Mutex
	subs []submitted
}

func (r *recordingLedger) Submit(ctx context.Context, identity, fn string, args []string, transient map[string][]byte, opts ledger.SubmitOptions) (*ledger.Committed, error) {
	c, err := r.Ledger.Submit(ctx, identity, fn, args, transient, opts)
	r.mu.Lock()
	r.subs = append(r.subs, submitted{fn: fn, args: append([]string(nil), args...), transient: transient, opts: opts, ok: err == nil})
	r.mu.Unlock()
	return c, err
}

// committed counts the submissions that committed.
func (r *recordingLedger) committed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.subs {
		if s.ok {
			n++
		}
	}
	return n
}

// of returns the submissions of function fn.
func (r *recordingLedger) of(fn string) []submitted {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []submitted
	for _, s := range r.subs {
		if s.fn == fn {
			out = append(out, s)
		}
	}
	return out
}
