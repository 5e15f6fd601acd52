package scale

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// CronTrigger is a KEDA cron trigger: desiredReplicas between start and
// end (cron expressions in Timezone).
type CronTrigger struct {
	Type     string            `json:"type"`
	Metadata map[string]string `json:"metadata"`
}

// proposeSchedule makes the forecast-only predictive schedule for the
// recurring rises the HPA cannot follow: for the hours of the week whose
// P90 peak (profile) is above what the hour's P90 typical load and the
// P99 rise over the reaction time explain, the replicas that peak needs,
// set Lead ahead of the hour so the pods are ready. Two floors are tried —
// the peak at the proposed target, and at the capacity less the tolerance
// — over those hours or over every hour, each judged on the proposal weeks
// (search simulation, ssim) by the objective of choose against the policy
// alone; the schedule is proposed only when it cuts the saturated minutes
// there by a quarter at least, and it is reported with the policy alone
// and with it on the held-out window (sim).
func proposeSchedule(w *Workload, h History, p Policy, profile [168]float64, train Demand, win *Window, reaction time.Duration, ci int, ssim, sim SimConfig) *Proposal {
	if p.Floor != nil {
		// Cron triggers of its own already: a schedule beside them would
		// be judged with them, which is not done.
		return nil
	}
	base, err := Simulate(p, train, ssim)
	if err != nil || base.SaturatedMinutes == 0 {
		return nil
	}
	tol := sim.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	cpu := train.Load["cpu"]
	levels := hourLevels(cpu, train.Start, train.Step)
	rises := riseQuantiles(cpu, train.Step, reaction, []float64{0.99})
	lead := reaction.Round(time.Minute)
	if lead < reaction {
		lead += time.Minute
	}
	perPod := p.Metrics[ci].Target * p.Metrics[ci].Request
	capacity := p.Metrics[ci].Capacity
	if capacity <= 0 {
		capacity = p.Metrics[ci].Request
	}
	tried := []candidate{{p: p, res: base}}
	triggers := [][]CronTrigger{nil}
	for _, div := range []float64{perPod, capacity / (1 + tol)} {
		for _, every := range []bool{false, true} {
			s := Schedule{Lead: lead}
			any := false
			for hw := range 168 {
				if !every && profile[hw] <= levels[hw]*(1+rises[0]) {
					continue
				}
				f := min(int32(math.Ceil(profile[hw]/div)), p.MaxReplicas)
				if f > p.MinReplicas {
					s.Min[hw], any = f, true
				}
			}
			if !any {
				continue
			}
			// What is replayed is what would be written: the triggers,
			// minute by minute.
			ts := cronTriggers(s, p.MinReplicas)
			floor, err := TriggerFloor(ts)
			if err != nil {
				continue
			}
			with := p
			with.Floor = floor
			if r, err := Simulate(with, train, ssim); err == nil {
				tried = append(tried, candidate{p: with, res: r})
				triggers = append(triggers, ts)
			}
		}
	}
	best := choose(tried, tried[0])
	bi := slices.IndexFunc(tried, func(c candidate) bool { return c.p.Floor == best.p.Floor })
	if best.p.Floor == nil || bi < 0 || best.res.SaturatedMinutes > 0.75*base.SaturatedMinutes {
		return nil
	}
	before, err1 := Simulate(p, h.Demand, withWindow(sim, win))
	after, err2 := Simulate(best.p, h.Demand, withWindow(sim, win))
	if err1 != nil || err2 != nil {
		return nil
	}
	return &Proposal{
		Workload: w.ID(), Kind: KindScheduleProposal, Object: w.Autoscaler.Object, Changes: []Change{},
		Before: &Figures{Result: &before}, After: &Figures{Result: &after}, Window: win, ForecastOnly: true,
		Triggers: triggers[bi], MinReplicas: p.MinReplicas,
		Why: fmt.Sprintf("A minimum of replicas by hour of the week for the recurring rises the HPA cannot follow (each hour's P90 peak over the training weeks, %s ahead so the pods are ready), as KEDA cron triggers (UTC). On the training weeks: %.0f → %.0f saturated minutes, %.0f → %.0f replica-hours; on the held-out window beside the proposed HPA alone: %.0f → %.0f saturated minutes, %.0f → %.0f replica-hours.",
			lead, base.SaturatedMinutes, best.res.SaturatedMinutes, base.ReplicaHours, best.res.ReplicaHours, before.SaturatedMinutes, after.SaturatedMinutes, before.ReplicaHours, after.ReplicaHours),
	}
}

// hourLevels returns, for each hour of the week, the P90 over the weeks of
// the hour's median load: its typical level, without its peaks.
func hourLevels(load []float64, start time.Time, step time.Duration) [168]float64 {
	per := max(1, int(time.Hour/step))
	var by [168][]float64
	for i := 0; i < len(load); i += per {
		var vs []float64
		for _, v := range load[i:min(i+per, len(load))] {
			if !math.IsNaN(v) {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			continue
		}
		sort.Float64s(vs)
		h := HourOfWeek(start.Add(time.Duration(i) * step))
		by[h] = append(by[h], vs[len(vs)/2])
	}
	var out [168]float64
	for h, vs := range by {
		if len(vs) == 0 {
			continue
		}
		sort.Float64s(vs)
		out[h] = vs[int(math.Ceil(0.9*float64(len(vs)-1)))]
	}
	return out
}

// cronTriggers turns a schedule into KEDA cron triggers: a run of hours
// of one day whose floors differ by at most one (the run's largest) is
// active from s.Lead before its first hour to the end of its last, and the
// runs of different days at the same times with the same replicas are one
// trigger with a list of weekdays ("1-5").
func cronTriggers(s Schedule, minR int32) []CronTrigger {
	type run struct {
		from, to int // minutes of the week, to > from
		n        int32
	}
	var runs []run
	lead := int(s.Lead / time.Minute)
	for d := range 7 {
		h := 0
		for h < 24 {
			v := s.Min[d*24+h]
			if v <= minR {
				h++
				continue
			}
			end, top := h+1, v
			for end < 24 {
				u := s.Min[d*24+end]
				if u <= minR || u > top+1 || u+1 < top {
					break
				}
				top = max(top, u)
				end++
			}
			runs = append(runs, run{from: (d*24+h)*60 - lead, to: (d*24 + end) * 60, n: top})
			h = end
		}
	}
	// Group by the times of day, the day the run ends after its start and
	// the replicas; each group is one trigger over its days.
	type key struct {
		start, end, span int
		n                int32
	}
	var keys []key
	days := map[key][]int{}
	for _, r := range runs {
		from := (r.from + minutesPerWeek) % minutesPerWeek
		k := key{start: from % 1440, end: r.to % 1440, span: r.to/1440 - r.from/1440, n: r.n}
		if r.from < 0 {
			k.span = r.to/1440 + 1
		}
		if _, ok := days[k]; !ok {
			keys = append(keys, k)
		}
		days[k] = append(days[k], from/1440)
	}
	out := make([]CronTrigger, 0, len(keys))
	for _, k := range keys {
		ds := days[k]
		ends := make([]int, len(ds))
		for i, d := range ds {
			ends[i] = (d + k.span) % 7
		}
		out = append(out, CronTrigger{Type: "cron", Metadata: map[string]string{
			"timezone":        "UTC",
			"start":           fmt.Sprintf("%d %d * * %s", k.start%60, k.start/60, cronDays(ds)),
			"end":             fmt.Sprintf("%d %d * * %s", k.end%60, k.end/60, cronDays(ends)),
			"desiredReplicas": fmt.Sprint(k.n),
		}})
	}
	return out
}
