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
// # Private data
//
// GetPrivateData, GetPrivateDataHash and PutPrivateData are modelled; a
// transaction's private writes are committed with its public ones, and
// Ledger.PrivateData reads them back for tests. Ledger.Collections declares
// the collections and their member orgs, each member-only for reads and
// writes and endorsed by a peer of any member, as every collection in
// network/chaincode/yrd/collections.json is (a test holds the file to
// that). With it, calls answer as a v2.5 peer does:
//
//   - a creator whose org is not a member can neither read nor write the
//     collection ("tx creator does not have read access permission …"), and
//     an undeclared collection "could not be found";
//   - the simulating peer (Tx.Peer, by default the creator's org) holds the
//     data only if its org is a member: on another org's peer a key that
//     exists fails ("private data matching public hash version is not
//     available", the peer has only its hash), and a key that never
//     existed reads nil;
//   - a peer of a non-member org still endorses private writes (only
//     hashes reach its ledger), and every peer answers GetPrivateDataHash
//     to any creator;
//   - at commit, a transaction's private writes satisfy their collection's
//     endorsement policy (a member org's peer endorsed) instead of the
//     chaincode-level one, so a transaction that writes only private data
//     needs no more;
//   - a proposal that reads private data is simulated on a peer of every
//     endorsing org, and fails when their answers differ, as the Fabric
//     Gateway does (see Ledger.Endorse).
//
// Without Collections every stub reads and writes every collection, as if
// client and peer belonged to every member org, and private writes are not
// validated at commit.
//
// The stubtest behaviour suite does not cover private data (the yrdbench
// chaincode it runs on the network has no collections); this model follows
// the pinned Fabric source (core/chaincode/handler.go,
// core/common/privdata, the transaction simulator, the v2.0 state-based
// validator) and is tested in this package only.
//
// # Not modelled
//
// Private data beyond the above: reads of private keys and hashes are not
// validated at commit (the peer checks their hashed versions); a committed
// private write is at once on every member org's peer (on a network it
// reaches those that did not endorse by dissemination or pull); the range,
// delete, purge and key-level policy calls answer ErrUnsupported. So do
// rich (CouchDB) queries, history, chaincode-to-chaincode calls, signed
// proposals and bindings. Blocks are cut by the caller (one Commit, one
// block), not by an orderer.
package memstub
