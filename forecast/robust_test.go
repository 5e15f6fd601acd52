package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func allModels() []Model {
	var ms []Model
	for _, n := range ModelNames() {
		m, err := ByName(n)
		if err != nil {
			panic(err)
		}
		ms = append(ms, m)
	}
	return append(ms, ETS{}, HoltWinters{Multiplicative: true}, HoltWinters{NoTrend: true}, Holt{},
		AutoModel{Options: AutoOptions{Step: time.Hour, Horizon: 6}})
}

func TestEveryModelFallsBackOnShortHistoriesWithAWarning(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 9} {
		y := make([]float64, n)
		for i := range y {
			y[i] = 10 + float64(i)
		}
		for _, m := range allModels() {
			t.Run(m.Name(), func(t *testing.T) {
				fc, err := Predict(m, y, FitConfig{Periods: []int{4}}, 6, 0.8)
				require.NoError(t, err, "%d values", n)
				require.Len(t, fc.Mean, 6)
				for i, v := range fc.Mean {
					require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%d values: step %d is %v", n, i+1, v)
				}
				switch m.Name() {
				case "naive", "drift", "ses", "ets":
					// these work from one value (drift says so itself)
				default:
					if n < 3 {
						require.NotEmpty(t, fc.Warnings, "%d values should warn", n)
					}
				}
			})
		}
	}
}

func TestEveryModelRejectsAHistoryWithoutFiniteValues(t *testing.T) {
	for _, y := range [][]float64{nil, {}, {math.NaN(), math.NaN()}, {math.Inf(1)}} {
		for _, m := range allModels() {
			_, err := m.Fit(y, FitConfig{Periods: []int{4}})
			require.ErrorIs(t, err, ErrNoData, "%s on %v", m.Name(), y)
		}
	}
}

func TestEveryModelImputesMissingValuesAndSaysSo(t *testing.T) {
	y := periodic(64, 10, 0, pattern4)
	y[0] = math.NaN()
	y[13] = math.NaN()
	y[63] = math.NaN()
	for _, m := range allModels() {
		t.Run(m.Name(), func(t *testing.T) {
			fc, err := Predict(m, y, FitConfig{Periods: []int{4}}, 4, 0.8)
			require.NoError(t, err)
			require.Contains(t, joinWarnings(fc.Warnings), "imputed 2 of 63 values")
			require.Contains(t, joinWarnings(fc.Warnings), "dropped 1 leading missing values")
			for _, v := range fc.Mean {
				require.False(t, math.IsNaN(v))
			}
		})
	}
}

func joinWarnings(w []string) string {
	s := ""
	for _, x := range w {
		s += x + "\n"
	}
	return s
}

func TestImputeKeepsTheSeasonalPhase(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		y      []float64
		period int
		want   []float64
		k      int
	}{
		{"same phase on both sides interpolates between seasons",
			[]float64{1, 5, 2, 6, nan, 7, 4, 8}, 2, []float64{1, 5, 2, 6, 3, 7, 4, 8}, 1},
		{"a trailing gap takes the previous season",
			[]float64{1, 5, 2, 6, nan, nan}, 2, []float64{1, 5, 2, 6, 2, 6}, 2},
		{"a leading gap takes the next season",
			[]float64{nan, 5, 2, 6}, 2, []float64{2, 5, 2, 6}, 1},
		{"without period interpolates in time",
			[]float64{1, nan, nan, 4}, 0, []float64{1, 2, 3, 4}, 2},
		{"infinities are missing values", []float64{1, math.Inf(1), 3}, 0, []float64{1, 2, 3}, 1},
		{"nothing to do", []float64{1, 2}, 2, []float64{1, 2}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, k, err := Impute(nil, tc.y, tc.period)
			require.NoError(t, err)
			require.Equal(t, tc.k, k)
			require.Equal(t, tc.want, got)
		})
	}
	_, _, err := Impute(nil, []float64{nan}, 2)
	require.ErrorIs(t, err, ErrNoData)
}

func TestLevelOtherThanDefaultWidensTheInterval(t *testing.T) {
	y := []float64{1, 2, 4, 3, 5, 4, 6, 5}
	var w80, w95 float64
	for _, lv := range []float64{0.8, 0.95} {
		fc, err := Predict(Naive{}, y, FitConfig{}, 1, lv)
		require.NoError(t, err)
		require.Equal(t, lv, fc.Level)
		if lv == 0.8 {
			w80 = fc.Upper[0] - fc.Lower[0]
		} else {
			w95 = fc.Upper[0] - fc.Lower[0]
		}
	}
	require.InDelta(t, 1.959963984540054/z80, w95/w80, 1e-9)
	fc, err := Predict(Naive{}, y, FitConfig{}, 1, 7)
	require.NoError(t, err)
	require.Equal(t, DefaultLevel, fc.Level, "an invalid level falls back to the default")
}

func TestByNameKnowsEveryListedModel(t *testing.T) {
	for _, n := range ModelNames() {
		m, err := ByName(n)
		require.NoError(t, err)
		require.NotNil(t, m)
	}
	_, err := ByName("prophet")
	require.ErrorIs(t, err, ErrUnknownModel)
}

func FuzzAutoNeverPanics(f *testing.F) {
	f.Add(int64(1), uint16(50), uint8(0), uint8(4))
	f.Add(int64(2), uint16(400), uint8(10), uint8(24))
	f.Add(int64(3), uint16(3), uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, seed int64, n uint16, nanPct uint8, period uint8) {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		y := make([]float64, int(n)%600)
		for i := range y {
			switch {
			case r.IntN(100) < int(nanPct)%100:
				y[i] = math.NaN()
			case r.IntN(50) == 0:
				y[i] = 0
			default:
				y[i] = 100*math.Sin(float64(i)/3) + r.NormFloat64()*float64(seed%7) + float64(seed%3)*float64(i)
			}
		}
		for _, m := range []Model{AutoModel{Options: AutoOptions{Periods: []int{int(period), 2 * int(period)}, Horizon: 8}}, MSTLModel{}, HoltWinters{Multiplicative: true, Damped: true}, Theta{}} {
			fc, err := Predict(m, y, FitConfig{Periods: []int{int(period)}}, 8, 0.8)
			if err != nil {
				require.ErrorIs(t, err, ErrNoData)
				continue
			}
			require.Len(t, fc.Mean, 8)
		}
	})
}
