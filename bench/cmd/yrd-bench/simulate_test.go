package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/bench/loadgen"
	"github.com/yangtze-delta/settlement/liquidity/sim"
)

func TestSimFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true}, {[]string{"-simulate", "only"}, true}, {[]string{"-simulate", "off"}, true}, {[]string{"-simulate", "yes"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			f := addSimFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := f.validate(); (err == nil) != tt.ok {
				t.Fatalf("validate: %v", err)
			}
		})
	}
}

// TestWriteReports: the simulation's table heads the text report and sits
// under "simulation" in the JSON, beside the network run's fields; either
// part may be missing.
func TestWriteReports(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Banks, cfg.Transfers = 5, 300
	res, err := sim.Simulate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep := &loadgen.Report{RunID: "b0101", Concurrency: 3}
	tests := []struct {
		name      string
		res       *sim.Result
		rep       *loadgen.Report
		wantKeys  []string
		wantTexts []string
	}{
		{"both", res, rep, []string{"simulation", "runId"}, []string{"liquidity-saving settlement", "yrd-bench run b0101"}},
		{"simulation only", res, nil, []string{"simulation"}, []string{"liquidity-saving settlement"}},
		{"network only", nil, rep, []string{"runId"}, []string{"yrd-bench run b0101"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			txt, js := filepath.Join(dir, "r.txt"), filepath.Join(dir, "r.json")
			if err := writeReports(tt.res, tt.rep, txt, js); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(txt)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.wantTexts {
				if !strings.Contains(string(b), want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if tt.res != nil && tt.rep != nil && strings.Index(string(b), "liquidity-saving") > strings.Index(string(b), "yrd-bench run") {
				t.Error("the simulation does not come first")
			}
			b, err = os.ReadFile(js)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.wantKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("JSON lacks %q: %s", k, b)
				}
			}
			if _, ok := m["simulation"]; ok != (tt.res != nil) {
				t.Errorf("simulation key present = %v", ok)
			}
			if _, ok := m["runId"]; ok != (tt.rep != nil) {
				t.Errorf("runId key present = %v", ok)
			}
		})
	}
}
