// Package memstub is an in-memory shim.ChaincodeStubInterface and ledger
// for unit tests of the chaincode's contracts, faithful to a Fabric v2.5
// peer (goleveldb state database) wherever chaincode correctness depends on
// it. The behaviour suite in package stubtest runs the same assertions
// against this stub and against a real peer, so the two cannot drift.
//
// # Simulation
//
// A Stub is one transaction's simulation, as a peer's transaction
// simulator runs it:
//
//   - Reads (GetState, GetStateValidationParameter, range and partial
//     composite key queries) see committed state only, never the
//     transaction's own writes; each read is recorded with the version it
//     saw, for validation at commit.
//   - PutState of an empty value is a delete. DelState then GetState
//     returns the committed value.
//   - GetStateByRange refuses composite keys ("\x00" first byte) and starts
//     an empty start at "\x01"; composite keys are the shim's own.
//   - Unpaginated queries are served in batches of 100 as the peer does
//     (the peer reads one result ahead of each batch), so the part of a
//     range recorded for phantom detection is what the peer would record.
//   - Paginated queries take a non-empty bookmark as the start key. The end
//     stays the requested end: a bookmark below a partial composite key's
//     range reads keys outside it, a bookmark past the end reads nothing.
//     The metadata holds the number of results and the key after the page
//     ("" when the range is done, including when the page ends exactly at
//     the last key). A transaction may not both write and run a paginated
//     query, in either order.
//   - Keys that are not valid UTF-8 are refused, as the shim fails to
//     encode them.
//
// # Commit
//
// Ledger.Invoke runs one transaction and commits it at once in a block of
// its own if the chaincode answered 200, skipping validation (as if every
// org endorsed and nothing ran concurrently); a rejected call writes
// nothing, as a failed endorsement on a real network.
//
// To model concurrency, Ledger.Endorse simulates transactions against the
// same committed state, and Ledger.Commit orders several into one block and
// validates each as a committing peer does: endorsement policies
// (key-level policies set with SetStateValidationParameter, evaluated with
// keypolicy.Satisfied over the endorsing MSPs, else the chaincode-level
// Ledger.Policy, by default MAJORITY of Ledger.Orgs), then MVCC read
// conflicts and phantom reads. Each transaction gets Fabric's validation
// code (VALID, MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT,
// ENDORSEMENT_POLICY_FAILURE, DUPLICATE_TXID); invalid ones write nothing.
//
// Every commit appends a numbered Block holding each transaction's ID,
// validation code and chaincode event (the last SetEvent, as Fabric keeps);
// Block.ChaincodeEvents lists what a Fabric Gateway event stream delivers
// (valid transactions only), and Ledger.Block waits for a block, so an
// in-process ledger for the gateway (Evaluate, Submit with MVCC conflicts,
// Events by block) can follow the chain without sleeping. The ledger keeps
// the latest Ledger.BlockRetention blocks.
//
// The Ledger is safe for concurrent use: simulations share a read lock
// while the chaincode runs, commits take the write lock, as a peer's
// transaction manager does. See the package example.
//
// # Identities
//
// Creators are serialized msp.SerializedIdentity messages holding a freshly
// generated X.509 certificate with Fabric CA's attribute extension, so that
// pkg/cid reads MSP ID and attributes exactly as on a peer.
//
// # Not modelled
//
// Private data, rich (CouchDB) queries, history, chaincode-to-chaincode
// calls, signed proposals and bindings answer ErrUnsupported. Blocks are
// cut by the caller (one Commit, one block), not by an orderer.
package memstub
