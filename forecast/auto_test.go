package forecast

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// hourly returns n hourly values with daily and weekly patterns, a trend
// and Gaussian noise of the given standard deviation.
func hourly(n int, noise float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 99))
	y := make([]float64, n)
	phase := int(seed % 7)
	for t := range y {
		day := 20 * math.Sin(2*math.Pi*float64(t)/24)
		week := 1.0
		if (t/24+phase)%7 >= 5 {
			week = 0.7
		}
		y[t] = (200+0.05*float64(t)+day)*week + noise*r.NormFloat64()
	}
	return y
}

func TestCandidatePeriodsFollowTheStep(t *testing.T) {
	tests := []struct {
		step time.Duration
		want []int
	}{
		{time.Hour, []int{24, 168}},
		{5 * time.Minute, []int{288, 2016}},
		{time.Minute, []int{1440, 10080}},
		{7 * time.Minute, []int{1440}}, // a week, not a day
		{11 * time.Minute, nil},
		{24 * time.Hour, []int{7}},
		{0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.step.String(), func(t *testing.T) {
			got := CandidatePeriods(tc.step)
			if len(tc.want) == 0 {
				require.Empty(t, got)
				return
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestAutoDetectsDailyAndWeeklyPeriodsAndExplainsItsChoice(t *testing.T) {
	y := hourly(24*21, 3, 1)
	fc, err := Auto(y, AutoOptions{Step: time.Hour, Horizon: 48})
	require.NoError(t, err)
	require.Equal(t, []int{24, 168}, fc.Periods)
	require.True(t, strings.HasPrefix(fc.Model, "auto:"), fc.Model)
	require.Contains(t, fc.Reason, "24 (ACF test)")
	require.Contains(t, fc.Reason, "168 (lag-168 error")
	require.Contains(t, fc.Reason, "-origin validation")
	require.Len(t, fc.Mean, 48)
	require.Equal(t, 0.8, fc.Level)
	// the week-end drop after the last observed day is anticipated
	truth := hourly(24*21+48, 0, 1)[24*21:]
	mae := 0.0
	for i, v := range truth {
		mae += math.Abs(v - fc.Mean[i])
	}
	require.Less(t, mae/48, 6.0)
}

func TestAutoWithoutSeasonalityUsesNonSeasonalMembers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	y := make([]float64, 400)
	v := 50.0
	for i := range y {
		v += r.NormFloat64()
		y[i] = v
	}
	fc, err := Auto(y, AutoOptions{Step: time.Hour, Horizon: 24})
	require.NoError(t, err)
	require.Empty(t, fc.Periods)
	require.Contains(t, fc.Reason, "none seasonal")
}

func TestAutoFallsBackOnShortHistoryWithAWarning(t *testing.T) {
	y := hourly(30, 1, 2)
	fc, err := Auto(y, AutoOptions{Step: time.Hour, Horizon: 48})
	require.NoError(t, err)
	require.Len(t, fc.Mean, 48)
	require.Contains(t, joinWarnings(fc.Warnings), "too few to validate")
}

func TestAutoForecastsBeyondTheValidationHorizon(t *testing.T) {
	y := hourly(24*21, 3, 3)
	f, err := AutoModel{Options: AutoOptions{Step: time.Hour, Horizon: 24}}.Fit(y, FitConfig{})
	require.NoError(t, err)
	var fc Forecast
	f.Forecast(&fc, 72, 0.8)
	require.Len(t, fc.Mean, 72)
	require.Greater(t, fc.Upper[71]-fc.Lower[71], fc.Upper[23]-fc.Lower[23], "widths grow beyond the validated steps")
	// reusing the destination gives the same answer
	first := append([]float64(nil), fc.Mean...)
	f.Forecast(&fc, 72, 0.8)
	require.Equal(t, first, fc.Mean)
}

func TestAutoIntervalsAreCalibratedOnSimulatedSeries(t *testing.T) {
	covered, total := 0, 0
	for s := range 40 {
		all := hourly(24*28+24, 5, uint64(100+s))
		y, test := all[:24*28], all[24*28:]
		fc, err := Auto(y, AutoOptions{Step: time.Hour, Horizon: 24})
		require.NoError(t, err)
		for i, v := range test {
			if v >= fc.Lower[i] && v <= fc.Upper[i] {
				covered++
			}
			total++
		}
	}
	c := float64(covered) / float64(total)
	t.Logf("coverage of the 80%% interval: %.3f", c)
	require.InDelta(t, 0.8, c, 0.1)
}

func TestAutoFollowsASteadyTrendWithoutSeasonality(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	y := make([]float64, 300)
	for i := range y {
		y[i] = 100 + 2*float64(i) + r.NormFloat64()
	}
	fc, err := Auto(y, AutoOptions{Step: time.Hour, Horizon: 24})
	require.NoError(t, err)
	require.Empty(t, fc.Periods)
	require.Contains(t, fc.Model, "linear-recent")
	require.InDelta(t, 100+2*float64(300+23), fc.Mean[23], 3, "the trend is continued, not damped away")
	// the disk-full question: when does it cross 700 (at step 1 + (700−700)/2 = 1 … )
	c := ETA(fc, 740, series.Up)
	require.NotNil(t, c.P50)
	require.InDelta(t, 21, *c.P50, 1.5)
}

func TestAutoModelNamesOnlyTheMembersThatCarryWeight(t *testing.T) {
	// A straight line: linear-recent is exact and takes all the weight.
	y := make([]float64, 24*14)
	for i := range y {
		y[i] = float64(i)
	}
	fc, err := Auto(y, AutoOptions{Step: time.Hour, Horizon: 24})
	require.NoError(t, err)
	require.Equal(t, "auto:linear-recent", fc.Model)
	require.Contains(t, fc.Reason, "linear-recent 1.00 (and 2 weighing under 0.01)")

	// Seasonal data with noise: every member named has a weight shown.
	fc, err = Auto(hourly(24*21, 3, 1), AutoOptions{Step: time.Hour, Horizon: 24})
	require.NoError(t, err)
	for _, name := range strings.Split(strings.TrimPrefix(fc.Model, "auto:"), "+") {
		require.Regexp(t, regexp.QuoteMeta(name)+` (0\.[0-9][1-9]|0\.[1-9][0-9]|1\.00)`, fc.Reason)
	}
}

func TestReasonsWriteNumbersWithoutExponents(t *testing.T) {
	y := make([]float64, 24*14)
	for i := range y {
		y[i] = 1.1e10 + 3e9*math.Sin(2*math.Pi*float64(i)/24) + 1e7*float64(i)
	}
	exp := regexp.MustCompile(`[0-9]e[+-]?[0-9]`)
	for _, name := range ModelNames() {
		t.Run(name, func(t *testing.T) {
			m, err := ByName(name)
			require.NoError(t, err)
			var fc *Forecast
			if name == "auto" {
				fc, err = Auto(y, AutoOptions{Step: time.Hour, Horizon: 24})
			} else {
				fc, err = Predict(m, y, FitConfig{Periods: CandidatePeriods(time.Hour)}, 24, 0.8)
			}
			require.NoError(t, err)
			require.NotRegexp(t, exp, fc.Reason)
		})
	}
}
