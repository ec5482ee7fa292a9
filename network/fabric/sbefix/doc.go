// Package sbefix tests our patch to the pinned Fabric peer,
// network/fabric/patches/0002-statebased-evaluate-each-policy-once.patch: the
// peer's key-level (state-based endorsement) validation evaluates each
// distinct key-level policy of a transaction once, instead of once per key.
// The package has no code of its own, only tests.
//
// The tests drive the peer's own validator (core/common/validation/statebased,
// the V20 evaluator that channels with Application capability V2_0 and later
// use) over a transaction's read-write set, with a validation-parameter
// manager that gives every key its policy and a policy evaluator that counts
// its evaluations and answers per policy:
//
//   - TestEachPolicyOnce: 200 writes under one owner's policy and 50 under
//     another's. Patched: two evaluations; unpatched: 250 (the cost the patch
//     removes, shown to be measurable).
//   - TestOutcomesUnchanged: in both modes, a transaction whose keys' policies
//     are all met is valid, one with a single key under a policy that is not
//     met is invalid with an endorsement policy error, and keys without a
//     key-level policy still need the chaincode's policy.
//
// Run them with `make test-fabric-patch`, which runs the package against the
// pinned module as published (YRD_FABRIC_UNPATCHED=1) and against the patched
// copy bin/peer is built from.
package sbefix
