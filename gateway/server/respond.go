package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/internal/strictjson"
	"github.com/yangtze-delta/settlement/rest"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fail writes err as a JSON error and logs server-side failures.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := toAPIError(err)
	if e.Status >= 500 {
		attrs := []any{"route", r.Pattern, "client", clientName(r.Context()), "code", e.Code, "status", e.Status, "err", err}
		if tx, ok := e.Details[rest.DetailTxID]; ok {
			attrs = append(attrs, "txId", tx)
		}
		s.log.ErrorContext(r.Context(), "request failed", attrs...)
	}
	if e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(rest.RetryAfterSecs))
	}
	writeJSON(w, e.Status, e)
}

// decode reads a JSON body strictly into v: Content-Type application/json,
// size-limited, keys matched exactly and at most once, unknown keys
// refused, exactly one value.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newError(rest.CodeBodyTooLarge, "request body exceeds %d bytes", s.maxBody)
		}
		return badRequest("reading the body: %v", err)
	}
	if len(b) == 0 {
		return badRequest("request body is empty")
	}
	if err := strictjson.Unmarshal(b, v); err != nil {
		return badRequest("invalid JSON body: %v", err)
	}
	return nil
}

// requireJSON refuses a body sent with another media type (415).
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return newError(rest.CodeUnsupportedMedia, "send the body as Content-Type: application/json (got %q)", ct)
	}
	return nil
}

// noBody refuses a body on a route that takes none; an empty body is fine
// with any Content-Type.
func (s *Server) noBody(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1024))
	if err != nil || len(b) > 0 && string(b) != "{}" {
		return badRequest("this route takes no body")
	}
	return nil
}

// validate runs a chaincode request's own syntax check at the edge, so that
// a malformed request gets its 400 without a round trip to the peer.
func validate(v interface{ Validate() error }) error { return v.Validate() }

// pageScope binds page tokens to the client, the route and the path.
func pageScope(r *http.Request) string {
	return clientName(r.Context()) + "|" + r.Pattern + "|" + r.URL.Path
}

// pageParams reads pageSize (1..MaxPageSize, default DefaultPageSize) and
// the opaque page token bookmark.
func (s *Server) pageParams(r *http.Request) (int, string, error) {
	n := api.DefaultPageSize
	if ps := r.URL.Query().Get("pageSize"); ps != "" {
		v, err := strconv.Atoi(ps)
		if err != nil || v < 1 || v > api.MaxPageSize {
			return 0, "", badRequest("pageSize must be an integer from 1 to %d", api.MaxPageSize)
		}
		n = v
	}
	bm, err := s.pages.open(pageScope(r), r.URL.Query().Get("bookmark"))
	if err != nil {
		return 0, "", err
	}
	return n, bm, nil
}
