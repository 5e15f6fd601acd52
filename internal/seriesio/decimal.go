package seriesio

import (
	"math"
	"strconv"
)

// decimal is a parsed decimal number: the digits of its integer and
// fractional parts and a power-of-ten exponent, so that it can be scaled to
// an integer exactly, with no float64 rounding.
type decimal struct {
	neg bool
	// digits are a and then b, read as one digit string without leading
	// zeros; the decimal point sits after the first point digits (point may
	// be negative or exceed the number of digits).
	a, b  string
	point int
}

// maxExp bounds the exponents scanDecimal accepts; anything larger only
// overflows int64 or rounds to zero.
const maxExp = 10000

// scanDecimal parses [+-]digits[.digits][(e|E)[+-]digits] with at least one
// digit in the mantissa. It rejects Inf, NaN, hexadecimal and underscores.
func scanDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intd := s[intStart:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fracStart:i]
	}
	if len(intd) == 0 && len(frac) == 0 {
		return d, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return d, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < maxExp {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return d, false
	}
	d.point = len(intd) + exp
	for len(intd) > 0 && intd[0] == '0' {
		intd = intd[1:]
		d.point--
	}
	if len(intd) == 0 {
		for len(frac) > 0 && frac[0] == '0' {
			frac = frac[1:]
			d.point--
		}
	}
	d.a, d.b = intd, frac
	return d, true
}

func (d decimal) ndigits() int { return len(d.a) + len(d.b) }

func (d decimal) digit(i int) uint64 {
	if i < len(d.a) {
		return uint64(d.a[i] - '0')
	}
	return uint64(d.b[i-len(d.a)] - '0')
}

// isZero reports whether the number is zero.
func (d decimal) isZero() bool {
	for i := range d.ndigits() {
		if d.digit(i) != 0 {
			return false
		}
	}
	return true
}

// intDigits returns the number of digits of the integer part of |x|
// (0 when |x| < 1).
func (d decimal) intDigits() int {
	if d.isZero() {
		return 0
	}
	return max(d.point, 0)
}

// scaled returns x·10^scale rounded to the nearest integer, halves away from
// zero, and false when the result does not fit in an int64.
func (d decimal) scaled(scale int) (int64, bool) {
	n := d.ndigits()
	k := d.point + scale // digits before the (scaled) decimal point
	if d.isZero() {
		return 0, true
	}
	if k > 19 {
		return 0, false
	}
	var u uint64
	for i := range max(k, 0) {
		var dg uint64
		if i < n {
			dg = d.digit(i)
		}
		if u > (math.MaxUint64-dg)/10 {
			return 0, false
		}
		u = u*10 + dg
	}
	if k >= 0 && k < n && d.digit(k) >= 5 {
		u++
	}
	if d.neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseMillis parses decimal seconds ("1700000000", "1700000000.123",
// "1.7e9") into Unix milliseconds exactly, rounding sub-millisecond digits to
// the nearest millisecond.
func parseMillis(s string) (int64, bool) {
	if ms, ok := fastIntMillis(s); ok {
		return ms, true
	}
	d, ok := scanDecimal(s)
	if !ok {
		return 0, false
	}
	return d.scaled(3)
}

// fastIntMillis handles the common case of up to 15 plain digits, optionally
// followed by a dot and up to 3 digits, without a sign.
func fastIntMillis(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 15+1+3 {
		return 0, false
	}
	var v int64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + int64(s[i]-'0')
	}
	if i == 0 || i > 15 {
		return 0, false
	}
	v *= 1000
	if i == len(s) {
		return v, true
	}
	if s[i] != '.' || len(s)-i-1 > 3 {
		return 0, false
	}
	mul := int64(100)
	for i++; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v += int64(c-'0') * mul
		mul /= 10
	}
	return v, true
}

// appendSeconds appends Unix milliseconds as decimal seconds with at most
// three fractional digits and no trailing zeros: 1700000000500 →
// "1700000000.5". parseMillis reads the text back exactly.
func appendSeconds(b []byte, ms int64) []byte {
	u := uint64(ms)
	if ms < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/1000, 10)
	frac := u % 1000
	if frac == 0 {
		return b
	}
	b = append(b, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		b = append(b, byte('0'+frac/10%10))
		if frac%10 != 0 {
			b = append(b, byte('0'+frac%10))
		}
	}
	return b
}

// pow10 holds the powers of ten that are exact in a float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat is strconv.ParseFloat(s, 64), bit for bit, with a fast path
// for the common decimal numbers: when the digits form an integer m ≤ 2^53
// and the decimal exponent e is within ±22, both m and 10^|e| are exact
// float64s and one correctly rounded multiplication or division gives the
// correctly rounded result (Clinger's fast path, as in strconv itself).
// Everything else — NaN, Inf, hexadecimal, more digits, errors — goes to
// strconv.
func parseFloat(s string) (float64, error) {
	if v, ok := fastFloat(s); ok {
		return v, nil
	}
	return strconv.ParseFloat(s, 64)
}

func fastFloat(s string) (float64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	digits, dp := 0, 0
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if m >= 1e17 {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				dp--
			}
			continue
		}
		if c == '.' && !dot {
			dot = true
			continue
		}
		break
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return 0, false
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if exp > 1000 {
				return 0, false
			}
			exp = exp*10 + int(s[i]-'0')
		}
		if eneg {
			exp = -exp
		}
		dp += exp
	}
	if i != len(s) || m > 1<<53 {
		return 0, false
	}
	f := float64(m)
	if neg {
		f = -f
	}
	switch {
	case dp == 0:
		return f, true
	case dp > 0 && dp < len(pow10):
		return f * pow10[dp], true
	case dp < 0 && -dp < len(pow10):
		return f / pow10[-dp], true
	}
	return 0, false
}
