package config

import (
	"time"

	"github.com/yangtze-delta/settlement/api"
)

// Coalesce configures payment coalescing: single payments (POST
// /v1/payments) that reach the gateway close together are settled in one
// token:TransferBatch transaction, each client still getting its own
// answer (package gateway/coalesce). On unless Disabled; every other
// field's zero value takes the default named, which package coalesce
// defines.
type Coalesce struct {
	// Disabled makes every payment a token:Transfer of its own.
	Disabled bool `json:"disabled,omitempty"`
	// Window is how long a payment waits for others before its batch is
	// formed (0: 2ms), up to 1s.
	Window Duration `json:"window,omitempty"`
	// MaxItems caps a batch, and forms one at once when that many payments
	// wait (0: 100), up to api.MaxBatchItems.
	MaxItems int `json:"maxItems,omitempty"`
	// MaxPending caps the payments waiting for a batch (0: 2000); beyond,
	// 429 TOO_MANY_REQUESTS.
	MaxPending int `json:"maxPending,omitempty"`
	// MaxInFlight caps the batches being endorsed and committed at once
	// (0: 8); while at the cap, waiting batches grow up to MaxItems.
	MaxInFlight int `json:"maxInFlight,omitempty"`
	// Runs is how many times in total a batch invalidated as a whole by a
	// read conflict (after the retry.conflictAttempts proposals each run
	// already makes) is run (0: 2).
	Runs int `json:"runs,omitempty"`
}

// Limits of the coalesce section.
const (
	maxCoalesceWindow   = time.Second
	maxCoalescePending  = 1_000_000
	maxCoalesceInFlight = 256
	maxCoalesceRuns     = 10
)

// validateCoalesce checks the coalesce section.
func (c *Config) validateCoalesce() error {
	co := c.Coalesce
	if co.Window < 0 || co.Window.D() > maxCoalesceWindow {
		return invalid("coalesce.window", "must be 0 (2ms) to %s", maxCoalesceWindow)
	}
	for _, f := range []struct {
		name   string
		v, max int
		def    string
	}{
		{"coalesce.maxItems", co.MaxItems, api.MaxBatchItems, "100"},
		{"coalesce.maxPending", co.MaxPending, maxCoalescePending, "2000"},
		{"coalesce.maxInFlight", co.MaxInFlight, maxCoalesceInFlight, "8"},
		{"coalesce.runs", co.Runs, maxCoalesceRuns, "2"},
	} {
		if f.v < 0 || f.v > f.max {
			return invalid(f.name, "must be 0 (%s) to %d", f.def, f.max)
		}
	}
	return nil
}
