package probecc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

func TestScriptValidation(t *testing.T) {
	ck := "\x00probe\x00r\x00a\x00"
	long := strings.Repeat("x", api.MaxProbeKeyLen)
	for _, tc := range []struct {
		name, script string
		ok           bool
	}{
		{"get of a composite key", `{"steps":[{"op":"get","key":"\u0000probe\u0000r\u0000a\u0000"}]}`, true},
		{"get of a simple key", `{"steps":[{"op":"get","key":"probe/r/a"}]}`, true},
		{"empty put", `{"steps":[{"op":"put","key":"probe/r/a"}]}`, true},
		{"paged range", `{"steps":[{"op":"range","key":"probe/a","end":"probe/b","paged":true,"pageSize":2,"bookmark":"probe/0","limit":1}]}`, true},
		{"partial", `{"steps":[{"op":"partial","attrs":["r","a\u0000"]}]}`, true},
		{"policy", `{"steps":[{"op":"setPolicy","key":"probe/a","orgs":["AMSP","BMSP"],"quorum":2}]}`, true},
		{"event", `{"steps":[{"op":"event","name":"e","value":"x"}]}`, true},
		{"no steps", `{"steps":[]}`, false},
		{"unknown field", `{"steps":[{"op":"get","key":"probe/a","extra":1}]}`, false},
		{"unknown op", `{"steps":[{"op":"purge","key":"probe/a"}]}`, false},
		{"field of another op", `{"steps":[{"op":"get","key":"probe/a","value":"x"}]}`, false},
		{"empty attrs on get", `{"steps":[{"op":"get","key":"probe/a","attrs":[]}]}`, false},
		{"key outside", `{"steps":[{"op":"get","key":"bench.kv"}]}`, false},
		{"composite key of another type", `{"steps":[{"op":"get","key":"\u0000bench.kv\u0000a\u0000"}]}`, false},
		{"key too long", `{"steps":[{"op":"get","key":"probe/` + long + `"}]}`, false},
		{"range without end", `{"steps":[{"op":"range","key":"probe/a"}]}`, false},
		{"range end outside", `{"steps":[{"op":"range","key":"probe/a","end":"q"}]}`, false},
		{"page size without paged", `{"steps":[{"op":"range","key":"probe/a","end":"probe/b","pageSize":2}]}`, false},
		{"paged without page size", `{"steps":[{"op":"range","key":"probe/a","end":"probe/b","paged":true}]}`, false},
		{"page too large", fmt.Sprintf(`{"steps":[{"op":"partial","attrs":["a"],"paged":true,"pageSize":%d}]}`, api.MaxPageSize+1), false},
		{"bookmark outside", `{"steps":[{"op":"partial","attrs":["a"],"paged":true,"pageSize":1,"bookmark":"\u0000bench.kv\u0000"}]}`, false},
		{"no attrs", `{"steps":[{"op":"partial","attrs":[]}]}`, false},
		{"too many attrs", `{"steps":[{"op":"partial","attrs":["1","2","3","4","5","6","7","8","9"]}]}`, false},
		{"limit too large", fmt.Sprintf(`{"steps":[{"op":"partial","attrs":["a"],"limit":%d}]}`, api.MaxProbeResults+1), false},
		{"negative limit", `{"steps":[{"op":"partial","attrs":["a"],"limit":-1}]}`, false},
		{"limit on get", `{"steps":[{"op":"get","key":"probe/a","limit":1}]}`, false},
		{"policy of one org", `{"steps":[{"op":"setPolicy","key":"probe/a","orgs":["AMSP"],"quorum":1}]}`, false},
		{"policy org twice", `{"steps":[{"op":"setPolicy","key":"probe/a","orgs":["AMSP","AMSP"],"quorum":1}]}`, false},
		{"quorum above orgs", `{"steps":[{"op":"setPolicy","key":"probe/a","orgs":["AMSP","BMSP"],"quorum":3}]}`, false},
		{"event without name", `{"steps":[{"op":"event","value":"x"}]}`, false},
		{"value too long", `{"steps":[{"op":"put","key":"probe/a","value":"` + strings.Repeat("v", api.MaxProbeValueLen+1) + `"}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.ProbeRun.DecodeRequest(tc.script)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case !tc.ok && api.CodeOf(err) != api.CodeInvalidArgument:
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
		})
	}
	many := api.ProbeScript{}
	for i := 0; i <= api.MaxProbeSteps; i++ {
		many.Steps = append(many.Steps, api.ProbeStep{Op: api.ProbeGet, Key: ck})
	}
	if err := many.Validate(); api.CodeOf(err) != api.CodeInvalidArgument {
		t.Errorf("%d steps: %v", len(many.Steps), err)
	}
}

type env struct {
	l  *memstub.Ledger
	cc *contractapi.ContractChaincode
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cc, err := contractapi.NewChaincode(New())
	if err != nil {
		t.Fatal(err)
	}
	return &env{l: memstub.NewLedger(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), cc: cc}
}

var operator = memstub.MustIdentity("ShanghaiMSP", "op", map[string]string{"role": "operator"})

func (e *env) call(t *testing.T, who *memstub.Identity, op api.Operation[api.ProbeScript, api.ProbeOutput], steps ...api.ProbeStep) (api.ProbeOutput, memstub.Result) {
	t.Helper()
	arg, err := op.Encode(api.ProbeScript{Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	r := e.l.Invoke(e.cc, memstub.Tx{Creator: who, Fn: op.Function(), Args: []string{arg}})
	var out api.ProbeOutput
	if r.OK() {
		if err := json.Unmarshal(r.Payload, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, r
}

// TestResultBudget: a script returns at most MaxProbeResults results in
// all; a step's limit stops it earlier; both mark the step truncated.
func TestResultBudget(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 200; i += 25 {
		var steps []api.ProbeStep
		for j := i; j < i+25; j++ {
			steps = append(steps, api.ProbeStep{Op: api.ProbePut, Key: fmt.Sprintf("probe/k%03d", j), Value: "v"})
		}
		if _, r := e.call(t, operator, api.ProbeRun, steps...); !r.OK() {
			t.Fatal(r.Message)
		}
	}
	all := api.ProbeStep{Op: api.ProbeRange, Key: "probe/k", End: "probe/l"}
	limited := all
	limited.Limit = 7
	out, r := e.call(t, operator, api.ProbeEval, limited, all, all)
	if !r.OK() {
		t.Fatal(r.Message)
	}
	got := []int{len(out.Results[0].KVs), len(out.Results[1].KVs), len(out.Results[2].KVs)}
	if got[0] != 7 || !out.Results[0].Truncated || got[1] != 200 || out.Results[1].Truncated ||
		got[2] != api.MaxProbeResults-207 || !out.Results[2].Truncated {
		t.Fatalf("results %v, truncated %v %v %v", got, out.Results[0].Truncated, out.Results[1].Truncated, out.Results[2].Truncated)
	}
	if out.TxID != r.TxID {
		t.Errorf("output names tx %s, want %s", out.TxID, r.TxID)
	}
}

// TestFailedStepsGoOn: a refused call is reported and the script goes on.
func TestFailedStepsGoOn(t *testing.T) {
	e := newEnv(t)
	out, r := e.call(t, operator, api.ProbeRun,
		api.ProbeStep{Op: api.ProbeRange, Key: "\x00probe\x00a\x00", End: "\x00probe\x00b\x00"},
		api.ProbeStep{Op: api.ProbePut, Key: "probe/a", Value: "1"},
	)
	if !r.OK() || !out.Results[0].Failed || out.Results[1].Failed || string(e.l.Get("probe/a")) != "1" {
		t.Fatalf("%s %+v, probe/a=%q", r.Message, out.Results, e.l.Get("probe/a"))
	}
}

func TestAccessAndEval(t *testing.T) {
	e := newEnv(t)
	get := api.ProbeStep{Op: api.ProbeGet, Key: "probe/a"}
	put := api.ProbeStep{Op: api.ProbePut, Key: "probe/a", Value: "1"}
	for _, tc := range []struct {
		name string
		who  *memstub.Identity
		op   api.Operation[api.ProbeScript, api.ProbeOutput]
		step api.ProbeStep
		want api.Code
	}{
		{"operator reads", operator, api.ProbeEval, get, ""},
		{"admin writes", memstub.MustIdentity("JiangsuMSP", "adm", map[string]string{"role": "admin"}), api.ProbeRun, put, ""},
		{"auditor refused", memstub.MustIdentity("JiangsuMSP", "aud", map[string]string{"role": "auditor"}), api.ProbeEval, get, api.CodeForbidden},
		{"eval of a write", operator, api.ProbeEval, put, api.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := e.call(t, tc.who, tc.op, tc.step)
			if got := codeOf(r); got != tc.want {
				t.Fatalf("code %q (%s), want %q", got, r.Message, tc.want)
			}
		})
	}
}

func codeOf(r memstub.Result) api.Code {
	if r.OK() {
		return ""
	}
	code, _, _ := strings.Cut(r.Message, ":")
	return api.Code(code)
}
