package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBaseline(t *testing.T) {
	t.Run("the step and the daily period come from the timestamps", func(t *testing.T) {
		for _, tc := range []struct {
			step          int64
			period, width int
		}{
			{fiveMin, 288, 288},
			{60 * 60 * 1000, 24, 32},
			{60 * 1000, 1440, 1440},
			{7 * 60 * 1000, 0, 206}, // a day is not a whole number of 7-minute steps
		} {
			b := NewBaseline(BaselineConfig{})
			for i := range 40 {
				b.Update(int64(i)*tc.step, 1)
			}
			require.Equal(t, tc.period, b.Period(), "step %d", tc.step)
			require.Equal(t, tc.width, b.Window(), "step %d", tc.step)
		}
	})
	t.Run("a daily cycle is predicted by its profile once two days are known", func(t *testing.T) {
		ts, vs := series(288*4, 100, 40, 1, 3)
		b := NewBaseline(BaselineConfig{})
		var zs []float64
		for i := range vs {
			z, ok := b.Update(ts[i], vs[i])
			if i < 2*288-cadenceSamples-2 {
				require.False(t, ok, "sample %d", i)
			}
			if i < 2*288 {
				continue
			}
			require.True(t, ok, "sample %d", i)
			zs = append(zs, math.Abs(z))
		}
		require.Equal(t, SeasonDaily, b.Seasonality())
		require.Less(t, maxOf(zs), 6.0, "the peaks of the cycle are expected")
		require.InDelta(t, vs[len(vs)-1], b.Expected(), 5)
	})
	t.Run("a spike under the cycle stands out", func(t *testing.T) {
		ts, vs := series(288*4, 100, 40, 1, 4)
		vs[3*288+72] += 15 // at the top of the sine, within the day's range
		b := NewBaseline(BaselineConfig{})
		var z float64
		for i := range vs {
			if zz, _ := b.Update(ts[i], vs[i]); i == 3*288+72 {
				z = zz
			}
		}
		require.Greater(t, z, 8.0)
	})
	t.Run("on noise without a cycle the residuals are standard", func(t *testing.T) {
		ts, vs := series(288*6, 100, 0, 1, 5)
		b := NewBaseline(BaselineConfig{})
		r := NewRolling(4 * 288)
		for i := range vs {
			if z, ok := b.Update(ts[i], vs[i]); ok {
				r.Push(z)
			}
		}
		require.InDelta(t, 1, robustScale(r), 0.15, "1.4826·MAD of z")
		require.Less(t, math.Max(-r.Min(), r.Max()), 5.0)
	})
	t.Run("a weekly pattern is predicted by the weekly profile after a week", func(t *testing.T) {
		r := rand.New(rand.NewPCG(6, 6))
		b := NewBaseline(BaselineConfig{})
		for i := range 288 * 17 {
			day := (i / 288) % 7
			v := 100 + 30*math.Sin(2*math.Pi*float64(i%288)/288) + r.NormFloat64()
			if day >= 5 {
				v -= 40 // weekends are quiet
			}
			b.Update(int64(i)*fiveMin, v)
		}
		require.Equal(t, SeasonWeekly, b.Seasonality())
	})
	t.Run("any change of a constant series is infinitely far", func(t *testing.T) {
		b := NewBaseline(BaselineConfig{})
		var z float64
		for i := range 700 {
			v := 3.0
			if i == 699 {
				v = 3.001
			}
			z, _ = b.Update(int64(i)*fiveMin, v)
		}
		require.Greater(t, z, 1e5)
	})
	t.Run("missing samples are skipped", func(t *testing.T) {
		b := NewBaseline(BaselineConfig{})
		for i := range 700 {
			b.Update(int64(i)*fiveMin, 1+float64(i%7))
		}
		z, ok := b.Update(700*fiveMin, math.NaN())
		require.False(t, ok)
		require.Equal(t, 0.0, z)
		require.True(t, math.IsNaN(b.Expected()))
	})
}

func BenchmarkBaselineUpdate(b *testing.B) {
	ts, vs := series(288*20, 100, 30, 3, 1)
	bl := NewBaseline(BaselineConfig{})
	for i := range vs {
		bl.Update(ts[i], vs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(vs)
		bl.Update(ts[len(ts)-1]+int64(i+1)*fiveMin, vs[k])
	}
}
