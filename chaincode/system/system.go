// Package system holds the chaincode's operational contract: its version,
// who the caller is as the chaincode sees it, and a ping that writes one key
// so that the whole endorse-order-commit path can be checked end to end.
// Its operations are declared in package api.
package system

import (
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
)

// nsPing is the composite-key object type of ping records: [id] -> api.PingRecord.
const nsPing = "system.ping"

// Contract is the system contract.
type Contract struct {
	dispatch.Contract
	version string
}

// New returns the system contract reporting the given build version.
func New(version string) *Contract {
	c := &Contract{Contract: dispatch.NewContract(api.ContractSystem, "YRD settlement system contract"), version: version}
	c.Info.Version = version
	return c
}

// Version reports the chaincode build version.
func (c *Contract) Version(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Version, request, func(*dispatch.Call, api.Empty) (api.VersionInfo, error) {
		return api.VersionInfo{Version: c.version}, nil
	})
}

// WhoAmI reports the caller's identity as the chaincode sees it.
func (c *Contract) WhoAmI(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.WhoAmI, request, func(call *dispatch.Call, _ api.Empty) (api.Caller, error) {
		return call.Caller, nil
	})
}

// Ping writes a ping record under its ID; an ID can be used once
// (ALREADY_EXISTS).
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Ping, request, func(call *dispatch.Call, r api.PingRequest) (api.PingRecord, error) {
		key, old, err := readPing(call, r.ID)
		if err != nil {
			return api.PingRecord{}, err
		}
		if old != nil {
			return api.PingRecord{}, api.Errorf(api.CodeAlreadyExists, "ping %s exists", r.ID)
		}
		p := api.PingRecord{ID: r.ID, Note: r.Note, MSPID: call.Caller.MSPID, Role: call.Caller.Role, TxID: call.TxID,
			TxTime: call.Time.Format("2006-01-02T15:04:05.000000000Z")}
		b, err := json.Marshal(p)
		if err != nil {
			return api.PingRecord{}, api.Internal(err, "encode ping")
		}
		if err := call.Stub.PutState(key, b); err != nil {
			return api.PingRecord{}, api.Internal(err, "write ping %s", r.ID)
		}
		return p, nil
	})
}

// GetPing reads a ping record of the caller's province; another province's
// ping answers NOT_FOUND, as a missing one does.
func (c *Contract) GetPing(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.GetPing, request, func(call *dispatch.Call, r api.PingID) (api.PingRecord, error) {
		_, b, err := readPing(call, r.ID)
		if err != nil {
			return api.PingRecord{}, err
		}
		var p api.PingRecord
		if b != nil {
			if err := json.Unmarshal(b, &p); err != nil {
				return api.PingRecord{}, api.Internal(err, "decode ping %s", r.ID)
			}
		}
		if b == nil || call.Covers("ping "+r.ID, dispatch.Owner{MSP: p.MSPID}) != nil {
			return api.PingRecord{}, api.Errorf(api.CodeNotFound, "ping %s", r.ID)
		}
		return p, nil
	})
}

func readPing(call *dispatch.Call, id string) (string, []byte, error) {
	key, err := call.Stub.CreateCompositeKey(nsPing, []string{id})
	if err != nil {
		return "", nil, api.Errorf(api.CodeInvalidArgument, "ping id: %v", err)
	}
	b, err := call.Stub.GetState(key)
	if err != nil {
		return "", nil, api.Internal(err, "read ping %s", id)
	}
	return key, b, nil
}
