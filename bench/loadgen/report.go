package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Latency holds submit-to-commit percentiles of committed operations, in
// milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Result is one scenario's outcome.
type Result struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description"`
	// Skipped says why the scenario did not run (empty when it ran).
	Skipped      string  `json:"skipped,omitempty"`
	Concurrency  int     `json:"concurrency"`
	SetupSeconds float64 `json:"setupSeconds"`
	// Seconds is the measured time, first start to last finish.
	Seconds float64 `json:"seconds"`
	// Transactions counts committed Fabric transactions; Payments the
	// business operations they carried (payments, or writes for bench:put).
	Transactions   int     `json:"transactions"`
	Payments       int     `json:"payments"`
	TxPerSec       float64 `json:"txPerSec"`
	PaymentsPerSec float64 `json:"paymentsPerSec"`
	LatencyMs      Latency `json:"latencyMs"`
	// LatencyQuantilesMs is the latency distribution of committed
	// operations: element i is the i-th percentile (0: fastest, 100:
	// slowest), 101 values; empty when nothing committed.
	LatencyQuantilesMs []float64 `json:"latencyQuantilesMs,omitempty"`
	// SampleTxID is one committed transaction of the phase, for looking
	// at its block (bench/profile reads its read-write set).
	SampleTxID string `json:"sampleTxId,omitempty"`
	// ConflictsRetried counts MVCC/phantom read conflicts that were retried
	// (by the gateway or by the SDK scenario's own loop).
	ConflictsRetried int `json:"conflictsRetried"`
	// Failed counts operations that did not commit; Failures splits them by
	// stable code (gateway error code, validation code or stage).
	Failed   int            `json:"failed"`
	Failures map[string]int `json:"failures,omitempty"`
	// Error is set when setup failed.
	Error string `json:"error,omitempty"`
}

// Report is a whole run.
type Report struct {
	RunID           string    `json:"runId"`
	Started         time.Time `json:"started"`
	Concurrency     int       `json:"concurrency"`
	DurationSeconds float64   `json:"durationSeconds"`
	BatchSize       int       `json:"batchSize"`
	// Levels is the concurrency sweep (yrd-bench -concurrency 10,50,200):
	// every scenario has one Result per level, in this order. Absent for
	// a single level (Concurrency).
	Levels  []int    `json:"concurrencyLevels,omitempty"`
	Network string   `json:"network,omitempty"`
	Results []Result `json:"results"`
	// Cycle is the interbank cycle figure (yrd-bench -cycle), when run.
	Cycle *CycleReport `json:"cycle,omitempty"`
	// Disbursement is the disbursement job figure (yrd-bench -disburse),
	// when run.
	Disbursement *DisburseReport `json:"disbursement,omitempty"`
	// BFT are scenarios measured again on a SmartBFT network at
	// Concurrency workers (yrd-bench -bft-scenarios), beside Results' Raft.
	BFT []Result `json:"bft,omitempty"`
	// BatchTimeoutMs is the network's BatchTimeout (0: unknown); Goals
	// are the issues' goals checked on this run.
	BatchTimeoutMs int64  `json:"batchTimeoutMs,omitempty"`
	Goals          []Goal `json:"goals,omitempty"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as an aligned table followed by the
// failures and skipped scenarios.
func (r *Report) WriteText(w io.Writer) error {
	workers := fmt.Sprintf("%d workers", r.Concurrency)
	per := "scenario"
	if len(r.Levels) > 1 {
		parts := make([]string, len(r.Levels))
		for i, l := range r.Levels {
			parts[i] = fmt.Sprint(l)
		}
		workers, per = strings.Join(parts, "/")+" workers", "scenario and level"
	}
	fmt.Fprintf(w, "yrd-bench run %s, %s, %s, %.0f s per %s, batch size %d\n",
		r.RunID, r.Started.UTC().Format(time.RFC3339), workers, r.DurationSeconds, per, r.BatchSize)
	if r.Network != "" {
		fmt.Fprintf(w, "network: %s\n", r.Network)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tworkers\tpayments/s\ttx/s\tpayments\tp50 ms\tp95 ms\tp99 ms\tconflicts\tfailed\t")
	var notes []string
	for _, res := range r.Results {
		if res.Skipped != "" || res.Error != "" {
			why := res.Skipped
			if res.Error != "" {
				why = "setup failed: " + res.Error
			}
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", res.Scenario)
			notes = append(notes, fmt.Sprintf("%s: %s", res.Scenario, why))
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%d\t%.0f\t%.0f\t%.0f\t%d\t%d\t\n", res.Scenario, res.Concurrency, res.PaymentsPerSec, res.TxPerSec,
			res.Payments, res.LatencyMs.P50, res.LatencyMs.P95, res.LatencyMs.P99, res.ConflictsRetried, res.Failed)
		if len(res.Failures) > 0 {
			notes = append(notes, fmt.Sprintf("%s@%d failures: %s", res.Scenario, res.Concurrency, formatCounts(res.Failures)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	fmt.Fprintln(w)
	described := map[string]bool{}
	for _, res := range r.Results {
		if described[res.Scenario] {
			continue
		}
		described[res.Scenario] = true
		fmt.Fprintf(w, "%-26s %s\n", res.Scenario, res.Description)
	}
	if r.Cycle != nil {
		fmt.Fprintln(w)
		r.Cycle.WriteText(w)
	}
	if r.Disbursement != nil {
		fmt.Fprintln(w)
		r.Disbursement.WriteText(w)
	}
	if len(r.BFT) > 0 {
		fmt.Fprintln(w)
		if err := r.writeConsensus(w); err != nil {
			return err
		}
	}
	if len(r.Goals) > 0 {
		fmt.Fprintln(w)
		if err := writeGoals(w, r.Goals); err != nil {
			return err
		}
	}
	return nil
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// percentiles computes the latency summary; it sorts ds.
func percentiles(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(q float64) float64 {
		// nearest rank
		i := int(q*float64(len(ds))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(ds) {
			i = len(ds) - 1
		}
		return ms(ds[i])
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(ds[len(ds)-1]), Mean: ms(sum / time.Duration(len(ds)))}
}

// quantiles returns the 0th to 100th percentiles of ds in milliseconds
// (nearest rank, 101 values; nil for no values); it sorts ds.
func quantiles(ds []time.Duration) []float64 {
	if len(ds) == 0 {
		return nil
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	out := make([]float64, 101)
	for q := range out {
		i := (q*len(ds) + 99) / 100 // ceil(q/100 × n), the nearest rank
		i = min(max(i-1, 0), len(ds)-1)
		out[q] = float64(ds[i].Microseconds()) / 1000
	}
	return out
}
