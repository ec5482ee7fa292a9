package config

import "time"

// Readiness configures GET /readyz: the gateway is ready when its own
// province's peer answers, the chaincode answers on that peer alone (not
// through another province's peer), and that peer is not more than MaxLag
// blocks behind the highest of the other provinces' peers for longer than
// Grace.
type Readiness struct {
	// MaxLag is how many blocks the province's peer may be behind the
	// highest other peer (default 5). Under load heights differ by a block
	// or two for a moment; 0 allows no lag at all.
	MaxLag uint64 `json:"maxLag"`
	// Grace is how long the peer may stay more than MaxLag behind before
	// readiness fails (default 5s): a restarted peer catches up in seconds.
	Grace Duration `json:"grace"`
	// CacheFor is how long one probe's result answers /readyz (default
	// 1s): at most one probe runs at a time and at most one per CacheFor,
	// however often /readyz is called, so the public route cannot be used
	// to load the network.
	CacheFor Duration `json:"cacheFor"`
	// Timeout bounds one probe (the own peer's chaincode, then every
	// province's height in parallel; default 3s).
	Timeout Duration `json:"timeout"`
}

func defaultReadiness() Readiness {
	return Readiness{
		MaxLag:   5,
		Grace:    Duration(5 * time.Second),
		CacheFor: Duration(time.Second),
		Timeout:  Duration(3 * time.Second),
	}
}

// Limits of the readiness and input-limit fields.
const (
	maxReadinessCache = time.Minute
	maxReadinessGrace = time.Hour
	minURLBytes       = 256
)

// validateLimits checks the readiness section and the request limits that
// came with it (http.maxURLBytes, http.maxQueryBytes, events.maxPerClient).
func (c *Config) validateLimits() error {
	r := c.Readiness
	if r.Grace < 0 || r.Grace.D() > maxReadinessGrace {
		return invalid("readiness.grace", "must be 0 to %s", maxReadinessGrace)
	}
	if r.CacheFor <= 0 || r.CacheFor.D() > maxReadinessCache {
		return invalid("readiness.cacheFor", "must be a positive duration up to %s", maxReadinessCache)
	}
	if r.Timeout <= 0 {
		return invalid("readiness.timeout", "must be a positive duration")
	}
	h := c.HTTP
	if h.MaxURLBytes < minURLBytes || h.MaxURLBytes > h.MaxHeaderBytes {
		return invalid("http.maxURLBytes", "must be %d to http.maxHeaderBytes (%d)", minURLBytes, h.MaxHeaderBytes)
	}
	if h.MaxQueryBytes < 1 {
		return invalid("http.maxQueryBytes", "must be at least 1 (http.maxURLBytes bounds it as well)")
	}
	if c.Events.MaxPerClient < 1 || c.Events.MaxPerClient > c.Events.MaxSubscribers {
		return invalid("events.maxPerClient", "must be 1 to events.maxSubscribers (%d)", c.Events.MaxSubscribers)
	}
	return nil
}
