package file

import (
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
