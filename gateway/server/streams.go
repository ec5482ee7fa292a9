package server

import (
	"net/http"
	"sync"

	"github.com/yangtze-delta/settlement/rest"
)

// clientStreams bounds the event streams (live and replay) each client holds
// at once, so that one client cannot take every one of the gateway's
// subscriber slots (events.maxSubscribers) from the others. At the limit a
// new stream gets 429 TOO_MANY_REQUESTS. The map holds at most one entry per
// configured client (the names come from authentication), and an entry is
// removed when its count returns to zero.
type clientStreams struct {
	mu  sync.Mutex
	max int
	n   map[string]int
}

func newClientStreams(max int) *clientStreams {
	return &clientStreams{max: max, n: map[string]int{}}
}

func (c *clientStreams) acquire(client string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[client] >= c.max {
		return false
	}
	c.n[client]++
	return true
}

func (c *clientStreams) release(client string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[client]--; c.n[client] <= 0 {
		delete(c.n, client)
	}
}

// limitStreams wraps the event stream handler with the per-client bound.
func (s *Server) limitStreams(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := clientName(r.Context())
		if !s.streams.acquire(name) {
			s.fail(w, r, newError(rest.CodeTooManyRequests, "this client holds %d event streams on this gateway already", s.streams.max))
			return
		}
		defer s.streams.release(name)
		next(w, r)
	}
}
