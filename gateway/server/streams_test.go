package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// TestStreamsPerClient: one client cannot hold more event streams than
// its share; other clients still get theirs; a closed stream frees its slot.
func TestStreamsPerClient(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.srv.streams = newClientStreams(1)
	ts := httptest.NewServer(h.srv.Handler())
	t.Cleanup(ts.Close)

	open := func(ctx context.Context, client string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+"/v1/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token(client))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := open(ctx, "sh-aud")
	if first.StatusCode != http.StatusOK {
		t.Fatalf("first stream: %d", first.StatusCode)
	}
	// The stream's headers arrived, so its handler holds the slot.
	second := open(context.Background(), "sh-aud")
	var e rest.Error
	_ = json.NewDecoder(second.Body).Decode(&e)
	second.Body.Close()
	if second.StatusCode != http.StatusTooManyRequests || e.Code != rest.CodeTooManyRequests || second.Header.Get("Retry-After") == "" {
		t.Fatalf("second stream of the same client: %d %+v", second.StatusCode, e)
	}
	other := open(ctx, "sh-op")
	if other.StatusCode != http.StatusOK {
		t.Fatalf("another client's stream: %d", other.StatusCode)
	}
	cancel()
	first.Body.Close()
	other.Body.Close()

	deadline := time.Now().Add(10 * time.Second)
	for {
		again := open(context.Background(), "sh-aud")
		again.Body.Close()
		if again.StatusCode == http.StatusOK {
			break
		}
		if again.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing the first stream: %d", again.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClientStreamsForgetIdleClients(t *testing.T) {
	c := newClientStreams(2)
	if !c.acquire("a") || !c.acquire("a") || c.acquire("a") || !c.acquire("b") {
		t.Fatal("bound not applied per client")
	}
	c.release("a")
	c.release("a")
	c.release("b")
	if len(c.n) != 0 {
		t.Fatalf("entries kept for clients without streams: %v", c.n)
	}
}
