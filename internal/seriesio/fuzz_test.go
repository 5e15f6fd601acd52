package seriesio

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// addSeeds adds the golden file of ext and the given inputs to the corpus.
func addSeeds(f *testing.F, ext string, seeds ...string) {
	golden, err := os.ReadFile(filepath.Join("testdata", "golden"+ext))
	require.NoError(f, err)
	f.Add(golden)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// checkRead checks what a reader returned: either an ErrSyntax error or
// series that satisfy every promise of the readers.
func checkRead(t *testing.T, ss []series.Series, err error) bool {
	t.Helper()
	if err != nil {
		require.True(t, errors.Is(err, ErrSyntax) || errors.Is(err, ErrErrorResponse), "unexpected error type: %v", err)
		return false
	}
	for i, s := range ss {
		require.NoError(t, s.Validate())
		require.NotZero(t, s.Len(), "series %s has no samples", s.Labels)
		if i > 0 {
			require.Negative(t, ss[i-1].Labels.Compare(s.Labels), "series not sorted or repeated: %s, %s", ss[i-1].Labels, s.Labels)
		}
		for j, l := range s.Labels {
			require.NotEmpty(t, l.Name)
			require.NotEmpty(t, l.Value, "label %s has an empty value", l.Name)
			require.True(t, utf8.ValidString(l.Name) && utf8.ValidString(l.Value), "label %q=%q", l.Name, l.Value)
			if j > 0 {
				require.Less(t, s.Labels[j-1].Name, l.Name)
			}
		}
	}
	return true
}

func FuzzReadCSV(f *testing.F) {
	addSeeds(f, ".csv",
		"1700000000,1\n1700000060,2\n",
		"timestamp,value,host\n2023-11-14 22:13:20,1,a\n2023-11-14T22:13:21.5+01:00,NaN,b\n",
		"time,cpu,mem\n1700000000000,0.5,\n1700000000001,,+Inf\n",
		"\ufeff# c\r\nts,value,\"a,b\"\r\n1,1,\"x\"\"y\nz\"\r\n",
		"metric,Value,VALUE,date\nm,1,2,2023-01-01\n",
		"ts,value,k\n3,30,a\n1,10,a\n3,20,a\n",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := ReadCSV(bytes.NewReader(data), "fuzz.csv")
		if !checkRead(t, ss, err) {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, ss))
		back, err := ReadCSV(&buf, "rewritten.csv")
		require.NoError(t, err, "rewritten:\n%s", buf.String())
		requireSameSeries(t, ss, back)
	})
}

func FuzzReadPromJSON(f *testing.F) {
	addSeeds(f, ".json",
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1700000000,"2"]}]}}`,
		`{"status":"error","errorType":"bad_data","error":"x"}`,
		`{"data":{"result":[{"values":[[2,"2"],[1.5e0,1]],"metric":{"b":"\u00e9\ud800"}}],"resultType":"matrix"},"status":"success"}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[-0.0005,"-0"],[9223372036854775.807,"0x1p-1074"]]}]}}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := ReadPromJSON(bytes.NewReader(data), "fuzz.json")
		if !checkRead(t, ss, err) {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, WritePromJSON(&buf, ss))
		back, err := ReadPromJSON(&buf, "rewritten.json")
		require.NoError(t, err, "rewritten:\n%s", buf.String())
		requireSameSeries(t, ss, back)
	})
}

func FuzzReadOpenMetrics(f *testing.F) {
	addSeeds(f, ".om",
		"# TYPE up gauge\nup{job=\"a\"} 1 1700000000000\nup{job=\"a\"} NaN 1700000000001\n",
		"a 3 3\nb 1 1\na{} 1 1 # {x=\"y\"} 1 1\n# EOF\n",
		"m{a=\"\\\\\\\"\\n\",b=\"\"} -Inf 1e-3\n# EOF\n\n",
		"m 1 -9223372036854775808\nm 1 9223372036854775807\n",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := ReadOpenMetrics(bytes.NewReader(data), "fuzz.om")
		if !checkRead(t, ss, err) {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, WriteOpenMetrics(&buf, ss))
		back, err := ReadOpenMetrics(&buf, "rewritten.om")
		require.NoError(t, err, "rewritten:\n%s", buf.String())
		requireSameSeries(t, withoutNaN(ss), back)
	})
}

// rfc3339 is the grammar of RFC 3339 date-times (plus the one-digit hour
// time.Parse accepts); time.Parse also takes offsets such as +00:60, which
// parseTimestamp rightly refuses.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{1,2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// FuzzParseTimestamp checks the CSV timestamp parser against the standard
// library: whatever time.Parse reads as RFC 3339 must give the same
// millisecond (rounded), and written timestamps must read back.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2023-11-14T22:13:20Z", "2023-11-14T22:13:20.1234+05:30", "1700000000.5", "0000-01-01T00:00:00-23:59", "-1e3"} {
		f.Add(s, int64(1700000000123))
	}
	f.Fuzz(func(t *testing.T, s string, ms int64) {
		got, ok := parseTimestamp(s)
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil && rfc3339.MatchString(s) {
			require.True(t, ok, "%q parsed by time.Parse as %v", s, tm)
			want := tm.UnixMilli()
			if rem := tm.Nanosecond() % 1e6; rem >= 5e5 {
				want++
			}
			require.Equal(t, want, got, "%q", s)
		}
		text := string(appendTimestamp(nil, ms))
		back, ok := parseTimestamp(text)
		require.True(t, ok, "%d written as %q", ms, text)
		require.Equal(t, ms, back, "%d written as %q", ms, text)
		secs := string(appendSeconds(nil, ms))
		back, ok = parseMillis(secs)
		require.True(t, ok, "%d written as %q", ms, secs)
		require.Equal(t, ms, back, "%d written as %q", ms, secs)
	})
}

// FuzzParseFloat checks parseFloat's fast path against strconv.ParseFloat.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"1.5", "-0", "4.41942912123e+11", "9007199254740993", "1e-22", "0.1e23", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := strconv.ParseFloat(s, 64)
		got, gotErr := parseFloat(s)
		require.Equal(t, wantErr != nil, gotErr != nil, "%q: errors %v and %v", s, wantErr, gotErr)
		if !math.IsNaN(want) || !math.IsNaN(got) {
			require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%q: %v and %v", s, want, got)
		}
	})
}

// FuzzDetectFormat checks that format detection never panics and that a
// file name's extension always wins over the content.
func FuzzDetectFormat(f *testing.F) {
	f.Add("x.csv", []byte("up 1 1\n"))
	f.Add("data", []byte("# HELP up x\nup{a=\"b\"} 1 1\n"))
	f.Add("data.gz", []byte("\ufeff{\"status\""))
	f.Fuzz(func(t *testing.T, name string, head []byte) {
		got := DetectFormat(name, head)
		require.GreaterOrEqual(t, int(got), int(FormatAuto))
		require.LessOrEqual(t, int(got), int(FormatOpenMetrics))
		require.Equal(t, FormatCSV, DetectFormat(name+".csv", head))
		require.Equal(t, FormatPromJSON, DetectFormat(name+".json.gz", head))
	})
}
