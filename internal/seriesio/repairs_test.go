package seriesio

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryReaderSortsRowsAndKeepsTheLastOfARepeatedTimestamp checks the
// rules every reader follows on real exports: rows out of time order are
// sorted stably, a repeated timestamp keeps the last row in file order,
// and the rows stay available in file order for per-row output.
func TestEveryReaderSortsRowsAndKeepsTheLastOfARepeatedTimestamp(t *testing.T) {
	// Rows in file order: 10@1, 30@3, 20@2 (out of order), 31@3 (repeats 3).
	cases := []struct {
		name, file, in string
		unorderedAt    string
		duplicateAt    string
	}{
		{"CSV", "x.csv", "timestamp,value\n1,10\n3,30\n2,20\n3,31\n", "line 4", "line 3, {} at 1970-01-01T00:00:03Z"},
		{"Prometheus JSON", "x.json", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"10"],[3,"30"],[2,"20"],[3,"31"]]}]}}`,
			"sample 2 of {}", "sample 1 of {}, {} at 1970-01-01T00:00:03Z"},
		{"OpenMetrics", "x.om", "m 10 1\nm 30 3\nm 20 2\nm 31 3\n# EOF\n", "line 3", "line 2, m at 1970-01-01T00:00:03Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decode(strings.NewReader(c.in), c.file, FormatAuto)
			require.NoError(t, err)
			require.Len(t, d.Series, 1)
			require.Equal(t, []int64{1000, 2000, 3000}, d.Series[0].Timestamps)
			require.Equal(t, []float64{10, 20, 31}, d.Series[0].Values, "the last row of timestamp 3 wins")
			require.Equal(t, []int64{1000, 3000, 2000, 3000}, d.Rows[0].Timestamps, "rows in file order")
			require.Equal(t, []float64{10, 30, 20, 31}, d.Rows[0].Values)
			require.Equal(t, 1, d.Repairs.Unordered)
			require.Equal(t, c.unorderedAt, d.Repairs.UnorderedAt)
			require.Equal(t, 1, d.Repairs.Duplicates)
			require.Equal(t, c.duplicateAt, d.Repairs.DuplicateAt)
			require.Equal(t, c.file+": 1 row is out of time order (the first at "+c.unorderedAt+"); sorted into time order, keeping the file order of equal timestamps",
				d.Repairs.SortWarning(c.file))
			require.Equal(t, c.file+": 1 row repeats the timestamp of a later row of the same series and was dropped, keeping the last row in file order (the first at "+c.duplicateAt+")",
				d.Repairs.DuplicateWarning(c.file))

			got, err := Read(strings.NewReader(c.in), c.file, FormatAuto)
			require.NoError(t, err)
			requireSameSeries(t, d.Series, got)
		})
	}
}

func TestRepairsAreCountedInRows(t *testing.T) {
	t.Run("a wide CSV counts rows, not cells", func(t *testing.T) {
		d, err := Decode(strings.NewReader("ts,cpu,mem\n1,1,1\n1,2,2\n0,3,3\n"), "w.csv", FormatAuto)
		require.NoError(t, err)
		require.Equal(t, 1, d.Repairs.Duplicates)
		require.Equal(t, 1, d.Repairs.Unordered)
		require.Equal(t, []float64{3, 2}, d.Series[0].Values)
	})
	t.Run("a repeated hour at the end of daylight saving time keeps the later hour", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("timestamp,value\n")
		for i, h := range []string{"00", "01", "02", "01", "02", "03"} {
			b.WriteString("2026-10-25 " + h + ":00:00," + strings.Repeat("1", i+1) + "\n")
		}
		d, err := Decode(strings.NewReader(b.String()), "dst.csv", FormatAuto)
		require.NoError(t, err)
		require.Equal(t, 2, d.Repairs.Duplicates)
		require.Equal(t, 1, d.Repairs.Unordered, "only the second 01:00 came before a later row")
		require.Equal(t, []float64{1, 1111, 11111, 111111}, d.Series[0].Values)
		require.Equal(t, 6, d.Rows[0].Len())
	})
	t.Run("a clean file has no repairs and shares its rows with its series", func(t *testing.T) {
		d, err := Decode(strings.NewReader("ts,value\n1,1\n2,2\n"), "c.csv", FormatAuto)
		require.NoError(t, err)
		require.Zero(t, d.Repairs.Unordered)
		require.Zero(t, d.Repairs.Duplicates)
		require.Empty(t, d.Repairs.SortWarning("c.csv"))
		require.Empty(t, d.Repairs.DuplicateWarning("c.csv"))
		require.Same(t, &d.Series[0].Timestamps[0], &d.Rows[0].Timestamps[0])
	})
}

func TestTextWithoutEOFSaysWhichTimestampUnitItAssumed(t *testing.T) {
	cases := []struct {
		name, file, in string
		want           int64
		warning        string
		assumed        string
	}{
		{"seconds without # EOF are read as seconds, with a warning", "cut.om", "up 1 1700000000\n",
			1700000000000, "cut.om has no # EOF line, but its timestamps (like 1700000000 on line 1) are not integers of at least 1e11, so they were read as Unix seconds", ""},
		{"milliseconds in a .om file without # EOF warn that it may be cut short", "cut.om", "up 1 1700000000000\n",
			1700000000000, "cut.om has no # EOF line: read as the Prometheus text format, timestamps in Unix milliseconds (like 1700000000000 on line 1); an OpenMetrics file must end with # EOF", ""},
		{"milliseconds in Prometheus text are what the format says", "m.prom", "up 1 1700000000000\n",
			1700000000000, "", "m.prom has no # EOF line: read as the Prometheus text format, timestamps in Unix milliseconds"},
		{"OpenMetrics with # EOF is seconds without a note", "m.om", "up 1 1700000000\n# EOF\n", 1700000000000, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decode(strings.NewReader(c.in), c.file, FormatAuto)
			require.NoError(t, err)
			require.Equal(t, []int64{c.want}, d.Series[0].Timestamps)
			if c.warning == "" {
				require.Empty(t, d.Repairs.Warnings)
			} else {
				require.Len(t, d.Repairs.Warnings, 1)
				require.Contains(t, d.Repairs.Warnings[0], c.warning)
			}
			if c.assumed == "" {
				require.Empty(t, d.Repairs.Assumed)
			} else {
				require.Len(t, d.Repairs.Assumed, 1)
				require.Contains(t, d.Repairs.Assumed[0], c.assumed)
			}
		})
	}
}
