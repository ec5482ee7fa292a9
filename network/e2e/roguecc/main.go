// Command roguecc is an altered build of the yrd chaincode for the rogue
// coalition tests: it serves the real contracts plus a "rogue" contract
// that writes, deletes or re-protects any raw key of the chaincode's world
// state with no checks at all. A province that runs it can make its own
// peer endorse anything; the key-level and chaincode-level policies must
// still stop the transaction at commit unless enough provinces endorse it.
// Never deployed outside tests.
//
// Keys, values and policies travel hex-encoded (composite keys hold NUL
// bytes, policies are protobuf), so that one generic function covers every
// key type of the contracts.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/ccserver"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
)

// rogue writes the world state directly.
type rogue struct{ contractapi.Contract }

func unhex(what, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s is not hex: %w", what, err)
	}
	return b, nil
}

// Put writes value under key.
func (r *rogue) Put(ctx contractapi.TransactionContextInterface, keyHex, valueHex string) error {
	k, err := unhex("key", keyHex)
	if err != nil {
		return err
	}
	v, err := unhex("value", valueHex)
	if err != nil {
		return err
	}
	return ctx.GetStub().PutState(string(k), v)
}

// Del deletes key.
func (r *rogue) Del(ctx contractapi.TransactionContextInterface, keyHex string) error {
	k, err := unhex("key", keyHex)
	if err != nil {
		return err
	}
	return ctx.GetStub().DelState(string(k))
}

// SetPolicy replaces key's endorsement policy (a serialized
// SignaturePolicyEnvelope).
func (r *rogue) SetPolicy(ctx contractapi.TransactionContextInterface, keyHex, policyHex string) error {
	k, err := unhex("key", keyHex)
	if err != nil {
		return err
	}
	p, err := unhex("policy", policyHex)
	if err != nil {
		return err
	}
	return ctx.GetStub().SetStateValidationParameter(string(k), p)
}

// write is one write of Batch: op "put" (Value set) or "del", key and
// value hex-encoded.
type write struct {
	Op    string `json:"op"`
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Batch applies several puts and deletes in one transaction (a JSON array
// of writes): a rogue payment deletes one output and creates another.
func (r *rogue) Batch(ctx contractapi.TransactionContextInterface, writesJSON string) error {
	var ws []write
	if err := json.Unmarshal([]byte(writesJSON), &ws); err != nil {
		return fmt.Errorf("writes: %w", err)
	}
	for _, w := range ws {
		var err error
		switch w.Op {
		case "put":
			err = r.Put(ctx, w.Key, w.Value)
		case "del":
			err = r.Del(ctx, w.Key)
		default:
			err = fmt.Errorf("write op %q: want put or del", w.Op)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Get returns key's value, hex-encoded ("" when absent): the test checks
// that the keys it attacks are the contracts' real ones.
func (r *rogue) Get(ctx contractapi.TransactionContextInterface, keyHex string) (string, error) {
	k, err := unhex("key", keyHex)
	if err != nil {
		return "", err
	}
	v, err := ctx.GetStub().GetState(string(k))
	return hex.EncodeToString(v), err
}

// Keys lists the keys (hex) of a partial composite key: objectType and
// attributes (a JSON array of strings), at most 100.
func (r *rogue) Keys(ctx contractapi.TransactionContextInterface, objectType, attrsJSON string) ([]string, error) {
	var attrs []string
	if err := json.Unmarshal([]byte(attrsJSON), &attrs); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	it, err := ctx.GetStub().GetStateByPartialCompositeKey(objectType, attrs)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []string{}
	for it.HasNext() && len(out) < 100 {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, hex.EncodeToString([]byte(kv.Key)))
	}
	return out, nil
}

// GetEvaluateTransactions declares the read-only functions.
func (r *rogue) GetEvaluateTransactions() []string { return []string{"Get", "Keys"} }

func main() {
	// The real contracts as chaincode/cmd/yrd serves them (with this
	// province's channel list), plus the rogue one.
	cfg, err := ccserver.ParseFlags("roguecc", os.Args[1:], os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	if err := govcc.SetChannelOrgs(cfg.ChannelOrgs); err != nil {
		log.Fatal(err)
	}
	rc := &rogue{}
	rc.Name = "rogue"
	cc, err := contractapi.NewChaincode(append(yrdcc.Contracts("rogue"), rc)...)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("ROGUE yrd chaincode")
	if err := ccserver.Serve(cfg, cc); err != nil {
		log.Fatal(err)
	}
}
