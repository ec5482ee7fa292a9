package server

// This file is the one place that knows the chaincode's contract: function
// names, argument shapes and the few result fields the gateway reads. Every
// other result is passed through to clients unchanged. Adjust here when the
// chaincode's shapes move.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// Chaincode functions called by the gateway.
const (
	fnVersion = "system:Version"
	fnPing    = "system:Ping"
	fnGetPing = "system:GetPing"
	fnWhoAmI  = "system:WhoAmI"

	fnOpenAccount   = "token:OpenAccount"
	fnFreeze        = "token:Freeze"
	fnUnfreeze      = "token:Unfreeze"
	fnCloseAccount  = "token:CloseAccount"
	fnMint          = "token:Mint"
	fnRedeem        = "token:Redeem"
	fnTransfer      = "token:Transfer"
	fnTransferBatch = "token:TransferBatch"
	fnMerge         = "token:Merge"

	fnGetAccount  = "token:GetAccount"
	fnGetBalance  = "token:GetBalance"
	fnListOutputs = "token:ListOutputs"
	fnGetPayment  = "token:GetPayment"
	fnStatement   = "token:Statement"
	fnGetSupply   = "token:GetSupply"
	fnAuditSupply = "token:AuditSupply"
)

// transientCustomerRef is the transient key of OpenAccount's customer reference.
const transientCustomerRef = "customerRef"

// eventName is the chaincode event name the gateway streams.
const eventName = "yrd"

// Write arguments: each write takes one JSON argument.
type (
	openAccountArgs struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Tier string `json:"tier,omitempty"`
	}
	freezeArgs struct {
		ID     string `json:"id"`
		Reason string `json:"reason,omitempty"`
	}
	accountIDArgs struct {
		ID string `json:"id"`
	}
	mintArgs struct {
		MintID     string `json:"mintId"`
		Account    string `json:"account"`
		Amount     string `json:"amount"`
		ReserveRef string `json:"reserveRef,omitempty"`
	}
	redeemArgs struct {
		RedeemID string   `json:"redeemId"`
		Account  string   `json:"account"`
		Amount   string   `json:"amount"`
		Inputs   []string `json:"inputs"`
	}
	transferArgs struct {
		PaymentID      string   `json:"paymentId"`
		From           string   `json:"from"`
		To             string   `json:"to"`
		Amount         string   `json:"amount"`
		Inputs         []string `json:"inputs"`
		Purpose        string   `json:"purpose,omitempty"`
		RemittanceHash string   `json:"remittanceHash,omitempty"`
		ChangeSplit    int      `json:"changeSplit,omitempty"`
	}
	transferBatchArgs struct {
		Items []transferArgs `json:"items"`
	}
	mergeArgs struct {
		MergeID string   `json:"mergeId"`
		Account string   `json:"account"`
		Inputs  []string `json:"inputs"`
	}
)

// jsonArg renders a write's single JSON argument.
func jsonArg(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings and ints are passed here.
		panic(fmt.Sprintf("encode chaincode argument: %v", err))
	}
	return []string{string(b)}
}

// outputsPage is ListOutputs' answer: {"outputs":[{"id","amount"}],"bookmark"}.
// A bare array of outputs, and "outputId" for "id", are accepted too.
type outputsPage struct {
	Outputs  []outputRecord `json:"outputs"`
	Bookmark string         `json:"bookmark"`
}

type outputRecord struct {
	ID       string `json:"id"`
	OutputID string `json:"outputId"`
	Amount   string `json:"amount"`
}

func parseOutputs(b []byte) ([]selection.Output, string, error) {
	var page outputsPage
	if err := json.Unmarshal(b, &page); err != nil {
		if aerr := json.Unmarshal(b, &page.Outputs); aerr != nil {
			return nil, "", fmt.Errorf("decode ListOutputs result: %w", err)
		}
	}
	outs := make([]selection.Output, 0, len(page.Outputs))
	for _, o := range page.Outputs {
		id := o.ID
		if id == "" {
			id = o.OutputID
		}
		a, err := money.ParseYuan(o.Amount)
		if err != nil || id == "" {
			return nil, "", fmt.Errorf("decode ListOutputs result: output %q amount %q: bad record", id, o.Amount)
		}
		outs = append(outs, selection.Output{ID: id, Amount: a})
	}
	return outs, page.Bookmark, nil
}

// outputSource reads all unspent outputs of an account, page by page.
type outputSource struct{ l ledger.Ledger }

const outputPageSize = 500

func (o outputSource) Outputs(ctx context.Context, identity, account string) ([]selection.Output, error) {
	var all []selection.Output
	bookmark := ""
	for range 100 {
		b, err := o.l.Evaluate(ctx, identity, fnListOutputs, account, strconv.Itoa(outputPageSize), bookmark)
		if err != nil {
			return nil, err
		}
		outs, next, err := parseOutputs(b)
		if err != nil {
			return nil, err
		}
		all = append(all, outs...)
		if next == "" || len(outs) < outputPageSize {
			return all, nil
		}
		bookmark = next
	}
	return all, nil
}

// kindReserve is the account kind whose outputs the gateway pools.
const kindReserve = "reserve"

// accountKind reads the kind from GetAccount's answer.
func accountKind(b []byte) (string, error) {
	var a struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return "", fmt.Errorf("decode GetAccount result: %w", err)
	}
	return a.Kind, nil
}

// storedPayment holds the fields of GetPayment's answer that a repeated
// request is compared on.
type storedPayment struct {
	From           *string `json:"from"`
	To             *string `json:"to"`
	Amount         *string `json:"amount"`
	Purpose        *string `json:"purpose"`
	RemittanceHash *string `json:"remittanceHash"`
}

// samePayment reports whether a request repeats the stored payment (the
// chaincode's token.Payment): from, to, amount (compared as money), purpose
// and remittanceHash must match; the last two are omitted when empty.
func samePayment(stored []byte, req paymentRequest) (bool, error) {
	var p storedPayment
	if err := json.Unmarshal(stored, &p); err != nil {
		return false, fmt.Errorf("decode GetPayment result: %w", err)
	}
	eq := func(stored *string, v string) bool {
		return (stored == nil && v == "") || (stored != nil && *stored == v)
	}
	if !eq(p.From, req.From) || !eq(p.To, req.To) || !eq(p.Purpose, req.Purpose) || !eq(p.RemittanceHash, req.RemittanceHash) {
		return false, nil
	}
	if p.Amount == nil {
		return false, nil
	}
	a, err := money.ParseYuan(*p.Amount)
	b, berr := money.ParseYuan(req.Amount)
	return err == nil && berr == nil && a == b, nil
}
