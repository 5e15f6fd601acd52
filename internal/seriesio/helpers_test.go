package seriesio

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// requireSameSeries checks label sets, timestamps and values exactly: values
// bit for bit (so -0 differs from 0), any NaN equal to any NaN.
func requireSameSeries(t testing.TB, want, got []series.Series) {
	t.Helper()
	require.Len(t, got, len(want), "number of series")
	for i := range want {
		require.Equal(t, want[i].Labels.String(), got[i].Labels.String(), "labels of series %d", i)
		require.True(t, want[i].Labels.Equal(got[i].Labels), "labels of series %d: %#v vs %#v", i, want[i].Labels, got[i].Labels)
		require.Equal(t, want[i].Timestamps, got[i].Timestamps, "timestamps of %s", want[i].Labels)
		require.Len(t, got[i].Values, len(want[i].Values))
		for k, w := range want[i].Values {
			g := got[i].Values[k]
			if math.IsNaN(w) && math.IsNaN(g) {
				continue
			}
			require.Equal(t, math.Float64bits(w), math.Float64bits(g), "value %d of %s: want %v, got %v", k, want[i].Labels, w, g)
		}
	}
}

// withoutNaN returns copies of ss without NaN samples and without series
// left empty: what WriteOpenMetrics keeps.
func withoutNaN(ss []series.Series) []series.Series {
	var out []series.Series
	for _, s := range ss {
		c := series.Series{Labels: s.Labels}
		for k, v := range s.Values {
			if !math.IsNaN(v) {
				c.Timestamps = append(c.Timestamps, s.Timestamps[k])
				c.Values = append(c.Values, v)
			}
		}
		if c.Len() > 0 {
			out = append(out, c)
		}
	}
	return out
}

// formats lists each format's writer and reader.
var formats = []struct {
	name  string
	ext   string
	write func(w *bytes.Buffer, ss []series.Series) error
	read  func(data []byte, name string) ([]series.Series, error)
}{
	{"CSV", ".csv", func(w *bytes.Buffer, ss []series.Series) error { return WriteCSV(w, ss) },
		func(d []byte, n string) ([]series.Series, error) { return ReadCSV(bytes.NewReader(d), n) }},
	{"PromJSON", ".json", func(w *bytes.Buffer, ss []series.Series) error { return WritePromJSON(w, ss) },
		func(d []byte, n string) ([]series.Series, error) { return ReadPromJSON(bytes.NewReader(d), n) }},
	{"OpenMetrics", ".om", func(w *bytes.Buffer, ss []series.Series) error { return WriteOpenMetrics(w, ss) },
		func(d []byte, n string) ([]series.Series, error) { return ReadOpenMetrics(bytes.NewReader(d), n) }},
}

// testSeries is a small data set exercising the awkward corners: labels that
// need quoting or escaping, millisecond timestamps, ±Inf, NaN, -0, tiny and
// huge values.
func testSeries() []series.Series {
	return []series.Series{
		{
			Labels:     series.New(series.MetricName, "node_filesystem_avail_bytes", "instance", "host-1:9100", "mountpoint", "/var/lib"),
			Timestamps: []int64{1700000000000, 1700000000500, 1700000001001, 1700000060123},
			Values:     []float64{1.5, math.Inf(1), math.Inf(-1), 123456789012345680},
		},
		{
			Labels:     series.New(series.MetricName, "node_filesystem_avail_bytes", "instance", "host-2:9100", "mountpoint", "/"),
			Timestamps: []int64{1700000000000, 1700000015000, 1700000030000},
			Values:     []float64{math.NaN(), 5e-324, math.Copysign(0, -1)},
		},
		{
			Labels:     series.New(series.MetricName, "up", "job", `quote " comma , backslash \ newline`+"\n"+`end`, "zone", " padded "),
			Timestamps: []int64{-1500, 0, 999},
			Values:     []float64{1, 0, 0.1},
		},
		{
			Labels:     series.New(series.MetricName, "up", "job", "ünïcode ✓"),
			Timestamps: []int64{1, 1700000000001},
			Values:     []float64{math.MaxFloat64, -math.SmallestNonzeroFloat64},
		},
	}
}
