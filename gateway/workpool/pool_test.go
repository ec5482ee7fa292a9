package workpool_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/workpool"
)

// waitFor polls cond until it holds or the deadline passes (a bound on
// failure, not a synchronisation).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// recv receives one value or fails the test after a bound.
func recv[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// closeWithin runs Close and fails the test if it does not return within
// the bound (instead of hanging the run).
func closeWithin(t *testing.T, p *workpool.Pool, ctx context.Context) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- p.Close(ctx) }()
	return recv(t, errc, "Close to return")
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func newPool(t *testing.T, o workpool.Options) *workpool.Pool {
	t.Helper()
	p, err := workpool.New(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = closeWithin(t, p, canceled()) })
	return p
}

// blocker makes jobs that report their start and wait for release.
type blocker struct {
	started chan int
	release chan struct{}
	ended   chan error // ctx.Err() seen by each job as it returns
}

func newBlocker(n int) *blocker {
	return &blocker{started: make(chan int, n), release: make(chan struct{}), ended: make(chan error, n)}
}

func (b *blocker) job(i int) workpool.Job {
	return func(ctx context.Context) {
		b.started <- i
		select {
		case <-b.release:
		case <-ctx.Done():
		}
		b.ended <- ctx.Err()
	}
}

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts workpool.Options
	}{
		{"negative workers", workpool.Options{Workers: -1}},
		{"negative queue", workpool.Options{Queue: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := workpool.New(tc.opts)
			require.ErrorIs(t, err, workpool.ErrInvalid)
		})
	}
	t.Run("zero values take the defaults", func(t *testing.T) {
		st := newPool(t, workpool.Options{}).Stats()
		require.Equal(t, workpool.DefaultWorkers, st.Workers)
		require.Equal(t, workpool.DefaultQueue, st.Queue)
	})
	t.Run("nil job", func(t *testing.T) {
		require.ErrorIs(t, newPool(t, workpool.Options{}).TrySubmit(nil), workpool.ErrInvalid)
	})
}

func TestFull(t *testing.T) {
	const workers, queue = 2, 3
	p := newPool(t, workpool.Options{Workers: workers, Queue: queue})
	b := newBlocker(workers + queue)
	for i := range workers {
		require.NoError(t, p.TrySubmit(b.job(i)))
	}
	for range workers {
		recv(t, b.started, "a worker to start")
	}
	t.Run("the queue fills while workers are busy", func(t *testing.T) {
		for i := range queue {
			require.NoError(t, p.TrySubmit(b.job(workers+i)))
		}
		st := p.Stats()
		require.Equal(t, workers, st.Running)
		require.Equal(t, queue, st.Queued)
	})
	t.Run("one more is refused at once", func(t *testing.T) {
		require.ErrorIs(t, p.TrySubmit(b.job(99)), workpool.ErrFull)
		require.ErrorIs(t, p.TrySubmit(b.job(99)), workpool.ErrFull)
		require.EqualValues(t, 2, p.Stats().Rejected)
	})
	t.Run("a finished job frees a slot", func(t *testing.T) {
		b.release <- struct{}{} // exactly one job returns
		require.NoError(t, recv(t, b.ended, "a job to end"))
		recv(t, b.started, "a queued job to start")
		require.NoError(t, p.TrySubmit(b.job(5)))
		require.ErrorIs(t, p.TrySubmit(b.job(99)), workpool.ErrFull)
	})
	close(b.release)
	require.NoError(t, closeWithin(t, p, context.Background()))
	require.EqualValues(t, workers+queue+1, p.Stats().Completed)
}

func TestConcurrentBurst(t *testing.T) {
	// 1,000 concurrent submissions against busy workers: exactly
	// Workers+Queue are accepted and the rest get ErrFull.
	const workers, queue, submissions = 8, 32, 1000
	p := newPool(t, workpool.Options{Workers: workers, Queue: queue})
	release := make(chan struct{})
	var ran atomic.Int64
	job := func(context.Context) { <-release; ran.Add(1) }
	var accepted, full, other atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range submissions {
		wg.Go(func() {
			<-start
			switch err := p.TrySubmit(job); {
			case err == nil:
				accepted.Add(1)
			case errors.Is(err, workpool.ErrFull):
				full.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Zero(t, other.Load())
	require.EqualValues(t, workers+queue, accepted.Load())
	require.EqualValues(t, submissions-workers-queue, full.Load())
	close(release)
	require.NoError(t, closeWithin(t, p, context.Background()))
	require.EqualValues(t, workers+queue, ran.Load())
}

func TestCloseDrains(t *testing.T) {
	p := newPool(t, workpool.Options{Workers: 1, Queue: 1})
	b := newBlocker(2)
	require.NoError(t, p.TrySubmit(b.job(0)))
	recv(t, b.started, "the first job to start")
	require.NoError(t, p.TrySubmit(b.job(1)))

	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	t.Run("stops accepting", func(t *testing.T) {
		// ErrFull until Close marks the pool closed, then ErrClosed.
		waitFor(t, "Close to refuse submissions", func() bool {
			return errors.Is(p.TrySubmit(b.job(9)), workpool.ErrClosed)
		})
	})
	t.Run("waits for running and queued jobs", func(t *testing.T) {
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v with jobs still blocked", err)
		default:
		}
		close(b.release)
		require.NoError(t, recv(t, closed, "Close to return"))
		require.NoError(t, recv(t, b.ended, "job 0"))
		require.NoError(t, recv(t, b.ended, "job 1"), "the queued job ran with a live context")
		require.Equal(t, 1, recv(t, b.started, "the queued job to start"))
	})
	t.Run("Close again", func(t *testing.T) {
		require.NoError(t, closeWithin(t, p, context.Background()))
	})
}

func TestCloseCancels(t *testing.T) {
	p := newPool(t, workpool.Options{Workers: 1, Queue: 1})
	b := newBlocker(2) // never released: jobs end only through ctx
	require.NoError(t, p.TrySubmit(b.job(0)))
	recv(t, b.started, "the first job to start")
	require.NoError(t, p.TrySubmit(b.job(1)))

	require.ErrorIs(t, closeWithin(t, p, canceled()), context.Canceled)
	t.Run("the running job saw the cancel", func(t *testing.T) {
		require.ErrorIs(t, recv(t, b.ended, "job 0"), context.Canceled)
	})
	t.Run("the queued job ran with the canceled context", func(t *testing.T) {
		require.Equal(t, 1, recv(t, b.started, "job 1"))
		require.ErrorIs(t, recv(t, b.ended, "job 1"), context.Canceled)
	})
	t.Run("nothing is left running", func(t *testing.T) {
		st := p.Stats()
		require.Zero(t, st.Running)
		require.Zero(t, st.Queued)
		require.EqualValues(t, 2, st.Completed)
	})
}

func TestCloseDeadline(t *testing.T) {
	// A deadline that passes while a job ignores nothing but its context.
	p := newPool(t, workpool.Options{Workers: 1, Queue: 1})
	b := newBlocker(1)
	require.NoError(t, p.TrySubmit(b.job(0)))
	recv(t, b.started, "the job to start")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, closeWithin(t, p, ctx), context.DeadlineExceeded)
	require.ErrorIs(t, recv(t, b.ended, "the job"), context.Canceled)
}

func TestPanic(t *testing.T) {
	panics := make(chan any, 1)
	p := newPool(t, workpool.Options{Workers: 1, Queue: 1, OnPanic: func(v any, stack []byte) {
		panics <- v
	}})
	require.NoError(t, p.TrySubmit(func(context.Context) { panic("boom") }))
	require.Equal(t, "boom", recv(t, panics, "the panic"))
	t.Run("the worker survives", func(t *testing.T) {
		done := make(chan struct{})
		require.NoError(t, p.TrySubmit(func(context.Context) { close(done) }))
		recv(t, done, "the next job")
	})
	require.NoError(t, closeWithin(t, p, context.Background()))
	st := p.Stats()
	require.EqualValues(t, 1, st.Panicked)
	require.EqualValues(t, 2, st.Completed)
}

func TestNoGoroutineLeak(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"drained", context.Background()},
		{"canceled", canceled()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			p, err := workpool.New(workpool.Options{Workers: 50, Queue: 100})
			require.NoError(t, err)
			require.Greater(t, runtime.NumGoroutine(), before+49)
			for range 100 {
				require.NoError(t, p.TrySubmit(func(ctx context.Context) {}))
			}
			_ = closeWithin(t, p, tc.ctx)
			waitFor(t, "the workers to exit", func() bool { return runtime.NumGoroutine() <= before })
		})
	}
}
