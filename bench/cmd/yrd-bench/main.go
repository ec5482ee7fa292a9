// Command yrd-bench measures what the YRD network commits under closed-loop
// load (package bench/loadgen) and writes bench-report.txt and
// bench-report.json.
//
// First, unless -simulate off, it runs the liquidity simulator (package
// liquidity/sim, no network): a day of interbank transfers settled gross,
// with bilateral offsetting and with multilateral netting, at 25/50/75/100%
// of the gross-only liquidity and at the lower bound. Its table heads the
// report; -simulate only runs it alone, without starting a network.
//
// Without -state-dir it starts a fresh network of its own (gateways and the
// yrdbench comparison chaincode, temp state, free ports) and stops it at the
// end, also on failure or interrupt. With -state-dir and -port-base it uses
// a running network (e.g. `make up`: -state-dir .state -port-base 27000),
// deploys nothing, and skips the bench: scenarios when yrdbench is not
// deployed there.
//
//	yrd-bench -duration 20s -concurrency 50 -scenarios all
//	yrd-bench -scenarios gw:,bench:put -state-dir .state -port-base 27000
//	yrd-bench -simulate only -sim-seed 2
//
// After the scenarios, unless -cycle 0, it queues a ring of -cycle
// interbank transfers among eight banks' settlement accounts and settles
// them with one liquidity-saving cycle (loadgen.Cycle): the real-network
// cycle figure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/yangtze-delta/settlement/bench/loadgen"
	"github.com/yangtze-delta/settlement/network/testnet"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "yrd-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	def := loadgen.DefaultConfig()
	fs := flag.NewFlagSet("yrd-bench", flag.ContinueOnError)
	duration := fs.Duration("duration", def.Duration, "measured time per scenario")
	concurrency := fs.Int("concurrency", def.Concurrency, "closed-loop workers")
	maxOps := fs.Int("max-ops", 0, "operations per scenario at most (0: bounded by -duration only)")
	batch := fs.Int("batch-size", def.BatchSize, "payments per transaction in gw:batch")
	scenarios := fs.String("scenarios", "all", "comma-separated scenarios, path prefixes (gw:, sdk:, bench:) or all: "+strings.Join(loadgen.ScenarioNames(), ", "))
	jsonOut := fs.String("json", "bench-report.json", "JSON report file")
	textOut := fs.String("text", "bench-report.txt", "text report file")
	stateDir := fs.String("state-dir", "", "use the running network with this state dir (default: start a fresh one)")
	portBase := fs.Int("port-base", 27000, "port base of the running network (with -state-dir)")
	root := fs.String("root", "", "repository root holding test-network-scripts (default: found above the working directory)")
	cycleN := fs.Int("cycle", 1000, "interbank transfers queued in a ring and settled by one cycle on the network after the scenarios (0: none)")
	simf := addSimFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if err := simf.validate(); err != nil {
		return err
	}
	names, err := loadgen.ParseScenarios(*scenarios)
	if err != nil {
		return err
	}
	cfg := def
	cfg.Duration, cfg.Concurrency, cfg.MaxOps, cfg.BatchSize, cfg.Log = *duration, *concurrency, *maxOps, *batch, os.Stderr
	if err := cfg.Validate(); err != nil {
		return err
	}

	// The liquidity simulator needs no network: it runs first.
	simRes, err := simf.run(os.Stderr)
	if err != nil {
		return err
	}
	if *simf.mode == simulateOnly {
		return writeReports(simRes, nil, *textOut, *jsonOut)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var n *testnet.Network
	desc := ""
	if *stateDir != "" {
		abs, err := filepath.Abs(*stateDir)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(abs, "orgs")); err != nil {
			return fmt.Errorf("-state-dir %s does not hold a network (no orgs/): %w", abs, err)
		}
		n = &testnet.Network{StateDir: abs, PortBase: *portBase}
		desc = fmt.Sprintf("running network, state %s, port base %d", abs, *portBase)
	} else {
		fmt.Fprintln(os.Stderr, "yrd-bench: starting a fresh network (gateways, yrdbench)…")
		t0 := time.Now()
		upCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		n, err = testnet.Start(upCtx, testnet.Options{Root: *root, Gateways: true, BenchChaincode: true})
		cancel()
		if err != nil {
			err = fmt.Errorf("network did not come up: %w", err)
			if simRes != nil { // keep the simulation's report
				err = errors.Join(err, writeReports(simRes, nil, *textOut, *jsonOut))
			}
			return err
		}
		defer func() {
			fmt.Fprintln(os.Stderr, "yrd-bench: stopping the network…")
			if err := n.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "yrd-bench: stopping the network:", err)
			}
		}()
		desc = fmt.Sprintf("fresh network started by yrd-bench (up in %s), port base %d", time.Since(t0).Round(time.Second), n.PortBase)
	}
	bt := os.Getenv("YRD_BATCH_TIMEOUT")
	if bt == "" {
		bt = "250ms (network.sh default)"
	}
	bm := os.Getenv("YRD_BATCH_MAX_MESSAGES")
	if bm == "" {
		bm = "500 (network.sh default)"
	}
	if *stateDir == "" {
		desc += fmt.Sprintf("; BatchTimeout %s, MaxMessageCount %s", bt, bm)
	}

	rep, err := loadgen.Run(ctx, n, cfg, names)
	if rep != nil {
		rep.Network = desc
		if err == nil && *cycleN > 0 {
			rep.Cycle, err = loadgen.Cycle(ctx, n, cfg, *cycleN)
		}
	}
	if rep != nil || simRes != nil {
		if werr := writeReports(simRes, rep, *textOut, *jsonOut); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}
