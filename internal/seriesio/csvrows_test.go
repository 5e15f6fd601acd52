package seriesio

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadCSVRowsKeepsEveryRowAsWrittenInFileOrder(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []CSVRow
	}{
		{"a file without a header", "2024-01-01 00:05:00,2.50\n2024-01-01 00:00:00, 1e0\n", []CSVRow{
			{Line: 1, Timestamp: 1704067500000, Time: "2024-01-01 00:05:00", Value: "2.50"},
			{Line: 2, Timestamp: 1704067200000, Time: "2024-01-01 00:00:00", Value: "1e0"},
		}},
		{"a long-format header with the time column second", "\ufeffhost,timestamp,value\n# note\nh1,1704067200,\"7\"\n", []CSVRow{
			{Line: 3, Timestamp: 1704067200000, Time: "1704067200", Value: "7"},
		}},
		{"a wide header with one metric", "time,cpu\n2024-01-01T00:00:00Z,NaN\n", []CSVRow{
			{Line: 2, Timestamp: 1704067200000, Time: "2024-01-01T00:00:00Z", Value: "NaN"},
		}},
		{"an empty file", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadCSVRows(strings.NewReader(tc.in), "f.csv")
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestReadCSVRowsNamesTheLineOfBadInput(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"two metric columns", "time,a,b\n1,2,3\n", "f.csv:1: the header names 2 metric columns; expected one value column"},
		{"a bad timestamp", "timestamp,value\nyesterday,1\n", `f.csv:2: cannot parse timestamp "yesterday" in column 1`},
		{"a short row", "timestamp,value\n1704067200\n", "f.csv:2: expected 2 fields, found 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSVRows(strings.NewReader(tc.in), "f.csv")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// FuzzReadCSVRows checks that any input gives rows or an error, never a
// panic, and that every row's timestamp is the parse of its time field.
func FuzzReadCSVRows(f *testing.F) {
	for _, s := range []string{"2024-01-01 00:05:00,2.5\n", "timestamp,value\n1,2\n", "time,cpu\n\"1\",\"x\"\n", "a,b,c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadCSVRows(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			return
		}
		for _, r := range rows {
			ts, ok := parseTimestamp(r.Time)
			require.True(t, ok, "row on line %d: %q", r.Line, r.Time)
			require.Equal(t, ts, r.Timestamp)
		}
	})
}
