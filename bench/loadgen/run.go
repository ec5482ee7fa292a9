package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// runner carries a run's clients.
type runner struct {
	cfg Config
	net Network
	gw  *gwClient
	sdk *sdkClient
	log io.Writer
	// mintMu serialises the execution of mints (see mint).
	mintMu sync.Mutex
	// reserves are the run's reserve accounts, by MSP ID.
	reserves map[string]string
}

// Run sets up and measures the named scenarios (all when names is empty)
// one after another against n and returns the report. A scenario whose
// setup fails is reported with its error and the run goes on; bench:
// scenarios are reported as skipped when yrdbench does not answer. Run
// returns an error only for a bad configuration, an unknown scenario name
// or a context that ended.
func Run(ctx context.Context, n Network, cfg Config, names []string) (*Report, error) {
	if cfg.RunID == "" {
		cfg.RunID = "b" + time.Now().UTC().Format("0102150405")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	levels := cfg.levels()
	chosen, err := pick(names)
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	r := &runner{cfg: cfg, net: n, gw: newGWClient(n, cfg.maxLevel(), cfg.OpTimeout), sdk: newSDKClient(n, cfg), log: log}
	defer r.sdk.close()
	rep := &Report{RunID: cfg.RunID, Started: time.Now().UTC(), Concurrency: cfg.maxLevel(),
		DurationSeconds: cfg.Duration.Seconds(), BatchSize: cfg.BatchSize}
	if len(levels) > 1 {
		rep.Levels = levels
	}

	tokenScenarios := 0
	for _, s := range chosen {
		if !s.bench {
			tokenScenarios++
		}
	}
	setupErr := ""
	if tokenScenarios > 0 {
		if err := r.gw.loadClients(); err != nil {
			return nil, err
		}
		// Every token scenario funds each province's bank once from the
		// run's reserves, minted here within the issuance ceilings.
		t0 := time.Now()
		amount, err := money.MulDiv(settlementAmount, int64(tokenScenarios), 1)
		if err == nil {
			fmt.Fprintf(log, "reserves: minting %s into each province's reserve…\n", amount)
			if err = r.ensureCeilings(ctx, amount); err != nil {
				err = fmt.Errorf("issuance ceilings: %w", err)
			} else {
				err = r.prepareReserves(ctx, amount)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			setupErr = "reserves: " + err.Error()
			fmt.Fprintf(log, "%s\n", setupErr)
		} else {
			fmt.Fprintf(log, "reserves: minted in %.1f s\n", time.Since(t0).Seconds())
		}
	}
	benchMissing := ""
	for _, s := range chosen {
		if s.bench {
			benchMissing = r.benchAvailable(ctx)
			break
		}
	}
	for i, s := range chosen {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		// A scenario is set up for the largest level it is measured at.
		sl := cfg.levelsFor(s.name)
		r.cfg.Concurrency = slices.Max(sl)
		res := Result{Scenario: s.name, Description: s.desc, Concurrency: r.cfg.Concurrency}
		if s.bench && benchMissing != "" {
			res.Skipped = benchMissing
			fmt.Fprintf(log, "%s: skipped: %s\n", s.name, benchMissing)
			rep.Results = append(rep.Results, res)
			continue
		}
		if !s.bench && setupErr != "" {
			res.Error = setupErr
			rep.Results = append(rep.Results, res)
			continue
		}
		rep.Results = append(rep.Results, r.measure(ctx, s, fmt.Sprintf("%s-s%d", cfg.RunID, i), sl, res)...)
	}
	return rep, nil
}

func pick(names []string) ([]scenario, error) {
	all := catalog()
	if len(names) == 0 {
		return all, nil
	}
	var out []scenario
	for _, name := range names {
		name = strings.TrimSpace(name)
		found := false
		for _, s := range all {
			if s.name == name {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("loadgen: unknown scenario %q (known: %s)", name, strings.Join(ScenarioNames(), ", "))
		}
	}
	return out, nil
}

// measure sets scenario s up once (for r.cfg.Concurrency workers) and
// measures it at each level in turn: one Result per level, based on
// proto. A failed setup gives one Result with the error.
func (r *runner) measure(ctx context.Context, s scenario, tag string, levels []int, proto Result) []Result {
	fmt.Fprintf(r.log, "%s: setting up…\n", s.name)
	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	op, err := s.setup(sctx, r, tag)
	cancel()
	proto.SetupSeconds = time.Since(t0).Seconds()
	if err != nil {
		proto.Error = err.Error()
		fmt.Fprintf(r.log, "%s: setup failed after %.1f s: %v\n", s.name, proto.SetupSeconds, err)
		return []Result{proto}
	}
	fmt.Fprintf(r.log, "%s: set up in %.1f s\n", s.name, proto.SetupSeconds)
	// Worker w's next operation number, kept across levels: payment IDs
	// never repeat.
	next := make([]int, r.cfg.Concurrency)
	var out []Result
	for _, workers := range levels {
		if ctx.Err() != nil {
			break
		}
		res := proto
		res.Concurrency = workers
		r.phase(ctx, s, op, next[:workers], &res)
		out = append(out, res)
	}
	return out
}

// phase runs one measured phase of s with len(next) workers into res.
func (r *runner) phase(ctx context.Context, s scenario, op opFunc, next []int, res *Result) {
	var err error
	before := 0
	if s.gateway {
		if before, err = r.gw.conflicts(ctx); err != nil {
			fmt.Fprintf(r.log, "%s: reading gateway metrics: %v\n", s.name, err)
		}
	}
	fmt.Fprintf(r.log, "%s: running %s at %d workers…\n", s.name, r.cfg.Duration, len(next))
	if r.cfg.Observer != nil {
		r.cfg.Observer.PhaseStart(ctx, s.name, len(next), r.cfg.Duration)
	}
	lr := closedLoopFrom(ctx, next, r.cfg.Duration, r.cfg.MaxOps, r.cfg.OpTimeout, op)
	res.Seconds = lr.elapsed.Seconds()
	res.Transactions, res.Payments = lr.txs, lr.payments
	if res.Seconds > 0 {
		res.TxPerSec = float64(lr.txs) / res.Seconds
		res.PaymentsPerSec = float64(lr.payments) / res.Seconds
	}
	res.LatencyMs = percentiles(lr.latencies)
	res.LatencyQuantilesMs = quantiles(lr.latencies)
	res.SampleTxID = lr.txID
	res.ConflictsRetried = lr.conflicts
	if s.gateway {
		if after, err := r.gw.conflicts(ctx); err == nil && after >= before {
			res.ConflictsRetried = after - before
		}
	}
	for _, c := range lr.failures {
		res.Failed += c
	}
	if len(lr.failures) > 0 {
		res.Failures = lr.failures
	}
	fmt.Fprintf(r.log, "%s@%d: %.1f payments/s, %.1f tx/s, p50 %.0f ms, p99 %.0f ms, %d conflicts retried, %d failed\n",
		s.name, len(next), res.PaymentsPerSec, res.TxPerSec, res.LatencyMs.P50, res.LatencyMs.P99, res.ConflictsRetried, res.Failed)
	if r.cfg.Observer != nil {
		r.cfg.Observer.PhaseEnd(ctx, s.name, len(next), *res)
	}
}

// benchContracts returns the yrdbench chaincode as operator of each
// province, in testnet.Provinces order.
func (r *runner) benchContracts() ([]*sdk.Contract, error) {
	out := make([]*sdk.Contract, 4)
	for i, p := range testnet.Provinces {
		c, err := r.sdk.contract(p, "operator", r.cfg.BenchChaincode)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// benchAvailable returns why yrdbench cannot be used, or "" when it
// answers.
func (r *runner) benchAvailable(ctx context.Context) string {
	cs, err := r.benchContracts()
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err = testnet.Evaluate(ctx, cs[0], api.BenchBalance, api.BenchAccount{Account: "loadgen-probe"})
	if err == nil {
		return ""
	}
	return fmt.Sprintf("chaincode %s not deployed or not answering (%s)", r.cfg.BenchChaincode, sdkCode(err))
}

// ErrNoScenario is returned by ParseScenarios for an empty list.
var ErrNoScenario = errors.New("loadgen: no scenario named")

// ParseScenarios splits a comma-separated list; "all" (or "") means every
// scenario, and a prefix ending in ":" ("gw:", "sdk:", "bench:") every
// scenario of that path.
func ParseScenarios(list string) ([]string, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "all" {
		return ScenarioNames(), nil
	}
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.HasSuffix(item, ":") {
			n := 0
			for _, name := range ScenarioNames() {
				if strings.HasPrefix(name, item) {
					out = append(out, name)
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("loadgen: no scenario starts with %q", item)
			}
			continue
		}
		out = append(out, item)
	}
	if len(out) == 0 {
		return nil, ErrNoScenario
	}
	if _, err := pick(out); err != nil {
		return nil, err
	}
	return out, nil
}
