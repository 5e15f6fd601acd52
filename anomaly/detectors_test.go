package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSeasonal(t *testing.T) {
	t.Run("it learns the daily period from 5-minute timestamps", func(t *testing.T) {
		ts, vs := series(100, 10, 5, 0.5, 1)
		s := NewSeasonal(SeasonalConfig{})
		Score(nil, s, ts, vs)
		require.Equal(t, 288, s.Period())
	})
	t.Run("a spike scores near 1 and ordinary samples near 0", func(t *testing.T) {
		ts, vs := series(288*5, 10, 5, 0.5, 2)
		spike := 288*4 + 100
		vs[spike] += 10
		sc := Score(nil, NewSeasonal(SeasonalConfig{}), ts, vs)
		require.Greater(t, sc[spike], 0.95)
		require.Less(t, countAtLeast(sc, 600, len(sc), 0.9), 8)
	})
	t.Run("after a few days the daily profile explains the peaks", func(t *testing.T) {
		ts, vs := series(288*6, 10, 20, 0.5, 3)
		s := NewSeasonal(SeasonalConfig{})
		Score(nil, s, ts, vs)
		require.True(t, s.UsesSeason())
		require.InDelta(t, vs[len(vs)-1], s.Expected(), 2.5)
	})
	t.Run("a missing sample scores 0 and is not learnt", func(t *testing.T) {
		s := NewSeasonal(SeasonalConfig{})
		require.Equal(t, 0.0, s.Update(0, math.NaN()))
		require.True(t, math.IsNaN(s.Expected()))
	})
}

func TestCUSUM(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	n := 2000
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = r.NormFloat64()
		if i >= 1500 {
			vs[i] += 3
		}
	}
	sc := Score(nil, NewCUSUM(CUSUMConfig{}), make([]int64, n), vs)
	t.Run("it stays low on stationary noise", func(t *testing.T) {
		require.Less(t, maxOf(sc[100:1500]), 0.5)
	})
	t.Run("it saturates soon after a 3σ shift", func(t *testing.T) {
		require.Equal(t, 1.0, maxOf(sc[1500:1530]))
	})
}

func TestRelativeEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 3000
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = r.NormFloat64()
		if i >= 2500 {
			vs[i] *= 4 // same mean, wider
		}
	}
	sc := Score(nil, NewRelativeEntropy(ShiftConfig{}), make([]int64, n), vs)
	t.Run("it stays low while the distribution holds", func(t *testing.T) {
		require.Less(t, maxOf(sc[300:2500]), 0.8)
	})
	t.Run("it reacts to a change of spread that keeps the mean", func(t *testing.T) {
		require.Equal(t, 1.0, maxOf(sc[2500:2600]))
	})
	t.Run("it scores 0 until the reference is filled", func(t *testing.T) {
		require.Equal(t, 0.0, maxOf(sc[:4*52]))
	})
}

func BenchmarkSeasonalUpdate(b *testing.B) {
	ts, vs := series(8192, 10, 5, 1, 9)
	s := NewSeasonal(SeasonalConfig{})
	Score(nil, s, ts, vs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i & 8191
		s.Update(ts[k]+int64(i/8192+1)*8192*fiveMin, vs[k])
	}
}

func BenchmarkCUSUMUpdate(b *testing.B) {
	_, vs := series(8192, 10, 5, 1, 9)
	c := NewCUSUM(CUSUMConfig{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Update(0, vs[i&8191])
	}
}

func BenchmarkRelativeEntropyUpdate(b *testing.B) {
	_, vs := series(8192, 10, 5, 1, 9)
	d := NewRelativeEntropy(ShiftConfig{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Update(0, vs[i&8191])
	}
}
