package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestCheckGoals(t *testing.T) {
	res := func(s string, workers int, perSec, txPerSec, p50, p99 float64, failed int) Result {
		return Result{Scenario: s, Concurrency: workers, PaymentsPerSec: perSec, TxPerSec: txPerSec,
			LatencyMs: Latency{P50: p50, P99: p99}, Failed: failed}
	}
	r := &Report{Concurrency: 50, Results: []Result{
		res("gw:distinct", 1, 3, 3, 330, 400, 0),
		res("gw:distinct", 50, 200, 20, 250, 900, 0),
		res("gw:distinct", 200, 1200, 40, 400, 1900, 0),
		res("gw:hot-payer", 50, 190, 19, 250, 900, 0), // 95%
		res("gw:hot-payee", 50, 150, 15, 250, 900, 0), // 75%
		res("gw:earmarked", 50, 180, 18, 250, 900, 0), // 90%
		res("sdk:distinct", 50, 80, 80, 500, 900, 0),
		res("bench:put", 50, 100, 100, 500, 900, 0), // sdk 80% of it
	}, Disbursement: &DisburseReport{Lines: 10000, LinesPerSec: 400, For100k: 250}}
	goals := r.CheckGoals(250 * time.Millisecond)
	verdict := map[string]string{}
	for _, g := range goals {
		v := "missed"
		if g.Missing != "" {
			v = "missing"
		} else if g.Met {
			v = "met"
		}
		verdict[g.Goal] = v
	}
	want := map[string]string{
		"coalesced single payments through the gateways, 200 clients (gw:distinct)":            "met",
		"uncoalesced single payments (sdk:distinct) against the blind-write floor (bench:put)": "missed",
		"gw:hot-payer against gw:distinct":                                                     "met",
		"gw:hot-payee against gw:distinct":                                                     "missed",
		"gw:cross-province against gw:distinct":                                                "missing",
		"sdk:hot-payer against sdk:distinct":                                                   "missing",
		"a lone payment on an idle network (gw:distinct, 1 client), median":                    "met",
		"earmarked spends (gw:earmarked) against plain payments (gw:distinct)":                 "met",
		"disbursement: 100,000 recipients":                                                     "met",
	}
	for goal, v := range want {
		if verdict[goal] != v {
			t.Errorf("%s: %s, want %s", goal, verdict[goal], v)
		}
	}
	r.Goals = goals
	r.Results[2].Failed = 1
	if g := r.CheckGoals(250 * time.Millisecond)[0]; g.Met {
		t.Errorf("a failed payment at 200 clients still meets the goal: %+v", g)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "missed  uncoalesced single payments") {
		t.Errorf("the text report lacks the goals:\n%s", b.String())
	}
}

// TestGoalsAtTheMiddleLevel: in a sweep the ratios compare the results at
// the middle level (where the scenarios outside the sweep ran), not at the
// largest (Report.Concurrency).
func TestGoalsAtTheMiddleLevel(t *testing.T) {
	r := &Report{Concurrency: 200, Levels: []int{1, 10, 50, 200}, Results: []Result{
		{Scenario: "gw:distinct", Concurrency: 50, PaymentsPerSec: 100},
		{Scenario: "gw:distinct", Concurrency: 200, PaymentsPerSec: 150},
		{Scenario: "gw:earmarked", Concurrency: 50, PaymentsPerSec: 95},
	}}
	for _, g := range r.CheckGoals(250 * time.Millisecond) {
		if strings.HasPrefix(g.Goal, "earmarked") && (!g.Met || g.Missing != "") {
			t.Fatalf("earmarked at 50 against distinct at 50: %+v", g)
		}
	}
}
