package dispatch_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

const (
	SH = "ShanghaiMSP"
	JS = "JiangsuMSP"
	ZJ = "ZhejiangMSP"
	AH = "AnhuiMSP"
)

var day0 = time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC)

func TestCovers(t *testing.T) {
	shA := dispatch.Owner{MSP: SH, Bank: "SH-ICBC"}
	shB := dispatch.Owner{MSP: SH, Bank: "SH-BOC"}
	jsA := dispatch.Owner{MSP: JS, Bank: "SH-ICBC"} // same code, other province
	jsC := dispatch.Owner{MSP: JS, Bank: "JS-ABC"}
	tests := []struct {
		name   string
		scope  api.Scope
		caller api.Caller
		owners []dispatch.Owner
		want   bool
	}{
		{"any covers another province", api.ScopeAny, api.Caller{MSPID: ZJ}, []dispatch.Owner{jsC}, true},
		{"any covers a record without owners", api.ScopeAny, api.Caller{MSPID: ZJ}, nil, true},
		{"province covers its bank A", api.ScopeProvince, api.Caller{MSPID: SH}, []dispatch.Owner{shA}, true},
		{"province covers its bank B", api.ScopeProvince, api.Caller{MSPID: SH}, []dispatch.Owner{shB}, true},
		{"province does not cover another province", api.ScopeProvince, api.Caller{MSPID: SH}, []dispatch.Owner{jsC}, false},
		{"province covers a payment into it", api.ScopeProvince, api.Caller{MSPID: JS}, []dispatch.Owner{shA, jsC}, true},
		{"bank covers its own", api.ScopeBank, api.Caller{MSPID: SH, Bank: "SH-ICBC"}, []dispatch.Owner{shA}, true},
		{"bank does not cover another bank of its province", api.ScopeBank, api.Caller{MSPID: SH, Bank: "SH-ICBC"}, []dispatch.Owner{shB}, false},
		{"bank does not cover its code in another province", api.ScopeBank, api.Caller{MSPID: SH, Bank: "SH-ICBC"}, []dispatch.Owner{jsA}, false},
		{"bank covers a payment it receives", api.ScopeBank, api.Caller{MSPID: JS, Bank: "JS-ABC"}, []dispatch.Owner{shA, jsC}, true},
		{"bank does not cover a payment between others", api.ScopeBank, api.Caller{MSPID: SH, Bank: "SH-BOC"}, []dispatch.Owner{shA, jsC}, false},
		{"an empty bank covers nothing bank-owned", api.ScopeBank, api.Caller{MSPID: SH}, []dispatch.Owner{shA}, false},
		{"an unknown scope is the narrowest: its own bank", "", api.Caller{MSPID: SH, Bank: "SH-ICBC"}, []dispatch.Owner{shA}, true},
		{"an unknown scope is the narrowest: not another bank", "", api.Caller{MSPID: SH, Bank: "SH-ICBC"}, []dispatch.Owner{shB}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &dispatch.Call{Scope: tt.scope, Caller: tt.caller}
			if got := c.InScope(tt.owners...); got != tt.want {
				t.Fatalf("InScope = %v, want %v", got, tt.want)
			}
			err := c.Covers("account X", tt.owners...)
			if tt.want != (err == nil) {
				t.Fatalf("Covers = %v", err)
			}
			if err != nil && api.CodeOf(err) != api.CodeNotFound {
				t.Fatalf("Covers code %s, want NOT_FOUND", api.CodeOf(err))
			}
		})
	}
}

// probe is a contract whose methods run dispatch.Run with real api
// operations and report what the door gave them.
type probe struct{ contractapi.Contract }

// seen is what a body received from the door.
type seen struct {
	Caller api.Caller `json:"caller"`
	Scope  api.Scope  `json:"scope"`
	Quorum int        `json:"quorum"`
	TxID   string     `json:"txId"`
	Time   time.Time  `json:"time"`
}

func report(c *dispatch.Call) string {
	b, _ := json.Marshal(seen{Caller: c.Caller, Scope: c.Scope, Quorum: c.Config.Quorum, TxID: c.TxID, Time: c.Time})
	return string(b)
}

// Submit runs api.Ping (submit; operator, admin): it emits two events, or
// fails after emitting when the note says "fail".
func (p *probe) Submit(ctx contractapi.TransactionContextInterface, arg string) (string, error) {
	return dispatch.Run(ctx, api.Ping, arg, func(c *dispatch.Call, r api.PingRequest) (api.PingRecord, error) {
		c.Emit(api.Event{Type: api.EventAccountOpened, ID: r.ID + "-1"})
		c.Emit(api.Event{Type: api.EventFrozen, ID: r.ID + "-2"})
		if r.Note == "fail" {
			return api.PingRecord{}, api.Errorf(api.CodeInvalidArgument, "told to fail")
		}
		return api.PingRecord{ID: r.ID, Note: report(c)}, nil
	})
}

// Read runs api.GetBalance (evaluate; bank readers, compliance, auditors)
// and emits an event, which must not be published.
func (p *probe) Read(ctx contractapi.TransactionContextInterface, arg string) (string, error) {
	return dispatch.Run(ctx, api.GetBalance, arg, func(c *dispatch.Call, r api.AccountRequest) (api.Balance, error) {
		c.Emit(api.Event{Type: api.EventFrozen, ID: r.ID})
		return api.Balance{Account: report(c)}, nil
	})
}

// Who runs api.WhoAmI (configuration optional).
func (p *probe) Who(ctx contractapi.TransactionContextInterface, arg string) (string, error) {
	return dispatch.Run(ctx, api.WhoAmI, arg, func(c *dispatch.Call, _ api.Empty) (api.Caller, error) {
		return api.Caller{ID: report(c)}, nil
	})
}

func newProbe() *contractapi.ContractChaincode {
	p := &probe{}
	p.Name = "probe"
	cc, err := contractapi.NewChaincode(p)
	if err != nil {
		panic(err)
	}
	return cc
}

var probeCC = newProbe()

// configured writes cfg as the ledger's configuration record (what gov:Init
// does) and returns the ledger.
func configured(t *testing.T, cfg *api.Config) *memstub.Ledger {
	t.Helper()
	l := memstub.NewLedger(day0)
	if cfg == nil {
		return l
	}
	s := l.NewStub(memstub.Tx{Time: day0})
	k, err := dispatch.ConfigKey(s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cfg)
	if err := s.PutState(k, b); err != nil {
		t.Fatal(err)
	}
	s.Commit()
	return l
}

func defaultConfig() *api.Config {
	return &api.Config{Orgs: []string{AH, JS, SH, ZJ}, OwnerEndorsers: 2, Quorum: 3,
		BankPrefixes: map[string]string{AH: "AH-", JS: "JS-", SH: "SH-", ZJ: "ZJ-"}}
}

func codeOf(msg string) api.Code {
	i := strings.Index(msg, ": ")
	if i < 0 {
		return ""
	}
	return api.Code(msg[:i])
}

func id(msp string, attrs map[string]string) *memstub.Identity {
	return memstub.MustIdentity(msp, fmt.Sprint(attrs), attrs)
}

// TestAdmit: who gets through the door, with which scope.
func TestAdmit(t *testing.T) {
	op := map[string]string{"role": "operator", "bank": "SH-ICBC"}
	tests := []struct {
		name  string
		cfg   *api.Config
		who   *memstub.Identity
		fn    string
		code  api.Code
		scope api.Scope
	}{
		{"an operator reads with its bank's scope", defaultConfig(), id(SH, op), "probe:Read", "", api.ScopeBank},
		{"compliance reads with its province's scope", defaultConfig(), id(SH, map[string]string{"role": "compliance"}), "probe:Read", "", api.ScopeProvince},
		{"an auditor reads everything", defaultConfig(), id(SH, map[string]string{"role": "auditor"}), "probe:Read", "", api.ScopeAny},
		{"an issuer reads with its bank's scope", defaultConfig(), id(SH, map[string]string{"role": "issuer", "bank": "SH-PBC"}), "probe:Read", "", api.ScopeBank},
		{"an admin may not read balances", defaultConfig(), id(SH, map[string]string{"role": "admin"}), "probe:Read", api.CodeForbidden, ""},
		{"no role", defaultConfig(), id(SH, map[string]string{"bank": "SH-ICBC"}), "probe:Read", api.CodeForbidden, ""},
		{"an unknown role", defaultConfig(), id(SH, map[string]string{"role": "root", "bank": "SH-ICBC"}), "probe:Read", api.CodeForbidden, ""},
		{"an operator without a bank", defaultConfig(), id(SH, map[string]string{"role": "operator"}), "probe:Read", api.CodeForbidden, ""},
		{"an issuer without a bank", defaultConfig(), id(SH, map[string]string{"role": "issuer"}), "probe:Read", api.CodeForbidden, ""},
		{"a fiscal bureau without a bank", defaultConfig(), id(SH, map[string]string{"role": "fiscal"}), "probe:Read", api.CodeForbidden, ""},
		{"a lower-case bank", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "sh-icbc"}), "probe:Read", api.CodeForbidden, ""},
		{"a one-letter bank", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "A"}), "probe:Read", api.CodeForbidden, ""},
		{"a bank with a namespace separator", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "SH:X"}), "probe:Read", api.CodeForbidden, ""},
		{"an MSP that is not a province", defaultConfig(), id("EvilMSP", op), "probe:Read", api.CodeForbidden, ""},
		{"an operator pings with its province's scope", defaultConfig(), id(SH, op), "probe:Submit", "", api.ScopeProvince},
		{"compliance may not ping", defaultConfig(), id(SH, map[string]string{"role": "compliance"}), "probe:Submit", api.CodeForbidden, ""},
		{"before gov:Init a required operation", nil, id(SH, op), "probe:Read", api.CodeNotConfigured, ""},
		{"before gov:Init an optional operation", nil, id(SH, op), "probe:Who", "", api.ScopeProvince},
		{"before gov:Init any MSP reaches an optional operation", nil, id("EvilMSP", op), "probe:Who", "", api.ScopeProvince},
		{"once configured an optional operation checks the MSP", defaultConfig(), id("EvilMSP", op), "probe:Who", api.CodeForbidden, ""},
		// A bank belongs to the province whose prefix its code extends:
		// another province's CA cannot issue a certificate for it.
		{"an operator of another province's bank", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "JS-ABC"}), "probe:Read", api.CodeForbidden, ""},
		{"an issuer of another province's central bank", defaultConfig(), id(SH, map[string]string{"role": "issuer", "bank": "JS-PBC"}), "probe:Read", api.CodeForbidden, ""},
		{"a fiscal bureau of another province", defaultConfig(), id(AH, map[string]string{"role": "fiscal", "bank": "SH-FIN"}), "probe:Read", api.CodeForbidden, ""},
		{"a bank code outside every prefix", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "ICBC"}), "probe:Read", api.CodeForbidden, ""},
		{"a bank code that is only the prefix", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "SH-"}), "probe:Read", api.CodeForbidden, ""},
		{"another province's bank submits", defaultConfig(), id(ZJ, map[string]string{"role": "operator", "bank": "SH-ICBC"}), "probe:Submit", api.CodeForbidden, ""},
		{"a role without a bank carrying another province's bank", defaultConfig(), id(SH, map[string]string{"role": "compliance", "bank": "JS-ABC"}), "probe:Read", api.CodeForbidden, ""},
		{"once configured an optional operation checks the bank", defaultConfig(), id(SH, map[string]string{"role": "operator", "bank": "JS-ABC"}), "probe:Who", api.CodeForbidden, ""},
		{"its own province's bank", defaultConfig(), id(JS, map[string]string{"role": "operator", "bank": "JS-ABC"}), "probe:Read", "", api.ScopeBank},
		{"a role without a bank carrying its own province's bank", defaultConfig(), id(SH, map[string]string{"role": "compliance", "bank": "SH-ICBC"}), "probe:Read", "", api.ScopeProvince},
		{"before gov:Init there are no prefixes to check", nil, id(SH, map[string]string{"role": "operator", "bank": "JS-ABC"}), "probe:Who", "", api.ScopeProvince},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := configured(t, tt.cfg)
			arg := `{"id":"SH-ICBC:a"}`
			if tt.fn == "probe:Who" {
				arg = `{}`
			}
			r := l.Evaluate(probeCC, memstub.Tx{Creator: tt.who, Fn: tt.fn, Args: []string{arg}})
			if tt.code != "" {
				if r.OK() || codeOf(r.Message) != tt.code {
					t.Fatalf("ok=%v %q, want %s", r.OK(), r.Message, tt.code)
				}
				return
			}
			if !r.OK() {
				t.Fatal(r.Message)
			}
			var s seen
			if err := json.Unmarshal([]byte(reported(t, tt.fn, r.Payload)), &s); err != nil {
				t.Fatal(err)
			}
			if s.Scope != tt.scope || s.Caller.MSPID != tt.who.MSPID || s.TxID != r.TxID || s.Time.IsZero() {
				t.Fatalf("the body saw %+v", s)
			}
			if (tt.cfg == nil) != (s.Quorum == 0) {
				t.Fatalf("the body saw quorum %d with config %v", s.Quorum, tt.cfg)
			}
		})
	}
}

// reported extracts the report a probe method put in its answer.
func reported(t *testing.T, fn string, payload []byte) string {
	t.Helper()
	var v struct {
		ID      string `json:"id"`
		Note    string `json:"note"`
		Account string `json:"account"`
	}
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatal(err)
	}
	switch fn {
	case "probe:Submit":
		return v.Note
	case "probe:Read":
		return v.Account
	}
	return v.ID
}

// TestOneEnvelope: a submitted call publishes its events as one envelope,
// in order; a failed call and an evaluation publish none.
func TestOneEnvelope(t *testing.T) {
	l := configured(t, defaultConfig())
	op := id(SH, map[string]string{"role": "operator", "bank": "SH-ICBC"})
	r := l.Evaluate(probeCC, memstub.Tx{Creator: op, Fn: "probe:Submit", Args: []string{`{"id":"p1"}`}})
	if !r.OK() || len(r.Events) != 1 || r.Events[0].Name != api.EventName {
		t.Fatalf("%s: %d events", r.Message, len(r.Events))
	}
	var env api.Envelope
	if err := json.Unmarshal(r.Events[0].Payload, &env); err != nil {
		t.Fatal(err)
	}
	if env.Version != api.EnvelopeVersion || env.TxID != r.TxID || env.Timestamp.IsZero() || len(env.Events) != 2 ||
		env.Events[0].ID != "p1-1" || env.Events[1].ID != "p1-2" {
		t.Fatalf("envelope %+v", env)
	}
	tests := []struct{ name, fn, arg string }{
		{"the body fails after emitting", "probe:Submit", `{"id":"p1","note":"fail"}`},
		{"an evaluation emits", "probe:Read", `{"id":"SH-ICBC:a"}`},
		{"an unknown key", "probe:Submit", `{"id":"p1","extra":1}`},
		{"a case-folded key", "probe:Submit", `{"ID":"p1"}`},
		{"a duplicate key", "probe:Submit", `{"id":"p1","id":"p2"}`},
		{"two JSON values", "probe:Submit", `{"id":"p1"}{"id":"p2"}`},
		{"not JSON", "probe:Submit", `id=p1`},
		{"invalid by the request's own rule", "probe:Submit", `{"id":"p 1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := l.Evaluate(probeCC, memstub.Tx{Creator: op, Fn: tt.fn, Args: []string{tt.arg}})
			if len(r.Events) != 0 {
				t.Fatalf("%d events published", len(r.Events))
			}
			if tt.fn == "probe:Submit" && (r.OK() || codeOf(r.Message) != api.CodeInvalidArgument) {
				t.Fatalf("ok=%v %q, want INVALID_ARGUMENT", r.OK(), r.Message)
			}
		})
	}
}

// TestClockSkew: the door compares the transaction's timestamp with the
// endorser's clock, within the configured bound, for every operation that
// reads the configuration.
func TestClockSkew(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxClockSkewSeconds = 10
	op := id(SH, map[string]string{"role": "operator", "bank": "SH-ICBC"})
	tests := []struct {
		name string
		cfg  *api.Config
		fn   string
		skew time.Duration
		code api.Code
	}{
		{"in step", cfg, "probe:Read", 0, ""},
		{"at the bound, peer ahead", cfg, "probe:Read", 10 * time.Second, ""},
		{"at the bound, peer behind", cfg, "probe:Read", -10 * time.Second, ""},
		{"past the bound, peer ahead", cfg, "probe:Read", 11 * time.Second, api.CodeClockSkew},
		{"past the bound, peer behind", cfg, "probe:Read", -11 * time.Second, api.CodeClockSkew},
		{"a submit past the bound", cfg, "probe:Submit", 11 * time.Second, api.CodeClockSkew},
		{"an optional operation once configured", cfg, "probe:Who", time.Hour, api.CodeClockSkew},
		{"the default bound holds 300 s", defaultConfig(), "probe:Read", 300 * time.Second, ""},
		{"the default bound refuses 301 s", defaultConfig(), "probe:Read", -301 * time.Second, api.CodeClockSkew},
		{"before gov:Init there is no bound to check", nil, "probe:Who", time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := configured(t, tt.cfg)
			d := tt.skew
			l.PeerClock = func(tx time.Time) time.Time { return tx.Add(d) }
			arg := `{"id":"SH-ICBC:a"}`
			if tt.fn == "probe:Who" {
				arg = `{}`
			}
			r := l.Evaluate(probeCC, memstub.Tx{Creator: op, Fn: tt.fn, Args: []string{arg}})
			if tt.code == "" {
				if !r.OK() {
					t.Fatal(r.Message)
				}
				return
			}
			if r.OK() || codeOf(r.Message) != tt.code {
				t.Fatalf("ok=%v %q, want %s", r.OK(), r.Message, tt.code)
			}
			if len(r.Events) != 0 || len(r.Stub.Writes()) != 0 {
				t.Fatal("a refused call wrote or emitted")
			}
		})
	}
}

// TestLoadConfig: the configuration comes from the ledger, validated.
func TestLoadConfig(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		l := configured(t, nil)
		_, _, err := dispatch.LoadConfig(l.NewStub(memstub.Tx{Time: day0}))
		if api.CodeOf(err) != api.CodeNotConfigured {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("invalid stored configuration", func(t *testing.T) {
		l := configured(t, &api.Config{Orgs: []string{SH}, Quorum: 9})
		_, _, err := dispatch.LoadConfig(l.NewStub(memstub.Tx{Time: day0}))
		if api.CodeOf(err) != api.CodeInternal {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a stored configuration without bank prefixes", func(t *testing.T) {
		cfg := defaultConfig()
		cfg.BankPrefixes = nil
		l := configured(t, cfg)
		_, _, err := dispatch.LoadConfig(l.NewStub(memstub.Tx{Time: day0}))
		if api.CodeOf(err) != api.CodeInternal {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("many configurations in turn, past the cache's size", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			cfg := defaultConfig()
			cfg.MaxClockSkewSeconds = 1 + i%12
			l := configured(t, cfg)
			got, pol, err := dispatch.LoadConfig(l.NewStub(memstub.Tx{Time: day0}))
			if err != nil || got.MaxClockSkewSeconds != cfg.MaxClockSkewSeconds || pol == nil {
				t.Fatalf("round %d: %+v %v", i, got, err)
			}
			if orgs := pol.Orgs(); strings.Join(orgs, ",") != strings.Join(cfg.Orgs, ",") {
				t.Fatalf("round %d: policies for %v", i, orgs)
			}
		}
	})
}
