package api

import (
	"testing"

	"github.com/yangtze-delta/settlement/money"
)

func TestSplitChange(t *testing.T) {
	tests := []struct {
		change money.Amount
		n      int
		want   []money.Amount
	}{
		{0, 3, nil},
		{10, 0, []money.Amount{10}},
		{10, 3, []money.Amount{4, 3, 3}},
		{2, 5, []money.Amount{1, 1}},
		{100, 4, []money.Amount{25, 25, 25, 25}},
	}
	for _, tt := range tests {
		got := SplitChange(tt.change, tt.n)
		if len(got) != len(tt.want) {
			t.Fatalf("SplitChange(%d,%d) = %v, want %v", tt.change, tt.n, got, tt.want)
		}
		var sum money.Amount
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("SplitChange(%d,%d) = %v, want %v", tt.change, tt.n, got, tt.want)
			}
			sum += got[i]
		}
		if sum != tt.change {
			t.Fatalf("sum %d != %d", sum, tt.change)
		}
	}
}
