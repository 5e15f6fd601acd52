package cli

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runIn is run with data on standard input.
func runIn(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	return runWith(t, func(g *globalOptions) { g.stdin = bytes.NewReader(stdin) }, args...)
}

// rampCSV is n rows of a slow ramp at 5-minute steps ending at end.
func rampCSV(n int, end time.Time) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		t := end.Add(-time.Duration(n-1-i) * 5 * time.Minute)
		fmt.Fprintf(&b, "%s,%g\n", t.Format(time.RFC3339), 50+float64(i)*0.01+float64(i%7)*0.1)
	}
	return b.String()
}

// TestHostileInputsGetAClearErrorOrWarning runs each case of issue 8 that
// used to end with exit code 0 and nothing, or nonsense.
func TestHostileInputsGetAClearErrorOrWarning(t *testing.T) {
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	data := writeFile(t, t.TempDir(), "use.csv", rampCSV(2000, end))
	header := writeFile(t, t.TempDir(), "header.csv", "timestamp,value\n")
	empty := writeFile(t, t.TempDir(), "empty.csv", "")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"predict on a header-only file", []string{"predict", "--input", header, "--limit", "100"}, ExitFailure, "header.csv holds no samples: expected at least one row of data"},
		{"forecast on an empty file", []string{"forecast", "--input", empty}, ExitFailure, "empty.csv holds no samples"},
		{"detect on a header-only file", []string{"detect", "--input", header}, ExitFailure, "header.csv holds no samples"},
		{"fetch on a header-only file", []string{"fetch", "--input", header}, ExitFailure, "header.csv holds no samples"},
		{"--at in the future", []string{"predict", "--input", data, "--limit", "100", "--at", "now+2d"}, ExitUsage,
			`invalid --at "now+2d": 2026-11-26T12:00:00Z is 2d in the future (now is 2026-11-24T12:00:00Z); omen analyses what was known at an instant, so --at may be at most 5m ahead`},
		{"--at after the end of the data", []string{"predict", "--input", data, "--limit", "100", "--at", "2026-11-22T00:00:00Z"}, ExitUsage,
			"is after the end of the data: the last sample of " + data + " is at 2026-11-20T00:00:00Z, 2d earlier"},
		{"--at after the end of the data in forecast", []string{"forecast", "--input", data, "--at", "2026-11-21T00:00:00Z"}, ExitUsage, "after the end of the data"},
		{"a query that matches nothing in predict", []string{"predict", "--input", data, "--query", "nothing", "--limit", "100"}, ExitFailure,
			"nothing to predict: no series of " + data + " matched custom (nothing) in the 14d window ending 2026-11-20T00:00:00Z"},
		{"a query that matches nothing in forecast names the file, not year -146136543", []string{"forecast", "--input", data, "--query", "nothing"}, ExitFailure,
			`the query "nothing" returned no series in ` + data + ` up to 2026-11-20T00:00:00Z`},
		{"--limit that is neither a number nor a limit series", []string{"predict", "--input", data, "--limit", "abc"}, ExitUsage,
			`invalid --limit "abc": it is not a number, and as a query it gave none of the 1 usage series a limit`},
		{"--limit 0 rising", []string{"predict", "--input", data, "--limit", "0", "--direction", "up"}, ExitUsage, "limit: 0 with direction up would never be a limit"},
		{"--limit -5 rising", []string{"predict", "--input", data, "--limit", "-5"}, ExitUsage, "limit: -5 with direction up would never be a limit"},
		{"--window 0s", []string{"predict", "--input", data, "--limit", "100", "--window", "0s"}, ExitUsage, `invalid argument "0s" for "--window" flag: "0s" is not a positive duration`},
		{"--horizon 0s in predict", []string{"predict", "--input", data, "--limit", "100", "--horizon", "0s"}, ExitUsage, `"--horizon" flag: "0s" is not a positive duration`},
		{"--horizon 0s in forecast", []string{"forecast", "--input", data, "--horizon", "0s"}, ExitUsage, `"--horizon" flag: "0s" is not a positive duration`},
		{"an unknown subcommand", []string{"frobnicate"}, ExitUsage, `unknown command "frobnicate" for "omen"`},
		{"a misspelt subcommand gets a suggestion", []string{"fetc"}, ExitUsage, "did you mean fetch?"},
		{"an unknown subcommand of a group", []string{"bench", "nob"}, ExitUsage, `unknown command "nob" for "omen bench"`},
		{"a stray argument", []string{"fetch", "up"}, ExitUsage, `unexpected argument "up": "omen fetch" takes only flags`},
		{"a URL without a scheme", []string{"fetch", "--prometheus", "prometheus:9090/x", "--query", "up"}, ExitUsage, "invalid server URL"},
		{"a URL that is not one", []string{"fetch", "--prometheus", "http//localhost:9090", "--query", "up"}, ExitUsage, "scheme must be http or https"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, c.args...)
			require.Equal(t, c.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			require.Contains(t, stderr, c.want)
		})
	}
	t.Run("--at within the clock skew tolerance is accepted", func(t *testing.T) {
		live := writeFile(t, t.TempDir(), "live.csv", rampCSV(2000, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)))
		code, _, stderr := run(t, nil, "fetch", "--input", live, "--at", "now+4m")
		require.Equal(t, ExitOK, code, stderr)
	})
}

func TestGzipOnStandardInputIsRecognised(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(rampCSV(10, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	code, stdout, stderr := runIn(t, buf.Bytes(), "fetch", "--input", "-", "--format", "csv")
	require.Equal(t, ExitOK, code, stderr)
	require.Equal(t, 11, strings.Count(stdout, "\n"), stdout)
	require.Contains(t, stdout, "2026-11-20T00:00:00Z,")
}

func TestOpenMetricsWithoutEOFIsNotReadAsMilliseconds(t *testing.T) {
	in := writeFile(t, t.TempDir(), "cut.om", "up 1 1700000000\nup 0 1700000060\n")
	code, stdout, stderr := run(t, nil, "fetch", "--input", in, "--format", "csv")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "2023-11-14T22:13:20Z,1")
	require.Contains(t, stderr, "cut.om has no # EOF line, but its timestamps (like 1700000000 on line 1) are not integers of at least 1e11, so they were read as Unix seconds")
}

// TestRepeatedAndUnorderedRowsFollowOneRule checks the rules of "Reading
// data": a time grid keeps the last row of a repeated timestamp and sorts
// rows, each with one warning; per-row output scores and echoes every row
// in file order.
func TestRepeatedAndUnorderedRowsFollowOneRule(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var rows []string
	for i := range 600 {
		rows = append(rows, fmt.Sprintf("%s,%d", start.Add(time.Duration(i)*5*time.Minute).Format("2006-01-02 15:04:05"), 50+i%10))
	}
	// A timestamp written three times, as NAB's ec2_disk_write_bytes_1ef3de
	// has 03:00:00 at the start of daylight saving time, and two rows
	// swapped.
	ts300 := strings.Split(rows[300], ",")[0]
	rows = append(rows[:301], append([]string{ts300 + ",7", ts300 + ",8"}, rows[301:]...)...)
	rows[400], rows[401] = rows[401], rows[400]
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	in := writeFile(t, t.TempDir(), "dst.csv", b.String())

	for _, cmd := range [][]string{{"fetch"}, {"forecast", "--horizon", "1h"}, {"detect"}, {"predict", "--limit", "1000"}} {
		t.Run(cmd[0]+" warns once of each and works on the grid", func(t *testing.T) {
			code, stdout, stderr := run(t, nil, append(cmd, "--input", in)...)
			require.Equal(t, ExitOK, code, stderr)
			require.Equal(t, 1, strings.Count(stderr, "1 row is out of time order (the first at line 403)"), stderr)
			require.Equal(t, 1, strings.Count(stderr, "2 rows repeat the timestamp of a later row of the same series and were dropped, keeping the last row in file order (the first at line 302"), stderr)
			if cmd[0] == "fetch" {
				require.Regexp(t, `\}\s+600\s+2026-`, stdout, "600 distinct timestamps")
				code, stdout, _ := run(t, nil, "fetch", "--input", in, "--format", "csv")
				require.Equal(t, ExitOK, code)
				require.Contains(t, stdout, "\n"+strings.Replace(ts300, " ", "T", 1)+"Z,8\n", "the last row of the repeated timestamp is kept")
			}
		})
	}
	t.Run("detect --format csv scores and echoes every row in file order", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "detect", "--input", in, "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		out := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, out, len(rows)+1)
		for i, r := range rows {
			require.True(t, strings.HasPrefix(out[i+1], r+","), "row %d: %s, want %s", i, out[i+1], r)
		}
		require.Contains(t, stderr, "1 row out of time order (the first at line 403): scored and echoed in file order")
		require.NotContains(t, stderr, "dropped")
	})
}

func TestPredictMarksAPodGoneForHoursAsStale(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,value,pod\n")
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range 14 * 288 {
		ts := end.Add(-time.Duration(14*288-1-i) * 5 * time.Minute).Format(time.RFC3339)
		fmt.Fprintf(&b, "%s,%g,live\n", ts, 50+float64(i)*0.001)
		if i < 14*288-120 { // gone for the last 10 hours
			fmt.Fprintf(&b, "%s,%g,gone\n", ts, 30+float64(i)*0.001)
		}
	}
	in := writeFile(t, t.TempDir(), "pods.csv", b.String())
	code, stdout, stderr := run(t, nil, "predict", "--input", in, "--limit", "100")
	require.Equal(t, ExitOK, code, stderr)
	require.Regexp(t, `ok \(stale\)\s+custom\s+\{pod="gone"\}.*Stale: last sample 10\.0h ago \(2026-11-19 14:00 UTC\)`, stdout)
	require.Regexp(t, `\nok\s+custom\s+\{pod="live"\}`, stdout)

	code, stdout, stderr = run(t, nil, "predict", "--input", in, "--limit", "100", "--format", "json")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, `"stale": true,
      "last_sample": "2026-11-19T14:00:00Z"`)
	require.Contains(t, stdout, `"stale": false,
      "last_sample": "2026-11-20T00:00:00Z"`)
}

func TestValuesAtTheEndsOfFloat64GiveNoNaN(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		fmt.Fprintf(&b, "%s,%g\n", start.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), 1e308*float64(1-2*(i%2)))
	}
	in := writeFile(t, t.TempDir(), "big.csv", b.String())
	t.Run("forecast is finite", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "forecast", "--input", in, "--model", "linear", "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		require.NotContains(t, stdout, "NaN")
		require.NotContains(t, stdout, "Inf")
		require.Contains(t, stderr, "values fitted divided by 2^1023")
	})
	t.Run("predict says it cannot", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "predict", "--input", in, "--limit", "100")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "Cannot predict: the usage reaches 1e+308, beyond the ±1e+150 the arithmetic holds")
		require.NotContains(t, stdout, "NaN")
	})
	t.Run("a forecast beyond float64 is an error naming the series", func(t *testing.T) {
		huge := writeFile(t, t.TempDir(), "huge.csv", strings.ReplaceAll(b.String(), "1e+308", "1.7e+308"))
		code, _, stderr := run(t, nil, "forecast", "--input", huge, "--model", "linear")
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, "cannot forecast {}: forecast: the forecast overflows float64")
	})
}
