// Package workpool runs the gateway's asynchronous writes on a fixed number
// of goroutines with a bounded queue, instead of one goroutine per request.
//
// # Bounds and behaviour at each limit
//
//   - Workers: [Options.Workers] goroutines (default 32), started by [New]
//     and kept until [Pool.Close]; at most that many jobs run at once.
//   - Queue: at most [Options.Queue] accepted jobs wait for a worker (default
//     256). When all workers are busy and the queue is full, [Pool.TrySubmit]
//     returns [ErrFull] at once, without blocking or allocating a goroutine;
//     the HTTP layer answers 429 with Retry-After. So the pool never holds
//     more than Workers+Queue jobs, whatever the request rate.
//   - Shutdown: [Pool.Close] stops accepting (TrySubmit then returns
//     [ErrClosed]) and lets running and queued jobs finish until its context
//     ends; then it cancels the context passed to every job, runs the jobs
//     still queued with that canceled context (so that each can record its
//     own failure quickly), and waits for all of them to return.
//   - Panics: a job that panics does not take down its worker or the
//     process: the panic is recovered and passed to [Options.OnPanic].
//
// Jobs must honour their context: Close waits for them after canceling it.
//
// A Pool is safe for concurrent use.
package workpool

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Errors returned by TrySubmit and New.
var (
	// ErrFull: every worker is busy and the queue is full (answer 429).
	ErrFull = errors.New("workpool: queue full")
	// ErrClosed: Close has been called.
	ErrClosed = errors.New("workpool: closed")
	// ErrInvalid: a bad option or argument; the message names it.
	ErrInvalid = errors.New("workpool: invalid")
)

// Job is one unit of work. ctx is canceled when Close gives up waiting.
type Job func(ctx context.Context)

// Defaults.
const (
	DefaultWorkers = 32
	DefaultQueue   = 256
)

// Options configures a Pool. Zero values take the defaults.
type Options struct {
	// Workers is the number of goroutines running jobs (default 32).
	Workers int
	// Queue is how many accepted jobs may wait for a worker (default 256).
	Queue int
	// OnPanic, if set, receives a job's recovered panic and stack. It runs
	// on the worker's goroutine.
	OnPanic func(v any, stack []byte)
}

// Stats is a snapshot for metrics.
type Stats struct {
	// Workers and Queue are the configured bounds.
	Workers, Queue int
	// Queued jobs wait for a worker; Running jobs are being run.
	Queued, Running int
	// Rejected counts TrySubmit calls that returned ErrFull; Completed counts
	// jobs that returned (or panicked); Panicked counts the panics.
	Rejected, Completed, Panicked uint64
}

// Pool is a fixed set of workers fed by a bounded queue.
type Pool struct {
	opts Options
	jobs chan Job

	// mu guards closed against a send racing the close of jobs.
	mu     sync.RWMutex
	closed bool

	ctx    context.Context
	cancel context.CancelFunc
	// alive counts workers; the last to exit closes done.
	alive atomic.Int64
	done  chan struct{}

	running                       atomic.Int64
	rejected, completed, panicked atomic.Uint64
}

// New starts a pool.
func New(opts Options) (*Pool, error) {
	if opts.Workers < 0 {
		return nil, fmt.Errorf("%w: Options.Workers must not be negative, got %d", ErrInvalid, opts.Workers)
	}
	if opts.Queue < 0 {
		return nil, fmt.Errorf("%w: Options.Queue must not be negative, got %d", ErrInvalid, opts.Queue)
	}
	if opts.Workers == 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Queue == 0 {
		opts.Queue = DefaultQueue
	}
	p := &Pool{opts: opts, jobs: make(chan Job, opts.Queue), done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.alive.Store(int64(opts.Workers))
	for range opts.Workers {
		go p.work()
	}
	return p, nil
}

// TrySubmit queues job, or returns ErrFull at once when the queue is full,
// or ErrClosed after Close. It never blocks.
func (p *Pool) TrySubmit(job Job) error {
	if job == nil {
		return fmt.Errorf("%w: nil job", ErrInvalid)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	select {
	case p.jobs <- job:
		return nil
	default:
		p.rejected.Add(1)
		return ErrFull
	}
}

// Close stops accepting jobs and waits for the running and queued ones.
// When ctx ends first it cancels the jobs' context, waits for every job
// (queued ones run with the canceled context) and returns an error wrapping
// ctx's. Calling Close again waits the same way.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.cancel()
		<-p.done
		return fmt.Errorf("workpool: close: jobs canceled: %w", ctx.Err())
	}
}

// Stats reports the pool's state.
func (p *Pool) Stats() Stats {
	return Stats{
		Workers:   p.opts.Workers,
		Queue:     p.opts.Queue,
		Queued:    len(p.jobs),
		Running:   int(p.running.Load()),
		Rejected:  p.rejected.Load(),
		Completed: p.completed.Load(),
		Panicked:  p.panicked.Load(),
	}
}

func (p *Pool) work() {
	defer func() {
		if p.alive.Add(-1) == 0 {
			p.cancel()
			close(p.done)
		}
	}()
	for job := range p.jobs {
		p.run(job)
	}
}

func (p *Pool) run(job Job) {
	p.running.Add(1)
	defer func() {
		p.running.Add(-1)
		p.completed.Add(1)
		if v := recover(); v != nil {
			p.panicked.Add(1)
			if p.opts.OnPanic != nil {
				p.opts.OnPanic(v, debug.Stack())
			}
		}
	}()
	job(p.ctx)
}
