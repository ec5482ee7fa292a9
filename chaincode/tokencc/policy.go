package tokencc

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// policies holds the serialized key-level endorsement policies, computed
// once from the configuration.
type policies struct {
	// owner maps an MSP ID to AND('<owner>.peer', OutOf(1, other orgs' peers)).
	owner map[string][]byte
	// supply is OutOf(MintQuorum, every org's peer).
	supply []byte
}

func buildPolicies(cfg Config) (policies, error) {
	idents := make([]*msp.MSPPrincipal, len(cfg.Orgs))
	for i, org := range cfg.Orgs {
		role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: org, Role: msp.MSPRole_PEER})
		if err != nil {
			return policies{}, fmt.Errorf("encode MSP role %s: %w", org, err)
		}
		idents[i] = &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role}
	}
	p := policies{owner: make(map[string][]byte, len(cfg.Orgs))}
	for i, org := range cfg.Orgs {
		others := make([]*common.SignaturePolicy, 0, len(cfg.Orgs)-1)
		for j := range cfg.Orgs {
			if j != i {
				others = append(others, signedBy(j))
			}
		}
		rule := nOutOf(2, signedBy(i), nOutOf(1, others...))
		b, err := marshalEnvelope(rule, idents)
		if err != nil {
			return policies{}, err
		}
		p.owner[org] = b
	}
	all := make([]*common.SignaturePolicy, len(cfg.Orgs))
	for i := range cfg.Orgs {
		all[i] = signedBy(i)
	}
	b, err := marshalEnvelope(nOutOf(int32(cfg.MintQuorum), all...), idents)
	if err != nil {
		return policies{}, err
	}
	p.supply = b
	return p, nil
}

func signedBy(i int) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}}
}

func nOutOf(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{
		NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules},
	}}
}

func marshalEnvelope(rule *common.SignaturePolicy, idents []*msp.MSPPrincipal) ([]byte, error) {
	env := &common.SignaturePolicyEnvelope{Version: 0, Rule: rule, Identities: idents}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode endorsement policy: %w", err)
	}
	return b, nil
}
