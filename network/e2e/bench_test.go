package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/bench/loadgen"
)

// TestBenchSmoke runs every yrd-bench scenario briefly (3 s, 5 workers)
// against the shared network: each must commit something and fail nothing,
// except the naive hot-account transfer, whose read conflicts beyond the
// retries are the point of that comparison. bench: scenarios are skipped
// when the network runs without yrdbench.
func TestBenchSmoke(t *testing.T) {
	cfg := loadgen.DefaultConfig()
	cfg.Duration = 3 * time.Second
	cfg.Concurrency = 5
	cfg.BatchSize = 5
	cfg.RunID = "smoke" + time.Now().UTC().Format("150405")
	var log bytes.Buffer
	cfg.Log = &log
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	rep, err := loadgen.Run(ctx, net, cfg, nil)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	t.Logf("report:\n%s", txt.String())

	expected := map[string]map[string]bool{
		"bench:transfer-hot": {"MVCC_READ_CONFLICT": true, "PHANTOM_READ_CONFLICT": true, "ENDORSE_MISMATCH": true},
	}
	for _, res := range rep.Results {
		t.Run(strings.ReplaceAll(res.Scenario, ":", "_"), func(t *testing.T) {
			if res.Skipped != "" {
				if strings.HasPrefix(res.Scenario, "bench:") {
					t.Skip(res.Skipped)
				}
				t.Fatalf("skipped: %s", res.Skipped)
			}
			if res.Error != "" {
				t.Fatalf("setup failed: %s", res.Error)
			}
			if res.Transactions == 0 || res.Payments == 0 {
				t.Fatalf("nothing committed: %+v", res)
			}
			for code, n := range res.Failures {
				if !expected[res.Scenario][code] {
					t.Errorf("%d unexpected failures with code %s", n, code)
				}
			}
		})
	}
}
