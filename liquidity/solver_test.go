package liquidity

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// tr builds a normal-priority transfer; seq orders it.
func tr(id, from, to string, amount int64, seq int) Transfer {
	return Transfer{ID: id, From: from, To: to, Amount: money.Amount(amount), Priority: api.PriorityNormal, Seq: fmt.Sprintf("%06d", seq)}
}

func urgent(t Transfer) Transfer { t.Priority = api.PriorityUrgent; return t }

func bal(kv ...any) map[string]money.Amount {
	out := map[string]money.Amount{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = money.Amount(kv[i+1].(int))
	}
	return out
}

func TestSolve(t *testing.T) {
	gridlock := Snapshot{
		Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("bc", "B", "C", 100, 2), tr("ca", "C", "A", 100, 3)},
		Balances:  bal("A", 10, "B", 10, "C", 10),
	}
	tests := []struct {
		name string
		snap Snapshot
		cfg  func(*Config)
		// want lists the IDs settled by FIFO, Bilateral, Multilateral
		// (in queue order).
		want   [3][]string
		capped bool
	}{
		{name: "empty", snap: Snapshot{}, want: [3][]string{{}, {}, {}}},
		{name: "gridlock: FIFO cannot settle, multilateral settles all", snap: gridlock,
			want: [3][]string{{}, {}, {"ab", "bc", "ca"}}},
		{name: "bilateral pair covered by the net",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("ba", "B", "A", 90, 2)}, Balances: bal("A", 10)},
			want: [3][]string{{}, {"ab", "ba"}, {"ab", "ba"}}},
		{name: "bilateral pair whose net is not covered",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("ba", "B", "A", 90, 2)}, Balances: bal("A", 9)},
			want: [3][]string{{}, {}, {}}},
		{name: "bilateral without balance drops both runs entirely",
			snap: Snapshot{Transfers: []Transfer{
				tr("ab1", "A", "B", 50, 1), tr("ab2", "A", "B", 50, 2), tr("ab3", "A", "B", 500, 3),
				tr("ba1", "B", "A", 80, 4), tr("ba2", "B", "A", 300, 5)}, Balances: bal("A", 0, "B", 0)},
			// all: A -600+380 short; drop ab3: A +280, B -280 short; drop ba2: A -20 short; drop ab2: A +30, B -30 short; drop ba1: A -50; drop ab1.
			want: [3][]string{{}, {}, {}}},
		{name: "bilateral prefix with some balance",
			snap: Snapshot{Transfers: []Transfer{
				tr("ab1", "A", "B", 50, 1), tr("ab2", "A", "B", 50, 2), tr("ab3", "A", "B", 500, 3),
				tr("ba1", "B", "A", 80, 4), tr("ba2", "B", "A", 300, 5)}, Balances: bal("A", 30, "B", 0)},
			// all: A 30-600+380 = -190; drop ab3: A 310, B -280; drop ba2: A 10, B 20: covered.
			want: [3][]string{{}, {"ab1", "ab2", "ba1"}, {"ab1", "ab2", "ba1"}}},
		{name: "bilateral does not let a transfer overtake the payer's head",
			snap: Snapshot{Transfers: []Transfer{tr("ac", "A", "C", 50, 1), tr("ab", "A", "B", 100, 2), tr("ba", "B", "A", 90, 3)},
				Balances: bal("A", 10)},
			want: [3][]string{{}, {}, {}}},
		{name: "FIFO stops at the first unaffordable transfer",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("ac", "A", "C", 10, 2)}, Balances: bal("A", 50)},
			want: [3][]string{{}, {}, {}}},
		{name: "urgent comes before normal in the payer's queue",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), urgent(tr("ac", "A", "C", 10, 2))}, Balances: bal("A", 50)},
			want: [3][]string{{"ac"}, {"ac"}, {"ac"}}},
		{name: "equal Seq: ID decides",
			snap: Snapshot{Transfers: []Transfer{tr("z", "A", "B", 10, 1), tr("y", "A", "C", 100, 1)}, Balances: bal("A", 50)},
			want: [3][]string{{}, {}, {}}},
		{name: "FIFO revisits a payer once it is paid",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("bc", "B", "C", 50, 2), tr("ca", "C", "A", 100, 3)},
				Balances: bal("C", 100)},
			want: [3][]string{{"ab", "bc", "ca"}, {"ab", "bc", "ca"}, {"ab", "bc", "ca"}}},
		{name: "multilateral drops the largest deficit's last transfer",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("bc", "B", "C", 100, 2), tr("ca", "C", "A", 100, 3),
				tr("ad", "A", "D", 50, 4)}},
			want: [3][]string{{}, {}, {"ab", "bc", "ca"}}},
		{name: "multilateral cascade: dropping one bank's payment short-changes another",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("bc", "B", "C", 100, 2), tr("ca", "C", "A", 100, 3),
				tr("ad", "A", "D", 50, 4), tr("bd", "B", "D", 1, 5)}, Balances: bal("A", 20)},
			// all: A -30, B -1: drop ad: A +20, B -1: drop bd: covered.
			want: [3][]string{{}, {}, {"ab", "bc", "ca"}}},
		{name: "cycle limit: nothing smaller than the gridlock is covered", snap: gridlock,
			cfg:  func(c *Config) { c.MaxCycle = 2 },
			want: [3][]string{{}, {}, {}}, capped: true},
		{name: "cycle limit keeps a covered prefix",
			snap: Snapshot{Transfers: []Transfer{tr("ab", "A", "B", 100, 1), tr("bc", "B", "C", 100, 2), tr("cd", "C", "D", 100, 3)},
				Balances: bal("A", 100)},
			cfg:  func(c *Config) { c.MaxCycle = 2 },
			want: [3][]string{{"ab", "bc"}, {"ab", "bc"}, {"ab", "bc"}}, capped: true},
		{name: "debtor limit drops the smallest debtor",
			snap: Snapshot{Transfers: []Transfer{tr("ac", "A", "C", 10, 1), tr("bc", "B", "C", 20, 2)}, Balances: bal("A", 10, "B", 20)},
			cfg:  func(c *Config) { c.MaxDebtors = 1 },
			want: [3][]string{{"bc"}, {"bc"}, {"bc"}}, capped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range Methods() {
				p, err := s.Solve(m, tt.snap)
				if err != nil {
					t.Fatalf("%s: %v", m, err)
				}
				if got := p.IDs(); !slices.Equal(got, tt.want[i]) {
					t.Errorf("%s settles %v, want %v", m, got, tt.want[i])
				}
				if len(tt.want[i]) > 0 && p.Capped != tt.capped {
					t.Errorf("%s: Capped = %v, want %v", m, p.Capped, tt.capped)
				}
				checkPlan(t, cfg, tt.snap, p)
			}
		})
	}
}

func TestSolveErrors(t *testing.T) {
	ok := tr("a", "A", "B", 1, 1)
	tests := []struct {
		name string
		snap Snapshot
		m    Method
		want error
	}{
		{"too many transfers", Snapshot{Transfers: []Transfer{ok, tr("b", "A", "B", 1, 2), tr("c", "A", "B", 1, 3)}}, FIFO, ErrTooManyTransfers},
		{"unknown method", Snapshot{}, Method(9), ErrUnknownMethod},
		{"no ID", Snapshot{Transfers: []Transfer{tr("", "A", "B", 1, 1)}}, FIFO, ErrInvalidSnapshot},
		{"duplicate ID", Snapshot{Transfers: []Transfer{ok, ok}}, FIFO, ErrInvalidSnapshot},
		{"to itself", Snapshot{Transfers: []Transfer{tr("a", "A", "A", 1, 1)}}, FIFO, ErrInvalidSnapshot},
		{"no payee", Snapshot{Transfers: []Transfer{tr("a", "A", "", 1, 1)}}, FIFO, ErrInvalidSnapshot},
		{"zero amount", Snapshot{Transfers: []Transfer{tr("a", "A", "B", 0, 1)}}, FIFO, ErrInvalidSnapshot},
		{"unknown priority", Snapshot{Transfers: []Transfer{{ID: "a", From: "A", To: "B", Amount: 1, Priority: "high"}}}, FIFO, ErrInvalidSnapshot},
		{"negative balance", Snapshot{Balances: bal("A", -1)}, FIFO, ErrInvalidSnapshot},
		{"amounts overflow", Snapshot{Transfers: []Transfer{{ID: "a", From: "A", To: "B", Amount: money.Max, Priority: api.PriorityNormal}},
			Balances: bal("B", 1)}, Multilateral, ErrInvalidSnapshot},
	}
	cfg := DefaultConfig()
	cfg.MaxTransfers = 2
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Solve(tt.m, tt.snap); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"MaxTransfers zero", func(c *Config) { c.MaxTransfers = 0 }},
		{"MaxCycle above the chaincode's", func(c *Config) { c.MaxCycle = api.MaxCycleTransfers + 1 }},
		{"MaxCycle zero", func(c *Config) { c.MaxCycle = 0 }},
		{"MaxDebtors above the chaincode's", func(c *Config) { c.MaxDebtors = api.MaxCycleBanks + 1 }},
	}
	if _, err := New(DefaultConfig()); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if _, err := New(c); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestParseMethod(t *testing.T) {
	for _, m := range Methods() {
		t.Run(m.String(), func(t *testing.T) {
			got, err := ParseMethod(m.String())
			if err != nil || got != m {
				t.Fatalf("ParseMethod(%q) = %v, %v", m, got, err)
			}
		})
	}
	if _, err := ParseMethod("rtgs"); !errors.Is(err, ErrUnknownMethod) {
		t.Fatalf("got %v", err)
	}
}
