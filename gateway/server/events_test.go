package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

// collect reads n events from the gateway's SSE stream.
func collect(t *testing.T, c *client.Client, opts client.EventsOptions, n int) ([]client.Event, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []client.Event
	last, err := c.Events(ctx, opts, func(ev client.Event) error {
		got = append(got, ev)
		if len(got) == n {
			return client.ErrStop
		}
		return nil
	})
	if err != nil {
		t.Fatalf("events after %d of %d: %v", len(got), n, err)
	}
	return got, last
}

func TestEvents(t *testing.T) {
	h := funded(t, harnessOptions{})
	ts := httptest.NewServer(h.h)
	defer ts.Close()
	c, err := client.New(ts.URL, client.WithToken(token("sh-aud")))
	if err != nil {
		t.Fatal(err)
	}
	from := h.led.Height() // the first of the three payments below
	for i := range 3 {
		h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:ev" + string(rune('0'+i)), From: settle, To: shShop, Amount: y("1")})
	}
	first := uint64(1)
	// 4 opens, the ceiling and the mint (3 transactions each: propose,
	// 2 approvals, execute: 4), the funding payment, 3 payments.
	all, _ := collect(t, c, client.EventsOptions{FromBlock: &first}, 4+8+1+3)
	var types []string
	for _, ev := range all {
		for _, e := range ev.Data.Events {
			types = append(types, e.Type)
		}
	}
	if got := strings.Join(types, ","); got != "AccountOpened,AccountOpened,AccountOpened,AccountOpened,"+
		"Proposed,Approved,Approved,CeilingSet,Executed,Proposed,Approved,Approved,Minted,Executed,"+
		"Transferred,Transferred,Transferred,Transferred" {
		t.Fatalf("events %s", got)
	}
	t.Run("from block, filtered by type", func(t *testing.T) {
		evs, _ := collect(t, c, client.EventsOptions{FromBlock: &from, Type: "Transferred"}, 3)
		for i, ev := range evs {
			if len(ev.Data.Events) != 1 || ev.Data.Events[0].Type != "Transferred" || ev.Data.Events[0].ID != "SH-CITY:ev"+string(rune('0'+i)) {
				t.Fatalf("event %d: %+v", i, ev.Data)
			}
		}
	})
	t.Run("resume after an event delivers the rest once", func(t *testing.T) {
		evs, _ := collect(t, c, client.EventsOptions{FromBlock: &from, Type: "Transferred"}, 1)
		rest2, _ := collect(t, c, client.EventsOptions{LastEventID: evs[0].ID, Type: "Transferred"}, 2)
		if rest2[0].Data.Events[0].ID != "SH-CITY:ev1" || rest2[1].Data.Events[0].ID != "SH-CITY:ev2" {
			t.Fatalf("resumed %+v", rest2)
		}
	})
	t.Run("live", func(t *testing.T) {
		got := make(chan client.Event, 1)
		errc := make(chan error, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		next := h.led.Height() // the block the payment below will be in
		go func() {
			_, err := c.Events(ctx, client.EventsOptions{Account: jsShop, FromBlock: &next}, func(ev client.Event) error {
				got <- ev
				return client.ErrStop
			})
			errc <- err
		}()
		h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:live", From: settle, To: jsShop, Amount: y("2")})
		select {
		case ev := <-got:
			if ev.Data.Events[0].ID != "SH-CITY:live" || ev.Data.Events[0].To != jsShop || ev.Data.Block != next {
				t.Fatalf("live event %+v", ev.Data)
			}
		case err := <-errc:
			t.Fatalf("stream ended: %v", err)
		case <-ctx.Done():
			t.Fatal("no live event")
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bad position", func(t *testing.T) {
		r := h.do("sh-aud", "GET", "/v1/events?lastEventId=x", "")
		if r.status != http.StatusBadRequest {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// TestEventsCap: beyond MaxSubscribers a client gets 429.
func TestEventsCap(t *testing.T) {
	h := newHarness(t, harnessOptions{maxSubs: 1})
	ts := httptest.NewServer(h.h)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token("sh-aud"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first stream %d", resp.StatusCode)
	}
	r := h.do("sh-aud", "GET", "/v1/events", "")
	if r.status != http.StatusTooManyRequests || r.code(t) != rest.CodeTooManyRequests {
		t.Fatalf("second stream %d %s", r.status, r.body)
	}
}
