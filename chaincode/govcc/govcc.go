// Package govcc is the Fabric contract "gov" of the yrd chaincode: the
// channel-wide configuration (provinces, endorsement counts) kept on the
// ledger, so that every endorser derives its key-level policies from the
// same record and none can run with a list of its own.
//
// gov:Init writes the first configuration once, right after the chaincode
// is committed; the record's own key-level policy is the configured quorum.
package govcc

import (
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
)

// Contract is the governance contract.
type Contract struct {
	contractapi.Contract
}

// New returns the contract.
func New() *Contract {
	c := &Contract{}
	c.Name = api.ContractGov
	c.Info.Title = "YRD governance"
	c.Info.Version = "1"
	return c
}

// GetEvaluateTransactions declares the read-only functions (from package api).
func (c *Contract) GetEvaluateTransactions() []string { return api.EvaluateNames(api.ContractGov) }

// Init writes the first configuration; ALREADY_EXISTS once one exists.
func (c *Contract) Init(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.Init, request, func(call *dispatch.Call, cfg api.Config) (api.Config, error) {
		k, err := dispatch.ConfigKey(call.Stub)
		if err != nil {
			return cfg, err
		}
		old, err := call.Stub.GetState(k)
		if err != nil {
			return cfg, api.Internal(err, "read config")
		}
		if old != nil {
			return cfg, api.Errorf(api.CodeAlreadyExists, "the configuration exists; change it by a governance decision")
		}
		if !cfg.HasOrg(call.Caller.MSPID) {
			return cfg, api.Errorf(api.CodeForbidden, "the caller's MSP %s is not among the configured orgs", call.Caller.MSPID)
		}
		pol, err := dispatch.Policies(cfg)
		if err != nil {
			return cfg, err
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			return cfg, api.Internal(err, "encode config")
		}
		if err := call.Stub.PutState(k, b); err != nil {
			return cfg, api.Internal(err, "write config")
		}
		if err := call.Stub.SetStateValidationParameter(k, pol.Quorum()); err != nil {
			return cfg, api.Internal(err, "set config policy")
		}
		return cfg, nil
	})
}

// GetConfig reads the configuration.
func (c *Contract) GetConfig(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.GetConfig, request, func(call *dispatch.Call, _ api.Empty) (api.Config, error) {
		cfg, _, err := dispatch.LoadConfig(call.Stub)
		return cfg, err
	})
}

// DefaultConfig is the four-province configuration that network.sh writes
// with gov:Init: owner plus two others for owned keys, three of four for
// shared keys.
func DefaultConfig() api.Config {
	return api.Config{Orgs: []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}, OwnerEndorsers: 2, Quorum: 3}
}
