// Package money converts yuan amounts between the decimal strings of the
// HTTP API ("1234.56") and integer fen, with overflow checks. Floats are
// never involved.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Amount is a non-negative quantity of fen (0.01 yuan).
type Amount int64

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("money: invalid amount")

// ErrOverflow is returned when a sum does not fit.
var ErrOverflow = errors.New("money: overflow")

// Parse reads a decimal string with at most two fraction digits: "12",
// "12.5", "12.50". Signs, exponents, separators and empty parts are refused.
func Parse(s string) (Amount, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > 2 {
		return 0, fmt.Errorf("%w: %q: want digits with at most two decimals, like \"1234.56\"", ErrInvalid, s)
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, fmt.Errorf("%w: %q: leading zero", ErrInvalid, s)
	}
	var v int64
	for _, part := range []string{whole, frac + strings.Repeat("0", 2-len(frac))} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%w: %q: unexpected %q", ErrInvalid, s, c)
			}
			if v > (math.MaxInt64-int64(c-'0'))/10 {
				return 0, fmt.Errorf("%w: %q: too large", ErrInvalid, s)
			}
			v = v*10 + int64(c-'0')
		}
	}
	return Amount(v), nil
}

// ParsePositive is Parse refusing zero.
func ParsePositive(s string) (Amount, error) {
	a, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if a == 0 {
		return 0, fmt.Errorf("%w: %q: must be greater than zero", ErrInvalid, s)
	}
	return a, nil
}

// String renders the amount with two decimals.
func (a Amount) String() string {
	return fmt.Sprintf("%d.%02d", int64(a)/100, int64(a)%100)
}

// Add returns a+b or ErrOverflow.
func Add(a, b Amount) (Amount, error) {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return 0, ErrOverflow
	}
	return a + b, nil
}
