package api_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// decode runs an operation's strict decoder; the tests below name the
// operation and the argument.
type decodeCase struct {
	name string
	run  func() error
	code api.Code
}

func dec[Req, Resp any](op api.Operation[Req, Resp], arg string) func() error {
	return func() error { _, err := op.DecodeRequest(arg); return err }
}

// TestDecodeRequest: requests are decoded strictly (exact keys, once each,
// no unknown keys, one value) and then validated, all as INVALID_ARGUMENT
// (or the request's own code).
func TestDecodeRequest(t *testing.T) {
	tr := `"paymentId":"SH-ICBC:p1","from":"SH-ICBC:a","to":"SH-ICBC:b","inputs":["tx.0"]`
	tests := []decodeCase{
		{"a valid transfer", dec(api.Transfer, `{`+tr+`,"amount":"12.34"}`), ""},
		{"a case-folded key", dec(api.Transfer, `{`+tr+`,"Amount":"12.34"}`), api.CodeInvalidArgument},
		{"a key twice", dec(api.Transfer, `{`+tr+`,"amount":"0.01","amount":"1000"}`), api.CodeInvalidArgument},
		{"a key and its case-folded twin", dec(api.Transfer, `{`+tr+`,"amount":"0.01","AMOUNT":"1000"}`), api.CodeInvalidArgument},
		{"an unknown key", dec(api.Transfer, `{`+tr+`,"amount":"1","fee":"1"}`), api.CodeInvalidArgument},
		{"a numeric amount", dec(api.Transfer, `{`+tr+`,"amount":12.34}`), api.CodeInvalidArgument},
		{"two values", dec(api.Transfer, `{`+tr+`,"amount":"1"} {}`), api.CodeInvalidArgument},
		{"not JSON", dec(api.Transfer, `paymentId=p1`), api.CodeInvalidArgument},
		{"valid JSON, invalid request", dec(api.Transfer, `{`+tr+`,"amount":"0"}`), api.CodeInvalidArgument},
		{"a payment ID without namespace", dec(api.Transfer, `{"paymentId":"p1","from":"SH-ICBC:a","to":"SH-ICBC:b","inputs":["tx.0"],"amount":"1"}`), api.CodeInvalidArgument},
		{"a batch too large keeps its code", dec(api.TransferBatch, `{"items":[`+strings.TrimSuffix(strings.Repeat(`{},`, api.MaxBatchItems+1), ",")+`]}`), api.CodeBatchTooLarge},
		{"an empty batch", dec(api.TransferBatch, `{"items":[]}`), api.CodeInvalidArgument},
		{"a nested unknown key in a batch", dec(api.TransferBatch, `{"items":[{"paymentId":"SH-ICBC:p","extra":1}]}`), api.CodeInvalidArgument},
		{"the old transient customer reference in an account", dec(api.OpenAccount, `{"id":"SH-ICBC:a","kind":"customer","tier":"class-IV","customerRef":"x"}`), api.CodeInvalidArgument},
		{"a customer with its reference hash", dec(api.OpenAccount, fmt.Sprintf(`{"id":"SH-ICBC:a","kind":"customer","tier":"class-IV","customerRefHash":%q}`, strings.Repeat("0f", 32))), ""},
		{"a freeze reason in the body", dec(api.Freeze, fmt.Sprintf(`{"id":"SH-ICBC:a","reasonHash":%q,"reason":"AML"}`, strings.Repeat("0f", 32))), api.CodeInvalidArgument},
		{"a freeze without its note's hash", dec(api.Freeze, `{"id":"SH-ICBC:a"}`), api.CodeInvalidArgument},
		{"a freeze with a short hash", dec(api.Freeze, `{"id":"SH-ICBC:a","reasonHash":"0f0f"}`), api.CodeInvalidArgument},
		{"a freeze", dec(api.Freeze, fmt.Sprintf(`{"id":"SH-ICBC:a","reasonHash":%q}`, strings.Repeat("0f", 32))), ""},
		{"a freeze reason's note", dec(api.RecordFreezeReason, `{"id":"SH-ICBC:a"}`), ""},
		{"a freeze reason in the note's arguments", dec(api.RecordFreezeReason, `{"id":"SH-ICBC:a","reason":"AML"}`), api.CodeInvalidArgument},
		{"a proposal", dec(api.Propose, `{"id":"ShanghaiMSP:p","action":"mint","mint":{"account":"SH-PBC:reserve","amount":"1","reserveRef":"d"}}`), ""},
		{"a proposal with a nested unknown key", dec(api.Propose, `{"id":"ShanghaiMSP:p","action":"mint","mint":{"account":"SH-PBC:reserve","amount":"1","reserveRef":"d","to":"x"}}`), api.CodeInvalidArgument},
		{"a proposal whose action lacks its parameters", dec(api.Propose, `{"id":"ShanghaiMSP:p","action":"redeem","mint":{"account":"SH-PBC:reserve","amount":"1","reserveRef":"d"}}`), api.CodeInvalidArgument},
		{"an empty request", dec(api.GetSupply, `{}`), ""},
		{"an empty request with a key", dec(api.GetSupply, `{"all":true}`), api.CodeInvalidArgument},
		{"a bookmark too long", dec(api.ListOutputs, fmt.Sprintf(`{"account":"SH-ICBC:a","bookmark":%q}`, strings.Repeat("b", api.MaxBookmarkLen+1))), api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, tt.run(), tt.code) })
	}
	// What is decoded is what was sent.
	req, err := api.Transfer.DecodeRequest(`{` + tr + `,"amount":"12.34","changeSplit":3}`)
	if err != nil {
		t.Fatal(err)
	}
	want := api.TransferRequest{PaymentID: "SH-ICBC:p1", From: "SH-ICBC:a", To: "SH-ICBC:b", Inputs: []string{"tx.0"}, Amount: money.MustParseYuan("12.34"), ChangeSplit: 3}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("decoded %+v", req)
	}
	arg, err := api.Transfer.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := api.Transfer.DecodeRequest(arg); err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("round trip %+v %v", again, err)
	}
}

// TestRegistry: the operation table is consistent, and the trust-model
// change is in it: no direct issuance, decisions in gov, the freeze reason
// in the transient map of its own transaction and never in Freeze's.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range api.Operations() {
		t.Run(op.Function(), func(t *testing.T) {
			if seen[op.Function()] {
				t.Fatal("defined twice")
			}
			seen[op.Function()] = true
			if got, ok := api.Lookup(op.Function()); !ok || got.Function() != op.Function() {
				t.Fatal("Lookup does not find it")
			}
			if len(op.Access) == 0 || (op.Mode != api.Submit && op.Mode != api.Evaluate) || op.RequestType() == nil || op.ResponseType() == nil {
				t.Fatalf("incomplete: %s", op)
			}
			for r, s := range op.Access {
				if s != api.ScopeAny && s != api.ScopeProvince && s != api.ScopeBank {
					t.Fatalf("role %s has scope %q", r, s)
				}
				if s == api.ScopeBank && !api.RoleNeedsBank(r) {
					t.Fatalf("role %s has bank scope but carries no bank", r)
				}
			}
		})
	}
	for _, fn := range []string{"token:Mint", "token:Redeem", "token:SetCeiling"} {
		if _, ok := api.Lookup(fn); ok {
			t.Errorf("%s still exists: issuance is a decision (gov:Propose)", fn)
		}
	}
	access := []struct {
		op   api.Op
		want api.Access
	}{
		{api.Freeze.Op, api.Access{api.RoleCompliance: api.ScopeProvince}},
		{api.RecordFreezeReason.Op, api.Access{api.RoleCompliance: api.ScopeProvince}},
		{api.Unfreeze.Op, api.Access{api.RoleCompliance: api.ScopeProvince}},
		{api.Transfer.Op, api.Access{api.RoleOperator: api.ScopeBank, api.RoleIssuer: api.ScopeBank, api.RoleFiscal: api.ScopeBank}},
		{api.GetAccount.Op, api.Access{api.RoleAuditor: api.ScopeAny, api.RoleCompliance: api.ScopeProvince,
			api.RoleOperator: api.ScopeBank, api.RoleIssuer: api.ScopeBank, api.RoleFiscal: api.ScopeBank}},
		{api.GetPayment.Op, api.Access{api.RoleAuditor: api.ScopeAny, api.RoleCompliance: api.ScopeProvince,
			api.RoleOperator: api.ScopeBank, api.RoleIssuer: api.ScopeBank, api.RoleFiscal: api.ScopeBank}},
		{api.Propose.Op, api.Access{api.RoleIssuer: api.ScopeProvince, api.RoleAdmin: api.ScopeProvince}},
		{api.Approve.Op, api.Access{api.RoleIssuer: api.ScopeProvince, api.RoleAdmin: api.ScopeProvince}},
		{api.Execute.Op, api.Access{api.RoleIssuer: api.ScopeProvince, api.RoleAdmin: api.ScopeProvince}},
		{api.AuditSupply.Op, api.Access{api.RoleAuditor: api.ScopeAny, api.RoleIssuer: api.ScopeAny}},
	}
	for _, tt := range access {
		if !reflect.DeepEqual(tt.op.Access, tt.want) {
			t.Errorf("%s: access %v, want %v", tt.op.Function(), tt.op.Access, tt.want)
		}
	}
	if !reflect.DeepEqual(api.RecordFreezeReason.Transient, []string{api.TransientFreezeReason, api.TransientFreezeSalt}) {
		t.Errorf("RecordFreezeReason reads transient %v", api.RecordFreezeReason.Transient)
	}
	if len(api.Freeze.Transient) != 0 {
		t.Errorf("Freeze, endorsed by several provinces, reads transient %v", api.Freeze.Transient)
	}
	if api.CollectionKYC("ShanghaiMSP") != "kyc_ShanghaiMSP" {
		t.Errorf("collection %s", api.CollectionKYC("ShanghaiMSP"))
	}
	for _, name := range api.EvaluateNames(api.ContractGov) {
		if op, _ := api.Lookup(api.ContractGov + ":" + name); op.Mode != api.Evaluate {
			t.Errorf("gov:%s listed as evaluate", name)
		}
	}
}

func TestKindsOf(t *testing.T) {
	tests := []struct {
		role api.Role
		want []api.Kind
	}{
		{api.RoleOperator, []api.Kind{api.KindCustomer, api.KindMerchant, api.KindSettlement}},
		{api.RoleIssuer, []api.Kind{api.KindReserve}},
		{api.RoleFiscal, []api.Kind{api.KindFiscal}},
		{api.RoleCompliance, nil},
		{api.RoleAuditor, nil},
		{api.RoleAdmin, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			if got := api.KindsOf(tt.role); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("KindsOf = %v, want %v", got, tt.want)
			}
			if api.RoleNeedsBank(tt.role) != (tt.want != nil) {
				t.Fatalf("RoleNeedsBank = %v", api.RoleNeedsBank(tt.role))
			}
		})
	}
}

func TestEventConcerns(t *testing.T) {
	pay := api.Event{Type: api.EventTransferred, FromMSP: "ShanghaiMSP", FromBank: "SH-ICBC", ToMSP: "JiangsuMSP", ToBank: "JS-ABC"}
	acct := api.Event{Type: api.EventFrozen, MSP: "ShanghaiMSP", Bank: "SH-BOC"}
	prop := api.Event{Type: api.EventProposed, MSP: "ShanghaiMSP"}
	tests := []struct {
		name      string
		ev        api.Event
		msp, bank string
		want      bool
	}{
		{"payer's bank", pay, "ShanghaiMSP", "SH-ICBC", true},
		{"payee's bank", pay, "JiangsuMSP", "JS-ABC", true},
		{"payer's province", pay, "ShanghaiMSP", "", true},
		{"another bank of the payer's province", pay, "ShanghaiMSP", "SH-BOC", false},
		{"the payee's bank code in the payer's province", pay, "ShanghaiMSP", "JS-ABC", false},
		{"a third province", pay, "ZhejiangMSP", "", false},
		{"the account's bank", acct, "ShanghaiMSP", "SH-BOC", true},
		{"another bank", acct, "ShanghaiMSP", "SH-ICBC", false},
		{"a province's proposal, to its province", prop, "ShanghaiMSP", "", true},
		{"a province's proposal, to a bank of it", prop, "ShanghaiMSP", "SH-ICBC", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.Concerns(tt.msp, tt.bank); got != tt.want {
				t.Fatalf("Concerns = %v, want %v", got, tt.want)
			}
		})
	}
}
