package m4

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/stats"
)

// dataDir returns the M4 hourly subset of the project's shared data (see
// testrig.SharedData: skipped when missing, failed under CI=true).
func dataDir(t testing.TB) string {
	t.Helper()
	return testrig.SharedData(t, "m4-hourly")
}

func readShared(t testing.TB, name string) []Series {
	t.Helper()
	s, err := ReadFile(filepath.Join(dataDir(t), name))
	require.NoError(t, err)
	return s
}

func TestNaive2ReproducesTheOfficialForecasts(t *testing.T) {
	train := readShared(t, "Hourly-train.csv")
	official := readShared(t, "benchmark-forecasts/submission-Naive2-hourly-H1-H200.csv")
	require.Len(t, official, len(train))
	worst := 0.0
	for i, s := range train {
		require.Equal(t, s.ID, official[i].ID)
		f := Naive2(nil, s.Values, 24, 48)
		for j, v := range official[i].Values {
			worst = max(worst, math.Abs(f[j]-v)/math.Max(1, math.Abs(v)))
		}
	}
	require.Less(t, worst, 1e-6, "largest relative difference from the official Naive2 forecasts")
}

func TestSeasonalNaiveAndNaive2ScoresMatchThePublishedSubsetFigures(t *testing.T) {
	train := readShared(t, "Hourly-train.csv")
	test := readShared(t, "Hourly-test.csv")
	tests := []struct {
		file        string
		smape, mase float64
	}{
		{"benchmark-forecasts/submission-Naive2-hourly-H1-H200.csv", 19.460, 1.842},
		{"benchmark-forecasts/submission-sNaive-hourly-H1-H200.csv", 11.906, 1.023},
		{"benchmark-forecasts/submission-Naive-hourly-H1-H200.csv", 45.329, 6.696},
		{"benchmark-forecasts/submission-SES-hourly-H1-H200.csv", 19.393, 1.845},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			fc := readShared(t, tc.file)
			var sm, ms float64
			for i := range train {
				sm += SMAPE(test[i].Values, fc[i].Values)
				ms += MASE(train[i].Values, test[i].Values, fc[i].Values, 24)
			}
			sm /= float64(len(train))
			ms /= float64(len(train))
			require.InDelta(t, tc.smape, sm, 0.0005)
			require.InDelta(t, tc.mase, ms, 0.0005)
		})
	}
}

// seasonalIndices is the test oracle of stats.ClassicalSeasonal: it returns the m multiplicative seasonal indices of x by
// classical decomposition exactly as R's decompose(type = "multiplicative"):
// a centred moving average of order m (2×m for even m) as the trend, the
// ratios x/trend averaged per position counted from the first observation,
// normalised to mean 1. Index i applies to observations i, i+m, i+2m, ….
// x must hold at least 2m values.
func seasonalIndices(x []float64, m int) []float64 {
	n := len(x)
	// Centred moving average: R filter(x, w, sides = 2) with
	// w = c(0.5, rep(1, m−1), 0.5)/m for even m, rep(1, m)/m for odd m.
	var w []float64
	if m%2 == 0 {
		w = make([]float64, m+1)
		for i := range w {
			w[i] = 1 / float64(m)
		}
		w[0], w[m] = 0.5/float64(m), 0.5/float64(m)
	} else {
		w = make([]float64, m)
		for i := range w {
			w[i] = 1 / float64(m)
		}
	}
	half := len(w) / 2
	sum := make([]float64, m)
	cnt := make([]int, m)
	for t := half; t+half < n; t++ {
		tr := 0.0
		for j, wj := range w {
			tr += wj * x[t-half+j]
		}
		sum[t%m] += x[t] / tr
		cnt[t%m]++
	}
	idx := make([]float64, m)
	mean := 0.0
	for i := range idx {
		idx[i] = sum[i] / float64(cnt[i])
		mean += idx[i]
	}
	mean /= float64(m)
	for i := range idx {
		idx[i] /= mean
	}
	return idx
}

// TestClassicalSeasonalIsRsDecompose checks stats.ClassicalSeasonal, which
// Naive2 uses, against the term-by-term port of R's decompose above on the
// M4 series that pass the seasonality test.
func TestClassicalSeasonalIsRsDecompose(t *testing.T) {
	train := readShared(t, "Hourly-train.csv")
	checked := 0
	for _, s := range train {
		if !stats.SeasonalityTest(s.Values, 24) {
			continue
		}
		require.InDeltaSlice(t, seasonalIndices(s.Values, 24), stats.ClassicalSeasonal(nil, s.Values, 24, true), 1e-9, s.ID)
		checked++
	}
	require.Positive(t, checked)
}
