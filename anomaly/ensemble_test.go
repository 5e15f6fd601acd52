package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEnsembleIsCausal(t *testing.T) {
	// Truncating the input never changes the scores of the rows kept: the
	// score of row t depends on rows ≤ t only.
	ts, vs := series(288*8, 50, 20, 3, 11)
	vs[288*5] += 80
	for i := 288 * 6; i < 288*7; i++ {
		vs[i] += 30
	}
	vs[100] = math.NaN()
	full := Score(nil, NewEnsemble(Config{}), ts, vs)
	for _, k := range []int{1, 151, 288*5 + 1, 288 * 6, len(vs) - 1} {
		t.Run("the first "+formatG(float64(k))+" scores do not depend on later rows", func(t *testing.T) {
			part := Score(nil, NewEnsemble(Config{}), ts[:k], vs[:k])
			require.Equal(t, full[:k], part)
		})
	}
	t.Run("the machine detector is causal too", func(t *testing.T) {
		rows := make([][]float64, len(vs))
		for i := range rows {
			rows[i] = []float64{vs[i], -vs[i]}
		}
		m := DetectMachine(ts, rows, []string{"a", "b"}, MachineOptions{})
		k := 288*5 + 7
		p := DetectMachine(ts[:k], rows[:k], []string{"a", "b"}, MachineOptions{})
		require.Equal(t, m.Scores[:k], p.Scores)
	})
}

func TestEnsemble(t *testing.T) {
	t.Run("scores stay in [0, 1] and the warm-up scores 0", func(t *testing.T) {
		ts, vs := series(3000, 0, 1, 1, 12)
		sc := Score(nil, NewEnsemble(Config{}), ts, vs)
		for i, s := range sc {
			require.True(t, s >= 0 && s <= 1, "score %v at %d", s, i)
		}
		require.Equal(t, 0.0, maxOf(sc[:150]))
	})
	t.Run("a clear spike is reported once, at the spike", func(t *testing.T) {
		ts, vs := series(288*6, 100, 30, 2, 13)
		at := 288*5 + 40
		vs[at] += 300
		e := NewEnsemble(Config{})
		sc := Score(nil, e, ts, vs)
		require.Equal(t, 1.0, sc[at])
		require.Equal(t, 1, countAtLeast(sc, at-50, at+50, Threshold))
	})
	t.Run("a level shift inside the range is found by its evidence", func(t *testing.T) {
		ts, vs := series(288*8, 100, 30, 2, 14)
		at := 288 * 6
		for i := at; i < len(vs); i++ {
			vs[i] -= 25
		}
		sc := Score(nil, NewEnsemble(Config{}), ts, vs)
		require.GreaterOrEqual(t, countAtLeast(sc, at, at+100, Threshold), 1)
	})
	t.Run("Gaussian noise raises few events, mostly while the range is still being learnt", func(t *testing.T) {
		ts, vs := series(288*20, 0, 0, 1, 15)
		sc := Score(nil, NewEnsemble(Config{}), ts, vs)
		require.LessOrEqual(t, countAtLeast(sc, 0, 288*3, Threshold), 6)
		require.LessOrEqual(t, countAtLeast(sc, 288*3, len(sc), Threshold), 2)
	})
	t.Run("a constant series never fires and a change from it does", func(t *testing.T) {
		n := 1000
		ts := make([]int64, n)
		vs := make([]float64, n)
		for i := range vs {
			ts[i] = int64(i) * fiveMin
			vs[i] = 7
		}
		vs[900] = 8
		sc := Score(nil, NewEnsemble(Config{}), ts, vs)
		require.Equal(t, 0.0, maxOf(sc[:900]))
		require.GreaterOrEqual(t, sc[900], Threshold)
	})
	t.Run("missing samples score 0 and do not break the stream", func(t *testing.T) {
		ts, vs := series(1000, 0, 1, 1, 16)
		for i := 0; i < len(vs); i += 7 {
			vs[i] = math.NaN()
		}
		vs[500] = math.Inf(1)
		sc := Score(nil, NewEnsemble(Config{}), ts, vs)
		require.Equal(t, 0.0, sc[500])
		for _, s := range sc {
			require.False(t, math.IsNaN(s))
		}
	})
	t.Run("Explain names the evidence and the expectation", func(t *testing.T) {
		ts, vs := series(288*4, 100, 30, 2, 17)
		vs[len(vs)-1] += 500
		e := NewEnsemble(Config{})
		Score(nil, e, ts, vs)
		x := e.Explain()
		require.Equal(t, EvidenceRange, x.Evidence)
		require.Equal(t, 1.0, x.Score)
		require.InDelta(t, 100, x.Expected, 40)
		require.Greater(t, x.Z, 10.0)
	})
	t.Run("CUSUM evidence can be switched on", func(t *testing.T) {
		ts, vs := series(2000, 0, 0, 1, 19)
		sc := Score(nil, NewEnsemble(Config{WithChange: true}), ts, vs)
		require.Len(t, sc, 2000)
	})
}

func TestSuppression(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     SuppressionConfig
		in, out []float64
	}{
		{"a second high score right after the first is capped", SuppressionConfig{Rest: 1, Quiet: 2},
			[]float64{0.9, 0.9, 0.1, 0.1, 0.9}, []float64{0.9, 0.25, 0.1, 0.1, 0.9}},
		{"the series must be quiet long enough to re-arm", SuppressionConfig{Rest: 1, Quiet: 3},
			[]float64{0.9, 0.1, 0.1, 0.6, 0.1, 0.1, 0.1, 0.7}, []float64{0.9, 0.1, 0.1, 0.25, 0.1, 0.1, 0.1, 0.7}},
		{"the rest period holds even when quiet", SuppressionConfig{Rest: 4, Quiet: 1},
			[]float64{0.9, 0.1, 0.1, 0.8, 0.1, 0.8}, []float64{0.9, 0.1, 0.1, 0.25, 0.1, 0.8}},
		{"off passes every score through", SuppressionConfig{Off: true},
			[]float64{0.9, 0.9, 0.9}, []float64{0.9, 0.9, 0.9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSuppressor(tc.cfg)
			var got []float64
			for _, v := range tc.in {
				got = append(got, s.apply(v))
			}
			require.Equal(t, tc.out, got)
		})
	}
}

func TestScorePanicsOnMismatchedLengths(t *testing.T) {
	require.Panics(t, func() { Score(nil, NewEnsemble(Config{}), []int64{1}, nil) })
}

func BenchmarkEnsembleUpdate(b *testing.B) {
	ts, vs := series(8192, 10, 5, 1, 9)
	r := rand.New(rand.NewPCG(2, 2))
	for i := range vs {
		if r.IntN(500) == 0 {
			vs[i] += 20
		}
	}
	e := NewEnsemble(Config{})
	Score(nil, e, ts, vs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i & 8191
		e.Update(ts[k]+int64(i/8192+1)*8192*fiveMin, vs[k])
	}
}
