package selection_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// BenchmarkSelect measures picking and locking inputs for one payment from a
// hot account holding 500 unspent outputs, then releasing them (the
// gateway's per-payment selection cost; the account is re-read from an
// in-memory source after each release, as after a failed payment).
func BenchmarkSelect(b *testing.B) {
	have := make([]selection.Output, 500)
	for i := range have {
		have[i] = selection.Output{ID: fmt.Sprintf("tx%03d.0", i), Amount: money.Amount(1000 + i)}
	}
	src := &ledgerStub{outs: map[string][]selection.Output{"hot": have}}
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
