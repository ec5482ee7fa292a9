package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/rest"
)

// TestURILimits: an over-long target or query gets 414 before routing or
// authentication, and the log line about it stays short.
func TestURILimits(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	long := strings.Repeat("a", 9<<10)
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"long path", "/v1/accounts/" + long, http.StatusRequestURITooLong, rest.CodeURITooLong},
		{"long path, no credentials needed to be refused", "/v1/" + long, http.StatusRequestURITooLong, rest.CodeURITooLong},
		{"long query", "/v1/accounts/SH-CITY:x/outputs?bookmark=" + strings.Repeat("b", 5<<10), http.StatusRequestURITooLong, rest.CodeURITooLong},
		{"query at the limit reaches the route", "/v1/whoami?b=" + strings.Repeat("b", 4<<10-2), http.StatusOK, ""},
		{"ordinary", "/v1/whoami", http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.logs.String())
			r := h.do("sh-op", "GET", tc.path, "")
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, truncate(string(r.body), 300), tc.status)
			}
			if tc.code != "" && r.code(t) != tc.code {
				t.Fatalf("code %s, want %s", r.code(t), tc.code)
			}
			if len(r.body) > 512 {
				t.Fatalf("answer of %d bytes echoes the input", len(r.body))
			}
			if logged := len(h.logs.String()) - before; logged > 1024 {
				t.Fatalf("%d bytes logged for one request", logged)
			}
		})
	}
}

// served runs the gateway's handler behind the http.Server that
// NewHTTPServer builds from c, on a loopback listener.
func served(t *testing.T, h *harness, c config.HTTP) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = NewHTTPServer(h.srv.Handler(), c, slog.New(slog.NewTextHandler(h.logs, nil)))
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String()
}

// shortHTTP is the configuration default with short timeouts, so that the
// tests see their outcome quickly; nothing asserts how long they took.
func shortHTTP() config.HTTP {
	c := config.Defaults().HTTP
	c.ReadHeaderTimeout = config.Duration(300 * time.Millisecond)
	c.ReadTimeout = config.Duration(500 * time.Millisecond)
	c.IdleTimeout = config.Duration(300 * time.Millisecond)
	return c
}

// dial opens a raw connection with a generous guard deadline: a server
// that never cuts the connection fails the test instead of hanging it.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closedByServer reads until the server closes the connection and fails
// the test when the guard deadline passes first.
func closedByServer(t *testing.T, c net.Conn, rd *bufio.Reader) {
	t.Helper()
	_, err := io.Copy(io.Discard, rd)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
}

func TestConnectionBounds(t *testing.T) {
	h := funded(t, harnessOptions{})
	addr := served(t, h, shortHTTP())

	t.Run("a 1 MB path is refused while it is read, and not logged", func(t *testing.T) {
		before := len(h.logs.String())
		c := dial(t, addr)
		go func() {
			// The server answers and hangs up before the request is sent
			// in full: the write fails, as it should.
			_, _ = fmt.Fprintf(c, "GET /v1/accounts/%s HTTP/1.1\r\nHost: x\r\n\r\n", strings.Repeat("a", 1<<20))
		}()
		rd := bufio.NewReader(c)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431 from Go's server (over http.maxHeaderBytes)", resp.StatusCode)
		}
		if logged := len(h.logs.String()) - before; logged > 1024 {
			t.Fatalf("%d bytes logged", logged)
		}
	})
	t.Run("a 16 KiB path within the header limit gets 414", func(t *testing.T) {
		c := dial(t, addr)
		fmt.Fprintf(c, "GET /v1/accounts/%s HTTP/1.1\r\nHost: x\r\n\r\n", strings.Repeat("a", 16<<10))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestURITooLong || !strings.Contains(string(b), rest.CodeURITooLong) {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	t.Run("headers over the limit get 431", func(t *testing.T) {
		c := dial(t, addr)
		go func() {
			_, _ = fmt.Fprintf(c, "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("h", 128<<10))
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", resp.StatusCode)
		}
	})
	t.Run("a body that declares 100 bytes and sends 2 is cut by the read timeout", func(t *testing.T) {
		c := dial(t, addr)
		fmt.Fprintf(c, "POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"",
			token("sh-op"))
		rd := bufio.NewReader(c)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), errBodyTimeout.Error()) {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if strings.Contains(string(b), "127.0.0.1") {
			t.Fatalf("the answer names addresses: %s", b)
		}
		closedByServer(t, c, rd)
		if bal := h.balance("sh-op", settle); bal != "1000000.00" {
			t.Fatalf("balance %s: a cut request moved money", bal)
		}
	})
	t.Run("headers that never end are cut by the header timeout", func(t *testing.T) {
		c := dial(t, addr)
		fmt.Fprint(c, "GET /v1/whoami HTTP/1.1\r\nHost: x\r\n")
		closedByServer(t, c, bufio.NewReader(c))
	})
	t.Run("an idle keep-alive connection is closed", func(t *testing.T) {
		c := dial(t, addr)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		rd := bufio.NewReader(c)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
		}
		closedByServer(t, c, rd)
	})
}

func TestServersCarryTheBounds(t *testing.T) {
	c := config.Defaults().HTTP
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, s := range map[string]*http.Server{
		"api":     NewHTTPServer(http.NotFoundHandler(), c, log),
		"metrics": NewMetricsServer(http.NotFoundHandler(), c, log),
	} {
		if s.ReadHeaderTimeout != c.ReadHeaderTimeout.D() || s.ReadTimeout != c.ReadTimeout.D() ||
			s.IdleTimeout != c.IdleTimeout.D() || s.MaxHeaderBytes != c.MaxHeaderBytes || s.ErrorLog == nil {
			t.Errorf("%s server lacks a bound: %+v", name, s)
		}
	}
	if s := NewMetricsServer(http.NotFoundHandler(), c, log); s.WriteTimeout <= 0 {
		t.Error("metrics server without a write timeout")
	}
}
