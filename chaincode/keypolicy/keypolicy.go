// Package keypolicy builds the serialized state-based endorsement policies
// (Fabric SignaturePolicyEnvelope) that the contracts put on the keys they
// create. Each policy names peers of the provinces by MSP ID; the encoding
// is deterministic (sorted MSP list, deterministic protobuf), so every
// endorser writes byte-identical policies from the same configuration.
//
// A Set is computed once per configuration and reused by every transaction
// that runs under it.
package keypolicy

import (
	"fmt"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Set holds the serialized policies of one configuration.
type Set struct {
	orgs []string
	// owner maps an MSP ID to AND(owner, OutOf(others, every other org)).
	owner map[string][]byte
	// quorum is OutOf(quorum, every org).
	quorum []byte
}

// New builds the policies for orgs (any order; at least two, no duplicates):
// an owner's keys need the owner's peer and othersNeeded other provinces'
// peers; quorum keys need quorum provinces' peers.
func New(orgs []string, othersNeeded, quorum int) (*Set, error) {
	sorted := append([]string(nil), orgs...)
	sort.Strings(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return nil, fmt.Errorf("keypolicy: MSP %s listed twice", sorted[i])
		}
	}
	if len(sorted) < 2 {
		return nil, fmt.Errorf("keypolicy: need at least 2 MSPs, got %d", len(sorted))
	}
	if othersNeeded < 1 || othersNeeded > len(sorted)-1 {
		return nil, fmt.Errorf("keypolicy: othersNeeded %d must be 1 to %d", othersNeeded, len(sorted)-1)
	}
	if quorum < 1 || quorum > len(sorted) {
		return nil, fmt.Errorf("keypolicy: quorum %d must be 1 to %d", quorum, len(sorted))
	}
	idents := make([]*msp.MSPPrincipal, len(sorted))
	for i, org := range sorted {
		role, err := proto.MarshalOptions{Deterministic: true}.Marshal(&msp.MSPRole{MspIdentifier: org, Role: msp.MSPRole_PEER})
		if err != nil {
			return nil, fmt.Errorf("keypolicy: encode MSP role %s: %w", org, err)
		}
		idents[i] = &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role}
	}
	s := &Set{orgs: sorted, owner: make(map[string][]byte, len(sorted))}
	for i, org := range sorted {
		others := make([]*common.SignaturePolicy, 0, len(sorted)-1)
		for j := range sorted {
			if j != i {
				others = append(others, signedBy(j))
			}
		}
		b, err := marshal(nOutOf(2, signedBy(i), nOutOf(int32(othersNeeded), others...)), idents)
		if err != nil {
			return nil, err
		}
		s.owner[org] = b
	}
	all := make([]*common.SignaturePolicy, len(sorted))
	for i := range sorted {
		all[i] = signedBy(i)
	}
	b, err := marshal(nOutOf(int32(quorum), all...), idents)
	if err != nil {
		return nil, err
	}
	s.quorum = b
	return s, nil
}

// Orgs returns the sorted MSP IDs.
func (s *Set) Orgs() []string { return append([]string(nil), s.orgs...) }

// Owner returns the policy of keys owned by msp: AND(msp, OutOf(k, others)).
func (s *Set) Owner(msp string) ([]byte, error) {
	b, ok := s.owner[msp]
	if !ok {
		return nil, fmt.Errorf("keypolicy: %s is not a configured province", msp)
	}
	return b, nil
}

// Quorum returns the policy of shared keys (supply, configuration).
func (s *Set) Quorum() []byte { return s.quorum }

func signedBy(i int) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}}
}

func nOutOf(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{
		NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules},
	}}
}

func marshal(rule *common.SignaturePolicy, idents []*msp.MSPPrincipal) ([]byte, error) {
	env := &common.SignaturePolicyEnvelope{Version: 0, Rule: rule, Identities: idents}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("keypolicy: encode policy: %w", err)
	}
	return b, nil
}
