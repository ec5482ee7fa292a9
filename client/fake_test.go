package client_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// seen is one request as the fake gateway received it.
type seen struct {
	method, path, query                  string
	contentType, auth, accept, userAgent string
	lastEventID                          string
	body                                 []byte
}

// answer is what the fake gateway sends back.
type answer struct {
	status int
	header map[string]string
	body   string
}

// fake is a scripted gateway: it answers every request with its current
// answer and hands what it received to the test through a channel, so that
// nothing is asserted in the server's goroutine.
type fake struct {
	srv  *httptest.Server
	reqs chan seen
	mu   sync.Mutex
	ans  answer
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{reqs: make(chan seen, 64), ans: answer{status: 500, body: `{"code":"INTERNAL","message":"no answer scripted"}`}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s := seen{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery,
			contentType: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization"),
			accept: r.Header.Get("Accept"), userAgent: r.Header.Get("User-Agent"),
			lastEventID: r.Header.Get("Last-Event-ID"), body: b}
		select {
		case f.reqs <- s:
		default: // the test reads at most a few; a full channel drops the record
		}
		f.mu.Lock()
		a := f.ans
		f.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) answer(status int, body string) { f.answerWith(answer{status: status, body: body}) }

func (f *fake) answerWith(a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ans = a
}

// answerJSON answers with v encoded as JSON.
func (f *fake) answerJSON(t *testing.T, status int, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f.answer(status, string(b))
}

// last returns the request the fake received, failing when there was none.
func (f *fake) last(t *testing.T) seen {
	t.Helper()
	select {
	case s := <-f.reqs:
		return s
	default:
		t.Fatal("no request reached the gateway")
		return seen{}
	}
}

// none fails when a request reached the gateway.
func (f *fake) none(t *testing.T) {
	t.Helper()
	select {
	case s := <-f.reqs:
		t.Fatalf("a request reached the gateway: %s %s", s.method, s.path)
	default:
	}
}

func mustNew(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Sample values, one of every answer type.
var (
	t0  = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	amt = money.MustParseYuan("1234.56")

	account = rest.Account{ID: "a/1", OwnerMSP: "ShanghaiMSP", Kind: rest.KindCustomer, Tier: rest.TierClassIV,
		Status: rest.StatusActive, OpenedAt: t0, UpdatedAt: t0}
	payment = rest.Payment{PaymentID: "p-1", From: "a1", To: "b1", FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", Amount: amt,
		Purpose: "SALA", Inputs: []string{"o1"}, PayeeOutput: "tx1.0", ChangeOutputs: []string{"tx1.1"}, TxID: "tx1", Timestamp: t0}
	ping     = rest.Ping{ID: "pg1", Note: "hi", MSPID: "ShanghaiMSP", Role: "operator", TxID: "tx1", TxTime: "2026-03-02T09:30:00Z"}
	accepted = rest.Accepted{OperationID: "op1", Status: rest.OpPending, StatusURL: "/v1/operations/op1"}
)

func committed[T any](v T) rest.Committed[T] {
	return rest.Committed[T]{TxID: "tx1", BlockNumber: 7, Result: v}
}

// httptestServer serves h for the test and returns its URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
