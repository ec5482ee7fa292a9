package access

import (
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
)

// Attribute names read from the caller's certificate.
const (
	AttrRole = "role"
	AttrBank = "bank"
)

// Caller is the identity that signed the transaction proposal.
type Caller struct {
	MSPID string `json:"mspId"`
	// ID is the unique identity string of the certificate (subject and issuer).
	ID   string `json:"id"`
	Role string `json:"role"`
	Bank string `json:"bank,omitempty" metadata:",optional"`
}

// CallerOf reads the caller from a client identity.
func CallerOf(id cid.ClientIdentity) (Caller, error) {
	msp, err := id.GetMSPID()
	if err != nil {
		return Caller{}, fmt.Errorf("read caller MSP ID: %w", err)
	}
	uid, err := id.GetID()
	if err != nil {
		return Caller{}, fmt.Errorf("read caller ID: %w", err)
	}
	role, _, err := id.GetAttributeValue(AttrRole)
	if err != nil {
		return Caller{}, fmt.Errorf("read caller attribute %q: %w", AttrRole, err)
	}
	bank, _, err := id.GetAttributeValue(AttrBank)
	if err != nil {
		return Caller{}, fmt.Errorf("read caller attribute %q: %w", AttrBank, err)
	}
	return Caller{MSPID: msp, ID: uid, Role: role, Bank: bank}, nil
}
