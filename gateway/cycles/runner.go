package cycles

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/liquidity"
	"github.com/yangtze-delta/settlement/money"
)

// Defaults and limits of Options.
const (
	DefaultMaxQueue        = 10_000
	DefaultMaxDayTransfers = 100_000
	DefaultReaders         = 8
	// MaxDaysPerTick bounds the business days one tick closes.
	MaxDaysPerTick = 4
	// maxLimit bounds MaxQueue and MaxDayTransfers (the solver's own
	// ceiling).
	maxLimit = 10_000_000
	// RejectReason is the reason EndOfDay records on a transfer that was
	// still waiting at the end of its value date.
	RejectReason = "not settled by the end of its value date"
)

// Errors of the Runner; test with errors.Is.
var (
	// ErrBusy: a timer tick found a cycle or close running and skipped.
	ErrBusy = errors.New("cycles: a cycle is running")
	// ErrDayTooLarge: a business day holds more than
	// Options.MaxDayTransfers transfers.
	ErrDayTooLarge = errors.New("cycles: the business day holds too many transfers")
	// ErrInvalidOptions: an Options field is out of range.
	ErrInvalidOptions = errors.New("cycles: invalid options")
)

// Options configures a Runner. Zero values take the defaults.
type Options struct {
	// Ledger is the Fabric door (required).
	Ledger ledger.Ledger
	// MaxQueue bounds the waiting transfers one cycle reads (default
	// DefaultMaxQueue).
	MaxQueue int
	// MaxDayTransfers bounds the transfers CloseDay reads (default
	// DefaultMaxDayTransfers).
	MaxDayTransfers int
	// Readers bounds concurrent balance reads (default DefaultReaders).
	Readers int
	// Now is the clock that decides which transfers are due and which days
	// are over (default time.Now). The chaincode decides again with the
	// transaction's time.
	Now func() time.Time
	// OnSettled is told the accounts of every cycle submitted (their
	// outputs changed), e.g. to refresh an input selector's cache.
	OnSettled func(accounts []string)
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
}

// Runner runs cycles and closes days; see the package documentation.
type Runner struct {
	l         ledger.Ledger
	solver    *liquidity.Solver
	maxQueue  int
	maxDay    int
	readers   int
	now       func() time.Time
	onSettled func([]string)
	metrics   *metrics.Metrics
	log       *slog.Logger
	// sem holds one token while a cycle or close runs.
	sem chan struct{}
	// interval is the calendar's cycle interval last read (nanoseconds).
	interval atomic.Int64
}

// New returns a Runner, or ErrInvalidOptions naming the bad field.
func New(o Options) (*Runner, error) {
	if o.Ledger == nil {
		return nil, fmt.Errorf("%w: Ledger is required", ErrInvalidOptions)
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"MaxQueue", &o.MaxQueue, DefaultMaxQueue}, {"MaxDayTransfers", &o.MaxDayTransfers, DefaultMaxDayTransfers}, {"Readers", &o.Readers, DefaultReaders}} {
		if *f.v == 0 {
			*f.v = f.def
		}
		if *f.v < 1 || *f.v > maxLimit {
			return nil, fmt.Errorf("%w: %s %d must be 1 to %d", ErrInvalidOptions, f.name, *f.v, maxLimit)
		}
	}
	if o.Readers > 64 {
		return nil, fmt.Errorf("%w: Readers %d must be 1 to 64", ErrInvalidOptions, o.Readers)
	}
	cfg := liquidity.DefaultConfig()
	cfg.MaxTransfers = o.MaxQueue
	solver, err := liquidity.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &Runner{l: o.Ledger, solver: solver, maxQueue: o.MaxQueue, maxDay: o.MaxDayTransfers, readers: o.Readers,
		now: o.Now, onSettled: o.OnSettled, metrics: o.Metrics, log: o.Logger, sem: make(chan struct{}, 1)}
	r.interval.Store(int64(time.Duration(api.DefaultCalendar().CycleIntervalSec) * time.Second))
	return r, nil
}

// Result is the outcome of one cycle.
type Result struct {
	// Queued counts the waiting transfers read (queued or held, any value
	// date); Due those the solver was given.
	Queued, Due int
	// Truncated: the queue held more than MaxQueue; the rest was not read.
	Truncated bool
	// Capped: the cycle limits left settleable transfers for later.
	Capped bool
	// Attempts is 2 when the first cycle lost a race and was recomputed.
	Attempts int
	// Transfers are the transfers submitted (in queue order); Cycle is the
	// chaincode's answer, nil when there was nothing to settle.
	Transfers   []string
	Cycle       *api.CycleResult
	TxID        string
	BlockNumber uint64
	// PastDates are the value dates of waiting transfers whose end of day
	// has passed by the runner's clock, in order.
	PastDates []string
}

// DayResult is what closing a business day did.
type DayResult struct {
	Date string
	// Final is the final cycle (nil when none ran: a tick closes days right
	// after its own cycle); FinalErr its failure, which does not stop the
	// close.
	Final    *Result
	FinalErr error
	// Transfers counts the date's transfers read.
	Transfers int
	// Rejected are the transfers EndOfDay rejected; Closed the day-end
	// records fixed now; TxIDs the EndOfDay transactions.
	Rejected []string
	Closed   []api.DayEnd
	TxIDs    []string
}

// TickResult is what one timer tick did.
type TickResult struct {
	Cycle  Result
	Closed []DayResult
}

func (r *Runner) acquire(ctx context.Context) error {
	select {
	case r.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEvaluate, Message: "waiting for the running cycle: " + ctx.Err().Error(), Err: ctx.Err()}
	}
}

func (r *Runner) tryAcquire() bool {
	select {
	case r.sem <- struct{}{}:
		return true
	default:
		return false
	}
}

func (r *Runner) release() { <-r.sem }

// Cycle runs one cycle as identity, whose cycle IDs read
// "namespace:cycle-…" (the identity's MSP ID or bank code). It waits for a
// running cycle or close to finish first.
func (r *Runner) Cycle(ctx context.Context, identity, namespace string) (Result, error) {
	if err := r.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer r.release()
	cal, err := r.calendar(ctx, identity)
	if err != nil {
		return Result{}, err
	}
	return r.cycle(ctx, identity, namespace, cal)
}

// CloseDay closes business date (2006-01-02) as identity: a final cycle,
// then EndOfDay over what still waits for the date and every settlement
// account of its transfers. It waits for a running cycle or close to
// finish first. Before the date's end of day the chaincode refuses with
// DAY_OPEN; a date with more than MaxDayTransfers transfers fails with
// ErrDayTooLarge before anything is submitted.
func (r *Runner) CloseDay(ctx context.Context, identity, namespace, date string) (DayResult, error) {
	dr := api.DayRequest{Date: date}
	if err := dr.Validate(); err != nil {
		return DayResult{Date: date}, err
	}
	if err := r.acquire(ctx); err != nil {
		return DayResult{Date: date}, err
	}
	defer r.release()
	cal, err := r.calendar(ctx, identity)
	if err != nil {
		return DayResult{Date: date}, err
	}
	final, ferr := r.cycle(ctx, identity, namespace, cal)
	if err := ctx.Err(); err != nil {
		return DayResult{Date: date}, &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEndorse, Message: err.Error(), Err: err}
	}
	if ferr != nil {
		r.log.WarnContext(ctx, "interbank: the final cycle before closing the day failed; closing anyway", "date", date, "err", ferr)
	}
	res, err := r.closeDay(ctx, identity, date)
	res.Final, res.FinalErr = &final, ferr
	return res, err
}

// Tick runs one cycle, then closes (without a final cycle) every value
// date, at most MaxDaysPerTick, whose end of day has passed while
// transfers wait for it. It returns ErrBusy at once when a cycle or close
// is running.
func (r *Runner) Tick(ctx context.Context, identity, namespace string) (TickResult, error) {
	if !r.tryAcquire() {
		r.metrics.Cycle("busy")
		return TickResult{}, ErrBusy
	}
	defer r.release()
	cal, err := r.calendar(ctx, identity)
	if err != nil {
		r.metrics.Cycle("failed")
		return TickResult{}, err
	}
	var tick TickResult
	var errs []error
	tick.Cycle, err = r.cycle(ctx, identity, namespace, cal)
	if err != nil {
		errs = append(errs, err)
	}
	for i, date := range tick.Cycle.PastDates {
		if i == MaxDaysPerTick || ctx.Err() != nil {
			break
		}
		dr, err := r.closeDay(ctx, identity, date)
		tick.Closed = append(tick.Closed, dr)
		if err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", date, err))
		}
	}
	return tick, errors.Join(errs...)
}

// Run ticks every interval (0: the calendar's cycleIntervalSec, as last
// read) until ctx ends, logging what each tick did. It does not tick at
// once: the first tick comes after one interval.
func (r *Runner) Run(ctx context.Context, identity, namespace string, interval time.Duration) {
	for {
		wait := interval
		if wait <= 0 {
			wait = time.Duration(r.interval.Load())
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		tick, err := r.Tick(ctx, identity, namespace)
		switch {
		case errors.Is(err, ErrBusy):
			r.log.InfoContext(ctx, "interbank: tick skipped, a cycle is running")
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			r.log.WarnContext(ctx, "interbank: tick failed", "err", err, "settled", settledOf(tick.Cycle), "queued", tick.Cycle.Queued)
		case tick.Cycle.Cycle != nil || len(tick.Closed) > 0:
			r.log.InfoContext(ctx, "interbank: tick", "queued", tick.Cycle.Queued, "due", tick.Cycle.Due,
				"settled", settledOf(tick.Cycle), "txId", tick.Cycle.TxID, "daysClosed", len(tick.Closed))
		}
	}
}

func settledOf(r Result) int {
	if r.Cycle == nil {
		return 0
	}
	return r.Cycle.Settled
}

// calendar reads the business calendar and remembers its cycle interval.
func (r *Runner) calendar(ctx context.Context, identity string) (api.Calendar, error) {
	cal, err := ledger.Query(ctx, r.l, identity, api.GetCalendar, api.Empty{})
	if err != nil {
		return cal, err
	}
	if cal.CycleIntervalSec > 0 {
		r.interval.Store(int64(time.Duration(cal.CycleIntervalSec) * time.Second))
	}
	return cal, nil
}

// lostRace reports whether a cycle failed because its snapshot went stale.
func lostRace(err error) bool {
	switch ledger.CodeOf(err) {
	case ledger.CodeConflict, ledger.Code(api.CodeNotQueued), ledger.CodeInsufficientFunds, ledger.CodeInputSpent:
		return true
	}
	return false
}

// cycle computes and submits one cycle, recomputing it once when it loses
// a race. The caller holds the semaphore.
func (r *Runner) cycle(ctx context.Context, identity, namespace string, cal api.Calendar) (Result, error) {
	var res Result
	for attempt := 1; ; attempt++ {
		res = Result{Attempts: attempt}
		snap, err := r.snapshot(ctx, identity, cal, &res)
		if err != nil {
			r.metrics.Cycle("failed")
			return res, err
		}
		plan, err := r.solver.Solve(liquidity.Multilateral, snap)
		if err != nil {
			r.metrics.Cycle("failed")
			return res, fmt.Errorf("cycles: solve: %w", err)
		}
		res.Capped = plan.Capped
		if len(plan.Transfers) == 0 {
			r.metrics.Cycle("nothing")
			return res, nil
		}
		res.Transfers = plan.IDs()
		id, err := newCycleID(namespace)
		if err != nil {
			return res, err
		}
		req := api.CycleRequest{ID: id, Transfers: res.Transfers, Inputs: map[string][]string{}}
		out, c, err := ledger.Invoke(ctx, r.l, identity, api.SettleCycle, req, nil, ledger.SubmitOptions{})
		if r.onSettled != nil {
			r.onSettled(accountsOf(plan))
		}
		if err == nil {
			res.Cycle, res.TxID, res.BlockNumber = &out, c.TxID, c.BlockNumber
			r.metrics.Cycle("settled")
			r.metrics.CycleSettled(out.Settled, int64(out.Gross), int64(out.Liquidity))
			return res, nil
		}
		if attempt == 1 && lostRace(err) && ctx.Err() == nil {
			r.log.InfoContext(ctx, "interbank: cycle lost a race, recomputing", "cycle", id, "code", ledger.CodeOf(err))
			r.metrics.Cycle("recomputed")
			continue
		}
		r.metrics.Cycle("failed")
		return res, err
	}
}

func accountsOf(p liquidity.Plan) []string {
	out := make([]string, len(p.Positions))
	for i, n := range p.Positions {
		out[i] = n.Account
	}
	return out
}

// newCycleID is namespace:cycle- and 64 random bits.
func newCycleID(namespace string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cycles: cycle ID: %w", err)
	}
	return namespace + ":cycle-" + hex.EncodeToString(b), nil
}

// snapshot reads the waiting transfers and the due payers' balances; it
// fills res's counts as it goes.
func (r *Runner) snapshot(ctx context.Context, identity string, cal api.Calendar, res *Result) (liquidity.Snapshot, error) {
	now := r.now()
	past := map[string]bool{}
	var due []api.InterbankTransfer
	bookmark := ""
	for {
		size := min(api.MaxPageSize, r.maxQueue-res.Queued)
		page, err := ledger.Query(ctx, r.l, identity, api.ListQueue, api.QueueRequest{PageSize: size, Bookmark: bookmark})
		if err != nil {
			return liquidity.Snapshot{}, err
		}
		for _, t := range page.Transfers {
			res.Queued++
			if interbank.PastEndOfDay(cal, t.ValueDate, now) {
				past[t.ValueDate] = true
			}
			if t.Status == api.TransferQueued && interbank.Due(cal, t.ValueDate, now) {
				due = append(due, t)
			}
		}
		if page.Bookmark == "" || page.Bookmark == bookmark {
			break
		}
		if res.Queued >= r.maxQueue {
			res.Truncated = true
			r.log.WarnContext(ctx, "interbank: the queue holds more than one cycle reads; the rest waits", "read", res.Queued)
			break
		}
		bookmark = page.Bookmark
	}
	r.metrics.QueueRead(res.Queued)
	res.Due = len(due)
	res.PastDates = api.SortedKeys(past)
	snap := liquidity.Snapshot{Transfers: make([]liquidity.Transfer, len(due)), Balances: map[string]money.Amount{}}
	payers := map[string]bool{}
	for i, t := range due {
		snap.Transfers[i] = liquidity.FromRecord(t)
		payers[t.From] = true
	}
	balances, err := r.balances(ctx, identity, api.SortedKeys(payers))
	if err != nil {
		return snap, err
	}
	snap.Balances = balances
	return snap, nil
}

// balances reads each account's position balance, Readers at a time.
func (r *Runner) balances(ctx context.Context, identity string, accounts []string) (map[string]money.Amount, error) {
	out := make(map[string]money.Amount, len(accounts))
	if len(accounts) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	next := make(chan string)
	for range min(r.readers, len(accounts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for acct := range next {
				p, err := ledger.Query(ctx, r.l, identity, api.Position, api.PositionRequest{Account: acct})
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("position of %s: %w", acct, err)
					cancel()
				}
				out[acct] = p.Balance
				mu.Unlock()
			}
		}()
	}
feed:
	for _, a := range accounts {
		select {
		case next <- a:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEvaluate, Message: err.Error(), Err: err}
	}
	return out, nil
}

// closeDay reads date's transfers and runs EndOfDay over them in chunks.
// The caller holds the semaphore.
func (r *Runner) closeDay(ctx context.Context, identity, date string) (DayResult, error) {
	res := DayResult{Date: date, Rejected: []string{}, Closed: []api.DayEnd{}, TxIDs: []string{}}
	var waiting []string
	accounts := map[string]bool{}
	err := DayPages(ctx, r.l, identity, date, r.maxDay, func(t api.InterbankTransfer) error {
		res.Transfers++
		accounts[t.From], accounts[t.To] = true, true
		if t.Status == api.TransferQueued || t.Status == api.TransferHeld {
			waiting = append(waiting, t.ID)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	accts := api.SortedKeys(accounts)
	for i := 0; ; i++ {
		tr := chunk(waiting, i, api.MaxCycleTransfers)
		ac := chunk(accts, i, api.MaxCycleBanks)
		if i > 0 && len(tr) == 0 && len(ac) == 0 {
			break
		}
		req := api.EndOfDayRequest{Date: date, Transfers: tr, Reason: RejectReason, Accounts: ac}
		out, c, err := ledger.Invoke(ctx, r.l, identity, api.EndOfDay, req, nil, ledger.SubmitOptions{})
		if err != nil {
			return res, err
		}
		res.Rejected = append(res.Rejected, out.Rejected...)
		res.Closed = append(res.Closed, out.Closed...)
		res.TxIDs = append(res.TxIDs, c.TxID)
	}
	if r.onSettled != nil && len(accts) > 0 {
		r.onSettled(accts)
	}
	r.metrics.DayClosed(len(res.Rejected))
	r.log.InfoContext(ctx, "interbank: business day closed", "date", date, "transfers", res.Transfers,
		"rejected", len(res.Rejected), "accountsFixed", len(res.Closed))
	return res, nil
}

// chunk is the i-th slice of n items of s (never nil).
func chunk(s []string, i, n int) []string {
	lo := min(i*n, len(s))
	hi := min(lo+n, len(s))
	return append([]string{}, s[lo:hi]...)
}

// DayPages visits every transfer of date that identity may see, page by
// page (interbank:DayTransfers), in index order. It fails with
// ErrDayTooLarge, before visiting more, when the date's index holds more
// than max transfers (visible or not: the pages read are bounded too).
func DayPages(ctx context.Context, l ledger.Ledger, identity, date string, max int, visit func(api.InterbankTransfer) error) error {
	seen, pages := 0, 0
	maxPages := max/api.MaxPageSize + 1
	bookmark := ""
	for {
		if pages == maxPages {
			return fmt.Errorf("%w: %s holds more than %d transfers", ErrDayTooLarge, date, max)
		}
		page, err := ledger.Query(ctx, l, identity, api.DayTransfers, api.DayRequest{Date: date, PageSize: api.MaxPageSize, Bookmark: bookmark})
		if err != nil {
			return err
		}
		pages++
		if seen += len(page.Transfers); seen > max {
			return fmt.Errorf("%w: %s holds more than %d transfers", ErrDayTooLarge, date, max)
		}
		for _, t := range page.Transfers {
			if err := visit(t); err != nil {
				return err
			}
		}
		if page.Bookmark == "" || page.Bookmark == bookmark {
			return nil
		}
		bookmark = page.Bookmark
	}
}
