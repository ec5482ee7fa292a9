package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

// sseRequest is what the stream server received.
type sseRequest struct {
	lastEventID, query, accept, auth string
}

// sseServer streams events with IDs 10:0, 11:0, …, skipping those up to
// and including the Last-Event-ID header, after a keep-alive comment and
// an event of a name the client does not know. It reports each request on
// reqs.
func sseServer(t *testing.T, data []string, reqs chan<- sseRequest) string {
	t.Helper()
	return httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- sseRequest{r.Header.Get("Last-Event-ID"), r.URL.RawQuery, r.Header.Get("Accept"), r.Header.Get("Authorization")}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": keep-alive\n\nid: 9:0\nevent: other\ndata: {}\n\n")
		last := r.Header.Get("Last-Event-ID")
		skip := last != ""
		for i, d := range data {
			id := fmt.Sprintf("%d:0", 10+i)
			if skip {
				skip = id != last
				continue
			}
			// The data split over two lines, as SSE allows.
			first, rest, _ := strings.Cut(d, ",")
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s,\ndata: %s\n\n", id, "tx", first, rest)
		}
	}))
}

func txData(tx, typ, id string) string {
	return fmt.Sprintf(`{"txId":%q,"block":1,"timestamp":"2026-03-02T09:30:00Z","events":[{"type":%q,"id":%q}]}`, tx, typ, id)
}

var streamData = []string{txData("tx-a", "AccountOpened", "a1"), txData("tx-b", "Transferred", "p-1"), txData("tx-c", "Frozen", "a1")}

// TestEventsResume reads one event, stops, resumes from the returned ID
// and receives exactly the rest, once each.
func TestEventsResume(t *testing.T) {
	reqs := make(chan sseRequest, 4)
	url := sseServer(t, streamData, reqs)
	c := mustNew(t, url, client.WithToken("tok"))
	from := uint64(5)

	var got []string
	last, err := c.Events(context.Background(), client.EventsOptions{Type: "Transferred", Account: "a1", FromBlock: &from},
		func(ev client.Event) error {
			got = append(got, ev.ID+" "+ev.Data.TxID+" "+ev.Data.Events[0].Type)
			return client.ErrStop
		})
	if err != nil || last != "10:0" {
		t.Fatalf("first read: last %q, err %v", last, err)
	}
	r := <-reqs
	if r.lastEventID != "" || r.query != "account=a1&fromBlock=5&type=Transferred" || r.accept != "text/event-stream" || r.auth != "Bearer tok" {
		t.Fatalf("first request %+v", r)
	}

	last, err = c.Events(context.Background(), client.EventsOptions{LastEventID: last, FromBlock: &from}, func(ev client.Event) error {
		got = append(got, ev.ID+" "+ev.Data.TxID+" "+ev.Data.Events[0].Type)
		return nil
	})
	if err != nil {
		t.Fatalf("a stream the gateway ends is not an error: %v", err)
	}
	if last != "12:0" {
		t.Fatalf("last %q", last)
	}
	r = <-reqs
	if r.lastEventID != "10:0" || r.query != "" {
		t.Fatalf("resume request %+v: fromBlock must give way to the Last-Event-ID", r)
	}
	want := []string{"10:0 tx-a AccountOpened", "11:0 tx-b Transferred", "12:0 tx-c Frozen"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", got, want)
	}
}

// TestEventsFailures: error answers, foreign answers, oversized events,
// undecodable data, a callback's error and the context's end.
func TestEventsFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("an error answer", func(t *testing.T) {
		f := newFake(t)
		f.answer(400, `{"code":"INVALID_REQUEST","message":"Last-Event-ID must be \"block:index\""}`)
		last, err := mustNew(t, f.srv.URL).Events(ctx, client.EventsOptions{LastEventID: "yesterday"}, func(client.Event) error { return nil })
		requireCode(t, err, rest.CodeInvalidRequest, 400)
		if last != "yesterday" || f.last(t).lastEventID != "yesterday" {
			t.Fatalf("last %q", last)
		}
	})
	t.Run("not an event stream", func(t *testing.T) {
		f := newFake(t)
		f.answer(200, `{}`)
		_, err := mustNew(t, f.srv.URL).Events(ctx, client.EventsOptions{}, func(client.Event) error { return nil })
		requireCode(t, err, client.CodeBadResponse, 200)
	})
	t.Run("an event larger than the bound", func(t *testing.T) {
		f := newFake(t)
		f.answerWith(answer{status: 200, header: map[string]string{"Content-Type": "text/event-stream"},
			body: "id: 1:0\nevent: tx\ndata: " + strings.Repeat("x", 600) + "\ndata: " + strings.Repeat("y", 600) + "\n\n"})
		_, err := mustNew(t, f.srv.URL, client.WithMaxResponseBytes(1024)).Events(ctx, client.EventsOptions{}, func(client.Event) error { return nil })
		requireCode(t, err, client.CodeResponseTooLarge, 200)
	})
	t.Run("a line larger than the bound", func(t *testing.T) {
		f := newFake(t)
		f.answerWith(answer{status: 200, header: map[string]string{"Content-Type": "text/event-stream"},
			body: "id: 1:0\nevent: tx\ndata: " + strings.Repeat("x", 4096) + "\n\n"})
		_, err := mustNew(t, f.srv.URL, client.WithMaxResponseBytes(1024)).Events(ctx, client.EventsOptions{}, func(client.Event) error { return nil })
		requireCode(t, err, client.CodeResponseTooLarge, 200)
	})
	t.Run("data that is not TxEvents", func(t *testing.T) {
		f := newFake(t)
		f.answerWith(answer{status: 200, header: map[string]string{"Content-Type": "text/event-stream"}, body: "id: 1:0\nevent: tx\ndata: [1]\n\n"})
		_, err := mustNew(t, f.srv.URL).Events(ctx, client.EventsOptions{}, func(client.Event) error { return nil })
		requireCode(t, err, client.CodeBadResponse, 0)
	})
	t.Run("the callback's error is returned as is", func(t *testing.T) {
		reqs := make(chan sseRequest, 1)
		mine := errors.New("mine")
		last, err := mustNew(t, sseServer(t, streamData, reqs)).Events(ctx, client.EventsOptions{}, func(client.Event) error { return mine })
		if err != mine || last != "10:0" {
			t.Fatalf("last %q, err %v", last, err)
		}
	})
	t.Run("the context ends the stream", func(t *testing.T) {
		reqs := make(chan sseRequest, 1)
		hold := make(chan struct{})
		defer close(hold)
		url := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reqs <- sseRequest{}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "id: 10:0\nevent: tx\ndata: %s\n\n", streamData[0])
			w.(http.Flusher).Flush()
			select { // keep the stream open
			case <-r.Context().Done():
			case <-hold:
			}
		}))
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		last, err := mustNew(t, url).Events(cctx, client.EventsOptions{}, func(client.Event) error {
			cancel() // the caller goes away after the first event
			return nil
		})
		requireCode(t, err, client.CodeCanceled, 200)
		if last != "10:0" || !errors.Is(err, context.Canceled) {
			t.Fatalf("last %q, err %v", last, err)
		}
	})
}
