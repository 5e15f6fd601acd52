package seriesio

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func TestReadOpenMetricsUnderstandsBothTextFormats(t *testing.T) {
	one := func(ls series.Labels, ts []int64, vs []float64) series.Series {
		return series.Series{Labels: ls, Timestamps: ts, Values: vs}
	}
	cases := []struct {
		name string
		in   string
		want []series.Series
	}{
		{"OpenMetrics with seconds", "# HELP up Whether up.\n# TYPE up gauge\n# UNIT up none\nup{job=\"a\"} 1 1700000000\nup{job=\"a\"} 0 1700000000.5\n# EOF\n",
			[]series.Series{one(series.New("__name__", "up", "job", "a"), []int64{1700000000000, 1700000000500}, []float64{1, 0})}},
		{"Prometheus text with milliseconds", "# TYPE up gauge\nup{job=\"a\"} 1 1700000000000\nup{job=\"a\"} 0 1700000000500\n",
			[]series.Series{one(series.New("__name__", "up", "job", "a"), []int64{1700000000000, 1700000000500}, []float64{1, 0})}},
		{"# EOF without a final newline", "up 1 1\n# EOF",
			[]series.Series{one(series.New("__name__", "up"), []int64{1000}, []float64{1})}},
		{"# EOF followed by blank lines", "up 1 1\n# EOF\n\n  \n",
			[]series.Series{one(series.New("__name__", "up"), []int64{1000}, []float64{1})}},
		{"label order, spacing and a trailing comma do not split a series", "m{b=\"2\",a=\"1\"} 1 1\nm{ a = \"1\" , b=\"2\", } 2 2\n# EOF\n",
			[]series.Series{one(series.New("__name__", "m", "a", "1", "b", "2"), []int64{1000, 2000}, []float64{1, 2})}},
		{"escapes in label values", `m{v="a\"b\\c\nd"} 1 1` + "\n# EOF\n",
			[]series.Series{one(series.New("__name__", "m", "v", "a\"b\\c\nd"), []int64{1000}, []float64{1})}},
		{"empty label values and empty braces leave labels out", "m{a=\"\"} 1 1\nm{} 2 2\nm 3 3\n# EOF\n",
			[]series.Series{one(series.New("__name__", "m"), []int64{1000, 2000, 3000}, []float64{1, 2, 3})}},
		{"interleaved and unsorted samples", "a 3 3\nb 1 1\na 1 1\na 2 2\n# EOF\n",
			[]series.Series{
				one(series.New("__name__", "a"), []int64{1000, 2000, 3000}, []float64{1, 2, 3}),
				one(series.New("__name__", "b"), []int64{1000}, []float64{1}),
			}},
		{"special values", "m NaN 1\nm +Inf 2\nm -Inf 3\nm 1e-3 4\n# EOF\n",
			[]series.Series{one(series.New("__name__", "m"), []int64{1000, 2000, 3000, 4000}, []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0.001})}},
		{"exemplars are ignored", "m_bucket{le=\"1\"} 3 1 # {trace_id=\"x\"} 0.5 1\n# EOF\n",
			[]series.Series{one(series.New("__name__", "m_bucket", "le", "1"), []int64{1000}, []float64{3})}},
		{"tabs, several spaces, CRLF and colons in names", "ns:m:rate5m \t 1\t  1700000000000\r\n",
			[]series.Series{one(series.New("__name__", "ns:m:rate5m"), []int64{1700000000000}, []float64{1})}},
		{"negative Prometheus timestamps", "m 1 -150000000000\n",
			[]series.Series{one(series.New("__name__", "m"), []int64{-150000000000}, []float64{1})}},
		{"small timestamps without # EOF are seconds", "m 1 -1500\nm 2 1700000000.5\n",
			[]series.Series{one(series.New("__name__", "m"), []int64{-1500000, 1700000000500}, []float64{1, 2})}},
		{"comments only", "# HELP m x\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadOpenMetrics(strings.NewReader(c.in), "in.om")
			require.NoError(t, err)
			requireSameSeries(t, c.want, got)
		})
	}
}

func TestReadOpenMetricsErrorsNameTheFileTheLineAndWhatWasExpected(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"no timestamp", "up 1 1\nup{job=\"a\"} 1\n# EOF\n",
			[]string{"m.om:2:", `up{job="a"}`, "no timestamp", "expected Unix seconds"}},
		{"no timestamp in Prometheus text", "up 1\n",
			[]string{"m.om:1:", "no timestamp", "expected Unix milliseconds"}},
		{"seconds and milliseconds mixed without # EOF", "up 1 1700000000000\nup 2 1700000060\n",
			[]string{"m.om:2:", "mix Unix milliseconds (1700000000000 on line 1) and Unix seconds (1700000060 on line 2)"}},
		{"a bad Prometheus timestamp", "up 1 soon\n",
			[]string{"m.om:1:", `"soon"`, "expected Unix milliseconds", "or Unix seconds"}},
		{"a bad OpenMetrics timestamp", "up 1 soon\n# EOF\n",
			[]string{"m.om:1:", `"soon"`, "expected Unix seconds"}},
		{"no value", "up\n",
			[]string{"m.om:1:", "has no value"}},
		{"a bad value", "# TYPE up gauge\nup one 1\n",
			[]string{"m.om:2:", `"one"`, "expected a number, NaN, +Inf or -Inf"}},
		{"content after # EOF", "up 1 1\n# EOF\nup 2 2\n",
			[]string{"m.om:3:", "after the # EOF line", "expected # EOF to end the input"}},
		{"text after the timestamp", "up 1 1 2\n",
			[]string{"m.om:1:", `"2"`, "expected the end of the line or an exemplar"}},
		{"no metric name", "{job=\"a\"} 1 1\n",
			[]string{"m.om:1:1:", "expected a metric name"}},
		{"a bad label name", "up{1job=\"a\"} 1 1\n",
			[]string{"m.om:1:4:", "expected a label name"}},
		{"no equals sign", "up{job \"a\"} 1 1\n",
			[]string{"m.om:1:8:", "expected '=' after label name job"}},
		{"an unquoted label value", "up{job=a} 1 1\n",
			[]string{"m.om:1:8:", "expected a quoted value for label job"}},
		{"an unclosed label value", "up{job=\"a} 1 1\n",
			[]string{"m.om:1:", "the value of label job is not closed"}},
		{"an unknown escape", `up{job="a\tb"} 1 1` + "\n",
			[]string{"m.om:1:", `unknown escape \t`, `expected \\, \" or \n`}},
		{"a repeated label", "up{a=\"1\",a=\"2\"} 1 1\n",
			[]string{"m.om:1:", "label a repeated"}},
		{"__name__ inside braces", "up{__name__=\"x\"} 1 1\n",
			[]string{"m.om:1:", "label __name__ inside braces"}},
		{"a missing comma", "up{a=\"1\" b=\"2\"} 1 1\n",
			[]string{"m.om:1:", "expected ',' or '}' after the value of label a"}},
		{"junk after the labels", "up{a=\"1\"}x 1 1\n",
			[]string{"m.om:1:10:", "expected a space and the value"}},
		{"a label value that is not UTF-8", "up{a=\"\xff\"} 1 1\n",
			[]string{"m.om:1:", "not valid UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadOpenMetrics(strings.NewReader(c.in), "m.om")
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrSyntax), "%v does not wrap ErrSyntax", err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}
