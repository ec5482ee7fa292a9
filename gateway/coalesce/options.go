package coalesce

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/yangtze-delta/settlement/gateway/metrics"
)

// Defaults of Options.
const (
	DefaultWindow      = 2 * time.Millisecond
	DefaultMaxItems    = 100
	DefaultMaxPending  = 2000
	DefaultMaxInFlight = 8
	DefaultRuns        = 2
	DefaultBackoffBase = 50 * time.Millisecond
	DefaultBackoffMax  = 2 * time.Second
)

// Errors of the package. Callers branch with errors.Is.
var (
	// ErrFull: MaxPending requests are waiting; the request was not taken.
	ErrFull = errors.New("coalesce: too many requests waiting")
	// ErrClosed: Close has been called; the request was not taken.
	ErrClosed = errors.New("coalesce: closed")
	// ErrWithdrawn wraps the context's error when a caller left before its
	// request's batch ran: nothing was sent for it.
	ErrWithdrawn = errors.New("coalesce: request withdrawn before its batch ran")
	// ErrOutcomeUnknown wraps the context's error when a caller left while
	// its request's batch was running: the batch may still settle it.
	ErrOutcomeUnknown = errors.New("coalesce: caller left while its batch was running; the request may still be settled")
	// ErrPanicked: Run panicked; every request of the batch gets it.
	ErrPanicked = errors.New("coalesce: batch run panicked")
	// ErrBadAnswer: Run answered a different number of results than
	// requests; every request of the batch gets it.
	ErrBadAnswer = errors.New("coalesce: batch run answered the wrong number of results")
	// ErrInvalid: a bad option; the message names it.
	ErrInvalid = errors.New("coalesce: invalid")
)

// Flush reasons, the values of the flushes metric's reason label.
const (
	// ReasonWindow: the lane's oldest request waited Options.Window.
	ReasonWindow = "window"
	// ReasonCount: Options.MaxItems requests were waiting in the lane.
	ReasonCount = "count"
	// ReasonHeld: requests held back from the lane's previous batch by a
	// shared key.
	ReasonHeld = "held"
	// ReasonDrain: Flush or Close.
	ReasonDrain = "drain"
)

// Options configures a Coalescer. Zero values take the defaults; New
// refuses negative values, naming the field.
type Options struct {
	// Name labels metrics and logs (the gateway: "payment").
	Name string
	// Window is how long a lane's oldest waiting request waits for others
	// before its batch is formed (default 2 ms).
	Window time.Duration
	// MaxItems caps a batch; a lane with this many requests waiting forms a
	// batch at once (default 100).
	MaxItems int
	// MaxPending caps the requests waiting for a batch, all lanes together
	// (default 2000, at least MaxItems); beyond, Do fails with ErrFull.
	MaxPending int
	// MaxInFlight caps the batches running at once (default 8).
	MaxInFlight int
	// Runs is how many times in total a batch that fails as a whole with an
	// error Rerun accepts is run (default 2).
	Runs int
	// BackoffBase is the wait before the first re-run, doubled for each
	// further one up to BackoffMax, with jitter: between half and all of it
	// (defaults 50 ms and 2 s, the gateway's retry settings).
	BackoffBase, BackoffMax time.Duration
	// Rerun reports whether a whole-batch failure wrote nothing and a new
	// run may pass (an MVCC read conflict). nil: never.
	Rerun func(err error) bool
	// Split reports whether a whole-batch failure may be caused by one of
	// its requests, so that the batch is run again in halves. nil: never.
	Split func(err error) bool
	// Metrics, if not nil, receives flushes, batch runs and sizes, re-runs,
	// refusals and the waiting and in-flight levels.
	Metrics *metrics.Metrics
	// Logger receives re-runs and splits (default slog.Default()).
	Logger *slog.Logger
}

// Validate reports the first negative field.
func (o Options) Validate() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"Window", o.Window < 0},
		{"MaxItems", o.MaxItems < 0},
		{"MaxPending", o.MaxPending < 0},
		{"MaxInFlight", o.MaxInFlight < 0},
		{"Runs", o.Runs < 0},
		{"BackoffBase", o.BackoffBase < 0},
		{"BackoffMax", o.BackoffMax < 0},
	} {
		if f.neg {
			return fmt.Errorf("%w: Options.%s is negative", ErrInvalid, f.name)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.MaxItems == 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.MaxPending == 0 {
		o.MaxPending = max(DefaultMaxPending, o.MaxItems)
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.Runs == 0 {
		o.Runs = DefaultRuns
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
