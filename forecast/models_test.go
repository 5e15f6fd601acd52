package forecast

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// z80 is the standard normal quantile of the central 80% interval.
const z80 = 1.2815515655446004

func predict(t *testing.T, m Model, y []float64, periods []int, h int) *Forecast {
	t.Helper()
	fc, err := Predict(m, y, FitConfig{Periods: periods}, h, 0.8)
	require.NoError(t, err)
	require.Len(t, fc.Mean, h)
	require.Len(t, fc.Lower, h)
	require.Len(t, fc.Upper, h)
	for i := range h {
		require.LessOrEqual(t, fc.Lower[i], fc.Mean[i]+1e-9, "lower bound above the mean at step %d", i+1)
		require.GreaterOrEqual(t, fc.Upper[i], fc.Mean[i]-1e-9, "upper bound below the mean at step %d", i+1)
	}
	return fc
}

// periodic returns n values of level + slope·t + pattern[t mod len(pattern)].
func periodic(n int, level, slope float64, pattern []float64) []float64 {
	y := make([]float64, n)
	for t := range y {
		y[t] = level + slope*float64(t) + pattern[t%len(pattern)]
	}
	return y
}

var pattern4 = []float64{3, -1, -4, 2}

func TestModelsReproduceHandComputedForecasts(t *testing.T) {
	tests := []struct {
		name      string
		model     Model
		y         []float64
		periods   []int
		mean      []float64
		halfWidth []float64 // nil: not checked
		tol       float64
	}{
		{"naive repeats the last value with σ√h bands", Naive{}, []float64{1, 2, 3}, nil,
			[]float64{3, 3, 3}, []float64{z80, z80 * math.Sqrt2, z80 * math.Sqrt(3)}, 1e-12},
		{"seasonal naive repeats the last season with σ√(k+1) bands", SeasonalNaive{Period: 3}, []float64{1, 2, 3, 4, 5, 6}, nil,
			[]float64{4, 5, 6, 4}, []float64{3 * z80, 3 * z80, 3 * z80, 3 * z80 * math.Sqrt2}, 1e-12},
		{"seasonal naive takes the period from the config", SeasonalNaive{}, []float64{1, 2, 3, 4, 5, 6}, []int{2},
			[]float64{5, 6, 5}, nil, 1e-12},
		{"drift continues the average change", Drift{}, []float64{1, 3, 5, 7}, nil,
			[]float64{9, 11}, []float64{0, 0}, 1e-12},
		{"linear continues an exact line", Linear{}, []float64{5, 8, 11, 14, 17}, nil,
			[]float64{20, 23, 26}, []float64{0, 0, 0}, 1e-9},
		{"theil-sen ignores an outlier", TheilSen{}, []float64{5, 8, 11, 14, 1000, 20, 23, 26, 29}, nil,
			[]float64{32, 35}, nil, 1e-9},
		{"ses forecasts a constant series unchanged", SES{}, []float64{4, 4, 4, 4, 4, 4}, nil,
			[]float64{4, 4, 4}, []float64{0, 0, 0}, 1e-9},
		{"ets picks a trend for a noisy line", ETS{}, periodic(40, 10, 2, []float64{0.1, -0.1}), nil,
			[]float64{90, 92, 94}, nil, 0.5},
		{"holt continues an exact line", Holt{}, periodic(30, 10, 2, []float64{0}), nil,
			[]float64{70, 72, 74}, nil, 1e-6},
		{"additive holt-winters continues line plus season", HoltWinters{Period: 4}, periodic(40, 10, 0.5, pattern4), nil,
			periodic(44, 10, 0.5, pattern4)[40:], nil, 1e-6},
		{"multiplicative holt-winters continues a level times a season", HoltWinters{Period: 4, Multiplicative: true, NoTrend: true},
			mulSeries(40, 50, []float64{1.2, 0.9, 0.7, 1.2}), nil, mulSeries(44, 50, []float64{1.2, 0.9, 0.7, 1.2})[40:], nil, 1e-6},
		{"stl continues a constant plus season", STLModel{Period: 4}, periodic(40, 10, 0, pattern4), nil,
			periodic(46, 10, 0, pattern4)[40:], nil, 1e-6},
		{"mstl continues a constant plus season", MSTLModel{}, periodic(40, 10, 0, pattern4), []int{4},
			periodic(46, 10, 0, pattern4)[40:], nil, 1e-6},
		{"theta continues a constant plus multiplicative season", Theta{Period: 4},
			mulSeries(40, 50, []float64{1.2, 0.9, 0.7, 1.2}), nil, mulSeries(44, 50, []float64{1.2, 0.9, 0.7, 1.2})[40:], nil, 1e-6},
		{"auto continues an exact season", AutoModel{Options: AutoOptions{Periods: []int{4}, Horizon: 4}},
			periodic(60, 10, 0, pattern4), nil, periodic(64, 10, 0, pattern4)[60:], []float64{0, 0, 0, 0}, 1e-6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := predict(t, tc.model, tc.y, tc.periods, len(tc.mean))
			require.InDeltaSlice(t, tc.mean, fc.Mean, tc.tol)
			if tc.halfWidth != nil {
				for i, w := range tc.halfWidth {
					require.InDelta(t, w, fc.Upper[i]-fc.Mean[i], tc.tol, "upper half-width at step %d", i+1)
					require.InDelta(t, w, fc.Mean[i]-fc.Lower[i], tc.tol, "lower half-width at step %d", i+1)
				}
			}
			require.NotEmpty(t, fc.Model)
		})
	}
}

func mulSeries(n int, level float64, s []float64) []float64 {
	y := make([]float64, n)
	for t := range y {
		y[t] = level * s[t%len(s)]
	}
	return y
}

func TestETSAnalyticalVarianceMatchesTheClassOneFormula(t *testing.T) {
	// ETS(A,Ad,A) with known parameters: v_h = σ²(1 + Σ_{j<h} c_j²),
	// c_j = α + βφ_j + γ·1{j ≡ 0 mod m}.
	f := &etsFit{form: etsForm{trend: true, damped: true, season: addSeason, m: 2},
		p: etsParams{alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 0.9}, l: 10, b: 1, s: []float64{1, -1}, n: 6, sigma: 2}
	var fc Forecast
	f.Forecast(&fc, 4, 0.8)
	phiJ := func(j int) float64 {
		s, p := 0.0, 1.0
		for range j {
			p *= 0.9
			s += p
		}
		return s
	}
	sum := 0.0
	for h := 1; h <= 4; h++ {
		want := math.Sqrt(4*(1+sum)) * z80
		require.InDelta(t, want, fc.Upper[h-1]-fc.Mean[h-1], 1e-12, "step %d", h)
		c := 0.3 + 0.1*phiJ(h)
		if h%2 == 0 {
			c += 0.2
		}
		sum += c * c
	}
	// mean: l + φ_h b + s
	require.InDelta(t, 10+0.9+1, fc.Mean[0], 1e-12) // step 1 at phase 6 mod 2 = 0
	require.InDelta(t, 10+0.9+0.81-1, fc.Mean[1], 1e-12)
}

func TestSESReproducesTheRecursionByHand(t *testing.T) {
	y := []float64{10, 12, 11}
	// l0 = mean of the first values (10, 12, 11) = 11; α = 0.5:
	// e1 = −1, l1 = 10.5; e2 = 1.5, l2 = 11.25; e3 = −0.25, l3 = 11.125.
	sse, l, _ := etsSSE(y, etsForm{}, etsParams{alpha: 0.5}, 11, 0, nil, nil)
	require.InDelta(t, 1+2.25+0.0625, sse, 1e-12)
	require.InDelta(t, 11.125, l, 1e-12)
}

func TestTheilSenSubsamplesLongSeriesDeterministically(t *testing.T) {
	y := periodic(2000, 3, 0.25, []float64{0})
	y[100] = 1e6
	a, b := TheilSenLine(y, nil)
	require.InDelta(t, 0.25, b, 1e-12)
	require.InDelta(t, 3-0.25, a, 1e-9) // t is 1-based: y_t = 3 + 0.25(t−1)
}

func TestMedianAndQuickselect(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"odd length", []float64{5, 1, 3}, 3},
		{"even length averages the middle pair", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 2, 1, 9}, 2},
		{"single", []float64{7}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, median(append([]float64(nil), tc.in...)))
		})
	}
	require.True(t, math.IsNaN(median(nil)))
}

func TestConformalIntervalsComeFromValidationErrors(t *testing.T) {
	// a season of 4 whose level alternates by 1 from one season to the next:
	// the seasonal naive errors at every origin are ±1, so the interval is ±1
	y := make([]float64, 48)
	for i := range y {
		y[i] = pattern4[i%4]
		if (i/4)%2 == 1 {
			y[i]++
		}
	}
	fc, err := Predict(Conformal{Model: SeasonalNaive{Period: 4}, Horizon: 4, Origins: 3}, y, FitConfig{}, 4, 0.8)
	require.NoError(t, err)
	require.Equal(t, "snaive+conformal", fc.Model)
	for j := range 4 {
		require.InDelta(t, 1, fc.Upper[j]-fc.Mean[j], 1e-12, "step %d", j+1)
		require.InDelta(t, 1, fc.Mean[j]-fc.Lower[j], 1e-12, "step %d", j+1)
	}
	// too short to validate: the model's own interval, with a warning
	fc, err = Predict(Conformal{Model: Naive{}, Horizon: 10}, []float64{1, 2, 3}, FitConfig{}, 2, 0.8)
	require.NoError(t, err)
	require.Equal(t, "naive", fc.Model)
	require.Contains(t, joinWarnings(fc.Warnings), "too few to validate")
}
