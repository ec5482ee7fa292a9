package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

// TestErrorAnswers maps the gateway's error answers to *client.Error.
func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		status int
		code   string
		msg    string
		retry  bool
		after  time.Duration
		check  func(t *testing.T, e *client.Error)
	}{
		{name: "duplicate payment carries the stored payment", status: 409, code: rest.CodeDuplicatePayment, msg: "payment p-1 already exists",
			answer: answer{status: 409, body: `{"code":"DUPLICATE_PAYMENT","message":"payment p-1 already exists","details":{"payment":{"paymentId":"p-1","amount":"1234.56","txId":"tx1"}}}`},
			check: func(t *testing.T, e *client.Error) {
				p, ok := e.Payment()
				if !ok || p.PaymentID != "p-1" || p.Amount != amt || p.TxID != "tx1" {
					t.Fatalf("Payment() = %+v, %v", p, ok)
				}
				if m, _ := e.Details["payment"].(map[string]any); m["txId"] != "tx1" {
					t.Fatalf("Details = %v", e.Details)
				}
			}},
		{name: "funds locked is retryable after Retry-After", status: 503, code: rest.CodeFundsLocked, msg: "locked", retry: true, after: 2 * time.Second,
			answer: answer{status: 503, header: map[string]string{"Retry-After": "2"}, body: `{"code":"FUNDS_LOCKED","message":"locked"}`}},
		{name: "commit unknown names the transaction", status: 504, code: rest.CodeCommitUnknown, msg: "unknown", retry: true,
			answer: answer{status: 504, body: `{"code":"COMMIT_UNKNOWN","message":"unknown","details":{"txId":"tx9","stage":"commit"}}`},
			check: func(t *testing.T, e *client.Error) {
				if e.TxID() != "tx9" {
					t.Fatalf("TxID() = %q", e.TxID())
				}
			}},
		{name: "unauthenticated", status: 401, code: rest.CodeUnauthenticated, msg: "missing or unknown credentials",
			answer: answer{status: 401, body: `{"code":"UNAUTHENTICATED","message":"missing or unknown credentials"}`}},
		{name: "a code of a newer gateway is kept", status: 422, code: "SOMETHING_NEW", msg: "new rule",
			answer: answer{status: 422, body: `{"code":"SOMETHING_NEW","message":"new rule"}`}},
		{name: "a proxy's page", status: 502, code: "HTTP_502", msg: "bad gateway", retry: true,
			answer: answer{status: 502, header: map[string]string{"Content-Type": "text/plain"}, body: "bad gateway\n"}},
		{name: "an empty answer", status: 503, code: "HTTP_503", msg: "Service Unavailable", retry: true,
			answer: answer{status: 503}},
		{name: "a long foreign body is cut", status: 404, code: "HTTP_404", msg: strings.Repeat("x", 200) + "…",
			answer: answer{status: 404, body: strings.Repeat("x", 5000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.answerWith(tt.answer)
			_, err := mustNew(t, f.srv.URL).GetPayment(context.Background(), "p-1")
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v is not a *client.Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code || e.Message != tt.msg {
				t.Fatalf("got %d %s %q, want %d %s %q", e.Status, e.Code, e.Message, tt.status, tt.code, tt.msg)
			}
			if client.CodeOf(err) != tt.code {
				t.Fatalf("CodeOf = %q", client.CodeOf(err))
			}
			if e.Retryable() != tt.retry || e.RetryAfter != tt.after {
				t.Fatalf("Retryable %v RetryAfter %s, want %v %s", e.Retryable(), e.RetryAfter, tt.retry, tt.after)
			}
			if e.Method != http.MethodGet || e.Path != "/v1/payments/p-1" {
				t.Fatalf("request %s %s", e.Method, e.Path)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// TestBatchRejected: a batch whose every item was refused is an error
// whose details say why, item by item.
func TestBatchRejected(t *testing.T) {
	f := newFake(t)
	f.answer(422, `{"code":"BATCH_REJECTED","message":"all 2 items were rejected; nothing changed","details":{"txId":"tx3","results":[`+
		`{"paymentId":"p-1","ok":false,"code":"INSUFFICIENT_FUNDS","message":"no"},{"paymentId":"p-2","ok":false,"code":"NOT_FOUND","message":"no payee"}]}}`)
	_, err := mustNew(t, f.srv.URL).PayBatch(context.Background(), rest.BatchRequest{Items: []rest.PaymentRequest{{PaymentID: "p-1"}, {PaymentID: "p-2"}}})
	var e *client.Error
	if !errors.As(err, &e) || e.Code != rest.CodeBatchRejected || e.Status != 422 {
		t.Fatalf("err = %v", err)
	}
	res, ok := e.BatchResults()
	if !ok || len(res) != 2 || res[0].Code != rest.CodeInsufficientFunds || res[1].PaymentID != "p-2" || res[1].Code != rest.CodeNotFound {
		t.Fatalf("BatchResults() = %+v, %v", res, ok)
	}
	if e.TxID() != "tx3" {
		t.Fatalf("TxID() = %q", e.TxID())
	}
	if _, ok := e.Payment(); ok {
		t.Fatal("a batch rejection carries no payment")
	}
}

// TestClientSideFailures: failures without a usable answer carry CLIENT_
// codes, and errors.Is reaches the cause.
func TestClientSideFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("a write answered 200", func(t *testing.T) {
		f := newFake(t)
		f.answerJSON(t, 200, committed(payment))
		_, err := mustNew(t, f.srv.URL).Pay(ctx, rest.PaymentRequest{PaymentID: "p-1"})
		requireCode(t, err, client.CodeBadResponse, 200)
	})
	t.Run("a 201 that is not JSON", func(t *testing.T) {
		f := newFake(t)
		f.answer(201, `<html>`)
		_, err := mustNew(t, f.srv.URL).Pay(ctx, rest.PaymentRequest{PaymentID: "p-1"})
		requireCode(t, err, client.CodeBadResponse, 201)
	})
	t.Run("an answer larger than the bound", func(t *testing.T) {
		f := newFake(t)
		f.answer(200, `{"paymentId":"`+strings.Repeat("x", 4096)+`"}`)
		_, err := mustNew(t, f.srv.URL, client.WithMaxResponseBytes(1024)).GetPayment(ctx, "p-1")
		requireCode(t, err, client.CodeResponseTooLarge, 200)
	})
	t.Run("no gateway", func(t *testing.T) {
		f := newFake(t)
		url := f.srv.URL
		f.srv.Close()
		_, err := mustNew(t, url).Supply(ctx)
		e := requireCode(t, err, client.CodeTransport, 0)
		if !e.Retryable() || e.Err == nil {
			t.Fatalf("transport error: retryable %v, cause %v", e.Retryable(), e.Err)
		}
	})
	t.Run("the per-call timeout", func(t *testing.T) {
		release := make(chan struct{})
		url := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select { // hold the answer until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer close(release)
		_, err := mustNew(t, url, client.WithTimeout(50*time.Millisecond)).Supply(ctx)
		requireCode(t, err, client.CodeTimeout, 0)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("errors.Is(err, DeadlineExceeded) is false: %v", err)
		}
	})
	t.Run("a canceled context", func(t *testing.T) {
		f := newFake(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := mustNew(t, f.srv.URL).Supply(cctx)
		requireCode(t, err, client.CodeCanceled, 0)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("errors.Is(err, Canceled) is false: %v", err)
		}
	})
	t.Run("wrapped errors are still found", func(t *testing.T) {
		err := fmt.Errorf("paying: %w", &client.Error{Code: rest.CodeForbidden})
		if client.CodeOf(err) != rest.CodeForbidden || client.CodeOf(nil) != "" || client.CodeOf(errors.New("x")) != "" {
			t.Fatal("CodeOf")
		}
	})
}

func requireCode(t *testing.T, err error, code string, status int) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not a *client.Error", err)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("got %d %s (%v), want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	return e
}

// TestClientCodesDoNotCollide: the client's own codes are never a code the
// gateway answers with.
func TestClientCodesDoNotCollide(t *testing.T) {
	for _, c := range []string{client.CodeTransport, client.CodeTimeout, client.CodeCanceled, client.CodeBadResponse,
		client.CodeResponseTooLarge, client.CodeInvalidArgument} {
		if rest.Known(c) || !strings.HasPrefix(c, "CLIENT_") {
			t.Errorf("client code %s collides with the gateway's codes or lacks the CLIENT_ prefix", c)
		}
	}
	for _, c := range rest.Codes() {
		if strings.HasPrefix(c.Code, client.CodeHTTPPrefix) {
			t.Errorf("gateway code %s has the client's HTTP_ prefix", c.Code)
		}
	}
}

// TestNew refuses what cannot work, naming it.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		url  string
		opts []client.Option
		want string // part of the error
	}{
		{"no base URL", "", nil, "base URL is required"},
		{"not http", "ftp://gw", nil, "http(s)"},
		{"no host", "http://", nil, "http(s)"},
		{"a query", "http://gw/?a=1", nil, "no query"},
		{"user info", "http://u:p@gw", nil, "user info"},
		{"empty token", "http://gw", []client.Option{client.WithToken("")}, "empty token"},
		{"token with white space", "http://gw", []client.Option{client.WithToken("a b")}, "white space"},
		{"two tokens", "http://gw", []client.Option{client.WithToken("a"), client.WithTokenFile(empty)}, "give one token"},
		{"missing token file", "http://gw", []client.Option{client.WithTokenFile(filepath.Join(dir, "none"))}, "WithTokenFile"},
		{"empty token file", "http://gw", []client.Option{client.WithTokenFile(empty)}, "empty token"},
		{"negative timeout", "http://gw", []client.Option{client.WithTimeout(-time.Second)}, "WithTimeout"},
		{"tiny response bound", "http://gw", []client.Option{client.WithMaxResponseBytes(10)}, "WithMaxResponseBytes"},
		{"nil HTTP client", "http://gw", []client.Option{client.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"zero poll interval", "http://gw", []client.Option{client.WithPollInterval(0)}, "WithPollInterval"},
		{"multi-line user agent", "http://gw", []client.Option{client.WithUserAgent("a\nb")}, "WithUserAgent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.url, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, %v; want an error containing %q", c, err, tt.want)
			}
		})
	}
}

// TestOptions: the token file, the path prefix, the HTTP client and the
// user agent take effect.
func TestOptions(t *testing.T) {
	f := newFake(t)
	f.answerJSON(t, 200, rest.Supply{Total: amt})
	file := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(file, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	counting := &countingTransport{next: http.DefaultTransport}
	c := mustNew(t, f.srv.URL+"/prefix/", client.WithTokenFile(file), client.WithHTTPClient(&http.Client{Transport: counting}))
	if c.BaseURL() != f.srv.URL+"/prefix" {
		t.Fatalf("BaseURL() = %q", c.BaseURL())
	}
	if _, err := c.Supply(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := f.last(t)
	if s.path != "/prefix/v1/supply" || s.auth != "Bearer from-file" || s.userAgent != client.DefaultUserAgent {
		t.Fatalf("request %s, auth %q, user agent %q", s.path, s.auth, s.userAgent)
	}
	if counting.n != 1 {
		t.Fatalf("the given HTTP client carried %d requests", counting.n)
	}
}

type countingTransport struct {
	next http.RoundTripper
	n    int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}
