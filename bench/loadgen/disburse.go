package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// DisburseOptions configures Disburse.
type DisburseOptions struct {
	// Lines is the job's size (1 to rest.MaxJobLines).
	Lines int
	// Recipients is how many distinct merchants the lines pay, round robin
	// (default min(Lines, 2,000): the job engine's batches in flight pay
	// distinct recipients; opening 100,000 accounts would take longer than
	// the job).
	Recipients int
	// LogDir, when set, holds the network's logs (STATE/logs): the peers'
	// validation and commit timings of the job's blocks are summed from
	// them.
	LogDir string
}

// DisburseReport is the real-network figure of directional appropriation:
// one disbursement job through Shanghai's gateway, from PUT to done.
type DisburseReport struct {
	Lines      int `json:"lines"`
	Recipients int `json:"recipients"`
	// OpenSeconds is the time to open the recipients (16 at a time).
	OpenSeconds float64 `json:"openSeconds"`
	// Seconds is PUT /v1/programmes/{id}/disbursements/{job} to the job's
	// done; LinesPerSec follows from it; Batches are its transactions.
	Seconds     float64      `json:"seconds"`
	LinesPerSec float64      `json:"linesPerSec"`
	Batches     int          `json:"batches"`
	Paid        int          `json:"paid"`
	Rejected    int          `json:"rejected"`
	Amount      money.Amount `json:"amount"`
	// For100k is the time 100,000 lines take at LinesPerSec.
	For100k float64 `json:"for100kSeconds"`
	// Peers are the peers' block timings while the job ran (from LogDir).
	Peers []PeerTimings `json:"peers,omitempty"`
	Error string        `json:"error,omitempty"`
}

// PeerTimings sums one peer's log lines about the blocks it validated and
// committed in a time window: "Validated block [n] in Xms" and "Committed
// block [n] with k transaction(s) in Yms (state_validation=…,
// block_and_pvtdata_commit=…, state_commit=…)".
type PeerTimings struct {
	Peer           string  `json:"peer"`
	Blocks         int     `json:"blocks"`
	Transactions   int     `json:"transactions"`
	ValidateMs     int     `json:"validateMs"`
	CommitMs       int     `json:"commitMs"`
	StateValidMs   int     `json:"stateValidationMs"`
	BlockCommitMs  int     `json:"blockAndPvtdataCommitMs"`
	StateCommitMs  int     `json:"stateCommitMs"`
	BusyFraction   float64 `json:"busyFraction"`
	MaxBlockTxs    int     `json:"maxBlockTxs"`
	MeanValidateMs float64 `json:"meanValidateMs"`
}

// Disburse measures one disbursement job of o.Lines lines on n: it mints
// what the job pays (1.00 to 1.06 yuan a line) into a reserve of Shanghai's
// central-bank branch (a decision of three provinces' issuers), opens
// o.Recipients merchants in the four provinces, has Shanghai's fiscal
// bureau fund its fiscal account, define a programme (maker, checker) and
// fund one tranche, then sends the job and follows it to done. A failure
// is reported in DisburseReport.Error, not returned, unless ctx ends.
func Disburse(ctx context.Context, n Network, cfg Config, o DisburseOptions) (*DisburseReport, error) {
	cfg, log := cfg.phase("d")
	if o.Recipients <= 0 {
		o.Recipients = min(o.Lines, 2000)
	}
	rep := &DisburseReport{Lines: o.Lines, Recipients: o.Recipients}
	fail := func(err error) (*DisburseReport, error) {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rep.Error = err.Error()
		fmt.Fprintf(log, "disburse: %s\n", rep.Error)
		return rep, nil
	}
	if o.Lines < 1 || o.Lines > rest.MaxJobLines {
		return fail(fmt.Errorf("lines %d: 1 to %d", o.Lines, rest.MaxJobLines))
	}
	r := &runner{cfg: cfg, net: n, gw: newGWClient(n, 32, cfg.OpTimeout), log: log}
	if err := r.gw.loadClients(); err != nil {
		return fail(err)
	}
	if err := r.gw.loadFiscalClients(); err != nil {
		return fail(err)
	}
	amount := func(i int) money.Amount { return money.Amount(100 + i%7) }
	var total money.Amount
	for i := 0; i < o.Lines; i++ {
		total += amount(i)
	}
	rep.Amount = total
	tag := cfg.RunID + "-disb"
	sh := province(0)
	fmt.Fprintf(log, "disburse: minting %s and opening %d recipients…\n", total, o.Recipients)
	if err := r.ensureCeilings(ctx, total); err != nil {
		return fail(fmt.Errorf("issuance ceilings: %w", err))
	}
	reserve := bankID(sh, "issuer", tag+"-reserve")
	treasury := bankID(sh, "fiscal", tag+"-treasury")
	if err := r.openAccounts(ctx, []account{{reserve, sh, "issuer", rest.KindReserve}, {treasury, sh, "fiscal", rest.KindFiscal}}); err != nil {
		return fail(err)
	}
	if err := r.mint(ctx, sh, reserve, total); err != nil {
		return fail(err)
	}
	if _, err := r.gw.pay(ctx, sh, "issuer", rest.PaymentRequest{PaymentID: bankID(sh, "issuer", tag+"-fund"), From: reserve, To: treasury, Amount: total}); err != nil {
		return fail(fmt.Errorf("fund %s: %w", treasury, err))
	}
	recipients := make([]account, o.Recipients)
	for i := range recipients {
		p := province(i)
		recipients[i] = account{bankID(p, "operator", fmt.Sprintf("%s-r%d", tag, i)), p, "operator", rest.KindMerchant}
	}
	t0 := time.Now()
	if err := r.openAccounts(ctx, recipients); err != nil {
		return fail(err)
	}
	rep.OpenSeconds = time.Since(t0).Seconds()
	prog, err := r.gw.programmeOf(ctx, tag, treasury, total)
	if err != nil {
		return fail(err)
	}
	lines := make([]rest.DisbursementLine, o.Lines)
	for i := range lines {
		lines[i] = rest.DisbursementLine{Line: i + 1, Recipient: recipients[i%len(recipients)].id, Amount: amount(i)}
	}
	fmt.Fprintf(log, "disburse: recipients opened in %.1f s; sending a job of %d lines…\n", rep.OpenSeconds, o.Lines)
	t1 := time.Now()
	j, err := r.gw.disburseJob(ctx, prog, bankID(sh, "fiscal", tag+"-job"), lines)
	rep.Seconds = time.Since(t1).Seconds()
	rep.Batches, rep.Paid, rep.Rejected = j.Batches, j.Paid+j.AlreadyPaid, j.Rejected
	if rep.Seconds > 0 {
		rep.LinesPerSec = float64(rep.Paid) / rep.Seconds
	}
	if rep.LinesPerSec > 0 {
		rep.For100k = rest.MaxJobLines / rep.LinesPerSec
	}
	if o.LogDir != "" {
		for _, p := range testnet.Provinces {
			pt, perr := peerTimings(filepath.Join(o.LogDir, "peer-"+p.Name+".log"), t1, time.Now())
			if perr == nil {
				pt.Peer = p.Name
				rep.Peers = append(rep.Peers, pt)
			}
		}
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(log, "disburse: %d lines in %.1f s (%.0f lines/s, %d transactions)\n", rep.Paid, rep.Seconds, rep.LinesPerSec, rep.Batches)
	return rep, nil
}

// WriteText writes the disbursement figure.
func (d *DisburseReport) WriteText(w io.Writer) {
	fmt.Fprintln(w, "Directional appropriation on the network (one disbursement job through Shanghai's gateway)")
	if d.Error != "" {
		fmt.Fprintf(w, "  failed: %s\n", d.Error)
	}
	if d.Seconds == 0 {
		return
	}
	fmt.Fprintf(w, "  %d lines to %d recipients (opened in %.1f s) settled in %.1f s: %.0f lines/s, %d transactions, %d rejected; 100,000 lines: %.0f s\n",
		d.Paid, d.Recipients, d.OpenSeconds, d.Seconds, d.LinesPerSec, d.Batches, d.Rejected, d.For100k)
	for _, p := range d.Peers {
		fmt.Fprintf(w, "  peer %-9s %d blocks, %d txs (at most %d a block): validation %d ms (%.0f ms a block), commit %d ms (state validation %d, block %d, state %d): busy %.0f%% of the job\n",
			p.Peer, p.Blocks, p.Transactions, p.MaxBlockTxs, p.ValidateMs, p.MeanValidateMs, p.CommitMs, p.StateValidMs, p.BlockCommitMs, p.StateCommitMs, 100*p.BusyFraction)
	}
}

var (
	ansiRE      = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	logTimeRE   = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC`)
	validatedRE = regexp.MustCompile(`Validated block \[(\d+)\] in (\d+)ms`)
	committedRE = regexp.MustCompile(`Committed block \[(\d+)\] with (\d+) transaction\(s\) in (\d+)ms \(state_validation=(\d+)ms block_and_pvtdata_commit=(\d+)ms state_commit=(\d+)ms\)`)
)

// peerTimings sums a peer log's block validation and commit lines between
// from and to.
func peerTimings(path string, from, to time.Time) (PeerTimings, error) {
	var pt PeerTimings
	f, err := os.Open(path)
	if err != nil {
		return pt, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	validated := 0
	for sc.Scan() {
		line := ansiRE.ReplaceAllString(sc.Text(), "")
		m := logTimeRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.Parse("2006-01-02 15:04:05.000", m[1])
		if err != nil || at.Before(from.UTC()) || at.After(to.UTC()) {
			continue
		}
		if v := validatedRE.FindStringSubmatch(line); v != nil {
			pt.ValidateMs += atoi(v[2])
			validated++
		} else if c := committedRE.FindStringSubmatch(line); c != nil {
			pt.Blocks++
			txs := atoi(c[2])
			pt.Transactions += txs
			pt.MaxBlockTxs = max(pt.MaxBlockTxs, txs)
			pt.CommitMs += atoi(c[3])
			pt.StateValidMs += atoi(c[4])
			pt.BlockCommitMs += atoi(c[5])
			pt.StateCommitMs += atoi(c[6])
		}
	}
	if err := sc.Err(); err != nil {
		return pt, err
	}
	if validated > 0 {
		pt.MeanValidateMs = float64(pt.ValidateMs) / float64(validated)
	}
	if d := to.Sub(from); d > 0 {
		pt.BusyFraction = float64(time.Duration(pt.ValidateMs+pt.CommitMs)*time.Millisecond) / float64(d)
	}
	return pt, nil
}
