package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
)

// Status is a job's state.
type Status string

// Job statuses. Done and Failed are final until an identical Submit
// resumes a failed job.
const (
	StatusQueued  Status = "queued"
	StatusRunning Status = "running"
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
)

// Finished reports whether no runner works on a job of this status.
func (s Status) Finished() bool { return s == StatusDone || s == StatusFailed }

// LineStatus is a line's outcome.
type LineStatus string

// Line outcomes. Pending is the only unfinished one.
const (
	LinePending     LineStatus = "pending"
	LinePaid        LineStatus = "paid"
	LineAlreadyPaid LineStatus = "already_paid"
	LineRejected    LineStatus = "rejected"
)

// Line is one recipient of a job and its outcome.
type Line struct {
	// No is the line number within the job (1 or more); (job, No) is paid
	// at most once by the chaincode.
	No        int
	Recipient string
	Amount    money.Amount
	Status    LineStatus
	// Code and Message say why a line was rejected.
	Code    string
	Message string
	// Output is the recipient's new output (paid and already paid lines).
	Output string
	// TxID is the transaction that paid the line (paid lines).
	TxID string
}

// Spec describes a new job.
type Spec struct {
	// ID is the job ID, "BUREAU:local" in the owner bureau's namespace; it
	// is also the chaincode's job.
	ID        string
	Programme string
	// Owner is the client that submits it: its ledger identity signs the
	// disbursements, and only it reads the job.
	Owner string
	// Lines carry No, Recipient and Amount.
	Lines []Line
}

// Job is a job's record and progress.
type Job struct {
	ID, Programme, Owner string
	// Digest identifies the lines (Digest of the Spec).
	Digest  string
	Status  Status
	Lines   int
	Pending int
	// Paid lines were paid by this job's batches; AlreadyPaid lines had been
	// paid for this job before (e.g. before a restart).
	Paid, AlreadyPaid, Rejected int
	// Amount is the lines' total; Settled what paid and already-paid lines
	// carried.
	Amount, Settled money.Amount
	// Batches counts committed disbursements; InFlight those running now.
	Batches, InFlight int
	LastTxID          string
	Created, Updated  time.Time
	Started, Finished time.Time
	// ErrCode and ErrMessage say why a failed job stopped.
	ErrCode, ErrMessage string
}

// Errors. Every error the package returns wraps one of them (or is a
// ledger error of a failed job's last batch, recorded in the job).
var (
	// ErrNotFound: no job of that ID, or it belongs to another client.
	ErrNotFound = errors.New("jobs: no such job")
	// ErrMismatch: the job ID exists with other lines, another programme or
	// another owner; Submit returns the existing job with it.
	ErrMismatch = errors.New("jobs: the job ID was used for a different job")
	// ErrBusy: a bound is reached (active jobs, stored jobs or lines, with
	// nothing finished to evict); retry later.
	ErrBusy = errors.New("jobs: too many jobs")
	// ErrInvalid: a malformed spec or option; the message names the field.
	ErrInvalid = errors.New("jobs: invalid")
	// ErrClosed: the engine is closed.
	ErrClosed = errors.New("jobs: closed")
)

// Options configures an Engine. Zero values take the defaults.
type Options struct {
	// Ledger submits the disbursements and reads the escrow (required).
	Ledger ledger.Ledger
	// MaxLines bounds one job's lines (default 100,000).
	MaxLines int
	// MaxRunning bounds the jobs running at once (default 4); more wait,
	// queued, in submission order.
	MaxRunning int
	// MaxActive bounds queued plus running jobs (default 64); beyond it
	// Submit fails with ErrBusy.
	MaxActive int
	// MaxStored bounds the jobs kept, finished or not (default 1,000), and
	// MaxStoredLines their lines (default 2,000,000). A new job evicts the
	// oldest finished jobs to fit; when it cannot, Submit fails with ErrBusy.
	MaxStored      int
	MaxStoredLines int
	// BatchLines is the lines per disbursement, 1 to api.MaxDisburseLines
	// (default api.MaxDisburseLines).
	BatchLines int
	// Concurrency bounds one job's disbursements in flight (default 4). It
	// is also bounded by the escrow's separate outputs: each batch spends
	// its own, and splits its change so that the escrow holds about
	// Concurrency outputs.
	Concurrency int
	// MaxInputs bounds the escrow outputs one disbursement spends (default
	// 20, at most api.MaxInputs).
	MaxInputs int
	// MaxAttempts bounds consecutive failed attempts (transient Fabric
	// failures, spent inputs) before a job fails (default 8).
	MaxAttempts int
	// RetryDelay is the first back-off after a failed attempt, doubling up
	// to 30 s (default 250 ms).
	RetryDelay time.Duration
	// LockTimeout bounds the wait for the file lock (default 5 s).
	LockTimeout time.Duration
	// Now is the clock of the records (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultMaxLines       = 100_000
	DefaultMaxRunning     = 4
	DefaultMaxActive      = 64
	DefaultMaxStored      = 1000
	DefaultMaxStoredLines = 2_000_000
	DefaultConcurrency    = 4
	DefaultMaxInputs      = 20
	DefaultMaxAttempts    = 8
	DefaultRetryDelay     = 250 * time.Millisecond
	DefaultLockTimeout    = 5 * time.Second
	maxRetryDelay         = 30 * time.Second
)

func (o Options) withDefaults() (Options, error) {
	if o.Ledger == nil {
		return o, fmt.Errorf("%w: Options.Ledger is required", ErrInvalid)
	}
	ints := []struct {
		name     string
		v        *int
		def, max int
	}{
		{"MaxLines", &o.MaxLines, DefaultMaxLines, 1 << 30},
		{"MaxRunning", &o.MaxRunning, DefaultMaxRunning, 1024},
		{"MaxActive", &o.MaxActive, DefaultMaxActive, 1 << 20},
		{"MaxStored", &o.MaxStored, DefaultMaxStored, 1 << 20},
		{"MaxStoredLines", &o.MaxStoredLines, DefaultMaxStoredLines, 1 << 30},
		{"BatchLines", &o.BatchLines, api.MaxDisburseLines, api.MaxDisburseLines},
		{"Concurrency", &o.Concurrency, DefaultConcurrency, 256},
		{"MaxInputs", &o.MaxInputs, DefaultMaxInputs, api.MaxInputs},
		{"MaxAttempts", &o.MaxAttempts, DefaultMaxAttempts, 1000},
	}
	for _, f := range ints {
		if *f.v < 0 || *f.v > f.max {
			return o, fmt.Errorf("%w: Options.%s must be 0 (default %d) to %d, got %d", ErrInvalid, f.name, f.def, f.max, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.MaxActive < o.MaxRunning {
		return o, fmt.Errorf("%w: Options.MaxActive (%d) is below MaxRunning (%d)", ErrInvalid, o.MaxActive, o.MaxRunning)
	}
	if o.MaxStoredLines < o.MaxLines || o.MaxStored < o.MaxActive {
		return o, fmt.Errorf("%w: Options.MaxStoredLines must hold one job (MaxLines) and MaxStored the active jobs (MaxActive)", ErrInvalid)
	}
	if o.RetryDelay < 0 || o.LockTimeout < 0 {
		return o, fmt.Errorf("%w: Options.RetryDelay and LockTimeout must not be negative", ErrInvalid)
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Engine runs disbursement jobs. Create it with Open and stop it with
// Close. An Engine is safe for concurrent use.
type Engine struct {
	opts  Options
	st    *store
	log   *slog.Logger
	pools *pools

	// createMu serialises the file writes of new jobs (each may be large),
	// so that mu is never held across one.
	createMu sync.Mutex

	mu      sync.Mutex
	jobs    map[string]*entry
	lines   int // stored lines over all jobs
	queue   []*entry
	running int
	closed  bool

	dispatch       context.Context // ends at Close: no new batch starts
	stopDispatch   context.CancelFunc
	submit         context.Context // ends when Close gives up waiting
	abandonSubmits context.CancelFunc
	abandoned      atomic.Bool
	wg             sync.WaitGroup

	// batchLines is the lines per disbursement now: Options.BatchLines,
	// halved each time the orderers refuse a batch for its size (with BFT
	// in the pinned Fabric, 500 KiB), for every later batch of every job.
	batchLines atomic.Int64
}

type entry struct {
	job      Job
	inFlight int
	// creating: the job is being written; it is not yet readable.
	creating bool
	// running: the job counts in Engine.running. It stops counting the
	// moment it is marked finished (finishJob), so that a client who saw
	// the job done may start the next one at once.
	running bool
}

// Open opens (creating if needed) the jobs file at path, a file in an
// existing directory, and resumes every job that was queued or running
// when the previous process stopped, in submission order.
func Open(path string, opts Options) (*Engine, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := openStore(path, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	all, err := st.all()
	if err != nil {
		_ = st.close()
		return nil, err
	}
	e := &Engine{opts: opts, st: st, log: opts.Logger, pools: newPools(), jobs: map[string]*entry{}}
	e.batchLines.Store(int64(opts.BatchLines))
	e.dispatch, e.stopDispatch = context.WithCancel(context.Background())
	e.submit, e.abandonSubmits = context.WithCancel(context.Background())
	for _, j := range all {
		ent := &entry{job: j}
		e.jobs[j.ID] = ent
		e.lines += j.Lines
		if !j.Status.Finished() {
			e.queue = append(e.queue, ent)
		}
	}
	if n := len(e.queue); n > 0 {
		e.log.Info("resuming disbursement jobs", "jobs", n)
	}
	e.mu.Lock()
	e.schedule()
	e.mu.Unlock()
	return e, nil
}

// Close stops starting batches and waits, until ctx ends, for the
// batches in flight to finish and be recorded. Batches still running then
// are abandoned: their lines stay pending in the file and the next Open
// submits them again (the chaincode answers already_paid for those that
// committed). Unfinished jobs are resumed by the next Open.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.stopDispatch()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	var waitErr error
	select {
	case <-done:
	case <-ctx.Done():
		e.abandoned.Store(true)
		e.abandonSubmits()
		waitErr = fmt.Errorf("jobs: batches still in flight were abandoned: %w", ctx.Err())
	}
	if err := e.st.close(); err != nil {
		return errors.Join(waitErr, fmt.Errorf("jobs: close: %w", err))
	}
	return waitErr
}

// Digest identifies a job's lines: programme and, in line order, each
// line's number, recipient and amount.
func Digest(programme string, lines []Line) string {
	sorted := append([]Line(nil), lines...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].No < sorted[j].No })
	h := sha256.New()
	h.Write([]byte(programme))
	h.Write([]byte{'\n'})
	buf := make([]byte, 0, 128)
	for _, l := range sorted {
		buf = strconv.AppendInt(buf[:0], int64(l.No), 10)
		buf = append(buf, '\t')
		buf = append(buf, l.Recipient...)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, int64(l.Amount), 10)
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MaxLineNo is the largest line number.
const MaxLineNo = 1<<31 - 1

func (e *Engine) validate(s Spec) error {
	if err := api.ValidateNamespaced("job", s.ID, api.MaxPaymentIDLen); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := api.ValidateNamespaced("programme", s.Programme, api.MaxIDLen); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.Owner == "" {
		return fmt.Errorf("%w: Spec.Owner is required", ErrInvalid)
	}
	if len(s.Lines) == 0 || len(s.Lines) > e.opts.MaxLines {
		return fmt.Errorf("%w: a job has 1 to %d lines, got %d", ErrInvalid, e.opts.MaxLines, len(s.Lines))
	}
	seen := make(map[int]bool, len(s.Lines))
	for _, l := range s.Lines {
		if l.No < 1 || l.No > MaxLineNo || seen[l.No] {
			return fmt.Errorf("%w: line %d: line numbers are 1 to %d and unique", ErrInvalid, l.No, MaxLineNo)
		}
		seen[l.No] = true
		if err := api.ValidateNamespaced("recipient", l.Recipient, api.MaxIDLen); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrInvalid, l.No, err)
		}
		if l.Amount <= 0 {
			return fmt.Errorf("%w: line %d: the amount must be positive", ErrInvalid, l.No)
		}
	}
	return nil
}

// Submit records a new job and queues it; it reports whether the job is
// new. The same job again (same ID, programme, lines and owner) answers
// the existing job, and queues it again if it had failed (resuming its
// pending lines). Another job under the same ID fails with ErrMismatch
// (with the existing job), a job beyond the bounds with ErrBusy.
func (e *Engine) Submit(s Spec) (Job, bool, error) {
	if err := e.validate(s); err != nil {
		return Job{}, false, err
	}
	digest := Digest(s.Programme, s.Lines)
	e.createMu.Lock()
	defer e.createMu.Unlock()

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return Job{}, false, ErrClosed
	}
	if ent, ok := e.jobs[s.ID]; ok {
		defer e.mu.Unlock()
		if ent.job.Owner != s.Owner || ent.job.Digest != digest {
			return e.view(ent), false, ErrMismatch
		}
		if ent.job.Status == StatusFailed {
			ent.job.Status, ent.job.ErrCode, ent.job.ErrMessage = StatusQueued, "", ""
			ent.job.Finished, ent.job.Updated = time.Time{}, e.opts.Now().UTC()
			if err := e.st.record(ent.job, nil); err != nil {
				return Job{}, false, err
			}
			e.queue = append(e.queue, ent)
			e.schedule()
		}
		return e.view(ent), false, nil
	}
	active := len(e.queue) + e.running
	if active >= e.opts.MaxActive {
		e.mu.Unlock()
		return Job{}, false, fmt.Errorf("%w: %d jobs are queued or running (limit %d)", ErrBusy, active, e.opts.MaxActive)
	}
	evict, ok := e.evictable(len(s.Lines))
	if !ok {
		e.mu.Unlock()
		return Job{}, false, fmt.Errorf("%w: the gateway keeps %d jobs and %d lines (limits %d and %d) and none can be evicted",
			ErrBusy, len(e.jobs), e.lines, e.opts.MaxStored, e.opts.MaxStoredLines)
	}
	now := e.opts.Now().UTC()
	j := Job{ID: s.ID, Programme: s.Programme, Owner: s.Owner, Digest: digest, Status: StatusQueued, Lines: len(s.Lines),
		Pending: len(s.Lines), Created: now, Updated: now}
	lines := make([]Line, len(s.Lines))
	for i, l := range s.Lines {
		j.Amount += l.Amount
		lines[i] = Line{No: l.No, Recipient: l.Recipient, Amount: l.Amount, Status: LinePending}
	}
	sort.Slice(lines, func(a, b int) bool { return lines[a].No < lines[b].No })
	ent := &entry{job: j, creating: true}
	e.jobs[j.ID] = ent
	e.lines += j.Lines
	var evicted []Job
	for _, old := range evict {
		evicted = append(evicted, old.job)
		delete(e.jobs, old.job.ID)
		e.lines -= old.job.Lines
	}
	e.mu.Unlock()

	err := e.st.create(j, lines, evicted)

	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		delete(e.jobs, j.ID)
		e.lines -= j.Lines
		for _, old := range evict {
			e.jobs[old.job.ID] = old
			e.lines += old.job.Lines
		}
		return Job{}, false, err
	}
	ent.creating = false
	if e.closed {
		return e.view(ent), true, nil // resumed by the next Open
	}
	e.queue = append(e.queue, ent)
	e.schedule()
	return e.view(ent), true, nil
}

// evictable picks the oldest finished jobs to delete so that a job of n
// lines fits the bounds; false when it cannot fit. Call with mu held.
func (e *Engine) evictable(n int) ([]*entry, bool) {
	jobs, lines := len(e.jobs)+1, e.lines+n
	if jobs <= e.opts.MaxStored && lines <= e.opts.MaxStoredLines {
		return nil, true
	}
	var finished []*entry
	for _, ent := range e.jobs {
		if ent.job.Status.Finished() && !ent.creating {
			finished = append(finished, ent)
		}
	}
	sort.Slice(finished, func(a, b int) bool {
		x, y := finished[a].job, finished[b].job
		if !x.Created.Equal(y.Created) {
			return x.Created.Before(y.Created)
		}
		return x.ID < y.ID
	})
	var out []*entry
	for _, ent := range finished {
		if jobs <= e.opts.MaxStored && lines <= e.opts.MaxStoredLines {
			break
		}
		out = append(out, ent)
		jobs--
		lines -= ent.job.Lines
	}
	return out, jobs <= e.opts.MaxStored && lines <= e.opts.MaxStoredLines
}

// view copies a job for a caller. Call with mu held.
func (e *Engine) view(ent *entry) Job {
	j := ent.job
	j.InFlight = ent.inFlight
	return j
}

func (e *Engine) lookup(id, owner string) (*entry, error) {
	ent, ok := e.jobs[id]
	if !ok || ent.creating || ent.job.Owner != owner {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return ent, nil
}

// Get returns a job of owner: its record and live progress.
func (e *Engine) Get(id, owner string) (Job, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent, err := e.lookup(id, owner)
	if err != nil {
		return Job{}, err
	}
	return e.view(ent), nil
}

// Lines returns up to limit lines of a job of owner numbered above after
// (only those of status, when set), in line order, and whether more
// follow. The outcome of a batch in flight shows once it is recorded.
func (e *Engine) Lines(id, owner string, status LineStatus, after, limit int) ([]Line, bool, error) {
	e.mu.Lock()
	_, err := e.lookup(id, owner)
	e.mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	if limit < 1 || after < 0 {
		return nil, false, fmt.Errorf("%w: limit must be positive and after not negative", ErrInvalid)
	}
	return e.st.page(id, status, after, limit)
}

// Stats is a snapshot for metrics.
type Stats struct {
	Queued, Running, Stored, StoredLines int
}

// Stats reports the engine's load.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{Queued: len(e.queue), Running: e.running, Stored: len(e.jobs), StoredLines: e.lines}
}

// release stops counting ent as running (once). Call with mu held.
func (e *Engine) release(ent *entry) {
	if ent.running {
		ent.running = false
		e.running--
	}
}

// schedule starts queued jobs while runners are free. Call with mu held.
func (e *Engine) schedule() {
	for !e.closed && e.running < e.opts.MaxRunning && len(e.queue) > 0 {
		ent := e.queue[0]
		e.queue = e.queue[1:]
		if ent.job.Status.Finished() || ent.creating {
			continue
		}
		e.running++
		ent.running = true
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.runJob(ent)
			e.mu.Lock()
			e.release(ent)
			e.schedule()
			e.mu.Unlock()
		}()
	}
}
