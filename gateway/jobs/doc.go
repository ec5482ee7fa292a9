// Package jobs runs the gateway's disbursement jobs: lists of up to
// 100,000 recipients and amounts paid from a programme's escrow by
// programme:Disburse, in batches of at most api.MaxDisburseLines lines,
// kept in a bbolt file in the gateway's state directory so that a restart
// (or a kill -9) resumes them.
//
// # Paying each line once
//
// The chaincode is the authority: it pays a (job, line) at most once, ever,
// and answers already_paid for a line it paid before. The engine only makes
// sure every line is submitted until it has an outcome. A batch's results
// are recorded in one bbolt transaction after its commit; when the gateway
// dies between the commit and the record, the batch's lines are still
// pending in the file, the next [Open] submits them again, and the
// chaincode answers already_paid (with the output it paid then). A job is
// identified by its ID (also the chaincode's job): [Engine.Submit] with the
// same ID, programme, lines and owner answers the existing job (resuming it
// if it failed); with anything else it fails with [ErrMismatch].
//
// # Batches and the escrow
//
// A disbursement spends escrow outputs of one tranche and returns its
// change to the escrow, split into several outputs when asked
// (DisburseRequest.ChangeSplit, at most api.MaxChangeSplit). The engine
// keeps, per programme, a pool of the escrow's unspent outputs (read with
// programme:Holdings) and locks the outputs of each batch in flight, so
// that up to [Options.Concurrency] batches of a job (and the batches of
// other jobs of the programme) run at once, each on its own output: the
// largest free output that covers the batch, or else the largest outputs
// of the tranche that holds the most (at most [Options.MaxInputs]). A batch
// takes pending lines in line order while they fit, skipping lines whose
// recipient is in another batch in flight (their records would conflict at
// commit). Each batch asks for its change to be split into as many outputs
// as the pool lacks for [Options.Concurrency] batches (the pool's other
// outputs count, free or in flight), never into parts smaller than the
// batch itself; the pool adds the change outputs the answer lists
// (DisburseResult.ChangeOutputs) when the batch settles. So an escrow of a
// single output carries one batch first, then several in flight; and the
// pool stays near Concurrency outputs instead of fragmenting.
//
// A line that no tranche of the escrow can cover (read again first) is
// rejected by the engine with INSUFFICIENT_FUNDS; every other rejection
// (eligibility, the per-recipient cap, the remaining escrow) is the
// chaincode's, per line.
//
// # Failures
//
// A transient failure (read conflicts, an unreachable peer, a timeout, an
// unknown commit outcome) or an escrow input spent by someone else puts the
// batch's lines back at the head of the queue and retries after a back-off
// (doubling from [Options.RetryDelay]); when the transaction may have
// committed, the escrow is read again before the next batch. After
// [Options.MaxAttempts] consecutive failures, or on a refusal of the whole
// batch (the programme is not active or outside its window, the caller is
// not the owner bureau), the job fails with that error; its pending lines
// stay pending, and submitting the same job again resumes it.
//
// # Bounds and behaviour at each limit
//
//   - Lines per job: [Options.MaxLines] (default 100,000): Submit fails
//     with [ErrInvalid].
//   - Running jobs: [Options.MaxRunning] (default 4); more wait queued, in
//     submission order.
//   - Queued plus running jobs: [Options.MaxActive] (default 64): Submit
//     fails with [ErrBusy] (the HTTP layer answers 429).
//   - Stored jobs and lines: [Options.MaxStored] (default 1,000) and
//     [Options.MaxStoredLines] (default 2,000,000). A new job evicts the
//     oldest finished (done or failed) jobs until it fits; when it cannot,
//     Submit fails with [ErrBusy].
//   - Batches in flight: [Options.Concurrency] per job (default 4), and one
//     per free escrow output (change splits keep about Concurrency of them).
//   - Memory: a running job holds its lines (about 100 bytes each); a pool
//     tracks at most 10,000 escrow outputs and remembers at most 10,000
//     spent ones for 10 minutes (so that a lagging read cannot offer them
//     again).
//   - The file: one bbolt transaction per job created and per batch
//     recorded; bbolt reuses freed pages but never shrinks its file.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Each running job has one goroutine
// that owns its queue, plus one per batch in flight; [Engine.Close] stops
// new batches and waits (until its context ends) for those in flight.
package jobs
