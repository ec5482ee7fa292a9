package loadgen

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// The goals of issues 12 and 9, checked on one run's results (the floor
// measured in the same run). Each names the scenarios it compares.
const (
	// goalCoalesced: coalesced single payments through the gateways at
	// goalClients clients.
	goalCoalescedPerSec = 1000
	goalCoalescedP99Ms  = 2000
	goalClients         = 200
	// goalUncoalescedOfFloor: uncoalesced single payments (one transaction
	// each, sdk:distinct) against the blind-write floor (bench:put), tx/s.
	goalUncoalescedOfFloor = 0.85
	// goalHotOfDistinct: hot payer, hot payee and cross-province against
	// distinct accounts, payments/s, per path.
	goalHotOfDistinct = 0.90
	// goalLoneExtra: a lone payment on an idle network (one client) takes
	// at most BatchTimeout plus this, median.
	goalLoneExtra = 100 * time.Millisecond
	// goalEarmarkedOfPlain: earmarked spends against plain payments through
	// the gateways, payments/s.
	goalEarmarkedOfPlain = 0.90
	// goalDisburse100k: 100,000 disbursement lines in at most this.
	goalDisburse100k = 5 * time.Minute
)

// Goal is one goal with what the run measured.
type Goal struct {
	Goal     string `json:"goal"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	// Met is false when the run measured it and missed; Missing says why
	// it was not measured (a scenario or level not in the run).
	Met     bool   `json:"met"`
	Missing string `json:"missing,omitempty"`
}

// middle is the level the scenarios outside a sweep ran at (Concurrency
// without a sweep).
func (r *Report) middle() int {
	if len(r.Levels) > 0 {
		return MiddleLevel(r.Levels)
	}
	return r.Concurrency
}

// result finds the result of scenario at workers (0: the run's middle
// level), nil when the run has none.
func (r *Report) result(scenario string, workers int) *Result {
	if workers == 0 {
		workers = r.middle()
	}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Scenario == scenario && res.Concurrency == workers && res.Skipped == "" && res.Error == "" {
			return res
		}
	}
	return nil
}

// CheckGoals checks the run against the goals; batchTimeout is the network's
// BatchTimeout (for the lone payment).
func (r *Report) CheckGoals(batchTimeout time.Duration) []Goal {
	var out []Goal
	missing := func(goal, target string, what ...string) Goal {
		return Goal{Goal: goal, Target: target, Missing: fmt.Sprintf("not in this run: %v", what)}
	}
	ratio := func(goal string, want float64, num, den string, workers int, tx bool) Goal {
		target := fmt.Sprintf("≥ %.0f%%", want*100)
		a, b := r.result(num, workers), r.result(den, workers)
		if a == nil || b == nil {
			return missing(goal, target, fmt.Sprintf("%s and %s at %d workers", num, den, max(workers, r.middle())))
		}
		x, y := a.PaymentsPerSec, b.PaymentsPerSec
		unit := "payments/s"
		if tx {
			x, y, unit = a.TxPerSec, b.TxPerSec, "tx/s"
		}
		if y <= 0 {
			return Goal{Goal: goal, Target: target, Measured: fmt.Sprintf("%s: 0 %s", den, unit)}
		}
		return Goal{Goal: goal, Target: target, Met: x/y >= want,
			Measured: fmt.Sprintf("%.0f%% (%.1f / %.1f %s, %d workers)", 100*x/y, x, y, unit, a.Concurrency)}
	}

	// Coalesced single payments at 200 clients.
	{
		goal := fmt.Sprintf("coalesced single payments through the gateways, %d clients (gw:distinct)", goalClients)
		target := fmt.Sprintf("≥ %d payments/s, p99 ≤ %d ms, 0 failed", goalCoalescedPerSec, goalCoalescedP99Ms)
		if res := r.result("gw:distinct", goalClients); res == nil {
			out = append(out, missing(goal, target, fmt.Sprintf("gw:distinct at %d workers", goalClients)))
		} else {
			out = append(out, Goal{Goal: goal, Target: target,
				Met:      res.PaymentsPerSec >= goalCoalescedPerSec && res.LatencyMs.P99 <= goalCoalescedP99Ms && res.Failed == 0,
				Measured: fmt.Sprintf("%.1f payments/s, p99 %.0f ms, %d failed", res.PaymentsPerSec, res.LatencyMs.P99, res.Failed)})
		}
	}
	out = append(out, ratio("uncoalesced single payments (sdk:distinct) against the blind-write floor (bench:put)",
		goalUncoalescedOfFloor, "sdk:distinct", "bench:put", 0, true))
	for _, path := range []string{"gw", "sdk"} {
		for _, hot := range []string{"hot-payer", "hot-payee", "cross-province"} {
			out = append(out, ratio(fmt.Sprintf("%s:%s against %s:distinct", path, hot, path),
				goalHotOfDistinct, path+":"+hot, path+":distinct", 0, false))
		}
	}
	// A lone payment: one client on an otherwise idle network.
	{
		limit := batchTimeout + goalLoneExtra
		goal := "a lone payment on an idle network (gw:distinct, 1 client), median"
		target := fmt.Sprintf("≤ BatchTimeout + 100 ms = %d ms", limit.Milliseconds())
		if res := r.result("gw:distinct", 1); res == nil {
			out = append(out, missing(goal, target, "gw:distinct at 1 worker"))
		} else {
			out = append(out, Goal{Goal: goal, Target: target, Met: res.LatencyMs.P50 <= float64(limit.Milliseconds()),
				Measured: fmt.Sprintf("p50 %.0f ms (p95 %.0f ms)", res.LatencyMs.P50, res.LatencyMs.P95)})
		}
	}
	out = append(out, ratio("earmarked spends (gw:earmarked) against plain payments (gw:distinct)",
		goalEarmarkedOfPlain, "gw:earmarked", "gw:distinct", 0, false))
	{
		goal := "disbursement: 100,000 recipients"
		target := fmt.Sprintf("≤ %.0f s", goalDisburse100k.Seconds())
		switch d := r.Disbursement; {
		case d == nil:
			out = append(out, missing(goal, target, "a disbursement job (-disburse)"))
		case d.Error != "" || d.LinesPerSec <= 0:
			out = append(out, Goal{Goal: goal, Target: target, Measured: "the job failed: " + d.Error})
		default:
			out = append(out, Goal{Goal: goal, Target: target, Met: d.For100k <= goalDisburse100k.Seconds(),
				Measured: fmt.Sprintf("%.0f s at %.0f lines/s (%d lines measured)", d.For100k, d.LinesPerSec, d.Lines)})
		}
	}
	return out
}

// writeGoals writes the goals table.
func writeGoals(w io.Writer, goals []Goal) error {
	fmt.Fprintln(w, "goals (issues 12 and 9; ratios within this run):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, g := range goals {
		verdict := "missed"
		switch {
		case g.Missing != "":
			verdict, g.Measured = "-", g.Missing
		case g.Met:
			verdict = "met"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", verdict, g.Goal, g.Target, g.Measured)
	}
	return tw.Flush()
}

// writeConsensus writes the raft and bft rows of the scenarios measured on
// both ordering services, side by side.
func (r *Report) writeConsensus(w io.Writer) error {
	fmt.Fprintf(w, "ordering: the same scenarios on Raft (above) and on SmartBFT (a fresh network), %d workers:\n", r.middle())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\traft payments/s\tbft payments/s\traft p50 ms\tbft p50 ms\traft failed\tbft failed\t")
	var scen []string
	for _, b := range r.BFT {
		if !slices.Contains(scen, b.Scenario) {
			scen = append(scen, b.Scenario)
		}
	}
	for _, s := range scen {
		var b *Result
		for i := range r.BFT {
			if r.BFT[i].Scenario == s && r.BFT[i].Skipped == "" && r.BFT[i].Error == "" {
				b = &r.BFT[i]
			}
		}
		a := r.result(s, 0)
		cell := func(res *Result, f func(*Result) string) string {
			if res == nil {
				return "-"
			}
			return f(res)
		}
		rate := func(x *Result) string { return fmt.Sprintf("%.1f", x.PaymentsPerSec) }
		p50 := func(x *Result) string { return fmt.Sprintf("%.0f", x.LatencyMs.P50) }
		failed := func(x *Result) string { return fmt.Sprint(x.Failed) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s, cell(a, rate), cell(b, rate), cell(a, p50), cell(b, p50), cell(a, failed), cell(b, failed))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, b := range r.BFT {
		if len(b.Failures) > 0 {
			fmt.Fprintf(w, "bft %s failures: %s\n", b.Scenario, formatCounts(b.Failures))
		}
		if b.Error != "" {
			fmt.Fprintf(w, "bft %s: setup failed: %s\n", b.Scenario, b.Error)
		}
	}
	return nil
}
