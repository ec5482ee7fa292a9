package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/liquidity"
	"github.com/yangtze-delta/settlement/money"
)

// ErrInvalidConfig means a Config field is out of range; the message
// names it.
var ErrInvalidConfig = errors.New("sim: invalid config")

// Config describes the simulated day. DefaultConfig gives the day of
// issue 10.
type Config struct {
	// Seed seeds the generator: the same Config gives the same day and the
	// same figures (wall times aside).
	Seed uint64
	// Banks is the number of banks, one settlement account each (2–1000).
	Banks int
	// Transfers is the number of transfers in the day (1 to
	// Solver.MaxTransfers: a cycle's snapshot may hold all of them).
	Transfers int
	// MedianAmount is the median transfer; Sigma the log-normal's shape
	// (0–3).
	MedianAmount money.Amount
	Sigma        float64
	// Skew is the Zipf exponent of payers and payees (0 uniform – 3).
	Skew float64
	// UrgentPercent of the transfers are urgent (0–100).
	UrgentPercent int
	// Calendar gives the day: Open, InterbankCutoff, EndOfDay,
	// CycleIntervalSec.
	Calendar api.Calendar
	// Percents are the liquidity levels, in percent of each bank's
	// gross-only requirement (1–1000 each, at most 20 levels); a run at
	// the lower bound is added.
	Percents []int
	// Methods are the solver methods compared.
	Methods []liquidity.Method
	// Solver bounds the solver (its cycle limits are the chaincode's).
	Solver liquidity.Config
}

// DefaultConfig is the day of issue 10: seed 1, 20 banks, 10,000
// transfers, median 1,000,000 yuan with σ 1, Zipf exponent 1, 5% urgent,
// the default calendar (08:30 open, 17:00 interbank cut-off, 17:30 end
// of day, cycles every 60 s), liquidity at 25/50/75/100% of the gross-only
// requirement, all three methods.
func DefaultConfig() Config {
	return Config{
		Seed: 1, Banks: 20, Transfers: 10_000,
		MedianAmount: money.Yuan(1_000_000), Sigma: 1, Skew: 1, UrgentPercent: 5,
		Calendar: api.DefaultCalendar(),
		Percents: []int{25, 50, 75, 100},
		Methods:  liquidity.Methods(),
		Solver:   liquidity.DefaultConfig(),
	}
}

// Validate names the first field out of range.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if err := c.Solver.Validate(); err != nil {
		return bad("Solver: %v", err)
	}
	cal := c.Calendar
	if err := cal.Validate(); err != nil {
		return bad("Calendar: %v", err)
	}
	switch {
	case c.Banks < 2 || c.Banks > 1000:
		return bad("Banks %d must be 2 to 1000", c.Banks)
	case c.Transfers < 1 || c.Transfers > c.Solver.MaxTransfers:
		return bad("Transfers %d must be 1 to Solver.MaxTransfers (%d)", c.Transfers, c.Solver.MaxTransfers)
	case c.MedianAmount < 1 || c.MedianAmount > money.Yuan(1_000_000_000):
		return bad("MedianAmount %s must be 0.01 to 1000000000 yuan", c.MedianAmount)
	case float64(c.MedianAmount)*10_000*float64(c.Transfers) > math.MaxInt64/64: // room for liquidity at 1000% of it
		return bad("MedianAmount %s × 10000 × Transfers %d could overflow the day's total", c.MedianAmount, c.Transfers)
	case !(c.Sigma >= 0 && c.Sigma <= 3):
		return bad("Sigma %v must be 0 to 3", c.Sigma)
	case !(c.Skew >= 0 && c.Skew <= 3):
		return bad("Skew %v must be 0 to 3", c.Skew)
	case c.UrgentPercent < 0 || c.UrgentPercent > 100:
		return bad("UrgentPercent %d must be 0 to 100", c.UrgentPercent)
	case len(c.Percents) > 20:
		return bad("at most 20 Percents")
	case len(c.Methods) == 0:
		return bad("Methods is empty")
	}
	for _, p := range c.Percents {
		if p < 1 || p > 1000 {
			return bad("Percents: %d must be 1 to 1000", p)
		}
	}
	for _, m := range c.Methods {
		if _, err := liquidity.ParseMethod(m.String()); err != nil {
			return bad("Methods: %v", err)
		}
	}
	return nil
}

// transfer is one generated transfer.
type transfer struct {
	t        liquidity.Transfer
	from, to int
	amt      int64
	urgent   bool
	arrival  int // seconds after midnight
}

// day is the generated day and its liquidity figures.
type day struct {
	cfg                    Config
	banks                  []string
	transfers              []transfer // in arrival order
	byID                   map[string]int
	open, cutoff, eod      int // seconds after midnight
	interval               int
	total                  int64
	gross, lowerBound      []int64 // per bank
	grossTotal, lowerTotal int64
}

func clockSeconds(hhmm string) int {
	t, _ := time.Parse("15:04", hhmm) // validated by Config.Validate (api.Calendar.Validate)
	return t.Hour()*3600 + t.Minute()*60
}

// generate draws the day (see the package documentation).
func generate(cfg Config) *day {
	d := &day{cfg: cfg, open: clockSeconds(cfg.Calendar.Open), cutoff: clockSeconds(cfg.Calendar.InterbankCutoff),
		eod: clockSeconds(cfg.Calendar.EndOfDay), interval: cfg.Calendar.CycleIntervalSec}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	cum := make([]float64, cfg.Banks)
	sum := 0.0
	for i := range cum {
		d.banks = append(d.banks, fmt.Sprintf("B%03d:settlement", i+1))
		sum += 1 / math.Pow(float64(i+1), cfg.Skew)
		cum[i] = sum
	}
	draw := func() int {
		i := sort.SearchFloat64s(cum, r.Float64()*sum)
		return min(i, cfg.Banks-1)
	}
	median := float64(cfg.MedianAmount)
	d.transfers = make([]transfer, cfg.Transfers)
	for k := range d.transfers {
		// Both redrawn on a clash: the pair is drawn with probability
		// ∝ w_from·w_to, symmetric, so each bank expects to receive what it
		// pays. Redrawing only the payee would make the largest banks net
		// payers by construction.
		from, to := draw(), draw()
		for to == from {
			from, to = draw(), draw()
		}
		amt := int64(math.Round(median * math.Exp(cfg.Sigma*r.NormFloat64())))
		// At most 10,000 medians, which bounds the day's total (Validate);
		// with σ = 1 that is beyond z = 9, never reached.
		amt = max(1, min(amt, int64(median)*10_000))
		d.transfers[k] = transfer{from: from, to: to, amt: amt, urgent: r.IntN(100) < cfg.UrgentPercent,
			arrival: d.open + r.IntN(d.cutoff-d.open)}
	}
	sort.SliceStable(d.transfers, func(i, j int) bool { return d.transfers[i].arrival < d.transfers[j].arrival })
	d.byID = make(map[string]int, len(d.transfers))
	for k := range d.transfers {
		x := &d.transfers[k]
		prio := api.PriorityNormal
		if x.urgent {
			prio = api.PriorityUrgent
		}
		bank, _, _ := strings.Cut(d.banks[x.from], ":")
		id := fmt.Sprintf("%s:%06d", bank, k+1)
		x.t = liquidity.Transfer{ID: id, From: d.banks[x.from], To: d.banks[x.to], Amount: money.Amount(x.amt),
			Priority: prio, Seq: fmt.Sprintf("%09d", k)}
		d.byID[id] = k
		d.total += x.amt
	}
	// Gross-only requirement: the largest cumulative net outflow when every
	// transfer settles on arrival. Lower bound: the net debit of the day.
	pos := make([]int64, cfg.Banks)
	d.gross, d.lowerBound = make([]int64, cfg.Banks), make([]int64, cfg.Banks)
	for _, x := range d.transfers {
		pos[x.from] -= x.amt
		pos[x.to] += x.amt
		d.gross[x.from] = max(d.gross[x.from], -pos[x.from])
	}
	for i := range pos {
		d.lowerBound[i] = max(0, -pos[i])
		d.grossTotal += d.gross[i]
		d.lowerTotal += d.lowerBound[i]
	}
	return d
}

// cycleTimes are the instants of the cycles: every interval from the open
// until the end of day (exclusive), and the cut-off.
func (d *day) cycleTimes() []int {
	var out []int
	for t := d.open + d.interval; t < d.eod; t += d.interval {
		out = append(out, t)
	}
	out = append(out, d.cutoff)
	slices.Sort(out)
	return slices.Compact(out)
}

// Run is the outcome of one method at one liquidity level.
type Run struct {
	// Level is "25%" … or "lower bound"; LevelPercent the liquidity
	// provided in percent of the gross-only requirement.
	Level        string  `json:"level"`
	LevelPercent float64 `json:"levelPercent"`
	Method       string  `json:"method"`
	// Provided is the liquidity the banks hold at the open; Used the sum of
	// their peak drawdowns.
	Provided money.Amount `json:"provided"`
	Used     money.Amount `json:"used"`
	// Settled value before the cut-off and by the end of day.
	SettledBeforeCutoff    money.Amount `json:"settledBeforeCutoff"`
	SettledByEOD           money.Amount `json:"settledByEod"`
	SettledBeforeCutoffPct float64      `json:"settledBeforeCutoffPct"`
	SettledByEODPct        float64      `json:"settledByEodPct"`
	// AvgDelayMinutes is value-weighted over the transfers settled.
	AvgDelayMinutes float64 `json:"avgDelayMinutes"`
	// SettledOnArrival counts transfers settled gross on arrival;
	// SettledInCycles those settled by cycles.
	SettledOnArrival int `json:"settledOnArrival"`
	SettledInCycles  int `json:"settledInCycles"`
	// CycleTransactions counts the cycles that settled something (one
	// Fabric transaction each); LargestCycle the most transfers one
	// settled; CappedCycles those cut by the cycle limits.
	CycleTransactions int `json:"cycleTransactions"`
	LargestCycle      int `json:"largestCycle"`
	CappedCycles      int `json:"cappedCycles"`
	// Rejected transfers were still queued at the end of day.
	Rejected      int          `json:"rejected"`
	RejectedValue money.Amount `json:"rejectedValue"`
	// Millis is the run's wall time.
	Millis float64 `json:"millis"`
}

// Result is a whole simulation.
type Result struct {
	Seed          uint64       `json:"seed"`
	Banks         int          `json:"banks"`
	Transfers     int          `json:"transfers"`
	MedianAmount  money.Amount `json:"medianAmount"`
	Sigma         float64      `json:"sigma"`
	Skew          float64      `json:"skew"`
	UrgentPercent int          `json:"urgentPercent"`
	Open          string       `json:"open"`
	Cutoff        string       `json:"cutoff"`
	EndOfDay      string       `json:"endOfDay"`
	CycleSeconds  int          `json:"cycleSeconds"`
	MaxCycle      int          `json:"maxCycle"`
	// TotalValue is the day's value; GrossRequirement ΣG_i; LowerBound the
	// sum of the multilateral net debits.
	TotalValue       money.Amount `json:"totalValue"`
	GrossRequirement money.Amount `json:"grossRequirement"`
	LowerBound       money.Amount `json:"lowerBound"`
	Runs             []Run        `json:"runs"`
	Goals            []Goal       `json:"goals"`
	// Seconds is the wall time of the whole simulation, generation
	// included.
	Seconds float64 `json:"seconds"`
}

// Simulate simulates the day of cfg at every liquidity level with every
// method. Each settlement is verified by interbank.Nets and
// interbank.Cover; a settlement they refuse, or money that is not
// conserved, is a bug in the solver or here and ends Simulate with an error.
func Simulate(cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	solver, err := liquidity.New(cfg.Solver)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	d := generate(cfg)
	res := &Result{Seed: cfg.Seed, Banks: cfg.Banks, Transfers: cfg.Transfers, MedianAmount: cfg.MedianAmount,
		Sigma: cfg.Sigma, Skew: cfg.Skew, UrgentPercent: cfg.UrgentPercent,
		Open: cfg.Calendar.Open, Cutoff: cfg.Calendar.InterbankCutoff, EndOfDay: cfg.Calendar.EndOfDay,
		CycleSeconds: cfg.Calendar.CycleIntervalSec, MaxCycle: cfg.Solver.MaxCycle,
		TotalValue: money.Amount(d.total), GrossRequirement: money.Amount(d.grossTotal), LowerBound: money.Amount(d.lowerTotal)}
	type level struct {
		name string
		liq  []int64
	}
	var levels []level
	for _, p := range cfg.Percents {
		liq := make([]int64, cfg.Banks)
		for i, g := range d.gross {
			a, err := money.MulDiv(money.Amount(g), int64(p), 100)
			if err != nil {
				return nil, fmt.Errorf("sim: liquidity of %s at %d%%: %w", d.banks[i], p, err)
			}
			liq[i] = int64(a)
		}
		levels = append(levels, level{fmt.Sprintf("%d%%", p), liq})
	}
	levels = append(levels, level{"lower bound", d.lowerBound})
	for _, lv := range levels {
		for _, m := range cfg.Methods {
			run, _, err := d.run(solver, m, lv.liq)
			if err != nil {
				return nil, fmt.Errorf("sim: %s at %s: %w", m, lv.name, err)
			}
			run.Level = lv.name
			res.Runs = append(res.Runs, run)
		}
	}
	res.Goals = goals(res)
	res.Seconds = time.Since(t0).Seconds()
	return res, nil
}

// run replays the day with method m and opening balances liq. It also
// returns when each transfer settled (seconds after midnight, -1 if
// rejected).
func (d *day) run(solver *liquidity.Solver, m liquidity.Method, liq []int64) (Run, []int, error) {
	t0 := time.Now()
	n := len(d.banks)
	bal, low := make([]int64, n), make([]int64, n)
	copy(bal, liq)
	copy(low, liq)
	var provided int64
	for _, l := range liq {
		provided += l
	}
	queued := make([]int, n)       // per payer, transfers waiting
	queuedUrgent := make([]int, n) // per payer, urgent ones
	var queue []int                // transfer indices, arrival order
	settledAt := make([]int, len(d.transfers))
	for k := range settledAt {
		settledAt[k] = -1
	}
	index := make(map[string]int, n)
	for i, b := range d.banks {
		index[b] = i
	}
	run := Run{Method: m.String(), Provided: money.Amount(provided)}
	if d.grossTotal > 0 {
		run.LevelPercent = 100 * float64(provided) / float64(d.grossTotal)
	}

	// settle applies a set the chaincode's verifier accepted: the net
	// positions move the balances at once.
	settle := func(ks []int, at int) error {
		legs := make([]interbank.Leg, len(ks))
		for i, k := range ks {
			x := &d.transfers[k]
			legs[i] = interbank.Leg{ID: x.t.ID, From: x.t.From, To: x.t.To, Amount: x.t.Amount}
		}
		nets, err := interbank.Nets(legs)
		if err != nil {
			return err
		}
		inputs := map[string]money.Amount{}
		for _, p := range nets {
			if p.Net < 0 {
				inputs[p.Account] = money.Amount(bal[index[p.Account]])
			}
		}
		if _, err := interbank.Cover(nets, inputs); err != nil {
			return fmt.Errorf("the chaincode would refuse settling %d transfers at %s: %w", len(ks), clock(at), err)
		}
		for _, p := range nets {
			i := index[p.Account]
			bal[i] += int64(p.Net)
			low[i] = min(low[i], bal[i])
		}
		for _, k := range ks {
			settledAt[k] = at
		}
		return nil
	}

	next := 0 // next arrival
	for _, at := range d.cycleTimes() {
		for ; next < len(d.transfers) && d.transfers[next].arrival <= at; next++ {
			x := &d.transfers[next]
			blocked := queued[x.from] > 0
			if x.urgent {
				blocked = queuedUrgent[x.from] > 0
			}
			if !blocked && bal[x.from] >= x.amt {
				if err := settle([]int{next}, x.arrival); err != nil {
					return Run{}, nil, err
				}
				run.SettledOnArrival++
				continue
			}
			queue = append(queue, next)
			queued[x.from]++
			if x.urgent {
				queuedUrgent[x.from]++
			}
		}
		// The cycle: solve and settle until the solver finds nothing.
		for len(queue) > 0 {
			snap := liquidity.Snapshot{Transfers: make([]liquidity.Transfer, len(queue)), Balances: make(map[string]money.Amount, n)}
			for i, k := range queue {
				snap.Transfers[i] = d.transfers[k].t
			}
			for i, b := range d.banks {
				snap.Balances[b] = money.Amount(bal[i])
			}
			plan, err := solver.Solve(m, snap)
			if err != nil {
				return Run{}, nil, err
			}
			if len(plan.Transfers) == 0 {
				break
			}
			ks := make([]int, len(plan.Transfers))
			for i, x := range plan.Transfers {
				ks[i] = d.byID[x.ID]
			}
			if err := settle(ks, at); err != nil {
				return Run{}, nil, err
			}
			run.CycleTransactions++
			run.SettledInCycles += len(ks)
			run.LargestCycle = max(run.LargestCycle, len(ks))
			if plan.Capped {
				run.CappedCycles++
			}
			rest := queue[:0]
			for _, k := range queue {
				if settledAt[k] >= 0 {
					x := &d.transfers[k]
					queued[x.from]--
					if x.urgent {
						queuedUrgent[x.from]--
					}
					continue
				}
				rest = append(rest, k)
			}
			queue = rest
		}
	}
	if next != len(d.transfers) {
		return Run{}, nil, fmt.Errorf("%d transfers never arrived", len(d.transfers)-next)
	}

	// End of day: what is queued is rejected. Money is conserved.
	var delay float64 // value × minutes
	var beforeAmt, byEODAmt, usedAmt, endBal int64
	for k, at := range settledAt {
		x := &d.transfers[k]
		if at < 0 {
			run.Rejected++
			run.RejectedValue += money.Amount(x.amt)
			continue
		}
		byEODAmt += x.amt
		delay += float64(x.amt) * float64(at-x.arrival) / 60
		if at < d.cutoff {
			beforeAmt += x.amt
		}
	}
	for i := range bal {
		usedAmt += liq[i] - low[i]
		endBal += bal[i]
	}
	if endBal != provided {
		return Run{}, nil, fmt.Errorf("balances end at %s, the day began with %s", money.Amount(endBal), money.Amount(provided))
	}
	run.SettledBeforeCutoff, run.SettledByEOD, run.Used = money.Amount(beforeAmt), money.Amount(byEODAmt), money.Amount(usedAmt)
	run.SettledBeforeCutoffPct = 100 * float64(beforeAmt) / float64(d.total)
	run.SettledByEODPct = 100 * float64(byEODAmt) / float64(d.total)
	if byEODAmt > 0 {
		run.AvgDelayMinutes = delay / float64(byEODAmt)
	}
	run.Millis = float64(time.Since(t0).Microseconds()) / 1000
	return run, settledAt, nil
}

func clock(sec int) string { return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60) }
