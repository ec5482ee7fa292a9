package tokencc

import (
	"fmt"
	"sort"
	"strings"
)

// Config is the contract's configuration, fixed at start-up. Every peer of
// a channel must run with the same Config: the endorsement policies the
// contract writes are derived from it and must be byte-identical.
type Config struct {
	// Orgs are the MSP IDs of the provinces. Only callers from these MSPs are
	// served; key-level policies name their peers.
	Orgs []string
	// MintQuorum is how many provinces' peers must endorse a change to the
	// supply key (mint, redeem). Zero means 3.
	MintQuorum int
}

// DefaultOrgs are the four provinces' MSP IDs.
var DefaultOrgs = []string{"ShanghaiMSP", "JiangsuMSP", "ZhejiangMSP", "AnhuiMSP"}

// DefaultConfig returns the four-province configuration.
func DefaultConfig() Config {
	return Config{Orgs: append([]string(nil), DefaultOrgs...), MintQuorum: 3}
}

// ParseOrgs splits a comma-separated list of MSP IDs (as in YRD_ORGS).
func ParseOrgs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// normalize validates c and returns a copy with sorted orgs and defaults
// applied.
func (c Config) normalize() (Config, error) {
	if len(c.Orgs) < 2 {
		return c, fmt.Errorf("tokencc config: Orgs needs at least 2 MSP IDs, got %d", len(c.Orgs))
	}
	orgs := append([]string(nil), c.Orgs...)
	sort.Strings(orgs)
	for i, o := range orgs {
		if o == "" || strings.ContainsAny(o, " ,'\"\x00") {
			return c, fmt.Errorf("tokencc config: Orgs[%d] %q is not a valid MSP ID", i, o)
		}
		if i > 0 && orgs[i-1] == o {
			return c, fmt.Errorf("tokencc config: Orgs lists %q twice", o)
		}
	}
	q := c.MintQuorum
	if q == 0 {
		q = 3
	}
	if q < 1 || q > len(orgs) {
		return c, fmt.Errorf("tokencc config: MintQuorum %d must be between 1 and len(Orgs) = %d", q, len(orgs))
	}
	return Config{Orgs: orgs, MintQuorum: q}, nil
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	_, err := c.normalize()
	return err
}

func (c Config) isOrg(msp string) bool {
	for _, o := range c.Orgs {
		if o == msp {
			return true
		}
	}
	return false
}
