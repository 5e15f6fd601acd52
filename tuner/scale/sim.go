package scale

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Demand is the load a workload had to serve, as totals over all its pods
// (per-pod usage × replicas): total CPU cores, total memory bytes, total
// requests per second. Expressed so, it does not depend on how many
// replicas served it, which is what lets one history be replayed under any
// policy without the feedback loop of per-pod usage (krr#169).
type Demand struct {
	// Start is the instant of the first sample; Step the sampling interval.
	Start time.Time
	Step  time.Duration
	// Load holds one total series per metric name ("cpu", "memory", …),
	// all Start-aligned with the same step. NaN is a missing sample: the
	// last known value holds.
	Load map[string][]float64
}

// Len returns the number of samples of the longest series.
func (d Demand) Len() int {
	n := 0
	for _, v := range d.Load {
		n = max(n, len(v))
	}
	return n
}

// End returns the instant after the last sample.
func (d Demand) End() time.Time { return d.Start.Add(time.Duration(d.Len()) * d.Step) }

// SimConfig configures Simulate. The zero value is Kubernetes's defaults
// with pods ready at once.
type SimConfig struct {
	// SyncPeriod is the HPA controller's period
	// (--horizontal-pod-autoscaler-sync-period); 0 means 15s.
	SyncPeriod time.Duration
	// StartupDelay is the time from a pod's creation to its readiness (image
	// pull, start, readiness probe): it serves no load before. 0 means
	// ready at once.
	StartupDelay time.Duration
	// MetricsDelay is how old the load the controller sees is: the
	// metrics pipeline (cAdvisor's scrape, metrics-server's window). The
	// controller recommends from the load MetricsDelay ago while
	// saturation is counted on the load now. 0 means none.
	MetricsDelay time.Duration
	// Tolerance is the cluster-wide tolerance; 0 means 0.1. A behavior's
	// own tolerance takes precedence.
	Tolerance float64
	// InitialReplicas is the replicas at the start; 0 means what the
	// policy's metrics ask for the first sample, within the bounds.
	InitialReplicas int32
	// From and To bound the window the figures are counted in; zero means
	// the demand's start and end. The simulation always starts at the
	// demand's start, so the state at From is what the policy had made of
	// the history before (a warm-up).
	From, To time.Time
	// Trace records the state at every sync in Result.Trace.
	Trace bool
}

// Result holds the figures of one simulation over its window.
type Result struct {
	// Minutes is the length of the window counted.
	Minutes float64 `json:"minutes"`
	// SaturatedMinutes are the minutes during which the load per ready pod
	// was above a metric's capacity (see Metric.Capacity), or there was
	// load and no ready pod.
	SaturatedMinutes float64 `json:"saturated_minutes"`
	// ReplicaHours is the sum over time of the pods that existed (starting
	// ones included): the cost.
	ReplicaHours float64 `json:"replica_hours"`
	// NearMinutes are the minutes during which the load per ready pod was
	// above 90% of a metric's capacity: how little headroom was left.
	NearMinutes float64 `json:"minutes_near_saturation"`
	// ScaleEvents counts the changes of the replicas.
	ScaleEvents int `json:"scale_events"`
	// Reversals counts the changes of the replicas in the direction
	// opposite to the change before, within 10 minutes of it: flapping.
	Reversals int `json:"reversals"`
	// MinutesAtMax are the minutes pinned at maxReplicas: at the maximum
	// while the metrics asked for more.
	MinutesAtMax float64 `json:"minutes_at_max"`
	// PeakReplicas is the largest number of replicas.
	PeakReplicas int32 `json:"peak_replicas"`
	// MeanReplicas is the time-average of the replicas.
	MeanReplicas float64 `json:"mean_replicas"`
	// Trace is the state at each sync when SimConfig.Trace is set.
	Trace []TracePoint `json:"-"`
}

// TracePoint is the state after one sync of the controller.
type TracePoint struct {
	T time.Time
	// Replicas and Ready are the pods and the ready pods after the sync.
	Replicas, Ready int32
	// Desired is the recommendation of the metrics before the behaviour
	// (stabilisation, rate limits) and the bounds.
	Desired int32
	// Saturated reports whether the load per ready pod was above capacity
	// before the sync acted.
	Saturated bool
}

// ErrNoDemand is returned for a demand without a sample or a series the
// policy's metrics need.
var ErrNoDemand = errors.New("scale: no demand to simulate")

// Simulate replays demand under policy p with the HPA controller's
// algorithm (Kubernetes pkg/controller/podautoscaler, as documented in
// "Horizontal Pod Autoscaling"), one sync every SyncPeriod:
//
//  1. Each metric gives a recommendation. For a resource or Pods metric the
//     load is spread over the ready pods; the usage ratio is the average
//     per ready pod over the target, and desired = ⌈ratio × ready⌉ unless
//     the ratio is within the tolerance (|ratio − 1| ≤ 0.1), which keeps the
//     current replicas. Pods not yet ready are set aside: for CPU, when the
//     ratio asks to scale up they count as using nothing (which damps the
//     scale-up), as "not-yet-ready" pods do; for other metrics they have no
//     sample yet and count as using the target on a scale-down and nothing
//     on a scale-up, as pods with missing metrics do; a recalculated ratio
//     that reverses the direction or falls within the tolerance keeps the
//     current replicas. An External or Object metric with an average value
//     gives ⌈total / target⌉ (tolerance against the current replicas); one
//     with a value gives ⌈total / target × ready⌉. The largest
//     recommendation wins; the predictive floor is one more recommendation,
//     as a KEDA cron trigger is.
//  2. Outside the bounds the replicas go to the bound. Otherwise the
//     recommendation is stabilised — not below the lowest recommendation of
//     the scale-up window, not above the highest of the scale-down window
//     (the history starts with the initial replicas) — and limited by the
//     scaling policies: each policy allows, from the replicas at the start
//     of its period (the current ones less the changes made within it),
//     Value pods or Value percent more (⌈·⌉) or less (⌊·⌋); Select Max takes
//     the policy allowing the largest change, Min the smallest, Disabled
//     none; then minReplicas and maxReplicas.
//  3. New pods serve load after StartupDelay; removed pods go at once, the
//     ones not ready first, then the newest.
//
// Figures are counted over [From, To) at the sync instants: a sync whose
// load per ready pod is above a metric's capacity adds a sync period of
// saturation. The demand holds its last known value over missing samples
// and between samples.
func Simulate(p Policy, d Demand, cfg SimConfig) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	if d.Step <= 0 || d.Len() == 0 {
		return Result{}, ErrNoDemand
	}
	loads := make([][]float64, len(p.Metrics))
	for i, m := range p.Metrics {
		l, ok := d.Load[m.Name]
		if !ok || len(l) == 0 {
			return Result{}, fmt.Errorf("%w: the policy scales on %s and the demand has no %s series", ErrNoDemand, m.Name, m.Name)
		}
		loads[i] = l
	}
	s := newSim(p, cfg)
	end := d.End()
	from, to := cfg.From, cfg.To
	if from.IsZero() || from.Before(d.Start) {
		from = d.Start
	}
	if to.IsZero() || to.After(end) {
		to = end
	}
	if !to.After(from) {
		return Result{}, fmt.Errorf("%w: the window %s – %s holds no demand", ErrNoDemand, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	cur := make([]float64, len(loads))
	seen := make([]float64, len(loads)) // what the controller sees
	for i := range cur {
		cur[i], seen[i] = math.NaN(), math.NaN()
	}
	lagMs := cfg.MetricsDelay.Milliseconds()
	var res Result
	sync := s.sync
	counted := 0
	// The last change of the replicas counted: its direction and instant,
	// for the reversals.
	prevN, lastDir, lastMs := int32(-1), 0, int64(0)
	var sumReplicas float64
	start, stepMs, syncMs := d.Start.UnixMilli(), d.Step.Milliseconds(), sync.Milliseconds()
	fromMs, toMs := from.UnixMilli(), to.UnixMilli()
	for t := start; t < toMs; t += syncMs {
		k := int((t - start) / stepMs)
		for i, l := range loads {
			if k < len(l) && !math.IsNaN(l[k]) {
				cur[i] = l[k]
			}
		}
		view := cur
		if lagMs > 0 {
			kl := max(0, int((t-lagMs-start)/stepMs))
			for i, l := range loads {
				if kl < len(l) && !math.IsNaN(l[kl]) {
					seen[i] = l[kl]
				}
			}
			view = seen
		}
		if s.pods == nil {
			s.start(t, cfg.InitialReplicas, view)
		}
		ready := s.ready(t)
		saturated := s.saturated(cur, ready, 1)
		near := saturated || s.saturated(cur, ready, 0.9)
		desired, pinned := s.step(t, view, ready)
		if t < fromMs {
			continue
		}
		counted++
		n := int32(len(s.pods))
		sumReplicas += float64(n)
		if saturated {
			res.SaturatedMinutes += sync.Minutes()
		}
		if near {
			res.NearMinutes += sync.Minutes()
		}
		if pinned {
			res.MinutesAtMax += sync.Minutes()
		}
		res.PeakReplicas = max(res.PeakReplicas, n)
		if s.rescaled {
			res.ScaleEvents++
		}
		if prevN >= 0 && n != prevN {
			dir := 1
			if n < prevN {
				dir = -1
			}
			if lastDir != 0 && dir != lastDir && t-lastMs <= (10*time.Minute).Milliseconds() {
				res.Reversals++
			}
			lastDir, lastMs = dir, t
		}
		prevN = n
		if cfg.Trace {
			res.Trace = append(res.Trace, TracePoint{T: time.UnixMilli(t).UTC(), Replicas: n, Ready: s.ready(t), Desired: desired, Saturated: saturated})
		}
	}
	res.Minutes = float64(counted) * sync.Minutes()
	res.ReplicaHours = sumReplicas * sync.Hours()
	if counted > 0 {
		res.MeanReplicas = sumReplicas / float64(counted)
	}
	return res, nil
}

// timed is a recommendation or an event at t (Unix ms).
type timed struct {
	t int64
	n int32
}

type sim struct {
	p        Policy
	sync     time.Duration
	delay    int64 // ms
	tol      float64
	upTol    float64
	downTol  float64
	pods     []int64 // creation instants (Unix ms), oldest first
	recs     []timed // recommendations
	ups      []timed // scale-up events (pods added)
	downs    []timed // scale-down events (pods removed)
	rescaled bool
	keep     int64 // how long events and recommendations matter, ms
}

func newSim(p Policy, cfg SimConfig) *sim {
	s := &sim{p: p, sync: cfg.SyncPeriod, delay: cfg.StartupDelay.Milliseconds(), tol: cfg.Tolerance}
	if s.sync <= 0 {
		s.sync = 15 * time.Second
	}
	if s.tol <= 0 {
		s.tol = DefaultTolerance
	}
	s.upTol, s.downTol = s.tol, s.tol
	if t := p.ScaleUp.Tolerance; t != nil {
		s.upTol = *t
	}
	if t := p.ScaleDown.Tolerance; t != nil {
		s.downTol = *t
	}
	keep := max(p.ScaleUp.Window, p.ScaleDown.Window)
	for _, r := range []Rules{p.ScaleUp, p.ScaleDown} {
		for _, q := range r.Policies {
			keep = max(keep, q.Period)
		}
	}
	s.keep = keep.Milliseconds()
	return s
}

// start creates the initial pods, ready at t.
func (s *sim) start(t int64, initial int32, load []float64) {
	n := initial
	if n <= 0 {
		n = s.p.MinReplicas
		for i, m := range s.p.Metrics {
			if l := load[i]; !math.IsNaN(l) {
				n = max(n, int32(math.Ceil(l/perPodTarget(m))))
			}
		}
		if s.p.Floor != nil {
			n = max(n, s.p.Floor.at(t))
		}
	}
	n = min(max(n, s.p.MinReplicas), s.p.MaxReplicas)
	s.pods = make([]int64, n)
	born := t - s.delay
	for i := range s.pods {
		s.pods[i] = born
	}
	s.recs = []timed{{t, n}}
}

// perPodTarget is the load per pod a metric aims at.
func perPodTarget(m Metric) float64 {
	if m.Type == Utilization {
		return m.Target * m.Request
	}
	return m.Target
}

func (s *sim) ready(t int64) int32 {
	// Pods are oldest first: the ready ones are a prefix.
	n := len(s.pods)
	for n > 0 && s.pods[n-1]+s.delay > t {
		n--
	}
	return int32(n)
}

// saturated reports whether the load per ready pod is above frac of a
// metric's capacity.
func (s *sim) saturated(load []float64, ready int32, frac float64) bool {
	for i, m := range s.p.Metrics {
		l := load[i]
		if math.IsNaN(l) || l <= 0 {
			continue
		}
		c := m.capacity(s.tol) * frac
		if c <= 0 {
			continue
		}
		if ready == 0 || l/float64(ready) > c {
			return true
		}
	}
	return false
}

func (s *sim) within(ratio float64) bool {
	return 1-s.downTol <= ratio && ratio <= 1+s.upTol
}

// recommend returns one metric's recommendation and whether it is valid.
func (s *sim) recommend(m Metric, load float64, current, ready int32) (int32, bool) {
	if math.IsNaN(load) || load < 0 {
		return 0, false
	}
	target := perPodTarget(m)
	switch m.source() {
	case SourceExternal, SourceObject:
		if m.Type == AverageValue {
			ratio := load / (m.Target * float64(current))
			if s.within(ratio) {
				return current, true
			}
			return int32(math.Ceil(load / m.Target)), true
		}
		ratio := load / m.Target
		if current == 0 {
			return int32(math.Ceil(ratio)), true
		}
		if s.within(ratio) {
			return current, true
		}
		return int32(math.Ceil(ratio * float64(ready))), true
	}
	// Resource and Pods metrics: one sample per ready pod.
	if ready == 0 {
		return 0, false // no metric for any pod: the metric fails
	}
	unready := current - ready
	ratio := load / float64(ready) / target
	if unready == 0 || (m.Name == "cpu" && ratio <= 1) {
		if s.within(ratio) {
			return current, true
		}
		return int32(math.Ceil(ratio * float64(ready))), true
	}
	// Set-aside pods: CPU's not-yet-ready pods count as 0 on a scale-up;
	// other metrics' pods without a sample count as the target on a
	// scale-down and as 0 on a scale-up.
	var newRatio float64
	switch {
	case ratio > 1:
		newRatio = ratio * float64(ready) / float64(current)
	case ratio < 1:
		newRatio = (ratio*float64(ready) + float64(unready)) / float64(current)
	default:
		newRatio = ratio
	}
	if s.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return current, true
	}
	n := int32(math.Ceil(newRatio * float64(current)))
	if (newRatio < 1 && n > current) || (newRatio > 1 && n < current) {
		return current, true
	}
	return n, true
}

// step runs one sync at t and returns the metrics' recommendation and
// whether the workload is pinned at its maximum.
func (s *sim) step(t int64, load []float64, ready int32) (int32, bool) {
	s.rescaled = false
	s.prune(t)
	current := int32(len(s.pods))
	p := s.p
	var desired, raw int32
	switch {
	case current > p.MaxReplicas:
		desired = p.MaxReplicas
	case current < p.MinReplicas:
		desired = p.MinReplicas
	default:
		valid := false
		for i, m := range p.Metrics {
			if r, ok := s.recommend(m, load[i], current, ready); ok {
				raw = max(raw, r)
				valid = true
			}
		}
		if p.Floor != nil {
			// A KEDA cron trigger: an External metric whose total is the
			// floor, with an average-value target of 1.
			if f := p.Floor.at(t); f > 0 {
				r, _ := s.recommend(Metric{Name: "floor", Type: AverageValue, Target: 1, Source: SourceExternal}, float64(f), current, ready)
				raw = max(raw, r)
				valid = true
			}
		}
		if !valid {
			return current, false
		}
		desired = s.normalize(t, current, raw)
	}
	pinned := current == p.MaxReplicas && raw > p.MaxReplicas
	if desired != current {
		s.scale(t, current, desired)
	}
	return raw, pinned
}

// normalize applies the stabilisation windows and the rate policies
// (normalizeDesiredReplicasWithBehaviors).
func (s *sim) normalize(t int64, current, desired int32) int32 {
	p := s.p
	up, down := desired, desired
	upCut, downCut := t-p.ScaleUp.Window.Milliseconds(), t-p.ScaleDown.Window.Milliseconds()
	for _, r := range s.recs {
		if r.t > upCut {
			up = min(up, r.n)
		}
		if r.t > downCut {
			down = max(down, r.n)
		}
	}
	rec := max(current, up)
	rec = min(rec, down)
	s.recs = append(s.recs, timed{t, desired})

	switch {
	case rec > current:
		limit := s.limit(t, current, p.ScaleUp, true)
		limit = max(limit, current)
		allowed := min(p.MaxReplicas, limit)
		return min(rec, allowed)
	case rec < current:
		limit := s.limit(t, current, p.ScaleDown, false)
		limit = min(limit, current)
		allowed := max(p.MinReplicas, limit)
		return max(rec, allowed)
	}
	return rec
}

// limit returns the scale-up (or scale-down) limit of the rules at t
// (calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors).
func (s *sim) limit(t int64, current int32, r Rules, up bool) int32 {
	sel := r.Select
	if sel == SelectDisabled {
		return current
	}
	if len(r.Policies) == 0 {
		// No policy limits the change.
		if up {
			return math.MaxInt32
		}
		return 0
	}
	minChange := sel == SelectMin
	var result int32
	switch {
	case up && minChange, !up && !minChange:
		result = math.MaxInt32
	default:
		result = math.MinInt32
	}
	for _, q := range r.Policies {
		added := changes(s.ups, t, q.Period)
		removed := changes(s.downs, t, q.Period)
		start := current - added + removed
		var proposed int32
		switch {
		case up && q.Type == Pods:
			proposed = start + q.Value
		case up:
			proposed = int32(math.Ceil(float64(start) * (1 + float64(q.Value)/100)))
		case q.Type == Pods:
			proposed = start - q.Value
		default:
			proposed = int32(float64(start) * (1 - float64(q.Value)/100))
		}
		if (up && minChange) || (!up && !minChange) {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// changes sums the events strictly after t − period.
func changes(events []timed, t int64, period time.Duration) int32 {
	cut := t - period.Milliseconds()
	var n int32
	for _, e := range events {
		if e.t > cut {
			n += e.n
		}
	}
	return n
}

func (s *sim) scale(t int64, current, desired int32) {
	s.rescaled = true
	if desired > current {
		for range desired - current {
			s.pods = append(s.pods, t)
		}
		s.ups = append(s.ups, timed{t, desired - current})
		return
	}
	// The ReplicaSet controller deletes pods not ready first, then the
	// newest: the slice is oldest first, so take from the end.
	s.pods = s.pods[:desired]
	s.downs = append(s.downs, timed{t, current - desired})
}

// prune drops recommendations and events that can no longer matter.
func (s *sim) prune(t int64) {
	cut := t - s.keep - s.sync.Milliseconds()
	drop := func(xs []timed) []timed {
		i := 0
		for i < len(xs) && xs[i].t < cut {
			i++
		}
		if i > 0 && i > len(xs)/2 {
			return append(xs[:0], xs[i:]...)
		}
		return xs
	}
	s.recs = drop(s.recs)
	s.ups = drop(s.ups)
	s.downs = drop(s.downs)
}
