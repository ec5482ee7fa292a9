package config

import "time"

// Interbank configures interbank settlement at the gateway: the
// liquidity-saving cycle timer and the bounds of the interbank routes.
// Every field's zero value works: no timer, the defaults below.
type Interbank struct {
	// CycleIdentity names the client whose ledger identity the cycle timer
	// runs as: the province's issuer (the gateway refuses to start when the
	// client's certificate says another role). "" runs no timer; the
	// issuer can still run a cycle with POST /v1/interbank/cycles.
	CycleIdentity string `json:"cycleIdentity,omitempty"`
	// CycleInterval is the time between timer ticks; 0 follows the
	// business calendar's cycleIntervalSec (re-read at every tick).
	CycleInterval Duration `json:"cycleInterval,omitempty"`
	// MaxQueue bounds the waiting transfers one cycle reads (0: 10,000).
	MaxQueue int `json:"maxQueue,omitempty"`
	// MaxDayTransfers bounds the transfers a reconciliation or a day's
	// close reads (0: 100,000); a larger day answers 422 DAY_TOO_LARGE.
	MaxDayTransfers int `json:"maxDayTransfers,omitempty"`
}

// Limits of the interbank section.
const (
	maxCycleInterval = time.Hour
	maxInterbankRead = 10_000_000
)

// validateInterbank checks the interbank section.
func (c *Config) validateInterbank() error {
	ib := c.Interbank
	if ib.CycleIdentity != "" && !c.hasClient(ib.CycleIdentity) {
		return invalid("interbank.cycleIdentity", "no client named %q", ib.CycleIdentity)
	}
	if ib.CycleInterval < 0 || ib.CycleInterval.D() > maxCycleInterval {
		return invalid("interbank.cycleInterval", "must be 0 (the calendar's) to %s", maxCycleInterval)
	}
	if ib.MaxQueue < 0 || ib.MaxQueue > maxInterbankRead {
		return invalid("interbank.maxQueue", "must be 0 (10000) to %d", maxInterbankRead)
	}
	if ib.MaxDayTransfers < 0 || ib.MaxDayTransfers > maxInterbankRead {
		return invalid("interbank.maxDayTransfers", "must be 0 (100000) to %d", maxInterbankRead)
	}
	return nil
}
