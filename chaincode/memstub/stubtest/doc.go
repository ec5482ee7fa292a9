// Package stubtest is the stub behaviour suite: one set of assertions about
// what a chaincode sees through the shim (reads never see the transaction's
// own writes, range and partial composite key queries, pagination with
// bookmarks — forged ones included —, key-level endorsement policies, MVCC
// and phantom read conflicts between concurrent transactions, chaincode
// events), run against every implementation of a Backend.
//
// Each transaction is a script of shim calls (api.ProbeScript) that the
// probe contract (chaincode/probecc, served by yrdbench) executes and
// answers step by step. Run holds the assertions; a Backend only runs
// scripts:
//
//   - Memstub runs them on memstub, in `go test ./...`
//     (TestMemstub in this package);
//   - network/e2e's stub test runs them on the four-org network's peers
//     through the Fabric Gateway SDK, under YRD_E2E=1.
//
// Because the assertions are shared, memstub cannot pass a test on
// behaviour the peer does not have: where the two differ, the peer is right
// and memstub is changed (the pattern of hashicorp/raft's shared transport
// tests).
//
// Every Run uses keys under a fresh random run ID, so the suite can run
// again on the same ledger.
//
// Private data is not in the suite: yrdbench has no collections on the
// network. memstub's private data model is tested in package memstub
// against the behaviour of the pinned Fabric source.
package stubtest
