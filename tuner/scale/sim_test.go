package scale

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday

// constant returns a demand of n samples of one cpu load per step.
func constant(load float64, n int, step time.Duration) Demand {
	l := make([]float64, n)
	for i := range l {
		l[i] = load
	}
	return Demand{Start: t0, Step: step, Load: map[string][]float64{"cpu": l}}
}

// replicasAt returns the replicas after the sync at t0+at.
func replicasAt(t *testing.T, r Result, at time.Duration) int32 {
	t.Helper()
	for _, p := range r.Trace {
		if p.T.Equal(t0.Add(at)) {
			return p.Replicas
		}
	}
	t.Fatalf("no sync at %s", at)
	return 0
}

func cpuPolicy(minR, maxR int32, target float64) Policy {
	return Policy{
		MinReplicas: minR, MaxReplicas: maxR,
		Metrics: []Metric{{Name: "cpu", Type: Utilization, Target: target, Request: 1}},
		ScaleUp: DefaultScaleUp(), ScaleDown: DefaultScaleDown(),
	}
}

// The examples of the Kubernetes documentation ("Horizontal Pod
// Autoscaling", Algorithm details and Configurable scaling behavior),
// computed by hand.
func TestSimulateFollowsTheDocumentationExamples(t *testing.T) {
	t.Run("200m against a 100m target doubles the replicas", func(t *testing.T) {
		p := Policy{MinReplicas: 1, MaxReplicas: 100, ScaleUp: DefaultScaleUp(), ScaleDown: DefaultScaleDown(),
			Metrics: []Metric{{Name: "cpu", Source: SourceResource, Type: AverageValue, Target: 0.1}}}
		r, err := Simulate(p, constant(2*0.2, 4, time.Minute), SimConfig{InitialReplicas: 2, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(4), replicasAt(t, r, 0))
		require.Equal(t, int32(4), replicasAt(t, r, 45*time.Second), "0.4 cores over 4 pods is the target")
	})
	t.Run("50m against a 100m target halves them once the 300s stabilisation window has passed", func(t *testing.T) {
		p := Policy{MinReplicas: 1, MaxReplicas: 100, ScaleUp: DefaultScaleUp(), ScaleDown: DefaultScaleDown(),
			Metrics: []Metric{{Name: "cpu", Source: SourceResource, Type: AverageValue, Target: 0.1}}}
		r, err := Simulate(p, constant(4*0.05, 10, time.Minute), SimConfig{InitialReplicas: 4, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(4), replicasAt(t, r, 0))
		require.Equal(t, int32(4), replicasAt(t, r, 285*time.Second))
		require.Equal(t, int32(2), replicasAt(t, r, 300*time.Second))
		require.Equal(t, 1, r.ScaleEvents)
	})
	t.Run("50 replicas at 90% against 75% go to 60; at 80% the 10% tolerance keeps 50", func(t *testing.T) {
		r, err := Simulate(cpuPolicy(1, 100, 0.75), constant(50*0.9, 2, time.Minute), SimConfig{InitialReplicas: 50, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(60), replicasAt(t, r, 0))
		r, err = Simulate(cpuPolicy(1, 100, 0.75), constant(50*0.8, 2, time.Minute), SimConfig{InitialReplicas: 50, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(50), replicasAt(t, r, 0))
		require.Zero(t, r.ScaleEvents)
	})
	t.Run("the default scale-up adds the larger of 4 pods and 100% every 15s: 1, 5, 10, 20", func(t *testing.T) {
		r, err := Simulate(cpuPolicy(1, 100, 0.5), constant(20*0.5, 2, time.Minute), SimConfig{InitialReplicas: 1, Trace: true})
		require.NoError(t, err)
		for at, want := range map[time.Duration]int32{0: 5, 15 * time.Second: 10, 30 * time.Second: 20, 45 * time.Second: 20} {
			require.Equal(t, want, replicasAt(t, r, at), "at %s", at)
		}
	})
	t.Run("Pods 4 and Percent 10 per 60s take 80 replicas down by 8 while above 40, then by 4", func(t *testing.T) {
		p := cpuPolicy(1, 100, 0.5)
		p.ScaleDown.Policies = []RatePolicy{{Pods, 4, 60 * time.Second}, {Percent, 10, 60 * time.Second}}
		r, err := Simulate(p, constant(10*0.5, 30, time.Minute), SimConfig{InitialReplicas: 80, Trace: true})
		require.NoError(t, err)
		// The stabilisation window (300s) holds 80 until 300s, then a step
		// every 60s: 80×0.9 = 72, 72×0.9 = 64.8 → 64 (7.2 rounded up to 8
		// removed), 57, 51, 45, 40, then 4 at a time, then the last 2.
		want := []int32{72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10, 10}
		require.Equal(t, int32(80), replicasAt(t, r, 285*time.Second))
		for i, w := range want {
			at := 300*time.Second + time.Duration(i)*time.Minute
			require.Equal(t, w, replicasAt(t, r, at), "step %d at %s", i, at)
			if i+1 < len(want) && w != 10 {
				require.Equal(t, w, replicasAt(t, r, at+45*time.Second), "nothing more within the period")
			}
		}
	})
	t.Run("selectPolicy Min takes the policy changing the fewest pods: 100 → 95 (5 pods), 30 → 27 (10%)", func(t *testing.T) {
		p := cpuPolicy(1, 200, 0.5)
		p.ScaleDown = Rules{Select: SelectMin, Policies: []RatePolicy{{Percent, 10, 60 * time.Second}, {Pods, 5, 60 * time.Second}}}
		r, err := Simulate(p, constant(1*0.5, 3, time.Minute), SimConfig{InitialReplicas: 100, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(95), replicasAt(t, r, 0))
		require.Equal(t, int32(90), replicasAt(t, r, 60*time.Second))
		r, err = Simulate(p, constant(1*0.5, 3, time.Minute), SimConfig{InitialReplicas: 30, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(27), replicasAt(t, r, 0))
	})
	t.Run("selectPolicy Disabled never scales down", func(t *testing.T) {
		p := cpuPolicy(1, 100, 0.5)
		p.ScaleDown = Rules{Select: SelectDisabled}
		r, err := Simulate(p, constant(1*0.5, 60, time.Minute), SimConfig{InitialReplicas: 10, Trace: true})
		require.NoError(t, err)
		require.Zero(t, r.ScaleEvents)
	})
	t.Run("a 60-second downscale stabilisation window scales down after 60s", func(t *testing.T) {
		p := cpuPolicy(1, 100, 0.5)
		p.ScaleDown.Window = 60 * time.Second
		r, err := Simulate(p, constant(2*0.5, 5, time.Minute), SimConfig{InitialReplicas: 6, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(6), replicasAt(t, r, 45*time.Second))
		require.Equal(t, int32(2), replicasAt(t, r, 60*time.Second))
	})
	t.Run("with several metrics the largest recommendation wins", func(t *testing.T) {
		p := cpuPolicy(1, 100, 0.5)
		p.Metrics = append(p.Metrics, Metric{Name: "memory", Type: Utilization, Target: 0.5, Request: 100})
		d := constant(2*0.5, 2, time.Minute)                 // cpu asks for 2
		d.Load["memory"] = []float64{3 * 50 * 2, 3 * 50 * 2} // memory asks for 6 at 2 replicas... of 3 pods' worth
		r, err := Simulate(p, d, SimConfig{InitialReplicas: 3, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(6), replicasAt(t, r, 0))
	})
	t.Run("replicas outside the bounds go to the bound first", func(t *testing.T) {
		r, err := Simulate(cpuPolicy(3, 5, 0.5), constant(1, 2, time.Minute), SimConfig{InitialReplicas: 1, Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(3), replicasAt(t, r, 0))
	})
}

func TestSimulateTreatsPodsNotYetReadyAsTheControllerDoes(t *testing.T) {
	t.Run("a CPU scale-up counts starting pods as idle, which damps it within the tolerance", func(t *testing.T) {
		// 2 ready pods at 100% of a 50% target (ratio 2) and 2 starting:
		// counting the starting pods at 0, the ratio is 2×2/4 = 1.
		p := cpuPolicy(1, 100, 0.5)
		s := newSim(p, SimConfig{StartupDelay: time.Minute})
		s.pods = []int64{t0.Add(-time.Hour).UnixMilli(), t0.Add(-time.Hour).UnixMilli(), t0.UnixMilli(), t0.UnixMilli()}
		got, ok := s.recommend(p.Metrics[0], 2*1.0, 4, 2)
		require.True(t, ok)
		require.Equal(t, int32(4), got)
		// At ratio 3 the damped ratio is 1.5: ⌈1.5 × 4⌉ = 6.
		got, _ = s.recommend(p.Metrics[0], 2*1.5, 4, 2)
		require.Equal(t, int32(6), got)
	})
	t.Run("a memory scale-down counts pods without a sample at the target", func(t *testing.T) {
		m := Metric{Name: "memory", Type: Utilization, Target: 0.5, Request: 1}
		s := newSim(Policy{Metrics: []Metric{m}}, SimConfig{})
		// 2 ready pods at 25% (ratio 0.5), 2 without samples at the target:
		// (0.5×2 + 2)/4 = 0.75 → ⌈0.75 × 4⌉ = 3.
		got, ok := s.recommend(m, 2*0.25, 4, 2)
		require.True(t, ok)
		require.Equal(t, int32(3), got)
	})
	t.Run("a metric with no ready pod gives no recommendation", func(t *testing.T) {
		s := newSim(cpuPolicy(1, 10, 0.5), SimConfig{})
		_, ok := s.recommend(s.p.Metrics[0], 1, 3, 0)
		require.False(t, ok)
	})
	t.Run("a burst saturates until the new pods are ready", func(t *testing.T) {
		// 2 pods at 50% of a 1-core request, then the load triples: the
		// pods run at 150% (saturated, above their request) until the
		// new ones are ready 2 minutes later.
		l := make([]float64, 20)
		for i := range l {
			l[i] = 1
			if i >= 10 {
				l[i] = 3
			}
		}
		d := Demand{Start: t0, Step: time.Minute, Load: map[string][]float64{"cpu": l}}
		r, err := Simulate(cpuPolicy(2, 20, 0.5), d, SimConfig{InitialReplicas: 2, StartupDelay: 2 * time.Minute})
		require.NoError(t, err)
		require.InDelta(t, 2.0, r.SaturatedMinutes, 0.001)
		r, err = Simulate(cpuPolicy(2, 20, 0.5), d, SimConfig{InitialReplicas: 2})
		require.NoError(t, err)
		require.InDelta(t, 0.25, r.SaturatedMinutes, 0.001, "one sync sees the load before the pods are added")
	})
}

func TestSimulateCountsTheWindow(t *testing.T) {
	t.Run("replica-hours and minutes are counted over [From, To)", func(t *testing.T) {
		r, err := Simulate(cpuPolicy(4, 4, 0.5), constant(1, 180, time.Minute), SimConfig{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)})
		require.NoError(t, err)
		require.InDelta(t, 60, r.Minutes, 1e-9)
		require.InDelta(t, 4, r.ReplicaHours, 1e-9)
		require.InDelta(t, 4, r.MeanReplicas, 1e-9)
	})
	t.Run("minutes pinned at the maximum are those at max with the metrics asking for more", func(t *testing.T) {
		r, err := Simulate(cpuPolicy(1, 3, 0.5), constant(5, 60, time.Minute), SimConfig{InitialReplicas: 3})
		require.NoError(t, err)
		require.InDelta(t, 60, r.MinutesAtMax, 1e-9)
		require.InDelta(t, 60, r.SaturatedMinutes, 1e-9, "5 cores over 3 pods of 1 core")
	})
	t.Run("a change of the replicas against the one before within 10 minutes is a reversal", func(t *testing.T) {
		// 1 core, then 4 for 3 minutes, then 1 again, every 20 minutes;
		// no scale-down window: up (in two syncs), then down 3 minutes
		// later, then up 17 minutes after that (a reversal of a change
		// more than 10 minutes old does not count).
		d := constant(1, 120, time.Minute)
		for _, at := range []int{20, 40, 60, 80, 100} {
			for i := at; i < at+3; i++ {
				d.Load["cpu"][i] = 4
			}
		}
		p := cpuPolicy(1, 10, 0.5)
		p.ScaleDown.Window = 0
		r, err := Simulate(p, d, SimConfig{Trace: true})
		require.NoError(t, err)
		var changes []string
		prev := r.Trace[0].Replicas
		for _, tp := range r.Trace[1:] {
			if tp.Replicas != prev {
				changes = append(changes, fmt.Sprintf("%s %d", tp.T.Sub(t0), tp.Replicas))
			}
			prev = tp.Replicas
		}
		require.Equal(t, []string{"20m0s 6", "20m15s 8", "23m0s 2", "40m0s 6", "40m15s 8", "43m0s 2", "1h0m0s 6", "1h0m15s 8", "1h3m0s 2",
			"1h20m0s 6", "1h20m15s 8", "1h23m0s 2", "1h40m0s 6", "1h40m15s 8", "1h43m0s 2"}, changes)
		require.Equal(t, 5, r.Reversals, "each fall 3 minutes after its rises; each rise 17 minutes after the fall, too late to count")
	})
	t.Run("a policy scaling on a series the demand lacks is an error", func(t *testing.T) {
		p := cpuPolicy(1, 3, 0.5)
		p.Metrics[0].Name = "requests"
		_, err := Simulate(p, constant(5, 60, time.Minute), SimConfig{})
		require.ErrorIs(t, err, ErrNoDemand)
	})
	t.Run("a predictive floor holds the replicas up in its hours", func(t *testing.T) {
		p := cpuPolicy(1, 10, 0.5)
		p.Floor = &Schedule{}
		p.Floor.Min[HourOfWeek(t0.Add(time.Hour))] = 6
		r, err := Simulate(p, constant(0.5, 180, time.Minute), SimConfig{Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(1), replicasAt(t, r, 30*time.Minute))
		require.Equal(t, int32(6), replicasAt(t, r, 61*time.Minute))
		require.Equal(t, int32(6), replicasAt(t, r, 124*time.Minute), "the scale-down window holds it 5 minutes more")
		require.Equal(t, int32(1), replicasAt(t, r, 126*time.Minute))
	})
	t.Run("a cron floor holds the replicas up in its minutes, in its time zone", func(t *testing.T) {
		berlin, err := time.LoadLocation("Europe/Berlin")
		require.NoError(t, err)
		p := cpuPolicy(1, 10, 0.5)
		// 01:30–02:00 in Berlin on Mondays; t0 is a Monday in November,
		// when Berlin is UTC+1: 00:30–01:00 UTC.
		p.Floor = &Schedule{ByMinute: make([]int32, minutesPerWeek), Location: berlin}
		for m := 90; m < 120; m++ {
			p.Floor.ByMinute[m] = 4
		}
		r, err := Simulate(p, constant(0.5, 180, time.Minute), SimConfig{Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(1), replicasAt(t, r, 29*time.Minute))
		require.Equal(t, int32(4), replicasAt(t, r, 31*time.Minute))
		require.Equal(t, int32(4), replicasAt(t, r, 64*time.Minute), "the scale-down window holds it 5 minutes more")
		require.Equal(t, int32(1), replicasAt(t, r, 66*time.Minute))
	})
	t.Run("missing samples hold the last value", func(t *testing.T) {
		d := constant(2, 10, time.Minute)
		for i := 3; i < 10; i++ {
			d.Load["cpu"][i] = math.NaN()
		}
		r, err := Simulate(cpuPolicy(1, 10, 0.5), d, SimConfig{Trace: true})
		require.NoError(t, err)
		require.Equal(t, int32(4), replicasAt(t, r, 9*time.Minute))
	})
}

// benchSimulate4Weeks replays 4 weeks at 1m of a daily cycle of 1–9
// cores under p.
func benchSimulate4Weeks(b *testing.B, p Policy) {
	l := make([]float64, 28*24*60)
	for i := range l {
		l[i] = 5 + 4*math.Sin(2*math.Pi*float64(i)/1440)
	}
	d := Demand{Start: t0, Step: time.Minute, Load: map[string][]float64{"cpu": l}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Simulate(p, d, SimConfig{StartupDelay: time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSimulate4Weeks(b *testing.B) {
	benchSimulate4Weeks(b, cpuPolicy(2, 30, 0.6))
}

// BenchmarkSimulate4WeeksCronFloor is BenchmarkSimulate4Weeks with a
// ScaledObject's cron triggers in a time zone of their own (the floor
// looked up in local time at each sync).
func BenchmarkSimulate4WeeksCronFloor(b *testing.B) {
	p := cpuPolicy(2, 30, 0.6)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Skip(err)
	}
	floor, err := TriggerFloor([]CronTrigger{{Type: "cron", Metadata: map[string]string{"timezone": berlin.String(), "start": "0 8 * * MON-FRI", "end": "0 18 * * MON-FRI", "desiredReplicas": "12"}}})
	if err != nil {
		b.Fatal(err)
	}
	p.Floor = floor
	benchSimulate4Weeks(b, p)
}

func TestHourOfWeekCountsFromMondayMidnightUTC(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{t0, 0},
		{t0.Add(90 * time.Minute), 1},
		{time.Date(2026, 11, 8, 23, 59, 0, 0, time.UTC), 167},
		{time.Date(1969, 12, 29, 5, 0, 0, 0, time.UTC), 5},
	} {
		require.Equal(t, tc.want, HourOfWeek(tc.at), "%s", tc.at)
		require.Equal(t, tc.want, hourOfWeek(tc.at.UnixMilli()), "%s", tc.at)
	}
}

func TestTroughMinAbsorbsTheRiseOverTheReactionTime(t *testing.T) {
	// 1 core all night, then 4 cores within a minute: at 0.5 cores a pod
	// the HPA holds 2 pods, and the 4 cores must be served by pods of 1
	// core capacity for the 2 minutes new ones take.
	l := make([]float64, 120)
	for i := range l {
		l[i] = 1
		if i >= 60 {
			l[i] = 4
		}
	}
	require.Equal(t, int32(4), troughMin(l, time.Minute, 2*time.Minute, 0.5, 1))
	require.Equal(t, int32(1), troughMin(constant(1, 60, time.Minute).Load["cpu"], time.Minute, 2*time.Minute, 0.5, 1))
}

func TestCronTriggersGroupTheHoursOfADay(t *testing.T) {
	var s Schedule
	for h := 8; h < 12; h++ {
		s.Min[h] = 5 // Monday 08:00–12:00
	}
	s.Min[11] = 6
	s.Min[24*6+23] = 3 // Sunday 23:00
	got := cronTriggers(s, 2)
	require.Equal(t, []CronTrigger{
		{Type: "cron", Metadata: map[string]string{"timezone": "UTC", "start": "0 8 * * 1", "end": "0 12 * * 1", "desiredReplicas": "6"}},
		{Type: "cron", Metadata: map[string]string{"timezone": "UTC", "start": "0 23 * * 0", "end": "0 0 * * 1", "desiredReplicas": "3"}},
	}, got)
}

func TestCronTriggersShareTheDaysOfTheSameTimes(t *testing.T) {
	var s Schedule
	s.Lead = 3 * time.Minute
	for d := range 5 { // Monday to Friday 09:00–10:00 at 8, and midnight–01:00 at 4
		s.Min[d*24+9] = 8
		s.Min[d*24] = 4
	}
	s.Min[5*24+9] = 7 // Saturday 09:00 at 7
	got := cronTriggers(s, 2)
	require.Equal(t, []CronTrigger{
		{Type: "cron", Metadata: map[string]string{"timezone": "UTC", "start": "57 23 * * 0-4", "end": "0 1 * * 1-5", "desiredReplicas": "4"}},
		{Type: "cron", Metadata: map[string]string{"timezone": "UTC", "start": "57 8 * * 1-5", "end": "0 10 * * 1-5", "desiredReplicas": "8"}},
		{Type: "cron", Metadata: map[string]string{"timezone": "UTC", "start": "57 8 * * 6", "end": "0 10 * * 6", "desiredReplicas": "7"}},
	}, got)
	// Read back, the triggers are the schedule: each hour's minimum from
	// the lead before it.
	steps, err := ScheduleSteps(got, 2)
	require.NoError(t, err)
	var week [minutesPerWeek]int32
	cur := steps[len(steps)-1].Replicas
	j := 0
	for m := range minutesPerWeek {
		if j < len(steps) && steps[j].Minute == m {
			cur = steps[j].Replicas
			j++
		}
		week[m] = cur
	}
	for h := range 168 {
		want := max(s.Min[h], 2)
		at := (h*60 + 30) % minutesPerWeek // the middle of the hour
		require.Equal(t, want, week[at], "hour %d", h)
		if s.Min[h] > 2 {
			require.Equal(t, s.Min[h], week[(h*60-3+minutesPerWeek)%minutesPerWeek], "hour %d from 3 minutes before", h)
		}
	}
}

func TestQuantitiesAreRoundedUpAndWrittenAsKubernetesWrites(t *testing.T) {
	require.Equal(t, "255m", fmtCPU(0.2531))
	require.Equal(t, "1010m", fmtCPU(1.001))
	require.Equal(t, "5m", fmtCPU(0))
	require.Equal(t, "229Mi", fmtMem(228.2*(1<<20)))
	require.Equal(t, "2Gi", fmtMem(2047.5*(1<<20)))
	require.Equal(t, "1040Mi", fmtMem(1025*(1<<20)))
}

func TestNewHistorySumsThePodsIntoTheDemand(t *testing.T) {
	mk := func(pod string, vs ...float64) series.Series {
		s := series.Series{Labels: series.New("pod", pod)}
		for i, v := range vs {
			s.Timestamps = append(s.Timestamps, t0.Add(time.Duration(i)*time.Minute).UnixMilli())
			s.Values = append(s.Values, v)
		}
		return s
	}
	c := ContainerUsage{Name: "app", CPU: []series.Series{mk("a", 1, 1, 1), mk("b", 2, 2)}, Memory: []series.Series{mk("a", 10, 10, 10)}}
	h := NewHistory(t0, t0.Add(3*time.Minute), time.Minute, []ContainerUsage{c}, nil)
	require.Equal(t, []float64{3, 3, 3}, h.Demand.Load["cpu"], "b's last sample holds for two steps")
	require.Equal(t, []float64{10, 10, 10}, h.Demand.Load["memory"])
	require.Equal(t, []float64{2, 2, 2}, h.Replicas)
}
