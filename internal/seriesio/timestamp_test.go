package seriesio

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTimestampAcceptsEveryDocumentedForm(t *testing.T) {
	base := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC).UnixMilli() // 1700000000000
	cases := []struct {
		name, in string
		want     int64
	}{
		{"RFC 3339 in UTC", "2023-11-14T22:13:20Z", base},
		{"RFC 3339 with a lower-case t and z", "2023-11-14t22:13:20z", base},
		{"RFC 3339 with milliseconds", "2023-11-14T22:13:20.123Z", base + 123},
		{"RFC 3339 with one fractional digit", "2023-11-14T22:13:20.5Z", base + 500},
		{"RFC 3339 with nanoseconds rounded down", "2023-11-14T22:13:20.123456789Z", base + 123},
		{"RFC 3339 with nanoseconds rounded up", "2023-11-14T22:13:20.123500000Z", base + 124},
		{"RFC 3339 rounding up across a day", "2023-11-14T23:59:59.9999Z", time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC).UnixMilli()},
		{"RFC 3339 with a positive offset", "2023-11-15T00:13:20+02:00", base},
		{"RFC 3339 with a negative offset", "2023-11-14T17:13:20.250-05:00", base + 250},
		{"an offset without a colon", "2023-11-15T00:13:20+0200", base},
		{"RFC 3339 without a zone is UTC", "2023-11-14T22:13:20", base},
		{"a space instead of T", "2023-11-14 22:13:20", base},
		{"a space and a fraction with a comma", "2023-11-14 22:13:20,5", base + 500},
		{"minutes without seconds", "2023-11-14 22:13", base - 20000},
		{"a one-digit hour", "2023-11-14 9:05", time.Date(2023, 11, 14, 9, 5, 0, 0, time.UTC).UnixMilli()},
		{"a date alone is midnight UTC", "2023-11-14", time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC).UnixMilli()},
		{"a leap day", "2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).UnixMilli()},
		{"the year 0000", "0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()},
		{"the year 9999", "9999-12-31T23:59:59.999Z", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()},
		{"before 1970", "1969-12-31T23:59:58.5Z", -1500},
		{"integer Unix seconds", "1700000000", base},
		{"decimal Unix seconds", "1700000000.123", base + 123},
		{"decimal Unix seconds rounded to the millisecond", "1700000000.1235", base + 124},
		{"Unix seconds with an exponent", "1.7e9", base},
		{"negative Unix seconds", "-1.5", -1500},
		{"zero", "0", 0},
		{"the largest number taken as seconds", "99999999999", 99999999999000},
		{"integer Unix milliseconds from 1e11", "100000000000", 100000000000},
		{"integer Unix milliseconds", "1700000000123", base + 123},
		{"decimal Unix milliseconds are rounded", "1700000000123.6", base + 124},
		{"negative Unix milliseconds", "-1700000000123", -base - 123},
		{"the smallest int64", "-9223372036854775808", math.MinInt64},
		{"the largest int64", "9223372036854775807", math.MaxInt64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := parseTimestamp(c.in)
			require.True(t, ok, "%q not parsed", c.in)
			require.Equal(t, c.want, got, "%q", c.in)
		})
	}
}

func TestParseTimestampRejectsWhatIsNotATime(t *testing.T) {
	for _, in := range []string{
		"", "timestamp", "time", "2023-13-01", "2023-02-29", "2023-11-31T00:00:00Z", "2023-11-14T24:00:00Z",
		"2023-11-14T22:60:00Z", "2023-11-14T22:13:60Z", "2023-11-14T22:13:20+25:00", "2023-11-14T22:13:20 UTC",
		"2023-11-14X22:13:20", "2023-11-14T22", "2023-11-14T:13:20", "2023-11-14T123:13", "2023-11-14T22:13:20.Z", "1700000000s", "NaN", "+Inf", "0x10",
		"1_700_000_000", "1e", ".", "-", "9223372036854775808", "1e400", "10000000000000000000000",
	} {
		t.Run(in, func(t *testing.T) {
			_, ok := parseTimestamp(in)
			require.False(t, ok, "%q parsed", in)
		})
	}
}

func TestAppendSecondsIsReadBackExactly(t *testing.T) {
	cases := []struct {
		ms   int64
		want string
	}{
		{1700000000000, "1700000000"},
		{1700000000500, "1700000000.5"},
		{1700000000050, "1700000000.05"},
		{1700000000005, "1700000000.005"},
		{1700000000120, "1700000000.12"},
		{0, "0"},
		{-1, "-0.001"},
		{-1500, "-1.5"},
		{math.MaxInt64, "9223372036854775.807"},
		{math.MinInt64, "-9223372036854775.808"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			got := string(appendSeconds(nil, c.ms))
			require.Equal(t, c.want, got)
			back, ok := parseMillis(got)
			require.True(t, ok)
			require.Equal(t, c.ms, back)
		})
	}
}

func TestAppendTimestampIsReadBackExactly(t *testing.T) {
	for _, ms := range []int64{0, 1, -1, 1700000000000, 1700000000001, 1700000000999, 99999999999, 100000000000,
		-62167219200000, -62167219200001, 253402300799999, 253402300800000, math.MaxInt64, math.MinInt64} {
		text := string(appendTimestamp(nil, ms))
		got, ok := parseTimestamp(text)
		require.True(t, ok, "%d written as %q", ms, text)
		require.Equal(t, ms, got, "%d written as %q", ms, text)
	}
}

func TestParseMillisRoundsHalvesAwayFromZero(t *testing.T) {
	cases := map[string]int64{
		"0.0005": 1, "-0.0005": -1, "0.00049999": 0, "1e-3": 1, "1E+3": 1000000, "0.000": 0, "+2": 2000,
		"000000000000000000001": 1000, "1.0000000000000000000001": 1000, "5e-4": 1, "0e99999": 0, ".5": 500, "5.": 5000,
	}
	for in, want := range cases {
		got, ok := parseMillis(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"1e99999", "9223372036854776", "", "e5", "1.2.3", "--1", "1e+", "Inf"} {
		_, ok := parseMillis(in)
		require.False(t, ok, in)
	}
}

func TestParseFloatAgreesWithStrconvBitForBit(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "+0", "1", "1.5", "-1.5", "0.1", "0.3", "123456789012345", "9007199254740992", "9007199254740993",
		"1e22", "1e23", "1e-22", "1.7976931348623157e+308", "5e-324", "4.41942912123e+11", "0.0000001", ".5", "5.",
		"00000000000000000000001.25", "1.2345678901234567e-5", "3.0000000000000004", "NaN", "nan", "+Inf", "-inf", "0x1p-2",
		"1_0", "", "-", ".", "e5", "1e", "1e+", "1e400", "1e-400", "1e1001", "1.2.3", "1ee2", "12345678901234567890",
	} {
		want, wantErr := strconv.ParseFloat(s, 64)
		got, gotErr := parseFloat(s)
		require.Equal(t, wantErr != nil, gotErr != nil, "%q: errors %v and %v", s, wantErr, gotErr)
		if !math.IsNaN(want) {
			require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%q: %v and %v", s, want, got)
		}
	}
}

func TestAppendTimestampMatchesTimeFormat(t *testing.T) {
	for ms := int64(-62167219200000); ms <= 253402300799999; ms += 86400000*97 + 3600000*7 + 60000*13 + 1000*29 + 7 {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.999Z07:00")
		require.Equal(t, want, string(appendTimestamp(nil, ms)))
	}
	for _, ms := range []int64{-62167219200000, 253402300799999, 0, -1, 951782400000, 951868799999} {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.999Z07:00")
		require.Equal(t, want, string(appendTimestamp(nil, ms)))
	}
}
