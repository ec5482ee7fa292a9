package dispatch

import (
	"encoding/json"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
)

// NSConfig is the composite-key object type of the configuration record:
// [] -> api.Config. Its key-level policy is the configuration's quorum.
const NSConfig = "yrd.config"

// cache maps a configuration record's bytes to its decoded form and
// policies. It is bounded: configurations change rarely, and an entry is
// only a few kilobytes.
var cache = struct {
	sync.Mutex
	m     map[string]cached
	order []string
}{m: map[string]cached{}}

const cacheSize = 8

type cached struct {
	cfg api.Config
	pol *keypolicy.Set
}

// ConfigKey returns the configuration record's key.
func ConfigKey(stub shim.ChaincodeStubInterface) (string, error) {
	k, err := stub.CreateCompositeKey(NSConfig, nil)
	if err != nil {
		return "", api.Internal(err, "config key")
	}
	return k, nil
}

// LoadConfig reads the configuration from the ledger (NOT_CONFIGURED when
// absent) with its key-level policies.
func LoadConfig(stub shim.ChaincodeStubInterface) (api.Config, *keypolicy.Set, error) {
	k, err := ConfigKey(stub)
	if err != nil {
		return api.Config{}, nil, err
	}
	b, err := stub.GetState(k)
	if err != nil {
		return api.Config{}, nil, api.Internal(err, "read config")
	}
	if b == nil {
		return api.Config{}, nil, api.Errorf(api.CodeNotConfigured, "run gov:Init first")
	}
	cache.Lock()
	defer cache.Unlock()
	if c, ok := cache.m[string(b)]; ok {
		return c.cfg, c.pol, nil
	}
	c, err := decodeConfig(b)
	if err != nil {
		return api.Config{}, nil, err
	}
	cache.m[string(b)] = c
	cache.order = append(cache.order, string(b))
	if len(cache.order) > cacheSize {
		delete(cache.m, cache.order[0])
		cache.order = cache.order[1:]
	}
	return c.cfg, c.pol, nil
}

// decodeConfig parses a stored configuration and builds its policies.
func decodeConfig(b []byte) (cached, error) {
	var cfg api.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cached{}, api.Internal(err, "decode config")
	}
	if err := cfg.Validate(); err != nil {
		return cached{}, api.Internal(err, "stored config is invalid")
	}
	pol, err := Policies(cfg)
	if err != nil {
		return cached{}, err
	}
	return cached{cfg: cfg, pol: pol}, nil
}

// Policies builds the key-level policies of a configuration.
func Policies(cfg api.Config) (*keypolicy.Set, error) {
	pol, err := keypolicy.New(cfg.Orgs, cfg.OwnerEndorsers, cfg.Quorum)
	if err != nil {
		return nil, api.Internal(err, "build key policies")
	}
	return pol, nil
}
