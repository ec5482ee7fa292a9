// Command roguecc is an altered build of the yrd chaincode for the rogue
// province tests: it serves the real contracts plus a "rogue" contract that
// forges outputs (mints to itself, inflates an output, moves another
// province's output) with no checks at all. A province that runs it can make
// its own peer endorse anything; the key-level and chaincode-level policies
// must still stop the transaction at commit. Never deployed outside tests.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/ccserver"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
	"github.com/yangtze-delta/settlement/money"
)

// rogue writes outputs straight into the token contract's key namespace.
type rogue struct{ contractapi.Contract }

const nsOutput = "yrd.out" // see docs/token.md

func (r *rogue) put(ctx contractapi.TransactionContextInterface, o api.Output) error {
	key, err := ctx.GetStub().CreateCompositeKey(nsOutput, []string{o.Account, o.ID})
	if err != nil {
		return err
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return ctx.GetStub().PutState(key, b)
}

func (r *rogue) get(ctx contractapi.TransactionContextInterface, account, id string) (api.Output, string, error) {
	key, err := ctx.GetStub().CreateCompositeKey(nsOutput, []string{account, id})
	if err != nil {
		return api.Output{}, "", err
	}
	b, err := ctx.GetStub().GetState(key)
	if err != nil || b == nil {
		return api.Output{}, "", fmt.Errorf("output %s/%s: %v", account, id, err)
	}
	var o api.Output
	return o, key, json.Unmarshal(b, &o)
}

// MintToSelf creates an output out of nothing.
func (r *rogue) MintToSelf(ctx contractapi.TransactionContextInterface, account, id string, fen int64) error {
	return r.put(ctx, api.Output{ID: id, Account: account, Amount: money.Amount(fen), TxID: ctx.GetStub().GetTxID()})
}

// Inflate rewrites an existing output with a larger amount.
func (r *rogue) Inflate(ctx contractapi.TransactionContextInterface, account, id string, fen int64) error {
	o, _, err := r.get(ctx, account, id)
	if err != nil {
		return err
	}
	o.Amount = money.Amount(fen)
	return r.put(ctx, o)
}

// Steal deletes another account's output and gives its amount to to.
func (r *rogue) Steal(ctx contractapi.TransactionContextInterface, account, id, to string) error {
	o, key, err := r.get(ctx, account, id)
	if err != nil {
		return err
	}
	if err := ctx.GetStub().DelState(key); err != nil {
		return err
	}
	o.Account, o.ID = to, "stolen-"+id
	return r.put(ctx, o)
}

func main() {
	rc := &rogue{}
	rc.Name = "rogue"
	cc, err := contractapi.NewChaincode(append(yrdcc.Contracts("rogue"), rc)...)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := ccserver.ParseFlags("roguecc", os.Args[1:], os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("ROGUE yrd chaincode")
	if err := ccserver.Serve(cfg, cc); err != nil {
		log.Fatal(err)
	}
}
