package scale

import (
	"fmt"
	"math"
	"time"

	"github.com/omenhq/omen/forecast"
)

// CronTrigger is a KEDA cron trigger: desiredReplicas between start and
// end (cron expressions in Timezone).
type CronTrigger struct {
	Type     string            `json:"type"`
	Metadata map[string]string `json:"metadata"`
}

// proposeSchedule makes the forecast-only predictive schedule: for each
// hour of the coming week, the replicas the forecast of the hour's peak
// and of the next one needs at the policy's target, set an hour ahead so
// the pods are ready before the rise; hours where the floor is no more
// than minReplicas are left out. It is proposed only when it cuts the
// saturated minutes of the training weeks by a quarter at least, and is
// judged against the policy without it on the held-out window.
func proposeSchedule(w *Workload, h History, p Policy, fc *forecast.Forecast, hourly []float64, train Demand, win *Window, reaction time.Duration, ci int, sim SimConfig) *Proposal {
	perPod := p.Metrics[ci].Target * p.Metrics[ci].Request
	start := train.Start.Add(time.Duration(len(hourly)) * time.Hour)
	var s Schedule
	any := false
	for i := 0; i < len(fc.Mean) && i < 168; i++ {
		next := fc.Mean[i]
		if i+1 < len(fc.Mean) {
			next = math.Max(next, fc.Mean[i+1])
		}
		f := int32(math.Ceil(next / perPod))
		f = min(f, p.MaxReplicas)
		if f > p.MinReplicas {
			s.Min[HourOfWeek(start.Add(time.Duration(i)*time.Hour))] = f
			any = true
		}
	}
	if !any {
		return nil
	}
	with := p
	with.Floor = &s
	// Only a schedule that helps on the training weeks is proposed.
	tb, err1 := Simulate(p, train, sim)
	ta, err2 := Simulate(with, train, sim)
	if err1 != nil || err2 != nil || tb.SaturatedMinutes == 0 || ta.SaturatedMinutes > 0.75*tb.SaturatedMinutes {
		return nil
	}
	before, err1 := Simulate(p, h.Demand, withWindow(sim, win))
	after, err2 := Simulate(with, h.Demand, withWindow(sim, win))
	if err1 != nil || err2 != nil {
		return nil
	}
	return &Proposal{
		Workload: w.ID(), Kind: KindScheduleProposal, Object: w.Autoscaler.Object, Changes: []Change{},
		Before: &Figures{Result: &before}, After: &Figures{Result: &after}, Window: win, ForecastOnly: true,
		Triggers: cronTriggers(s, p.MinReplicas),
		Why: fmt.Sprintf("Forecast-only: a minimum of replicas by hour of the week from the forecast of each hour's peak (%s), an hour ahead, at the proposed target; as KEDA cron triggers (UTC). On the held-out window beside the proposed HPA alone: %.0f → %.0f saturated minutes, %.0f → %.0f replica-hours. Not written by --write.",
			fc.Model, before.SaturatedMinutes, after.SaturatedMinutes, before.ReplicaHours, after.ReplicaHours),
	}
}

// cronTriggers turns a schedule into KEDA cron triggers: one per run of
// hours of one day whose floors differ by at most one (the run's largest).
func cronTriggers(s Schedule, minR int32) []CronTrigger {
	var out []CronTrigger
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
			dow := (d + 1) % 7 // cron: 0 is Sunday; d 0 is Monday
			endSpec := fmt.Sprintf("0 %d * * %d", end, dow)
			if end == 24 {
				endSpec = fmt.Sprintf("59 23 * * %d", dow)
			}
			out = append(out, CronTrigger{Type: "cron", Metadata: map[string]string{
				"timezone": "UTC", "start": fmt.Sprintf("0 %d * * %d", h, dow), "end": endSpec, "desiredReplicas": fmt.Sprint(top),
			}})
			h = end
		}
	}
	return out
}
