package main

// The liquidity simulator (package liquidity/sim) in yrd-bench: it needs
// no network, runs before the network scenarios, and its table heads
// bench-report.txt and fills "simulation" in bench-report.json.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/yangtze-delta/settlement/bench/loadgen"
	"github.com/yangtze-delta/settlement/liquidity/sim"
)

// Values of -simulate.
const (
	simulateOn   = "on"   // the simulator, then the network scenarios
	simulateOnly = "only" // the simulator alone: no network is started
	simulateOff  = "off"  // the network scenarios alone
)

type simFlags struct {
	mode *string
	seed *uint64
}

func addSimFlags(fs *flag.FlagSet) simFlags {
	return simFlags{
		mode: fs.String("simulate", simulateOn, "liquidity simulator (no network): on (before the network scenarios), only (no network at all) or off"),
		seed: fs.Uint64("sim-seed", sim.DefaultConfig().Seed, "seed of the simulated day"),
	}
}

func (f simFlags) validate() error {
	switch *f.mode {
	case simulateOn, simulateOnly, simulateOff:
		return nil
	}
	return fmt.Errorf("-simulate %q: want on, only or off", *f.mode)
}

// run simulates the day of issue 10 (nil when -simulate off).
func (f simFlags) run(log io.Writer) (*sim.Result, error) {
	if *f.mode == simulateOff {
		return nil, nil
	}
	cfg := sim.DefaultConfig()
	cfg.Seed = *f.seed
	fmt.Fprintf(log, "yrd-bench: simulating a day of %d transfers among %d banks (seed %d)…\n", cfg.Transfers, cfg.Banks, cfg.Seed)
	res, err := sim.Simulate(cfg)
	if err != nil {
		return nil, fmt.Errorf("liquidity simulation: %w", err)
	}
	fmt.Fprintf(log, "yrd-bench: simulated in %.1f s\n", res.Seconds)
	return res, nil
}

// report is bench-report.json: the network run's fields (absent when no
// network ran) and the simulation.
type report struct {
	*loadgen.Report
	Simulation *sim.Result `json:"simulation,omitempty"`
}

// writeReports prints the text report and writes both files: the
// simulation's table first, then the network scenarios'. Either may be
// nil.
func writeReports(res *sim.Result, rep *loadgen.Report, textFile, jsonFile string) error {
	var txt strings.Builder
	if res != nil {
		if err := res.WriteText(&txt); err != nil {
			return err
		}
		if rep != nil {
			txt.WriteString("\n")
		}
	}
	if rep != nil {
		if err := rep.WriteText(&txt); err != nil {
			return err
		}
	}
	fmt.Print(txt.String())
	if err := os.WriteFile(textFile, []byte(txt.String()), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(report{Report: rep, Simulation: res}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(jsonFile, append(b, '\n'), 0o644)
}
