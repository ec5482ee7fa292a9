package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/eventhub"
	"github.com/yangtze-delta/settlement/rest"
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
		return eventPosition{}, badRequest("Last-Event-ID must be \"block:index\", got %q", truncate(s, 64))
	}
	return eventPosition{block, index}, nil
}

// txEvents decodes a chaincode event envelope into the bank-facing form,
// keeping only the business events that pass the filters (type, and an
// account named as account, from or to). It reports false when nothing
// is left.
func txEvents(block uint64, payload []byte, typ, account string, visible func(api.Event) bool) (rest.TxEvents, bool) {
	var env api.Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return rest.TxEvents{}, false
	}
	out := rest.TxEvents{TxID: env.TxID, Block: block, Timestamp: env.Timestamp}
	for _, ev := range env.Events {
		if !visible(ev) {
			continue
		}
		if typ != "" && string(ev.Type) != typ {
			continue
		}
		if account != "" && ev.Account != account && ev.From != account && ev.To != account {
			continue
		}
		out.Events = append(out.Events, toEvent(ev))
	}
	return out, len(out.Events) > 0
}

const heartbeat = 15 * time.Second

// events streams the chaincode's business events as Server-Sent Events,
// one SSE event per transaction (rest.TxEvents). Resume with the
// Last-Event-ID header (or ?lastEventId=): the stream continues after that
// event. Without it, ?fromBlock= starts at a block; otherwise the stream
// starts at the next block. Filters: ?type= and ?account=.
//
// Every client shares the gateway's one peer stream (package eventhub);
// a client that resumes from before the hub's buffer gets a dedicated
// replay stream, at most Options.MaxReplays at a time (429 beyond).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.Get("lastEventId")
	}
	var opts eventhub.SubscribeOptions
	resume := eventPosition{index: -1}
	if last != "" {
		p, err := parsePosition(last)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resume = p
		opts.After = &eventhub.Position{Block: p.block, Index: p.index}
	} else if fb := q.Get("fromBlock"); fb != "" {
		b, err := strconv.ParseUint(fb, 10, 64)
		if err != nil {
			s.fail(w, r, badRequest("fromBlock must be a block number"))
			return
		}
		opts.From = &b
		resume.block = b
	}
	typ, account := truncate(q.Get("type"), api.MaxIDLen), truncate(q.Get("account"), api.MaxIDLen)
	ctx := r.Context()
	sub, err := s.hub.Subscribe(ctx, opts)
	switch {
	case err == nil:
		defer sub.Close()
		s.stream(w, r, typ, account, func() (eventhub.Event, bool) {
			select {
			case ev, ok := <-sub.Events():
				return ev, ok
			case <-ctx.Done():
				return eventhub.Event{}, false
			}
		})
	case errors.Is(err, eventhub.ErrTooOld):
		s.replayStream(w, r, resume, typ, account)
	case errors.Is(err, eventhub.ErrTooManySubscribers):
		s.fail(w, r, newError(rest.CodeTooManyRequests, "too many event streams on this gateway"))
	default:
		s.log.WarnContext(ctx, "event stream", "err", err)
		s.fail(w, r, newError(rest.CodeEventsUnavailable, "the event stream could not be opened"))
	}
}

// replayStream serves a client resuming from before the hub's buffer from
// a dedicated peer stream, positions computed as the hub computes them.
func (s *Server) replayStream(w http.ResponseWriter, r *http.Request, resume eventPosition, typ, account string) {
	if s.replay == nil {
		s.fail(w, r, newError(rest.CodeEventsTooOld, "that position is older than this gateway keeps; resume from a later block"))
		return
	}
	select {
	case s.replays <- struct{}{}:
		defer func() { <-s.replays }()
	default:
		s.fail(w, r, newError(rest.CodeTooManyRequests, "too many replay streams on this gateway"))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	src, err := s.replay(ctx, resume.block)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur := eventPosition{index: -1}
	s.stream(w, r, typ, account, func() (eventhub.Event, bool) {
		for {
			ev, ok := <-src
			if !ok {
				return eventhub.Event{}, false
			}
			if ev.BlockNumber != cur.block || cur.index < 0 {
				cur = eventPosition{block: ev.BlockNumber, index: 0}
			} else {
				cur.index++
			}
			if cur.block < resume.block || (cur.block == resume.block && cur.index <= resume.index) {
				continue
			}
			return eventhub.Event{Event: ev, Index: cur.index}, true
		}
	})
}

// stream writes the SSE response from next until it reports false, the
// client goes away or the gateway shuts down.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, typ, account string, next func() (eventhub.Event, bool)) {
	ctx := r.Context()
	visible := s.visibleTo(clientName(ctx))
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()

	evc := make(chan eventhub.Event)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(evc)
		for {
			ev, ok := next()
			if !ok {
				return
			}
			select {
			case evc <- ev:
			case <-done:
				return
			}
		}
	}()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-tick.C:
			_ = rc.SetWriteDeadline(time.Now().Add(heartbeat))
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
		case ev, ok := <-evc:
			if !ok {
				// The stream ended; the client reconnects with its Last-Event-ID.
				return
			}
			if ev.Name != api.EventName {
				continue
			}
			txe, ok := txEvents(ev.BlockNumber, ev.Payload, typ, account, visible)
			if !ok {
				continue
			}
			data, err := json.Marshal(txe)
			if err != nil {
				continue
			}
			_ = rc.SetWriteDeadline(time.Now().Add(heartbeat))
			if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.Position(), rest.SSEEventName, data); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}

// visibleTo says which business events a client may receive, from the
// identity its certificate states: auditors every event, compliance
// officers and admins their province's, a bank's roles their bank's (as
// payer, payee or owner). The gateway itself listens with one identity for
// everyone; this filter is what keeps one bank's flows from another.
func (s *Server) visibleTo(client string) func(api.Event) bool {
	id, ok := s.ids[client]
	switch {
	case !ok:
		return func(api.Event) bool { return false }
	case id.Role == api.RoleAuditor:
		return func(api.Event) bool { return true }
	case api.RoleNeedsBank(id.Role):
		return func(e api.Event) bool { return e.Concerns(id.MSPID, id.Bank) }
	default:
		return func(e api.Event) bool { return e.Concerns(id.MSPID, "") }
	}
}
