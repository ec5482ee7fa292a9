package server

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func ev(block uint64, tx, typ, account string) ledger.Event {
	return ledger.Event{BlockNumber: block, TxID: tx, Name: eventName,
		Payload: []byte(`{"version":1,"txId":"` + tx + `","timestamp":"2025-01-01T00:00:00Z","events":[{"type":"` + typ + `","account":"` + account + `"}]}`)}
}

// readEvents reads SSE event IDs until the stream ends.
func readEvents(t *testing.T, e *testEnv, path, lastID string) []string {
	t.Helper()
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tokenBank)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var ids []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
		}
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			require.True(t, strings.HasPrefix(d, `{"version":1`), d)
		}
	}
	return ids
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	e.ledger.events = []ledger.Event{
		ev(5, "t1", "Minted", "a1"),
		ev(5, "t2", "Transferred", "b1"),
		{BlockNumber: 5, TxID: "t3", Name: "other", Payload: []byte(`{}`)},
		ev(5, "t4", "Transferred", "a1"),
		ev(7, "t5", "Transferred", "a1"),
	}
	t.Run("all", func(t *testing.T) {
		require.Equal(t, []string{"5:0", "5:1", "5:3", "7:0"}, readEvents(t, e, "/v1/events", ""))
		require.Nil(t, e.ledger.start)
	})
	t.Run("resume skips what was seen", func(t *testing.T) {
		require.Equal(t, []string{"5:3", "7:0"}, readEvents(t, e, "/v1/events", "5:1"))
		require.Equal(t, uint64(5), *e.ledger.start)
	})
	t.Run("resume by query", func(t *testing.T) {
		require.Equal(t, []string{"7:0"}, readEvents(t, e, "/v1/events?lastEventId=5:3", ""))
	})
	t.Run("filter by type and account", func(t *testing.T) {
		require.Equal(t, []string{"5:3", "7:0"}, readEvents(t, e, "/v1/events?type=Transferred&account=a1", ""))
	})
	t.Run("from block", func(t *testing.T) {
		require.Equal(t, []string{"7:0"}, readEvents(t, e, "/v1/events?fromBlock=6", ""))
	})
	t.Run("bad last event id", func(t *testing.T) {
		r := e.do("GET", "/v1/events?lastEventId=five", "")
		require.Equal(t, http.StatusBadRequest, r.status)
	})
}
