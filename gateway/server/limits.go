package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/rest"
)

// Bounds on every input the gateway reads from a connection. Where each one
// is enforced and what a client gets at the limit:
//
//	bound                     where                  at the limit
//	request line + headers    http.maxHeaderBytes    431 from Go's server, connection closed, nothing logged
//	request target            http.maxURLBytes       414 URI_TOO_LONG (limitInput), before routing
//	query string              http.maxQueryBytes     414 URI_TOO_LONG (limitInput)
//	headers' arrival          http.readHeaderTimeout connection closed
//	whole request, body incl. http.readTimeout       the handler's read fails (400 naming the read timeout), connection closed
//	idle keep-alive           http.idleTimeout       connection closed
//	body size                 maxBodyBytes           413 BODY_TOO_LARGE
//	event streams             events.*               429 (per gateway, per client, replays); a client that does not read is cut at the next write deadline
//	log lines                 BoundLog               every value cut to DefaultMaxLogValueBytes
//
// A request line longer than http.maxHeaderBytes never reaches the gateway:
// Go's server refuses it with 431 while reading it, so whatever its size
// (1 MB, 1 GB) it costs at most maxHeaderBytes of reading and no log line.
// Raising maxHeaderBytes to have such requests answered 414 instead would
// let every connection hold that much while its headers arrive.

// limitInput refuses a request whose target or query string is over the
// limits with 414 before any routing, authentication or ledger call, logs
// one bounded line for it, and makes a body that stops arriving fail with
// a plain error (errBodyTimeout) instead of the connection's addresses.
func (s *Server) limitInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := len(r.RequestURI)
		if target == 0 {
			target = len(r.URL.RequestURI())
		}
		var e *rest.Error
		switch {
		case target > s.limits.MaxURLBytes:
			e = newError(rest.CodeURITooLong, "the request target is %d bytes; this gateway accepts at most %d", target, s.limits.MaxURLBytes)
		case len(r.URL.RawQuery) > s.limits.MaxQueryBytes:
			e = newError(rest.CodeURITooLong, "the query string is %d bytes; this gateway accepts at most %d", len(r.URL.RawQuery), s.limits.MaxQueryBytes)
		}
		if e != nil {
			start := time.Now()
			writeJSON(w, e.Status, e)
			s.metrics.Request("refused", e.Status, time.Since(start))
			s.log.InfoContext(r.Context(), "http request refused", "path", truncate(r.URL.Path, 200),
				"targetBytes", target, "status", e.Status)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = slowBody{r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

// errBodyTimeout replaces the connection's read-deadline error (which names
// the gateway's and the client's addresses) in what a handler answers.
var errBodyTimeout = errors.New("the request body did not arrive within the gateway's read timeout")

type slowBody struct{ io.ReadCloser }

func (b slowBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		return n, errBodyTimeout
	}
	return n, err
}

// inputLimits fills zero request limits with the configuration defaults.
func inputLimits(h config.HTTP) config.HTTP {
	def := config.Defaults().HTTP
	if h.MaxURLBytes <= 0 {
		h.MaxURLBytes = def.MaxURLBytes
	}
	if h.MaxQueryBytes <= 0 {
		h.MaxQueryBytes = def.MaxQueryBytes
	}
	return h
}

// NewHTTPServer returns the server for the API listener with every bound
// of c applied: ReadHeaderTimeout, ReadTimeout (a client that declares a
// body and sends it slowly is cut off: the handler's read fails and the
// connection is closed), IdleTimeout and MaxHeaderBytes. It sets no
// WriteTimeout: event streams and synchronous writes waiting for their
// commit outlive any fixed bound; the event stream sets a deadline on each
// write instead. Go's server resets the read deadline once a request's body
// has been read, so ReadTimeout does not end long responses.
func NewHTTPServer(h http.Handler, c config.HTTP, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout.D(),
		ReadTimeout:       c.ReadTimeout.D(),
		IdleTimeout:       c.IdleTimeout.D(),
		MaxHeaderBytes:    c.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// NewMetricsServer returns the server for the metrics listener: the API's
// bounds, plus a WriteTimeout (a scrape is one bounded answer).
func NewMetricsServer(h http.Handler, c config.HTTP, log *slog.Logger) *http.Server {
	s := NewHTTPServer(h, c, log)
	s.WriteTimeout = c.ReadTimeout.D()
	return s
}
