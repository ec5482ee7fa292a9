// Package selection picks the unspent outputs a payment spends.
//
// A [Selector] keeps, per account, the unspent outputs last read from the
// ledger (a [Source]) and an in-flight lock per output: an output picked for
// one payment is not offered to another until that payment's [Lease] is
// released, so concurrent payments from one account never pick the same
// output. The chaincode remains the authority: it refuses spent or foreign
// inputs, and the HTTP layer refreshes and selects again once on
// INPUT_SPENT.
//
// # Choice rule
//
// For one amount: the smallest single unlocked output that covers it
// (keeping large outputs free for other payments), otherwise the largest
// unlocked outputs first until they cover it, at most [Options.MaxInputs] of
// them (more needed: [ErrTooFragmented]; merge with [Selector.Consolidate]).
// Ties between outputs of equal amount are broken by output ID, so one ledger
// read always gives the same choice. [Selector.SelectBatch] serves the items
// of one account in one pass over that account's outputs, largest amount
// first (ties in item order), each item by the rule above over the outputs
// not taken by an earlier item.
//
// # Waiting
//
// When the account holds the amount but too much of it is locked by other
// payments, Select waits for a release instead of failing: up to
// [Options.LockWait] without progress, each release of one of the account's
// leases starting that wait afresh (the outputs are cycling), and never
// beyond [Options.MaxLockWait] in total. Then it fails with [ErrFundsLocked].
// Cancelling the context ends any wait (a ledger read, another caller's read,
// or a lock wait) with the context's error. Funds that are missing rather
// than locked fail at once with [ErrInsufficientFunds]. A batch holds no lock
// while it waits, so it can never wait on itself or deadlock with another
// batch: it takes all its inputs in one step or none.
//
// # Releasing
//
// Every lease must be released exactly once its payment's outcome is known;
// [Lease.Release] and [BatchLease.Release] are idempotent (and no-ops on nil).
// [Selector.With] and [Selector.WithBatch] select, run a function and
// release on every path, including a panic, which continues after the
// release. Release(true) says the payment committed: its inputs are
// remembered as spent for [Options.SpentMemory] so that a ledger read that
// lags the commit cannot offer them again. Either way the account is re-read
// before its next selection (the payment's change outputs are new). A read
// that raced a release or a call to [Selector.Invalidate] is repeated (at
// most three reads in a row; then the latest read is used), and a selection
// that would fail or wait on an account released since its read reads it
// again first (at most three times per call).
//
// # Bounds
//
// Every resource the Selector holds has a limit, with a stated behaviour at
// the limit (defaults in [Options]):
//
//   - Accounts: at most [Options.MaxAccounts] are tracked. A new account
//     evicts the least recently used idle account (one with no outstanding
//     lease and no call in progress); its cached outputs and spent memory
//     are dropped and it is re-read on its next use. When every tracked
//     account is busy, the call fails at once with [ErrTooManyAccounts].
//   - Spent memory: per account, entries older than SpentMemory are pruned
//     from the front of a time-ordered queue on each read and release of
//     that account (no scan of other accounts), and at most
//     [Options.MaxSpent] are kept: at the limit the oldest is forgotten
//     early. Total: MaxAccounts × MaxSpent entries.
//   - Inputs: at most MaxInputs per lease; Consolidate at most MaxInputs.
//   - Batches: at most [Options.MaxBatchItems] items ([ErrBatchTooLarge]).
//   - Waiting: LockWait and MaxLockWait as above. Reads: see Releasing.
//
// No goroutine is started by this package.
//
// # Concurrency
//
// A Selector is safe for concurrent use. Each account has its own mutex, so a
// hot account does not serialise the others; a short global mutex guards
// only the account table (map and LRU list, O(1) per operation). A batch
// locks its accounts' mutexes in name order, and no mutex is held while
// reading the ledger or waiting.
package selection
