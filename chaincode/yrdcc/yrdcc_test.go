package yrdcc

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// metadata is the part of contractapi's org.hyperledger.fabric:GetMetadata
// answer this test reads: what the peer will actually route.
type metadata struct {
	Contracts map[string]struct {
		Transactions []struct {
			Name       string   `json:"name"`
			Tag        []string `json:"tag"`
			Parameters []struct {
				Schema struct {
					Type string `json:"type"`
				} `json:"schema"`
			} `json:"parameters"`
			Returns struct {
				Type string `json:"type"`
			} `json:"returns"`
		} `json:"transactions"`
	} `json:"contracts"`
}

func registered(t *testing.T, cc *contractapi.ContractChaincode, contracts ...string) map[string]api.Mode {
	t.Helper()
	l := memstub.NewLedger(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	id := memstub.MustIdentity("ShanghaiMSP", "admin", map[string]string{"role": "admin"})
	r := l.Invoke(cc, memstub.Tx{Creator: id, Fn: "org.hyperledger.fabric:GetMetadata"})
	if !r.OK() {
		t.Fatalf("GetMetadata: %s", r.Message)
	}
	var md metadata
	if err := json.Unmarshal(r.Payload, &md); err != nil {
		t.Fatal(err)
	}
	got := map[string]api.Mode{}
	for _, name := range contracts {
		c, ok := md.Contracts[name]
		if !ok {
			t.Fatalf("contract %s is not registered", name)
		}
		for _, tx := range c.Transactions {
			fn := name + ":" + tx.Name
			mode := api.Submit
			for _, tag := range tx.Tag {
				if tag == "evaluate" || tag == "EVALUATE" {
					mode = api.Evaluate
				}
			}
			got[fn] = mode
			if len(tx.Parameters) != 1 || tx.Parameters[0].Schema.Type != "string" || tx.Returns.Type != "string" {
				t.Errorf("%s must take one string (the JSON request) and return a string", fn)
			}
		}
	}
	return got
}

// TestContractTable fails when a contract method and package api's table
// disagree: a method without an operation, an operation without a method,
// or a different submit/evaluate mode.
func TestContractTable(t *testing.T) {
	for _, tc := range []struct {
		name      string
		build     func(string) (*contractapi.ContractChaincode, error)
		contracts []string
	}{
		{"yrd", New, []string{api.ContractSystem, api.ContractGov, api.ContractToken, api.ContractProgramme}},
		{"yrdbench", NewBench, []string{api.ContractBench, api.ContractSystem, api.ContractProbe}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, err := tc.build("test")
			if err != nil {
				t.Fatal(err)
			}
			got := registered(t, cc, tc.contracts...)
			want := map[string]api.Mode{}
			for _, c := range tc.contracts {
				for _, op := range api.ContractOps(c) {
					want[op.Function()] = op.Mode
				}
			}
			var names []string
			for fn := range got {
				names = append(names, fn)
			}
			for fn := range want {
				if _, ok := got[fn]; !ok {
					names = append(names, fn)
				}
			}
			sort.Strings(names)
			for _, fn := range names {
				g, inCode := got[fn]
				w, inTable := want[fn]
				switch {
				case !inTable:
					t.Errorf("%s is a contract method but not an api operation", fn)
				case !inCode:
					t.Errorf("%s is an api operation but no contract method", fn)
				case g != w:
					t.Errorf("%s is registered as %s, the api table says %s", fn, g, w)
				}
			}
		})
	}
}

// TestEveryOperationIsServed: every api operation belongs to a contract
// that one of the two chaincodes serves.
func TestEveryOperationIsServed(t *testing.T) {
	served := map[string]bool{}
	for _, c := range append(Contracts("t"), BenchContracts("t")...) {
		served[c.(interface{ GetName() string }).GetName()] = true
	}
	for _, op := range api.Operations() {
		if !served[op.Contract] {
			t.Errorf("%s: contract %s is not served by any chaincode", op.Function(), op.Contract)
		}
	}
}

// TestProbeOnlyInBench: the probe contract (arbitrary shim calls for the
// stub behaviour suite) is served by yrdbench and never by yrd.
func TestProbeOnlyInBench(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(string) (*contractapi.ContractChaincode, error)
		want  bool
	}{{"yrd", New, false}, {"yrdbench", NewBench, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cc, err := tc.build("test")
			if err != nil {
				t.Fatal(err)
			}
			l := memstub.NewLedger(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			id := memstub.MustIdentity("ShanghaiMSP", "admin", map[string]string{"role": "admin"})
			r := l.Invoke(cc, memstub.Tx{Creator: id, Fn: "org.hyperledger.fabric:GetMetadata"})
			if !r.OK() {
				t.Fatalf("GetMetadata: %s", r.Message)
			}
			var md metadata
			if err := json.Unmarshal(r.Payload, &md); err != nil {
				t.Fatal(err)
			}
			if _, got := md.Contracts[api.ContractProbe]; got != tc.want {
				t.Fatalf("%s serves the probe contract: %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}
