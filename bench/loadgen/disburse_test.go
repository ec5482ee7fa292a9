package loadgen

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPeerTimings sums the validation and commit lines of a peer's log
// (colour codes and all) inside the window, and nothing outside it.
func TestPeerTimings(t *testing.T) {
	log := strings.Join([]string{
		"\x1b[34m2026-03-02 01:00:00.100 UTC 0044 INFO\x1b[0m [committer.txvalidator] \x1b[34;1mValidate\x1b[0m -> [settlement] Validated block [7] in 17ms",
		"\x1b[34m2026-03-02 01:00:00.120 UTC 0045 INFO\x1b[0m [kvledger] \x1b[34;1mcommit\x1b[0m -> [settlement] Committed block [7] with 1 transaction(s) in 2ms (state_validation=0ms block_and_pvtdata_commit=1ms state_commit=1ms) commitHash=[7f]",
		"2026-03-02 01:00:01.000 UTC 0046 INFO [committer.txvalidator] Validate -> [settlement] Validated block [8] in 300ms",
		"2026-03-02 01:00:01.400 UTC 0047 INFO [kvledger] commit -> [settlement] Committed block [8] with 4 transaction(s) in 100ms (state_validation=40ms block_and_pvtdata_commit=30ms state_commit=30ms) commitHash=[80]",
		"2026-03-02 01:00:01.500 UTC 0048 INFO [endorser] callChaincode -> finished chaincode: yrd duration: 90ms",
		"2026-03-02 01:00:09.000 UTC 0049 INFO [committer.txvalidator] Validate -> [settlement] Validated block [9] in 999ms",
		"2026-03-02 01:00:09.100 UTC 0050 INFO [kvledger] commit -> [settlement] Committed block [9] with 9 transaction(s) in 999ms (state_validation=1ms block_and_pvtdata_commit=1ms state_commit=1ms) commitHash=[90]",
	}, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "peer-shanghai.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	pt, err := peerTimings(path, from, from.Add(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := PeerTimings{Blocks: 2, Transactions: 5, ValidateMs: 317, CommitMs: 102, StateValidMs: 40, BlockCommitMs: 31, StateCommitMs: 31,
		MaxBlockTxs: 4, MeanValidateMs: 158.5, BusyFraction: 0.10475}
	if pt != want {
		t.Fatalf("timings\n got %+v\nwant %+v", pt, want)
	}
	if _, err := peerTimings(filepath.Join(t.TempDir(), "none.log"), from, from); err == nil {
		t.Fatal("a missing log read without error")
	}
}

func TestDisburseReportText(t *testing.T) {
	var b bytes.Buffer
	(&DisburseReport{Lines: 100000, Recipients: 2000, OpenSeconds: 30, Seconds: 200, LinesPerSec: 500, Batches: 200, Paid: 100000, For100k: 200,
		Peers: []PeerTimings{{Peer: "shanghai", Blocks: 150, Transactions: 210, MaxBlockTxs: 4, ValidateMs: 90000, MeanValidateMs: 600, CommitMs: 30000, BusyFraction: 0.6}}}).WriteText(&b)
	for _, want := range []string{"100000 lines to 2000 recipients", "500 lines/s", "100,000 lines: 200 s", "peer shanghai", "busy 60%"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	(&DisburseReport{Error: "job SH-FIN:x failed"}).WriteText(&b)
	if !strings.Contains(b.String(), "failed: job SH-FIN:x failed") {
		t.Errorf("failure not reported:\n%s", b.String())
	}
	if !slices.Contains(ScenarioNames(), "gw:earmarked") {
		t.Error("gw:earmarked is not a scenario")
	}
}
