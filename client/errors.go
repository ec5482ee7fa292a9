package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// Codes the client raises itself, for failures that have no gateway answer
// or whose answer cannot be read. They all start with "CLIENT_" and never
// collide with the gateway's codes (rest.Codes), which a test checks.
const (
	// CodeTransport: no answer arrived (connection refused or reset, DNS,
	// TLS, a body cut short).
	CodeTransport = "CLIENT_TRANSPORT"
	// CodeTimeout: the per-request timeout (WithTimeout) or the context's
	// deadline passed before the answer was read.
	CodeTimeout = "CLIENT_TIMEOUT"
	// CodeCanceled: the caller's context was canceled.
	CodeCanceled = "CLIENT_CANCELED"
	// CodeBadResponse: an answer the client cannot read: a status the route
	// does not answer with, a body that is not the route's JSON type, a
	// malformed event stream.
	CodeBadResponse = "CLIENT_BAD_RESPONSE"
	// CodeResponseTooLarge: an answer, or one event of a stream, is larger
	// than WithMaxResponseBytes allows; it was not read to its end.
	CodeResponseTooLarge = "CLIENT_RESPONSE_TOO_LARGE"
	// CodeInvalidArgument: the client refused the call before sending
	// anything (an empty path ID, a result type that is not the route's).
	CodeInvalidArgument = "CLIENT_INVALID_ARGUMENT"
)

// CodeHTTPPrefix starts the code of an error answer that is not in the
// gateway's error shape (a proxy's 502 page, say): "HTTP_502", with the
// start of the body as the message.
const CodeHTTPPrefix = "HTTP_"

// Error is the one error type of every call: an error answer of the gateway
// (Status set, Code one of rest.Codes), or a failure on the client's side
// (Status 0 unless an answer arrived, Code one of the CLIENT_ codes).
// Branch on Code (see CodeOf), never on Message.
type Error struct {
	// Status is the HTTP status of the answer; 0 when none was read. For
	// the error of a failed asynchronous operation (OperationResult) it is
	// the status the synchronous call would have answered with.
	Status int
	// Code is the stable code.
	Code string
	// Message is for humans.
	Message string
	// Details are the answer's details, as decoded JSON (see Detail for a
	// typed view).
	Details map[string]any
	// RetryAfter is the answer's Retry-After (429 and 503 answers); 0 when
	// absent.
	RetryAfter time.Duration
	// Method and Path name the request ("POST", "/v1/payments").
	Method, Path string
	// Err is the cause of a client-side failure (a transport error, the
	// context's error, a JSON error); nil for gateway answers.
	Err error

	rawDetails map[string]json.RawMessage
}

// Error renders "CODE: message", as rest.Error does.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause, so that errors.Is(err, context.DeadlineExceeded)
// holds for a timeout.
func (e *Error) Unwrap() error { return e.Err }

// Detail decodes the detail named key into into (a pointer) and reports
// whether it was present and of that shape.
func (e *Error) Detail(key string, into any) bool {
	raw, ok := e.rawDetails[key]
	if !ok {
		return false
	}
	return json.Unmarshal(raw, into) == nil
}

// Detail keys the gateway sets.
// TODO(rest): these are the server's facts; they belong in package rest.
const (
	detailPayment = "payment" // DUPLICATE_PAYMENT, PAYMENT_ID_REUSED: the stored payment
	detailResults = "results" // BATCH_REJECTED: one rest.ItemResult per item
	detailTxID    = "txId"    // Fabric failures after a transaction ID existed
)

// Payment is the stored payment a DUPLICATE_PAYMENT (same body) or
// PAYMENT_ID_REUSED (different body) answer carries.
func (e *Error) Payment() (rest.Payment, bool) {
	var p rest.Payment
	return p, e.Detail(detailPayment, &p)
}

// BatchResults are the per-item results of a BATCH_REJECTED answer: why
// each item was refused.
func (e *Error) BatchResults() ([]rest.ItemResult, bool) {
	var r []rest.ItemResult
	return r, e.Detail(detailResults, &r)
}

// TxID is the transaction ID the answer names, if any: a transaction that
// was invalid, or whose outcome is unknown (COMMIT_UNKNOWN).
func (e *Error) TxID() string {
	var id string
	e.Detail(detailTxID, &id)
	return id
}

// Retryable reports whether the same call may succeed later unchanged: the
// gateway's own verdict for its codes (rest.CodeInfo.Retryable), true for
// transport failures and timeouts, and for 429, 502, 503 and 504 answers
// that are not in the gateway's shape. Wait RetryAfter first when set.
func (e *Error) Retryable() bool {
	switch e.Code {
	case CodeTransport, CodeTimeout:
		return true
	case CodeCanceled, CodeBadResponse, CodeResponseTooLarge, CodeInvalidArgument:
		return false
	}
	if info, ok := gatewayCodes[e.Code]; ok {
		return info.Retryable
	}
	if strings.HasPrefix(e.Code, CodeHTTPPrefix) {
		switch e.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

var gatewayCodes = func() map[string]rest.CodeInfo {
	m := map[string]rest.CodeInfo{}
	for _, c := range rest.Codes() {
		m[c.Code] = c
	}
	return m
}()

// CodeOf returns the code of the first *Error in err's chain, and "" for
// nil or for an error that is not the client's (one returned by an Events
// callback, say).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// errorBody is the gateway's error shape (rest.Error) with its details
// kept raw for Detail.
type errorBody struct {
	Code    string                     `json:"code"`
	Message string                     `json:"message"`
	Details map[string]json.RawMessage `json:"details"`
}

// maxForeignMessage bounds the message taken from an answer that is not in
// the gateway's error shape.
const maxForeignMessage = 200

// answerError builds the *Error of a non-success answer.
func answerError(method, path string, status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status, Method: method, Path: path, RetryAfter: retryAfter(header)}
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil || b.Code == "" {
		msg := strings.TrimSpace(string(body))
		if len(msg) > maxForeignMessage {
			msg = msg[:maxForeignMessage] + "…"
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		e.Code, e.Message = CodeHTTPPrefix+strconv.Itoa(status), msg
		return e
	}
	e.Code, e.Message = b.Code, b.Message
	e.setDetails(b.Details)
	return e
}

// fromRESTError turns a rest.Error (an operation's failure) into an *Error.
func fromRESTError(re *rest.Error) *Error {
	e := &Error{Status: re.Status, Code: re.Code, Message: re.Message}
	if e.Status == 0 && rest.Known(re.Code) {
		e.Status = rest.StatusOf(re.Code)
	}
	raw := make(map[string]json.RawMessage, len(re.Details))
	for k, v := range re.Details {
		if b, err := json.Marshal(v); err == nil {
			raw[k] = b
		}
	}
	e.setDetails(raw)
	return e
}

func (e *Error) setDetails(raw map[string]json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	e.rawDetails = raw
	e.Details = make(map[string]any, len(raw))
	for k, v := range raw {
		var x any
		if json.Unmarshal(v, &x) == nil {
			e.Details[k] = x
		}
	}
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// transportError classifies a failure to get or read an answer; status is
// the answer's status when one had arrived. The cause keeps the context's
// error in the chain, so that errors.Is(err, context.Canceled) holds.
func transportError(ctx context.Context, method, path string, status int, err error) *Error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	e := &Error{Status: status, Method: method, Path: path, Err: err, Code: CodeTransport,
		Message: fmt.Sprintf("%s %s: %v", method, path, err)}
	// The context's own state decides first: the transport reports its end
	// in several forms.
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.Code = CodeCanceled
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		e.Code = CodeTimeout
	default:
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			e.Code = CodeTimeout
		}
	}
	return e
}

// clientError is a client-side failure with a code and a formatted message.
func clientError(code, method, path string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Method: method, Path: path, Err: cause, Message: fmt.Sprintf(format, args...)}
}
