package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// days30 is 30 days of 5-minute samples.
const days30 = 30 * 288

// intervalsOf runs Detect and returns its intervals.
func intervalsOf(ts []int64, vs []float64) []Interval {
	return Detect(ts, vs, Config{}).Intervals
}

// vonMises is a daily hump of the given sharpness, peaking at noon.
func vonMises(i int, k float64) float64 {
	th := 2 * math.Pi * (float64(i%288)/288 - 0.5)
	return (math.Exp(k*(math.Cos(th)-1)) - math.Exp(-2*k)) / (1 - math.Exp(-2*k))
}

func TestSurpriseFalseAlarms(t *testing.T) {
	t.Run("stationary white noise: at most one interval per 30 days", func(t *testing.T) {
		worst := 0
		for seed := uint64(1); seed <= 8; seed++ {
			ts, vs := series(days30, 100, 0, 5, seed)
			worst = max(worst, len(intervalsOf(ts, vs)))
		}
		require.LessOrEqual(t, worst, 1)
	})
	t.Run("pure daily cycles: at most one interval per 30 days", func(t *testing.T) {
		worst := 0
		for seed := uint64(1); seed <= 4; seed++ {
			ts, vs := series(days30, 100, 40, 1, seed) // a sine with 2.5% noise
			worst = max(worst, len(intervalsOf(ts, vs)))
			r := rand.New(rand.NewPCG(seed, 9))
			for i := range vs { // a sharp business-hours hump
				vs[i] = 20 + 300*vonMises(i, 4) + 3*r.NormFloat64()
			}
			worst = max(worst, len(intervalsOf(ts, vs)))
		}
		require.LessOrEqual(t, worst, 1)
	})
	t.Run("a daily cycle of counts (Poisson noise): at most one interval per 30 days", func(t *testing.T) {
		worst := 0
		for seed := uint64(1); seed <= 4; seed++ {
			ts, vs := series(days30, 0, 0, 0, seed)
			r := rand.New(rand.NewPCG(seed, 11))
			for i := range vs { // quiet nights, busy days
				lam := 3 + 200*vonMises(i, 2)
				vs[i] = math.Max(0, math.Round(lam+math.Sqrt(lam)*r.NormFloat64()))
			}
			worst = max(worst, len(intervalsOf(ts, vs)))
		}
		require.LessOrEqual(t, worst, 1)
	})
	t.Run("a counter idle at night (runs of zeros, longer every night) is not a stuck sensor", func(t *testing.T) {
		for seed := uint64(1); seed <= 4; seed++ {
			ts, vs := series(days30, 0, 0, 0, seed)
			r := rand.New(rand.NewPCG(seed, 13))
			for i := range vs {
				if night := 24 + 2*(i/288); i%288 < night || i%288 >= 288-night {
					continue // idle: 4 hours of zeros the first night, 20 minutes more every night
				}
				lam := 2 + 200*vonMises(i, 2)
				vs[i] = math.Max(0, math.Round(lam+math.Sqrt(lam)*r.NormFloat64()))
			}
			// Each night's run of zeros is the longest yet: judged as a
			// flat line, about 500 samples a series scored at least
			// Episode on the stuck evidence.
			s := NewSurprise(Config{})
			stuck := 0
			for i := range vs {
				s.Update(ts[i], vs[i])
				if e := s.Explain(); e.Unsuppressed >= 0.25 && e.Evidence == EvidenceStuck {
					stuck++
				}
			}
			require.LessOrEqual(t, stuck, 1, "seed %d", seed)
		}
	})
	t.Run("a 2.3σ blip is not an anomaly", func(t *testing.T) {
		for seed := uint64(1); seed <= 4; seed++ {
			ts, vs := series(20*288, 100, 0, 5, seed)
			at := 15*288 + 7
			vs[at] = 100 + 2.3*5
			r := Detect(ts, vs, Config{})
			require.Less(t, r.Scores[at], Threshold, "seed %d", seed)
			require.False(t, r.Anomalous[at], "seed %d", seed)
		}
	})
}

func TestSurpriseCatches(t *testing.T) {
	const at = 20 * 288
	gib := float64(1 << 30)
	for _, tc := range []struct {
		name   string
		make   func(i int, r *rand.Rand) float64
		within int // samples after the onset
	}{
		{"an OOM kill: memory falls by 80% and grows back", func(i int, r *rand.Rand) float64 {
			v := 2.1*gib + 0.0005*gib*float64(i%288)/288 + 0.01*gib*r.NormFloat64()
			if i >= at {
				v *= math.Min(1, 0.2+0.8*float64(i-at)/60)
			}
			return v
		}, 1},
		{"a level shift by a third under a daily cycle", func(i int, r *rand.Rand) float64 {
			v := 100 + 40*vonMises(i, 2) + 2*r.NormFloat64()
			if i >= at {
				v += 33
			}
			return v
		}, 12},
		{"a stuck sensor", func(i int, r *rand.Rand) float64 {
			return 100 + 40*vonMises(i, 2) + 2*r.NormFloat64()
		}, 72},
		{"a stuck counter", func(i int, r *rand.Rand) float64 {
			lam := 20 + 200*vonMises(i+144, 2) // busy at the onset
			return math.Max(0, math.Round(lam+math.Sqrt(lam)*r.NormFloat64()))
		}, 72},
		{"a value flapping by ±4σ for two hours, each sample within the day's range", func(i int, r *rand.Rand) float64 {
			v := 100 + 40*vonMises(i, 2) + 2*r.NormFloat64()
			if i >= at && i < at+24 {
				v += 8 * float64(1-2*(i%2))
			}
			return v
		}, 12},
		{"a spike under a daily cycle, within the day's range", func(i int, r *rand.Rand) float64 {
			v := 100 + 40*vonMises(i, 2) + 2*r.NormFloat64()
			if i == at {
				v += 30
			}
			return v
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 7))
			ts := make([]int64, at+2*288)
			vs := make([]float64, len(ts))
			for i := range vs {
				ts[i] = int64(i) * fiveMin
				vs[i] = tc.make(i, r)
			}
			if tc.name == "a stuck sensor" || tc.name == "a stuck counter" {
				for i := at; i < at+288; i++ {
					vs[i] = vs[at-1]
				}
			}
			res := Detect(ts, vs, Config{})
			caught := false
			for i := at; i < at+tc.within; i++ {
				caught = caught || res.Anomalous[i]
			}
			require.True(t, caught, "max score in the %d samples after the onset: %.2f", tc.within, maxOf(res.Scores[at:at+tc.within]))
			require.Empty(t, falseIntervals(res.Intervals, at), "no interval before the onset")
		})
	}
}

// falseIntervals returns the intervals starting before index at.
func falseIntervals(iv []Interval, at int) []Interval {
	var out []Interval
	for _, v := range iv {
		if v.StartIndex < at {
			out = append(out, v)
		}
	}
	return out
}

func TestSurpriseEpisodes(t *testing.T) {
	ts, vs := series(12*288, 100, 30, 2, 11)
	at := 10 * 288
	for i := at; i < at+60; i++ {
		vs[i] += 80 // an hour-long excursion, far beyond anything seen
	}
	r := Detect(ts, vs, Config{})
	t.Run("one incident is reported once, and flagged while it lasts", func(t *testing.T) {
		require.Equal(t, 1, countAtLeast(r.Scores, at, at+120, Threshold))
		require.Len(t, falseIntervals(r.Intervals, at+120), 1)
		iv := r.Intervals[len(r.Intervals)-1]
		require.Equal(t, at, iv.StartIndex)
		require.GreaterOrEqual(t, iv.EndIndex, at+59)
		for i := at; i < at+60; i++ {
			require.True(t, r.Anomalous[i])
			require.GreaterOrEqual(t, r.Unsuppressed[i], Threshold, "the samples' own scores stay high")
		}
	})
	t.Run("the flags follow the reported scores and one threshold", func(t *testing.T) {
		for i, s := range r.Scores {
			if s >= Threshold {
				require.True(t, r.Anomalous[i], "sample %d", i)
				require.True(t, i == 0 || !r.Anomalous[i-1] || r.Scores[i] == r.Unsuppressed[i])
			}
		}
	})
}

func TestSurpriseIsCausal(t *testing.T) {
	ts, vs := series(9*288, 100, 30, 2, 5)
	vs[8*288] += 200
	full := Score(nil, NewDefault(Config{}), ts, vs)
	for _, k := range []int{1, 600, 8 * 288, 8*288 + 1, len(vs) - 1} {
		require.Equal(t, full[:k], Score(nil, NewDefault(Config{}), ts[:k], vs[:k]), "first %d samples", k)
	}
}

func TestSurpriseMissingValues(t *testing.T) {
	ts, vs := series(8*288, 100, 30, 2, 6)
	for i := 5 * 288; i < 5*288+30; i++ {
		vs[i] = math.NaN()
	}
	vs[6*288] = math.Inf(1)
	r := Detect(ts, vs, Config{})
	for i := 5 * 288; i < 5*288+30; i++ {
		require.Equal(t, 0.0, r.Scores[i])
	}
	require.Equal(t, 0.0, r.Scores[6*288])
	require.Empty(t, r.Intervals, "gaps are not anomalies")
}

func TestScorePanicsOnMismatchedLengths(t *testing.T) {
	require.Panics(t, func() { Score(nil, NewDefault(Config{}), []int64{1}, nil) })
	require.Panics(t, func() { Detect([]int64{1}, nil, Config{}) })
}

func TestLogScore(t *testing.T) {
	for _, tc := range []struct {
		p, want float64
	}{
		{1, 0}, {3e-3, 0.25}, {1e-5, 0.5}, {1e-10, 0.97}, {0, 1},
	} {
		t.Run("p="+formatG(tc.p), func(t *testing.T) {
			require.InDelta(t, tc.want, LogScore(tc.p), 0.01)
		})
	}
}

func BenchmarkSurpriseUpdate(b *testing.B) {
	ts, vs := series(288*30, 100, 30, 3, 1)
	d := NewSurprise(Config{})
	for i := range vs {
		d.Update(ts[i], vs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		d.Update(ts[len(ts)-1]+int64(i+1)*fiveMin, vs[i%len(vs)])
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDetect30Days scores a whole 30-day 5-minute series (8,640
// samples) from scratch, the way `omen detect` scores a series.
func BenchmarkDetect30Days(b *testing.B) {
	ts, vs := series(days30, 100, 30, 3, 1)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		Detect(ts, vs, Config{})
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N*len(vs)), "cpu-ns/sample")
}

func TestEventsAftershocks(t *testing.T) {
	// run steps raw scores through events holding aftershocks for hold
	// samples and returns the reported scores.
	run := func(hold int, raw []float64) []float64 {
		e := events{open: 0.25, fire: 0.5, settle: 8, quiet: 12, hold: hold}
		out := make([]float64, len(raw))
		for i, s := range raw {
			out[i], _ = e.step(s)
		}
		return out
	}
	// burst writes n samples of score s from i on.
	burst := func(raw []float64, i, n int, s float64) {
		for k := range n {
			raw[i+k] = s
		}
	}
	reported := func(out []float64, from, to int) float64 {
		m := 0.0
		for _, s := range out[from:to] {
			m = math.Max(m, s)
		}
		return m
	}
	raw := make([]float64, 1000)
	burst(raw, 100, 10, 0.40) // an incident reported at 0.40 (below Threshold)
	burst(raw, 200, 10, 0.35) // a weaker repeat 100 samples later
	burst(raw, 300, 10, 0.45) // a stronger one
	burst(raw, 600, 10, 0.30) // a weak one long after
	t.Run("without a hold every episode is reported", func(t *testing.T) {
		out := run(0, raw)
		require.Equal(t, 0.35, reported(out, 190, 290))
	})
	out := run(288, raw)
	t.Run("an incident is reported at its strength after settle samples", func(t *testing.T) {
		require.Equal(t, 0.40, out[107])
		require.Equal(t, 0.40, reported(out, 90, 190))
	})
	t.Run("a weaker repeat within a day is not reported", func(t *testing.T) {
		require.Less(t, reported(out, 190, 290), 0.25)
	})
	t.Run("a stronger one is an episode like any other", func(t *testing.T) {
		require.Equal(t, 0.45, out[307])
		require.Equal(t, 0.45, reported(out, 290, 390))
	})
	t.Run("an episode more than a day after the last report is reported", func(t *testing.T) {
		require.Equal(t, 0.30, reported(out, 590, 690))
	})
	t.Run("a repeat reaching Threshold is reported and flagged", func(t *testing.T) {
		raw := make([]float64, 1000)
		burst(raw, 100, 10, 0.9)
		burst(raw, 200, 10, 0.6)
		e := events{open: 0.25, fire: 0.5, settle: 8, quiet: 12, hold: 288}
		var got float64
		var flagged bool
		for i, s := range raw {
			o, on := e.step(s)
			if i >= 190 && i < 290 && o > got {
				got, flagged = o, on
			}
		}
		require.Equal(t, 0.6, got)
		require.True(t, flagged)
	})
}
