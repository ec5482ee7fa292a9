package tokencc_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// rogue is the chaincode a hostile province runs on its peers: it ignores
// the request and performs its writes, whatever they are.
type rogue []func(shim.ChaincodeStubInterface) error

func (rogue) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (r rogue) Invoke(s shim.ChaincodeStubInterface) *peer.Response {
	for _, w := range r {
		if err := w(s); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}

func put(k string, v []byte) func(shim.ChaincodeStubInterface) error {
	return func(s shim.ChaincodeStubInterface) error { return s.PutState(k, v) }
}

func del(k string) func(shim.ChaincodeStubInterface) error {
	return func(s shim.ChaincodeStubInterface) error { return s.DelState(k) }
}

func setPolicy(k string, ep []byte) func(shim.ChaincodeStubInterface) error {
	return func(s shim.ChaincodeStubInterface) error { return s.SetStateValidationParameter(k, ep) }
}

// coalitions are every province alone and every pair of provinces.
func coalitions() [][]string {
	var out [][]string
	for i, a := range orgs {
		out = append(out, []string{a})
		for _, b := range orgs[i+1:] {
			out = append(out, []string{a, b})
		}
	}
	return out
}

// world is the honest state the attacks start from: one key of every type.
type world struct {
	e *env
	// keys by name: the key of each type the attacks aim at.
	keys map[string]string
}

// edit returns key's committed JSON with fields changed.
func (w *world) edit(key string, fields map[string]any) []byte {
	w.e.TB.Helper()
	v := w.e.L.Get(key)
	if v == nil {
		w.e.TB.Fatalf("no key %q", key)
	}
	var m map[string]any
	if err := json.Unmarshal(v, &m); err != nil {
		w.e.TB.Fatalf("key %q: %v", key, err)
	}
	for f, x := range fields {
		if _, ok := m[f]; !ok {
			w.e.TB.Fatalf("key %q has no field %q: %s", key, f, v)
		}
		m[f] = x
	}
	b, err := json.Marshal(m)
	if err != nil {
		w.e.TB.Fatal(err)
	}
	return b
}

// honestWorld creates, through the real chaincode endorsed and validated
// on all four provinces, one key of every type: accounts (one frozen),
// outputs, spent tombstones, a payment record, statement entries, a daily
// counter, the supply, the configuration, a ceiling, a pending proposal
// with its approval, an executed mint proposal with its mint record and
// reserve reference, a merge record and a redemption record.
func honestWorld(tb testing.TB) *world {
	f := newFixture(tb)
	f.fundAlice("fund", "3000")
	spentOut := f.aliceOut
	p := f.pay(api.TransferRequest{PaymentID: "SH-ICBC:p1", From: alice, To: bob, Amount: y("10"), Inputs: []string{f.aliceOut}})
	// A merge of two shop outputs and a redemption from the reserve.
	q1 := f.pay(api.TransferRequest{PaymentID: "SH-PBC:m1", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{f.shOut}})
	q2 := f.pay(api.TransferRequest{PaymentID: "SH-PBC:m2", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{q1.ChangeOutputs[0]}})
	g := cctest.Must(f.env, actor(shICBC), api.Merge, api.MergeRequest{MergeID: "SH-ICBC:g1", Account: shop, Inputs: []string{q1.PayeeOutput, q2.PayeeOutput}})
	red := f.Decide(SH, api.ProposeRequest{Action: api.ActionRedeem, Redeem: &api.RedeemParams{Account: shReserve, Amount: y("5")}}, []string{q2.ChangeOutputs[0]})
	f.freeze(bella, "review")
	pending := api.ProposeRequest{ID: "JiangsuMSP:pending", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: JS, Ceiling: y("1")}}
	cctest.Must(f.env, issuer(JS), api.Propose, pending)

	w := &world{e: f.env, keys: map[string]string{}}
	first := func(name string, keys []string) {
		if len(keys) == 0 {
			tb.Fatalf("the honest transactions wrote no %s key", name)
		}
		w.keys[name] = keys[0]
	}
	w.keys["output"] = ckey(nsOutput, bob, p.PayeeOutput)
	w.keys["change output"] = ckey(nsOutput, alice, p.ChangeOutputs[0])
	w.keys["reserve output"] = ckey(nsOutput, shReserve, red.Redemption.ChangeOutputs[0])
	w.keys["merged output"] = ckey(nsOutput, shop, g.Output)
	w.keys["account"] = ckey(nsAccount, alice)
	w.keys["frozen account"] = ckey(nsAccount, bella)
	w.keys["spent"] = ckey(nsSpent, spentOut)
	w.keys["payment"] = ckey(nsPayment, "SH-ICBC:p1")
	first("statement", f.keysOf(nsStmt, bob))
	first("daily", f.keysOf(nsDaily, alice))
	w.keys["supply"] = ckey(nsSupply)
	w.keys["config"] = ckey(nsConfig)
	w.keys["ceiling"] = ckey(nsCeiling, SH)
	w.keys["pending proposal"] = ckey(nsProp, pending.ID)
	w.keys["executed proposal"] = ckey(nsProp, red.Proposal.ID)
	first("approval", f.keysOf(nsAppr, pending.ID))
	first("mint", f.keysOf(nsMint))
	first("reserve ref", f.keysOf(nsReserve, SH))
	w.keys["merge"] = ckey(nsMerge, "SH-ICBC:g1")
	w.keys["redemption"] = ckey(nsRedeem, red.Proposal.ID)
	for name, k := range w.keys {
		if f.L.Get(k) == nil {
			tb.Fatalf("%s key %q is not on the ledger", name, k)
		}
	}
	return w
}

// attack is one rogue transaction: its writes, built against the honest
// world for a coalition.
type attack struct {
	keyType, name string
	writes        func(w *world, coalition []string) rogue
	// owner is the province owning the key when the attack targets an
	// existing owned key: then the three other provinces together must
	// fail too (the owner's peer must endorse every change to its keys).
	owner string
}

func attacks() []attack {
	// weak is a policy every single province satisfies.
	weakSet, err := keypolicy.New(orgs, 1, 1)
	if err != nil {
		panic(err)
	}
	weak := weakSet.Quorum()
	k := func(w *world, name string) string { return w.keys[name] }
	output := func(account, id, amount string) []byte {
		b, _ := json.Marshal(api.Output{ID: id, Account: account, Amount: y(amount), TxID: "forged", CreatedAt: day0})
		return b
	}
	rewrite := func(name string, fields map[string]any) func(*world, []string) rogue {
		return func(w *world, _ []string) rogue { return rogue{put(k(w, name), w.edit(k(w, name), fields))} }
	}
	remove := func(name string) func(*world, []string) rogue {
		return func(w *world, _ []string) rogue { return rogue{del(k(w, name))} }
	}
	weaken := func(name string) func(*world, []string) rogue {
		return func(w *world, _ []string) rogue { return rogue{setPolicy(k(w, name), weak)} }
	}
	return []attack{
		{"output", "inflate", rewrite("output", map[string]any{"amount": "99999999.00"}), JS},
		{"output", "inflate the owner's change", rewrite("change output", map[string]any{"amount": "99999999.00"}), SH},
		{"output", "inflate a reserve output", rewrite("reserve output", map[string]any{"amount": "99999999.00"}), SH},
		{"output", "create from nothing", func(w *world, c []string) rogue {
			return rogue{put(ckey(nsOutput, alice, "forged.0"), output(alice, "forged.0", "5000"))}
		}, ""},
		{"output", "create from nothing with its own weak policy", func(w *world, c []string) rogue {
			key := ckey(nsOutput, bob, "forged.0")
			return rogue{put(key, output(bob, "forged.0", "5000")), setPolicy(key, weak)}
		}, ""},
		{"output", "delete", remove("output"), JS},
		{"output", "move to another account", func(w *world, c []string) rogue {
			var o api.Output
			_ = json.Unmarshal(w.e.L.Get(k(w, "merged output")), &o)
			return rogue{del(k(w, "merged output")), put(ckey(nsOutput, bella, o.ID), output(bella, o.ID, o.Amount.String()))}
		}, ""},
		{"output", "change policy", weaken("output"), JS},
		{"output", "drop policy", func(w *world, _ []string) rogue { return rogue{setPolicy(k(w, "output"), nil)} }, ""},
		{"account", "raise the tier", rewrite("account", map[string]any{"tier": api.TierUnlimited}), SH},
		{"account", "unfreeze", rewrite("frozen account", map[string]any{"status": string(api.StatusActive), "reasonHash": ""}), SH},
		{"account", "move to another bank", rewrite("account", map[string]any{"bank": shBOC}), SH},
		{"account", "move to another province", rewrite("account", map[string]any{"ownerMsp": JS}), SH},
		{"account", "delete", remove("account"), SH},
		{"account", "change policy", weaken("account"), SH},
		{"daily", "reset the counter", rewrite("daily", map[string]any{"outflow": "0.00"}), SH},
		{"daily", "delete the counter", remove("daily"), SH},
		{"spent", "delete the tombstone", remove("spent"), ""},
		{"spent", "rewrite the tombstone", rewrite("spent", map[string]any{"spentBy": "nobody"}), ""},
		{"spent", "change policy", weaken("spent"), ""},
		{"payment", "rewrite the amount", rewrite("payment", map[string]any{"amount": "0.01"}), ""},
		{"payment", "delete", remove("payment"), ""},
		{"payment", "forge one", func(w *world, c []string) rogue {
			return rogue{put(ckey(nsPayment, "JS-ABC:forged"), w.e.L.Get(k(w, "payment")))}
		}, ""},
		{"statement", "rewrite an entry", rewrite("statement", map[string]any{"amount": "0.01"}), ""},
		{"statement", "forge an entry", func(w *world, c []string) rogue {
			return rogue{put(ckey(nsStmt, bob, "2025-06-02T01:00:00.000000000Z", "forged", "00000"), w.e.L.Get(k(w, "statement")))}
		}, ""},
		{"supply", "write the supply", rewrite("supply", map[string]any{"total": "1.00"}), ""},
		{"supply", "delete the supply", remove("supply"), ""},
		{"supply", "change policy", weaken("supply"), ""},
		{"config", "rewrite the quorum", rewrite("config", map[string]any{"quorum": 1, "ownerEndorsers": 1}), ""},
		{"config", "drop a province", rewrite("config", map[string]any{"orgs": []string{JS, SH}}), ""},
		{"config", "delete", remove("config"), ""},
		{"config", "change policy", weaken("config"), ""},
		{"ceiling", "raise the ceiling", rewrite("ceiling", map[string]any{"ceiling": "99999999999.00"}), ""},
		{"ceiling", "reset what was issued", rewrite("ceiling", map[string]any{"issued": "0.00"}), ""},
		{"ceiling", "create one for a province without", func(w *world, c []string) rogue {
			b, _ := json.Marshal(api.Ceiling{MSP: ZJ, Ceiling: y("99999999")})
			return rogue{put(ckey(nsCeiling, ZJ), b)}
		}, ""},
		{"proposal", "mark executed", rewrite("pending proposal", map[string]any{"status": api.ProposalExecuted}), ""},
		{"proposal", "reopen an executed one", rewrite("executed proposal", map[string]any{"status": api.ProposalPending}), ""},
		{"proposal", "lower the rule", rewrite("pending proposal", map[string]any{"rule": map[string]any{"role": "issuer", "provinces": 1, "identities": 1}}), ""},
		{"proposal", "forge one", func(w *world, c []string) rogue {
			return rogue{put(ckey(nsProp, c[0]+":forged"), w.e.L.Get(k(w, "pending proposal")))}
		}, ""},
		{"proposal", "change policy", weaken("pending proposal"), ""},
		{"approval", "forge approvals of the coalition", func(w *world, c []string) rogue {
			var r rogue
			for _, msp := range c {
				b, _ := json.Marshal(api.Approval{ProposalID: "JiangsuMSP:pending", MSP: msp, Identity: "forged-" + msp, Role: api.RoleIssuer, TxID: "forged", At: day0})
				r = append(r, put(ckey(nsAppr, "JiangsuMSP:pending", msp, "forged-"+msp), b))
			}
			return r
		}, ""},
		{"approval", "delete", remove("approval"), ""},
		{"approval", "change policy", weaken("approval"), ""},
		{"mint", "delete the mint record", remove("mint"), ""},
		{"mint", "free the reserve reference", remove("reserve ref"), ""},
		{"mint", "rewrite the mint record", rewrite("mint", map[string]any{"amount": "1.00"}), ""},
		{"merge", "rewrite the record", rewrite("merge", map[string]any{"amount": "999.00"}), ""},
		{"redemption", "delete the record", remove("redemption"), ""},
	}
}

// TestCoalitions is the security table: for every province alone and
// every pair of provinces, a rogue chaincode endorsed only by that
// coalition tries to create, alter or delete a key of every type, or to
// change its policy. Every attempt commits as ENDORSEMENT_POLICY_FAILURE
// and leaves the state unchanged. Then the honest three provinces still
// settle a payment while the fourth does not endorse.
func TestCoalitions(t *testing.T) {
	w := honestWorld(t)
	l := w.e.L
	for _, c := range coalitions() {
		name := strings.Join(c, "+")
		for _, a := range attacks() {
			t.Run(name+"/"+a.keyType+"/"+a.name, func(t *testing.T) {
				ww := &world{e: w.e.with(t), keys: w.keys}
				r := a.writes(ww, c)
				before := l.Snapshot()
				en := l.Endorse(r, memstub.Tx{Creator: cctest.Ident(c[0], api.RoleAdmin, "", "rogue"), Fn: "rogue", Endorsers: c})
				// The fault happened: the coalition endorsed the writes.
				if !en.OK() || len(en.Stub.Writes()) == 0 && !wroteAnyPolicy(en.Stub, w) {
					t.Fatalf("the rogue transaction did not endorse its writes: %s", en.Message)
				}
				if !reflect.DeepEqual(en.Endorsers, c) {
					t.Fatalf("endorsed by %v, want %v", en.Endorsers, c)
				}
				b, err := l.Commit(en)
				if err != nil {
					t.Fatal(err)
				}
				if code := b.Txs[0].Code; code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
					t.Fatalf("committed as %s, want ENDORSEMENT_POLICY_FAILURE", code)
				}
				if en.Committed || !reflect.DeepEqual(before, l.Snapshot()) {
					t.Fatal("the state changed")
				}
			})
		}
	}

	// Three provinces without the owner cannot change the owner's keys.
	for _, a := range attacks() {
		if a.owner == "" {
			continue
		}
		var c []string
		for _, m := range orgs {
			if m != a.owner {
				c = append(c, m)
			}
		}
		t.Run("three without the owner/"+a.keyType+"/"+a.name, func(t *testing.T) {
			ww := &world{e: w.e.with(t), keys: w.keys}
			before := l.Snapshot()
			en := l.Endorse(a.writes(ww, c), memstub.Tx{Creator: admin(c[0]), Fn: "rogue", Endorsers: c})
			b, err := l.Commit(en)
			if err != nil {
				t.Fatal(err)
			}
			if code := b.Txs[0].Code; code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
				t.Fatalf("committed as %s, want ENDORSEMENT_POLICY_FAILURE", code)
			}
			if !reflect.DeepEqual(before, l.Snapshot()) {
				t.Fatal("the state changed")
			}
		})
	}

	// The honest three settle while the fourth does not endorse, unless
	// the absent one owns the spent outputs.
	o := w.e.mint(shReserve, y("100"))
	for i, absent := range []string{AH, ZJ, JS, SH} {
		var endorsers []string
		for _, m := range orgs {
			if m != absent {
				endorsers = append(endorsers, m)
			}
		}
		want := peer.TxValidationCode_VALID
		if absent == SH {
			want = peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
		}
		t.Run(fmt.Sprintf("honest/%s absent/payment from Shanghai to Jiangsu", absent), func(t *testing.T) {
			req := api.TransferRequest{PaymentID: fmt.Sprintf("SH-PBC:h%d", i), From: shReserve, To: bob, Amount: y("1"), Inputs: []string{o}}
			en := l.Endorse(w.e.CC, memstub.Tx{Creator: issuer(SH), Fn: api.Transfer.Function(), Args: []string{cctest.Encode(req)}, Endorsers: endorsers})
			if !en.OK() {
				t.Fatal(en.Message)
			}
			before := l.Snapshot()
			b, err := l.Commit(en)
			if err != nil {
				t.Fatal(err)
			}
			if code := b.Txs[0].Code; code != want {
				t.Fatalf("committed as %s, want %s", code, want)
			}
			if want != peer.TxValidationCode_VALID {
				if !reflect.DeepEqual(before, l.Snapshot()) {
					t.Fatal("the state changed")
				}
				return
			}
			p, err := api.Transfer.DecodeResponse(en.Payload)
			if err != nil {
				t.Fatal(err)
			}
			o = p.ChangeOutputs[0]
		})
	}
	if got := w.e.Balance(bob); got != y("13") {
		t.Fatalf("bob %s after three honest payments, want 13.00", got)
	}

	// Control: the same kind of write endorsed by the owner and two others
	// is valid. What stops the coalitions above is the policy, not the
	// harness.
	t.Run("control/owner and two others/inflate an output", func(t *testing.T) {
		ww := &world{e: w.e.with(t), keys: w.keys}
		key := w.keys["output"] // bob's, Jiangsu's
		en := l.Endorse(rogue{put(key, ww.edit(key, map[string]any{"amount": "99999999.00"}))},
			memstub.Tx{Creator: admin(JS), Fn: "rogue", Endorsers: []string{JS, SH, ZJ}})
		b, err := l.Commit(en)
		if err != nil {
			t.Fatal(err)
		}
		if code := b.Txs[0].Code; code != peer.TxValidationCode_VALID {
			t.Fatalf("committed as %s, want VALID", code)
		}
	})
}

// wroteAnyPolicy reports whether the rogue transaction set a policy on one
// of the world's keys (an attack that writes no value).
func wroteAnyPolicy(s *memstub.Stub, w *world) bool {
	for _, k := range w.keys {
		if _, ok := s.ValidationParameterWritten(k); ok {
			return true
		}
	}
	return false
}
