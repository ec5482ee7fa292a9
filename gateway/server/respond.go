package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/yangtze-delta/settlement/money"
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
	if e.Status == 0 {
		e.Status = httpStatus(e.Code, false)
	}
	if e.Status >= 500 {
		attrs := []any{"route", r.Pattern, "client", clientName(r.Context()), "code", e.Code, "status", e.Status, "err", err}
		if tx, ok := e.Details["txId"]; ok {
			attrs = append(attrs, "txId", tx)
		}
		s.log.ErrorContext(r.Context(), "request failed", attrs...)
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.Status, e)
}

// decode reads a JSON body strictly into v: size-limited, unknown fields
// refused, exactly one value.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return badRequest(CodeBodyTooLarge, "request body exceeds %d bytes", s.maxBody)
		}
		if errors.Is(err, io.EOF) {
			return badRequest(CodeInvalidRequest, "request body is empty")
		}
		return badRequest(CodeInvalidRequest, "invalid JSON body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return badRequest(CodeBodyTooLarge, "request body exceeds %d bytes", s.maxBody)
		}
		return badRequest(CodeInvalidRequest, "invalid JSON body: more than one value")
	}
	return nil
}

// passThrough returns chaincode result bytes as JSON: JSON stays as is,
// anything else becomes a JSON string; empty becomes null.
func passThrough(b []byte) json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	q, _ := json.Marshal(string(b))
	return q
}

func requireField(name, v string) error {
	if v == "" {
		return badRequest(CodeInvalidRequest, "%s is required", name)
	}
	return nil
}

func parseAmount(field, v string) (money.Amount, error) {
	a, err := money.ParseYuan(v)
	if err == nil {
		err = a.Positive()
	}
	if err != nil {
		return 0, &apiError{Status: http.StatusBadRequest, Code: CodeInvalidAmount, Message: field + ": " + err.Error()}
	}
	return a, nil
}

// pageParams reads pageSize (1..1000, default 100) and bookmark, the
// opaque page token a previous page answered with (see pageToken).
func pageParams(r *http.Request) (string, string, error) {
	ps := r.URL.Query().Get("pageSize")
	if ps == "" {
		ps = "100"
	}
	n, err := strconv.Atoi(ps)
	if err != nil || n < 1 || n > 1000 {
		return "", "", badRequest(CodeInvalidRequest, "pageSize must be an integer from 1 to 1000")
	}
	bm, err := base64.RawURLEncoding.DecodeString(r.URL.Query().Get("bookmark"))
	if err != nil {
		return "", "", badRequest(CodeInvalidRequest, "bookmark is not a page token this API returned")
	}
	return strconv.Itoa(n), string(bm), nil
}

// pageToken rewrites the chaincode's bookmark in a page answer (a ledger
// key with NUL bytes) as an opaque base64url token, safe in a URL; "" stays
// "" (no more pages).
func pageToken(page []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(page, &m); err != nil {
		return nil, fmt.Errorf("decode page: %w", err)
	}
	var bm string
	if raw, ok := m["bookmark"]; ok {
		if err := json.Unmarshal(raw, &bm); err != nil {
			return nil, fmt.Errorf("decode page bookmark: %w", err)
		}
	}
	tok, err := json.Marshal(base64.RawURLEncoding.EncodeToString([]byte(bm)))
	if err != nil {
		return nil, err
	}
	m["bookmark"] = tok
	return json.Marshal(m)
}
