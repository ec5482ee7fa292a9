// Package govcc is the Fabric contract "gov" of the yrd chaincode: the
// channel-wide configuration (provinces, endorsement counts) kept on the
// ledger, so that every endorser derives its key-level policies from the
// same record and none can run with a list of its own.
//
// gov:Init writes the first configuration once, right after the chaincode
// is committed; the record's own key-level policy is the configured quorum.
// Init is one admin's transaction, so what it may write is bounded twice:
// api.Config.Validate refuses endorsement counts and quorums below a
// majority, and each province's chaincode server, told its channel's
// provinces by its own operator (SetChannelOrgs, from YRD_CHANNEL_ORGS),
// refuses to endorse a configuration naming other provinces.
package govcc

import (
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
)

// Contract is the governance contract.
type Contract struct {
	dispatch.Contract
}

// New returns the contract.
func New() *Contract {
	return &Contract{Contract: dispatch.NewContract(api.ContractGov, "YRD governance")}
}

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
		if want := ChannelOrgs(); want != nil && !slices.Equal(want, cfg.Orgs) {
			return cfg, api.Errorf(api.CodeForbidden, "this endorser serves a channel of %s (YRD_CHANNEL_ORGS); the configuration names %s",
				strings.Join(want, ","), strings.Join(cfg.Orgs, ","))
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
// with gov:Init (test-network-scripts/lib/chaincode.sh, gov_config): owner
// plus two others for owned keys, three of four for shared keys, and each
// province's bank codes under its two-letter code (SH-CITY, JS-PBC, …).
func DefaultConfig() api.Config {
	return api.Config{
		Orgs: []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"},
		BankPrefixes: map[string]string{
			"AnhuiMSP": "AH-", "JiangsuMSP": "JS-", "ShanghaiMSP": "SH-", "ZhejiangMSP": "ZJ-",
		},
		OwnerEndorsers: 2, Quorum: 3,
	}
}

// channelOrgs is this chaincode server's own list of its channel's
// provinces; nil when not set.
var channelOrgs atomic.Pointer[[]string]

// SetChannelOrgs tells the contract which provinces (MSP IDs, sorted) its
// channel has, as this province's operator knows them: the chaincode
// server reads them once at start from YRD_CHANNEL_ORGS (package ccserver)
// and passes them here before serving. gov:Init then refuses (FORBIDDEN) a
// configuration whose orgs differ, so the first admin cannot have honest
// endorsers sign a channel of its own choosing. An empty list unsets it
// (gov:Init then accepts any valid orgs); an invalid one is refused.
//
// It is a process-wide setting, safe for concurrent use; a server sets it
// once, tests set it and restore it.
func SetChannelOrgs(orgs []string) error {
	if len(orgs) == 0 {
		channelOrgs.Store(nil)
		return nil
	}
	if err := api.ValidateOrgs("channel orgs", orgs); err != nil {
		return err
	}
	c := slices.Clone(orgs)
	channelOrgs.Store(&c)
	return nil
}

// ChannelOrgs returns what SetChannelOrgs set (nil when unset).
func ChannelOrgs() []string {
	if p := channelOrgs.Load(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}
