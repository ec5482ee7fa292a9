package tokencc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/money"
)

func y(s string) money.Amount { return money.MustParseYuan(s) }

func TestOpenAccount(t *testing.T) {
	e := newEnv(t)
	r := e.invoke(memstub.Tx{Creator: ident(SH, RoleOperator), Fn: "token:OpenAccount",
		Args:      []string{`{"id":"c1","kind":"customer","tier":"class-IV"}`},
		Transient: map[string][]byte{"customerRef": []byte("ID-310101199001011234"), "salt": []byte("pepper")}})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	var a api.Account
	e.query(ident(SH, RoleOperator), "GetAccount", &a, api.AccountRequest{ID: "c1"})
	sum := sha256.Sum256([]byte("pepperID-310101199001011234"))
	if a.OwnerMSP != SH || a.Status != api.StatusActive || a.CustomerRefHash != hex.EncodeToString(sum[:]) {
		t.Fatalf("account %+v", a)
	}
	for _, k := range e.l.Keys() {
		if strings.Contains(string(e.l.Get(k)), "310101199001011234") {
			t.Fatal("raw customer reference stored")
		}
	}
	e.rejects(ident(SH, RoleOperator), "OpenAccount", `{"id":"c1","kind":"reserve"}`, api.CodeAlreadyExists)
	e.rejects(ident(SH, RoleCompliance), "OpenAccount", `{"id":"c2","kind":"reserve"}`, api.CodeForbidden)
	e.rejects(ident(SH, RoleOperator), "OpenAccount", `{"id":"c2","kind":"customer","tier":"class-IV"}`, api.CodeInvalidArgument) // no customerRef
	e.rejects(ident(SH, RoleOperator), "OpenAccount", `{"id":"c2","kind":"reserve","extra":1}`, api.CodeInvalidArgument)
	e.rejects(ident(SH, RoleOperator), "OpenAccount", `not json`, api.CodeInvalidArgument)
	e.rejects(ident("EvilMSP", RoleOperator), "OpenAccount", `{"id":"c2","kind":"reserve"}`, api.CodeForbidden)
	e.rejects(ident(SH, ""), "OpenAccount", `{"id":"c2","kind":"reserve"}`, api.CodeForbidden)
	// Other orgs cannot read it; auditors of any org can.
	if r := e.call(ident(JS, RoleOperator), "GetAccount", api.AccountRequest{ID: "c1"}); r.OK() || codeOf(r.Message) != api.CodeForbidden {
		t.Fatalf("foreign read: %v %s", r.OK(), r.Message)
	}
	e.query(ident(AH, RoleAuditor), "GetAccount", &a, api.AccountRequest{ID: "c1"})
}

func TestKeyLevelPolicies(t *testing.T) {
	f := newFixture(t)
	p := f.pay(SH, api.TransferRequest{PaymentID: "p1", From: "sh-reserve", To: "bob", Amount: y("10"), Inputs: []string{f.shOut}})
	key := func(ns string, a ...string) string { return "\x00" + ns + "\x00" + strings.Join(a, "\x00") + "\x00" }
	for _, tc := range []struct{ key, want string }{
		{key(nsOutput, "bob", p.PayeeOutput), "AND(JiangsuMSP, 2 of [AnhuiMSP ShanghaiMSP ZhejiangMSP])"},
		{key(nsOutput, "sh-reserve", p.ChangeOutputs[0]), "AND(ShanghaiMSP, 2 of [AnhuiMSP JiangsuMSP ZhejiangMSP])"},
		{key(nsAccount, "bob"), "AND(JiangsuMSP, 2 of [AnhuiMSP ShanghaiMSP ZhejiangMSP])"},
		{key(nsAccount, "alice"), "AND(ShanghaiMSP, 2 of [AnhuiMSP JiangsuMSP ZhejiangMSP])"},
		{"\x00" + nsSupply + "\x00", "3 of [AnhuiMSP JiangsuMSP ShanghaiMSP ZhejiangMSP]"},
	} {
		if got := keypolicy.Describe(f.l.ValidationParameter(tc.key)); got != tc.want {
			t.Errorf("policy of %q = %s, want %s", tc.key, got, tc.want)
		}
	}
}

func TestTransfer(t *testing.T) {
	f := newFixture(t)
	r := f.ok(ident(SH, RoleOperator), "Transfer", api.TransferRequest{PaymentID: "p1", From: "sh-reserve", To: "m1",
		Amount: y("100.50"), Inputs: []string{f.shOut}, Purpose: "SALARY", ChangeSplit: 4,
		RemittanceHash: strings.Repeat("ab", 32)}, nil)
	var p api.Payment
	_ = json.Unmarshal(r.Payload, &p)
	if p.FromMSP != SH || p.ToMSP != SH || len(p.ChangeOutputs) != 4 || p.PayeeOutput != r.TxID+".0" {
		t.Fatalf("payment %+v", p)
	}
	// Blind credit: no range query, and no read of any m1 output key.
	if r.Stub.RangeQueries != 0 {
		t.Fatalf("transfer to a merchant ran %d range queries", r.Stub.RangeQueries)
	}
	for _, k := range r.Stub.ReadKeys {
		if strings.HasPrefix(k, "\x00"+nsOutput+"\x00m1\x00") {
			t.Fatalf("transfer read payee output %q", k)
		}
	}
	// Exactly one event with one Transferred entry.
	if len(r.Events) != 1 || r.Events[0].Name != api.EventName {
		t.Fatalf("events %v", r.Events)
	}
	var env api.Envelope
	if err := json.Unmarshal(r.Events[0].Payload, &env); err != nil || env.Version != 1 || env.TxID != r.TxID ||
		len(env.Events) != 1 || env.Events[0].Type != api.EventTransferred || env.Events[0].Amount != y("100.50") {
		t.Fatalf("envelope %s", r.Events[0].Payload)
	}
	if f.balance("m1") != "100.50" || f.balance("sh-reserve") != "999899.50" {
		t.Fatalf("balances %s %s", f.balance("m1"), f.balance("sh-reserve"))
	}
	var got api.Payment
	f.query(ident(SH, RoleOperator), "GetPayment", &got, api.PaymentRequest{PaymentID: "p1"})
	if got.PaymentID != "p1" || got.Amount != y("100.50") {
		t.Fatalf("GetPayment %+v", got)
	}
	// Crediting a capped tier reads the balance: one range query.
	r = f.ok(ident(SH, RoleOperator), "Transfer", api.TransferRequest{PaymentID: "p2", From: "sh-reserve", To: "alice",
		Amount: y("10"), Inputs: []string{p.ChangeOutputs[0]}}, nil)
	if r.Stub.RangeQueries != 1 {
		t.Fatalf("transfer to class IV ran %d range queries", r.Stub.RangeQueries)
	}
	// Cross-province: Shanghai pays Jiangsu's bob; Jiangsu may read the payment.
	f.pay(SH, api.TransferRequest{PaymentID: "p3", From: "sh-reserve", To: "bob", Amount: y("5"), Inputs: []string{p.ChangeOutputs[1]}})
	f.query(ident(JS, RoleOperator), "GetPayment", &got, api.PaymentRequest{PaymentID: "p3"})
	if r := f.call(ident(ZJ, RoleOperator), "GetPayment", api.PaymentRequest{PaymentID: "p3"}); codeOf(r.Message) != api.CodeForbidden {
		t.Fatalf("third province read payment: %s", r.Message)
	}
}

func TestTransferRejections(t *testing.T) {
	op := ident(SH, RoleOperator)
	tests := []struct {
		name  string
		who   *memstub.Identity
		setup func(f *fixture) // extra state before the call
		req   func(f *fixture) any
		code  api.Code
	}{
		{"zero amount", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":"0","inputs":[%q]}`, f.shOut)
		}, api.CodeInvalidArgument},
		{"negative amount", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":"-1","inputs":[%q]}`, f.shOut)
		}, api.CodeInvalidArgument},
		{"overflow amount", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":"92233720368547758.08","inputs":[%q]}`, f.shOut)
		}, api.CodeInvalidArgument},
		{"three decimals", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":"1.001","inputs":[%q]}`, f.shOut)
		}, api.CodeInvalidArgument},
		{"numeric amount", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":1.5,"inputs":[%q]}`, f.shOut)
		}, api.CodeInvalidArgument},
		{"exponent amount", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":"1e3","inputs":[%q]}`, f.shOut)
		}, api.CodeInvalidArgument},
		{"unknown payer", op, nil, func(f *fixture) any { return req("nobody", "m1", "1", f.shOut) }, api.CodeNotFound},
		{"unknown payee", op, nil, func(f *fixture) any { return req("sh-reserve", "nobody", "1", f.shOut) }, api.CodeNotFound},
		{"frozen payer", op, func(f *fixture) { f.freeze(SH, "sh-reserve") }, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeAccountFrozen},
		{"frozen payee", op, func(f *fixture) { f.freeze(SH, "m1") }, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeAccountFrozen},
		{"closed payee", op, func(f *fixture) {
			f.ok(ident(SH, RoleOperator), "CloseAccount", `{"id":"m1"}`, nil)
		}, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeAccountClosed},
		{"input not owned", ident(JS, RoleOperator), nil, func(f *fixture) any { return req("js-reserve", "bob", "1", f.shOut) }, api.CodeInputNotOwned},
		{"input unknown", op, nil, func(f *fixture) any { return req("sh-reserve", "m1", "1", "no-such-output") }, api.CodeInputNotOwned},
		{"input spent", op, func(f *fixture) {
			f.pay(SH, api.TransferRequest{PaymentID: "first", From: "sh-reserve", To: "m1", Amount: y("1"), Inputs: []string{f.shOut}})
		}, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeInputSpent},
		{"inputs short", op, nil, func(f *fixture) any { return req("sh-reserve", "m1", "1000000.01", f.shOut) }, api.CodeInsufficientFunds},
		{"duplicate payment id", op, func(f *fixture) {
			f.pay(SH, api.TransferRequest{PaymentID: "x", From: "sh-reserve", To: "m1", Amount: y("1"), Inputs: []string{f.shOut}})
		}, func(f *fixture) any {
			return req("sh-reserve", "m1", "1", f.shOut)
		}, api.CodeDuplicatePayment},
		{"wrong org", ident(JS, RoleOperator), nil, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeForbidden},
		{"wrong role", ident(SH, RoleCompliance), nil, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeForbidden},
		{"auditor cannot pay", ident(SH, RoleAuditor), nil, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeForbidden},
		{"unknown MSP", ident("RogueMSP", RoleOperator), nil, func(f *fixture) any { return req("sh-reserve", "m1", "1", f.shOut) }, api.CodeForbidden},
		{"per-payment limit", op, func(f *fixture) { f.fundAlice("alice-in", "3000") }, func(f *fixture) any {
			return req("alice", "m1", "2000.01", f.aliceOut)
		}, api.CodeLimitExceeded},
		{"daily limit", op, func(f *fixture) {
			f.fundAlice("alice-in", "9000")
			o := f.aliceOut
			for i, amt := range []string{"2000", "2000"} {
				p := f.pay(SH, api.TransferRequest{PaymentID: fmt.Sprintf("a%d", i), From: "alice", To: "m1", Amount: y(amt), Inputs: []string{o}})
				o = p.ChangeOutputs[0]
			}
			f.aliceOut = o
		}, func(f *fixture) any { return req("alice", "m1", "1000.01", f.aliceOut) }, api.CodeLimitExceeded},
		{"balance cap", op, nil, func(f *fixture) any { return req("sh-reserve", "alice", "10000.01", f.shOut) }, api.CodeBalanceCapExceeded},
		{"same account", op, nil, func(f *fixture) any { return req("sh-reserve", "sh-reserve", "1", f.shOut) }, api.CodeInvalidArgument},
		{"unknown field", op, nil, func(f *fixture) any {
			return fmt.Sprintf(`{"paymentId":"x","from":"sh-reserve","to":"m1","amount":"1","inputs":[%q],"fee":"1"}`, f.shOut)
		}, api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			f.rejects(tt.who, "Transfer", tt.req(f), tt.code)
		})
	}
	t.Run("daily limit resets next UTC day", func(t *testing.T) {
		f := newFixture(t)
		f.fundAlice("alice-in", "9000")
		p := f.pay(SH, api.TransferRequest{PaymentID: "d1", From: "alice", To: "m1", Amount: y("2000"), Inputs: []string{f.aliceOut}})
		p = f.pay(SH, api.TransferRequest{PaymentID: "d2", From: "alice", To: "m1", Amount: y("2000"), Inputs: []string{p.ChangeOutputs[0]}})
		f.rejects(op, "Transfer", req("alice", "m1", "1000.01", p.ChangeOutputs[0]), api.CodeLimitExceeded)
		f.l.Clock = day0.Add(24 * 3600e9)
		f.pay(SH, api.TransferRequest{PaymentID: "d3", From: "alice", To: "m1", Amount: y("2000"), Inputs: []string{p.ChangeOutputs[0]}})
	})
}

// req is a transfer request with payment ID "x".
func req(from, to, amount, input string) api.TransferRequest {
	return api.TransferRequest{PaymentID: "x", From: from, To: to, Amount: y(amount), Inputs: []string{input}}
}

func (f *fixture) freeze(msp, id string) {
	f.env.tb.Helper()
	f.ok(ident(msp, RoleCompliance), "Freeze", api.FreezeRequest{ID: id, Reason: "court order"}, nil)
}

// fundAlice pays alice from the Shanghai reserve and remembers her output.
func (f *fixture) fundAlice(id, amount string) {
	p := f.pay(SH, api.TransferRequest{PaymentID: id, From: "sh-reserve", To: "alice", Amount: y(amount), Inputs: []string{f.shOut}})
	f.aliceOut, f.shOut = p.PayeeOutput, p.ChangeOutputs[0]
}

func TestAccountLifecycle(t *testing.T) {
	f := newFixture(t)
	comp := ident(SH, RoleCompliance)
	f.rejects(ident(SH, RoleOperator), "Freeze", `{"id":"m1","reason":"x"}`, api.CodeForbidden)
	f.rejects(ident(JS, RoleCompliance), "Freeze", `{"id":"m1","reason":"x"}`, api.CodeForbidden)
	f.rejects(comp, "Freeze", `{"id":"m1","reason":""}`, api.CodeInvalidArgument)
	f.rejects(comp, "Freeze", `{"id":"ghost","reason":"x"}`, api.CodeNotFound)
	f.rejects(comp, "Unfreeze", `{"id":"m1"}`, api.CodeInvalidArgument)
	r := f.ok(comp, "Freeze", `{"id":"m1","reason":"AML review"}`, nil)
	var env api.Envelope
	_ = json.Unmarshal(r.Events[0].Payload, &env)
	if len(r.Events) != 1 || env.Events[0].Type != api.EventFrozen || env.Events[0].Reason != "AML review" {
		t.Fatalf("freeze event %s", r.Events[0].Payload)
	}
	f.ok(comp, "Unfreeze", `{"id":"m1"}`, nil)
	// Close needs a zero balance.
	f.rejects(ident(SH, RoleOperator), "CloseAccount", `{"id":"sh-reserve"}`, api.CodeBalanceNotZero)
	f.rejects(ident(JS, RoleOperator), "CloseAccount", `{"id":"m1"}`, api.CodeForbidden)
	f.ok(ident(SH, RoleOperator), "CloseAccount", `{"id":"m1"}`, nil)
	f.rejects(ident(SH, RoleOperator), "CloseAccount", `{"id":"m1"}`, api.CodeAccountClosed)
	f.rejects(comp, "Freeze", `{"id":"m1","reason":"x"}`, api.CodeAccountClosed)
	f.rejects(ident(SH, RoleOperator), "OpenAccount", `{"id":"m1","kind":"merchant"}`, api.CodeAlreadyExists)
}

func TestMintRedeemMerge(t *testing.T) {
	f := newFixture(t)
	iss := ident(JS, RoleIssuer)
	f.rejects(ident(SH, RoleOperator), "Mint", `{"mintId":"m-x","account":"sh-reserve","amount":"1","reserveRef":"r"}`, api.CodeForbidden)
	f.rejects(iss, "Mint", `{"mintId":"mint-1","account":"sh-reserve","amount":"1","reserveRef":"r"}`, api.CodeAlreadyExists)
	f.rejects(iss, "Mint", `{"mintId":"m-x","account":"m1","amount":"1","reserveRef":"r"}`, api.CodeInvalidArgument)
	f.rejects(iss, "Mint", `{"mintId":"m-x","account":"sh-reserve","amount":"0","reserveRef":"r"}`, api.CodeInvalidArgument)
	f.rejects(iss, "Mint", `{"mintId":"m-x","account":"ghost","amount":"1","reserveRef":"r"}`, api.CodeNotFound)
	f.rejects(iss, "Mint", `{"mintId":"m-x","account":"sh-reserve","amount":"92233720368547758.07","reserveRef":"r"}`, api.CodeInvalidArgument)

	var m api.MintRecord
	r := f.ok(iss, "Mint", `{"mintId":"m-js","account":"js-reserve","amount":"500.25","reserveRef":"deposit-7"}`, &m)
	if m.Supply != y("1000500.25") || len(r.Events) != 1 {
		t.Fatalf("mint %+v", m)
	}
	var sup api.Supply
	f.query(ident(ZJ, RoleOperator), "GetSupply", &sup, nil)
	if sup.Total != y("1000500.25") {
		t.Fatalf("supply %s", sup.Total)
	}

	f.rejects(ident(SH, RoleOperator), "Redeem", fmt.Sprintf(`{"redeemId":"r1","account":"js-reserve","amount":"1","inputs":[%q]}`, m.Output), api.CodeForbidden)
	f.rejects(ident(JS, RoleOperator), "Redeem", fmt.Sprintf(`{"redeemId":"r1","account":"js-reserve","amount":"500.26","inputs":[%q]}`, m.Output), api.CodeInsufficientFunds)
	var red api.Redemption
	f.ok(ident(JS, RoleIssuer), "Redeem", fmt.Sprintf(`{"redeemId":"r1","account":"js-reserve","amount":"0.25","inputs":[%q]}`, m.Output), &red)
	if red.Supply != y("1000500") || len(red.ChangeOutputs) != 1 {
		t.Fatalf("redeem %+v", red)
	}
	f.rejects(ident(JS, RoleOperator), "Redeem", fmt.Sprintf(`{"redeemId":"r1","account":"js-reserve","amount":"1","inputs":[%q]}`, red.ChangeOutputs[0]), api.CodeAlreadyExists)

	// Merge three outputs of m1 into one.
	o := f.shOut
	var ins []string
	for i := 0; i < 3; i++ {
		p := f.pay(SH, api.TransferRequest{PaymentID: fmt.Sprintf("mm%d", i), From: "sh-reserve", To: "m1", Amount: y("1.01"), Inputs: []string{o}})
		o = p.ChangeOutputs[0]
		ins = append(ins, p.PayeeOutput)
	}
	f.rejects(ident(JS, RoleOperator), "Merge", api.MergeRequest{MergeID: "g1", Account: "m1", Inputs: ins}, api.CodeForbidden)
	f.rejects(ident(SH, RoleOperator), "Merge", api.MergeRequest{MergeID: "g1", Account: "m1", Inputs: ins[:1]}, api.CodeInvalidArgument)
	var g api.MergeRecord
	f.ok(ident(SH, RoleOperator), "Merge", api.MergeRequest{MergeID: "g1", Account: "m1", Inputs: ins}, &g)
	var page api.OutputPage
	f.query(ident(SH, RoleOperator), "ListOutputs", &page, api.ListOutputsRequest{Account: "m1"})
	if g.Amount != y("3.03") || len(page.Outputs) != 1 || page.Outputs[0].ID != g.Output {
		t.Fatalf("merge %+v page %+v", g, page)
	}
	var audit api.SupplyAudit
	f.query(ident(AH, RoleAuditor), "AuditSupply", &audit, nil)
	if !audit.Balanced || audit.Supply != y("1000500") {
		t.Fatalf("audit %+v", audit)
	}
	if r := f.call(ident(SH, RoleOperator), "AuditSupply", nil); codeOf(r.Message) != api.CodeForbidden {
		t.Fatalf("operator audit: %s", r.Message)
	}
}

func TestTransferBatch(t *testing.T) {
	f := newFixture(t)
	f.fundAlice("alice-in", "6000")
	txID := fmt.Sprintf("%064x", 999)
	// Item 0 spends the reserve output; item 1 spends item 0's change
	// (visible only through the in-transaction overlay); item 2 reuses
	// item 0's payment ID; item 3 spends an input item 0 already spent;
	// items 4 and 5 push alice past her daily limit; item 6 is fine.
	items := []api.TransferRequest{
		{PaymentID: "b0", From: "sh-reserve", To: "m1", Amount: y("10"), Inputs: []string{f.shOut}},
		{PaymentID: "b1", From: "sh-reserve", To: "bob", Amount: y("20"), Inputs: []string{txID + ".1"}},
		{PaymentID: "b0", From: "sh-reserve", To: "m1", Amount: y("1"), Inputs: []string{txID + ".3"}},
		{PaymentID: "b3", From: "sh-reserve", To: "m1", Amount: y("1"), Inputs: []string{f.shOut}},
		{PaymentID: "b4", From: "alice", To: "m1", Amount: y("2000"), Inputs: []string{f.aliceOut}},
		{PaymentID: "b5", From: "alice", To: "m1", Amount: y("2000"), Inputs: []string{txID + ".5"}},
		{PaymentID: "b6", From: "alice", To: "m1", Amount: y("1000.01"), Inputs: []string{txID + ".7"}},
		{PaymentID: "b7", From: "alice", To: "bob", Amount: y("1000"), Inputs: []string{txID + ".7"}},
		{PaymentID: "b8", From: "js-reserve", To: "m1", Amount: y("1"), Inputs: []string{txID + ".3"}},
	}
	before := f.balance("sh-reserve")
	r := f.invoke(memstub.Tx{ID: txID, Creator: ident(SH, RoleOperator), Fn: "token:TransferBatch", Args: []string{reqArg(api.BatchRequest{Items: items})}})
	if !r.OK() {
		t.Fatal(r.Message)
	}
	var res api.BatchResult
	_ = json.Unmarshal(r.Payload, &res)
	want := []api.Code{"", "", api.CodeDuplicatePayment, api.CodeInputSpent, "", "", api.CodeLimitExceeded, "", api.CodeForbidden}
	if len(res.Results) != len(want) {
		t.Fatalf("results %s", r.Payload)
	}
	for i, w := range want {
		got := res.Results[i]
		if got.OK != (w == "") || got.Code != w {
			t.Errorf("item %d: ok=%v code=%s msg=%s, want %s", i, got.OK, got.Code, got.Message, w)
		}
	}
	if res.Settled != 5 || res.Rejected != 4 {
		t.Fatalf("settled %d rejected %d", res.Settled, res.Rejected)
	}
	var env api.Envelope
	_ = json.Unmarshal(r.Events[0].Payload, &env)
	if len(r.Events) != 1 || len(env.Events) != 5 {
		t.Fatalf("events %d, envelope events %d", len(r.Events), len(env.Events))
	}
	if got, _ := money.Sub(y(before), y(f.balance("sh-reserve"))); got != y("30") {
		t.Fatalf("reserve moved %s", got)
	}
	if f.balance("bob") != "1020.00" || f.balance("m1") != "4010.00" || f.balance("alice") != "1000.00" {
		t.Fatalf("balances bob %s m1 %s alice %s", f.balance("bob"), f.balance("m1"), f.balance("alice"))
	}
	var audit api.SupplyAudit
	f.query(ident(AH, RoleAuditor), "AuditSupply", &audit, nil)
	if !audit.Balanced {
		t.Fatalf("audit %+v", audit)
	}

	big := api.BatchRequest{Items: make([]api.TransferRequest, api.MaxBatchItems+1)}
	f.rejects(ident(SH, RoleOperator), "TransferBatch", big, api.CodeBatchTooLarge)
	f.rejects(ident(SH, RoleOperator), "TransferBatch", `{"items":[]}`, api.CodeInvalidArgument)
	f.rejects(ident(SH, RoleIssuer), "TransferBatch", `{"items":[]}`, api.CodeForbidden)
}

func TestBatchCapUsesOverlay(t *testing.T) {
	f := newFixture(t)
	// Two credits of 6,000 to class-IV alice in one batch: the second must
	// see the first (cap 10,000) although GetState/range queries do not.
	txID := fmt.Sprintf("%064x", 4242)
	items := []api.TransferRequest{
		{PaymentID: "c0", From: "sh-reserve", To: "alice", Amount: y("6000"), Inputs: []string{f.shOut}},
		{PaymentID: "c1", From: "sh-reserve", To: "alice", Amount: y("6000"), Inputs: []string{txID + ".1"}},
		{PaymentID: "c2", From: "sh-reserve", To: "alice", Amount: y("4000"), Inputs: []string{txID + ".1"}},
	}
	r := f.invoke(memstub.Tx{ID: txID, Creator: ident(SH, RoleOperator), Fn: "token:TransferBatch", Args: []string{reqArg(api.BatchRequest{Items: items})}})
	var res api.BatchResult
	_ = json.Unmarshal(r.Payload, &res)
	if !r.OK() || !res.Results[0].OK || res.Results[1].Code != api.CodeBalanceCapExceeded || !res.Results[2].OK {
		t.Fatalf("results %s %s", r.Message, r.Payload)
	}
	if f.balance("alice") != "10000.00" {
		t.Fatalf("alice %s", f.balance("alice"))
	}
}

func TestStatementAndPagination(t *testing.T) {
	f := newFixture(t)
	o := f.shOut
	for i := 0; i < 5; i++ {
		p := f.pay(SH, api.TransferRequest{PaymentID: fmt.Sprintf("s%d", i), From: "sh-reserve", To: "m1", Amount: y("1"), Inputs: []string{o}})
		o = p.ChangeOutputs[0]
	}
	// Transactions are one second apart starting at day0; the fixture used
	// 7 (gov:Init, five accounts, a mint), so the payments are at day0+7s ..
	// day0+11s.
	var page api.StatementPage
	from, to := day0.Add(8e9), day0.Add(11e9)
	f.query(ident(SH, RoleOperator), "Statement", &page, api.StatementRequest{Account: "m1", From: from, To: to, PageSize: 2})
	var refs []string
	for {
		for _, e := range page.Entries {
			refs = append(refs, e.Reference+"/"+e.Type)
		}
		if page.Bookmark == "" {
			break
		}
		f.query(ident(SH, RoleOperator), "Statement", &page, api.StatementRequest{Account: "m1", From: from, To: to, PageSize: 2, Bookmark: page.Bookmark})
	}
	if strings.Join(refs, ",") != "s1/credit,s2/credit,s3/credit" {
		t.Fatalf("statement %v", refs)
	}
	if r := f.call(ident(SH, RoleOperator), "Statement", `{"account":"m1","from":"yesterday","to":"2025-01-01T00:00:00Z"}`); codeOf(r.Message) != api.CodeInvalidArgument {
		t.Fatalf("bad from: %s", r.Message)
	}
	if r := f.call(ident(SH, RoleOperator), "ListOutputs", api.ListOutputsRequest{Account: "m1", PageSize: -1}); codeOf(r.Message) != api.CodeInvalidArgument {
		t.Fatalf("bad page size: %s", r.Message)
	}
	var outs api.OutputPage
	f.query(ident(SH, RoleOperator), "ListOutputs", &outs, api.ListOutputsRequest{Account: "m1", PageSize: 3})
	n := len(outs.Outputs)
	f.query(ident(SH, RoleOperator), "ListOutputs", &outs, api.ListOutputsRequest{Account: "m1", PageSize: 3, Bookmark: outs.Bookmark})
	if n+len(outs.Outputs) != 5 || outs.Bookmark != "" {
		t.Fatalf("pages %d + %d, bookmark %q", n, len(outs.Outputs), outs.Bookmark)
	}
}

// TestPolicySetOnlyOnCreate: a key's endorsement policy is written when the
// key is created and never rewritten by later updates. Fabric invalidates
// other transactions of the same block that touch a key whose policy was
// rewritten, so rewriting would turn retryable MVCC conflicts on the supply
// key and on accounts into hard ENDORSEMENT_POLICY_FAILUREs.
func TestPolicySetOnlyOnCreate(t *testing.T) {
	f := newFixture(t)
	supplyKey, err := f.l.NewStub(memstub.Tx{}).CreateCompositeKey(nsSupply, nil)
	if err != nil {
		t.Fatal(err)
	}
	acctKey, err := f.l.NewStub(memstub.Tx{}).CreateCompositeKey(nsAccount, []string{"alice"})
	if err != nil {
		t.Fatal(err)
	}
	r := f.ok(ident(SH, RoleIssuer), "Mint", api.MintRequest{MintID: "again", Account: "sh-reserve", Amount: y("5"), ReserveRef: "dep"}, nil)
	if _, written := r.Stub.ValidationParameterWritten(supplyKey); written {
		t.Error("a second mint rewrote the supply key's policy")
	}
	var m api.MintRecord
	if err := json.Unmarshal(r.Payload, &m); err != nil {
		t.Fatal(err)
	}
	outKey, _ := f.l.NewStub(memstub.Tx{}).CreateCompositeKey(nsOutput, []string{"sh-reserve", m.Output})
	if _, written := r.Stub.ValidationParameterWritten(outKey); !written {
		t.Error("a new output got no policy")
	}
	r = f.ok(ident(SH, RoleCompliance), "Freeze", api.FreezeRequest{ID: "alice", Reason: "check"}, nil)
	if _, written := r.Stub.ValidationParameterWritten(acctKey); written {
		t.Error("freezing rewrote the account's policy")
	}
	if f.l.ValidationParameter(acctKey) == nil || f.l.ValidationParameter(supplyKey) == nil {
		t.Error("policies lost on update")
	}
}
