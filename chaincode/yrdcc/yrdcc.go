// Package yrdcc assembles the yrd chaincode from its contracts (system,
// gov, token, programme, interbank), as the chaincode server serves it and as in-process tests
// run it. NewBench builds the comparison chaincode yrdbench the same way;
// yrdbench also serves the probe contract of the stub behaviour suite,
// which yrd never does.
package yrdcc

import (
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/benchcc"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/interbankcc"
	"github.com/yangtze-delta/settlement/chaincode/probecc"
	"github.com/yangtze-delta/settlement/chaincode/programmecc"
	"github.com/yangtze-delta/settlement/chaincode/system"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
)

// Contracts returns the yrd chaincode's contracts, system first.
func Contracts(version string) []contractapi.ContractInterface {
	return []contractapi.ContractInterface{system.New(version), govcc.New(), tokencc.New(), programmecc.New(), interbankcc.New()}
}

// New builds the yrd chaincode reporting version.
func New(version string) (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(Contracts(version)...)
	if err != nil {
		return nil, fmt.Errorf("build yrd chaincode: %w", err)
	}
	cc.Info.Title = "yrd"
	cc.Info.Version = version
	return cc, nil
}

// BenchContracts returns the yrdbench chaincode's contracts, bench first
// (so that its functions also work unqualified), and the probe contract
// that the stub behaviour suite runs on a real peer.
func BenchContracts(version string) []contractapi.ContractInterface {
	return []contractapi.ContractInterface{benchcc.New(), system.New(version), probecc.New()}
}

// NewBench builds the yrdbench chaincode.
func NewBench(version string) (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(BenchContracts(version)...)
	if err != nil {
		return nil, fmt.Errorf("build yrdbench chaincode: %w", err)
	}
	cc.Info.Title = "yrdbench"
	cc.Info.Version = version
	return cc, nil
}
