package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a run. DefaultConfig gives working values.
type Config struct {
	// Duration is how long each scenario's measured phase starts operations.
	Duration time.Duration
	// Concurrency is the number of closed-loop workers.
	Concurrency int
	// Levels, when set, replaces Concurrency with a sweep: every scenario
	// (see SweepScenarios) is set up once for the largest level and then
	// measured for Duration at each level in turn, one Result per level
	// (Concurrency is then ignored). Each level is 1–2000.
	Levels []int
	// SweepScenarios, when set, limits the sweep to these scenarios
	// (names): the others are measured once, at the middle level of
	// Levels (the median: 50 of 10,50,200). Empty: every scenario is
	// swept.
	SweepScenarios []string
	// MaxOps bounds the operations started per scenario (0: no bound).
	MaxOps int
	// BatchSize is the payments per transaction of gw:batch (1–500).
	BatchSize int
	// ConflictAttempts is how often the SDK scenarios run a proposal in
	// total on MVCC/phantom conflicts or endorsement mismatches.
	ConflictAttempts int
	// OpTimeout bounds one operation, retries included.
	OpTimeout time.Duration
	// RunID prefixes every account and payment ID so runs never collide on
	// one ledger; default derived from the clock.
	RunID string
	// Channel, Chaincode and BenchChaincode name what is called.
	Channel, Chaincode, BenchChaincode string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Observer, when set, is told when each measured phase starts and
	// ends (yrd-bench -profile captures CPU profiles with it).
	Observer Observer
}

// Observer watches the measured phases of a run. Run calls it from one
// goroutine, PhaseStart just before a phase's workers start and PhaseEnd
// once the last operation of the phase finished; a slow observer delays
// the run but not the measurement.
type Observer interface {
	// PhaseStart: scenario is measured with workers closed-loop workers
	// for about d from now.
	PhaseStart(ctx context.Context, scenario string, workers int, d time.Duration)
	// PhaseEnd: the phase ended with res (counts, rates, latencies and a
	// sample transaction ID).
	PhaseEnd(ctx context.Context, scenario string, workers int, res Result)
}

// levels is the sweep Run measures: Levels, or Concurrency alone.
func (c Config) levels() []int {
	if len(c.Levels) > 0 {
		return c.Levels
	}
	return []int{c.Concurrency}
}

// levelsFor is the levels scenario name is measured at.
func (c Config) levelsFor(name string) []int {
	if len(c.Levels) == 0 || len(c.SweepScenarios) == 0 || slices.Contains(c.SweepScenarios, name) {
		return c.levels()
	}
	return []int{MiddleLevel(c.Levels)}
}

// MiddleLevel is the level of a sweep at which the scenarios outside it
// are measured (and the cycle, the payers, the BFT rows): the middle one,
// the upper of two (50 of 1, 10, 50, 200).
func MiddleLevel(levels []int) int {
	sorted := slices.Sorted(slices.Values(levels))
	return sorted[len(sorted)/2]
}

// maxLevel is the largest of levels: how many workers a scenario is set
// up for.
func (c Config) maxLevel() int { return slices.Max(c.levels()) }

// DefaultConfig returns 20 s per scenario at 50 workers.
func DefaultConfig() Config {
	return Config{
		Duration:         20 * time.Second,
		Concurrency:      50,
		BatchSize:        10,
		ConflictAttempts: 5,
		OpTimeout:        90 * time.Second,
		Channel:          "settlement",
		Chaincode:        "yrd",
		BenchChaincode:   "yrdbench",
	}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Duration <= 0:
		return errors.New("loadgen: Duration must be positive")
	case len(c.Levels) == 0 && (c.Concurrency < 1 || c.Concurrency > 2000):
		return fmt.Errorf("loadgen: Concurrency %d must be 1 to 2000", c.Concurrency)
	case c.MaxOps < 0:
		return errors.New("loadgen: MaxOps must not be negative")
	case c.BatchSize < 1 || c.BatchSize > 500:
		return fmt.Errorf("loadgen: BatchSize %d must be 1 to 500", c.BatchSize)
	case c.ConflictAttempts < 1:
		return errors.New("loadgen: ConflictAttempts must be at least 1")
	case c.OpTimeout <= 0:
		return errors.New("loadgen: OpTimeout must be positive")
	case c.Channel == "" || c.Chaincode == "" || c.BenchChaincode == "":
		return errors.New("loadgen: Channel, Chaincode and BenchChaincode are required")
	case len(c.RunID) > 24:
		return errors.New("loadgen: RunID must be at most 24 characters")
	}
	seen := map[int]bool{}
	for _, l := range c.Levels {
		if l < 1 || l > 2000 {
			return fmt.Errorf("loadgen: Levels: %d workers must be 1 to 2000", l)
		}
		if seen[l] {
			return fmt.Errorf("loadgen: Levels: %d given twice", l)
		}
		seen[l] = true
	}
	return nil
}

// ParseLevels reads a comma-separated list of worker counts ("10,50,200")
// in the order given.
func ParseLevels(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 2000 {
			return nil, fmt.Errorf("loadgen: concurrency %q: want whole numbers 1 to 2000, comma-separated", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("loadgen: no concurrency given")
	}
	return out, nil
}

// phase is cfg for a one-off phase after the scenarios (the cycle, the
// disbursement): its run ID, when none was given, is prefix and the time;
// and where it logs (io.Discard without cfg.Log).
func (c Config) phase(prefix string) (Config, io.Writer) {
	if c.RunID == "" {
		c.RunID = prefix + time.Now().UTC().Format("0102150405")
	}
	if c.Log == nil {
		return c, io.Discard
	}
	return c, c.Log
}
