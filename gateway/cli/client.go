package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// APIError is the gateway's typed JSON error: {code, message, details}.
// Branch on Code, never on Message.
type APIError struct {
	// Status is the HTTP status of the answer.
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Client calls one gateway's HTTP API. Its zero value is not usable: set
// BaseURL. A Client is safe for concurrent use.
type Client struct {
	// BaseURL is the gateway, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is the bearer token; empty sends no Authorization header.
	Token string
	// HTTP is the transport; nil means http.DefaultClient.
	HTTP *http.Client
}

// Response is a successful answer: its status and raw JSON body.
type Response struct {
	Status int
	Body   json.RawMessage
	// Location is the Location header (async writes).
	Location string
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// Do sends a request with an optional JSON body. A 2xx answer is returned
// as a Response; any other answer as an *APIError (a body that is not the
// gateway's error shape becomes code HTTP_<status>).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (*Response, error) {
	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, apiError(resp.StatusCode, b)
	}
	return &Response{Status: resp.StatusCode, Body: bytes.TrimSpace(b), Location: resp.Header.Get("Location")}, nil
}

func apiError(status int, b []byte) *APIError {
	e := &APIError{}
	if err := json.Unmarshal(b, e); err != nil || e.Code == "" {
		msg := strings.TrimSpace(string(b))
		if msg == "" {
			msg = http.StatusText(status)
		}
		e = &APIError{Code: fmt.Sprintf("HTTP_%d", status), Message: msg}
	}
	e.Status = status
	return e
}

// Event is one Server-Sent Event from GET /v1/events.
type Event struct {
	// ID is the resume position "block:index".
	ID   string
	Name string
	Data json.RawMessage
}

// EventsOptions selects and resumes an event stream.
type EventsOptions struct {
	Type, Account string
	// LastEventID resumes after that event.
	LastEventID string
	// FromBlock, when set and LastEventID is empty, starts at that block.
	FromBlock *uint64
}

// ErrStop, returned by an Events callback, ends the stream without error.
var ErrStop = errors.New("cli: stop")

// Events reads the event stream and calls fn for each event until ctx
// ends, the server closes the stream, or fn returns an error (ErrStop ends
// it without error). It returns the last event ID seen, so that a caller
// can resume with it.
func (c *Client) Events(ctx context.Context, opts EventsOptions, fn func(Event) error) (string, error) {
	q := url.Values{}
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	if opts.Account != "" {
		q.Set("account", opts.Account)
	}
	if opts.FromBlock != nil && opts.LastEventID == "" {
		q.Set("fromBlock", fmt.Sprint(*opts.FromBlock))
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/events", q, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "text/event-stream")
	if opts.LastEventID != "" {
		req.Header.Set("Last-Event-ID", opts.LastEventID)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return "", fmt.Errorf("GET /v1/events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return "", apiError(resp.StatusCode, b)
	}
	last := opts.LastEventID
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var ev Event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 {
				ev.Data = json.RawMessage(strings.Join(data, "\n"))
				if ev.ID != "" {
					last = ev.ID
				}
				if err := fn(ev); err != nil {
					if errors.Is(err, ErrStop) {
						return last, nil
					}
					return last, err
				}
			}
			ev, data = Event{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // comment (keep-alive)
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Name = value
		case "data":
			data = append(data, value)
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return last, fmt.Errorf("read event stream: %w", err)
	}
	return last, nil
}
