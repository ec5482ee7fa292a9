package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// Defaults of the options.
const (
	// DefaultTimeout bounds one call (not an event stream): longer than the
	// gateway's own commit budget, so that the gateway answers first.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxResponseBytes bounds one answer, and one event of a stream.
	DefaultMaxResponseBytes = 8 << 20
	// DefaultPollInterval is how often WaitOperation asks.
	DefaultPollInterval = 250 * time.Millisecond
	// DefaultUserAgent is sent when WithUserAgent is not given.
	DefaultUserAgent = "yrd-client/1"
)

// Client calls one gateway's HTTP API v1. Create it with New. A Client is
// safe for concurrent use: it holds no per-call state.
type Client struct {
	base      string
	token     string
	http      *http.Client
	userAgent string
	timeout   time.Duration
	maxBytes  int64
	poll      time.Duration
}

// settings collects the options before New validates them.
type settings struct {
	token, tokenFile string
	tokenSet         bool
	http             *http.Client
	userAgent        string
	timeout          time.Duration
	maxBytes         int64
	poll             time.Duration
}

// Option configures New.
type Option func(*settings) error

// WithToken sends token as the bearer token of every call except the
// public routes (health, readiness, the API document). It must not be
// empty: leave the option out to send no token.
func WithToken(token string) Option {
	return func(s *settings) error {
		if s.tokenSet {
			return errors.New("WithToken and WithTokenFile: give one token")
		}
		s.token, s.tokenSet = token, true
		return nil
	}
}

// WithTokenFile reads the bearer token from a file once, in New (leading
// and trailing white space removed).
func WithTokenFile(path string) Option {
	return func(s *settings) error {
		if s.tokenSet {
			return errors.New("WithToken and WithTokenFile: give one token")
		}
		s.tokenFile, s.tokenSet = path, true
		return nil
	}
}

// WithHTTPClient sends the calls through hc (its transport, TLS client
// certificates, proxy). Its own Timeout, if set, also cuts event streams.
// Default: http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		s.http = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("WithUserAgent: empty or multi-line user agent")
		}
		s.userAgent = ua
		return nil
	}
}

// WithTimeout bounds each call from sending the request to reading the
// whole answer (default DefaultTimeout; 0: only the context bounds it).
// Event streams are bounded by their context only.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("WithTimeout: negative duration %s", d)
		}
		s.timeout = d
		return nil
	}
}

// WithMaxResponseBytes bounds one answer body, and one event of a stream
// (default DefaultMaxResponseBytes). A larger answer fails with
// CodeResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n < 1024 {
			return fmt.Errorf("WithMaxResponseBytes: %d is below 1024", n)
		}
		s.maxBytes = n
		return nil
	}
}

// WithPollInterval sets how often WaitOperation asks (default
// DefaultPollInterval).
func WithPollInterval(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("WithPollInterval: %s is not positive", d)
		}
		s.poll = d
		return nil
	}
}

// New returns a client of the gateway at baseURL (scheme and host, and an
// optional path prefix when the gateway sits behind a proxy:
// "https://gw.example/yrd"). It refuses a missing or malformed base URL and
// contradictory options, naming the culprit.
func New(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		return nil, errors.New("client: the gateway's base URL is required")
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http(s)://host[:port][/prefix]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("client: base URL %q: no query, fragment or user info", baseURL)
	}
	s := settings{http: http.DefaultClient, userAgent: DefaultUserAgent, timeout: DefaultTimeout,
		maxBytes: DefaultMaxResponseBytes, poll: DefaultPollInterval}
	for _, o := range opts {
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	if s.tokenFile != "" {
		b, err := os.ReadFile(s.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("client: WithTokenFile: %w", err)
		}
		s.token = strings.TrimSpace(string(b))
	}
	if s.tokenSet {
		if s.token == "" {
			return nil, errors.New("client: empty token (leave WithToken/WithTokenFile out to send none)")
		}
		if strings.ContainsAny(s.token, " \t\r\n") {
			return nil, errors.New("client: token holds white space")
		}
	}
	return &Client{base: strings.TrimRight(u.String(), "/"), token: s.token, http: s.http, userAgent: s.userAgent,
		timeout: s.timeout, maxBytes: s.maxBytes, poll: s.poll}, nil
}

// BaseURL is the gateway's base URL as given to New, without a trailing
// slash.
func (c *Client) BaseURL() string { return c.base }

// request is one call of a route.
type request struct {
	route rest.Route
	// ids fill the route's path parameters, in order.
	ids   []string
	query url.Values
	// body is sent as JSON when the route takes one.
	body any
	// raw, when set, is sent as the body instead, with Content-Type
	// contentType (a CSV route's text/csv body).
	raw         []byte
	contentType string
	// async asks a write route for 202 Accepted.
	async bool
}

// path fills the route's path parameters, refusing a missing or empty one.
func (r request) path() (string, *Error) {
	if n := strings.Count(r.route.Path, "{"); n != len(r.ids) {
		return "", clientError(CodeInvalidArgument, r.route.Method, r.route.Path, nil,
			"route %s takes %d path parameter(s), got %d", r.route.Name, n, len(r.ids))
	}
	for _, id := range r.ids {
		if id == "" {
			return "", clientError(CodeInvalidArgument, r.route.Method, r.route.Path, nil, "%s: empty ID", r.route.Name)
		}
	}
	return r.route.PathFor(r.ids...), nil
}

// wantStatus is the status a successful answer must carry.
func (r request) wantStatus() int {
	if r.async {
		return http.StatusAccepted
	}
	return r.route.SuccessStatus()
}

// newHTTPRequest builds the HTTP request of r.
func (c *Client) newHTTPRequest(ctx context.Context, r request, path string) (*http.Request, *Error) {
	q := r.query
	if r.async {
		q = cloneValues(q)
		q.Set(rest.AsyncParam, "true")
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	contentType := "application/json"
	if r.raw != nil {
		if !r.route.CSV || r.body != nil {
			return nil, clientError(CodeInvalidArgument, r.route.Method, path, nil, "route %s takes no CSV body", r.route.Name)
		}
		body, contentType = bytes.NewReader(r.raw), r.contentType
	} else if r.route.Body == nil && r.body != nil {
		return nil, clientError(CodeInvalidArgument, r.route.Method, path, nil, "route %s takes no body, got %T", r.route.Name, r.body)
	}
	if r.route.Body != nil && r.raw == nil {
		if r.body == nil || reflect.TypeOf(r.body) != r.route.Body {
			return nil, clientError(CodeInvalidArgument, r.route.Method, path, nil,
				"route %s takes a %s body, got %T", r.route.Name, r.route.Body, r.body)
		}
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, clientError(CodeInvalidArgument, r.route.Method, path, err, "encode %s body: %v", r.route.Name, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.route.Method, u, body)
	if err != nil {
		return nil, clientError(CodeInvalidArgument, r.route.Method, path, err, "build request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" && !r.route.Public {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// do sends r and returns the body of its success answer, read in full and
// bounded; any other answer or failure is an *Error.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	path, perr := r.path()
	if perr != nil {
		return nil, perr
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, rerr := c.newHTTPRequest(ctx, r, path)
	if rerr != nil {
		return nil, rerr
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, req.Method, path, 0, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, transportError(ctx, req.Method, path, resp.StatusCode, err)
	}
	if int64(len(b)) > c.maxBytes {
		return nil, &Error{Status: resp.StatusCode, Code: CodeResponseTooLarge, Method: req.Method, Path: path,
			Message: fmt.Sprintf("%s %s: answer exceeds %d bytes", req.Method, path, c.maxBytes)}
	}
	want := r.wantStatus()
	switch {
	case resp.StatusCode == want, r.route.Accepted && resp.StatusCode == http.StatusOK:
		// An accepted route answers 200 with the existing job of a repeat.
		return b, nil
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return nil, &Error{Status: resp.StatusCode, Code: CodeBadResponse, Method: req.Method, Path: path,
			Message: fmt.Sprintf("%s %s: status %d, the route answers %d", req.Method, path, resp.StatusCode, want)}
	}
	return nil, answerError(req.Method, path, resp.StatusCode, resp.Header, b)
}

// decode parses a success answer into T; the client is lenient about
// fields it does not know, so that a newer gateway does not break it.
func decode[T any](r request, b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		path, _ := r.path()
		e := clientError(CodeBadResponse, r.route.Method, path, err, "%s %s: answer is not a %s: %v",
			r.route.Method, path, reflect.TypeFor[T](), err)
		e.Status = r.wantStatus() // the answer had the route's success status
		return v, e
	}
	return v, nil
}

// checkResult refuses T when it is not the route's result type: a guard
// against a method wired to the wrong route.
func checkResult[T any](r request) error {
	if r.route.Result != reflect.TypeFor[T]() {
		return clientError(CodeInvalidArgument, r.route.Method, r.route.Path, nil,
			"route %s answers %v, not %v", r.route.Name, r.route.Result, reflect.TypeFor[T]())
	}
	return nil
}

// read calls a read route and decodes its answer.
func read[T any](ctx context.Context, c *Client, r request) (T, error) {
	var zero T
	if err := checkResult[T](r); err != nil {
		return zero, err
	}
	b, err := c.do(ctx, r)
	if err != nil {
		return zero, err
	}
	return decode[T](r, b)
}

// write calls a write route and waits for its commit (201).
func write[T any](ctx context.Context, c *Client, r request) (rest.Committed[T], error) {
	if err := checkResult[T](r); err != nil {
		return rest.Committed[T]{}, err
	}
	b, err := c.do(ctx, r)
	if err != nil {
		return rest.Committed[T]{}, err
	}
	return decode[rest.Committed[T]](r, b)
}

// writeAsync calls a write route with ?async=true (202).
func writeAsync(ctx context.Context, c *Client, r request) (rest.Accepted, error) {
	r.async = true
	if !r.route.Write {
		path, _ := r.path()
		return rest.Accepted{}, clientError(CodeInvalidArgument, r.route.Method, path, nil, "route %s is not a write", r.route.Name)
	}
	b, err := c.do(ctx, r)
	if err != nil {
		return rest.Accepted{}, err
	}
	return decode[rest.Accepted](r, b)
}

// readBounded reads at most max bytes of r (more is cut off: for error
// answers, whose message is all that is kept).
func readBounded(r io.Reader, max int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, max))
}
