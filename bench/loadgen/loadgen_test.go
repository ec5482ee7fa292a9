package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

func TestClosedLoopStopsByTimeAndCount(t *testing.T) {
	t.Run("duration", func(t *testing.T) {
		var calls atomic.Int64
		res := closedLoop(context.Background(), 4, 100*time.Millisecond, 0, time.Second, func(ctx context.Context, w, seq int) outcome {
			calls.Add(1)
			time.Sleep(10 * time.Millisecond)
			return outcome{txs: 1, payments: 3, conflicts: 1}
		})
		if res.elapsed < 100*time.Millisecond || res.elapsed > time.Second {
			t.Fatalf("elapsed %s", res.elapsed)
		}
		if int64(res.txs) != calls.Load() || res.payments != 3*res.txs || res.conflicts != res.txs || len(res.latencies) != res.txs {
			t.Fatalf("counts: %+v, calls %d", res, calls.Load())
		}
	})
	t.Run("count", func(t *testing.T) {
		res := closedLoop(context.Background(), 8, time.Hour, 25, time.Second, func(ctx context.Context, w, seq int) outcome {
			return outcome{txs: 1, payments: 1}
		})
		if res.txs != 25 {
			t.Fatalf("txs %d, want 25", res.txs)
		}
	})
	t.Run("failures by code", func(t *testing.T) {
		res := closedLoop(context.Background(), 2, time.Hour, 10, time.Second, func(ctx context.Context, w, seq int) outcome {
			if seq%2 == 1 {
				return outcome{code: "CONFLICT"}
			}
			return outcome{txs: 1, payments: 1}
		})
		if res.failures["CONFLICT"]+res.txs != 10 || res.failures["CONFLICT"] == 0 {
			t.Fatalf("failures %v, txs %d", res.failures, res.txs)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		res := closedLoop(ctx, 2, time.Hour, 0, time.Second, func(ctx context.Context, w, seq int) outcome {
			time.Sleep(5 * time.Millisecond)
			return outcome{txs: 1, payments: 1}
		})
		if res.elapsed > time.Second {
			t.Fatalf("did not stop with its context: %s", res.elapsed)
		}
	})
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := percentiles(ds)
	if l.P50 != 50 || l.P95 != 95 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 {
		t.Fatalf("%+v", l)
	}
	if (percentiles(nil) != Latency{}) {
		t.Fatal("empty input must give zeros")
	}
}

// TestConflictsMetric reads the conflicts counter the way conflicts does:
// every label set summed, longer names and other metrics ignored.
func TestConflictsMetric(t *testing.T) {
	text := `# HELP yrd_gateway_fabric_conflicts_total conflicts
# TYPE yrd_gateway_fabric_conflicts_total counter
yrd_gateway_fabric_conflicts_total{code="MVCC_READ_CONFLICT"} 7
yrd_gateway_fabric_conflicts_total{code="PHANTOM_READ_CONFLICT",note="a \"quoted\", odd} value"} 2
yrd_gateway_fabric_conflicts_total_other 100
yrd_gateway_fabric_retries_total{reason="conflict"} 9
`
	s, err := testnet.ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Sum(conflictsMetric, nil); n != 9 {
		t.Fatalf("sum = %v; want 9", n)
	}
	if n := s.Sum(conflictsMetric, map[string]string{"note": `a "quoted", odd} value`}); n != 2 {
		t.Fatalf("sum of the escaped label = %v; want 2", n)
	}
	if _, err := testnet.ParseMetrics(strings.NewReader("broken{a=\"1\" 3\n")); err == nil {
		t.Fatal("a malformed label set was accepted")
	}
}

// TestBatchOutcome: a batch counts only when every item settled; otherwise
// the first rejected item's code names the failure.
func TestBatchOutcome(t *testing.T) {
	ok := rest.ItemResult{OK: true}
	spent := rest.ItemResult{Code: rest.CodeInputSpent}
	rejected := &client.Error{Status: 422, Code: rest.CodeBatchRejected}
	tests := []struct {
		name string
		res  rest.BatchResult
		err  error
		want outcome
	}{
		{"all settled", rest.BatchResult{Settled: 2, Results: []rest.ItemResult{ok, ok}}, nil, outcome{txs: 1, payments: 2}},
		{"one rejected in a committed batch", rest.BatchResult{Settled: 1, Rejected: 1, Results: []rest.ItemResult{ok, spent}}, nil, outcome{code: "ITEM_INPUT_SPENT"}},
		{"all rejected, details unreadable", rest.BatchResult{}, rejected, outcome{code: rest.CodeBatchRejected}},
		{"the gateway failed", rest.BatchResult{}, &client.Error{Status: 503, Code: rest.CodeConflict}, outcome{code: rest.CodeConflict}},
		{"fewer settled, none rejected", rest.BatchResult{Settled: 1, Results: []rest.ItemResult{ok}}, nil, outcome{code: "BAD_RESULT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := batchOutcome(tt.res, tt.err, 2); got != tt.want {
				t.Fatalf("outcome %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("all rejected, as the gateway answers it", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"code":"BATCH_REJECTED","message":"all 2 items were rejected","details":{"results":[`+
				`{"paymentId":"p1","ok":false,"code":"FUNDS_LOCKED"},{"paymentId":"p2","ok":false,"code":"NOT_FOUND"}]}}`)
		}))
		defer srv.Close()
		c, err := client.New(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.PayBatch(context.Background(), rest.BatchRequest{Items: []rest.PaymentRequest{{PaymentID: "p1"}, {PaymentID: "p2"}}})
		if got := batchOutcome(res.Result, err, 2); got != (outcome{code: "ITEM_FUNDS_LOCKED"}) {
			t.Fatalf("outcome %+v", got)
		}
	})
}

func TestSDKCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"mvcc", &sdk.CommitError{Code: peer.TxValidationCode_MVCC_READ_CONFLICT}, "MVCC_READ_CONFLICT"},
		{"chaincode code", fmt.Errorf("endorse: chaincode response 500, INPUT_SPENT: output x spent"), "INPUT_SPENT"},
		{"mismatch", fmt.Errorf("ProposalResponsePayloads do not match"), "ENDORSE_MISMATCH"},
		{"timeout", context.DeadlineExceeded, "CLIENT_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sdkCode(tt.err); got != tt.want {
				t.Fatalf("sdkCode = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseScenarios(t *testing.T) {
	all, err := ParseScenarios("all")
	if err != nil || len(all) != len(catalog()) {
		t.Fatalf("all: %v %v", all, err)
	}
	bench, err := ParseScenarios("bench:,gw:distinct")
	if err != nil || len(bench) != 4 || bench[3] != "gw:distinct" {
		t.Fatalf("bench: %v %v", bench, err)
	}
	if _, err := ParseScenarios("gw:nope"); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Concurrency = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Concurrency") {
		t.Fatalf("err = %v", err)
	}
}

func TestReportRendering(t *testing.T) {
	rep := &Report{RunID: "b1", Started: time.Unix(0, 0), Concurrency: 5, DurationSeconds: 3, BatchSize: 10, Results: []Result{
		{Scenario: "gw:distinct", PaymentsPerSec: 12.5, TxPerSec: 12.5, Payments: 40, LatencyMs: Latency{P50: 400, P95: 500, P99: 600},
			Failed: 1, Failures: map[string]int{"CONFLICT": 1}},
		{Scenario: "bench:put", Skipped: "chaincode yrdbench not deployed"},
	}}
	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gw:distinct", "12.5", "CONFLICT=1", "bench:put: chaincode yrdbench not deployed"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, txt.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Results[0].LatencyMs.P99 != 600 {
		t.Fatalf("JSON round trip: %v %+v", err, back)
	}
}

// TestCoalescedOperationsCountOneTransaction: operations that report the
// same transaction ID (payments a gateway coalesced) count one transaction.
func TestCoalescedOperationsCountOneTransaction(t *testing.T) {
	res := closedLoop(context.Background(), 1, time.Hour, 40, time.Second, func(_ context.Context, w, seq int) outcome {
		return outcome{txs: 1, payments: 1, txID: fmt.Sprintf("tx-%d", seq/5)} // 5 operations per transaction
	})
	if res.payments != 40 || res.txs != 8 {
		t.Fatalf("%d transactions for %d payments, want 8 for 40", res.txs, res.payments)
	}
}
