package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// eventPosition is an SSE event ID "block:index", where index is the
// event's position among this chaincode's events in that block (Fabric
// allows one chaincode event per transaction, delivered in block order, so
// the position is stable across reconnects).
type eventPosition struct {
	block uint64
	index int
}

func (p eventPosition) String() string { return fmt.Sprintf("%d:%d", p.block, p.index) }

func parsePosition(s string) (eventPosition, error) {
	b, i, ok := strings.Cut(s, ":")
	block, berr := strconv.ParseUint(b, 10, 64)
	index, ierr := strconv.Atoi(i)
	if !ok || berr != nil || ierr != nil || index < 0 {
		return eventPosition{}, badRequest(CodeInvalidRequest, "Last-Event-ID must be \"block:index\", got %q", s)
	}
	return eventPosition{block, index}, nil
}

// eventPayload is the part of the chaincode's event payload used for filters:
// {"version":1,"txId","timestamp","events":[{"type",...}]}.
type eventPayload struct {
	Events []map[string]any `json:"events"`
}

// matches reports whether any business event has the type (if given) and
// names the account (as account, from or to; if given).
func matches(payload []byte, typ, account string) bool {
	if typ == "" && account == "" {
		return true
	}
	var p eventPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return false
	}
	for _, ev := range p.Events {
		if typ != "" && ev["type"] != typ {
			continue
		}
		if account == "" || ev["account"] == account || ev["from"] == account || ev["to"] == account {
			return true
		}
	}
	return false
}

const heartbeat = 15 * time.Second

// events streams the chaincode's business events as Server-Sent Events.
// Resume with the Last-Event-ID header (or ?lastEventId=): the stream
// restarts at that block and skips what was already delivered. Without it,
// ?fromBlock= starts at a block; otherwise the stream starts at the next
// block. Filters: ?type= and ?account=.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.Get("lastEventId")
	}
	var start *uint64
	resume := eventPosition{index: -1}
	if last != "" {
		p, err := parsePosition(last)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resume, start = p, &p.block
	} else if fb := q.Get("fromBlock"); fb != "" {
		b, err := strconv.ParseUint(fb, 10, 64)
		if err != nil {
			s.fail(w, r, badRequest(CodeInvalidRequest, "fromBlock must be a block number"))
			return
		}
		start = &b
	}
	typ, account := q.Get("type"), q.Get("account")

	ctx := r.Context()
	src, err := s.ledger.Events(ctx, clientName(ctx), start)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()

	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	cur := eventPosition{index: -1}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
		case ev, ok := <-src:
			if !ok {
				// The peer's stream ended; the client reconnects with its Last-Event-ID.
				return
			}
			if ev.BlockNumber != cur.block || cur.index < 0 {
				cur = eventPosition{block: ev.BlockNumber, index: 0}
			} else {
				cur.index++
			}
			if ev.Name != eventName {
				continue
			}
			if cur.block < resume.block || (cur.block == resume.block && cur.index <= resume.index) {
				continue
			}
			if !matches(ev.Payload, typ, account) {
				continue
			}
			data := passThrough(ev.Payload)
			if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", cur, eventName, compact(data)); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}

// compact puts JSON on one line, as an SSE data field requires.
func compact(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return bytes.ReplaceAll(b, []byte("\n"), []byte(" "))
	}
	return out.Bytes()
}
