package nab

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

// dataDir returns the NAB folder of the project's shared data (see
// testrig.SharedData: skipped when missing, failed under CI=true).
func dataDir(t testing.TB) string {
	t.Helper()
	return testrig.SharedData(t, "nab")
}

// publishedScores reads results/scores/<detector>_<profile>_scores.csv.
func publishedScores(t *testing.T, dir, detector, profile string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "results", "scores", detector+"_"+profile+"_scores.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	out := map[string][]string{}
	for _, r := range rows[1:] {
		out[r[2]] = r
	}
	return out
}

func TestScorerReproducesPublishedNumentaFigures(t *testing.T) {
	dir := dataDir(t)
	c, err := LoadCorpus(dir)
	require.NoError(t, err)
	require.Len(t, c.Files, 51)
	require.Equal(t, 97, c.NumWindows())
	require.Equal(t, 295997, c.Rows())

	scores, err := ReadResults(c, filepath.Join(dir, "results", "numenta"), "numenta")
	require.NoError(t, err)
	tf, err := os.Open(filepath.Join(dir, "config", "thresholds.json"))
	require.NoError(t, err)
	defer tf.Close()
	th, err := ReadThresholds(tf, "thresholds.json", "numenta")
	require.NoError(t, err)

	e := NewEvaluator(c)
	want := map[string]float64{"standard": 72.97, "reward_low_FP_rate": 65.83, "reward_low_FN_rate": 76.82}
	for _, p := range Profiles() {
		t.Run("profile "+p.Name+" matches the published normalised score and every per-file row", func(t *testing.T) {
			r := e.Score(scores, p, th[p.Name])
			require.InDelta(t, want[p.Name], r.Score, 0.005)
			pub := publishedScores(t, dir, "numenta", p.Name)
			require.Len(t, pub, len(r.Files))
			for _, fs := range r.Files {
				row, ok := pub[fs.Name]
				require.True(t, ok, fs.Name)
				s, _ := strconv.ParseFloat(row[4], 64)
				require.InDelta(t, s, fs.Score, 1e-9, fs.Name)
				for k, n := range []int{fs.TP, fs.TN, fs.FP, fs.FN, fs.Total} {
					v, _ := strconv.Atoi(row[5+k])
					require.Equal(t, v, n, "%s column %d", fs.Name, 5+k)
				}
			}
		})
	}
}

func TestOptimizeFindsTheBestThresholdOfTheSweep(t *testing.T) {
	dir := dataDir(t)
	c, err := LoadCorpus(dir)
	require.NoError(t, err)
	scores, err := ReadResults(c, filepath.Join(dir, "results", "numenta"), "numenta")
	require.NoError(t, err)
	e := NewEvaluator(c)
	for _, o := range e.Optimize(scores, Profiles()...) {
		p := map[string]Profile{"standard": Standard, "reward_low_FP_rate": RewardLowFP, "reward_low_FN_rate": RewardLowFN}[o.Profile]
		t.Run(o.Profile+" optimum equals a direct scoring and beats the published threshold", func(t *testing.T) {
			r := e.Score(scores, p, o.Threshold)
			require.InDelta(t, r.Raw, o.Raw, 1e-9)
			// The optimum on these 51 files is at least the score at the
			// threshold upstream chose on all 58.
			tf, err := os.Open(filepath.Join(dir, "config", "thresholds.json"))
			require.NoError(t, err)
			defer tf.Close()
			th, err := ReadThresholds(tf, "thresholds.json", "numenta")
			require.NoError(t, err)
			require.GreaterOrEqual(t, o.Raw, e.Score(scores, p, th[p.Name]).Raw-1e-9)
			// Nudging the threshold either way does not improve it.
			for _, d := range []float64{-1e-3, 1e-3} {
				require.LessOrEqual(t, e.Score(scores, p, o.Threshold+d).Raw, o.Raw+1e-9)
			}
			require.False(t, math.IsNaN(r.Score))
		})
	}
}
