package cycles_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/gateway/cycles"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
)

// The runner's clock: Monday 2026-01-05, 10:00 in Shanghai (settlement
// open under the default calendar).
var (
	now       = time.Date(2026, 1, 5, 10, 0, 0, 0, api.BusinessZone)
	today     = "2026-01-05"
	yesterday = "2026-01-02" // the Friday before
	tomorrow  = "2026-01-06"
)

// fakeLedger is the interbank contract as the runner sees it: a queue, a
// day index, balances, and scripted answers to Settle and EndOfDay. It
// counts what was read and submitted.
type fakeLedger struct {
	mu       sync.Mutex
	queue    []api.InterbankTransfer
	day      map[string][]api.InterbankTransfer
	balances map[string]money.Amount

	// settleErrs are the errors of the next Settle calls, in order (nil:
	// settle).
	settleErrs []error
	// eodErrs are the errors of the next EndOfDay calls.
	eodErrs []error
	// settleGate, when set, makes Settle wait for a value (after
	// signalling entered).
	settleGate chan struct{}
	entered    chan struct{}

	queueRead, queuePages, positions, calendars int
	settles                                     []api.CycleRequest
	eods                                        []api.EndOfDayRequest
	inFlight, maxInFlight                       atomic.Int32
}

func newFake() *fakeLedger {
	return &fakeLedger{day: map[string][]api.InterbankTransfer{}, balances: map[string]money.Amount{}}
}

func page[T any](items []T, bookmark string, size int) ([]T, string) {
	start := 0
	if bookmark != "" {
		start, _ = strconv.Atoi(bookmark)
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func answer(v any) ([]byte, error) { return json.Marshal(v) }

func (f *fakeLedger) Evaluate(_ context.Context, _, fn string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch fn {
	case api.GetCalendar.Function():
		f.calendars++
		return answer(api.DefaultCalendar())
	case api.ListQueue.Function():
		req, err := api.ListQueue.DecodeRequest(args[0])
		if err != nil {
			return nil, err
		}
		rows, next := page(f.queue, req.Bookmark, api.PageSize(req.PageSize))
		f.queueRead += len(rows)
		f.queuePages++
		return answer(api.QueuePage{Transfers: rows, Bookmark: next})
	case api.Position.Function():
		req, err := api.Position.DecodeRequest(args[0])
		if err != nil {
			return nil, err
		}
		f.positions++
		return answer(api.BankPosition{Account: req.Account, Balance: f.balances[req.Account]})
	case api.DayTransfers.Function():
		req, err := api.DayTransfers.DecodeRequest(args[0])
		if err != nil {
			return nil, err
		}
		rows, next := page(f.day[req.Date], req.Bookmark, api.PageSize(req.PageSize))
		return answer(api.TransferPage{Transfers: rows, Bookmark: next})
	}
	return nil, fmt.Errorf("fake: no function %s", fn)
}

func (f *fakeLedger) Submit(_ context.Context, _, fn string, args []string, _ map[string][]byte, _ ledger.SubmitOptions) (*ledger.Committed, error) {
	switch fn {
	case api.SettleCycle.Function():
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxInFlight.Load()
			if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		req, err := api.SettleCycle.DecodeRequest(args[0])
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		gate, entered := f.settleGate, f.entered
		f.mu.Unlock()
		if gate != nil {
			entered <- struct{}{}
			<-gate
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.settles = append(f.settles, req)
		if len(f.settleErrs) > 0 {
			err := f.settleErrs[0]
			f.settleErrs = f.settleErrs[1:]
			if err != nil {
				return nil, err
			}
		}
		legs := make([]interbank.Leg, 0, len(req.Transfers))
		var gross money.Amount
		for _, id := range req.Transfers {
			for _, t := range f.queue {
				if t.ID == id {
					legs = append(legs, interbank.Leg{ID: id, From: t.From, To: t.To, Amount: t.Amount})
					gross += t.Amount
				}
			}
		}
		nets, err := interbank.Nets(legs)
		if err != nil {
			return nil, err
		}
		var liq money.Amount
		for _, n := range nets {
			if n.Net < 0 {
				liq -= n.Net
			}
		}
		b, _ := answer(api.CycleResult{ID: req.ID, Settled: len(req.Transfers), Gross: gross, Positions: nets, Liquidity: liq, TxID: "tx-settle"})
		return &ledger.Committed{Result: b, TxID: "tx-settle", BlockNumber: 9}, nil
	case api.EndOfDay.Function():
		req, err := api.EndOfDay.DecodeRequest(args[0])
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.eods = append(f.eods, req)
		if len(f.eodErrs) > 0 {
			err := f.eodErrs[0]
			f.eodErrs = f.eodErrs[1:]
			if err != nil {
				return nil, err
			}
		}
		res := api.EndOfDayResult{Date: req.Date, Rejected: req.Transfers, Closed: []api.DayEnd{}}
		for _, a := range req.Accounts {
			res.Closed = append(res.Closed, api.DayEnd{Account: a, Date: req.Date})
		}
		b, _ := answer(res)
		return &ledger.Committed{Result: b, TxID: fmt.Sprintf("tx-eod-%d", len(f.eods)), BlockNumber: 10}, nil
	}
	return nil, fmt.Errorf("fake: no function %s", fn)
}

func (f *fakeLedger) Events(context.Context, string, *uint64) (<-chan ledger.Event, error) {
	return nil, errors.New("fake: no events")
}

func transfer(id, from, to string, yuan int64, vd, status string) api.InterbankTransfer {
	return api.InterbankTransfer{ID: id, From: from, To: to, Amount: money.Yuan(yuan), Priority: api.PriorityNormal,
		ValueDate: vd, Status: status, Seq: id}
}

// gridlock: each of three banks owes the next 1,000,000 and holds 100,000.
func gridlock(f *fakeLedger) {
	f.queue = []api.InterbankTransfer{
		transfer("A:1", "A:settle", "B:settle", 1_000_000, today, api.TransferQueued),
		transfer("B:1", "B:settle", "C:settle", 1_000_000, today, api.TransferQueued),
		transfer("C:1", "C:settle", "A:settle", 1_000_000, today, api.TransferQueued),
	}
	for _, a := range []string{"A:settle", "B:settle", "C:settle"} {
		f.balances[a] = money.Yuan(100_000)
	}
}

func newRunner(t *testing.T, f *fakeLedger, o cycles.Options) *cycles.Runner {
	t.Helper()
	o.Ledger = f
	o.Now = func() time.Time { return now }
	r, err := cycles.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCycleSettlesAGridlock(t *testing.T) {
	f := newFake()
	gridlock(f)
	var told []string
	r := newRunner(t, f, cycles.Options{OnSettled: func(a []string) { told = append(told, a...) }})
	res, err := r.Cycle(context.Background(), "iss", "ShanghaiMSP")
	if err != nil {
		t.Fatal(err)
	}
	if res.Cycle == nil || res.Cycle.Settled != 3 || res.Queued != 3 || res.Due != 3 || res.Attempts != 1 {
		t.Fatalf("result %+v", res)
	}
	if res.Cycle.Liquidity != 0 || res.Cycle.Gross != money.Yuan(3_000_000) {
		t.Fatalf("gross %s liquidity %s, want 3000000.00 and 0.00", res.Cycle.Gross, res.Cycle.Liquidity)
	}
	if len(f.settles) != 1 || len(f.settles[0].Transfers) != 3 || len(f.settles[0].Inputs) != 0 {
		t.Fatalf("settles %+v", f.settles)
	}
	if id := f.settles[0].ID; api.NamespaceOf(id) != "ShanghaiMSP" {
		t.Fatalf("cycle ID %s not in the identity's namespace", id)
	}
	if f.positions != 3 {
		t.Fatalf("%d position reads, want one per payer", f.positions)
	}
	if len(told) != 3 {
		t.Fatalf("OnSettled told %v", told)
	}
}

func TestNothingToSettle(t *testing.T) {
	tests := []struct {
		name  string
		queue []api.InterbankTransfer
		due   int
	}{
		{"empty queue", nil, 0},
		{"held", []api.InterbankTransfer{transfer("A:1", "A:settle", "B:settle", 10, today, api.TransferHeld)}, 0},
		{"a later value date", []api.InterbankTransfer{transfer("A:1", "A:settle", "B:settle", 10, tomorrow, api.TransferQueued)}, 0},
		{"not covered", []api.InterbankTransfer{transfer("A:1", "A:settle", "B:settle", 10, today, api.TransferQueued)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.queue = tt.queue
			r := newRunner(t, f, cycles.Options{})
			res, err := r.Cycle(context.Background(), "iss", "ShanghaiMSP")
			if err != nil {
				t.Fatal(err)
			}
			if res.Cycle != nil || len(f.settles) != 0 || res.Due != tt.due || res.Queued != len(tt.queue) {
				t.Fatalf("result %+v, %d settles", res, len(f.settles))
			}
		})
	}
}

// TestQueueReadIsBounded: a cycle reads at most MaxQueue transfers and
// solves over them.
func TestQueueReadIsBounded(t *testing.T) {
	f := newFake()
	for i := range 25 {
		f.queue = append(f.queue, transfer(fmt.Sprintf("A:%02d", i), "A:settle", "B:settle", 1, today, api.TransferQueued))
	}
	f.balances["A:settle"] = money.Yuan(1000)
	r := newRunner(t, f, cycles.Options{MaxQueue: 10})
	res, err := r.Cycle(context.Background(), "iss", "ShanghaiMSP")
	if err != nil {
		t.Fatal(err)
	}
	if f.queueRead != 10 || res.Queued != 10 || !res.Truncated {
		t.Fatalf("read %d (%d pages), result %+v", f.queueRead, f.queuePages, res)
	}
	if res.Cycle == nil || res.Cycle.Settled != 10 {
		t.Fatalf("settled %+v", res.Cycle)
	}
	t.Run("a queue that fits is not truncated", func(t *testing.T) {
		f := newFake()
		gridlock(f)
		r := newRunner(t, f, cycles.Options{MaxQueue: 3})
		res, err := r.Cycle(context.Background(), "iss", "ShanghaiMSP")
		if err != nil || res.Truncated || res.Queued != 3 {
			t.Fatalf("result %+v, %v", res, err)
		}
	})
	t.Run("options out of range", func(t *testing.T) {
		for _, o := range []cycles.Options{{Ledger: f, MaxQueue: -1}, {Ledger: f, MaxDayTransfers: 20_000_000}, {Ledger: f, Readers: 65}, {}} {
			if _, err := cycles.New(o); !errors.Is(err, cycles.ErrInvalidOptions) {
				t.Errorf("New(%+v) = %v", o, err)
			}
		}
	})
}

func lerr(code ledger.Code) error {
	return &ledger.Error{Code: code, Stage: ledger.StageEndorse, Message: string(code), FromChaincode: true}
}

// TestRecomputeOnce: a cycle that loses a race is computed again once,
// then left to the next tick; other failures are not retried.
func TestRecomputeOnce(t *testing.T) {
	tests := []struct {
		name     string
		errs     []error
		settles  int
		code     ledger.Code // "" for success
		attempts int
	}{
		{"conflict then settled", []error{lerr(ledger.CodeConflict)}, 2, "", 2},
		{"not queued then settled", []error{lerr(ledger.Code(api.CodeNotQueued))}, 2, "", 2},
		{"insufficient funds then settled", []error{lerr(ledger.CodeInsufficientFunds)}, 2, "", 2},
		{"lost twice", []error{lerr(ledger.Code(api.CodeNotQueued)), lerr(ledger.CodeConflict)}, 2, ledger.CodeConflict, 2},
		{"forbidden is not a race", []error{lerr(ledger.CodeForbidden)}, 1, ledger.CodeForbidden, 1},
		{"unknown outcome is not retried", []error{lerr(ledger.CodeCommitUnknown)}, 1, ledger.CodeCommitUnknown, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			gridlock(f)
			f.settleErrs = tt.errs
			r := newRunner(t, f, cycles.Options{})
			res, err := r.Cycle(context.Background(), "iss", "ShanghaiMSP")
			if tt.code == "" && err != nil || tt.code != "" && ledger.CodeOf(err) != tt.code {
				t.Fatalf("error %v, want code %q", err, tt.code)
			}
			if len(f.settles) != tt.settles || res.Attempts != tt.attempts {
				t.Fatalf("%d settles, %d attempts; want %d, %d", len(f.settles), res.Attempts, tt.settles, tt.attempts)
			}
			if tt.settles == 2 && f.settles[0].ID == f.settles[1].ID {
				t.Fatal("the recomputed cycle reused the lost cycle's ID")
			}
			if (tt.code == "") != (res.Cycle != nil) {
				t.Fatalf("cycle %+v", res.Cycle)
			}
			if f.calendars != 1 || f.queuePages != tt.attempts {
				t.Fatalf("%d calendar reads, %d queue reads: each attempt reads the queue afresh", f.calendars, f.queuePages)
			}
		})
	}
}

// TestOneAtATime: while a cycle runs, a tick is skipped, another Cycle
// waits (or gives up with its context), and no two Settle calls overlap.
func TestOneAtATime(t *testing.T) {
	f := newFake()
	gridlock(f)
	f.settleGate, f.entered = make(chan struct{}), make(chan struct{}, 2)
	r := newRunner(t, f, cycles.Options{})
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { _, err := r.Cycle(ctx, "iss", "ShanghaiMSP"); first <- err }()
	<-f.entered // the first cycle is inside Settle

	tick := make(chan error, 1)
	go func() { _, err := r.Tick(ctx, "iss", "ShanghaiMSP"); tick <- err }()
	select {
	case err := <-tick:
		if !errors.Is(err, cycles.ErrBusy) {
			t.Fatalf("tick while busy: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a tick blocked while a cycle ran: it should have been skipped")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Cycle(cctx, "iss", "ShanghaiMSP"); ledger.CodeOf(err) != ledger.CodeCanceled {
		t.Fatalf("a cancelled wait: %v", err)
	}
	if _, err := r.CloseDay(cctx, "iss", "ShanghaiMSP", yesterday); ledger.CodeOf(err) != ledger.CodeCanceled {
		t.Fatalf("a cancelled close: %v", err)
	}

	second := make(chan error, 1)
	go func() { _, err := r.Cycle(ctx, "iss", "ShanghaiMSP"); second <- err }()
	select {
	case <-f.entered:
		t.Fatal("a second cycle entered Settle while the first ran")
	case err := <-second:
		t.Fatalf("the second cycle returned while the first ran: %v", err)
	default:
	}
	f.settleGate <- struct{}{} // the first settles
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	<-f.entered // now the second computes and enters Settle
	f.settleGate <- struct{}{}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if m := f.maxInFlight.Load(); m != 1 {
		t.Fatalf("%d Settle calls overlapped", m)
	}
	if len(f.settles) != 2 {
		t.Fatalf("%d settles", len(f.settles))
	}
}

func TestCloseDay(t *testing.T) {
	f := newFake()
	var waiting []string
	accounts := map[string]bool{}
	for i := range 2600 {
		status := api.TransferQueued
		switch i % 13 {
		case 0:
			status = api.TransferSettled
		case 1:
			status = api.TransferHeld
		case 2:
			status = api.TransferCancelled
		}
		from, to := fmt.Sprintf("B%02d:settle", i%70), fmt.Sprintf("B%02d:settle", (i+1)%70)
		accounts[from], accounts[to] = true, true
		tr := transfer(fmt.Sprintf("B%02d:%04d", i%70, i), from, to, 1, yesterday, status)
		f.day[yesterday] = append(f.day[yesterday], tr)
		if status == api.TransferQueued || status == api.TransferHeld {
			waiting = append(waiting, tr.ID)
		}
	}
	r := newRunner(t, f, cycles.Options{})
	res, err := r.CloseDay(context.Background(), "iss", "ShanghaiMSP", yesterday)
	if err != nil {
		t.Fatal(err)
	}
	if res.Transfers != 2600 || res.Final == nil || res.Final.Cycle != nil {
		t.Fatalf("result: %d transfers, final %+v", res.Transfers, res.Final)
	}
	// Every waiting transfer and every account exactly once, in chunks
	// within the chaincode's limits.
	gotT, gotA := map[string]int{}, map[string]int{}
	for _, e := range f.eods {
		if e.Date != yesterday || e.Reason == "" || len(e.Transfers) > api.MaxCycleTransfers || len(e.Accounts) > api.MaxCycleBanks {
			t.Fatalf("end of day %s: %d transfers, %d accounts, reason %q", e.Date, len(e.Transfers), len(e.Accounts), e.Reason)
		}
		for _, id := range e.Transfers {
			gotT[id]++
		}
		for _, a := range e.Accounts {
			gotA[a]++
		}
	}
	if len(f.eods) != 3 || len(gotT) != len(waiting) || len(gotA) != len(accounts) || len(res.Rejected) != len(waiting) || len(res.TxIDs) != 3 {
		t.Fatalf("%d calls, %d transfers of %d, %d accounts of %d", len(f.eods), len(gotT), len(waiting), len(gotA), len(accounts))
	}
	for id, n := range gotT {
		if n != 1 {
			t.Fatalf("transfer %s named %d times", id, n)
		}
	}
	for a, n := range gotA {
		if n != 1 || !accounts[a] {
			t.Fatalf("account %s named %d times", a, n)
		}
	}

	t.Run("a day that has not ended", func(t *testing.T) {
		f := newFake()
		f.day[today] = []api.InterbankTransfer{transfer("A:1", "A:settle", "B:settle", 1, today, api.TransferQueued)}
		f.eodErrs = []error{lerr(ledger.Code(api.CodeDayOpen))}
		r := newRunner(t, f, cycles.Options{})
		_, err := r.CloseDay(context.Background(), "iss", "ShanghaiMSP", today)
		if ledger.CodeOf(err) != ledger.Code(api.CodeDayOpen) || len(f.eods) != 1 {
			t.Fatalf("error %v after %d calls", err, len(f.eods))
		}
	})
	t.Run("a day without transfers still asks the chaincode", func(t *testing.T) {
		f := newFake()
		r := newRunner(t, f, cycles.Options{})
		res, err := r.CloseDay(context.Background(), "iss", "ShanghaiMSP", yesterday)
		if err != nil || len(f.eods) != 1 || res.Transfers != 0 {
			t.Fatalf("%v, %d calls, %+v", err, len(f.eods), res)
		}
	})
	t.Run("too many transfers", func(t *testing.T) {
		f := newFake()
		for i := range 7 {
			f.day[yesterday] = append(f.day[yesterday], transfer(fmt.Sprintf("A:%d", i), "A:settle", "B:settle", 1, yesterday, api.TransferQueued))
		}
		r := newRunner(t, f, cycles.Options{MaxDayTransfers: 5})
		_, err := r.CloseDay(context.Background(), "iss", "ShanghaiMSP", yesterday)
		if !errors.Is(err, cycles.ErrDayTooLarge) || len(f.eods) != 0 {
			t.Fatalf("error %v, %d end-of-day calls", err, len(f.eods))
		}
	})
	t.Run("a bad date", func(t *testing.T) {
		r := newRunner(t, newFake(), cycles.Options{})
		if _, err := r.CloseDay(context.Background(), "iss", "ShanghaiMSP", "05/01/2026"); api.CodeOf(err) != api.CodeInvalidArgument {
			t.Fatalf("error %v", err)
		}
	})
}

// TestTickClosesPastDays: a tick settles what is due and closes the value
// dates whose end has passed with transfers still waiting.
func TestTickClosesPastDays(t *testing.T) {
	f := newFake()
	gridlock(f)
	old := transfer("A:old", "A:settle", "B:settle", 5, yesterday, api.TransferQueued)
	later := transfer("A:later", "A:settle", "B:settle", 5, tomorrow, api.TransferQueued)
	f.queue = append(f.queue, old, later)
	f.day[yesterday] = []api.InterbankTransfer{old}
	r := newRunner(t, f, cycles.Options{})
	tick, err := r.Tick(context.Background(), "iss", "ShanghaiMSP")
	if err != nil {
		t.Fatal(err)
	}
	if tick.Cycle.Cycle == nil || tick.Cycle.Cycle.Settled != 3 || tick.Cycle.Queued != 5 || tick.Cycle.Due != 3 {
		t.Fatalf("cycle %+v", tick.Cycle)
	}
	if len(tick.Closed) != 1 || tick.Closed[0].Date != yesterday || tick.Closed[0].Final != nil {
		t.Fatalf("closed %+v", tick.Closed)
	}
	if len(f.eods) != 1 || len(f.eods[0].Transfers) != 1 || f.eods[0].Transfers[0] != "A:old" {
		t.Fatalf("end of day %+v", f.eods)
	}
}

// TestRun ticks on its interval until its context ends.
func TestRun(t *testing.T) {
	f := newFake()
	gridlock(f)
	r := newRunner(t, f, cycles.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, "iss", "ShanghaiMSP", time.Millisecond); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n := f.calendars
		f.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ticks in 10 s", n)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.settles) == 0 || f.settles[0].Transfers[0] != "A:1" {
		t.Fatalf("settles %+v", f.settles)
	}
}
