package money

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		err  error
	}{
		{"0", 0, nil},
		{"1", 100, nil},
		{"1.5", 150, nil},
		{"1.05", 105, nil},
		{"1234.56", 123456, nil},
		{"0.01", 1, nil},
		{"007", 700, nil},
		{"92233720368547758.07", Max, nil},
		{"92233720368547758.08", 0, ErrOverflow},
		{"92233720368547759", 0, ErrOverflow},
		{"99999999999999999999999", 0, ErrOverflow},
		{"", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{"1.", 0, ErrSyntax},
		{"1.234", 0, ErrSyntax},
		{"-1", 0, ErrSyntax},
		{"+1", 0, ErrSyntax},
		{"1e3", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
		{"Inf", 0, ErrSyntax},
		{"1,5", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"１", 0, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseYuan(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseYuan(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   Amount
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {123456, "1234.56"},
		{-5, "-0.05"}, {Max, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestArithmetic(t *testing.T) {
	if _, err := Add(Max, 1); !errors.Is(err, ErrOverflow) {
		t.Errorf("Add(Max, 1) error = %v", err)
	}
	if _, err := Sub(math.MinInt64, 1); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sub(Min, 1) error = %v", err)
	}
	if _, err := Sub(0, math.MinInt64); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sub(0, Min) error = %v", err)
	}
	if got, err := Sub(100, 250); err != nil || got != -150 {
		t.Errorf("Sub(100, 250) = %d, %v", got, err)
	}
	if _, err := Sum(Max-1, 1, 1); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sum overflow error = %v", err)
	}
	if got, err := Sum(1, 2, 3); err != nil || got != 6 {
		t.Errorf("Sum(1,2,3) = %d, %v", got, err)
	}
	for _, a := range []Amount{0, -1} {
		if err := a.Positive(); !errors.Is(err, ErrNotPositive) {
			t.Errorf("Amount(%d).Positive() = %v", a, err)
		}
	}
	if err := Amount(1).Positive(); err != nil {
		t.Errorf("Amount(1).Positive() = %v", err)
	}
}

func TestJSON(t *testing.T) {
	type req struct {
		Amount Amount `json:"amount"`
	}
	b, err := json.Marshal(req{Amount: 123450})
	if err != nil || string(b) != `{"amount":"1234.50"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var r req
	if err := json.Unmarshal([]byte(`{"amount":"0.07"}`), &r); err != nil || r.Amount != 7 {
		t.Fatalf("Unmarshal = %d, %v", r.Amount, err)
	}
	for _, bad := range []string{`{"amount":12.34}`, `{"amount":"12.345"}`, `{"amount":"-1"}`, `{"amount":null}`, `{"amount":"1e2"}`} {
		var r req
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("Unmarshal(%s) accepted: %d", bad, r.Amount)
		}
	}
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"0", "1.5", "1234.56", "92233720368547758.07", "1e3", "-1", "1.234", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseYuan(s)
		if err != nil {
			return
		}
		if a < 0 {
			t.Fatalf("ParseYuan(%q) = %d < 0", s, a)
		}
		// Round trip: the canonical string parses to the same amount.
		back, err := ParseYuan(a.String())
		if err != nil || back != a {
			t.Fatalf("round trip %q -> %s -> %d, %v", s, a, back, err)
		}
		if strings.ContainsAny(s, "+-eE \t") {
			t.Fatalf("ParseYuan accepted %q", s)
		}
	})
}

func TestMulDiv(t *testing.T) {
	for _, tc := range []struct {
		a        Amount
		num, den int64
		want     Amount
		err      bool
	}{
		{100, 3000, 10000, 30, false},
		{101, 3000, 10000, 30, false}, // floor
		{Max, 10000, 10000, Max, false},
		{Max, 2, 1, 0, true},
		{-1, 1, 1, 0, true},
		{1, 1, 0, 0, true},
		{MustParseYuan("92233720368547758.07"), 4000, 10000, Amount(3689348814741910322), false},
	} {
		got, err := MulDiv(tc.a, tc.num, tc.den)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("MulDiv(%d, %d, %d) = %d, %v", tc.a, tc.num, tc.den, got, err)
		}
	}
}
