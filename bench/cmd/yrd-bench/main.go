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
//	yrd-bench -duration 10s -concurrency 10,50,200 -scenarios gw:distinct,bench:put
//	yrd-bench -scenarios gw:,bench:put -state-dir .state -port-base 27000
//	yrd-bench -simulate only -sim-seed 2
//	yrd-bench -profile profiles -scenarios sdk:distinct,bench:put -cycle 0 -simulate off
//
// -concurrency takes one worker count or a comma-separated sweep: each
// scenario is then set up once and measured for -duration at every level
// (only those of -sweep-scenarios, when given; the others once, at the
// middle level).
// Beside the reports it writes SVG plots (-plots PREFIX, "" for none):
// PREFIX-throughput.svg (payments/s against concurrency, a line per
// scenario) and PREFIX-latency-SCENARIO.svg (the latency distribution, a
// line per level).
//
// -profile DIR profiles every measured phase (package bench/profile): the
// CPU of every process, Go CPU profiles of peers, orderers and chaincode
// servers, perf profiles of the gateways when perf is installed, the
// stages they add up to per payment, and a sample transaction's
// read-write set. A fresh network is then started with YRD_PROFILE=1 (its
// pprof listeners); a running one (-state-dir) must have been started
// with it for the Go profiles.
//
// After the scenarios, unless -disburse 0, it settles one disbursement job
// of -disburse lines (100,000) to 2,000 merchants through Shanghai's
// gateway (loadgen.Disburse): lines/s, and the peers' block timings from
// their logs.
//
// After the scenarios, unless -cycle 0, it queues a ring of -cycle
// interbank transfers among eight banks' settlement accounts and settles
// them with one liquidity-saving cycle (loadgen.Cycle): the real-network
// cycle figure.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/bench/loadgen"
	"github.com/yangtze-delta/settlement/bench/profile"
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
	concurrency := fs.String("concurrency", fmt.Sprint(def.Concurrency), "closed-loop workers, or a comma-separated sweep (10,50,200): every scenario measured at each")
	maxOps := fs.Int("max-ops", 0, "operations per scenario at most (0: bounded by -duration only)")
	batch := fs.Int("batch-size", def.BatchSize, "payments per transaction in gw:batch")
	scenarios := fs.String("scenarios", "all", "comma-separated scenarios, path prefixes (gw:, sdk:, bench:) or all: "+strings.Join(loadgen.ScenarioNames(), ", "))
	jsonOut := fs.String("json", "bench-report.json", "JSON report file")
	textOut := fs.String("text", "bench-report.txt", "text report file")
	stateDir := fs.String("state-dir", "", "use the running network with this state dir (default: start a fresh one)")
	portBase := fs.Int("port-base", 27000, "port base of the running network (with -state-dir)")
	root := fs.String("root", "", "repository root holding test-network-scripts (default: found above the working directory)")
	cycleN := fs.Int("cycle", 1000, "interbank transfers queued in a ring and settled by one cycle on the network after the scenarios (0: none)")
	disburseN := fs.Int("disburse", 100000, "lines of one disbursement job settled on the network after the scenarios (0: none)")
	plots := fs.String("plots", "bench", "SVG plots PREFIX-throughput.svg and PREFIX-latency-SCENARIO.svg (\"\": none)")
	profileDir := fs.String("profile", "", "profile every measured phase into this directory (package bench/profile)")
	sweepOnly := fs.String("sweep-scenarios", "all", "with a -concurrency list: the scenarios measured at every level (names or prefixes); the others once, at the middle level")
	bftScenarios := fs.String("bft-scenarios", "", "after the run, measure these scenarios again on a fresh SmartBFT network at the middle level, for a raft vs bft table (\"\": none)")
	payersOut := fs.String("payers", "", "only set up -concurrency funded payers (as sdk:distinct) for an outside load generator (make caliper), write them to this JSON file and stop")
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
	if *payersOut != "" && *stateDir == "" {
		return errors.New("-payers sets up payers on a running network: give -state-dir and -port-base")
	}
	levels, err := loadgen.ParseLevels(*concurrency)
	if err != nil {
		return err
	}
	cfg := def
	cfg.Duration, cfg.MaxOps, cfg.BatchSize, cfg.Log = *duration, *maxOps, *batch, os.Stderr
	// One level, or the middle one of a sweep for what is not swept (the
	// scenarios outside -sweep-scenarios, the cycle and the payers).
	cfg.Concurrency = loadgen.MiddleLevel(levels)
	if len(levels) > 1 {
		cfg.Levels = levels
		if *sweepOnly != "all" {
			if cfg.SweepScenarios, err = loadgen.ParseScenarios(*sweepOnly); err != nil {
				return fmt.Errorf("-sweep-scenarios: %w", err)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var bftNames []string
	if *bftScenarios != "" {
		if *stateDir != "" {
			return errors.New("-bft-scenarios starts networks of its own: not with -state-dir")
		}
		if bftNames, err = loadgen.ParseScenarios(*bftScenarios); err != nil {
			return fmt.Errorf("-bft-scenarios: %w", err)
		}
	}
	batchTimeout, err := time.ParseDuration(cmp.Or(os.Getenv("YRD_BATCH_TIMEOUT"), "250ms"))
	if err != nil {
		return fmt.Errorf("YRD_BATCH_TIMEOUT: %w", err)
	}

	// The liquidity simulator needs no network: it runs first.
	simRes, err := simf.run(os.Stderr)
	if err != nil {
		return err
	}
	if *simf.mode == simulateOnly {
		return writeReports(simRes, nil, *textOut, *jsonOut)
	}
	if *profileDir != "" && *stateDir == "" {
		// The fresh network's peers, orderers and chaincode servers open
		// their pprof listeners (network.sh reads the environment).
		os.Setenv("YRD_PROFILE", "1")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var n *testnet.Network
	desc := ""
	stopNet := func() {}
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
		var up time.Duration
		n, up, err = startNetwork(ctx, *root, "")
		if err != nil {
			if simRes != nil { // keep the simulation's report
				err = errors.Join(err, writeReports(simRes, nil, *textOut, *jsonOut))
			}
			return err
		}
		stopNet = sync.OnceFunc(func() { stopNetwork(n) })
		defer stopNet()
		desc = fmt.Sprintf("fresh %s network started by yrd-bench (up in %s), port base %d", n.Consensus, up.Round(time.Second), n.PortBase)
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

	if *payersOut != "" {
		return writePayers(ctx, n, cfg, *payersOut)
	}
	if *profileDir != "" {
		prof, err := profile.New(profile.Options{Dir: *profileDir, StateDir: n.StateDir, Net: n, Channel: cfg.Channel, Perf: true, Log: os.Stderr})
		if err != nil {
			return err
		}
		cfg.Observer = prof
	}
	rep, err := loadgen.Run(ctx, n, cfg, names)
	if rep != nil && *plots != "" {
		if perr := writePlots(rep, *plots); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	if rep != nil {
		rep.Network = desc
		if err == nil && *cycleN > 0 {
			rep.Cycle, err = loadgen.Cycle(ctx, n, cfg, *cycleN)
		}
		if err == nil && *disburseN > 0 {
			rep.Disbursement, err = loadgen.Disburse(ctx, n, cfg, loadgen.DisburseOptions{Lines: *disburseN, LogDir: filepath.Join(n.StateDir, "logs")})
		}
		if err == nil && len(bftNames) > 0 {
			stopNet() // one network at a time on the machine
			rep.BFT, err = runBFT(ctx, *root, cfg, bftNames)
		}
		if *stateDir == "" {
			rep.BatchTimeoutMs = batchTimeout.Milliseconds()
			rep.Goals = rep.CheckGoals(batchTimeout)
		}
	}
	if rep != nil || simRes != nil {
		if werr := writeReports(simRes, rep, *textOut, *jsonOut); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

// startNetwork starts a fresh network with gateways and the yrdbench
// chaincode, on consensus ("": the environment's YRD_CONSENSUS, else raft).
func startNetwork(ctx context.Context, root, consensus string) (*testnet.Network, time.Duration, error) {
	fmt.Fprintf(os.Stderr, "yrd-bench: starting a fresh network (%s; gateways, yrdbench)…\n", cmp.Or(consensus, os.Getenv("YRD_CONSENSUS"), testnet.ConsensusRaft))
	t0 := time.Now()
	upCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	n, err := testnet.Start(upCtx, testnet.Options{Root: root, Gateways: true, BenchChaincode: true, Consensus: consensus})
	if err != nil {
		if n != nil {
			stopNetwork(n)
		}
		return nil, 0, fmt.Errorf("network did not come up: %w", err)
	}
	return n, time.Since(t0), nil
}

func stopNetwork(n *testnet.Network) {
	fmt.Fprintln(os.Stderr, "yrd-bench: stopping the network…")
	if err := n.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "yrd-bench: stopping the network:", err)
	}
}

// runBFT measures names on a fresh SmartBFT network at cfg.Concurrency
// workers (no sweep, no profile) and stops it.
func runBFT(ctx context.Context, root string, cfg loadgen.Config, names []string) ([]loadgen.Result, error) {
	n, _, err := startNetwork(ctx, root, testnet.ConsensusBFT)
	if err != nil {
		return nil, fmt.Errorf("bft: %w", err)
	}
	defer stopNetwork(n)
	cfg.Levels, cfg.SweepScenarios, cfg.Observer = nil, nil, nil
	rep, err := loadgen.Run(ctx, n, cfg, names)
	if rep == nil {
		return nil, fmt.Errorf("bft: %w", err)
	}
	if err != nil {
		err = fmt.Errorf("bft: %w", err)
	}
	return rep.Results, err
}

// payersFile is what -payers writes: the channel and chaincode to call
// and the funded payers (loadgen.Payer).
type payersFile struct {
	Channel   string          `json:"channel"`
	Chaincode string          `json:"chaincode"`
	Function  string          `json:"function"`
	Payers    []loadgen.Payer `json:"payers"`
}

// writePayers sets up cfg.Concurrency funded payers on n and writes them
// to file.
func writePayers(ctx context.Context, n *testnet.Network, cfg loadgen.Config, file string) error {
	t0 := time.Now()
	ps, err := loadgen.PreparePayers(ctx, n, cfg, cfg.Concurrency)
	if err != nil {
		return fmt.Errorf("payers: %w", err)
	}
	b, err := json.MarshalIndent(payersFile{Channel: cfg.Channel, Chaincode: cfg.Chaincode, Function: api.Transfer.Function(), Payers: ps}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "yrd-bench: %d payers set up in %.1f s, written to %s\n", len(ps), time.Since(t0).Seconds(), file)
	return nil
}

// writePlots writes PREFIX-throughput.svg and one
// PREFIX-latency-SCENARIO.svg per measured scenario (':' becomes '_').
func writePlots(rep *loadgen.Report, prefix string) error {
	write := func(file string, fn func(f *os.File) error) error {
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	scenarios := rep.PlottedScenarios()
	if len(scenarios) == 0 {
		return nil
	}
	if err := write(prefix+"-throughput.svg", func(f *os.File) error { return rep.WriteThroughputSVG(f) }); err != nil {
		return err
	}
	for _, s := range scenarios {
		file := prefix + "-latency-" + strings.ReplaceAll(s, ":", "_") + ".svg"
		if err := write(file, func(f *os.File) error { return rep.WriteLatencySVG(f, s) }); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "yrd-bench: plots written: %s-throughput.svg, %s-latency-*.svg\n", prefix, prefix)
	return nil
}
