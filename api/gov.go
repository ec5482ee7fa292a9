package api

// ContractGov is the namespace of the governance contract: the channel-wide
// configuration every endorser reads from the ledger, so that no peer can
// run with a list of provinces of its own.
const ContractGov = "gov"

// The governance contract's operations.
var (
	Init = define[Config, Config](Op{Contract: ContractGov, Name: "Init", Mode: Submit, Config: ConfigOptional,
		Access: Access{RoleAdmin: ScopeAny}, Doc: "writes the first configuration; refused once one exists"})
	GetConfig = define[Empty, Config](Op{Contract: ContractGov, Name: "GetConfig", Mode: Evaluate, Config: ConfigOptional,
		Access: anyRole, Doc: "reads the configuration"})
)

// Config is the channel-wide configuration of the chaincode.
type Config struct {
	// Orgs are the MSP IDs of the provinces, sorted. Only callers from these
	// MSPs are served; key-level policies name their peers.
	Orgs []string `json:"orgs"`
	// OwnerEndorsers is how many provinces besides the owner must endorse a
	// change to an owned key (outputs, accounts).
	OwnerEndorsers int `json:"ownerEndorsers"`
	// Quorum is how many provinces must endorse a change to a shared key
	// (supply, configuration).
	Quorum int `json:"quorum"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.Orgs) < 2 {
		return Errorf(CodeInvalidArgument, "orgs needs at least 2 MSP IDs, got %d", len(c.Orgs))
	}
	for i, o := range c.Orgs {
		if err := ValidateID("orgs", o, MaxIDLen); err != nil {
			return err
		}
		if i > 0 && c.Orgs[i-1] >= o {
			return Errorf(CodeInvalidArgument, "orgs must be sorted and distinct (%q after %q)", o, c.Orgs[i-1])
		}
	}
	if c.OwnerEndorsers < 1 || c.OwnerEndorsers > len(c.Orgs)-1 {
		return Errorf(CodeInvalidArgument, "ownerEndorsers must be 1 to %d", len(c.Orgs)-1)
	}
	if c.Quorum < 1 || c.Quorum > len(c.Orgs) {
		return Errorf(CodeInvalidArgument, "quorum must be 1 to %d", len(c.Orgs))
	}
	return nil
}

// HasOrg reports whether msp is a configured province.
func (c *Config) HasOrg(msp string) bool {
	for _, o := range c.Orgs {
		if o == msp {
			return true
		}
	}
	return false
}
