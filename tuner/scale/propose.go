package scale

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/omenhq/omen/forecast"
	"github.com/omenhq/omen/series"
)

// Proposal kinds.
const (
	KindHPAProposal       = "hpa"
	KindResourcesProposal = "resources"
	KindScheduleProposal  = "schedule"
)

// Proposal is one proposed change of a workload's manifests with its
// evidence: the figures before and after on the held-out weeks.
type Proposal struct {
	// Workload is "namespace/name".
	Workload string `json:"workload"`
	// Kind is "hpa", "resources" or "schedule".
	Kind string `json:"kind"`
	// Object is the manifest (or values file) the changes are made in.
	Object Ref `json:"object"`
	// Changes are the fields changed; a resources proposal for a leaking
	// container may have none for memory (see Leak).
	Changes []Change `json:"changes"`
	// Before and After are the figures of the current and the proposed
	// settings on the held-out window (Window).
	Before *Figures `json:"before,omitempty"`
	After  *Figures `json:"after,omitempty"`
	// Window is the held-out window the figures are counted on; the
	// proposal was made on the history before it.
	Window *Window `json:"window,omitempty"`
	// Why says the reason in words.
	Why string `json:"why"`
	// Baseline is krr's simple strategy beside omen's sizing (resources).
	Baseline []Baseline `json:"baseline,omitempty"`
	// Leaks are the containers found leaking memory, with the OOM ETAs
	// at the current limit and at a bigger one (resources).
	Leaks []Leak `json:"leaks,omitempty"`
	// Triggers are the KEDA cron triggers of a schedule proposal.
	Triggers []CronTrigger `json:"triggers,omitempty"`
	// MinReplicas is, for a schedule proposal, the minReplicas the HPA
	// has outside its triggers: the proposed policy's.
	MinReplicas int32 `json:"min_replicas,omitempty"`
	// KubectlImage is, for an HPA's schedule written as a CronJob patch,
	// the image its CronJobs run (ScheduleOptions.Image), so that omen pr
	// writes the file omen scale wrote.
	KubectlImage string `json:"kubectl_image,omitempty"`
	// Observed compares the simulator's replay of the current policy with
	// what the cluster ran on the held-out window (hpa).
	Observed *Observed `json:"observed,omitempty"`
	// ForecastOnly marks a proposal that is reported and not written: the
	// predictive schedule, until it is asked for (omen scale --schedule
	// write clears it on the schedules it writes).
	ForecastOnly bool `json:"forecast_only,omitempty"`
}

// Observed are the replica-hours the cluster ran on a window beside those
// of the simulator's replay of the current policy: how faithful the replay
// is for this workload.
type Observed struct {
	ReplicaHours          float64 `json:"replica_hours"`
	SimulatedReplicaHours float64 `json:"simulated_replica_hours"`
	// From names the series the replicas come from.
	From string `json:"from"`
}

// Figures are before/after figures: the simulator's for hpa and schedule
// proposals, the sizing figures for resources.
type Figures struct {
	*Result
	*Sizing
}

// Window is a time window.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Config configures Propose. The zero value holds the documented
// defaults.
type Config struct {
	// HoldOut is the end of the history the proposals are judged on and
	// not made on; 0 means 7 days (less when the history is shorter than
	// three weeks: a third of it).
	HoldOut time.Duration
	// Sim configures the simulator (sync period, start-up delay).
	// StartupDelay 0 means 60 seconds here.
	Sim SimConfig
	// Headroom is added to maxReplicas over what the forecast's P90 peak
	// needs at the target; 0 means 0.25.
	Headroom float64
	// Saturation is the utilisation of a pod's request above which it is
	// saturated; 0 means 1 (a pod using more than it requested).
	Saturation float64
	// MetricsDelay is the delay of the metrics pipeline the search for a
	// policy replays with (SimConfig.MetricsDelay) when Sim sets none; 0
	// means 30 seconds. The before/after figures use Sim as it is.
	MetricsDelay time.Duration
	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults(span time.Duration) Config {
	if c.HoldOut <= 0 {
		c.HoldOut = 7 * day
		if span < 21*day {
			c.HoldOut = (span / 3).Truncate(time.Hour)
		}
	}
	if c.Sim.StartupDelay == 0 {
		c.Sim.StartupDelay = time.Minute
	}
	if c.Sim.SyncPeriod <= 0 {
		c.Sim.SyncPeriod = 15 * time.Second
	}
	if c.Headroom <= 0 {
		c.Headroom = 0.25
	}
	if c.Saturation <= 0 {
		c.Saturation = 1
	}
	if c.MetricsDelay <= 0 {
		c.MetricsDelay = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

const day = 24 * time.Hour

// History is what the metrics say of a workload's past.
type History struct {
	// Demand is the workload's total load per metric: "cpu" (cores),
	// "memory" (bytes) and any request rate, on one grid.
	Demand Demand
	// Containers are the per-pod usage of each container.
	Containers []ContainerUsage
	// Replicas, optional, are the replicas the cluster ran, on the
	// demand's grid (NaN unknown), and ReplicasFrom names their series.
	// They are compared with the simulator's replay of the current policy.
	Replicas     []float64
	ReplicasFrom string
}

// ContainerUsage is one container's usage, one series per pod.
type ContainerUsage struct {
	Name string
	// CPU is cores per pod; Memory the working set in bytes per pod.
	CPU, Memory []series.Series
	// Restarts are the pods' restart counters, index for index with
	// Memory (a missing one is an empty series).
	Restarts []series.Series
}

// Report is what Propose returns for one workload.
type Report struct {
	Proposals []Proposal `json:"proposals"`
	Skipped   []Skipped  `json:"skipped"`
}

// Propose makes the proposals for one workload from its history: an HPA
// proposal when it has an autoscaler, with a forecast-only predictive
// schedule beside it, and a resources proposal for its containers. The
// proposals are made on the history before the hold-out window and their
// figures are those of the simulator (and of the sizing) on the window.
func Propose(w *Workload, h History, cfg Config) Report {
	var rep Report
	span := time.Duration(h.Demand.Len()) * h.Demand.Step
	cfg = cfg.withDefaults(span)
	skip := func(reason string) {
		rep.Skipped = append(rep.Skipped, Skipped{Workload: w.ID(), Reason: reason})
	}
	if h.Demand.Len() == 0 || h.Demand.Step <= 0 {
		skip("no metrics for its pods in the window")
		return rep
	}
	split := h.Demand.Start.Add(span - cfg.HoldOut).Truncate(time.Hour)
	if split.Sub(h.Demand.Start) < 2*day {
		skip(fmt.Sprintf("%s of history: at least 2 days before the %s held out are needed", fmtDuration(span), fmtDuration(cfg.HoldOut)))
		return rep
	}
	win := &Window{Start: split, End: h.Demand.End()}
	if w.Autoscaler != nil && w.Autoscaler.Enabled {
		ps, reason := proposeHPA(w, h, split, win, cfg)
		rep.Proposals = append(rep.Proposals, ps...)
		if reason != "" {
			skip(reason)
		}
	}
	if p, reason := proposeResources(w, h, split, win, cfg); p != nil {
		rep.Proposals = append(rep.Proposals, *p)
	} else if reason != "" {
		skip(reason)
	}
	return rep
}

// podRequest is the sum of the containers' requests of a resource: the
// denominator of an HPA utilisation.
func podRequest(w *Workload, res string) float64 {
	var total float64
	for _, c := range w.Containers {
		q, ok := c.Requests[corev1Name(res)]
		if !ok {
			return 0
		}
		total += q.AsApproximateFloat64()
	}
	return total
}

// current returns the workload's policy with the requests filled in.
func currentPolicy(w *Workload, cfg Config) (Policy, error) {
	if w.Autoscaler.Unreplayable != "" {
		return Policy{}, errors.New(w.Autoscaler.Unreplayable)
	}
	p := w.Autoscaler.Policy
	p.Metrics = slices.Clone(p.Metrics)
	for i, m := range p.Metrics {
		if m.Type == Utilization {
			r := podRequest(w, m.Name)
			if r <= 0 {
				return p, fmt.Errorf("a %s utilisation target, and a container without a %s request (the HPA cannot compute utilisation)", m.Name, m.Name)
			}
			p.Metrics[i].Request = r
			p.Metrics[i].Capacity = r * cfg.Saturation
		}
	}
	return p, p.Validate()
}

// slice returns the demand in [from, to).
func (d Demand) slice(from, to time.Time) Demand {
	i := int(max(0, from.Sub(d.Start)/d.Step))
	j := int(to.Sub(d.Start) / d.Step)
	out := Demand{Start: d.Start.Add(time.Duration(i) * d.Step), Step: d.Step, Load: map[string][]float64{}}
	for k, v := range d.Load {
		lo, hi := min(i, len(v)), min(j, len(v))
		out.Load[k] = v[lo:hi]
	}
	return out
}

// cpuMetric returns the index of the CPU utilisation metric, or -1.
func cpuMetric(p Policy) int {
	for i, m := range p.Metrics {
		if m.Name == "cpu" && m.Type == Utilization && m.source() == SourceResource {
			return i
		}
	}
	return -1
}

// candidate is a policy tried by the search with its training figures.
type candidate struct {
	p   Policy
	res Result
}

func proposeHPA(w *Workload, h History, split time.Time, win *Window, cfg Config) ([]Proposal, string) {
	cur, err := currentPolicy(w, cfg)
	if err != nil {
		return nil, "HPA: " + err.Error()
	}
	for _, m := range cur.Metrics {
		if _, ok := h.Demand.Load[m.Name]; !ok {
			return nil, fmt.Sprintf("HPA: it scales on %s, and no %s series was given (--request-rate)", m.Name, m.Name)
		}
	}
	ci := cpuMetric(cur)
	if ci < 0 {
		return nil, "HPA: no CPU utilisation target; omen tunes CPU-utilisation HPAs (the others are simulated only)"
	}
	train := h.Demand.slice(h.Demand.Start, split)
	cpu := train.Load["cpu"]
	sim := cfg.Sim
	sim.Trace = false
	// The search replays with the metrics pipeline's delay: a policy that
	// only holds when the controller sees the load at once would not hold
	// on a cluster (or on another simulator).
	ssim := sim
	if ssim.MetricsDelay <= 0 {
		ssim.MetricsDelay = cfg.MetricsDelay
	}
	tol := sim.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}

	// The forecast of demand: hourly peaks over the next weeks.
	fc, hourly, err := forecastPeaks(cpu, train.Step, h.Demand.End().Sub(split)+7*day)
	if err != nil {
		return nil, "HPA: cannot forecast its CPU demand: " + err.Error()
	}
	growth := 1.0
	if last := tailMean(hourly, 168); last > 0 {
		growth = max(1, meanOf(fc.Mean[:min(168, len(fc.Mean))])/last)
	}
	// The P90 of each hour of the week's peak over the training weeks,
	// raised by the growth: the replicas needed hour by hour.
	profile := weekProfile(hourly, train.Start, 0.9, growth)
	peakP90 := max(maxOf(fc.Upper), maxOf(profile[:]))

	// The search demand: the training history, then its last week again
	// scaled by the forecast's growth.
	search := projected(train, growth)
	request := cur.Metrics[ci].Request
	capacity := cur.Metrics[ci].Capacity
	reaction := ssim.SyncPeriod + ssim.StartupDelay + ssim.MetricsDelay
	// The headroom a target must leave: the load's rise over the reaction
	// time, at its P90, P99 and P99.9. An HPA lets the load per pod drift
	// to target × (1 + tolerance) before it acts, and the pods it adds
	// serve only after the reaction time, so a target of
	// capacity / ((1 + tolerance) × (1 + rise)) rides out that rise.
	rises := riseQuantiles(cpu, train.Step, reaction, []float64{0.9, 0.99, 0.999})

	var tried []candidate
	try := func(p Policy) candidate {
		r, err := Simulate(p, search, ssim)
		if err != nil {
			return candidate{p: p, res: Result{SaturatedMinutes: math.Inf(1)}}
		}
		c := candidate{p, r}
		tried = append(tried, c)
		return c
	}
	base := try(cur)
	// Scale-up behaviour first: a slow scale-up (a stabilisation window,
	// a few pods a minute) is what makes unpredicted rises saturate; it is
	// made as fast as Kubernetes's default before any headroom is bought.
	up := cur.ScaleUp
	if fast, ok := fasterScaleUp(cur.ScaleUp, w.Autoscaler); ok {
		p := cur
		p.ScaleUp = fast
		if c := try(p); c.res.SaturatedMinutes < base.res.SaturatedMinutes-1e-9 && c.res.ReplicaHours <= 1.02*base.res.ReplicaHours {
			up = fast
		}
	}
	targets := []float64{cur.Metrics[ci].Target}
	principled := map[float64]float64{} // target → rise quantile it comes from
	for i, r := range rises {
		t := math.Floor(cfg.Saturation/((1+tol)*(1+r))*20) / 20
		t = min(max(t, 0.3), 0.9)
		principled[t] = []float64{0.9, 0.99, 0.999}[i]
		targets = append(targets, t)
	}
	for t := 0.45; t <= 0.901; t += 0.05 {
		targets = append(targets, math.Round(t*100)/100)
	}
	slices.Sort(targets)
	targets = slices.CompactFunc(targets, func(a, b float64) bool { return math.Abs(a-b) < 0.005 })
	// minReplicas is not lowered below 2 where it is 2 or more: a single
	// pod is an outage at every eviction.
	availability := min(cur.MinReplicas, 2)
	for _, target := range targets {
		perPod := target * request
		maxR := int32(math.Ceil(peakP90 / perPod * (1 + cfg.Headroom)))
		maxR = max(maxR, cur.MaxReplicas)
		floor := max(availability, troughMin(cpu, train.Step, reaction, perPod, capacity))
		for _, minR := range minCandidates(cur.MinReplicas, floor, maxR) {
			if minR < availability {
				continue
			}
			p := cur
			p.ScaleUp = up
			p.Metrics = slices.Clone(cur.Metrics)
			p.Metrics[ci].Target = target
			p.MinReplicas, p.MaxReplicas = minR, maxR
			try(p)
		}
	}
	// The scale-down window, from the flapping: a shorter window saves the
	// replicas kept after a fall; it is taken only while the replicas
	// reverse no more often than under the current policy (or twice a
	// day).
	limit := max(flapsPerDay(base.res), 2)
	refine := func(b candidate) candidate {
		var windows []candidate
		for _, wd := range []time.Duration{60 * time.Second, 120 * time.Second, 300 * time.Second, 600 * time.Second, 900 * time.Second} {
			if wd == b.p.ScaleDown.Window || !windowField(w.Autoscaler) {
				continue
			}
			p := b.p
			p.ScaleDown.Window = wd
			if c := try(p); flapsPerDay(c.res) <= limit {
				windows = append(windows, c)
			}
		}
		if flapsPerDay(b.res) <= limit {
			windows = append(windows, b)
		}
		if len(windows) == 0 {
			return b
		}
		return choose(append(windows, base), base)
	}
	first := choose(tried, base)
	best := refine(first)
	if sameCandidate(best, base) && base.res.SaturatedMinutes > 0.0005*base.res.Minutes {
		// The best setting flapped and none of its windows both calms it
		// and stays within the budget: rather than the current policy,
		// the best of the settings that reverse no more often than it
		// (refined unless it is the one just refined).
		calm := slices.DeleteFunc(slices.Clone(tried), func(c candidate) bool { return flapsPerDay(c.res) > limit })
		if c := choose(calm, base); !sameCandidate(c, first) {
			best = refine(c)
		}
	}
	flaps := flapsPerDay(best.res)

	after := best.p
	var out []Proposal
	if changes := hpaChanges(w.Autoscaler, cur, after, ci); len(changes) > 0 {
		before, err1 := Simulate(cur, h.Demand, withWindow(sim, win))
		afterRes, err2 := Simulate(after, h.Demand, withWindow(sim, win))
		if err1 != nil || err2 != nil {
			return nil, fmt.Sprintf("HPA: cannot simulate the held-out window: %v %v", err1, err2)
		}
		why := hpaWhy(cur, after, ci, base.res, best.res, peakP90, growth, flaps, fc, rises, principled, reaction)
		prop := Proposal{Workload: w.ID(), Kind: KindHPAProposal, Object: w.Autoscaler.Object, Changes: changes,
			Before: &Figures{Result: &before}, After: &Figures{Result: &afterRes}, Window: win, Why: why}
		if rh, ok := observedHours(h, win); ok {
			prop.Observed = &Observed{ReplicaHours: rh, SimulatedReplicaHours: before.ReplicaHours, From: h.ReplicasFrom}
			prop.Why += fmt.Sprintf(" The replay of the current policy runs %.0f replica-hours on the held-out window; the cluster ran %.0f (%s).", before.ReplicaHours, rh, h.ReplicasFrom)
		}
		out = append(out, prop)
	}
	reason := ""
	if len(out) == 0 {
		reason = keptWhy(tried, base, limit, rises[1], reaction)
	}
	// The schedule is proposed beside the policy, changed or kept: the
	// recurring rises no HPA setting within the budget absorbs are its
	// reason to be.
	if s := proposeSchedule(w, h, after, profile, train, win, reaction, ci, ssim, sim); s != nil {
		out = append(out, *s)
	}
	return out, reason
}

// keptWhy says why an HPA that saturates is kept as it is, with the price
// of doing better: the least saturation the settings tried reach within
// the budget of choose (10% more replica-hours) — and, when the settings
// reaching less reverse the replicas more than limit a day, the least of
// those that do not — and the cheapest setting that halves it, with its
// replica-hours: what standing headroom against rises faster than the
// reaction time costs. Empty when the HPA does not saturate (beyond 0.05%
// of the minutes) on the search weeks.
func keptWhy(tried []candidate, base candidate, limit, rise99 float64, reaction time.Duration) string {
	s0, r0 := base.res.SaturatedMinutes, base.res.ReplicaHours
	if s0 <= 0.0005*base.res.Minutes || r0 <= 0 {
		return ""
	}
	least, calm := s0, s0
	var halve *candidate
	for i := range tried {
		c := &tried[i]
		if c.res.ReplicaHours <= 1.1*r0 {
			least = min(least, c.res.SaturatedMinutes)
			if flapsPerDay(c.res) <= limit {
				calm = min(calm, c.res.SaturatedMinutes)
			}
		}
		if c.res.SaturatedMinutes <= s0/2 && (halve == nil || c.res.ReplicaHours < halve.res.ReplicaHours) {
			halve = c
		}
	}
	why := fmt.Sprintf("HPA kept: on the training weeks (their last week again at the forecast's growth) it saturates %.0f minutes; ", s0)
	if least < calm-max(1, 0.05*s0) {
		why += fmt.Sprintf("the settings tried within 10%% more replica-hours that saturate less (the least: %.0f minutes) reverse the replicas more than %.1f times a day within 10 minutes, and those that do not saturate no materially less (the least: %.0f minutes)", least, limit, calm)
	} else {
		why += fmt.Sprintf("no setting tried within 10%% more replica-hours saturates materially less (the least: %.0f minutes)", least)
	}
	why += fmt.Sprintf("; the load's P99 rise over the reaction time (%s) is +%.0f%%, which only standing headroom absorbs", reaction, 100*rise99)
	if halve != nil {
		why += fmt.Sprintf("; halving the saturation takes %s at %+.0f%% replica-hours", halve.p, 100*(halve.res.ReplicaHours/r0-1))
	} else {
		why += "; no setting tried halves it"
	}
	return why
}

// weekProfile returns, for each hour of the week, the q-quantile over the
// weeks of the hourly peaks, times growth (NaN hours are left out; an hour
// never seen is 0).
func weekProfile(hourly []float64, start time.Time, q, growth float64) [168]float64 {
	var by [168][]float64
	for i, v := range hourly {
		if !math.IsNaN(v) {
			h := HourOfWeek(start.Add(time.Duration(i) * time.Hour))
			by[h] = append(by[h], v)
		}
	}
	var out [168]float64
	for h, vs := range by {
		if len(vs) == 0 {
			continue
		}
		sort.Float64s(vs)
		out[h] = vs[int(math.Ceil(q*float64(len(vs)-1)))] * growth
	}
	return out
}

// riseQuantiles returns the quantiles qs of the load's relative rise over
// horizon: at each sample, the largest load within the next horizon over
// the load now, less one (never below 0).
func riseQuantiles(load []float64, step, horizon time.Duration, qs []float64) []float64 {
	k := max(1, int(math.Ceil(float64(horizon)/float64(step))))
	var rises []float64
	for i := 0; i+1 < len(load); i++ {
		a := load[i]
		if math.IsNaN(a) || a <= 0 {
			continue
		}
		top := a
		for _, b := range load[i+1 : min(len(load), i+1+k)] {
			if !math.IsNaN(b) && b > top {
				top = b
			}
		}
		rises = append(rises, top/a-1)
	}
	out := make([]float64, len(qs))
	if len(rises) == 0 {
		return out
	}
	sort.Float64s(rises)
	for i, q := range qs {
		out[i] = rises[int(q*float64(len(rises)-1))]
	}
	return out
}

// fasterScaleUp returns the scale-up rules made as fast as Kubernetes's
// default (no stabilisation window, 100% or 4 pods per 15 s), changing
// only what the manifest can say with the fields it has: the window, the
// select policy, and the value and period of its policies. ok is false
// when the rules are that fast already or nothing can be changed.
func fasterScaleUp(r Rules, a *Autoscaler) (Rules, bool) {
	prefix := scaleUpPrefix(a)
	if prefix == "" {
		return r, false
	}
	out := r
	out.Policies = slices.Clone(r.Policies)
	changed := false
	if r.Window > 0 {
		out.Window, changed = 0, true
	}
	if r.Select == SelectMin || r.Select == SelectDisabled {
		if _, ok := a.Fields[prefix+"selectPolicy"]; ok {
			out.Select, changed = SelectMax, true
		}
	}
	for i, q := range out.Policies {
		if _, ok := a.Fields[prefix+"policies."+string(q.Type)+".value"]; !ok {
			continue
		}
		fast := int32(4)
		if q.Type == Percent {
			fast = 100
		}
		if q.Value < fast {
			out.Policies[i].Value, changed = fast, true
		}
		if q.Period > 15*time.Second {
			out.Policies[i].Period, changed = 15*time.Second, true
		}
	}
	return out, changed
}

// scaleUpPrefix is the field name prefix of an autoscaler's scale-up
// behaviour, "" when its manifest has none (autoscaling/v1, values).
func scaleUpPrefix(a *Autoscaler) string {
	switch {
	case a.Object.Kind == KindScaledObject:
		return "advanced.horizontalPodAutoscalerConfig.behavior.scaleUp."
	case a.Object.Kind == KindHPA && a.Object.APIVersion != "autoscaling/v1":
		return "behavior.scaleUp."
	}
	return ""
}

// observedHours sums the replicas the cluster ran over the window; false
// when more than a tenth of them is unknown.
func observedHours(h History, w *Window) (float64, bool) {
	d := h.Demand
	if len(h.Replicas) == 0 {
		return 0, false
	}
	i := int(max(0, w.Start.Sub(d.Start)/d.Step))
	j := min(len(h.Replicas), int(w.End.Sub(d.Start)/d.Step))
	var sum float64
	known := 0
	for _, v := range h.Replicas[i:max(i, j)] {
		if !math.IsNaN(v) {
			sum += v
			known++
		}
	}
	if n := j - i; n <= 0 || known < n*9/10 {
		return 0, false
	}
	return sum / float64(known) * float64(j-i) * d.Step.Hours(), true
}

func withWindow(c SimConfig, w *Window) SimConfig {
	c.From, c.To = w.Start, w.End
	return c
}

// choose picks the policy to propose from the candidates' figures on the
// search demand by one explicit objective: saturation first within a
// replica-hours budget, then cost.
//
//   - The budget: when the current policy saturates (beyond 0.05% of the
//     minutes, about 5 a week), 10% more replica-hours than it; when it
//     does not, its own replica-hours, and no less headroom than it leaves
//     (minutes above 90% of capacity no more than its own or 0.1% of the
//     time, whichever is more). No candidate may saturate more than it.
//   - Within the budget, the least saturated minutes (to a minute, or 5%
//     of the current policy's), then the fewest replica-hours, then the
//     fewest scale events.
//
// The current policy is kept unless the choice is materially better: less
// saturation, or 2% fewer replica-hours.
func choose(tried []candidate, base candidate) candidate {
	s0, r0 := base.res.SaturatedMinutes, base.res.ReplicaHours
	quiet := 0.0005 * base.res.Minutes
	var ok func(c candidate) bool
	if s0 > quiet {
		ok = func(c candidate) bool {
			return c.res.SaturatedMinutes <= s0 && c.res.ReplicaHours <= 1.1*r0
		}
	} else {
		near := max(base.res.NearMinutes, 0.001*base.res.Minutes)
		ok = func(c candidate) bool {
			return c.res.SaturatedMinutes <= s0 && c.res.NearMinutes <= near && c.res.ReplicaHours <= r0
		}
	}
	least := math.Inf(1)
	for _, c := range tried {
		if ok(c) {
			least = min(least, c.res.SaturatedMinutes)
		}
	}
	if math.IsInf(least, 1) {
		return base
	}
	slack := max(1, 0.05*s0)
	var best candidate
	found := false
	for _, c := range tried {
		if !ok(c) || c.res.SaturatedMinutes > least+slack {
			continue
		}
		if !found || c.res.ReplicaHours < best.res.ReplicaHours-1e-9 ||
			(math.Abs(c.res.ReplicaHours-best.res.ReplicaHours) <= 1e-9 && c.res.ScaleEvents < best.res.ScaleEvents) {
			best, found = c, true
		}
	}
	if !found || (best.res.SaturatedMinutes >= s0-slack && best.res.ReplicaHours > 0.98*r0) {
		return base
	}
	return best
}

// troughMin is the minReplicas that absorbs the load's rise over the
// reaction time (sync, metrics, start-up) where the HPA, running at
// perPod per pod, would not have the pods in time: the largest load
// reaction later over capacity, at the instants when the pods the load
// asks for then would not serve it.
func troughMin(load []float64, step, reaction time.Duration, perPod, capacity float64) int32 {
	k := max(1, int(math.Ceil(float64(reaction)/float64(step))))
	var need []float64
	for i := 0; i+k < len(load); i++ {
		a, b := load[i], load[i+k]
		if math.IsNaN(a) || math.IsNaN(b) {
			continue
		}
		have := math.Ceil(a / perPod)
		if b/capacity > have {
			need = append(need, b/capacity)
		}
	}
	if len(need) == 0 {
		return 1
	}
	// The 99th percentile: one burst must not set the floor for a month.
	sort.Float64s(need)
	return int32(math.Ceil(need[int(0.99*float64(len(need)-1))]))
}

func minCandidates(cur, floor, maxR int32) []int32 {
	set := map[int32]bool{cur: true}
	for _, v := range []int32{1, 2, floor, (cur + floor) / 2, cur - 1, floor + 1} {
		if v >= 1 && v <= maxR {
			set[v] = true
		}
	}
	out := make([]int32, 0, len(set))
	for v := range set {
		if v <= maxR {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// projected returns d followed by its last week (or all of it when
// shorter) scaled by growth.
func projected(d Demand, growth float64) Demand {
	n := d.Len()
	week := int(7 * day / d.Step)
	from := max(0, n-week)
	out := Demand{Start: d.Start, Step: d.Step, Load: map[string][]float64{}}
	for k, v := range d.Load {
		x := make([]float64, 0, len(v)+len(v)-from)
		x = append(x, v...)
		for _, y := range v[from:] {
			x = append(x, y*growth)
		}
		out.Load[k] = x
	}
	return out
}

// forecastPeaks forecasts the hourly peaks of load (the maximum within
// each hour) over horizon with the automatic seasonal model; it returns
// the forecast and the hourly history.
func forecastPeaks(load []float64, step, horizon time.Duration) (*forecast.Forecast, []float64, error) {
	per := max(1, int(time.Hour/step))
	var hourly []float64
	for i := 0; i < len(load); i += per {
		m := math.NaN()
		for _, v := range load[i:min(i+per, len(load))] {
			if !math.IsNaN(v) && (math.IsNaN(m) || v > m) {
				m = v
			}
		}
		hourly = append(hourly, m)
	}
	h := int(horizon / time.Hour)
	fc, err := forecast.Auto(hourly, forecast.AutoOptions{Step: time.Hour, Horizon: h, Level: 0.8})
	if err != nil {
		return nil, nil, err
	}
	for i := range fc.Mean {
		fc.Mean[i] = max(0, fc.Mean[i])
		fc.Upper[i] = max(0, fc.Upper[i])
		fc.Lower[i] = max(0, fc.Lower[i])
	}
	return fc, hourly, nil
}

// flapsPerDay returns the replicas' reversals (Result.Reversals) per day
// of the window counted; 0 for an empty one.
func flapsPerDay(r Result) float64 {
	if r.Minutes == 0 {
		return 0
	}
	return float64(r.Reversals) / (r.Minutes / 1440)
}

// sameCandidate reports whether two candidates are the same policy (the
// same figures of the same metrics, bounds and behaviour).
func sameCandidate(a, b candidate) bool {
	return a.p.String() == b.p.String() && a.res.ReplicaHours == b.res.ReplicaHours && a.res.SaturatedMinutes == b.res.SaturatedMinutes
}

// hpaChanges lists the fields that differ between cur and next, named as
// in the autoscaler's manifest.
func hpaChanges(a *Autoscaler, cur, next Policy, ci int) []Change {
	kind := a.Object.Kind
	names := map[string]string{"min": "minReplicas", "max": "maxReplicas", "target": "averageUtilization", "window": "behavior.scaleDown.stabilizationWindowSeconds"}
	switch {
	case kind == KindScaledObject:
		names = map[string]string{"min": "minReplicaCount", "max": "maxReplicaCount", "target": "triggers.cpu.value", "window": "advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds"}
	case kind == KindValues || a.Object.APIVersion == "autoscaling/v1":
		names = map[string]string{"min": "minReplicas", "max": "maxReplicas", "target": "targetCPUUtilizationPercentage", "window": ""}
	}
	var out []Change
	add := func(key string, from, to int) {
		name := names[key]
		if name == "" || from == to {
			return
		}
		var f, t any = a.Fields[name], to
		if kind == KindScaledObject && key == "target" {
			t = fmt.Sprint(to)
		}
		out = append(out, Change{Field: name, From: f, To: t})
	}
	add("min", int(cur.MinReplicas), int(next.MinReplicas))
	add("max", int(cur.MaxReplicas), int(next.MaxReplicas))
	add("target", int(math.Round(cur.Metrics[ci].Target*100)), int(math.Round(next.Metrics[ci].Target*100)))
	add("window", int(cur.ScaleDown.Window/time.Second), int(next.ScaleDown.Window/time.Second))
	// The scale-up behaviour, as fasterScaleUp changes it.
	if prefix := scaleUpPrefix(a); prefix != "" {
		if cur.ScaleUp.Window != next.ScaleUp.Window {
			out = append(out, Change{Field: prefix + "stabilizationWindowSeconds", From: a.Fields[prefix+"stabilizationWindowSeconds"], To: int(next.ScaleUp.Window / time.Second)})
		}
		if cur.ScaleUp.Select != next.ScaleUp.Select {
			out = append(out, Change{Field: prefix + "selectPolicy", From: a.Fields[prefix+"selectPolicy"], To: next.ScaleUp.Select})
		}
		seen := map[PolicyType]bool{}
		for i, q := range cur.ScaleUp.Policies {
			if seen[q.Type] || i >= len(next.ScaleUp.Policies) {
				continue
			}
			seen[q.Type] = true
			n := next.ScaleUp.Policies[i]
			k := prefix + "policies." + string(q.Type) + "."
			if q.Value != n.Value {
				out = append(out, Change{Field: k + "value", From: a.Fields[k+"value"], To: int(n.Value)})
			}
			if q.Period != n.Period {
				out = append(out, Change{Field: k + "periodSeconds", From: a.Fields[k+"periodSeconds"], To: int(n.Period / time.Second)})
			}
		}
	}
	return out
}

// windowField reports whether an autoscaler's manifest can say a
// scale-down stabilisation window (not autoscaling/v1 nor values).
func windowField(a *Autoscaler) bool {
	return a.Object.Kind != KindValues && a.Object.APIVersion != "autoscaling/v1"
}

func hpaWhy(cur, next Policy, ci int, before, after Result, peakP90, growth, flaps float64, fc *forecast.Forecast, rises []float64, principled map[float64]float64, reaction time.Duration) string {
	var parts []string
	perPod := next.Metrics[ci].Target * next.Metrics[ci].Request
	if next.MaxReplicas != cur.MaxReplicas {
		parts = append(parts, fmt.Sprintf("the forecast's P90 peak is %.2f cores, %d pods at %.0f%% of %s with %.0f%% headroom need maxReplicas %d", peakP90, int(math.Ceil(peakP90/perPod)), next.Metrics[ci].Target*100, fmtCores(next.Metrics[ci].Request), 0.0+100*(float64(next.MaxReplicas)/math.Max(1, math.Ceil(peakP90/perPod))-1), next.MaxReplicas))
	}
	if growth > 1.02 {
		parts = append(parts, fmt.Sprintf("demand grows: the next week %+.0f%% over the last", 100*(growth-1)))
	}
	if next.MinReplicas != cur.MinReplicas {
		parts = append(parts, fmt.Sprintf("minReplicas %d → %d from the trough and the rise over a pod's start-up", cur.MinReplicas, next.MinReplicas))
	}
	if next.Metrics[ci].Target != cur.Metrics[ci].Target {
		t := fmt.Sprintf("target %.0f%% → %.0f%%", 100*cur.Metrics[ci].Target, 100*next.Metrics[ci].Target)
		if q, ok := principled[next.Metrics[ci].Target]; ok {
			i := map[float64]int{0.9: 0, 0.99: 1, 0.999: 2}[q]
			t += fmt.Sprintf(" (the headroom for the load's P%g rise over the %s reaction time, %+.0f%%)", 100*q, reaction, 100*rises[i])
		} else {
			t += fmt.Sprintf(" (the load rises %+.0f%% / %+.0f%% / %+.0f%% at P90 / P99 / P99.9 over the %s reaction time)", 100*rises[0], 100*rises[1], 100*rises[2], reaction)
		}
		parts = append(parts, t)
	}
	if next.ScaleUp.Window != cur.ScaleUp.Window || !slices.Equal(next.ScaleUp.Policies, cur.ScaleUp.Policies) || next.ScaleUp.Select != cur.ScaleUp.Select {
		parts = append(parts, "scale-up as fast as Kubernetes's default (no stabilisation window, 100% or 4 pods per 15s): the slow scale-up let rises saturate")
	}
	if next.ScaleDown.Window != cur.ScaleDown.Window {
		parts = append(parts, fmt.Sprintf("scale-down window %s → %s (%.1f reversals a day within 10 minutes)", fmtSeconds(cur.ScaleDown.Window), fmtSeconds(next.ScaleDown.Window), flaps))
	}
	s := strings.Join(parts, "; ")
	s = strings.ToUpper(s[:1]) + s[1:]
	return fmt.Sprintf("%s. On the training weeks replayed by the HPA simulator: %.0f → %.0f saturated minutes, %.0f → %.0f replica-hours (forecast: %s).",
		s, before.SaturatedMinutes, after.SaturatedMinutes, before.ReplicaHours, after.ReplicaHours, fc.Model)
}

func fmtCores(c float64) string {
	if c < 1 {
		return fmt.Sprintf("%.0fm", c*1000)
	}
	return fmt.Sprintf("%.2f cores", c)
}

// fmtDuration writes a duration in days and hours: "4d19h", "2d", "7h".
func fmtDuration(d time.Duration) string {
	d = d.Round(time.Hour)
	days, hours := d/day, (d%day)/time.Hour
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dh", hours)
}

func meanOf(v []float64) float64 {
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func tailMean(v []float64, n int) float64 { return meanOf(v[max(0, len(v)-n):]) }

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		if !math.IsNaN(x) && x > m {
			m = x
		}
	}
	return m
}
