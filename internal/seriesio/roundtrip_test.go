package seriesio

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestWriteThenReadGivesBackTheSameSeries(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			want := testSeries()
			var buf bytes.Buffer
			require.NoError(t, f.write(&buf, want))
			got, err := f.read(buf.Bytes(), "roundtrip"+f.ext)
			require.NoError(t, err, "written:\n%s", buf.String())
			if f.name == "OpenMetrics" {
				want = withoutNaN(want)
			}
			series.Sort(want)
			requireSameSeries(t, want, got)
		})
	}
}

func TestWritersMatchTheGoldenFiles(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, f.write(&buf, testSeries()))
			path := filepath.Join("testdata", "golden"+f.ext)
			if *update {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create it")
			require.Equal(t, string(want), buf.String(), "run go test -update if the change is intended")
		})
	}
}

func TestWritersRejectSeriesTheyCannotRepresent(t *testing.T) {
	named := func(ls ...string) series.Series {
		return series.Series{Labels: series.New(ls...), Timestamps: []int64{1}, Values: []float64{1}}
	}
	cases := []struct {
		name    string
		ss      []series.Series
		formats []string
		want    string
	}{
		{"unsorted timestamps", []series.Series{{Labels: series.New("__name__", "a"), Timestamps: []int64{2, 1}, Values: []float64{1, 2}}},
			[]string{"CSV", "PromJSON", "OpenMetrics"}, "not strictly increasing"},
		{"the same labels twice", []series.Series{named("__name__", "a"), named("__name__", "a")},
			[]string{"CSV", "PromJSON", "OpenMetrics"}, "the same labels as series 0"},
		{"an empty label name", []series.Series{{Labels: series.Labels{{Name: "", Value: "x"}}, Timestamps: []int64{1}, Values: []float64{1}}},
			[]string{"CSV", "PromJSON", "OpenMetrics"}, "empty label name"},
		{"labels out of order", []series.Series{{Labels: series.Labels{{Name: "b", Value: "x"}, {Name: "a", Value: "y"}}, Timestamps: []int64{1}, Values: []float64{1}}},
			[]string{"CSV", "PromJSON", "OpenMetrics"}, "not sorted"},
		{"invalid UTF-8", []series.Series{named("__name__", "a", "l", "\xff")},
			[]string{"CSV", "PromJSON", "OpenMetrics"}, "not valid UTF-8"},
		{"no metric name", []series.Series{named("job", "x")}, []string{"OpenMetrics"}, "has no metric name"},
		{"a dotted metric name", []series.Series{named("__name__", "cpu.usage")}, []string{"OpenMetrics"}, `metric name "cpu.usage" does not match`},
		{"a label name with a dash", []series.Series{named("__name__", "up", "host-name", "x")}, []string{"OpenMetrics"}, `label name "host-name" does not match`},
		{"labels named value in every case", valueLabels(), []string{"CSV"}, "no name for the value column"},
	}
	for _, c := range cases {
		for _, f := range formats {
			want := c.want
			if !contains(c.formats, f.name) {
				want = ""
			}
			verdict := " is accepted by "
			if want != "" {
				verdict = " is refused by "
			}
			t.Run(c.name+verdict+f.name, func(t *testing.T) {
				var buf bytes.Buffer
				err := f.write(&buf, c.ss)
				if want == "" {
					require.NoError(t, err)
					return
				}
				require.ErrorContains(t, err, want)
			})
		}
	}
}

// valueLabels returns series with labels named value in all 32 spellings.
func valueLabels() []series.Series {
	var ss []series.Series
	for mask := range 32 {
		n := []byte("value")
		for i := range n {
			if mask&(1<<i) != 0 {
				n[i] -= 'a' - 'A'
			}
		}
		ss = append(ss, series.Series{Labels: series.New("__name__", "m", string(n), "x"), Timestamps: []int64{1}, Values: []float64{1}})
	}
	return ss
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestCSVWriterRenamesColumnsThatLabelsAlreadyUse(t *testing.T) {
	ss := []series.Series{
		{Labels: series.New("timestamp", "t", "Timestamp", "T", "value", "v", "metric", "m"), Timestamps: []int64{1700000000000}, Values: []float64{2}},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, ss))
	require.Equal(t, "time,Value,__name__,Timestamp,metric,timestamp,value\n2023-11-14T22:13:20Z,2,,T,m,t,v\n", buf.String())
	got, err := ReadCSV(&buf, "renamed.csv")
	require.NoError(t, err)
	requireSameSeries(t, ss, got)
}
