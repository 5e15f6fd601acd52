package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLikelihood(t *testing.T) {
	t.Run("it reports 1 while learning and estimating", func(t *testing.T) {
		l := NewLikelihood(LikelihoodConfig{Learn: 10, Estimate: 5})
		for i := 0; i < 15; i++ {
			require.Equal(t, 1.0, l.Update(0.5))
		}
	})
	t.Run("a burst of high raw scores after a quiet history is very unlikely", func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		l := NewLikelihood(LikelihoodConfig{})
		for i := 0; i < 1000; i++ {
			l.Update(0.05 * r.Float64())
		}
		p := 1.0
		for i := 0; i < 10; i++ {
			p = l.Update(1)
		}
		require.Less(t, p, 1e-10)
	})
	t.Run("the same burst in a history of bursts is not", func(t *testing.T) {
		l := NewLikelihood(LikelihoodConfig{})
		for i := 0; i < 2000; i++ {
			l.Update(float64((i / 20) % 2))
		}
		require.Greater(t, l.Update(1), 0.01)
	})
	t.Run("low averages are unusual only when two-sided", func(t *testing.T) {
		for _, two := range []bool{false, true} {
			l := NewLikelihood(LikelihoodConfig{TwoSided: two, Average: 5})
			r := rand.New(rand.NewPCG(5, 6))
			for i := 0; i < 1000; i++ {
				l.Update(0.5 + 0.05*r.NormFloat64())
			}
			p := 1.0
			for i := 0; i < 5; i++ {
				p = l.Update(0)
			}
			if two {
				require.Less(t, p, 1e-6)
			} else {
				require.Equal(t, 1.0, p)
			}
		}
	})
	t.Run("NaN raw scores count as 0", func(t *testing.T) {
		l := NewLikelihood(LikelihoodConfig{Learn: 1, Estimate: 1})
		for i := 0; i < 10; i++ {
			require.False(t, math.IsNaN(l.Update(math.NaN())))
		}
	})
}

func TestLogScore(t *testing.T) {
	for _, tc := range []struct {
		p, want float64
	}{
		{1, 0}, {1e-5, 0.5}, {1e-10, 0.97}, {0, 1},
	} {
		t.Run("p="+formatG(tc.p), func(t *testing.T) {
			require.InDelta(t, tc.want, LogScore(tc.p), 0.01)
		})
	}
}

func BenchmarkLikelihoodUpdate(b *testing.B) {
	l := NewLikelihood(LikelihoodConfig{})
	r := rand.New(rand.NewPCG(1, 1))
	raw := make([]float64, 4096)
	for i := range raw {
		raw[i] = r.Float64() * 0.2
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Update(raw[i&4095])
	}
}
