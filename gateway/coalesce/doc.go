// Package coalesce settles requests that arrive close together in one
// batch: the gateway's single payments, each a token:Transfer of its own
// without it, share one token:TransferBatch transaction with it. Fabric
// orders, validates and commits a transaction at a roughly fixed cost, so a
// batch of fifty payments costs little more than one.
//
// A [Coalescer] is generic over the request and answer types and knows
// nothing of Fabric: the caller gives it a [Run] function that settles a
// batch and answers per request (or fails as a whole), and two predicates
// that classify whole-batch failures. Wiring another operation (earmarked
// spends, interbank sends, once the chaincode has a batch form of them) is a
// Run function and a [New] call; see the example.
//
// # Lanes, window and count
//
// [Coalescer.Do] adds a request to a lane (the gateway uses the client's
// ledger identity: a transaction is signed by one identity) and waits for
// its own answer. A lane's waiting requests form a batch when the oldest has
// waited [Options.Window] (reason "window"), or at once when
// [Options.MaxItems] are waiting ("count"). A lone request therefore waits
// at most Window before its batch runs. Requests keep their arrival order
// inside a batch.
//
// # Keys: what may not share a batch
//
// Each request names keys (the gateway: the outputs it spends). Two
// requests sharing a key never go into the same batch: the later one waits
// for the next batch of its lane, which is formed as soon as the current one
// is ("held"). Keys say nothing about batches in flight at the same time;
// the gateway's input selection already keeps concurrent payments' inputs
// apart.
//
// # Answers, re-runs and splits
//
// Run answers one [Result] per request, in order: each caller gets its own
// value or its own error, and one refused request does not affect the
// others. When Run fails as a whole, the error is classified:
//
//   - [Options.Rerun] true (nothing was written and a new run may pass, such
//     as an MVCC read conflict): the batch runs again, after a backoff that
//     doubles per run with jitter, at most [Options.Runs] runs in total.
//     Requests whose callers have gone are left out of the re-run.
//   - Otherwise, or once the runs are spent, [Options.Split] true (the
//     failure may be caused by one request): the batch is run again as two
//     halves, each split again on the same condition, so the failure ends up
//     with the requests that fail alone.
//   - Otherwise every request of the batch gets the error (the same value:
//     callers must not modify it).
//
// A Run that panics fails its batch with [ErrPanicked]; one that answers a
// wrong number of results fails it with [ErrBadAnswer].
//
// # Bounds and behaviour at each limit
//
//   - Waiting requests: at most [Options.MaxPending], all lanes together.
//     Beyond, Do fails at once with [ErrFull] (the gateway answers 429 with
//     Retry-After, as for its other limits).
//   - Batches in flight: at most [Options.MaxInFlight]. A lane that is due
//     while every slot is busy waits for a slot, and its batch grows up to
//     MaxItems meanwhile (back-pressure; then ErrFull as above). The due
//     lane whose oldest request is oldest gets the next slot.
//   - Batch size: at most MaxItems requests per batch.
//   - Waiting callers: a caller whose context ends while its request waits
//     withdraws it (nothing was sent); once its batch runs, the caller gets
//     [ErrOutcomeUnknown] at once and the batch may still settle the request.
//   - Shutdown: [Coalescer.Close] refuses new requests ([ErrClosed]), forms
//     batches of every waiting request at once and waits for them; when its
//     context ends first it cancels the context of the runs and waits for
//     them to return.
//
// No goroutine runs while nothing waits: a lane's window is a timer, and
// each batch runs on a goroutine of its own that ends with it (at most
// MaxInFlight).
//
// # Concurrency
//
// A Coalescer is safe for concurrent use. One mutex guards the lanes and
// counters; it is never held while Run runs or a caller waits.
package coalesce
