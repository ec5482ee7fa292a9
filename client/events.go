package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yangtze-delta/settlement/rest"
)

// EventsOptions selects and resumes an event stream.
type EventsOptions struct {
	// Type keeps transactions with an event of this type ("Transferred").
	Type string
	// Account keeps transactions with an event naming this account.
	Account string
	// FromBlock, when set and LastEventID is empty, starts at that block;
	// otherwise the stream starts at the next block.
	FromBlock *uint64
	// LastEventID resumes after that event (an Event.ID, "block:index").
	LastEventID string
}

// Event is one event of the stream: the business events of one committed
// transaction that the caller may see.
type Event struct {
	// ID is the resume position, "block:index".
	ID   string
	Data rest.TxEvents
}

// ErrStop, returned by an Events callback, ends the stream without error.
var ErrStop = errors.New("client: stop the event stream")

// Events streams committed business events (GET /v1/events, Server-Sent
// Events) and calls fn for each, in order, until the gateway ends the
// stream (nil error: resume later), fn returns ErrStop (nil error) or
// another error (returned as is), or ctx ends (CodeCanceled or CodeTimeout).
// It returns the ID of the last event handed to fn (opts.LastEventID if
// none), to resume from.
//
// The per-call timeout does not apply: a stream lasts as long as ctx. One
// event, and one line of the stream, may hold WithMaxResponseBytes bytes;
// a larger one fails with CodeResponseTooLarge. Events with another SSE
// event name than rest.SSEEventName are skipped, and comments
// (keep-alives) ignored.
func (c *Client) Events(ctx context.Context, opts EventsOptions, fn func(Event) error) (string, error) {
	last := opts.LastEventID
	q := url.Values{}
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	if opts.Account != "" {
		q.Set("account", opts.Account)
	}
	if opts.FromBlock != nil && opts.LastEventID == "" {
		q.Set("fromBlock", strconv.FormatUint(*opts.FromBlock, 10))
	}
	r := request{route: rest.StreamEvents, query: q}
	path, perr := r.path()
	if perr != nil {
		return last, perr
	}
	req, rerr := c.newHTTPRequest(ctx, r, path)
	if rerr != nil {
		return last, rerr
	}
	req.Header.Set("Accept", "text/event-stream")
	if opts.LastEventID != "" {
		req.Header.Set("Last-Event-ID", opts.LastEventID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return last, transportError(ctx, req.Method, path, 0, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, err := readBounded(resp.Body, c.maxBytes)
		if err != nil {
			return last, transportError(ctx, req.Method, path, resp.StatusCode, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return last, &Error{Status: resp.StatusCode, Code: CodeBadResponse, Method: req.Method, Path: path,
				Message: fmt.Sprintf("%s %s: status %d, the stream answers 200", req.Method, path, resp.StatusCode)}
		}
		return last, answerError(req.Method, path, resp.StatusCode, resp.Header, b)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/event-stream" {
		return last, &Error{Status: resp.StatusCode, Code: CodeBadResponse, Method: req.Method, Path: path,
			Message: fmt.Sprintf("%s %s: answer is %q, not text/event-stream", req.Method, path, resp.Header.Get("Content-Type"))}
	}

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), int(min(c.maxBytes, 1<<30)))
	var (
		id, name string
		data     strings.Builder
		hasData  bool
	)
	tooLarge := func() *Error {
		return &Error{Status: resp.StatusCode, Code: CodeResponseTooLarge, Method: req.Method, Path: path,
			Message: fmt.Sprintf("%s %s: an event exceeds %d bytes", req.Method, path, c.maxBytes)}
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" { // end of an event
			if hasData && (name == rest.SSEEventName) {
				var ev Event
				ev.ID = id
				if err := json.Unmarshal([]byte(data.String()), &ev.Data); err != nil {
					return last, clientError(CodeBadResponse, req.Method, path, err, "%s %s: event %s is not a %T: %v",
						req.Method, path, id, ev.Data, err)
				}
				if id != "" {
					last = id
				}
				if err := fn(ev); err != nil {
					if errors.Is(err, ErrStop) {
						return last, nil
					}
					return last, err
				}
			}
			id, name, hasData = "", "", false
			data.Reset()
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: keep-alive
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			name = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
			if int64(data.Len()) > c.maxBytes {
				return last, tooLarge()
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return last, tooLarge()
		}
		return last, transportError(ctx, req.Method, path, resp.StatusCode, err)
	}
	if ctx.Err() != nil {
		return last, transportError(ctx, req.Method, path, resp.StatusCode, ctx.Err())
	}
	return last, nil
}
