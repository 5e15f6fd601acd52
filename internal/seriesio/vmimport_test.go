package seriesio

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// importLine is one line of VictoriaMetrics' JSON import format, as read
// back for the round trip.
type importLine struct {
	Metric     map[string]string `json:"metric"`
	Values     []float64         `json:"values"`
	Timestamps []int64           `json:"timestamps"`
}

func TestAppendVMImport(t *testing.T) {
	tests := []struct {
		name string
		s    series.Series
		want string
		err  error
	}{
		{
			name: "labels, values and timestamps are written in VictoriaMetrics' JSON-lines shape",
			s:    series.Series{Labels: series.New("__name__", "m", "path", `C:\x "y"`), Timestamps: []int64{1000, 2000}, Values: []float64{1, 2.5e-7}},
			want: `{"metric":{"__name__":"m","path":"C:\\x \"y\""},"values":[1,2.5e-07],"timestamps":[1000,2000]}` + "\n",
		},
		{
			name: "a series without samples is a line with empty arrays",
			s:    series.Series{Labels: series.New("__name__", "m")},
			want: `{"metric":{"__name__":"m"},"values":[],"timestamps":[]}` + "\n",
		},
		{
			name: "a NaN sample cannot be written",
			s:    series.Series{Labels: series.New("__name__", "m"), Timestamps: []int64{1}, Values: []float64{math.NaN()}},
			err:  ErrNotFinite,
		},
		{
			name: "an infinite sample cannot be written",
			s:    series.Series{Labels: series.New("__name__", "m"), Timestamps: []int64{1}, Values: []float64{math.Inf(-1)}},
			err:  ErrNotFinite,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendVMImport(nil, tt.s)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
}

// FuzzVMImportRoundTrip checks that a line reads back, with
// encoding/json, to the labels, timestamps and bit-identical values
// written, and that it is one line.
func FuzzVMImportRoundTrip(f *testing.F) {
	f.Add("node_filesystem_avail_bytes", "instance", "node-00001:9100", int64(1790812800000), 1.5e12, 0.1)
	f.Add("m", "a", "\"\\\n\t\u2028é", int64(-1), math.Copysign(0, -1), 5e-324)
	f.Add("m", "b", "\xff", int64(math.MaxInt64), math.MaxFloat64, 1.0)
	f.Fuzz(func(t *testing.T, name, label, value string, ts int64, v1, v2 float64) {
		if label == "" || label == "__name__" {
			return
		}
		s := series.Series{Labels: series.New("__name__", name, label, value), Timestamps: []int64{ts, ts}, Values: []float64{v1, v2}}
		line, err := AppendVMImport(nil, s)
		if math.IsNaN(v1) || math.IsInf(v1, 0) || math.IsNaN(v2) || math.IsInf(v2, 0) {
			require.ErrorIs(t, err, ErrNotFinite)
			return
		}
		require.NoError(t, err)
		require.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line, newline last")
		var got importLine
		require.NoError(t, json.Unmarshal(line, &got), "%s", line)
		want := map[string]string{}
		for _, l := range s.Labels {
			// encoding/json writes invalid UTF-8 as U+FFFD, as it reads.
			k, _ := json.Marshal(l.Name)
			v, _ := json.Marshal(l.Value)
			var kk, vv string
			require.NoError(t, json.Unmarshal(k, &kk))
			require.NoError(t, json.Unmarshal(v, &vv))
			want[kk] = vv
		}
		require.Equal(t, want, got.Metric)
		require.Equal(t, s.Timestamps, got.Timestamps)
		require.Len(t, got.Values, 2)
		for i := range got.Values {
			require.Equal(t, math.Float64bits(s.Values[i]), math.Float64bits(got.Values[i]), "value %d of %s", i, line)
		}
	})
}
