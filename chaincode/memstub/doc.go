// Package memstub is an in-memory shim.ChaincodeStubInterface for unit
// tests of the chaincode's contracts.
//
// A Ledger holds committed world state (sorted keys, composite keys, key
// metadata such as state-based endorsement policies). Ledger.Invoke runs one
// transaction through a shim.Chaincode (normally the contractapi chaincode,
// so routing, serialization and hooks are exercised) on a fresh Stub, and
// commits the transaction's writes only if the chaincode answered with
// status 200: a rejected call writes nothing, as with a failed endorsement
// on a real network.
//
// The stub follows Fabric's simulation semantics where they matter to
// chaincode correctness: reads (GetState, range and composite-key queries)
// see committed state only, never the transaction's own writes; range
// queries refuse composite keys as Fabric does; paginated queries take the
// bookmark as the next start key.
//
// Creators are serialized msp.SerializedIdentity messages holding a freshly
// generated X.509 certificate with Fabric CA's attribute extension, so that
// pkg/cid reads MSP ID and attributes exactly as on a peer.
package memstub
