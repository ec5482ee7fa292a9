package loadgen

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Config configures a run. DefaultConfig gives working values.
type Config struct {
	// Duration is how long each scenario's measured phase starts operations.
	Duration time.Duration
	// Concurrency is the number of closed-loop workers.
	Concurrency int
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
}

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
	case c.Concurrency < 1 || c.Concurrency > 2000:
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
	return nil
}
