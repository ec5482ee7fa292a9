// Package opstore keeps the records of the gateway's asynchronous writes
// (the operations a client polls after a 202 Accepted) in a bbolt file in
// the gateway's state directory, so that a restart keeps them.
//
// A [Record] is created [StatusPending] when the write is accepted and
// finished once, as [StatusCommitted] or [StatusFailed], with the result or
// error as opaque JSON chosen by the caller; a pending record whose write
// never started (the worker pool refused it) is removed with
// [Store.Discard]. Only its owner (the client that
// created it) can read it: [Store.Get] answers [ErrNotFound] to anyone else,
// exactly as for an unknown ID, so IDs cannot be probed. IDs are 128 random
// bits, hex-encoded.
//
// # Restarts
//
// A record still pending when the store is opened again was being written
// when the previous process stopped: the transaction may or may not have
// committed. [Open] marks every such record [StatusInterrupted] (finished,
// with no result); the client then looks the write up by its business ID
// ([Record.Key], e.g. the payment ID), which the ledger checks for
// idempotency.
//
// # Bounds and behaviour at each limit
//
//   - Pending records: at most [Options.MaxPending] (default 10,000). At the
//     limit [Store.Create] fails with [ErrTooManyPending] without touching the
//     disk; the HTTP layer answers 429. Pending records are never evicted.
//   - Finished records (committed, failed, interrupted): at most
//     [Options.MaxFinished] (default 100,000). Finishing one more evicts the
//     record that finished longest ago, found through a time index (the first
//     key of an ordered bucket), never by a scan.
//   - Age: a finished record older than [Options.MaxAge] (default 7 days,
//     counted from when it finished) is no longer returned by Get, and is
//     deleted by the next write (Create or Finish), which removes at most
//     256 expired records per transaction, oldest first; Open removes them
//     all, in batches.
//   - Sizes: Owner, Route, Key and TxID are at most [MaxFieldBytes] bytes,
//     and an outcome's Result plus Error at most [Options.MaxOutcomeBytes]
//     (default 64 KiB); beyond that Create or Finish fails with
//     [ErrInvalid] or [ErrTooLarge] and the record is unchanged (a Finish that
//     was refused leaves the record pending: finish it again with a smaller
//     outcome).
//   - The file: bbolt reuses freed pages but never shrinks its file; with the
//     bounds above the file stops growing once the store is full.
//   - The file lock: a second process opening the same file waits up to
//     [Options.LockTimeout] (default 5 s) and then fails.
//
// Every write is one fsync'd bbolt transaction; concurrent writes are
// combined into one transaction (bbolt's Batch), so the disk sees one fsync
// per batch rather than per request.
//
// A Store is safe for concurrent use.
package opstore
