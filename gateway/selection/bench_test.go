package selection_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/money"
)

func manyOutputs(n int) []selection.Output {
	have := make([]selection.Output, n)
	for i := range have {
		have[i] = selection.Output{ID: fmt.Sprintf("tx%05d.0", i), Amount: money.Amount(1000 + i)}
	}
	return have
}

// BenchmarkSelect measures picking and locking inputs for one payment from a
// hot account holding 500 unspent outputs, then releasing them (the
// gateway's per-payment selection cost; the account is re-read from an
// in-memory source after each release, as after a failed payment).
func BenchmarkSelect(b *testing.B) {
	src := newLedger(map[string][]selection.Output{"hot": manyOutputs(500)})
	s := selection.New(src, selection.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, err := s.Select(ctx, "id", "hot", 2500)
		if err != nil {
			b.Fatal(err)
		}
		l.Release(false)
	}
}

// BenchmarkSelectManyAccounts selects from accounts in turn (8 outputs
// each). "tracked": all 1,000 fit the table; "evicting": 100,000 accounts
// through a table of 1,024, so every selection evicts the least recently
// used idle account first. The cost per selection should not grow with
// the number of accounts seen.
func BenchmarkSelectManyAccounts(b *testing.B) {
	for _, bc := range []struct {
		name     string
		accounts int
		max      int
	}{
		{"tracked", 1_000, 4096},
		{"evicting", 100_000, 1024},
	} {
		b.Run(bc.name, func(b *testing.B) {
			have := manyOutputs(8)
			src := &fixedSource{outs: have}
			s := selection.New(src, selection.Options{MaxAccounts: bc.max})
			names := make([]string, bc.accounts)
			for i := range names {
				names[i] = fmt.Sprint("acc", i)
			}
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				l, err := s.Select(ctx, "id", names[i%len(names)], 1500)
				if err != nil {
					b.Fatal(err)
				}
				l.Release(false)
				i++
			}
			if s.Accounts() > bc.max {
				b.Fatalf("%d accounts tracked, limit %d", s.Accounts(), bc.max)
			}
		})
	}
}

// BenchmarkReleaseSpent measures a payment that commits: select, release
// as spent, and the ledger replacing the input with change. The account's
// spent memory fills to MaxSpent and is then pruned one entry per
// release; the cost should not depend on MaxSpent.
func BenchmarkReleaseSpent(b *testing.B) {
	for _, maxSpent := range []int{16, 4096} {
		b.Run(fmt.Sprint("MaxSpent=", maxSpent), func(b *testing.B) {
			src := &churnSource{}
			s := selection.New(src, selection.Options{MaxSpent: maxSpent})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				l, err := s.Select(ctx, "id", "hot", 10)
				if err != nil {
					b.Fatal(err)
				}
				src.next.Add(1)
				l.Release(true)
			}
		})
	}
}

// BenchmarkSelectParallel selects from many goroutines at once: all from
// one account, or each from its own. Per-account locking lets the second
// scale with the cores.
func BenchmarkSelectParallel(b *testing.B) {
	for _, shared := range []bool{true, false} {
		name := map[bool]string{true: "one account", false: "account per goroutine"}[shared]
		b.Run(name, func(b *testing.B) {
			src := &fixedSource{outs: manyOutputs(64)}
			s := selection.New(src, selection.Options{})
			ctx := context.Background()
			var id atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				acct := "shared"
				if !shared {
					acct = fmt.Sprint("acc", id.Add(1))
				}
				for pb.Next() {
					l, err := s.Select(ctx, "id", acct, 1000)
					if err != nil {
						b.Error(err)
						return
					}
					l.Release(false)
				}
			})
		})
	}
}

// fixedSource gives every account the same outputs (not copied: the
// selector must not modify what a Source returns).
type fixedSource struct{ outs []selection.Output }

func (f *fixedSource) Outputs(context.Context, string, string) ([]selection.Output, error) {
	return f.outs, nil
}

// churnSource holds one output per account, replaced by a new one (the
// change) each time next moves on.
type churnSource struct {
	next atomic.Int64
}

func (c *churnSource) Outputs(_ context.Context, _, acct string) ([]selection.Output, error) {
	return []selection.Output{{ID: fmt.Sprintf("%s/%d", acct, c.next.Load()), Amount: 1000}}, nil
}
