package forecast_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/forecast"
)

// TestExtremeMagnitudesGiveAFiniteForecastOrAnError covers values at the
// ends of float64: every forecast is finite and in scale, or an error
// wrapping ErrOverflow — never a NaN or infinite path.
func TestExtremeMagnitudesGiveAFiniteForecastOrAnError(t *testing.T) {
	n := 2000
	gen := func(f func(i int) float64) []float64 {
		y := make([]float64, n)
		for i := range y {
			y[i] = f(i)
		}
		return y
	}
	cases := []struct {
		name   string
		y      []float64
		lo, hi float64 // bounds of every mean
	}{
		{"a constant 1e308", gen(func(int) float64 { return 1e308 }), 0.99e308, 1.01e308},
		{"alternating ±1e308", gen(func(i int) float64 { return 1e308 * float64(1-2*(i%2)) }), -1e308, 1e308},
		{"a ramp near -1e308", gen(func(i int) float64 { return -1e308 + float64(i)*1e303 }), -1e308, -0.9e308},
		{"tiny values", gen(func(i int) float64 { return 1e-300 * float64(1+i%7) }), 0, 1e-299},
		{"infinite samples among normal ones", gen(func(i int) float64 {
			if i%100 == 0 {
				return math.Inf(1)
			}
			return 50 + float64(i%10)
		}), 40, 70},
	}
	for _, c := range cases {
		for _, model := range []string{"auto", "linear", "hw", "ses", "theta"} {
			t.Run(c.name+" with "+model, func(t *testing.T) {
				var fc *forecast.Forecast
				var err error
				if model == "auto" {
					fc, err = forecast.Auto(c.y, forecast.AutoOptions{Step: 5 * time.Minute, Horizon: 48})
				} else {
					m, merr := forecast.ByName(model)
					require.NoError(t, merr)
					fc, err = forecast.Predict(m, c.y, forecast.FitConfig{Periods: forecast.CandidatePeriods(5 * time.Minute)}, 48, 0.8)
				}
				require.NoError(t, err)
				for i := range fc.Mean {
					for _, v := range []float64{fc.Mean[i], fc.Lower[i], fc.Upper[i]} {
						require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "step %d: %v in [%v, %v]", i, fc.Mean[i], fc.Lower[i], fc.Upper[i])
					}
					require.True(t, fc.Mean[i] >= c.lo && fc.Mean[i] <= c.hi, "step %d: mean %v outside [%v, %v]", i, fc.Mean[i], c.lo, c.hi)
					require.LessOrEqual(t, fc.Lower[i], fc.Upper[i])
				}
			})
		}
	}
	t.Run("an interval beyond float64 is an error, not +Inf", func(t *testing.T) {
		y := gen(func(i int) float64 { return 1.7e308 * float64(1-2*(i%2)) })
		_, err := forecast.Predict(forecast.Linear{}, y, forecast.FitConfig{}, 12, 0.8)
		require.ErrorIs(t, err, forecast.ErrOverflow)
		require.ErrorContains(t, err, "leave no room for the interval")
	})
}
