// Package sim replays a business day of interbank transfers through the
// settlement rules of the interbank chaincode, with the liquidity solver
// of package liquidity choosing the cycles, and measures the headline
// figure of a settlement system: the liquidity it saves. It needs no
// network: every settlement it simulates is checked by the chaincode's
// own verifier (chaincode/interbank Nets and Cover), so the simulated
// settlements are exactly those the chaincode would accept.
//
// # The day
//
// Config.Banks banks (20) each hold one settlement account. Config.Transfers
// transfers (10,000) are drawn from a seeded generator (math/rand/v2 PCG):
//
//   - sizes log-normal: MedianAmount × e^(Sigma·Z), Z standard normal,
//     rounded to the fen, at least 1 fen and at most 10,000 medians (a
//     bound against overflow that σ = 1 never reaches);
//   - payer and payee drawn independently from a Zipf-like distribution,
//     bank i (0-based) with weight 1/(i+1)^Skew, both redrawn when they
//     coincide: a pair (i, j), i ≠ j, has probability ∝ w_i·w_j, the same
//     as (j, i), so each bank expects to receive as much as it pays, and a
//     few large banks send and receive most of the value;
//   - UrgentPercent of them urgent, the rest normal;
//   - arrival times uniform over the business day, from the calendar's
//     Open to its InterbankCutoff, in whole seconds; ties keep draw order,
//     and the arrival order is each transfer's queue sequence.
//
// # Settlement rules (the chaincode's)
//
// A transfer arriving at t settles gross at once when its payer's balance
// covers it and nothing of equal or higher priority waits in the payer's
// queue; otherwise it is queued. A payer's queue is ordered by priority
// (urgent first), then arrival. Queued transfers lock no liquidity and
// leave the queue only through cycles. A cycle runs every
// Calendar.CycleIntervalSec seconds from Open until EndOfDay, and at the
// InterbankCutoff; it gives the solver the whole queue and every balance,
// settles the plan it returns as one transaction (at most
// api.MaxCycleTransfers transfers), and repeats at the same instant while
// the solver finds something, since one plan may be cut by the cycle
// limit. At EndOfDay what is still queued is rejected. A cycle at time t
// sees the arrivals at times up to t.
//
// The three methods differ only in the solver method the cycles use:
// (a) FIFO, gross settlement with a FIFO queue (a cycle releases each
// queue's covered heads); (b) Bilateral, FIFO plus bilateral offsetting;
// (c) Multilateral, both plus multilateral partial netting. The arrival
// rule is the same for all three.
//
// # Liquidity
//
// Bank i's gross-only requirement G_i is the liquidity it needs for every
// one of its transfers to settle gross on arrival: replaying the day with
// every transfer settled at its arrival, the largest cumulative net
// outflow the bank reaches (at least 0). With G_i, that replay never
// overdraws the bank, so gross settlement alone settles everything at
// once. The gross-only requirement of the system is ΣG_i (the upper bound
// of the literature).
//
// The theoretical lower bound is Σ max(0, −N_i), N_i the bank's
// multilateral net position over the whole day (received minus paid):
// with less, some bank cannot end the day, whatever the order.
//
// A run gives bank i the liquidity ⌊G_i × p / 100⌋ for each percentage p in
// Config.Percents (25, 50, 75, 100), and a further run gives each bank its
// own net debit max(0, −N_i), the lower bound. Liquidity is held as
// balance at the open; nothing is added during the day.
//
// # Figures, per level and method
//
//   - value settled before the cut-off (at a time strictly before
//     InterbankCutoff, so not counting the cut-off cycle) and by the end of
//     day, as amounts and as a percentage of the day's value;
//   - average delay: arrival to settlement in minutes, weighted by value,
//     over the transfers settled by the end of day (gross on arrival
//     counts 0); rejected transfers are reported apart;
//   - liquidity used: Σ over banks of the peak drawdown, its opening
//     balance minus the lowest balance it reached;
//   - cycle transactions, the largest cycle, cycles cut by a limit,
//     transfers rejected at end of day, and the run's wall time.
//
// Simulate returns a Result; Result.WriteText renders the table and the goals
// of issue 10 (Result.Goals): with the lower bound, multilateral settles
// 100% of the value by end of day; with 50% of the gross-only requirement,
// multilateral settles at least 95% of it before the cut-off.
package sim
