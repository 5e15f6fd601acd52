package capacity_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/series"
)

// target builds the target of a fixtures scenario as the presets do: a
// disk's available bytes falling to 0, a container's working set rising to
// its limit, with its restart counter.
func target(sc fixtures.Scenario) capacity.Target {
	t := capacity.Target{Labels: sc.Series.Labels, Usage: sc.Series, Restarts: sc.Restarts}
	if sc.Direction == fixtures.Down {
		t.Direction = series.Down
		t.Capacity = sc.Limit
		return t
	}
	t.Limit = sc.Limit
	if sc.Limit.Len() == 0 {
		t.LimitValue = math.NaN()
	}
	return t
}

// requireSame fails unless a and b are the same prediction (NaN equal to
// NaN), with a short message.
func requireSame(t *testing.T, a, b capacity.Prediction, msg string) {
	t.Helper()
	sameF := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	require.True(t, sameF(a.Current, b.Current) && sameF(a.Limit, b.Limit) && sameF(a.Capacity, b.Capacity), "%s: values differ", msg)
	eta := func(e *capacity.ETA) [3]time.Duration {
		v := [3]time.Duration{-1, -1, -1}
		if e == nil {
			return v
		}
		for i, d := range []*time.Duration{e.P10, e.P50, e.P90} {
			if d != nil {
				v[i] = *d
			}
		}
		return v
	}
	require.Equal(t, eta(a.ETA), eta(b.ETA), msg)
	require.Equal(t, a.Reason, b.Reason, msg)
	require.Equal(t, a.Pattern, b.Pattern, msg)
	require.Equal(t, a.Model, b.Model, msg)
	require.Equal(t, a.Risk, b.Risk, msg)
	require.Equal(t, a.Segments, b.Segments, msg)
	require.Equal(t, a.LastRestart, b.LastRestart, msg)
	require.Equal(t, a.Warnings, b.Warnings, msg)
	require.Equal(t, a.Labels, b.Labels, msg)
	require.Equal(t, a.AsOf, b.AsOf, msg)
	require.True(t, slices.Equal(a.Forecast.Timestamps, b.Forecast.Timestamps) && slices.Equal(a.Forecast.Mean, b.Forecast.Mean) &&
		slices.Equal(a.Forecast.Lower, b.Forecast.Lower) && slices.Equal(a.Forecast.Upper, b.Forecast.Upper), "%s: forecast paths differ", msg)
}

// p50 returns the P50 ETA or −1 when there is none.
func p50(p capacity.Prediction) time.Duration {
	if p.ETA == nil || p.ETA.P50 == nil {
		return -1
	}
	return *p.ETA.P50
}

// TestPredictSuiteFillsAndTraps runs one scenario of every template of the
// capacity suite: every trap must not be reported as running out, and
// every fill whose truth is within the horizon must be, close to the truth.
func TestPredictSuiteFillsAndTraps(t *testing.T) {
	at := fixtures.SuiteAt()
	for _, sc := range fixtures.CapacitySuite(5, 32) {
		t.Run(sc.Name, func(t *testing.T) {
			p, err := capacity.Predict(target(sc), at, capacity.Config{})
			require.NoError(t, err)
			truth, full := sc.TimeToFull(at)
			switch {
			case sc.Trap:
				require.Equal(t, time.Duration(-1), p50(p), "a trap (%s) must not be exhaustion: %s", sc.Notes, p.Reason)
				require.Less(t, p.Risk, capacity.RiskWarning, p.Reason)
			case full && truth <= 6*24*time.Hour:
				got := p50(p)
				require.GreaterOrEqual(t, got, time.Duration(0), "a fill (%s, truth %s) must be exhaustion: %s", sc.Notes, truth, p.Reason)
				require.InDelta(t, truth.Hours(), got.Hours(), 0.25*truth.Hours()+1, "%s: %s", sc.Notes, p.Reason)
			}
		})
	}
}

// TestPredictPatterns checks the pattern label of hand-built series.
func TestPredictPatterns(t *testing.T) {
	g := fixtures.SuiteGrid()
	at := fixtures.SuiteAt()
	disk := func(used ...fixtures.Component) fixtures.Scenario {
		d := fixtures.Disk{Instance: "n:9100", Device: "/dev/sda1", Mountpoint: "/data", FSType: "xfs", Size: 100 << 30,
			Noise: fixtures.Noise{Sigma: 20 << 20, Phi: 0.5}, Seed: 3, Used: used}
		return d.Scenario(g, at)
	}
	container := func(restarts float64, ws ...fixtures.Component) fixtures.Scenario {
		c := fixtures.Container{Namespace: "ns", Pod: "p-0", Container: "c", Node: "n", Limit: 2 << 30, Restarts: restarts,
			Noise: fixtures.Noise{Sigma: 2 << 20, Phi: 0.5}, Seed: 4, WorkingSet: ws}
		return c.Scenario(g, at)
	}
	gib := float64(1 << 30)
	deploys := []time.Time{at.Add(-250 * time.Hour), at.Add(-170 * time.Hour), at.Add(-100 * time.Hour), at.Add(-30 * time.Hour), at.Add(-5 * time.Hour)}
	cases := []struct {
		name    string
		sc      fixtures.Scenario
		want    capacity.Pattern
		runsOut bool
	}{
		{"steady growth is steady-growth", disk(fixtures.Level{Value: 40 * gib}, fixtures.LinearTrend{PerDay: 3 * gib}), capacity.PatternSteadyGrowth, true},
		{"flat usage is flat", disk(fixtures.Level{Value: 60 * gib}), capacity.PatternFlat, false},
		{"shrinking usage is decreasing", disk(fixtures.Level{Value: 80 * gib}, fixtures.LinearTrend{PerDay: -2 * gib}), capacity.PatternDecreasing, false},
		{"a daily hump is seasonal", disk(fixtures.Level{Value: 50 * gib}, fixtures.DailySeasonality{Amplitude: 20 * gib}), capacity.PatternSeasonal, false},
		{"a nightly job is daily-batch", disk(fixtures.Level{Value: 30 * gib}, fixtures.DailyBatch{Start: 2 * time.Hour, Duration: time.Hour, Hold: time.Hour, Size: 50 * gib}), capacity.PatternDailyBatch, false},
		{"log rotation is sawtooth", disk(fixtures.Level{Value: 30 * gib}, fixtures.LogRotation{Rate: 20 * gib, At: 3 * time.Hour, Compress: 0.1, Keep: 5}), capacity.PatternSawtooth, false},
		{"a one-off jump is step", disk(fixtures.Level{Value: 30 * gib}, fixtures.StepChange{At: at.Add(-50 * time.Hour), Delta: 30 * gib}), capacity.PatternStep, false},
		{"quadratic growth is accelerating", disk(fixtures.Level{Value: 20 * gib}, fixtures.Quadratic{PerDay: 0.5 * gib, PerDay2: 0.4 * gib}), capacity.PatternAccelerating, true},
		{"a leak killed at the limit is leak", container(0, fixtures.Level{Value: 0.6 * gib},
			fixtures.MemoryLeak{Limit: 2 * gib, PerDay: 0.5 * gib, Age: 30 * time.Hour}), capacity.PatternLeak, true},
		{"a warm-up after each deploy is ramp-plateau", container(0, fixtures.Level{Value: 0.2 * gib},
			fixtures.DeployRamp{Deploys: deploys, Plateau: gib, Tau: 2 * time.Hour}), capacity.PatternRampPlateau, false},
		{"a GC sawtooth is sawtooth", container(0, fixtures.Level{Value: 0.8 * gib},
			fixtures.GCSawtooth{Period: 10 * time.Minute, Amplitude: 0.5 * gib, Jitter: 0.2}), capacity.PatternSawtooth, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := capacity.Predict(target(c.sc), at, capacity.Config{})
			require.NoError(t, err)
			require.Equal(t, c.want, p.Pattern, p.Reason)
			require.Equal(t, c.runsOut, p50(p) >= 0, p.Reason)
			require.NotEmpty(t, p.Reason)
			require.NotEmpty(t, p.Model)
		})
	}
}

// TestPredictQuantilesAreOrdered checks P10 ≤ P50 ≤ P90 over the suite at
// several as-of instants, and that a set P50 comes with a set P10.
func TestPredictQuantilesAreOrdered(t *testing.T) {
	for _, sc := range fixtures.CapacitySuite(9, 32) {
		for _, off := range []time.Duration{-72 * time.Hour, -7 * time.Hour, 0, 41 * time.Hour} {
			at := fixtures.SuiteAt().Add(off)
			p, err := capacity.Predict(target(sc), at, capacity.Config{})
			require.NoError(t, err)
			if p.ETA == nil {
				continue
			}
			e := p.ETA
			require.NotNil(t, e.P10, "%s at %s: an ETA without P10", sc.Name, at)
			if e.P50 != nil {
				require.LessOrEqual(t, *e.P10, *e.P50, sc.Name)
			}
			if e.P90 != nil {
				require.NotNil(t, e.P50, sc.Name)
				require.LessOrEqual(t, *e.P50, *e.P90, sc.Name)
			}
		}
	}
}

// TestPredictUsesOnlyDataUpToAsOf checks that samples after the as-of
// instant, whatever they are, never change the prediction.
func TestPredictUsesOnlyDataUpToAsOf(t *testing.T) {
	at := fixtures.SuiteAt().Add(-30 * time.Hour)
	for _, sc := range fixtures.CapacitySuite(11, 16) {
		t.Run(sc.Name, func(t *testing.T) {
			full := target(sc)
			cut := full
			ms := at.UnixMilli()
			cut.Usage, cut.Limit, cut.Restarts, cut.Capacity = full.Usage.AsOf(ms), full.Limit.AsOf(ms), full.Restarts.AsOf(ms), full.Capacity.AsOf(ms)
			// Corrupt everything after at in a copy.
			bad := full
			bad.Usage = full.Usage.Clone()
			for i, ts := range bad.Usage.Timestamps {
				if ts > ms {
					bad.Usage.Values[i] = 1e30 * float64(i%3-1)
				}
			}
			a, err := capacity.Predict(full, at, capacity.Config{})
			require.NoError(t, err)
			b, err := capacity.Predict(cut, at, capacity.Config{})
			require.NoError(t, err)
			c, err := capacity.Predict(bad, at, capacity.Config{})
			require.NoError(t, err)
			requireSame(t, b, a, "full series")
			requireSame(t, b, c, "corrupted future")
		})
	}
}

func regular(n int, step time.Duration, f func(i int) float64) series.Series {
	s := series.Series{Labels: series.New(series.MetricName, "used_bytes", "instance", "a")}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		s.Timestamps = append(s.Timestamps, t0.Add(time.Duration(i)*step).UnixMilli())
		s.Values = append(s.Values, f(i))
	}
	return s
}

func lastTime(s series.Series) time.Time { return time.UnixMilli(s.Last()).UTC() }

// TestPredictDataProblems checks degenerate input: no panic, a pattern
// that says what is wrong, and a warning.
func TestPredictDataProblems(t *testing.T) {
	day := 288
	growing := regular(14*day, 5*time.Minute, func(i int) float64 { return 1000 + float64(i) })
	cases := []struct {
		name    string
		usage   series.Series
		limit   float64
		want    capacity.Pattern
		warning bool
	}{
		{"an empty series is insufficient data", series.Series{}, 100, capacity.PatternInsufficientData, true},
		{"five samples are insufficient data", regular(5, time.Minute, func(i int) float64 { return float64(i) }), 100, capacity.PatternInsufficientData, true},
		{"an hour of samples is insufficient data", regular(13, 5*time.Minute, func(i int) float64 { return float64(i) }), 100, capacity.PatternInsufficientData, true},
		{"an all-NaN series is insufficient data", regular(500, 5*time.Minute, func(int) float64 { return math.NaN() }), 100, capacity.PatternInsufficientData, true},
		{"a constant series is flat", regular(14*day, 5*time.Minute, func(int) float64 { return 42 }), 100, capacity.PatternFlat, false},
		{"a constant series at zero is flat", regular(14*day, 5*time.Minute, func(int) float64 { return 0 }), 100, capacity.PatternFlat, false},
		{"a NaN limit is no limit", growing, math.NaN(), capacity.PatternNoLimit, false},
		{"an infinite limit is no limit", growing, math.Inf(1), capacity.PatternNoLimit, false},
		{"a zero limit upwards is no limit", growing, 0, capacity.PatternNoLimit, false},
		{"mostly NaN with a few points still predicts", regular(14*day, 5*time.Minute, func(i int) float64 {
			if i%50 != 0 {
				return math.NaN()
			}
			return float64(i)
		}), 5000, capacity.PatternSteadyGrowth, true},
		{"infinite values are skipped", regular(14*day, 5*time.Minute, func(i int) float64 {
			if i%97 == 0 {
				return math.Inf(1)
			}
			return float64(i)
		}), 5000, capacity.PatternSteadyGrowth, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := capacity.Target{Labels: c.usage.Labels, Usage: c.usage, LimitValue: c.limit}
			at := lastTime(c.usage)
			if c.usage.Len() == 0 {
				at = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			p, err := capacity.Predict(tg, at, capacity.Config{})
			require.NoError(t, err)
			require.Equal(t, c.want, p.Pattern, p.Reason)
			require.Equal(t, c.warning, len(p.Warnings) > 0, "%v", p.Warnings)
			require.NotEmpty(t, p.Reason)
			if c.want == capacity.PatternInsufficientData || c.want == capacity.PatternNoLimit {
				require.Nil(t, p.ETA)
				require.Equal(t, capacity.RiskOK, p.Risk)
			}
		})
	}
}

func TestPredictRejectsInvalidSeries(t *testing.T) {
	s := series.Series{Timestamps: []int64{2, 1}, Values: []float64{1, 2}}
	_, err := capacity.Predict(capacity.Target{Usage: s, LimitValue: 10}, time.UnixMilli(5), capacity.Config{})
	require.ErrorIs(t, err, capacity.ErrInvalidSeries)
	s = series.Series{Timestamps: []int64{1, 2}, Values: []float64{1}}
	_, err = capacity.Predict(capacity.Target{Restarts: s, LimitValue: 10}, time.UnixMilli(5), capacity.Config{})
	require.ErrorIs(t, err, capacity.ErrInvalidSeries)
	_, err = capacity.Predict(capacity.Target{Direction: 7}, time.UnixMilli(5), capacity.Config{})
	require.Error(t, err)
}

// TestPredictExhausted checks a resource already at its limit.
func TestPredictExhausted(t *testing.T) {
	for _, dir := range []series.Direction{series.Up, series.Down} {
		t.Run(dir.String(), func(t *testing.T) {
			sign := 1.0
			if dir == series.Down {
				sign = -1
			}
			u := regular(3*288, 5*time.Minute, func(i int) float64 { return sign * float64(i) })
			lim := sign * 500
			p, err := capacity.Predict(capacity.Target{Usage: u, LimitValue: lim, Direction: dir}, lastTime(u), capacity.Config{})
			require.NoError(t, err)
			require.NotNil(t, p.ETA)
			require.Equal(t, time.Duration(0), *p.ETA.P10)
			require.Equal(t, time.Duration(0), *p.ETA.P50)
			require.Equal(t, time.Duration(0), *p.ETA.P90)
			require.Equal(t, capacity.RiskCritical, p.Risk)
			require.Contains(t, p.Reason, "Already")
		})
	}
}

// TestPredictRisk checks the risk levels against the thresholds for a
// straight line whose ETA is known.
func TestPredictRisk(t *testing.T) {
	// 1 unit per 5 minutes: 288 per day; 14 days of history end at 4032.
	u := regular(14*288, 5*time.Minute, func(i int) float64 { return float64(i) })
	at := lastTime(u)
	cases := []struct {
		name  string
		limit float64
		cfg   capacity.Config
		want  capacity.Risk
	}{
		{"12 hours is critical", 4031 + 144, capacity.Config{}, capacity.RiskCritical},
		{"3 days is a warning", 4031 + 3*288, capacity.Config{}, capacity.RiskWarning},
		{"3 days is critical with a 4-day critical threshold", 4031 + 3*288, capacity.Config{Critical: 96 * time.Hour}, capacity.RiskCritical},
		{"10 days is ok with a 7-day horizon", 4031 + 10*288, capacity.Config{}, capacity.RiskOK},
		{"10 days is a warning with a 14-day horizon and warning", 4031 + 10*288, capacity.Config{Horizon: 14 * 24 * time.Hour, Warning: 14 * 24 * time.Hour}, capacity.RiskWarning},
		{"10 days is info when only the horizon covers it", 4031 + 10*288, capacity.Config{Horizon: 14 * 24 * time.Hour}, capacity.RiskInfo},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := capacity.Predict(capacity.Target{Usage: u, LimitValue: c.limit}, at, c.cfg)
			require.NoError(t, err)
			require.Equal(t, c.want, p.Risk, p.Reason)
			if p.ETA != nil && p.ETA.P50 != nil {
				want := time.Duration((c.limit - 4031) / 288 * float64(24*time.Hour))
				require.InDelta(t, want.Minutes(), p.ETA.P50.Minutes(), 10)
			}
		})
	}
}

// TestPredictDirections checks that Up and Down mirror each other.
func TestPredictDirections(t *testing.T) {
	up := regular(7*288, 5*time.Minute, func(i int) float64 { return 100 + float64(i) + 3*math.Sin(float64(i)) })
	down := up.Clone()
	for i := range down.Values {
		down.Values[i] = 5000 - down.Values[i]
	}
	at := lastTime(up)
	a, err := capacity.Predict(capacity.Target{Usage: up, LimitValue: 3000}, at, capacity.Config{})
	require.NoError(t, err)
	b, err := capacity.Predict(capacity.Target{Usage: down, LimitValue: 2000, Direction: series.Down}, at, capacity.Config{})
	require.NoError(t, err)
	require.Equal(t, a.ETA, b.ETA)
	require.Equal(t, a.Pattern, b.Pattern)
	require.Equal(t, series.Down, b.Direction)
	require.InDelta(t, 5000-a.Forecast.Mean[10], b.Forecast.Mean[10], 1e-6)
	require.InDelta(t, 5000-a.Forecast.Upper[10], b.Forecast.Lower[10], 1e-6)
}

// TestPredictForecastPath checks the chart path: after the last sample,
// capped in length, ordered bands.
func TestPredictForecastPath(t *testing.T) {
	u := regular(14*288, 5*time.Minute, func(i int) float64 { return float64(i) + 20*math.Sin(float64(i)/7) })
	p, err := capacity.Predict(capacity.Target{Usage: u, LimitValue: 1e5}, lastTime(u), capacity.Config{ForecastPoints: 100})
	require.NoError(t, err)
	fp := p.Forecast
	require.LessOrEqual(t, len(fp.Timestamps), 100)
	require.NotEmpty(t, fp.Timestamps)
	require.Greater(t, fp.Timestamps[0], u.Last())
	for i := range fp.Timestamps {
		require.LessOrEqual(t, fp.Lower[i], fp.Mean[i])
		require.LessOrEqual(t, fp.Mean[i], fp.Upper[i])
	}
	p, err = capacity.Predict(capacity.Target{Usage: u, LimitValue: 1e5}, lastTime(u), capacity.Config{ForecastPoints: -1})
	require.NoError(t, err)
	require.Empty(t, p.Forecast.Timestamps)
}

// TestPredictSegmentsAtRestarts checks that a restart counter cuts the
// series and the ETA is the next kill.
func TestPredictSegmentsAtRestarts(t *testing.T) {
	g := fixtures.SuiteGrid()
	at := fixtures.SuiteAt()
	c := fixtures.Container{Namespace: "ns", Pod: "p", Container: "c", Node: "n", Limit: 1 << 30, Seed: 8,
		Noise: fixtures.Noise{Sigma: 1 << 20, Phi: 0.5},
		WorkingSet: []fixtures.Component{fixtures.Level{Value: 300 << 20},
			fixtures.MemoryLeak{Limit: 1 << 30, PerDay: 250 << 20, Age: 40 * time.Hour}}}
	sc := c.Scenario(g, at)
	p, err := capacity.Predict(target(sc), at, capacity.Config{})
	require.NoError(t, err)
	require.Equal(t, capacity.PatternLeak, p.Pattern, p.Reason)
	require.Greater(t, p.Segments, 3)
	require.False(t, p.LastRestart.IsZero())
	require.True(t, p.LastRestart.Before(at))
	truth, ok := sc.TimeToFull(at)
	require.True(t, ok)
	require.InDelta(t, truth.Hours(), p50(p).Hours(), 0.1*truth.Hours(), p.Reason)
}

func TestPredictAll(t *testing.T) {
	scs := fixtures.CapacitySuite(3, 12)
	targets := make([]capacity.Target, len(scs))
	for i, sc := range scs {
		targets[i] = target(sc)
	}
	bad := capacity.Target{Labels: series.New("x", "bad"), Usage: series.Series{Timestamps: []int64{3, 1}, Values: []float64{1, 2}}}
	targets = append(targets, bad)
	at := fixtures.SuiteAt()
	got, err := capacity.PredictAll(context.Background(), targets, at, capacity.Config{}, 3)
	require.ErrorIs(t, err, capacity.ErrInvalidSeries)
	require.Len(t, got, len(targets))
	for i, sc := range scs {
		want, err := capacity.Predict(target(sc), at, capacity.Config{})
		require.NoError(t, err)
		requireSame(t, want, got[i], sc.Name)
	}
	require.Equal(t, capacity.PatternInsufficientData, got[len(got)-1].Pattern)
	require.NotEmpty(t, got[len(got)-1].Warnings)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = capacity.PredictAll(ctx, targets, at, capacity.Config{}, 2)
	require.True(t, errors.Is(err, context.Canceled))
}

func TestRiskText(t *testing.T) {
	for _, r := range []capacity.Risk{capacity.RiskOK, capacity.RiskInfo, capacity.RiskWarning, capacity.RiskCritical} {
		b, err := r.MarshalText()
		require.NoError(t, err)
		var back capacity.Risk
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, r, back)
	}
	var r capacity.Risk
	require.Error(t, r.UnmarshalText([]byte("severe")))
	d, err := series.ParseDirection("down")
	require.NoError(t, err)
	require.Equal(t, series.Down, d)
	_, err = series.ParseDirection("sideways")
	require.Error(t, err)
}

// TestPredictAutocorrelatedNoise checks that steady growth under strongly
// autocorrelated AR(1) noise is steady growth, not a sawtooth, and that
// the P10–P90 interval contains the crossing of the noiseless line in
// most of 20 series (an 80% interval: at least 12 of 20).
func TestPredictAutocorrelatedNoise(t *testing.T) {
	for _, phi := range []float64{0.8, 0.95} {
		t.Run(fmt.Sprintf("growth under AR(1) noise with φ=%g is steady growth with intervals around the truth", phi), func(t *testing.T) {
			const perDay, limit, runs = 2.0, 70.0, 20
			covered := 0
			for seed := range uint64(runs) {
				r := rand.New(rand.NewPCG(seed, uint64(phi*100)))
				e := 0.0
				s := regular(14*288, 5*time.Minute, func(i int) float64 {
					e = phi*e + r.NormFloat64()
					return 30 + perDay*float64(i)/288 + e
				})
				p, err := capacity.Predict(capacity.Target{Usage: s, LimitValue: limit, Direction: series.Up}, lastTime(s), capacity.Config{})
				require.NoError(t, err)
				require.Equal(t, capacity.PatternSteadyGrowth, p.Pattern, p.Reason)
				require.NotNil(t, p.ETA)
				require.NotNil(t, p.ETA.P10)
				last := float64(len(s.Values) - 1)
				truth := time.Duration((limit - (30 + perDay*last/288)) / perDay * float64(24*time.Hour))
				if *p.ETA.P10 <= truth && (p.ETA.P90 == nil || truth <= *p.ETA.P90) {
					covered++
				}
			}
			require.GreaterOrEqual(t, covered, 12)
		})
	}
}

func TestPredictMarksATargetThatStoppedReportingAsStale(t *testing.T) {
	day := 288
	usage := regular(10*day, 5*time.Minute, func(i int) float64 { return 1000 + float64(i) })
	last := lastTime(usage)
	tg := capacity.Target{Labels: series.New("pod", "gone"), Usage: usage, LimitValue: 1e9}
	t.Run("ten hours without a sample is stale and says so", func(t *testing.T) {
		p, err := capacity.Predict(tg, last.Add(10*time.Hour), capacity.Config{})
		require.NoError(t, err)
		require.True(t, p.Stale)
		require.Equal(t, last, p.LastSample)
		require.Equal(t, capacity.RiskOK, p.Risk)
		require.Contains(t, p.Reason, "Stale: last sample 10.0h ago (")
		require.Contains(t, p.Warnings, "last sample is 10.0h old")
	})
	t.Run("a current target is not stale", func(t *testing.T) {
		p, err := capacity.Predict(tg, last.Add(2*time.Minute), capacity.Config{})
		require.NoError(t, err)
		require.False(t, p.Stale)
		require.NotContains(t, p.Reason, "Stale")
	})
	t.Run("hourly data is not stale 90 minutes after its last sample", func(t *testing.T) {
		hourly := regular(20*24, time.Hour, func(i int) float64 { return float64(i) })
		p, err := capacity.Predict(capacity.Target{Usage: hourly, LimitValue: 1e9}, lastTime(hourly).Add(90*time.Minute), capacity.Config{})
		require.NoError(t, err)
		require.False(t, p.Stale, p.Reason)
	})
}

func TestPredictRefusesMagnitudesItCannotComputeWith(t *testing.T) {
	day := 288
	for _, c := range []struct {
		name  string
		usage series.Series
		limit float64
		want  string
	}{
		{"usage at ±1e308", regular(14*day, 5*time.Minute, func(i int) float64 { return 1e308 * float64(1-2*(i%2)) }), 100, "Cannot predict: the usage reaches 1e+308, beyond the ±1e+150"},
		{"a limit of 1.7e308", regular(14*day, 5*time.Minute, func(i int) float64 { return float64(i) }), 1.7e308, "Cannot predict: the limit reaches 1.7e+308"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := capacity.Predict(capacity.Target{Usage: c.usage, LimitValue: c.limit}, lastTime(c.usage), capacity.Config{})
			require.NoError(t, err)
			require.Equal(t, capacity.PatternInsufficientData, p.Pattern)
			require.Contains(t, p.Reason, c.want)
			require.Nil(t, p.ETA)
			require.NotEmpty(t, p.Warnings)
		})
	}
}
