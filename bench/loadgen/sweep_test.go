package loadgen

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseLevels(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"50", []int{50}, true},
		{"10, 50,200", []int{10, 50, 200}, true},
		{"10,,50", []int{10, 50}, true},
		{"", nil, false},
		{"0", nil, false},
		{"2001", nil, false},
		{"ten", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevels(tt.in)
			if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseLevels(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestValidateLevels(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Levels = []int{10, 50}
	cfg.Concurrency = 0 // ignored with Levels
	if err := cfg.Validate(); err != nil {
		t.Fatalf("valid sweep refused: %v", err)
	}
	if cfg.maxLevel() != 50 {
		t.Fatalf("maxLevel %d", cfg.maxLevel())
	}
	cfg.Levels = []int{10, 10}
	if err := cfg.Validate(); err == nil {
		t.Fatal("a level given twice was accepted")
	}
	cfg.Levels = []int{0}
	if err := cfg.Validate(); err == nil {
		t.Fatal("a zero level was accepted")
	}
}

// TestClosedLoopFromContinues: a second phase with fewer workers goes on
// numbering each worker's operations where the first phase stopped, so no
// operation (payment ID) repeats across a sweep.
func TestClosedLoopFromContinues(t *testing.T) {
	var mu sync.Mutex
	seen := map[[2]int]bool{}
	op := func(ctx context.Context, w, seq int) outcome {
		mu.Lock()
		defer mu.Unlock()
		k := [2]int{w, seq}
		if seen[k] {
			t.Errorf("worker %d ran operation %d twice", w, seq)
		}
		seen[k] = true
		return outcome{txs: 1, payments: 1, txID: fmt.Sprintf("tx-%d-%d", w, seq)}
	}
	next := make([]int, 4)
	r1 := closedLoopFrom(context.Background(), next, time.Hour, 20, time.Second, op)
	r2 := closedLoopFrom(context.Background(), next[:2], time.Hour, 10, time.Second, op)
	if r1.txs != 20 || r2.txs != 10 || len(seen) != 30 {
		t.Fatalf("txs %d, %d; seen %d", r1.txs, r2.txs, len(seen))
	}
	if !strings.HasPrefix(r1.txID, "tx-") {
		t.Fatalf("sample txID %q", r1.txID)
	}
	if next[0]+next[1]+next[2]+next[3] != 30 {
		t.Fatalf("next %v", next)
	}
}

func TestQuantiles(t *testing.T) {
	var ds []time.Duration
	for i := 200; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	q := quantiles(ds)
	if len(q) != 101 || q[0] != 1 || q[50] != 100 || q[99] != 198 || q[100] != 200 {
		t.Fatalf("q0 %v q50 %v q99 %v q100 %v (len %d)", q[0], q[50], q[99], q[100], len(q))
	}
	for i := 1; i < len(q); i++ {
		if q[i] < q[i-1] {
			t.Fatalf("not monotonic at %d", i)
		}
	}
	if quantiles(nil) != nil {
		t.Fatal("no latencies must give nil")
	}
	if q := quantiles([]time.Duration{5 * time.Millisecond}); q[0] != 5 || q[100] != 5 {
		t.Fatalf("one value: %v", q)
	}
}

func sweepReport() *Report {
	lat := func(base float64) []float64 {
		q := make([]float64, 101)
		for i := range q {
			q[i] = base + float64(i)*3
		}
		return q
	}
	return &Report{RunID: "b1", Concurrency: 200, Levels: []int{10, 50, 200}, DurationSeconds: 10, BatchSize: 10, Results: []Result{
		{Scenario: "gw:distinct", Concurrency: 10, Seconds: 10, PaymentsPerSec: 30, LatencyMs: Latency{P50: 300}, LatencyQuantilesMs: lat(250)},
		{Scenario: "gw:distinct", Concurrency: 50, Seconds: 10, PaymentsPerSec: 70, LatencyMs: Latency{P50: 700}, LatencyQuantilesMs: lat(500)},
		{Scenario: "gw:distinct", Concurrency: 200, Seconds: 10, PaymentsPerSec: 75, LatencyMs: Latency{P50: 2600}, LatencyQuantilesMs: lat(2000)},
		{Scenario: "bench:put", Concurrency: 10, Seconds: 10, PaymentsPerSec: 35, LatencyQuantilesMs: lat(200)},
		{Scenario: "bench:transfer-hot", Skipped: "not deployed"},
	}}
}

// wellFormed parses an SVG document as XML and counts its elements by name.
func wellFormed(t *testing.T, svg string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	n := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
		}
	}
}

func TestPlots(t *testing.T) {
	rep := sweepReport()
	if got := rep.PlottedScenarios(); len(got) != 2 || got[0] != "gw:distinct" || got[1] != "bench:put" {
		t.Fatalf("plotted %v", got)
	}
	var b strings.Builder
	if err := rep.WriteThroughputSVG(&b); err != nil {
		t.Fatal(err)
	}
	n := wellFormed(t, b.String())
	// a line per scenario with a sweep, points for every measurement
	if n["polyline"] != 1 || n["circle"] != 4 || !strings.Contains(b.String(), "gw:distinct") {
		t.Fatalf("throughput plot elements %v", n)
	}
	b.Reset()
	if err := rep.WriteLatencySVG(&b, "gw:distinct"); err != nil {
		t.Fatal(err)
	}
	n = wellFormed(t, b.String())
	if n["polyline"] != 3 || !strings.Contains(b.String(), "200 workers: p50 2600") {
		t.Fatalf("latency plot elements %v", n)
	}
	b.Reset()
	if err := (&Report{RunID: "empty"}).WriteThroughputSVG(&b); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b.String())
}

func TestWriteTextSweep(t *testing.T) {
	var b strings.Builder
	if err := sweepReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "10/50/200 workers") || strings.Count(out, "gw:distinct ") < 3 {
		t.Fatalf("text:\n%s", out)
	}
	// the scenario is described once
	if strings.Count(out, "gw:distinct  ") > 1 && strings.Count(out, "\ngw:distinct ") != 1 {
		t.Fatalf("description repeated:\n%s", out)
	}
}

func TestNiceTicks(t *testing.T) {
	ticks := niceTicks(0, 87, 6)
	if ticks[0] != 0 || ticks[len(ticks)-1] < 80 || len(ticks) > 10 {
		t.Fatalf("ticks %v", ticks)
	}
	lt := logTicks(8, 230)
	if lt[0] != 10 || lt[len(lt)-1] != 200 {
		t.Fatalf("log ticks %v", lt)
	}
}

func TestLevelsFor(t *testing.T) {
	cfg := DefaultConfig()
	if got := cfg.levelsFor("gw:distinct"); !slices.Equal(got, []int{50}) {
		t.Fatalf("no sweep: %v", got)
	}
	cfg.Levels = []int{200, 10, 50}
	if got := cfg.levelsFor("gw:batch"); !slices.Equal(got, cfg.Levels) {
		t.Fatalf("sweep of all: %v", got)
	}
	cfg.SweepScenarios = []string{"gw:distinct", "bench:put"}
	if got := cfg.levelsFor("bench:put"); !slices.Equal(got, cfg.Levels) {
		t.Fatalf("swept scenario: %v", got)
	}
	if got := cfg.levelsFor("gw:batch"); !slices.Equal(got, []int{50}) {
		t.Fatalf("scenario outside the sweep: %v, want the middle level", got)
	}
	cfg.Levels = []int{1, 10, 50, 200}
	if got := cfg.levelsFor("gw:batch"); !slices.Equal(got, []int{50}) {
		t.Fatalf("four levels: %v, want 50", got)
	}
	if cfg.maxLevel() != 200 {
		t.Fatalf("maxLevel %d", cfg.maxLevel())
	}
}
