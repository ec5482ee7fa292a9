package profile

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/bench/loadgen"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// Connector opens Fabric Gateway SDK connections; *testnet.Network is
// one.
type Connector interface {
	Connect(p testnet.Province, user string) (*testnet.Conn, error)
}

// Options configures a Profiler.
type Options struct {
	// Dir receives one directory per phase (SCENARIO@WORKERS, ':'
	// replaced by '_') and summary.txt / summary.json for the run.
	Dir string
	// StateDir is the network's state directory (network.sh's
	// YRD_STATE_DIR): processes and pprof addresses are read from it.
	StateDir string
	// Net fetches the block of each phase's sample transaction; nil: no
	// transaction anatomy.
	Net Connector
	// Channel is the channel of the sample transactions.
	Channel string
	// Perf records processes without pprof (the gateways) with perf when
	// it is installed.
	Perf bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Profiler is a loadgen.Observer that profiles every measured phase.
// Its methods are called from one goroutine (loadgen.Run's).
type Profiler struct {
	opt       Options
	cur       *phase
	summaries []PhaseSummary
	http      *http.Client
}

var _ loadgen.Observer = (*Profiler)(nil)

// New checks opt and makes the output directory.
func New(opt Options) (*Profiler, error) {
	if opt.Dir == "" || opt.StateDir == "" {
		return nil, fmt.Errorf("profile: Dir and StateDir are required")
	}
	if opt.Channel == "" {
		opt.Channel = "settlement"
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.Perf {
		if _, err := exec.LookPath("perf"); err != nil {
			fmt.Fprintln(opt.Log, "profile: perf is not installed: the gateways get CPU times but no profile")
			opt.Perf = false
		}
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, err
	}
	return &Profiler{opt: opt, http: &http.Client{}}, nil
}

// phase is the state of one profiled phase.
type phase struct {
	dir      string
	scenario string
	workers  int
	seconds  int
	targets  []Target
	cpu0     map[string]float64
	busy0    float64
	total0   float64
	load0    string
	wg       sync.WaitGroup
	mu       sync.Mutex
	files    map[string]string // target name → profile file
	errs     []string
}

func (ph *phase) fail(format string, args ...any) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	ph.errs = append(ph.errs, fmt.Sprintf(format, args...))
}

// clientName is the load generator itself (this process).
const clientName = "client (yrd-bench)"

// PhaseStart snapshots CPU times and starts a profile of every process
// for d (whole seconds, at least 1).
func (p *Profiler) PhaseStart(ctx context.Context, scenario string, workers int, d time.Duration) {
	ph := &phase{scenario: scenario, workers: workers, seconds: max(1, int(d/time.Second)), files: map[string]string{},
		dir: filepath.Join(p.opt.Dir, fmt.Sprintf("%s@%d", strings.ReplaceAll(scenario, ":", "_"), workers))}
	p.cur = ph
	if err := os.MkdirAll(ph.dir, 0o755); err != nil {
		ph.fail("%v", err)
		return
	}
	targets, err := Targets(p.opt.StateDir)
	if err != nil {
		ph.fail("%v", err)
	}
	ph.targets = append(targets, Target{Name: clientName, Kind: "client", PID: os.Getpid()})
	ph.cpu0 = map[string]float64{}
	for _, t := range ph.targets {
		if c, err := processCPU(t.PID); err == nil {
			ph.cpu0[t.Name] = c
		}
	}
	ph.busy0, ph.total0, _ = machineCPU()
	ph.load0 = loadAverage()
	for _, t := range ph.targets {
		switch {
		case t.Pprof != "":
			ph.wg.Add(1)
			go p.fetchPprof(ctx, ph, t)
		case t.Kind == KindGateway && p.opt.Perf:
			ph.wg.Add(1)
			go p.recordPerf(ctx, ph, t)
		}
	}
}

func (p *Profiler) fetchPprof(ctx context.Context, ph *phase, t Target) {
	defer ph.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(ph.seconds+60)*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.Pprof, ph.seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		ph.fail("%s: %v", t.Name, err)
		return
	}
	resp, err := p.http.Do(req)
	if err != nil {
		ph.fail("%s: %v", t.Name, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ph.fail("%s: pprof answered %s", t.Name, resp.Status)
		return
	}
	file := filepath.Join(ph.dir, t.Name+".pprof")
	f, err := os.Create(file)
	if err != nil {
		ph.fail("%s: %v", t.Name, err)
		return
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		ph.fail("%s: %v", t.Name, err)
		return
	}
	if err := f.Close(); err != nil {
		ph.fail("%s: %v", t.Name, err)
		return
	}
	ph.mu.Lock()
	ph.files[t.Name] = file
	ph.mu.Unlock()
}

func (p *Profiler) recordPerf(ctx context.Context, ph *phase, t Target) {
	defer ph.wg.Done()
	file := filepath.Join(ph.dir, t.Name+".perf")
	cmd := exec.CommandContext(ctx, "perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-g",
		"-p", fmt.Sprint(t.PID), "-o", file, "--", "sleep", fmt.Sprint(ph.seconds))
	if out, err := cmd.CombinedOutput(); err != nil {
		ph.fail("%s: perf record: %v: %s", t.Name, err, lastLine(string(out)))
		return
	}
	ph.mu.Lock()
	ph.files[t.Name] = file
	ph.mu.Unlock()
}

// PhaseEnd waits for the profiles, reads CPU times again, sorts every
// profile into stages, describes the phase's sample transaction and
// writes the phase's and the run's summaries.
func (p *Profiler) PhaseEnd(ctx context.Context, scenario string, workers int, res loadgen.Result) {
	ph := p.cur
	if ph == nil || ph.scenario != scenario || ph.workers != workers {
		return
	}
	p.cur = nil
	// The processes' CPU over the phase itself, before waiting for the
	// profiles (which may outlast the phase by a fraction of a second).
	cpu1 := map[string]float64{}
	for _, t := range ph.targets {
		if c, err := processCPU(t.PID); err == nil {
			cpu1[t.Name] = c
		}
	}
	busy1, total1, _ := machineCPU()
	load1 := loadAverage()
	ph.wg.Wait()

	s := PhaseSummary{Scenario: scenario, Workers: workers, Payments: res.Payments, Transactions: res.Transactions,
		Seconds: res.Seconds, PaymentsPerSec: res.PaymentsPerSec, LatencyP50Ms: res.LatencyMs.P50, LatencyP99Ms: res.LatencyMs.P99,
		LoadBefore: ph.load0, LoadAfter: load1, MachineBusySeconds: busy1 - ph.busy0, MachineSeconds: total1 - ph.total0,
		ProfileSeconds: ph.seconds}
	perPayment := func(cpu float64) float64 {
		if res.Payments == 0 {
			return 0
		}
		return 1000 * cpu / float64(res.Payments)
	}
	for _, t := range ph.targets {
		c0, ok0 := ph.cpu0[t.Name]
		c1, ok1 := cpu1[t.Name]
		if !ok0 || !ok1 {
			continue
		}
		pc := ProcessCPU{Name: t.Name, Kind: t.Kind, CPUSeconds: c1 - c0, MsPerPayment: perPayment(c1 - c0)}
		if file := ph.files[t.Name]; file != "" {
			pc.Profile = filepath.Base(file)
			var b Breakdown
			var err error
			if strings.HasSuffix(file, ".perf") {
				b, err = analyzePerf(ctx, file, t.Kind)
			} else {
				b, err = analyzeGo(ctx, file, t.Kind)
			}
			if err != nil {
				ph.fail("%s: %v", t.Name, err)
			} else {
				pc.Breakdown = &b
			}
		}
		s.Processes = append(s.Processes, pc)
	}
	s.Kinds = byKind(s.Processes, res.Payments)
	if res.SampleTxID != "" && p.opt.Net != nil {
		if a, err := p.anatomy(ctx, res.SampleTxID); err != nil {
			ph.fail("transaction %s: %v", res.SampleTxID, err)
		} else {
			s.Tx = &a
		}
	}
	s.Errors = ph.errs
	p.summaries = append(p.summaries, s)
	for _, e := range s.Errors {
		fmt.Fprintf(p.opt.Log, "profile: %s@%d: %s\n", scenario, workers, e)
	}
	if err := p.write(ph.dir, []PhaseSummary{s}); err != nil {
		fmt.Fprintf(p.opt.Log, "profile: %v\n", err)
	}
	if err := p.write(p.opt.Dir, p.summaries); err != nil {
		fmt.Fprintf(p.opt.Log, "profile: %v\n", err)
	}
	fmt.Fprintf(p.opt.Log, "profile: %s@%d written to %s\n", scenario, workers, ph.dir)
}

func (p *Profiler) anatomy(ctx context.Context, txID string) (TxAnatomy, error) {
	// Block-level data (qscc) is for a province's admins, peers and
	// orderers, never its clients (docs/network.md, Readers).
	conn, err := p.opt.Net.Connect(testnet.Provinces[0], "admin")
	if err != nil {
		return TxAnatomy{}, err
	}
	defer conn.Close()
	qscc := conn.Contract(p.opt.Channel, "qscc")
	var last error
	// The sample may have committed on another province's peer first.
	for range 10 {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		b, err := FetchBlockByTxID(cctx, qscc, p.opt.Channel, txID)
		cancel()
		if err == nil {
			return DescribeTx(b, txID)
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	return TxAnatomy{}, last
}

// Summaries returns the phases profiled so far.
func (p *Profiler) Summaries() []PhaseSummary { return p.summaries }

func (p *Profiler) write(dir string, ss []PhaseSummary) error {
	var txt strings.Builder
	for i, s := range ss {
		if i > 0 {
			txt.WriteString("\n")
		}
		s.WriteText(&txt)
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.txt"), []byte(txt.String()), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(ss, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644)
}

// PhaseSummary is where the CPU of one measured phase went.
type PhaseSummary struct {
	Scenario       string  `json:"scenario"`
	Workers        int     `json:"workers"`
	Payments       int     `json:"payments"`
	Transactions   int     `json:"transactions"`
	Seconds        float64 `json:"seconds"`
	PaymentsPerSec float64 `json:"paymentsPerSec"`
	LatencyP50Ms   float64 `json:"latencyP50Ms"`
	LatencyP99Ms   float64 `json:"latencyP99Ms"`
	// LoadBefore and LoadAfter are /proc/loadavg's three figures: other
	// work on the machine shows there.
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
	// MachineBusySeconds of MachineSeconds (all cores) during the phase.
	MachineBusySeconds float64      `json:"machineBusySeconds"`
	MachineSeconds     float64      `json:"machineSeconds"`
	ProfileSeconds     int          `json:"profileSeconds"`
	Processes          []ProcessCPU `json:"processes"`
	Kinds              []KindCPU    `json:"kinds"`
	Tx                 *TxAnatomy   `json:"transaction,omitempty"`
	Errors             []string     `json:"errors,omitempty"`
}

// ProcessCPU is one process's CPU during a phase.
type ProcessCPU struct {
	Name         string     `json:"name"`
	Kind         Kind       `json:"kind"`
	CPUSeconds   float64    `json:"cpuSeconds"`
	MsPerPayment float64    `json:"msPerPayment"`
	Profile      string     `json:"profile,omitempty"`
	Breakdown    *Breakdown `json:"breakdown,omitempty"`
}

// KindCPU adds up the processes of one kind; Stages charge each profiled
// process's CPU to stages by its profile's shares.
type KindCPU struct {
	Kind         Kind       `json:"kind"`
	CPUSeconds   float64    `json:"cpuSeconds"`
	MsPerPayment float64    `json:"msPerPayment"`
	Profiled     int        `json:"profiled"`
	Processes    int        `json:"processes"`
	Stages       []StageCPU `json:"stages,omitempty"`
}

// StageCPU is one stage's CPU per payment over a kind's profiled
// processes, and the primitives inside it.
type StageCPU struct {
	Stage        string             `json:"stage"`
	MsPerPayment float64            `json:"msPerPayment"`
	Share        float64            `json:"share"`
	Primitives   map[string]float64 `json:"primitivesMsPerPayment,omitempty"`
}

var kindOrder = []Kind{KindPeer, KindOrderer, KindChaincode, KindGateway, KindCA, KindOther, "client"}

func byKind(ps []ProcessCPU, payments int) []KindCPU {
	var out []KindCPU
	for _, k := range kindOrder {
		kc := KindCPU{Kind: k}
		stageMs := map[string]float64{}
		prim := map[string]map[string]float64{}
		var order []string
		profiledCPU := 0.0
		for _, p := range ps {
			if p.Kind != k {
				continue
			}
			kc.Processes++
			kc.CPUSeconds += p.CPUSeconds
			if p.Breakdown == nil || payments == 0 {
				continue
			}
			kc.Profiled++
			profiledCPU += p.CPUSeconds
			for _, st := range p.Breakdown.Stages {
				if _, ok := stageMs[st.Stage]; !ok {
					order = append(order, st.Stage)
				}
				stageMs[st.Stage] += 1000 * st.Share * p.CPUSeconds / float64(payments)
			}
			for st, m := range p.Breakdown.Primitives {
				if prim[st] == nil {
					prim[st] = map[string]float64{}
				}
				for name, share := range m {
					prim[st][name] += 1000 * share * p.CPUSeconds / float64(payments)
				}
			}
		}
		if kc.Processes == 0 {
			continue
		}
		if payments > 0 {
			kc.MsPerPayment = 1000 * kc.CPUSeconds / float64(payments)
		}
		for _, st := range order {
			sc := StageCPU{Stage: st, MsPerPayment: stageMs[st], Primitives: prim[st]}
			if profiledCPU > 0 {
				sc.Share = stageMs[st] / (1000 * profiledCPU / float64(payments))
			}
			kc.Stages = append(kc.Stages, sc)
		}
		out = append(out, kc)
	}
	return out
}

// WriteText renders a phase's summary.
func (s PhaseSummary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "== %s at %d workers: %d payments in %d transactions, %.1f payments/s over %.1f s, p50 %.0f ms, p99 %.0f ms\n",
		s.Scenario, s.Workers, s.Payments, s.Transactions, s.PaymentsPerSec, s.Seconds, s.LatencyP50Ms, s.LatencyP99Ms)
	ours := 0.0
	for _, k := range s.Kinds {
		ours += k.CPUSeconds
	}
	fmt.Fprintf(w, "load average %s before, %s after; machine busy %.1f of %.1f core-seconds, of which this network and client %.1f\n",
		s.LoadBefore, s.LoadAfter, s.MachineBusySeconds, s.MachineSeconds, ours)
	fmt.Fprintf(w, "\nCPU per payment (from /proc; stages from %d s profiles):\n", s.ProfileSeconds)
	fmt.Fprintf(w, "  %-58s %8s %12s\n", "process kind / stage", "CPU s", "ms/payment")
	total := 0.0
	for _, k := range s.Kinds {
		total += k.MsPerPayment
		fmt.Fprintf(w, "  %-58s %8.2f %12.3f\n", fmt.Sprintf("%s (%d processes, %d profiled)", k.Kind, k.Processes, k.Profiled), k.CPUSeconds, k.MsPerPayment)
		for _, st := range k.Stages {
			fmt.Fprintf(w, "    %-56s %8s %12.3f  %4.1f%%%s\n", st.Stage, "", st.MsPerPayment, 100*st.Share, primitiveText(st.Primitives))
		}
	}
	fmt.Fprintf(w, "  %-58s %8s %12.3f\n", "all", "", total)
	if len(s.Processes) > 0 {
		fmt.Fprintf(w, "\nprocesses:")
		ps := append([]ProcessCPU(nil), s.Processes...)
		sort.Slice(ps, func(i, j int) bool { return ps[i].CPUSeconds > ps[j].CPUSeconds })
		for i, p := range ps {
			if i%4 == 0 {
				fmt.Fprintf(w, "\n ")
			}
			fmt.Fprintf(w, " %s %.2f s;", p.Name, p.CPUSeconds)
		}
		fmt.Fprintln(w)
	}
	if s.Tx != nil {
		fmt.Fprintln(w)
		s.Tx.WriteText(w)
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

func primitiveText(m map[string]float64) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, p := range primitives {
		if v := m[p.Name]; v >= 0.0005 {
			parts = append(parts, fmt.Sprintf("%s %.3f", p.Name, v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "  [" + strings.Join(parts, ", ") + "]"
}
