// Package ledger is the gateway's only door to Fabric. It holds one shared
// TLS gRPC connection to the province's peer and one Fabric Gateway SDK
// client per configured identity, and offers the [Ledger] interface the HTTP
// layer is written against (and that its tests fake).
//
// # Submitting
//
// [Fabric.Submit] reports success only after the commit status says the
// transaction is valid. It endorses, submits, and then waits for the commit
// status with a deliberately short timeout. When that wait times out (for
// example because a Raft leader died and dropped transactions it had accepted
// but not yet ordered) it asks for the status again and re-sends the *same*
// signed transaction, rebuilt from its bytes, so the transaction ID is
// unchanged and the transaction can commit at most once. This continues until
// the transaction commits, is definitively invalid, or the overall commit
// budget (timeouts.commit) or the caller's context runs out. A new proposal is
// never built for a transaction that may already be ordered.
//
// A transaction invalidated with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT
// did not change the ledger, so the whole proposal is run again (new
// transaction ID) with exponential backoff and jitter; this is safe because
// every write carries a client-chosen idempotency ID (payment ID, mint ID…)
// checked on-ledger.
//
// # Errors
//
// Every failure is an [*Error] with a stable [Code] and the [Stage] it
// happened in. Chaincode errors, which the chaincode renders as
// "CODE: message", are recognised inside the gRPC status message and the
// endorsement error details and keep the chaincode's code.
//
// All methods are safe for concurrent use.
package ledger
