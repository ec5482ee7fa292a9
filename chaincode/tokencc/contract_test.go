package tokencc_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/money"
)

func TestOpenAccount(t *testing.T) {
	opA := actor(shICBC)
	h := hash64("ID-310101199001011234")
	tests := []struct {
		name string
		who  *memstub.Identity
		req  any
		code api.Code
	}{
		{"operator opens a customer", opA, api.OpenAccountRequest{ID: "SH-ICBC:c1", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: h}, ""},
		{"operator opens a merchant", opA, api.OpenAccountRequest{ID: "SH-ICBC:m1", Kind: api.KindMerchant, MerchantCategory: "5812"}, ""},
		{"operator opens a settlement account", opA, api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, ""},
		{"issuer opens the reserve", issuer(SH), api.OpenAccountRequest{ID: "SH-PBC:r1", Kind: api.KindReserve}, ""},
		{"fiscal bureau opens a fiscal account", actor(shFIN), api.OpenAccountRequest{ID: "SH-FIN:f1", Kind: api.KindFiscal}, ""},

		{"operator cannot open a reserve", opA, api.OpenAccountRequest{ID: "SH-ICBC:r1", Kind: api.KindReserve}, api.CodeForbidden},
		{"operator cannot open a fiscal account", opA, api.OpenAccountRequest{ID: "SH-ICBC:f1", Kind: api.KindFiscal}, api.CodeForbidden},
		{"issuer cannot open a customer", issuer(SH), api.OpenAccountRequest{ID: "SH-PBC:c1", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: h}, api.CodeForbidden},
		{"fiscal bureau cannot open a settlement account", actor(shFIN), api.OpenAccountRequest{ID: "SH-FIN:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"another bank's namespace", opA, api.OpenAccountRequest{ID: "SH-BOC:c1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"another province's bank namespace", opA, api.OpenAccountRequest{ID: "JS-ABC:c1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"issuer in a commercial bank's namespace", issuer(SH), api.OpenAccountRequest{ID: "SH-ICBC:r1", Kind: api.KindReserve}, api.CodeForbidden},
		{"no namespace", opA, api.OpenAccountRequest{ID: "c1", Kind: api.KindSettlement}, api.CodeInvalidArgument},
		{"empty local part", opA, api.OpenAccountRequest{ID: "SH-ICBC:", Kind: api.KindSettlement}, api.CodeInvalidArgument},
		{"customer without reference hash", opA, api.OpenAccountRequest{ID: "SH-ICBC:c1", Kind: api.KindCustomer, Tier: api.TierClassIV}, api.CodeInvalidArgument},
		{"customer reference hash not hex", opA, api.OpenAccountRequest{ID: "SH-ICBC:c1", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: strings.ToUpper(h)}, api.CodeInvalidArgument},
		{"customer without tier", opA, api.OpenAccountRequest{ID: "SH-ICBC:c1", Kind: api.KindCustomer, CustomerRefHash: h}, api.CodeInvalidArgument},
		{"merchant without category", opA, api.OpenAccountRequest{ID: "SH-ICBC:m1", Kind: api.KindMerchant}, api.CodeInvalidArgument},
		{"merchant category of 3 digits", opA, api.OpenAccountRequest{ID: "SH-ICBC:m1", Kind: api.KindMerchant, MerchantCategory: "581"}, api.CodeInvalidArgument},
		{"category on a settlement account", opA, api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement, MerchantCategory: "5812"}, api.CodeInvalidArgument},
		{"reference hash on a merchant", opA, api.OpenAccountRequest{ID: "SH-ICBC:m1", Kind: api.KindMerchant, MerchantCategory: "5812", CustomerRefHash: h}, api.CodeInvalidArgument},
		{"already exists", opA, api.OpenAccountRequest{ID: "SH-ICBC:taken", Kind: api.KindSettlement}, api.CodeAlreadyExists},
		{"compliance cannot open", compliance(SH), api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"auditor cannot open", auditor(SH), api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"admin cannot open", admin(SH), api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"unknown MSP", cctest.Ident("EvilMSP", api.RoleOperator, "SH-ICBC", "op"), api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"no role attribute", cctest.Ident(SH, "", shICBC, "norole"), api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"operator without bank attribute", cctest.Ident(SH, api.RoleOperator, "", "nobank"), api.OpenAccountRequest{ID: "SH-ICBC:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"malformed bank attribute", cctest.Ident(SH, api.RoleOperator, "sh-icbc", "lower"), api.OpenAccountRequest{ID: "sh-icbc:s1", Kind: api.KindSettlement}, api.CodeForbidden},
		{"old transient customerRef field in the body", opA, `{"id":"SH-ICBC:c1","kind":"customer","tier":"class-IV","customerRef":"x"}`, api.CodeInvalidArgument},
		{"case-folded key", opA, `{"ID":"SH-ICBC:s1","kind":"settlement"}`, api.CodeInvalidArgument},
		{"duplicate key", opA, `{"id":"SH-ICBC:s1","id":"SH-ICBC:s2","kind":"settlement"}`, api.CodeInvalidArgument},
		{"not JSON", opA, `not json`, api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.open("SH-ICBC:taken", api.KindSettlement, "")
			if tt.code != "" {
				cctest.Reject(e, tt.who, api.OpenAccount, tt.req, tt.code)
				return
			}
			a, r := cctest.Call(e, tt.who, api.OpenAccount, tt.req)
			if !r.OK() {
				t.Fatal(r.Message)
			}
			want := tt.req.(api.OpenAccountRequest)
			if a.ID != want.ID || a.OwnerMSP != SH || a.Bank != api.NamespaceOf(want.ID) || a.Kind != want.Kind ||
				a.Status != api.StatusActive || a.CustomerRefHash != want.CustomerRefHash || a.MerchantCategory != want.MerchantCategory {
				t.Fatalf("account %+v for %+v", a, want)
			}
			got := cctest.Must(e, tt.who, api.GetAccount, api.AccountRequest{ID: want.ID})
			if got != a {
				t.Fatalf("GetAccount %+v, OpenAccount answered %+v", got, a)
			}
			env := cctest.Envelope(t, r)
			if len(env.Events) != 1 || env.Events[0] != (api.Event{Type: api.EventAccountOpened, ID: a.ID, Account: a.ID, MSP: SH, Bank: a.Bank}) {
				t.Fatalf("events %+v", env.Events)
			}
		})
	}
}

// TestKeyLevelPolicies: owned keys (accounts, outputs, daily counters)
// carry AND(owner, 2 of the 3 others); shared keys (supply, configuration,
// ceilings, proposals, approvals) 3 of 4; append-only records carry none
// and fall back to the chaincode policy (MAJORITY, 3 of 4).
func TestKeyLevelPolicies(t *testing.T) {
	f := newFixture(t)
	f.fundAlice("fund", "3000")
	p := f.pay(api.TransferRequest{PaymentID: "SH-ICBC:p1", From: alice, To: bob, Amount: y("10"), Inputs: []string{f.aliceOut}})
	pending := api.ProposeRequest{ID: "JiangsuMSP:pending", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: ZJ, Ceiling: y("1")}}
	cctest.Must(f.env, issuer(JS), api.Propose, pending)

	const (
		ownerSH = "AND(ShanghaiMSP, 2 of [AnhuiMSP JiangsuMSP ZhejiangMSP])"
		ownerJS = "AND(JiangsuMSP, 2 of [AnhuiMSP ShanghaiMSP ZhejiangMSP])"
		quorum  = "3 of [AnhuiMSP JiangsuMSP ShanghaiMSP ZhejiangMSP]"
		none    = ""
	)
	one := func(keys []string) string {
		if len(keys) == 0 {
			t.Fatal("no key of the type was written")
		}
		return keys[0]
	}
	tests := []struct {
		name, key, want string
	}{
		{"account of Shanghai", ckey(nsAccount, alice), ownerSH},
		{"account of Jiangsu", ckey(nsAccount, bob), ownerJS},
		{"payee output (Jiangsu's, written by Shanghai's payment)", ckey(nsOutput, bob, p.PayeeOutput), ownerJS},
		{"change output", ckey(nsOutput, alice, p.ChangeOutputs[0]), ownerSH},
		{"reserve output", ckey(nsOutput, shReserve, f.shOut), ownerSH},
		{"daily counter", one(f.keysOf(nsDaily, alice)), ownerSH},
		{"supply", ckey(nsSupply), quorum},
		{"configuration", ckey(nsConfig), quorum},
		{"ceiling", ckey(nsCeiling, SH), quorum},
		{"proposal", ckey(nsProp, pending.ID), quorum},
		{"approval", one(f.keysOf(nsAppr, pending.ID)), quorum},
		{"payment record", ckey(nsPayment, "SH-ICBC:p1"), none},
		{"spent tombstone", ckey(nsSpent, f.aliceOut), none},
		{"statement entry", one(f.keysOf(nsStmt, bob)), none},
		{"mint record", one(f.keysOf(nsMint)), none},
		{"reserve reference", one(f.keysOf(nsReserve, SH)), none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f.L.Get(tt.key) == nil {
				t.Fatalf("key %q does not exist", tt.key)
			}
			vp := f.L.ValidationParameter(tt.key)
			if tt.want == none {
				if vp != nil {
					t.Fatalf("policy %s, want none (the chaincode policy)", keypolicy.Describe(vp))
				}
				return
			}
			if got := keypolicy.Describe(vp); got != tt.want {
				t.Fatalf("policy %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPolicySetOnlyOnCreate: a key's endorsement policy is written when the
// key is created and never rewritten by later updates. Fabric invalidates
// other transactions of the same block that touch a key whose policy was
// rewritten, so rewriting would turn retryable MVCC conflicts on the supply
// key and on accounts into hard ENDORSEMENT_POLICY_FAILUREs.
func TestPolicySetOnlyOnCreate(t *testing.T) {
	f := newFixture(t)
	f.fundAlice("fund", "3000")
	// The second mint: supply and ceiling exist.
	msp := SH
	id := "ShanghaiMSP:again"
	cctest.Must(f.env, issuer(msp), api.Propose, api.ProposeRequest{ID: id, Action: api.ActionMint, Mint: &api.MintParams{Account: shReserve, Amount: y("5"), ReserveRef: "dep-again"}})
	for _, o := range cctest.Others(msp)[:2] {
		cctest.Must(f.env, issuer(o), api.Approve, api.ProposalID{ID: id})
	}
	ex, r := cctest.Call(f.env, issuer(msp), api.Execute, api.ExecuteRequest{ID: id})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	for _, k := range []string{ckey(nsSupply), ckey(nsCeiling, SH), ckey(nsProp, id)} {
		if _, written := r.Stub.ValidationParameterWritten(k); written {
			t.Errorf("executing a mint rewrote the policy of %q", k)
		}
	}
	if _, written := r.Stub.ValidationParameterWritten(ckey(nsOutput, shReserve, ex.Mint.Output)); !written {
		t.Error("the minted output got no policy")
	}
	// A second payment the same day updates the daily counter.
	p1 := f.pay(api.TransferRequest{PaymentID: "SH-ICBC:d1", From: alice, To: shop, Amount: y("1"), Inputs: []string{f.aliceOut}})
	_, r = cctest.Call(f.env, owner(alice), api.Transfer, api.TransferRequest{PaymentID: "SH-ICBC:d2", From: alice, To: shop, Amount: y("1"), Inputs: []string{p1.ChangeOutputs[0]}})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	daily := f.keysOf(nsDaily, alice)
	if len(daily) != 1 {
		t.Fatalf("daily counters %q", daily)
	}
	if _, written := r.Stub.ValidationParameterWritten(daily[0]); written {
		t.Error("a second payment rewrote the daily counter's policy")
	}
	r = f.freeze(alice, "check")
	if _, written := r.Stub.ValidationParameterWritten(ckey(nsAccount, alice)); written {
		t.Error("freezing rewrote the account's policy")
	}
	for _, k := range []string{ckey(nsAccount, alice), ckey(nsSupply), daily[0], ckey(nsCeiling, SH)} {
		if f.L.ValidationParameter(k) == nil {
			t.Errorf("policy of %q lost on update", k)
		}
	}
}

func TestTransfer(t *testing.T) {
	f := newFixture(t)
	req := api.TransferRequest{PaymentID: "SH-PBC:p1", From: shReserve, To: shop, Amount: y("100.50"), Inputs: []string{f.shOut},
		Purpose: "SALARY", ChangeSplit: 4, RemittanceHash: strings.Repeat("ab", 32)}
	p, r := cctest.Call(f.env, issuer(SH), api.Transfer, req)
	if !r.OK() {
		t.Fatal(r.Message)
	}
	if p.FromMSP != SH || p.ToMSP != SH || p.FromBank != shPBC || p.ToBank != shICBC || p.Amount != y("100.50") ||
		len(p.ChangeOutputs) != 4 || p.PayeeOutput != r.TxID+".0" || p.Purpose != "SALARY" {
		t.Fatalf("payment %+v", p)
	}
	// Blind credit: no range query, and no read of any of the payee's outputs.
	if r.Stub.RangeQueries != 0 {
		t.Fatalf("a transfer to a merchant ran %d range queries", r.Stub.RangeQueries)
	}
	for _, k := range r.Stub.ReadKeys {
		if strings.HasPrefix(k, ckey(nsOutput, shop)) {
			t.Fatalf("the transfer read payee output %q", k)
		}
	}
	env := cctest.Envelope(t, r)
	want := api.Event{Type: api.EventTransferred, ID: "SH-PBC:p1", From: shReserve, To: shop, FromMSP: SH, ToMSP: SH,
		FromBank: shPBC, ToBank: shICBC, Amount: y("100.50")}
	if len(env.Events) != 1 || env.Events[0] != want {
		t.Fatalf("events %+v", env.Events)
	}
	if got := f.Balance(shop); got != y("100.50") {
		t.Fatalf("shop %s", got)
	}
	if got := f.Balance(shReserve); got != y("999899.50") {
		t.Fatalf("reserve %s", got)
	}
	// The change is split as asked and sums to what is left.
	var change money.Amount
	for _, o := range cctest.Must(f.env, issuer(SH), api.ListOutputs, api.ListOutputsRequest{Account: shReserve}).Outputs {
		change += o.Amount
	}
	if change != y("999899.50") {
		t.Fatalf("change outputs sum to %s", change)
	}
	if got := cctest.Must(f.env, actor(shICBC), api.GetPayment, api.PaymentRequest{PaymentID: "SH-PBC:p1"}); got.Amount != y("100.50") || got.TxID != r.TxID {
		t.Fatalf("GetPayment %+v", got)
	}

	// Crediting a capped tier reads the payee's balance: one range query.
	_, r = cctest.Call(f.env, issuer(SH), api.Transfer, api.TransferRequest{PaymentID: "SH-PBC:p2", From: shReserve, To: alice, Amount: y("10"), Inputs: []string{p.ChangeOutputs[0]}})
	if !r.OK() || r.Stub.RangeQueries != 1 {
		t.Fatalf("transfer to class IV: %s, %d range queries", r.Message, r.Stub.RangeQueries)
	}
	// Cross-province: Shanghai pays Jiangsu's bob; bob's bank reads the payment.
	f.pay(api.TransferRequest{PaymentID: "SH-PBC:p3", From: shReserve, To: bob, Amount: y("5"), Inputs: []string{p.ChangeOutputs[1]}})
	if got := cctest.Must(f.env, actor(jsABC), api.GetPayment, api.PaymentRequest{PaymentID: "SH-PBC:p3"}); got.ToBank != jsABC || got.ToMSP != JS {
		t.Fatalf("GetPayment by the payee's bank %+v", got)
	}
	if got := f.Balance(bob); got != y("5") {
		t.Fatalf("bob %s", got)
	}
}

func TestTransferRejections(t *testing.T) {
	iss := issuer(SH)
	opA := actor(shICBC)
	frozen := func(id string) func(*fixture) { return func(f *fixture) { f.freeze(id, "court order") } }
	tests := []struct {
		name  string
		who   *memstub.Identity
		setup func(f *fixture)
		req   func(f *fixture) any
		code  api.Code
	}{
		{"zero amount", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"0","inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"negative amount", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"-1","inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"overflowing amount", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"92233720368547758.08","inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"three decimals", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"1.001","inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"numeric amount", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":1.5,"inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"exponent amount", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"1e3","inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"case-folded amount key", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"0.01","AMOUNT":"1000","inputs":[%q]}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"unknown field", iss, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"SH-PBC:x","from":%q,"to":%q,"amount":"1","inputs":[%q],"fee":"1"}`, shReserve, shop, f.shOut)
		}, api.CodeInvalidArgument},
		{"payment ID without namespace", iss, nil, func(f *fixture) any {
			r := xfer(shReserve, shop, "1", f.shOut)
			r.PaymentID = "x"
			return r
		}, api.CodeInvalidArgument},
		{"payment ID in another bank's namespace", iss, nil, func(f *fixture) any {
			r := xfer(shReserve, shop, "1", f.shOut)
			r.PaymentID = "SH-ICBC:x"
			return r
		}, api.CodeForbidden},
		{"same account", iss, nil, func(f *fixture) any { return xfer(shReserve, shReserve, "1", f.shOut) }, api.CodeInvalidArgument},
		{"too many inputs", iss, nil, func(f *fixture) any {
			ins := make([]string, api.MaxInputs+1)
			for i := range ins {
				ins[i] = fmt.Sprintf("o%d", i)
			}
			return xfer(shReserve, shop, "1", ins...)
		}, api.CodeInvalidArgument},
		{"change split too large", iss, nil, func(f *fixture) any {
			r := xfer(shReserve, shop, "1", f.shOut)
			r.ChangeSplit = api.MaxChangeSplit + 1
			return r
		}, api.CodeInvalidArgument},
		{"unknown payer", iss, nil, func(f *fixture) any { return xfer("SH-PBC:nobody", shop, "1", f.shOut) }, api.CodeNotFound},
		{"unknown payee", iss, nil, func(f *fixture) any { return xfer(shReserve, "SH-ICBC:nobody", "1", f.shOut) }, api.CodeNotFound},
		{"frozen payer", iss, frozen(shReserve), func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeAccountFrozen},
		{"frozen payee", iss, frozen(shop), func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeAccountFrozen},
		{"closed payee", iss, func(f *fixture) { cctest.Must(f.env, opA, api.CloseAccount, api.AccountRequest{ID: settle}) },
			func(f *fixture) any { return xfer(shReserve, settle, "1", f.shOut) }, api.CodeAccountClosed},
		{"input of another account", issuer(JS), nil, func(f *fixture) any { return xfer(jsReserve, bob, "1", f.shOut) }, api.CodeInputNotOwned},
		{"unknown input", iss, nil, func(f *fixture) any { return xfer(shReserve, shop, "1", "no-such-output") }, api.CodeInputNotOwned},
		{"spent input", iss, func(f *fixture) {
			f.pay(api.TransferRequest{PaymentID: "SH-PBC:first", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{f.shOut}})
		}, func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeInputSpent},
		{"inputs short", iss, nil, func(f *fixture) any { return xfer(shReserve, shop, "1000000.01", f.shOut) }, api.CodeInsufficientFunds},
		{"duplicate payment ID", iss, func(f *fixture) {
			f.pay(api.TransferRequest{PaymentID: "SH-PBC:x", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{f.shOut}})
		}, func(f *fixture) any {
			return xfer(shReserve, shop, "1", f.shOut)
		}, api.CodeDuplicatePayment},
		{"another province's operator", actor(jsABC), nil, func(f *fixture) any {
			r := xfer(shReserve, shop, "1", f.shOut)
			r.PaymentID = "JS-ABC:x"
			return r
		}, api.CodeNotFound},
		{"another bank of the province", actor(shBOC), nil, func(f *fixture) any {
			r := xfer(shReserve, shop, "1", f.shOut)
			r.PaymentID = "SH-BOC:x"
			return r
		}, api.CodeNotFound},
		{"compliance cannot pay", compliance(SH), nil, func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeForbidden},
		{"auditor cannot pay", auditor(SH), nil, func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeForbidden},
		{"admin cannot pay", admin(SH), nil, func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeForbidden},
		{"unknown MSP", cctest.Ident("RogueMSP", api.RoleIssuer, shPBC, "rogue"), nil, func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeForbidden},
		{"issuer without bank attribute", cctest.Ident(SH, api.RoleIssuer, "", "nobank"), nil, func(f *fixture) any { return xfer(shReserve, shop, "1", f.shOut) }, api.CodeForbidden},
		{"class-IV per-payment limit", opA, func(f *fixture) { f.fundAlice("in", "3000") }, func(f *fixture) any {
			return xfer(alice, shop, "2000.01", f.aliceOut)
		}, api.CodeLimitExceeded},
		{"class-IV daily limit", opA, func(f *fixture) {
			f.fundAlice("in", "9000")
			o := f.aliceOut
			for i := 0; i < 2; i++ {
				p := f.pay(api.TransferRequest{PaymentID: fmt.Sprintf("SH-ICBC:a%d", i), From: alice, To: shop, Amount: y("2000"), Inputs: []string{o}})
				o = p.ChangeOutputs[0]
			}
			f.aliceOut = o
		}, func(f *fixture) any { return xfer(alice, shop, "1000.01", f.aliceOut) }, api.CodeLimitExceeded},
		{"class-IV balance cap", iss, nil, func(f *fixture) any { return xfer(shReserve, alice, "10000.01", f.shOut) }, api.CodeBalanceCapExceeded},
		{"class-II per-payment limit", actor(jsABC), func(f *fixture) {
			p := f.pay(api.TransferRequest{PaymentID: "SH-PBC:fund", From: shReserve, To: bob, Amount: y("60000"), Inputs: []string{f.shOut}})
			f.aliceOut = p.PayeeOutput
		}, func(f *fixture) any { return xfer(bob, shop, "50000.01", f.aliceOut) }, api.CodeLimitExceeded},
		{"class-II balance cap", iss, nil, func(f *fixture) any { return xfer(shReserve, bob, "500000.01", f.shOut) }, api.CodeBalanceCapExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			cctest.Reject(f.env, tt.who, api.Transfer, tt.req(f), tt.code)
		})
	}
}

// TestTierBoundaries: the limits are inclusive; one fen more is refused.
func TestTierBoundaries(t *testing.T) {
	f := newFixture(t)
	// Exactly the class-IV cap.
	p := f.pay(api.TransferRequest{PaymentID: "SH-PBC:cap", From: shReserve, To: alice, Amount: y("10000"), Inputs: []string{f.shOut}})
	if got := f.Balance(alice); got != y("10000") {
		t.Fatalf("alice %s", got)
	}
	cctest.Reject(f.env, issuer(SH), api.Transfer, xfer(shReserve, alice, "0.01", p.ChangeOutputs[0]), api.CodeBalanceCapExceeded)
	// Exactly the per-payment limit, twice, then exactly what is left of
	// the daily limit.
	o := p.PayeeOutput
	for i, amt := range []string{"2000", "2000", "1000"} {
		q := f.pay(api.TransferRequest{PaymentID: fmt.Sprintf("SH-ICBC:b%d", i), From: alice, To: shop, Amount: y(amt), Inputs: []string{o}})
		o = q.ChangeOutputs[0]
	}
	cctest.Reject(f.env, actor(shICBC), api.Transfer, xfer(alice, shop, "0.01", o), api.CodeLimitExceeded)
	if got := f.Balance(alice); got != y("5000") {
		t.Fatalf("alice %s", got)
	}
	// Unlimited accounts have neither limit.
	f.pay(api.TransferRequest{PaymentID: "SH-PBC:big", From: shReserve, To: settle, Amount: y("900000"), Inputs: []string{p.ChangeOutputs[0]}})
	if got := f.Balance(settle); got != y("900000") {
		t.Fatalf("settle %s", got)
	}
}

// TestDailyLimitFollowsShanghaiBusinessDate: the daily limit counts per
// business date in Asia/Shanghai, which rolls over at 16:00 UTC, not at
// UTC midnight.
func TestDailyLimitFollowsShanghaiBusinessDate(t *testing.T) {
	at := func(day, hour, min int) func(*fixture) {
		return func(f *fixture) { f.L.Clock = day0.Truncate(24*time.Hour).AddDate(0, 0, day).Add(timeOf(hour, min)) }
	}
	tests := []struct {
		name string
		// first is when alice pays 2,000 twice (4,000 of her 5,000 daily
		// limit); second when she pays 2,000 more.
		first, second func(*fixture)
		code          api.Code
		days          []string // business dates of her daily counters
	}{
		{"15:58 and 16:01 UTC are two business days", at(0, 15, 58), at(0, 16, 1), "", []string{"2025-06-02", "2025-06-03"}},
		{"16:00 UTC starts the next business day", at(0, 15, 58), at(0, 16, 0), "", []string{"2025-06-02", "2025-06-03"}},
		{"15:59 UTC is still the same business day", at(0, 15, 0), at(0, 15, 59), api.CodeLimitExceeded, []string{"2025-06-02"}},
		{"23:59 and 00:01 UTC are one business day", at(0, 23, 59), at(1, 0, 1), api.CodeLimitExceeded, []string{"2025-06-03"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fundAlice("in", "9000")
			tt.first(f)
			o := f.aliceOut
			for i := 0; i < 2; i++ {
				p := f.pay(api.TransferRequest{PaymentID: fmt.Sprintf("SH-ICBC:a%d", i), From: alice, To: shop, Amount: y("2000"), Inputs: []string{o}})
				o = p.ChangeOutputs[0]
			}
			tt.second(f)
			second := api.TransferRequest{PaymentID: "SH-ICBC:second", From: alice, To: shop, Amount: y("2000"), Inputs: []string{o}}
			if tt.code != "" {
				cctest.Reject(f.env, actor(shICBC), api.Transfer, second, tt.code)
			} else {
				f.pay(second)
			}
			var days []string
			for _, k := range f.keysOf(nsDaily, alice) {
				parts := strings.Split(strings.TrimSuffix(k[1:], "\x00"), "\x00")
				days = append(days, parts[len(parts)-1])
			}
			if strings.Join(days, ",") != strings.Join(tt.days, ",") {
				t.Fatalf("daily counters for %v, want %v", days, tt.days)
			}
		})
	}
}

func timeOf(hour, min int) time.Duration {
	return time.Duration(hour)*time.Hour + time.Duration(min)*time.Minute
}

func TestAccountLifecycle(t *testing.T) {
	f := newFixture(t)
	comp := compliance(SH)
	// The reason's note (RecordFreezeReason): compliance of the account's
	// province, a valid reason and a salt of 16 to 64 bytes.
	record := api.RecordFreezeReason.Function()
	arg := func(id string) string { return cctest.Encode(api.AccountRequest{ID: id}) }
	good := freezeTransient("AML review", "0123456789abcdef")
	f.RejectRaw(actor(shICBC), record, arg(shop), good, api.CodeForbidden)
	f.RejectRaw(compliance(JS), record, arg(shop), good, api.CodeNotFound)
	f.RejectRaw(comp, record, arg(shop), nil, api.CodeInvalidArgument)
	f.RejectRaw(comp, record, arg(shop), freezeTransient("", "0123456789abcdef"), api.CodeInvalidArgument)
	f.RejectRaw(comp, record, arg(shop), freezeTransient("AML review", "short"), api.CodeInvalidArgument)
	f.RejectRaw(comp, record, arg(shop), freezeTransient("AML review", strings.Repeat("s", 65)), api.CodeInvalidArgument)
	f.RejectRaw(comp, record, arg(shop), freezeTransient("AML\nreview", "0123456789abcdef"), api.CodeInvalidArgument)
	f.RejectRaw(comp, record, arg(shop), freezeTransient(strings.Repeat("x", api.MaxReasonLen+1), "0123456789abcdef"), api.CodeInvalidArgument)
	f.RejectRaw(comp, record, arg("SH-ICBC:ghost"), good, api.CodeNotFound)
	f.RejectRaw(comp, record, `{"id":"SH-ICBC:shop","reason":"AML review"}`, good, api.CodeInvalidArgument)
	// The freeze names a note's hash; it takes no reason.
	rc := f.note(shop, "AML review", "0123456789abcdef")
	cctest.Reject(f.env, actor(shICBC), api.Freeze, api.FreezeRequest{ID: shop, ReasonHash: rc.Hash}, api.CodeForbidden)
	cctest.Reject(f.env, compliance(JS), api.Freeze, api.FreezeRequest{ID: shop, ReasonHash: rc.Hash}, api.CodeNotFound)
	cctest.Reject(f.env, comp, api.Freeze, api.FreezeRequest{ID: "SH-ICBC:ghost", ReasonHash: rc.Hash}, api.CodeNotFound)
	cctest.Reject(f.env, comp, api.Freeze, `{"id":"SH-ICBC:shop"}`, api.CodeInvalidArgument)
	cctest.Reject(f.env, comp, api.Freeze, `{"id":"SH-ICBC:shop","reasonHash":"`+rc.Hash+`","reason":"AML review"}`, api.CodeInvalidArgument)
	cctest.Reject(f.env, comp, api.Unfreeze, api.AccountRequest{ID: shop}, api.CodeInvalidArgument)

	f.freeze(shop, "AML review")
	if a := cctest.Must(f.env, actor(shICBC), api.GetAccount, api.AccountRequest{ID: shop}); a.Status != api.StatusFrozen || a.ReasonHash == "" {
		t.Fatalf("frozen account %+v", a)
	}
	cctest.Reject(f.env, issuer(SH), api.Transfer, xfer(shReserve, shop, "1", f.shOut), api.CodeAccountFrozen)
	a := cctest.Must(f.env, comp, api.Unfreeze, api.AccountRequest{ID: shop})
	if a.Status != api.StatusActive || a.ReasonHash != "" {
		t.Fatalf("unfrozen account %+v", a)
	}
	f.pay(api.TransferRequest{PaymentID: "SH-PBC:p1", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{f.shOut}})

	// Close needs a zero balance and the owning bank.
	cctest.Reject(f.env, actor(shICBC), api.CloseAccount, api.AccountRequest{ID: shop}, api.CodeBalanceNotZero)
	early := f.note(settle, "AML review", "0123456789abcdef")
	cctest.Reject(f.env, actor(shBOC), api.CloseAccount, api.AccountRequest{ID: settle}, api.CodeNotFound)
	cctest.Reject(f.env, compliance(SH), api.CloseAccount, api.AccountRequest{ID: settle}, api.CodeForbidden)
	if a := cctest.Must(f.env, actor(shICBC), api.CloseAccount, api.AccountRequest{ID: settle}); a.Status != api.StatusClosed {
		t.Fatalf("closed account %+v", a)
	}
	cctest.Reject(f.env, actor(shICBC), api.CloseAccount, api.AccountRequest{ID: settle}, api.CodeAccountClosed)
	f.RejectRaw(comp, record, arg(settle), good, api.CodeAccountClosed)
	cctest.Reject(f.env, comp, api.Freeze, api.FreezeRequest{ID: settle, ReasonHash: early.Hash}, api.CodeAccountClosed)
	cctest.Reject(f.env, comp, api.Unfreeze, api.AccountRequest{ID: settle}, api.CodeAccountClosed)
	cctest.Reject(f.env, actor(shICBC), api.OpenAccount, api.OpenAccountRequest{ID: settle, Kind: api.KindSettlement}, api.CodeAlreadyExists)
	// A frozen account with a zero balance can be closed.
	f.freeze(bella, "deceased")
	cctest.Must(f.env, actor(shBOC), api.CloseAccount, api.AccountRequest{ID: bella})
}

func TestMerge(t *testing.T) {
	f := newFixture(t)
	o := f.shOut
	var ins []string
	var total money.Amount
	for i := 0; i < 3; i++ {
		p := f.pay(api.TransferRequest{PaymentID: fmt.Sprintf("SH-PBC:m%d", i), From: shReserve, To: shop, Amount: y("1.01"), Inputs: []string{o}})
		o = p.ChangeOutputs[0]
		ins = append(ins, p.PayeeOutput)
		total += p.Amount
	}
	opA := actor(shICBC)
	merge := func(id string, inputs ...string) api.MergeRequest {
		return api.MergeRequest{MergeID: id, Account: shop, Inputs: inputs}
	}
	cctest.Reject(f.env, actor(shBOC), api.Merge, api.MergeRequest{MergeID: "SH-BOC:g", Account: shop, Inputs: ins}, api.CodeNotFound)
	cctest.Reject(f.env, actor(jsABC), api.Merge, api.MergeRequest{MergeID: "JS-ABC:g", Account: shop, Inputs: ins}, api.CodeNotFound)
	cctest.Reject(f.env, opA, api.Merge, merge("SH-ICBC:g", ins[0]), api.CodeInvalidArgument)
	cctest.Reject(f.env, opA, api.Merge, merge("g", ins...), api.CodeInvalidArgument)
	cctest.Reject(f.env, opA, api.Merge, merge("SH-BOC:g", ins...), api.CodeForbidden)
	cctest.Reject(f.env, opA, api.Merge, merge("SH-ICBC:g", ins[0], o), api.CodeInputNotOwned)
	cctest.Reject(f.env, compliance(SH), api.Merge, merge("SH-ICBC:g", ins...), api.CodeForbidden)

	g, r := cctest.Call(f.env, opA, api.Merge, merge("SH-ICBC:g", ins...))
	if !r.OK() {
		t.Fatal(r.Message)
	}
	if g.Amount != total || g.Account != shop {
		t.Fatalf("merge %+v", g)
	}
	page := cctest.Must(f.env, opA, api.ListOutputs, api.ListOutputsRequest{Account: shop})
	if len(page.Outputs) != 1 || page.Outputs[0].ID != g.Output || page.Outputs[0].Amount != total {
		t.Fatalf("outputs after merge %+v", page)
	}
	if got := f.Balance(shop); got != total {
		t.Fatalf("balance %s after merge, want %s", got, total)
	}
	env := cctest.Envelope(t, r)
	if len(env.Events) != 1 || env.Events[0] != (api.Event{Type: api.EventMerged, ID: "SH-ICBC:g", Account: shop, MSP: SH, Bank: shICBC, Amount: total}) {
		t.Fatalf("events %+v", env.Events)
	}
	cctest.Reject(f.env, opA, api.Merge, merge("SH-ICBC:g", g.Output, ins[0]), api.CodeAlreadyExists)
	cctest.Reject(f.env, opA, api.Merge, merge("SH-ICBC:g2", ins[0], ins[1]), api.CodeInputSpent)
	// A frozen account cannot merge.
	p := f.pay(api.TransferRequest{PaymentID: "SH-PBC:late", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{o}})
	f.freeze(shop, "review")
	cctest.Reject(f.env, opA, api.Merge, merge("SH-ICBC:g3", g.Output, p.PayeeOutput), api.CodeAccountFrozen)
}

func TestTransferBatch(t *testing.T) {
	f := newFixture(t)
	txID := fmt.Sprintf("%064x", 999)
	out := func(n int) string { return fmt.Sprintf("%s.%d", txID, n) }
	// Item 0 spends the reserve output (payee output .0, change .1); item
	// 1 spends item 0's change (seen only through the in-transaction
	// overlay; outputs .2, .3); item 2 reuses item 0's payment ID; item 3
	// spends an input item 0 spent; item 4 pays from an account of another
	// bank; item 5 uses another bank's payment namespace; item 6 credits
	// alice 6,000 (.4, .5); item 7 would take her past her cap only
	// counting item 6; item 8 is invalid on its own; item 9 is fine (.6, .7).
	items := []api.TransferRequest{
		{PaymentID: "SH-PBC:b0", From: shReserve, To: shop, Amount: y("10"), Inputs: []string{f.shOut}},
		{PaymentID: "SH-PBC:b1", From: shReserve, To: bob, Amount: y("20"), Inputs: []string{out(1)}},
		{PaymentID: "SH-PBC:b0", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{out(3)}},
		{PaymentID: "SH-PBC:b3", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{f.shOut}},
		{PaymentID: "SH-ICBC:b4", From: shop, To: bob, Amount: y("1"), Inputs: []string{out(0)}},
		{PaymentID: "SH-ICBC:b5", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{out(3)}},
		{PaymentID: "SH-PBC:b6", From: shReserve, To: alice, Amount: y("6000"), Inputs: []string{out(3)}},
		{PaymentID: "SH-PBC:b7", From: shReserve, To: alice, Amount: y("4000.01"), Inputs: []string{out(5)}},
		{PaymentID: "SH-PBC:b8", From: shReserve, To: alice, Amount: 0, Inputs: []string{out(5)}},
		{PaymentID: "SH-PBC:b9", From: shReserve, To: jsReserve, Amount: y("1"), Inputs: []string{out(5)}},
	}
	want := []api.Code{"", "", api.CodeDuplicatePayment, api.CodeInputSpent, api.CodeNotFound, api.CodeForbidden, "",
		api.CodeBalanceCapExceeded, api.CodeInvalidArgument, ""}
	before := map[string]money.Amount{}
	for _, a := range []string{shReserve, shop, bob, alice, jsReserve} {
		before[a] = f.Balance(a)
	}
	r := f.Submit(memstub.Tx{ID: txID, Creator: issuer(SH), Fn: api.TransferBatch.Function(), Args: []string{cctest.Encode(api.BatchRequest{Items: items})}})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	res, err := api.TransferBatch.DecodeResponse(r.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != len(want) {
		t.Fatalf("%d results for %d items", len(res.Results), len(want))
	}
	// The test's own account of what settled.
	moved := map[string]money.Amount{}
	var settled []string
	for i, w := range want {
		got := res.Results[i]
		t.Run(fmt.Sprintf("item %d", i), func(t *testing.T) {
			if got.PaymentID != items[i].PaymentID || got.OK != (w == "") || got.Code != w {
				t.Fatalf("ok=%v code=%s (%s), want code %q", got.OK, got.Code, got.Message, w)
			}
			if got.OK != (got.Payment != nil) {
				t.Fatalf("ok=%v with payment %v", got.OK, got.Payment)
			}
		})
		if w == "" {
			moved[items[i].From] -= items[i].Amount
			moved[items[i].To] += items[i].Amount
			settled = append(settled, items[i].PaymentID)
		}
	}
	if res.Settled != 4 || res.Rejected != 6 {
		t.Fatalf("settled %d rejected %d", res.Settled, res.Rejected)
	}
	for a, b := range before {
		if got := f.Balance(a); got != b+moved[a] {
			t.Errorf("%s: balance %s, want %s", a, got, b+moved[a])
		}
	}
	env := cctest.Envelope(t, r)
	var evs []string
	for _, ev := range env.Events {
		if ev.Type != api.EventTransferred {
			t.Fatalf("event %+v", ev)
		}
		evs = append(evs, ev.ID)
	}
	if strings.Join(evs, ",") != strings.Join(settled, ",") {
		t.Fatalf("events for %v, settled %v", evs, settled)
	}
	// A rejected item left no record: b3's ID is still free.
	cctest.Reject(f.env, issuer(SH), api.GetPayment, api.PaymentRequest{PaymentID: "SH-PBC:b3"}, api.CodeNotFound)
	if a := cctest.Must(f.env, auditor(AH), api.AuditSupply, api.Empty{}); !a.Balanced {
		t.Fatalf("audit %+v", a)
	}

	big := api.BatchRequest{Items: make([]api.TransferRequest, api.MaxBatchItems+1)}
	cctest.Reject(f.env, issuer(SH), api.TransferBatch, big, api.CodeBatchTooLarge)
	cctest.Reject(f.env, issuer(SH), api.TransferBatch, `{"items":[]}`, api.CodeInvalidArgument)
	cctest.Reject(f.env, compliance(SH), api.TransferBatch, `{"items":[]}`, api.CodeForbidden)
}

// TestBatchDailyLimitUsesOverlay: items of one batch count against the
// payer's daily limit together.
func TestBatchDailyLimitUsesOverlay(t *testing.T) {
	f := newFixture(t)
	f.fundAlice("in", "9000")
	txID := fmt.Sprintf("%064x", 4242)
	out := func(n int) string { return fmt.Sprintf("%s.%d", txID, n) }
	items := []api.TransferRequest{
		{PaymentID: "SH-ICBC:c0", From: alice, To: shop, Amount: y("2000"), Inputs: []string{f.aliceOut}},
		{PaymentID: "SH-ICBC:c1", From: alice, To: shop, Amount: y("2000"), Inputs: []string{out(1)}},
		{PaymentID: "SH-ICBC:c2", From: alice, To: shop, Amount: y("1000.01"), Inputs: []string{out(3)}},
		{PaymentID: "SH-ICBC:c3", From: alice, To: shop, Amount: y("1000"), Inputs: []string{out(3)}},
		{PaymentID: "SH-ICBC:c4", From: alice, To: shop, Amount: y("0.01"), Inputs: []string{out(5)}},
	}
	r := f.Submit(memstub.Tx{ID: txID, Creator: actor(shICBC), Fn: api.TransferBatch.Function(), Args: []string{cctest.Encode(api.BatchRequest{Items: items})}})
	res, err := api.TransferBatch.DecodeResponse(r.Payload)
	if !r.OK() || err != nil {
		t.Fatal(r.Message, err)
	}
	want := []api.Code{"", "", api.CodeLimitExceeded, "", api.CodeLimitExceeded}
	for i, w := range want {
		if res.Results[i].Code != w {
			t.Errorf("item %d: code %q (%s), want %q", i, res.Results[i].Code, res.Results[i].Message, w)
		}
	}
	if got := f.Balance(alice); got != y("4000") {
		t.Fatalf("alice %s, want 4000.00", got)
	}
}

// TestDustLimit: a capped (customer) account refuses credits once it holds
// api.MaxCappedOutputs unspent outputs, counting the outputs a batch
// created before the item, and takes credits again after a merge.
func TestDustLimit(t *testing.T) {
	f := newFixture(t)
	in := f.shOut
	// credit pays alice 0.01 n times in one batch; each item spends the
	// previous item's change, and items past the first fits (which the
	// dust limit must refuse) all name the change of the last that fits.
	credit := func(n, fits int) api.BatchResult {
		t.Helper()
		txID := fmt.Sprintf("d%063x", f.Next())
		items := make([]api.TransferRequest, n)
		for i := range items {
			items[i] = api.TransferRequest{PaymentID: fmt.Sprintf("SH-PBC:dust-%s-%d", txID[56:], i), From: shReserve, To: alice, Amount: 1, Inputs: []string{in}}
			if i < fits {
				in = fmt.Sprintf("%s.%d", txID, 2*i+1) // this item's change
			}
		}
		r := f.Submit(memstub.Tx{ID: txID, Creator: issuer(SH), Fn: api.TransferBatch.Function(), Args: []string{cctest.Encode(api.BatchRequest{Items: items})}})
		res, err := api.TransferBatch.DecodeResponse(r.Payload)
		if !r.OK() || err != nil {
			t.Fatal(r.Message, err)
		}
		// The reserve's change of the last settled item is the next input.
		for i := len(res.Results) - 1; i >= 0; i-- {
			if res.Results[i].OK {
				in = res.Results[i].Payment.ChangeOutputs[0]
				break
			}
		}
		return res
	}
	if res := credit(api.MaxBatchItems, api.MaxBatchItems); res.Settled != api.MaxBatchItems {
		t.Fatalf("first batch settled %d", res.Settled)
	}
	if res := credit(100, 100); res.Settled != 100 {
		t.Fatalf("second batch settled %d", res.Settled)
	}
	// 600 outputs committed: 400 more fit, the rest of the batch is refused.
	res := credit(api.MaxBatchItems, api.MaxCappedOutputs-600)
	if res.Settled != api.MaxCappedOutputs-600 {
		t.Fatalf("third batch settled %d of %d, want %d", res.Settled, api.MaxBatchItems, api.MaxCappedOutputs-600)
	}
	for i, it := range res.Results[api.MaxCappedOutputs-600:] {
		if it.Code != api.CodeLimitExceeded {
			t.Fatalf("item %d: code %q, want %s", api.MaxCappedOutputs-600+i, it.Code, api.CodeLimitExceeded)
		}
	}
	page := cctest.Must(f.env, actor(shICBC), api.ListOutputs, api.ListOutputsRequest{Account: alice, PageSize: api.MaxPageSize})
	if len(page.Outputs) != api.MaxCappedOutputs {
		t.Fatalf("alice holds %d outputs, want %d", len(page.Outputs), api.MaxCappedOutputs)
	}
	cctest.Reject(f.env, issuer(SH), api.Transfer, api.TransferRequest{PaymentID: "SH-PBC:one-more", From: shReserve, To: alice, Amount: 1, Inputs: []string{in}}, api.CodeLimitExceeded)
	// Uncapped accounts take any number of outputs.
	f.pay(api.TransferRequest{PaymentID: "SH-PBC:to-shop", From: shReserve, To: shop, Amount: 1, Inputs: []string{in}})
	in = cctest.Must(f.env, issuer(SH), api.GetPayment, api.PaymentRequest{PaymentID: "SH-PBC:to-shop"}).ChangeOutputs[0]

	// The owner merges 100 outputs into one; credits are taken again.
	ids := make([]string, api.MaxInputs)
	for i := range ids {
		ids[i] = page.Outputs[i].ID
	}
	cctest.Must(f.env, actor(shICBC), api.Merge, api.MergeRequest{MergeID: "SH-ICBC:sweep", Account: alice, Inputs: ids})
	f.pay(api.TransferRequest{PaymentID: "SH-PBC:after-merge", From: shReserve, To: alice, Amount: 1, Inputs: []string{in}})
	if got := f.Balance(alice); got != money.Amount(api.MaxCappedOutputs+1) {
		t.Fatalf("alice %s", got)
	}
}

func TestStatementAndPaging(t *testing.T) {
	f := newFixture(t)
	o := f.shOut
	var ps []api.Payment
	for i := 0; i < 5; i++ {
		p := f.pay(api.TransferRequest{PaymentID: fmt.Sprintf("SH-PBC:s%d", i), From: shReserve, To: shop, Amount: y("1"), Inputs: []string{o}})
		o = p.ChangeOutputs[0]
		ps = append(ps, p)
	}
	opA := actor(shICBC)
	// [s1, s4): s1, s2 and s3, in pages of two.
	from, to := ps[1].Timestamp, ps[4].Timestamp
	var refs []string
	req := api.StatementRequest{Account: shop, From: from, To: to, PageSize: 2}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		page := cctest.Must(f.env, opA, api.Statement, req)
		for _, e := range page.Entries {
			if e.Account != shop {
				t.Fatalf("entry of %s", e.Account)
			}
			refs = append(refs, e.Reference+"/"+e.Type+"/"+e.Counterparty+"/"+e.Amount.String())
		}
		if page.Bookmark == "" {
			break
		}
		req.Bookmark = page.Bookmark
	}
	want := []string{"SH-PBC:s1/credit/SH-PBC:reserve/1.00", "SH-PBC:s2/credit/SH-PBC:reserve/1.00", "SH-PBC:s3/credit/SH-PBC:reserve/1.00"}
	if strings.Join(refs, ",") != strings.Join(want, ",") {
		t.Fatalf("statement %v, want %v", refs, want)
	}
	// The payer's side and the mint's entry.
	page := cctest.Must(f.env, issuer(SH), api.Statement, api.StatementRequest{Account: shReserve, From: day0, To: ps[4].Timestamp.Add(1)})
	var types []string
	for _, e := range page.Entries {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != "mint,debit,debit,debit,debit,debit" {
		t.Fatalf("reserve statement %v", types)
	}

	f.RejectRaw(opA, api.Statement.Function(), `{"account":"SH-ICBC:shop","from":"yesterday","to":"2025-01-01T00:00:00Z"}`, nil, api.CodeInvalidArgument)
	cctest.Reject(f.env, opA, api.Statement, api.StatementRequest{Account: shop, From: to, To: from}, api.CodeInvalidArgument)
	cctest.Reject(f.env, opA, api.ListOutputs, api.ListOutputsRequest{Account: shop, PageSize: -1}, api.CodeInvalidArgument)
	cctest.Reject(f.env, opA, api.ListOutputs, api.ListOutputsRequest{Account: shop, PageSize: api.MaxPageSize + 1}, api.CodeInvalidArgument)

	// Outputs in pages of three: every output exactly once.
	seen := map[string]bool{}
	lreq := api.ListOutputsRequest{Account: shop, PageSize: 3}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		page := cctest.Must(f.env, opA, api.ListOutputs, lreq)
		for _, o := range page.Outputs {
			if o.Account != shop || seen[o.ID] {
				t.Fatalf("output %+v (seen %v)", o, seen[o.ID])
			}
			seen[o.ID] = true
		}
		if page.Bookmark == "" {
			break
		}
		lreq.Bookmark = page.Bookmark
	}
	for _, p := range ps {
		if !seen[p.PayeeOutput] {
			t.Fatalf("output %s not listed", p.PayeeOutput)
		}
	}
	if len(seen) != len(ps) {
		t.Fatalf("%d outputs listed, want %d", len(seen), len(ps))
	}
}

// TestEventsOnePerTransaction: every submitted transaction sets exactly
// one envelope naming the provinces and banks involved; evaluations and
// rejected transactions set none.
func TestEventsOnePerTransaction(t *testing.T) {
	f := newFixture(t)
	_, r := cctest.Call(f.env, actor(shBOC), api.Transfer, xfer(bella, bob, "1", "none"))
	if r.OK() || len(r.Events) != 0 {
		t.Fatalf("a rejected transaction: ok=%v events %d", r.OK(), len(r.Events))
	}
	_, r = cctest.Call(f.env, auditor(SH), api.GetBalance, api.AccountRequest{ID: shop})
	if !r.OK() || len(r.Events) != 0 {
		t.Fatalf("an evaluation: %s, events %d", r.Message, len(r.Events))
	}
	p := f.pay(api.TransferRequest{PaymentID: "SH-PBC:p", From: shReserve, To: bob, Amount: y("7"), Inputs: []string{f.shOut}})
	b, err := f.L.Block(t.Context(), f.L.Height()-1)
	if err != nil {
		t.Fatal(err)
	}
	evs := b.ChaincodeEvents()
	if len(evs) != 1 || evs[0].TxID != p.TxID {
		t.Fatalf("block events %+v", evs)
	}
	var env api.Envelope
	if err := json.Unmarshal(evs[0].Payload, &env); err != nil {
		t.Fatal(err)
	}
	ev := env.Events[0]
	tests := []struct {
		msp, bank string
		want      bool
	}{
		{SH, shPBC, true}, {JS, jsABC, true}, {SH, "", true}, {JS, "", true},
		{SH, shICBC, false}, {JS, jsPBC, false}, {ZJ, "", false},
	}
	for _, tt := range tests {
		if got := ev.Concerns(tt.msp, tt.bank); got != tt.want {
			t.Errorf("Concerns(%s, %q) = %v, want %v", tt.msp, tt.bank, got, tt.want)
		}
	}
}

// TestNoDirectIssuance: the token contract has no function that mints or
// redeems; only gov:Execute does.
func TestNoDirectIssuance(t *testing.T) {
	f := newFixture(t)
	for _, fn := range []string{"token:Mint", "token:Redeem", "token:SetCeiling"} {
		t.Run(fn, func(t *testing.T) {
			f := f.with(t)
			if _, ok := api.Lookup(fn); ok {
				t.Fatalf("api still declares %s", fn)
			}
			before := f.L.Snapshot()
			r := f.Raw(issuer(SH), fn, `{"mintId":"SH:m","account":"SH-PBC:reserve","amount":"1","reserveRef":"r"}`, nil)
			if r.OK() {
				t.Fatalf("%s answered %s", fn, r.Payload)
			}
			if !reflect.DeepEqual(before, f.L.Snapshot()) {
				t.Fatal("state changed")
			}
		})
	}
	if got := f.Supply(); got != y("1000000") {
		t.Fatalf("supply %s", got)
	}
}
