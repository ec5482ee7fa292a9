package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

func TestOpenAccountRequestValidate(t *testing.T) {
	h := strings.Repeat("0f", 32)
	tests := []struct {
		name string
		req  api.OpenAccountRequest
		code api.Code
	}{
		{"customer", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: h}, ""},
		{"merchant", api.OpenAccountRequest{ID: "SH-ICBC:m", Kind: api.KindMerchant, MerchantCategory: "5411"}, ""},
		{"reserve", api.OpenAccountRequest{ID: "SH-PBC:r", Kind: api.KindReserve}, ""},
		{"no namespace", api.OpenAccountRequest{ID: "c", Kind: api.KindReserve}, api.CodeInvalidArgument},
		{"unknown kind", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: "bank"}, api.CodeInvalidArgument},
		{"unknown tier", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: api.KindCustomer, Tier: "class-I", CustomerRefHash: h}, api.CodeInvalidArgument},
		{"reference hash too short", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: h[2:]}, api.CodeInvalidArgument},
		{"reference hash upper case", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: strings.ToUpper(h)}, api.CodeInvalidArgument},
		{"reference hash not hex", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: strings.Repeat("zz", 32)}, api.CodeInvalidArgument},
		{"merchant without category", api.OpenAccountRequest{ID: "SH-ICBC:m", Kind: api.KindMerchant}, api.CodeInvalidArgument},
		{"category of five digits", api.OpenAccountRequest{ID: "SH-ICBC:m", Kind: api.KindMerchant, MerchantCategory: "54110"}, api.CodeInvalidArgument},
		{"category with a letter", api.OpenAccountRequest{ID: "SH-ICBC:m", Kind: api.KindMerchant, MerchantCategory: "54a1"}, api.CodeInvalidArgument},
		{"category on a customer", api.OpenAccountRequest{ID: "SH-ICBC:c", Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: h, MerchantCategory: "5411"}, api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, tt.req.Validate(), tt.code) })
	}
}

func TestTransferRequestValidate(t *testing.T) {
	ok := func() api.TransferRequest {
		return api.TransferRequest{PaymentID: "SH-ICBC:p1", From: "SH-ICBC:a", To: "JS-ABC:b", Amount: money.Yuan(1), Inputs: []string{"tx.0"}}
	}
	with := func(f func(*api.TransferRequest)) api.TransferRequest { r := ok(); f(&r); return r }
	many := make([]string, api.MaxInputs+1)
	for i := range many {
		many[i] = fmt.Sprintf("tx.%d", i)
	}
	tests := []struct {
		name       string
		req        api.TransferRequest
		code       api.Code
		selectable api.Code // ValidateSelectable's answer
	}{
		{"valid", ok(), "", ""},
		{"no inputs (the gateway selects them)", with(func(r *api.TransferRequest) { r.Inputs = nil }), api.CodeInvalidArgument, ""},
		{"payment ID without namespace", with(func(r *api.TransferRequest) { r.PaymentID = "p1" }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"same account", with(func(r *api.TransferRequest) { r.To = r.From }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"zero amount", with(func(r *api.TransferRequest) { r.Amount = 0 }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"an input twice", with(func(r *api.TransferRequest) { r.Inputs = []string{"tx.0", "tx.0"} }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"too many inputs", with(func(r *api.TransferRequest) { r.Inputs = many }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"a bad purpose", with(func(r *api.TransferRequest) { r.Purpose = "a b" }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"a remittance hash not SHA-256", with(func(r *api.TransferRequest) { r.RemittanceHash = "abc" }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"change split too large", with(func(r *api.TransferRequest) { r.ChangeSplit = api.MaxChangeSplit + 1 }), api.CodeInvalidArgument, api.CodeInvalidArgument},
		{"negative change split", with(func(r *api.TransferRequest) { r.ChangeSplit = -1 }), api.CodeInvalidArgument, api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			codeIs(t, tt.req.Validate(), tt.code)
			codeIs(t, tt.req.ValidateSelectable(), tt.selectable)
		})
	}
}

func TestOtherRequestsValidate(t *testing.T) {
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		code api.Code
	}{
		{"merge", (&api.MergeRequest{MergeID: "SH-ICBC:g", Account: "SH-ICBC:a", Inputs: []string{"t.0", "t.1"}}).Validate(), ""},
		{"merge of one output", (&api.MergeRequest{MergeID: "SH-ICBC:g", Account: "SH-ICBC:a", Inputs: []string{"t.0"}}).Validate(), api.CodeInvalidArgument},
		{"merge of one output, selectable", (&api.MergeRequest{MergeID: "SH-ICBC:g", Account: "SH-ICBC:a"}).ValidateSelectable(), ""},
		{"merge ID without namespace", (&api.MergeRequest{MergeID: "g", Account: "SH-ICBC:a", Inputs: []string{"t.0", "t.1"}}).Validate(), api.CodeInvalidArgument},
		{"statement", (&api.StatementRequest{Account: "SH-ICBC:a", From: day, To: day.Add(time.Hour)}).Validate(), ""},
		{"an empty statement window", (&api.StatementRequest{Account: "SH-ICBC:a", From: day, To: day}).Validate(), ""},
		{"a statement window backwards", (&api.StatementRequest{Account: "SH-ICBC:a", From: day, To: day.Add(-1)}).Validate(), api.CodeInvalidArgument},
		{"list outputs", (&api.ListOutputsRequest{Account: "SH-ICBC:a", PageSize: 10}).Validate(), ""},
		{"list outputs of no account", (&api.ListOutputsRequest{}).Validate(), api.CodeInvalidArgument},
		{"payment", (&api.PaymentRequest{PaymentID: "SH-ICBC:p"}).Validate(), ""},
		{"freeze", (&api.FreezeRequest{ID: "SH-ICBC:a", ReasonHash: strings.Repeat("ab", 32)}).Validate(), ""},
		{"freeze without a reason hash", (&api.FreezeRequest{ID: "SH-ICBC:a"}).Validate(), api.CodeInvalidArgument},
		{"freeze with an upper-case hash", (&api.FreezeRequest{ID: "SH-ICBC:a", ReasonHash: strings.Repeat("AB", 32)}).Validate(), api.CodeInvalidArgument},
		{"batch", (&api.BatchRequest{Items: make([]api.TransferRequest, api.MaxBatchItems)}).Validate(), ""},
		{"batch too large", (&api.BatchRequest{Items: make([]api.TransferRequest, api.MaxBatchItems+1)}).Validate(), api.CodeBatchTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, tt.err, tt.code) })
	}
}
