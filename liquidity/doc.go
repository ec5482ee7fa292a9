// Package liquidity is the solver of liquidity-saving settlement: given a
// snapshot of queued interbank transfers and each settlement account's
// balance, it chooses a set of transfers that can settle at once, as one
// cycle (api.SettleCycle). The chaincode does not trust it: it recomputes
// every account's net position over the set and checks that the inputs
// named for each net debtor cover the debit (chaincode/interbank Nets and
// Cover). Solve runs the same two functions on its own answer before
// returning it, so a plan it returns is one the chaincode accepts against
// the balances of the snapshot.
//
// # Queue order
//
// A payer's queue is ordered by priority (urgent before normal), then by
// Seq (the enqueue order the chaincode records), then by ID. Every method
// settles, for each payer, a prefix of that payer's queue: no transfer
// overtakes one queued before it by the same payer (the chaincode's gross
// rule: a transfer settles on arrival only when nothing of equal or higher
// priority waits before it). A cycle that settles S is covered when, for
// every account, balance + (credits − debits over S) ≥ 0.
//
// # Methods
//
// FIFO is gross settlement of the queues: per payer, in queue order, settle
// the head while the balance covers it; stop at the first transfer that
// does not fit. Incoming payments raise the payee's balance, so a payee
// whose head was blocked is revisited (a work list in account order), until
// nothing more settles. The result is a sequence of single covered
// transfers, hence covered as a whole.
//
// Bilateral adds bilateral offsetting: when A's queue begins with a run of
// transfers to B and B's queue begins with a run of transfers to A, the
// two runs are taken whole and, while one side's net debit exceeds its
// balance, the last transfer of that side is dropped; what remains of the
// two runs settles together. Only runs at the head of each queue qualify:
// a transfer A→B behind a waiting A→C would overtake it. Gross steps and
// offsets alternate until neither settles anything.
//
// Multilateral adds multilateral partial netting after the bilateral
// phase, the algorithm of Bech and Soramäki ("Gridlock resolution in
// interbank payment systems", 2001): take every remaining queued transfer;
// while some account's position (balance + net over the set) is negative,
// drop the last transfer (lowest priority, latest in queue) of the account
// with the largest deficit (ties: the first account in order); what
// remains settles. Dropping a payer's last transfer keeps each payer's
// part a prefix.
//
// Under the queue-order rule this settles the most that can settle, not
// just a good set. Call a set prefix-closed when it holds a prefix of
// every payer's queue. The union of two covered prefix-closed sets is
// covered (each account pays what it pays in the set holding its longer
// prefix and receives at least as much), so there is a largest covered
// prefix-closed set M, and every covered prefix-closed set lies inside it.
// The deficit rule never drops a transfer of M: if the account a whose
// last transfer is dropped kept that transfer in M, a would pay in M what
// it pays in the current set and receive no more, so it would be short in
// M too. The rule therefore ends on M whatever the tie-break, and so
// FIFO ⊆ Bilateral ⊆ Multilateral = M for every snapshot (a property test
// checks both against exhaustive enumeration on small snapshots).
//
// # Cycle limits
//
// A cycle settles at most api.MaxCycleTransfers transfers and names inputs
// for at most api.MaxCycleBanks net debtors (Config.MaxCycle and
// Config.MaxDebtors). When the chosen set is larger, Solve keeps the
// transfers in the order it chose them (each payer's in queue order, so a
// prefix of that order is a prefix of every payer's queue) up to
// MaxCycle, then re-runs the deficit rule against the snapshot's balances
// on what it kept (which leaves the largest covered prefix-closed set
// inside it), and, while there are too many net debtors, drops the last
// transfer of the debtor with the smallest debit and re-runs the deficit
// rule. Each step drops a payer's last transfer, so the result stays
// prefix-closed; it ends covered (the empty set is). What it drops stays
// queued for the next cycle; Plan.Capped reports that this happened. A
// capped plan can be empty when nothing small enough is covered (a ring
// of more than MaxCycle banks each owing the next with no balance).
//
// # Complexity
//
// With n transfers, A accounts and r the longest run of one payer's queue
// towards one payee: validation and ordering O(n log n); the gross and
// bilateral phase O(n + A) visits plus O(n·r) for offset attempts (each
// attempt scans the two runs, and an account is retried only after its
// balance or head changed); the multilateral phase O((n + A) log(n + A))
// with a lazily updated heap of deficits; the cycle limits O(n log n +
// d·A), d the transfers dropped for the debtor limit; the final
// verification O(n log A). Input is bounded by Config.MaxTransfers
// (default 100,000): a larger snapshot is refused with
// ErrTooManyTransfers, before any work.
//
// # Determinism
//
// Accounts are visited in sorted order, ties are broken by account order
// and by (priority, Seq, ID), and no map iteration decides anything: the
// same snapshot gives the same plan. A Solver has no mutable state and is
// safe for concurrent use.
package liquidity
