package liquidity

import (
	"errors"
	"fmt"
	"sort"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/money"
)

// Errors returned by this package; test with errors.Is.
var (
	// ErrTooManyTransfers means a snapshot holds more than
	// Config.MaxTransfers transfers.
	ErrTooManyTransfers = errors.New("liquidity: too many queued transfers")
	// ErrInvalidSnapshot means a transfer or a balance is malformed, or the
	// snapshot's amounts could overflow.
	ErrInvalidSnapshot = errors.New("liquidity: invalid snapshot")
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("liquidity: invalid config")
	// ErrUnknownMethod means a Method is not one of FIFO, Bilateral,
	// Multilateral.
	ErrUnknownMethod = errors.New("liquidity: unknown method")
	// ErrInternal means the solver's own plan failed the chaincode's
	// verification: a bug, never the caller's fault.
	ErrInternal = errors.New("liquidity: internal error")
)

// Transfer is a queued transfer as the solver sees it.
type Transfer struct {
	ID       string
	From, To string
	Amount   money.Amount
	// Priority is api.PriorityUrgent or api.PriorityNormal.
	Priority string
	// Seq orders a payer's queue within a priority (compared as strings,
	// as the chaincode's api.InterbankTransfer.Seq).
	Seq string
}

// FromRecord converts a queued transfer read from the ledger
// (api.ListQueue).
func FromRecord(t api.InterbankTransfer) Transfer {
	return Transfer{ID: t.ID, From: t.From, To: t.To, Amount: t.Amount, Priority: t.Priority, Seq: t.Seq}
}

// before reports whether t comes before u in queue order: priority, then
// Seq, then ID.
func (t *Transfer) before(u *Transfer) bool {
	if rt, ru := api.PriorityRank(t.Priority), api.PriorityRank(u.Priority); rt != ru {
		return rt < ru
	}
	if t.Seq != u.Seq {
		return t.Seq < u.Seq
	}
	return t.ID < u.ID
}

// Snapshot is the solver's input: the queued transfers (queued, not held,
// value date due) and the balance each account can name as inputs. An
// account missing from Balances has a balance of zero.
type Snapshot struct {
	Transfers []Transfer
	Balances  map[string]money.Amount
}

// Method is a settlement method; each includes the ones before it.
type Method int

// The methods.
const (
	FIFO         Method = iota + 1 // gross settlement of each payer's queue in order
	Bilateral                      // FIFO and bilateral offsetting of the queues' heads
	Multilateral                   // Bilateral and multilateral partial netting (Bech–Soramäki)
)

// Methods lists the methods in order.
func Methods() []Method { return []Method{FIFO, Bilateral, Multilateral} }

// String returns "fifo", "bilateral" or "multilateral".
func (m Method) String() string {
	switch m {
	case FIFO:
		return "fifo"
	case Bilateral:
		return "bilateral"
	case Multilateral:
		return "multilateral"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod is the inverse of String.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods() {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: %q (fifo, bilateral or multilateral)", ErrUnknownMethod, s)
}

// Config bounds the solver. DefaultConfig gives the chaincode's limits.
type Config struct {
	// MaxTransfers is the largest snapshot Solve accepts.
	MaxTransfers int
	// MaxCycle is the most transfers a plan holds (at most
	// api.MaxCycleTransfers, which the chaincode enforces).
	MaxCycle int
	// MaxDebtors is the most net debtors a plan has: the chaincode accepts
	// inputs for at most api.MaxCycleBanks accounts.
	MaxDebtors int
}

// DefaultConfig returns MaxTransfers 100,000 and the chaincode's cycle
// limits.
func DefaultConfig() Config {
	return Config{MaxTransfers: 100_000, MaxCycle: api.MaxCycleTransfers, MaxDebtors: api.MaxCycleBanks}
}

// Validate names the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxTransfers < 1 || c.MaxTransfers > 10_000_000:
		return fmt.Errorf("%w: MaxTransfers %d must be 1 to 10000000", ErrInvalidConfig, c.MaxTransfers)
	case c.MaxCycle < 1 || c.MaxCycle > api.MaxCycleTransfers:
		return fmt.Errorf("%w: MaxCycle %d must be 1 to %d", ErrInvalidConfig, c.MaxCycle, api.MaxCycleTransfers)
	case c.MaxDebtors < 1 || c.MaxDebtors > api.MaxCycleBanks:
		return fmt.Errorf("%w: MaxDebtors %d must be 1 to %d", ErrInvalidConfig, c.MaxDebtors, api.MaxCycleBanks)
	}
	return nil
}

// Plan is what a cycle should settle.
type Plan struct {
	Method Method
	// Transfers are the transfers to settle, in queue order (priority,
	// Seq, ID); for every payer they are a prefix of its queue.
	Transfers []Transfer
	// Positions are the net positions over Transfers, as interbank.Nets
	// computes them (accounts in order).
	Positions []api.NetPosition
	// Gross is the value of Transfers; Liquidity the sum of the net debits,
	// what the cycle needs instead of Gross.
	Gross, Liquidity money.Amount
	// Capped reports that MaxCycle or MaxDebtors made the solver drop
	// transfers it could otherwise have settled.
	Capped bool
}

// IDs returns the transfers' IDs (api.CycleRequest.Transfers).
func (p Plan) IDs() []string {
	out := make([]string, len(p.Transfers))
	for i, t := range p.Transfers {
		out[i] = t.ID
	}
	return out
}

// Debits returns each net debtor's debit, what its inputs must cover
// (api.CycleRequest.Inputs names inputs for exactly these accounts).
func (p Plan) Debits() map[string]money.Amount {
	out := map[string]money.Amount{}
	for _, n := range p.Positions {
		if n.Net < 0 {
			out[n.Account] = -n.Net
		}
	}
	return out
}

// Legs returns the transfers as the chaincode's verification sees them.
func Legs(ts []Transfer) []interbank.Leg {
	out := make([]interbank.Leg, len(ts))
	for i, t := range ts {
		out[i] = interbank.Leg{ID: t.ID, From: t.From, To: t.To, Amount: t.Amount}
	}
	return out
}

// Verify checks a set of transfers as the chaincode does: the net
// positions (interbank.Nets) and, for every net debtor, that its balance
// covers its debit (interbank.Cover, with the debtor's whole balance as
// its inputs). It returns the positions and the liquidity used.
func Verify(ts []Transfer, balances map[string]money.Amount) ([]api.NetPosition, money.Amount, error) {
	nets, err := interbank.Nets(Legs(ts))
	if err != nil {
		return nil, 0, err
	}
	inputs := map[string]money.Amount{}
	for _, n := range nets {
		if n.Net < 0 {
			inputs[n.Account] = balances[n.Account]
		}
	}
	used, err := interbank.Cover(nets, inputs)
	if err != nil {
		return nil, 0, err
	}
	return nets, used, nil
}

// Solver chooses cycles. It holds only its Config and is safe for
// concurrent use.
type Solver struct{ cfg Config }

// New returns a solver, or ErrInvalidConfig naming the bad field.
func New(cfg Config) (*Solver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Solver{cfg: cfg}, nil
}

// Solve returns the transfers of snap that method m settles at once. The
// plan may be empty (nothing can settle). Errors: ErrTooManyTransfers,
// ErrInvalidSnapshot, ErrUnknownMethod, ErrInternal.
func (s *Solver) Solve(m Method, snap Snapshot) (Plan, error) {
	if m < FIFO || m > Multilateral {
		return Plan{}, fmt.Errorf("%w: %d", ErrUnknownMethod, int(m))
	}
	b, err := newBook(snap, s.cfg.MaxTransfers)
	if err != nil {
		return Plan{}, err
	}
	switch m {
	case FIFO:
		b.sequential(false)
	case Bilateral:
		b.sequential(true)
	case Multilateral:
		b.sequential(true)
		if err := b.multilateral(); err != nil {
			return Plan{}, err
		}
	}
	capped, err := b.limit(s.cfg.MaxCycle, s.cfg.MaxDebtors)
	if err != nil {
		return Plan{}, err
	}
	chosen := append([]int(nil), b.chosen...)
	sort.Ints(chosen) // item indices are queue order
	p := Plan{Method: m, Capped: capped, Transfers: make([]Transfer, len(chosen))}
	for i, k := range chosen {
		p.Transfers[i] = *b.items[k].t
		p.Gross += b.items[k].t.Amount // bounded: newBook checked the total
	}
	if p.Positions, p.Liquidity, err = Verify(p.Transfers, snap.Balances); err != nil {
		return Plan{}, fmt.Errorf("%w: the plan fails verification: %w", ErrInternal, err)
	}
	return p, nil
}
