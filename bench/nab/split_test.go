package nab

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/anomaly"
	"github.com/omenhq/omen/fixtures"
)

func TestHoldout(t *testing.T) {
	var names []string
	for i := range 51 {
		names = append(names, fmt.Sprintf("cat%d/file%02d.csv", i%6, i))
	}
	h := Holdout(names)
	t.Run("it keeps HoldoutSize names, sorted, whatever the order given", func(t *testing.T) {
		require.Len(t, h, HoldoutSize)
		require.IsNonDecreasing(t, h)
		rev := append([]string(nil), names...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		require.Equal(t, h, Holdout(rev))
	})
	t.Run("a file's membership does not depend on the other files", func(t *testing.T) {
		require.Subset(t, Holdout(append(names, "extra/one.csv")), h[:HoldoutSize-1])
	})
	t.Run("with few files all of them are held out", func(t *testing.T) {
		require.Equal(t, []string{"a.csv", "b.csv"}, Holdout([]string{"b.csv", "a.csv"}))
	})
	t.Run("the public corpus's held-out files are the ones the notes name", func(t *testing.T) {
		c, err := LoadCorpus(dataDir(t))
		require.NoError(t, err)
		dev, held := SplitHoldout(c)
		require.Len(t, held.Files, HoldoutSize)
		require.Len(t, dev.Files, len(c.Files)-HoldoutSize)
		require.NotNil(t, held.File("realTweets/Twitter_volume_CRM.csv"))
		require.NotNil(t, held.File("artificialNoAnomaly/art_flatline.csv"))
		require.Nil(t, dev.File("realAdExchange/exchange-3_cpc_results.csv"))
		require.NotNil(t, dev.File("realTweets/Twitter_volume_AAPL.csv"))
	})
}

func TestCategoryFolds(t *testing.T) {
	// Two categories of files with one window each; the detector is a
	// perfect one in category a and fires late and wrongly in category b.
	mk := func(cat string, k int) *File {
		f := &File{Name: fmt.Sprintf("%s/f%d.csv", cat, k), Category: cat, Windows: []Window{{Start: 500, End: 600, Right: 600, Width: 101, Exited: true}}}
		for i := range 1000 {
			f.Timestamps = append(f.Timestamps, int64(i)*300_000)
			f.Values = append(f.Values, 0)
		}
		return f
	}
	c := &Corpus{}
	var scores [][]float64
	for k := range 3 {
		for _, cat := range []string{"a", "b"} {
			f := mk(cat, k)
			c.Files = append(c.Files, f)
			s := make([]float64, f.Len())
			if cat == "a" {
				s[500] = 0.9
			} else {
				s[300], s[550] = 0.6, 0.4
			}
			scores = append(scores, s)
		}
	}
	r := CategoryFolds(c, scores, Standard)
	require.Len(t, r.Folds, 2)
	byName := map[string]Fold{}
	for _, f := range r.Folds {
		byName[f.Name] = f
	}
	// Held out, a is scored at b's best threshold (0.4 catches b's late
	// detections), which still catches a's windows at their start.
	require.Equal(t, 3, byName["a"].Result.Detected)
	require.InDelta(t, 100, byName["a"].Result.Score, 1e-9)
	// Held out, b is scored at a's best threshold, at which b detects
	// nothing but its false positives.
	require.Equal(t, 0, byName["b"].Result.Detected)
	require.InDelta(t, (byName["a"].Result.Score+byName["b"].Result.Score)/2, r.Mean, 1e-9)
	require.Greater(t, r.Own, r.Pooled)
}

func TestSyntheticCorpus(t *testing.T) {
	c := SyntheticCorpus(1, fixtures.AnomalyCorpusConfig{PerKind: 2, MinDays: 14, MaxDays: 14})
	require.Len(t, c.Files, 2*len(fixtures.AnomalyKinds()))
	require.Equal(t, len(c.Files)-4, c.NumWindows(), "noise and daily series have no window")
	for _, f := range c.Files {
		require.Equal(t, 14*288, f.Len(), f.Name)
		for _, w := range f.Windows {
			require.Equal(t, int(math.Ceil(0.1*float64(f.Len()))), w.End-w.Start, f.Name)
			require.Equal(t, Window{Start: w.Start, End: w.End, Right: w.End, Width: w.End - w.Start + 1, Exited: true}, w, "weighted as LoadCorpus weights a window in time order")
			scores := make([]float64, f.Len())
			scores[w.Start] = 1
			fs := ScoreFile(f, scores, Standard, 0.5)
			require.InDelta(t, Standard.TP, fs.Score, 1e-9, "a detection at a window's first row earns the full true-positive weight")
		}
	}
	t.Run("Events counts caught windows and false intervals per category", func(t *testing.T) {
		ivs := make([][]anomaly.Interval, len(c.Files))
		for i, f := range c.Files {
			if len(f.Windows) > 0 {
				w := f.Windows[0]
				ivs[i] = []anomaly.Interval{{StartIndex: w.Start + 1}, {StartIndex: w.End + 5}}
			} else {
				ivs[i] = []anomaly.Interval{{StartIndex: 10}}
			}
		}
		for _, e := range Events(c, ivs) {
			require.InDelta(t, 28, e.Days, 1e-9, e.Category)
			require.Equal(t, 2, e.False, e.Category)
			require.InDelta(t, 30*2/28.0, e.FalsePer30Days, 1e-9)
			if e.Category == string(fixtures.KindNoise) || e.Category == string(fixtures.KindDaily) {
				require.Zero(t, e.Windows)
			} else {
				require.Equal(t, 2, e.Caught, e.Category)
			}
		}
	})
}
