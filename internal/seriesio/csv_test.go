package seriesio

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func TestReadCSVUnderstandsEveryShape(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	one := func(ls series.Labels, ts []int64, vs []float64) series.Series {
		return series.Series{Labels: ls, Timestamps: ts, Values: vs}
	}
	cases := []struct {
		name string
		in   string
		want []series.Series
	}{
		{"two columns without a header", "1700000000,1\n1700000060,2\n",
			[]series.Series{one(nil, []int64{1700000000000, 1700000060000}, []float64{1, 2})}},
		{"a timestamp,value header", "timestamp,value\n2023-11-14T22:13:20Z,1.5\n",
			[]series.Series{one(nil, []int64{1700000000000}, []float64{1.5})}},
		{"long format with labels grouped into series", "time,value,host,dc\n1700000000,1,a,x\n1700000000,2,b,x\n1700000060,3,a,x\n",
			[]series.Series{
				one(series.New("dc", "x", "host", "a"), []int64{1700000000000, 1700000060000}, []float64{1, 3}),
				one(series.New("dc", "x", "host", "b"), []int64{1700000000000}, []float64{2}),
			}},
		{"a metric column gives the name", "metric,ts,value\ncpu,1700000000,1\nmem,1700000000,2\n",
			[]series.Series{
				one(series.New("__name__", "cpu"), []int64{1700000000000}, []float64{1}),
				one(series.New("__name__", "mem"), []int64{1700000000000}, []float64{2}),
			}},
		{"__name__ wins over name and metric", "Date,Value,name,__NAME__\n2023-11-14,1,n,real\n",
			[]series.Series{one(series.New("__name__", "real", "name", "n"), []int64{1699920000000}, []float64{1})}},
		{"a name column gives the name", "timestamp,value,name\n1700000000,1,x\n",
			[]series.Series{one(series.New("__name__", "x"), []int64{1700000000000}, []float64{1})}},
		{"wide format gives one series per column", "timestamp,cpu,mem\n1700000000,0.5,10\n1700000060,,11\n",
			[]series.Series{
				one(series.New("__name__", "cpu"), []int64{1700000000000, 1700000060000}, []float64{0.5, nan}),
				one(series.New("__name__", "mem"), []int64{1700000000000, 1700000060000}, []float64{10, 11}),
			}},
		{"wide format with the time column last", "cpu,TIME\n1,1700000000\n",
			[]series.Series{one(series.New("__name__", "cpu"), []int64{1700000000000}, []float64{1})}},
		{"without a time-like header column 0 is the time", "when,value\n1700000000,1\n",
			[]series.Series{one(nil, []int64{1700000000000}, []float64{1})}},
		{"missing, NaN and infinite values", "1,\n2,NaN\n3,nan\n4,+Inf\n5,-Inf\n6,inf\n",
			[]series.Series{one(nil, []int64{1000, 2000, 3000, 4000, 5000, 6000}, []float64{nan, nan, nan, inf, -inf, inf})}},
		{"unsorted rows are sorted per series", "ts,value,k\n3,30,a\n1,10,a\n2,20,b\n2,20,a\n",
			[]series.Series{
				one(series.New("k", "a"), []int64{1000, 2000, 3000}, []float64{10, 20, 30}),
				one(series.New("k", "b"), []int64{2000}, []float64{20}),
			}},
		{"comments, blank lines, CRLF and a byte order mark", "\ufeff# exported by a tool\r\ntimestamp,value\r\n\r\n  \r\n1700000000,1\r\n# note\r\n1700000001,2",
			[]series.Series{one(nil, []int64{1700000000000, 1700000001000}, []float64{1, 2})}},
		{"spaces around fields are trimmed", "timestamp , value , host\n 1700000000 , 1 , a \n",
			[]series.Series{one(series.New("host", "a"), []int64{1700000000000}, []float64{1})}},
		{"quoted fields keep commas, quotes, newlines and spaces", "timestamp,value,path\n1,1,\"a,b \"\"c\"\"\nd \"\n2,2, \"x\" \n",
			[]series.Series{
				one(series.New("path", "a,b \"c\"\nd "), []int64{1000}, []float64{1}),
				one(series.New("path", "x"), []int64{2000}, []float64{2}),
			}},
		{"an empty label field leaves the label out", "timestamp,value,a,b\n1,1,x,\n2,2,x,\n",
			[]series.Series{one(series.New("a", "x"), []int64{1000, 2000}, []float64{1, 2})}},
		{"a header alone gives no series", "timestamp,value\n", nil},
		{"an empty file gives no series", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadCSV(strings.NewReader(c.in), "in.csv")
			require.NoError(t, err)
			requireSameSeries(t, c.want, got)
		})
	}
}

func TestReadCSVErrorsNameTheFileTheLineAndWhatWasExpected(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"a bad timestamp", "timestamp,value\n1700000000,1\nyesterday,2\n",
			[]string{"data.csv:3:", `"yesterday"`, "expected RFC 3339"}},
		{"a bad value", "timestamp,value\n1700000000,1\n1700000001,lots\n",
			[]string{"data.csv:3:", `"lots"`, "expected a number, NaN, +Inf, -Inf"}},
		{"a value out of range", "1700000000,1e999\n",
			[]string{"data.csv:1:", `"1e999"`, "expected a number"}},
		{"a short row", "timestamp,value,host\n1700000000,1,a\n1700000001,2\n",
			[]string{"data.csv:3:", "expected 3 fields as in the header on line 1, found 2"}},
		{"three columns without a header", "1700000000,1,2\n",
			[]string{"data.csv:1:", "expected 2 fields (timestamp,value)", "add a header"}},
		{"a later row with three columns without a header", "1700000000,1\n1700000001,1,2\n",
			[]string{"data.csv:2:", "expected 2 fields (timestamp,value), found 3"}},
		{"a header without a name", "timestamp,,host\n",
			[]string{"data.csv:1:", "column 2 of the header has no name"}},
		{"a repeated header", "timestamp,value,host,host\n",
			[]string{"data.csv:1:", `column 4 of the header repeats "host" from column 3`}},
		{"two columns giving the metric name", "timestamp,value,__NAME__,__name__\n",
			[]string{"data.csv:1:", "columns 3 and 4 both give the metric name"}},
		{"a header with only a time column", "timestamp\n1\n",
			[]string{"data.csv:1:", "expected a value column (long format) or one column per metric"}},
		{"an unclosed quote", "timestamp,value,h\n1,1,\"abc\n2,2,x\n",
			[]string{"data.csv:2:", "not closed", "expected a closing quote"}},
		{"text after a closing quote", "timestamp,value,h\n1,1,\"abc\"x\n",
			[]string{"data.csv:2:", "expected a comma or the end of the line after the closing quote"}},
		{"a quote inside an unquoted field", "timestamp,value,h\n1,1,\"a\",b\"c\n",
			[]string{"data.csv:2:", "quote inside unquoted field", "expected the whole field quoted"}},
		{"the line after a multi-line field", "timestamp,value,h\n1,1,\"a\nb\"\nbad,2,x\n",
			[]string{"data.csv:4:", `"bad"`}},
		{"a label value that is not UTF-8", "timestamp,value,h\n1,1,\xff\n",
			[]string{"data.csv:2:", "not valid UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(c.in), "data.csv")
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrSyntax), "%v does not wrap ErrSyntax", err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestReadCSVHandlesLinesAndRecordsLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 600<<10)
	var b strings.Builder
	b.WriteString("timestamp,value,note\n")
	b.WriteString("1,1," + long + "\n")
	for i := range 20000 { // push the next record across the 256 KiB read buffer
		b.WriteString("# padding " + strings.Repeat("-", i%50) + "\n")
	}
	b.WriteString("2,2,\"multi\nline, " + long + "\"\"\"\n3,3," + long + "\n")
	got, err := ReadCSV(strings.NewReader(b.String()), "long.csv")
	require.NoError(t, err)
	requireSameSeries(t, []series.Series{
		{Labels: series.New("note", "multi\nline, "+long+"\""), Timestamps: []int64{2000}, Values: []float64{2}},
		{Labels: series.New("note", long), Timestamps: []int64{1000, 3000}, Values: []float64{1, 3}},
	}, got)

	_, err = ReadCSV(strings.NewReader(b.String()+"4,x,y\n"), "long.csv")
	require.ErrorContains(t, err, "long.csv:20006:")
}
