package units

import (
	"math"
	"strconv"
	"strings"
)

// iec are the binary prefixes of Bytes, by powers of 1024.
var iec = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// si are the decimal prefixes of SI, by powers of 1000.
var si = []string{"", "k", "M", "G", "T", "P", "E"}

// Bytes formats a byte count with binary (IEC) prefixes and three
// significant digits: 0 B, 512 B, 1 KiB, 892 MiB, 1.46 GiB, 2 TiB. Counts
// beyond the exbibytes are written with an exponent (1e+30 B). Negative
// counts keep their sign; NaN and ±Inf are written as such.
func Bytes(v float64) string {
	if s, ok := special(v); ok {
		return s
	}
	a, i := math.Abs(v), 0
	for a >= 1024 && i < len(iec)-1 {
		a /= 1024
		i++
	}
	if a >= 1024 {
		// Beyond the largest prefix: an exponent, not 300 digits.
		return strconv.FormatFloat(v, 'g', 3, 64) + " B"
	}
	if i == 0 {
		// Whole bytes: a fraction of a byte means nothing.
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + " B"
	}
	s := sig3(a)
	if r, _ := strconv.ParseFloat(s, 64); r >= 1024 && i < len(iec)-1 {
		// Rounding reached the next prefix (1023.9 MiB is 1 GiB).
		s, i = "1", i+1
	}
	return sign(v) + s + " " + iec[i]
}

// SI formats a quantity with decimal prefixes (k, M, G, T, P, E) and three
// significant digits, without a space, as Prometheus's UI does: 950, 12.9k,
// 1.09G. Values under one are written as decimals (0.25, 0.00123); only
// values beyond the prefixes (above 999.5E or under 1e-9) get an exponent
// (1e+308). NaN and ±Inf are written as such.
func SI(v float64) string {
	if s, ok := special(v); ok {
		return s
	}
	a, i := math.Abs(v), 0
	for a >= 999.5 && i < len(si)-1 {
		a /= 1000
		i++
	}
	if a >= 999.5 || (a != 0 && a < 1e-9) {
		// Beyond the prefixes, either way: an exponent, not 300 digits.
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return sign(v) + sig3(a) + si[i]
}

// Value formats v as Bytes when bytes is set, otherwise as SI.
func Value(v float64, bytes bool) string {
	if bytes {
		return Bytes(v)
	}
	return SI(v)
}

// IsBytes reports whether a metric of this name counts bytes, by the
// Prometheus naming convention: node_filesystem_avail_bytes,
// container_memory_working_set_bytes, http_response_size_bytes_total.
func IsBytes(metric string) bool {
	return strings.HasSuffix(metric, "_bytes") || strings.HasSuffix(metric, "_bytes_total")
}

// sig3 writes a ≥ 0 with three significant digits (at least the integer
// part), trailing zeros dropped: 1, 1.5, 12.9, 892, 1000.
func sig3(a float64) string {
	if a == 0 {
		return "0"
	}
	digits := 2 - int(math.Floor(math.Log10(a)))
	if digits < 0 {
		digits = 0
	}
	s := strconv.FormatFloat(a, 'f', digits, 64)
	// Rounding may have added a digit (9.996 → "10.00"): write it again
	// with one decimal less.
	if digits > 0 {
		if r, err := strconv.ParseFloat(s, 64); err == nil && r >= math.Pow(10, float64(3-digits)) {
			s = strconv.FormatFloat(a, 'f', digits-1, 64)
		}
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func sign(v float64) string {
	if v < 0 {
		return "-"
	}
	return ""
}

func special(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "NaN", true
	case math.IsInf(v, 1):
		return "+Inf", true
	case math.IsInf(v, -1):
		return "-Inf", true
	}
	return "", false
}
