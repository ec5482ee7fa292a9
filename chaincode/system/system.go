// Package system holds the chaincode's operational contract: its version,
// who the caller is as the chaincode sees it, and a ping that writes one key
// so that the whole endorse-order-commit path can be checked end to end.
package system

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/access"
)

// Name is the contract's namespace: functions are called as "system:Fn".
const Name = "system"

// pingPrefix is the composite-key object type of ping records.
const pingPrefix = "system.ping"

// Contract is the system contract.
type Contract struct {
	contractapi.Contract
	version string
}

// New returns the system contract reporting the given build version.
func New(version string) *Contract {
	c := &Contract{version: version}
	c.Name = Name
	c.Info.Version = version
	c.Info.Title = "YRD settlement system contract"
	return c
}

// Version reports the chaincode build version.
func (c *Contract) Version(_ contractapi.TransactionContextInterface) (string, error) {
	return c.version, nil
}

// WhoAmI reports the caller's identity as the chaincode sees it.
func (c *Contract) WhoAmI(ctx contractapi.TransactionContextInterface) (*access.Caller, error) {
	caller, err := access.CallerOf(ctx.GetClientIdentity())
	if err != nil {
		return nil, err
	}
	return &caller, nil
}

// Ping is one ledger write: the record stores who pinged and when.
type Ping struct {
	ID     string `json:"id"`
	Note   string `json:"note"`
	MSPID  string `json:"mspId"`
	Role   string `json:"role"`
	TxID   string `json:"txId"`
	TxTime string `json:"txTime"`
}

// ErrDuplicatePing is returned when a ping ID is used twice.
var ErrDuplicatePing = errors.New("ALREADY_EXISTS")

// Ping writes a ping record under id; an id can be used once.
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface, id, note string) (*Ping, error) {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "\x00") {
		return nil, fmt.Errorf("INVALID_ARGUMENT: ping id must be 1 to 64 characters")
	}
	caller, err := access.CallerOf(ctx.GetClientIdentity())
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	key, err := stub.CreateCompositeKey(pingPrefix, []string{id})
	if err != nil {
		return nil, fmt.Errorf("ping key: %w", err)
	}
	if old, err := stub.GetState(key); err != nil {
		return nil, fmt.Errorf("read ping %s: %w", id, err)
	} else if old != nil {
		return nil, fmt.Errorf("%w: ping %s exists", ErrDuplicatePing, id)
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("read transaction timestamp: %w", err)
	}
	p := &Ping{ID: id, Note: note, MSPID: caller.MSPID, Role: caller.Role, TxID: stub.GetTxID(),
		TxTime: ts.AsTime().UTC().Format("2006-01-02T15:04:05.000000000Z")}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode ping: %w", err)
	}
	if err := stub.PutState(key, b); err != nil {
		return nil, fmt.Errorf("write ping %s: %w", id, err)
	}
	return p, nil
}

// GetPing reads a ping record.
func (c *Contract) GetPing(ctx contractapi.TransactionContextInterface, id string) (*Ping, error) {
	key, err := ctx.GetStub().CreateCompositeKey(pingPrefix, []string{id})
	if err != nil {
		return nil, fmt.Errorf("ping key: %w", err)
	}
	b, err := ctx.GetStub().GetState(key)
	if err != nil {
		return nil, fmt.Errorf("read ping %s: %w", id, err)
	}
	if b == nil {
		return nil, fmt.Errorf("NOT_FOUND: ping %s", id)
	}
	var p Ping
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode ping %s: %w", id, err)
	}
	return &p, nil
}

// GetEvaluateTransactions declares the read-only functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"Version", "WhoAmI", "GetPing"}
}
