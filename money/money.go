// Package money is the chaincode's representation of yuan amounts: an
// integer count of fen (1 yuan = 100 fen) with overflow-checked arithmetic
// and a strict decimal-string form at every edge (JSON, arguments).
//
// Floats are never used. The only accepted textual form is
// digits, optionally followed by '.' and one or two digits: "0", "12",
// "12.5", "1234.56". Signs, exponents, spaces, "NaN", "Inf" and more than
// two decimals are rejected.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Amount is a quantity of yuan in fen (hundredths of a yuan).
type Amount int64

// FenPerYuan is the number of fen in one yuan.
const FenPerYuan = 100

// Max is the largest representable amount (92233720368547758.07 yuan).
const Max = Amount(math.MaxInt64)

// Errors returned by this package; test with errors.Is.
var (
	// ErrSyntax means a decimal string is not of the form digits[.d[d]].
	ErrSyntax = errors.New("money: invalid amount syntax")
	// ErrOverflow means a value or a result does not fit in an int64 of fen.
	ErrOverflow = errors.New("money: amount overflow")
	// ErrNotPositive means an amount that must be positive is zero or negative.
	ErrNotPositive = errors.New("money: amount must be positive")
)

// ParseYuan parses a strict decimal yuan string such as "1234.56".
// Zero is accepted; use Positive to require a payment amount.
func ParseYuan(s string) (Amount, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrSyntax)
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	if intPart == "" || !allDigits(intPart) {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if len(intPart) != len(s) && (len(frac) < 1 || len(frac) > 2 || !allDigits(frac)) {
		return 0, fmt.Errorf("%w: %q (at most two decimals after '.')", ErrSyntax, s)
	}
	var fen int64
	for i := 0; i < len(intPart); i++ {
		d := int64(intPart[i] - '0')
		if fen > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
		}
		fen = fen*10 + d
	}
	if fen > math.MaxInt64/FenPerYuan {
		return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
	}
	fen *= FenPerYuan
	var f int64
	switch len(frac) {
	case 1:
		f = int64(frac[0]-'0') * 10
	case 2:
		f = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	if fen > math.MaxInt64-f {
		return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
	}
	return Amount(fen + f), nil
}

// MustParseYuan is ParseYuan for constants and tests; it panics on error.
func MustParseYuan(s string) Amount {
	a, err := ParseYuan(s)
	if err != nil {
		panic(err)
	}
	return a
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Yuan returns whole yuan as an Amount; it panics if y is out of range.
// Intended for constants such as tier limits.
func Yuan(y int64) Amount {
	if y < 0 || y > math.MaxInt64/FenPerYuan {
		panic("money: Yuan out of range")
	}
	return Amount(y * FenPerYuan)
}

// String renders the amount with exactly two decimals, e.g. "1234.56".
func (a Amount) String() string {
	v := int64(a)
	neg := v < 0
	var u uint64
	if neg {
		u = uint64(-(v + 1)) + 1 // safe for MinInt64
	} else {
		u = uint64(v)
	}
	whole, frac := u/FenPerYuan, u%FenPerYuan
	buf := make([]byte, 0, 24)
	if neg {
		buf = append(buf, '-')
	}
	buf = strconv.AppendUint(buf, whole, 10)
	buf = append(buf, '.', byte('0'+frac/10), byte('0'+frac%10))
	return string(buf)
}

// Positive reports an error unless a > 0.
func (a Amount) Positive() error {
	if a <= 0 {
		return fmt.Errorf("%w: %s", ErrNotPositive, a)
	}
	return nil
}

// Add returns a+b or ErrOverflow.
func Add(a, b Amount) (Amount, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, fmt.Errorf("%w: %s + %s", ErrOverflow, a, b)
	}
	return a + b, nil
}

// Sub returns a-b or ErrOverflow. The result may be negative; callers that
// need a non-negative result check it.
func Sub(a, b Amount) (Amount, error) {
	if (b < 0 && a > math.MaxInt64+b) || (b > 0 && a < math.MinInt64+b) {
		return 0, fmt.Errorf("%w: %s - %s", ErrOverflow, a, b)
	}
	return a - b, nil
}

// Sum adds amounts, failing on overflow.
func Sum(as ...Amount) (Amount, error) {
	var t Amount
	for _, a := range as {
		var err error
		if t, err = Add(t, a); err != nil {
			return 0, err
		}
	}
	return t, nil
}

// MarshalJSON encodes the amount as a decimal string, e.g. "12.50".
func (a Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.String())
}

// UnmarshalJSON accepts only a JSON string in ParseYuan's form; JSON
// numbers are rejected so that no float ever touches an amount.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: amount must be a JSON string such as \"12.34\"", ErrSyntax)
	}
	v, err := ParseYuan(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MulDiv returns floor(a × num / den) for a ≥ 0, num ≥ 0 and den > 0,
// computed without intermediate overflow (128-bit product), or ErrOverflow
// when the result does not fit.
func MulDiv(a Amount, num, den int64) (Amount, error) {
	if a < 0 || num < 0 || den <= 0 {
		return 0, fmt.Errorf("%w: MulDiv(%s, %d, %d) needs non-negative operands and a positive divisor", ErrOverflow, a, num, den)
	}
	hi, lo := bits.Mul64(uint64(a), uint64(num))
	if hi >= uint64(den) {
		return 0, fmt.Errorf("%w: %s × %d / %d", ErrOverflow, a, num, den)
	}
	q, _ := bits.Div64(hi, lo, uint64(den))
	if q > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s × %d / %d", ErrOverflow, a, num, den)
	}
	return Amount(q), nil
}
