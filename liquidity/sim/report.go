package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/yangtze-delta/settlement/money"
)

// Goal is one of issue 10's goals, evaluated on a Result.
type Goal struct {
	Name string `json:"name"`
	Met  bool   `json:"met"`
	// Figure is the measured value, e.g. "100.00% by EOD".
	Figure string `json:"figure"`
}

// goals evaluates issue 10's goals for the multilateral method; a goal
// whose run is missing (a level or method not simulated) is not met.
func goals(r *Result) []Goal {
	find := func(level string) *Run {
		for i := range r.Runs {
			if r.Runs[i].Level == level && r.Runs[i].Method == "multilateral" {
				return &r.Runs[i]
			}
		}
		return nil
	}
	g1 := Goal{Name: "liquidity = lower bound: multilateral settles 100% of value by end of day", Figure: "not simulated"}
	if run := find("lower bound"); run != nil {
		g1.Met = run.SettledByEOD == r.TotalValue
		g1.Figure = fmt.Sprintf("%.2f%% by EOD, %d rejected", run.SettledByEODPct, run.Rejected)
	}
	g2 := Goal{Name: "liquidity = 50% of gross-only: multilateral settles >= 95% of value before cut-off", Figure: "not simulated"}
	if run := find("50%"); run != nil {
		// 95% exactly, in integers: 100 × settled ≥ 95 × total.
		g2.Met = 100*int64(run.SettledBeforeCutoff) >= 95*int64(r.TotalValue)
		g2.Figure = fmt.Sprintf("%.2f%% before cut-off", run.SettledBeforeCutoffPct)
	}
	return []Goal{g1, g2}
}

// millions renders fen as millions of yuan with one decimal, by integer
// arithmetic (rounded half up).
func millions(a money.Amount) string {
	const unit = 100 * 1_000_000 / 10 // fen per 0.1 million yuan
	v := (int64(a) + unit/2) / unit
	return fmt.Sprintf("%d.%d", v/10, v%10)
}

// WriteText renders the result as a table followed by the goals.
func (r *Result) WriteText(w io.Writer) error {
	pct := 0.0
	if r.GrossRequirement > 0 {
		pct = 100 * float64(r.LowerBound) / float64(r.GrossRequirement)
	}
	fmt.Fprintf(w, "liquidity-saving settlement, simulated day (no network; cycles verified by chaincode/interbank Nets+Cover)\n")
	fmt.Fprintf(w, "seed %d, %d banks, %d transfers worth %s M yuan; sizes log-normal (median %s M yuan, sigma %.2g); payers and payees Zipf (s %.2g); %d%% urgent\n",
		r.Seed, r.Banks, r.Transfers, millions(r.TotalValue), millions(r.MedianAmount), r.Sigma, r.Skew, r.UrgentPercent)
	fmt.Fprintf(w, "arrivals %s-%s; cycles every %d s until %s and at the cut-off %s, at most %d transfers per cycle transaction; queue rejected at %s\n",
		r.Open, r.Cutoff, r.CycleSeconds, r.EndOfDay, r.Cutoff, r.MaxCycle, r.EndOfDay)
	fmt.Fprintf(w, "gross-only requirement (sum over banks of the largest cumulative net outflow): %s M yuan\n", millions(r.GrossRequirement))
	fmt.Fprintf(w, "lower bound (sum of multilateral net debits over the day): %s M yuan = %.1f%% of gross-only\n\n", millions(r.LowerBound), pct)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "liquidity\t% of gross\tmethod\tprovided M\tused M\tsettled <cut-off %\tby EOD %\tavg delay min\ton arrival\tin cycles\tcycle txs\tlargest\tcapped\trejected\tms\t")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%.2f\t%.2f\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t\n",
			run.Level, run.LevelPercent, run.Method, millions(run.Provided), millions(run.Used),
			run.SettledBeforeCutoffPct, run.SettledByEODPct, run.AvgDelayMinutes, run.SettledOnArrival, run.SettledInCycles,
			run.CycleTransactions, run.LargestCycle, run.CappedCycles, run.Rejected, run.Millis)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, g := range r.Goals {
		verdict := "MET"
		if !g.Met {
			verdict = "NOT MET"
		}
		fmt.Fprintf(w, "goal: %s: %s (%s)\n", g.Name, verdict, g.Figure)
	}
	_, err := fmt.Fprintf(w, "simulated in %.1f s\n", r.Seconds)
	return err
}

// WriteJSON writes the result as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
