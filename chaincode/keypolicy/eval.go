package keypolicy

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Satisfied reports whether endorsements by peers of the given MSPs (one
// each) satisfy a serialized policy, the way Fabric's validator evaluates a
// state-based policy: each endorsement counts for at most one principal.
// It is for tests and the coalition table; the peer is the authority.
func Satisfied(policy []byte, peers []string) (bool, error) {
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(policy, &env); err != nil {
		return false, fmt.Errorf("keypolicy: decode: %w", err)
	}
	principals := make([]string, len(env.Identities))
	for i, id := range env.Identities {
		var role msp.MSPRole
		if err := proto.Unmarshal(id.Principal, &role); err != nil {
			return false, fmt.Errorf("keypolicy: decode principal %d: %w", i, err)
		}
		if role.Role != msp.MSPRole_PEER {
			return false, fmt.Errorf("keypolicy: principal %d is not a peer role", i)
		}
		principals[i] = role.MspIdentifier
	}
	used := make([]bool, len(peers))
	return eval(env.Rule, principals, peers, used)
}

// eval mirrors Fabric's cauthdsl: NOutOf rules are tried in order and a
// signature used by one satisfied sub-rule is not reused by another.
func eval(r *common.SignaturePolicy, principals, peers []string, used []bool) (bool, error) {
	switch t := r.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if int(t.SignedBy) >= len(principals) {
			return false, fmt.Errorf("keypolicy: SignedBy(%d) out of range", t.SignedBy)
		}
		for i, p := range peers {
			if !used[i] && p == principals[t.SignedBy] {
				used[i] = true
				return true, nil
			}
		}
		return false, nil
	case *common.SignaturePolicy_NOutOf_:
		n := 0
		for _, sub := range t.NOutOf.Rules {
			trial := append([]bool(nil), used...)
			ok, err := eval(sub, principals, peers, trial)
			if err != nil {
				return false, err
			}
			if ok {
				copy(used, trial)
				n++
			}
		}
		return n >= int(t.NOutOf.N), nil
	}
	return false, fmt.Errorf("keypolicy: unknown rule type %T", r.GetType())
}

// Describe renders a serialized policy for humans and test failures, e.g.
// "AND(ShanghaiMSP, 2 of [AnhuiMSP JiangsuMSP ZhejiangMSP])".
func Describe(policy []byte) string {
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(policy, &env); err != nil {
		return "undecodable policy"
	}
	names := make([]string, len(env.Identities))
	for i, id := range env.Identities {
		var role msp.MSPRole
		_ = proto.Unmarshal(id.Principal, &role)
		names[i] = role.MspIdentifier
	}
	return describe(env.Rule, names)
}

func describe(r *common.SignaturePolicy, names []string) string {
	switch t := r.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if int(t.SignedBy) < len(names) {
			return names[t.SignedBy]
		}
		return "?"
	case *common.SignaturePolicy_NOutOf_:
		parts := make([]string, len(t.NOutOf.Rules))
		for i, s := range t.NOutOf.Rules {
			parts[i] = describe(s, names)
		}
		if int(t.NOutOf.N) == len(parts) && len(parts) == 2 {
			return fmt.Sprintf("AND(%s, %s)", parts[0], parts[1])
		}
		return fmt.Sprintf("%d of %v", t.NOutOf.N, parts)
	}
	return "?"
}
