package m4

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
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
