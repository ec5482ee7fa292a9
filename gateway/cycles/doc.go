// Package cycles runs the gateway's liquidity-saving settlement cycles of
// interbank transfers (the chaincode contract "interbank") and closes
// business days.
//
// # One cycle
//
//  1. Read the business calendar (interbank:GetCalendar) and every waiting
//     transfer (interbank:Queue without an account, one page of
//     api.MaxPageSize after another) as an identity that sees every bank's
//     queue: the province's issuer (or an auditor, for reading only).
//  2. Keep the transfers that are queued (not held) and due by the runner's
//     clock (Options.Now): value date today and settlement open
//     (chaincode/interbank.Due). The chaincode checks again against the
//     transaction's time, which decides.
//  3. Read each payer account's balance (interbank:Position), at most
//     Options.Readers reads at a time.
//  4. Ask the solver (package liquidity, method Multilateral) for the
//     largest set of transfers that settles at once against those
//     balances, within the chaincode's cycle limits (api.MaxCycleTransfers
//     transfers; the solver's plan keeps each payer's queue order).
//  5. Submit interbank:Settle with those transfers and no inputs: the
//     chaincode reads each net debtor's unearmarked outputs itself and
//     verifies that every net debit is covered. An empty plan submits
//     nothing ("nothing to settle").
//
// # Races
//
// The snapshot is stale as soon as it is read: a transfer may settle
// gross, be cancelled or held, another gateway's cycle may settle it, a
// payer may spend its balance. The chaincode refuses such a cycle as a
// whole (NOT_QUEUED, INSUFFICIENT_FUNDS, INPUT_SPENT) or the ledger
// invalidates it (read conflicts, retried by gateway/ledger and reported as
// CONFLICT when they persist). A cycle refused for one of these reasons is
// computed once more from a fresh snapshot; if that loses too, it is left
// to the next tick. Any other error is returned as it is.
//
// # Closing a day
//
// CloseDay runs a final cycle, then reads every transfer of the date
// (interbank:DayTransfers, page by page) and calls interbank:EndOfDay in
// chunks of api.MaxCycleTransfers transfers still waiting (queued or held;
// they are rejected) and api.MaxCycleBanks settlement accounts (every
// account that appears in the date's transfers; their day-end balances are
// fixed). There is always at least one EndOfDay call, so a day whose end
// has not come yet is refused by the chaincode with DAY_OPEN, whatever the
// runner's clock says. Closing is safe to repeat: a transfer no longer
// waiting is skipped, an account already fixed is not fixed again. Note
// that the chaincode settles nothing after a date's end of day, so the
// final cycle settles something only when CloseDay is called before it.
//
// # The timer
//
// Run calls Tick every interval (by default the calendar's
// cycleIntervalSec, re-read at every tick) until its context ends. A tick
// runs one cycle and then closes, at most MaxDaysPerTick per tick, every
// value date whose end of day has passed (by the runner's clock) while
// transfers still wait for it. Errors are logged and counted in the
// metrics; the next tick tries again.
//
// # One at a time
//
// A Runner runs one cycle or close at a time. Cycle and CloseDay wait for
// a running one to finish (bounded by their context); a timer tick that
// finds one running is skipped (ErrBusy, counted as "busy").
//
// # Bounds
//
//   - Queue read: at most Options.MaxQueue transfers (default 10,000) per
//     cycle. Beyond, the cycle solves over what it read (a prefix of each
//     payer's queue, which is what the solver needs), reports Truncated,
//     and the rest waits for later cycles.
//   - Balance reads: one per payer of a due transfer, at most
//     Options.Readers at a time.
//   - A day's transfers: at most Options.MaxDayTransfers (default
//     100,000) read by CloseDay; beyond, it fails with ErrDayTooLarge and
//     changes nothing.
//   - Days closed per tick: MaxDaysPerTick.
//
// A Runner is safe for concurrent use.
package cycles
