package money_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/money"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want money.Amount
		ok   bool
	}{
		{"0", 0, true}, {"1", 100, true}, {"1234.56", 123456, true}, {"12.5", 1250, true},
		{"0.01", 1, true}, {"92233720368547758.07", math.MaxInt64, true},
		{"92233720368547758.08", 0, false}, {"", 0, false}, {".5", 0, false}, {"5.", 0, false},
		{"1.234", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1e3", 0, false},
		{"1,000", 0, false}, {"01", 0, false}, {" 1", 0, false}, {"1.2.3", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := money.Parse(tt.in)
			if !tt.ok {
				require.ErrorIs(t, err, money.ErrInvalid)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParsePositive(t *testing.T) {
	_, err := money.ParsePositive("0.00")
	require.ErrorIs(t, err, money.ErrInvalid)
}

func TestAdd(t *testing.T) {
	_, err := money.Add(math.MaxInt64, 1)
	require.ErrorIs(t, err, money.ErrOverflow)
	s, err := money.Add(150, 250)
	require.NoError(t, err)
	require.Equal(t, money.Amount(400), s)
}

func ExampleAmount_String() {
	a, _ := money.Parse("1234.5")
	fmt.Println(a)
	// Output: 1234.50
}
