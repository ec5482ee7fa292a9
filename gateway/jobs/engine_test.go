package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/money"
)

const owner = "sh-fin"

// open opens an engine on path with fast retries; closed at cleanup.
func open(t testing.TB, path string, o Options) *Engine {
	t.Helper()
	if o.RetryDelay == 0 {
		o.RetryDelay = time.Millisecond
	}
	e, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// spec builds a job of n lines paying recipients r-0…r-(k−1) round robin
// 1.00 to 9.99 yuan, and the model of what each must receive.
func spec(id string, n, k int) (Spec, map[string]money.Amount) {
	s := Spec{ID: id, Programme: fakeProg, Owner: owner}
	want := map[string]money.Amount{}
	for i := 1; i <= n; i++ {
		r := fmt.Sprintf("SH-CITY:r-%d", i%k)
		a := money.Amount(100 + (i*31)%900)
		s.Lines = append(s.Lines, Line{No: i, Recipient: r, Amount: a})
		want[r] += a
	}
	return s, want
}

// wait polls a job until it is finished.
func wait(t testing.TB, e *Engine, id string) Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := e.Get(id, owner)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Finished() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s: %+v", id, j.Status, j)
		}
		time.Sleep(time.Millisecond)
	}
}

func checkCredits(t *testing.T, f *fakeLedger, want map[string]money.Amount) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for r, a := range want {
		if f.credited[r] != a {
			t.Fatalf("%s received %s, the lines pay it %s", r, f.credited[r], a)
		}
	}
	if f.overlaps != 0 {
		t.Fatalf("%d disbursements paid a recipient another disbursement in flight paid", f.overlaps)
	}
}

func TestJobPaysEveryLineOnce(t *testing.T) {
	f := newFakeLedger([]string{"40000", "30000", "30000"})
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, BatchLines: 7, Concurrency: 3})
	s, want := spec("SH-FIN:j1", 1000, 60)
	j, created, err := e.Submit(s)
	if err != nil || !created || j.Status != StatusQueued || j.Lines != 1000 || j.Pending != 1000 {
		t.Fatalf("submit: %+v %v %v", j, created, err)
	}
	j = wait(t, e, s.ID)
	var total money.Amount
	for _, a := range want {
		total += a
	}
	if j.Status != StatusDone || j.Paid != 1000 || j.Pending != 0 || j.Settled != total || j.Amount != total || j.Batches < 1000/7 {
		t.Fatalf("job %+v", j)
	}
	checkCredits(t, f, want)
	if f.escrowTotal() != money.MustParseYuan("100000")-total {
		t.Fatalf("escrow %s after paying %s", f.escrowTotal(), total)
	}
	t.Run("lines page in order", func(t *testing.T) {
		page, more, err := e.Lines(s.ID, owner, LinePaid, 990, 5)
		if err != nil || !more || len(page) != 5 || page[0].No != 991 || page[0].TxID == "" || page[0].Output == "" {
			t.Fatalf("%+v %v %v", page, more, err)
		}
		page, more, err = e.Lines(s.ID, owner, "", 995, 10)
		if err != nil || more || len(page) != 5 {
			t.Fatalf("%+v %v %v", page, more, err)
		}
		if _, _, err := e.Lines(s.ID, "other", "", 0, 10); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another owner reads the lines: %v", err)
		}
	})
}

func TestSubmitTheSameJobAgain(t *testing.T) {
	f := newFakeLedger([]string{"1000"})
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f})
	s, _ := spec("SH-FIN:j1", 10, 3)
	if _, created, err := e.Submit(s); err != nil || !created {
		t.Fatal(created, err)
	}
	wait(t, e, s.ID)
	// The same lines in another order are the same job.
	rev := s
	rev.Lines = append([]Line(nil), s.Lines...)
	for i, j := 0, len(rev.Lines)-1; i < j; i, j = i+1, j-1 {
		rev.Lines[i], rev.Lines[j] = rev.Lines[j], rev.Lines[i]
	}
	if j, created, err := e.Submit(rev); err != nil || created || j.Status != StatusDone {
		t.Fatalf("again: %+v %v %v", j, created, err)
	}
	other := s
	other.Lines = append([]Line(nil), s.Lines...)
	other.Lines[3].Amount++
	if j, _, err := e.Submit(other); !errors.Is(err, ErrMismatch) || j.ID != s.ID {
		t.Fatalf("different lines: %+v %v", j, err)
	}
	stranger := s
	stranger.Owner = "sh-fin2"
	if _, _, err := e.Submit(stranger); !errors.Is(err, ErrMismatch) {
		t.Fatalf("another owner: %v", err)
	}
	if _, err := e.Get(s.ID, "sh-fin2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another owner reads the job: %v", err)
	}
}

// TestResumeAfterKill closes the engine without waiting while a batch is
// on its way (it commits after the engine is gone), opens a new engine on
// the file, and checks that the job finishes with every line paid once.
func TestResumeAfterKill(t *testing.T) {
	f := newFakeLedger([]string{"40000", "30000", "30000"})
	var n atomic.Int32
	held, release := make(chan api.DisburseRequest, 1), make(chan struct{})
	f.fault = func(req api.DisburseRequest) error {
		if n.Add(1) == 10 {
			held <- req
			<-release
		}
		return nil
	}
	path := filepath.Join(t.TempDir(), "jobs.db")
	e, err := Open(path, Options{Ledger: f, BatchLines: 20, Concurrency: 2, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s, want := spec("SH-FIN:kill", 600, 90)
	if _, _, err := e.Submit(s); err != nil {
		t.Fatal(err)
	}
	lost := <-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Close(ctx); err == nil {
		t.Fatal("Close with an ended context reported nothing abandoned")
	}
	if _, _, err := e.Submit(s); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
	close(release) // the lost batch commits now, unrecorded

	e2 := open(t, path, Options{Ledger: f, BatchLines: 20, Concurrency: 2})
	j := wait(t, e2, s.ID)
	if j.Status != StatusDone || j.Paid+j.AlreadyPaid != 600 || j.AlreadyPaid < len(lost.Lines) {
		t.Fatalf("resumed %+v (lost batch of %d lines)", j, len(lost.Lines))
	}
	for _, l := range lost.Lines {
		page, _, err := e2.Lines(s.ID, owner, "", l.Line-1, 1)
		if err != nil || len(page) != 1 || page[0].Status != LineAlreadyPaid {
			t.Fatalf("line %d of the lost batch: %+v %v", l.Line, page, err)
		}
	}
	checkCredits(t, f, want)
}

// TestFailuresAndRetries: transient failures are retried, spent escrow
// inputs make the engine read the escrow again, and a refusal of the
// whole batch fails the job, which the same Submit resumes.
func TestFailuresAndRetries(t *testing.T) {
	f := newFakeLedger([]string{"5000", "5000"})
	var calls atomic.Int32
	refuse := atomic.Bool{}
	f.fault = func(api.DisburseRequest) error {
		switch c := calls.Add(1); {
		case refuse.Load():
			return ccErr(api.CodePurposeNotAllowed, "outside the window")
		case c == 2 || c == 3:
			return &ledger.Error{Code: ledger.CodeConflict, Stage: ledger.StageCommit, Message: "MVCC"}
		case c == 5:
			return &ledger.Error{Code: ledger.CodeCommitUnknown, Stage: ledger.StageCommitStatus, Message: "lost"}
		}
		return nil
	}
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, BatchLines: 10, Concurrency: 1})
	s, want := spec("SH-FIN:retry", 100, 10)
	if _, _, err := e.Submit(s); err != nil {
		t.Fatal(err)
	}
	// Another gateway spends an escrow output meanwhile.
	f.steal()
	f.mu.Lock()
	f.add(money.MustParseYuan("5000"), 1)
	f.mu.Unlock()
	if j := wait(t, e, s.ID); j.Status != StatusDone || j.Paid != 100 {
		t.Fatalf("job %+v", j)
	}
	checkCredits(t, f, want)

	refuse.Store(true)
	s2, _ := spec("SH-FIN:refused", 20, 5)
	if _, _, err := e.Submit(s2); err != nil {
		t.Fatal(err)
	}
	j := wait(t, e, s2.ID)
	if j.Status != StatusFailed || j.ErrCode != string(api.CodePurposeNotAllowed) || j.Pending != 20 {
		t.Fatalf("refused job %+v", j)
	}
	refuse.Store(false)
	if j, created, err := e.Submit(s2); err != nil || created {
		t.Fatalf("resume: %+v %v %v", j, created, err)
	}
	if j := wait(t, e, s2.ID); j.Status != StatusDone || j.Paid != 20 || j.ErrCode != "" {
		t.Fatalf("resumed %+v", j)
	}
}

// TestLinesTheEscrowCannotCover: a line larger than any tranche's outputs
// together is rejected by the engine (INSUFFICIENT_FUNDS); a line larger
// than any one output is paid from its tranche's outputs combined.
func TestLinesTheEscrowCannotCover(t *testing.T) {
	f := newFakeLedger([]string{"60", "50"}, "100")
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, BatchLines: 3, Concurrency: 1})
	s := Spec{ID: "SH-FIN:cover", Programme: fakeProg, Owner: owner, Lines: []Line{
		{No: 1, Recipient: "SH-CITY:a", Amount: money.MustParseYuan("111")}, // more than any tranche holds
		{No: 2, Recipient: "SH-CITY:b", Amount: money.MustParseYuan("105")}, // tranche 1's outputs combined
		{No: 3, Recipient: "SH-CITY:c", Amount: money.MustParseYuan("100")}, // tranche 2's output
		{No: 4, Recipient: "BAD:d", Amount: money.MustParseYuan("1")},       // the chaincode refuses it
		{No: 5, Recipient: "SH-CITY:e", Amount: money.MustParseYuan("4")},
	}}
	if _, _, err := e.Submit(s); err != nil {
		t.Fatal(err)
	}
	j := wait(t, e, s.ID)
	lines, _, err := e.Lines(s.ID, owner, "", 0, 10)
	if err != nil || j.Status != StatusDone || len(lines) != 5 || j.Paid != 3 || j.Rejected != 2 {
		t.Fatalf("%+v %+v %v", j, lines, err)
	}
	want := []struct {
		status LineStatus
		code   api.Code
	}{{LineRejected, api.CodeInsufficientFunds}, {LinePaid, ""}, {LinePaid, ""}, {LineRejected, api.CodePurposeNotAllowed}, {LinePaid, ""}}
	for i, l := range lines {
		if l.Status != want[i].status || l.Code != string(want[i].code) {
			t.Errorf("line %d: %s %s, want %s %s", l.No, l.Status, l.Code, want[i].status, want[i].code)
		}
	}
	if got := f.escrowTotal(); got != money.MustParseYuan("1") {
		t.Fatalf("escrow left %s, want 1.00", got)
	}
}

func TestBounds(t *testing.T) {
	f := newFakeLedger([]string{"100000"})
	var block atomic.Bool
	gate := make(chan struct{})
	f.fault = func(api.DisburseRequest) error {
		if block.Load() {
			<-gate
		}
		return nil
	}
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, MaxLines: 10, MaxRunning: 1, MaxActive: 2, MaxStored: 3, MaxStoredLines: 25})
	t.Run("lines per job", func(t *testing.T) {
		s, _ := spec("SH-FIN:big", 11, 2)
		if _, _, err := e.Submit(s); !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
	})
	t.Run("finished jobs are evicted oldest first", func(t *testing.T) {
		for i := 1; i <= 3; i++ {
			s, _ := spec(fmt.Sprintf("SH-FIN:old-%d", i), 8, 2)
			if _, _, err := e.Submit(s); err != nil {
				t.Fatal(err)
			}
			wait(t, e, s.ID)
		}
		s, _ := spec("SH-FIN:new", 8, 2)
		if _, _, err := e.Submit(s); err != nil {
			t.Fatal(err)
		}
		wait(t, e, s.ID)
		if _, err := e.Get("SH-FIN:old-1", owner); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the oldest job was kept: %v", err)
		}
		if _, err := e.Get("SH-FIN:old-2", owner); err != nil {
			t.Fatalf("a newer job was evicted: %v", err)
		}
		if st := e.Stats(); st.Stored != 3 || st.StoredLines != 24 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("active jobs and unfinished jobs are never evicted", func(t *testing.T) {
		block.Store(true)
		a, _ := spec("SH-FIN:a", 10, 2)
		b, _ := spec("SH-FIN:b", 10, 2)
		c, _ := spec("SH-FIN:c", 1, 1)
		for _, s := range []Spec{a, b} {
			if _, _, err := e.Submit(s); err != nil {
				t.Fatal(err)
			}
		}
		if j, _ := e.Get(b.ID, owner); j.Status != StatusQueued {
			t.Fatalf("the second job is %s, want queued behind the first", j.Status)
		}
		if _, _, err := e.Submit(c); !errors.Is(err, ErrBusy) {
			t.Fatalf("a third active job: %v", err)
		}
		block.Store(false)
		close(gate)
		wait(t, e, a.ID)
		wait(t, e, b.ID)
		// 20 lines of a and b plus 1 fit 25 only once every older job is gone.
		if _, _, err := e.Submit(c); err != nil {
			t.Fatal(err)
		}
		if st := e.Stats(); st.Stored != 3 || st.StoredLines != 21 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	f := newFakeLedger(nil)
	for name, o := range map[string]Options{
		"no ledger":                {},
		"negative":                 {Ledger: f, Concurrency: -1},
		"batch beyond the maximum": {Ledger: f, BatchLines: api.MaxDisburseLines + 1},
		"active below running":     {Ledger: f, MaxRunning: 8, MaxActive: 4},
		"stored lines below a job": {Ledger: f, MaxLines: 100, MaxStoredLines: 10},
	} {
		if _, err := Open(path, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	e := open(t, path, Options{Ledger: f})
	for name, s := range map[string]Spec{
		"no owner":          {ID: "SH-FIN:x", Programme: fakeProg, Lines: []Line{{No: 1, Recipient: "SH-CITY:a", Amount: 1}}},
		"no namespace":      {ID: "x", Programme: fakeProg, Owner: owner, Lines: []Line{{No: 1, Recipient: "SH-CITY:a", Amount: 1}}},
		"line zero":         {ID: "SH-FIN:x", Programme: fakeProg, Owner: owner, Lines: []Line{{No: 0, Recipient: "SH-CITY:a", Amount: 1}}},
		"repeated line":     {ID: "SH-FIN:x", Programme: fakeProg, Owner: owner, Lines: []Line{{No: 1, Recipient: "SH-CITY:a", Amount: 1}, {No: 1, Recipient: "SH-CITY:a", Amount: 1}}},
		"a negative amount": {ID: "SH-FIN:x", Programme: fakeProg, Owner: owner, Lines: []Line{{No: 1, Recipient: "SH-CITY:a", Amount: -1}}},
		"no lines":          {ID: "SH-FIN:x", Programme: fakeProg, Owner: owner},
	} {
		if _, _, err := e.Submit(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkEngine measures the engine and its file alone: a ledger that
// answers at once, 100,000 lines in batches of 500.
func BenchmarkEngine(b *testing.B) {
	const n = 100_000
	e := open(b, filepath.Join(b.TempDir(), "jobs.db"), Options{Ledger: newFakeLedger([]string{"100000000", "100000000", "100000000"})})
	start := time.Now()
	for i := 0; i < b.N; i++ {
		s, _ := spec(fmt.Sprintf("SH-FIN:bench-%d", i), n, 5000)
		if _, _, err := e.Submit(s); err != nil {
			b.Fatal(err)
		}
		if j := wait(b, e, s.ID); j.Paid != n {
			b.Fatalf("%+v", j)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "lines/s")
}

// TestRecipientsNeverInTwoBatches: lines of a few recipients, batches that
// take a while; no two disbursements in flight pay one recipient (their
// cap and balance records would conflict), and every line is paid.
func TestRecipientsNeverInTwoBatches(t *testing.T) {
	f := newFakeLedger([]string{"10000", "10000", "10000"})
	f.fault = func(api.DisburseRequest) error { time.Sleep(2 * time.Millisecond); return nil }
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, BatchLines: 4, Concurrency: 3})
	s, want := spec("SH-FIN:few", 200, 9)
	if _, _, err := e.Submit(s); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, e, s.ID); j.Status != StatusDone || j.Paid != 200 {
		t.Fatalf("%+v", j)
	}
	checkCredits(t, f, want)
}

// TestBatchesInFlightFromOneEscrowOutput: an escrow of one output (one
// funder, one tranche) still carries several batches in flight: the first
// batch asks for its change split, and the batches after it each spend a
// part. The barrier holds every batch after the first until three are in
// flight at once (or gives up after a while, and then the test fails);
// every line is still paid once and the escrow keeps the rest.
func TestBatchesInFlightFromOneEscrowOutput(t *testing.T) {
	f := newFakeLedger([]string{"100000"})
	var calls, inFlight, peak atomic.Int32
	reached := make(chan struct{})
	var gaveUp atomic.Bool
	var once sync.Once
	f.fault = func(api.DisburseRequest) error {
		if calls.Add(1) == 1 {
			return nil // the only output: nothing else can be in flight yet
		}
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n >= 3 {
			once.Do(func() { close(reached) })
		}
		if !gaveUp.Load() {
			select {
			case <-reached:
			case <-time.After(5 * time.Second):
				gaveUp.Store(true)
			}
		}
		return nil
	}
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, BatchLines: 10, Concurrency: 4})
	s, want := spec("SH-FIN:one-output", 400, 80)
	if _, _, err := e.Submit(s); err != nil {
		t.Fatal(err)
	}
	j := wait(t, e, s.ID)
	if j.Status != StatusDone || j.Paid != 400 {
		t.Fatalf("job %+v", j)
	}
	select {
	case <-reached:
	default:
		t.Fatalf("at most %d disbursements were in flight at once from one escrow output (%d change outputs split)", peak.Load(), f.splits)
	}
	checkCredits(t, f, want)
	if f.escrowTotal() != money.MustParseYuan("100000")-j.Settled {
		t.Fatalf("escrow %s after paying %s", f.escrowTotal(), j.Settled)
	}
}

// TestChangeSplit: how many parts a batch's change is split into.
func TestChangeSplit(t *testing.T) {
	for _, tc := range []struct {
		name            string
		change, need    money.Amount
		want, wantSplit int
	}{
		{"the pool lacks four outputs", 1000, 10, 4, 4},
		{"the pool has enough", 1000, 10, 1, 0},
		{"no part smaller than a batch", 25, 10, 4, 2},
		{"change below one batch", 9, 10, 4, 0},
		{"no change", 0, 10, 4, 0},
		{"bounded by api.MaxChangeSplit", 1_000_000, 1, 1000, api.MaxChangeSplit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := split(tc.change, tc.need, tc.want); got != tc.wantSplit {
				t.Fatalf("split(%d, %d, %d) = %d, want %d", tc.change, tc.need, tc.want, got, tc.wantSplit)
			}
		})
	}
}

// TestBatchTooLargeForTheOrderers: a disbursement the orderers refuse for
// its size (SmartBFT in the pinned Fabric takes 500 KiB; a 500-line
// disbursement is ~800 KB) makes the engine halve its batches, for later
// jobs too, without counting a failure; every line is paid once.
func TestBatchTooLargeForTheOrderers(t *testing.T) {
	const limit = 12 // lines the fake's orderers take per transaction
	f := newFakeLedger([]string{"40000", "30000", "30000"})
	var mu sync.Mutex
	var refused, largest int
	f.fault = func(req api.DisburseRequest) error {
		mu.Lock()
		defer mu.Unlock()
		if len(req.Lines) > limit {
			refused++
			return &ledger.Error{Code: ledger.CodeBatchTooLarge, Stage: ledger.StageSubmit, Message: "submitted request is bigger than request max bytes"}
		}
		largest = max(largest, len(req.Lines))
		return nil
	}
	e := open(t, filepath.Join(t.TempDir(), "jobs.db"), Options{Ledger: f, BatchLines: 50, Concurrency: 2, MaxAttempts: 1})
	s, want := spec("SH-FIN:big", 300, 40)
	if _, _, err := e.Submit(s); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, e, s.ID); j.Status != StatusDone || j.Paid != 300 {
		t.Fatalf("job %+v (refused %d batches)", j, refused)
	}
	checkCredits(t, f, want)
	mu.Lock()
	if refused == 0 || largest > limit || largest < limit/2 {
		t.Fatalf("refused %d batches, largest accepted %d lines: want halving from 50 to at most %d", refused, largest, limit)
	}
	before := refused
	mu.Unlock()

	s2, _ := spec("SH-FIN:big2", 30, 10)
	if _, _, err := e.Submit(s2); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, e, s2.ID); j.Status != StatusDone || j.Paid != 30 {
		t.Fatalf("second job %+v", j)
	}
	mu.Lock()
	defer mu.Unlock()
	if refused != before {
		t.Fatalf("the second job's batches were refused %d more times: the smaller size was not kept", refused-before)
	}
}
