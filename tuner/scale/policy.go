package scale

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// MetricType is how a metric's target is expressed, as in autoscaling/v2.
type MetricType string

// Metric target types.
const (
	// Utilization is a fraction of the pods' request of a resource
	// (averageUtilization 70 is Target 0.7).
	Utilization MetricType = "Utilization"
	// AverageValue is a value per pod: the metric's total divided by the
	// pods (a Pods metric, or an Object or External one with averageValue).
	AverageValue MetricType = "AverageValue"
	// Value is the metric's total compared with the target as it is (an
	// Object or External metric with value).
	Value MetricType = "Value"
)

// MetricSource is where a metric comes from, as in autoscaling/v2.
type MetricSource string

// Metric sources.
const (
	// SourceResource is a pod resource (cpu, memory) from the resource
	// metrics API; the default for the names cpu and memory.
	SourceResource MetricSource = "Resource"
	// SourcePods is a metric per pod from the custom metrics API; the
	// default for other names.
	SourcePods MetricSource = "Pods"
	// SourceObject is a metric of another object (an Ingress's request
	// rate).
	SourceObject MetricSource = "Object"
	// SourceExternal is a metric from outside the cluster (a queue's
	// length); KEDA's triggers are External metrics.
	SourceExternal MetricSource = "External"
)

// Metric is one metric an autoscaler scales on.
type Metric struct {
	// Name names the demand series the metric reads in a Demand: "cpu",
	// "memory", or any other name (a request rate).
	Name string
	// Source is where the metric comes from; empty means SourceResource
	// for cpu and memory and SourcePods otherwise.
	Source MetricSource
	// Type says how Target is expressed.
	Type MetricType
	// Target is the target: a fraction of the request for Utilization
	// (0.7), a value per pod for AverageValue, a total for Value.
	Target float64
	// Request is the resource request per pod, in the demand's unit
	// (cores, bytes); needed for Utilization.
	Request float64
	// Capacity is the load per ready pod, in the demand's unit, above
	// which a pod is saturated. Zero means the default: Request for
	// Utilization (a pod using more than it requested), the target raised
	// by the tolerance for AverageValue; a Value metric never saturates.
	Capacity float64
}

// source returns m.Source with its default.
func (m Metric) source() MetricSource {
	switch {
	case m.Source != "":
		return m.Source
	case m.Name == "cpu" || m.Name == "memory":
		return SourceResource
	}
	return SourcePods
}

// capacity returns the saturation level per pod (0: none).
func (m Metric) capacity(tol float64) float64 {
	if m.Capacity > 0 {
		return m.Capacity
	}
	switch m.Type {
	case Utilization:
		return m.Request
	case AverageValue:
		return m.Target * (1 + tol)
	}
	return 0
}

// String returns the metric as a person reads it: "cpu 70%".
func (m Metric) String() string {
	if m.Type == Utilization {
		return fmt.Sprintf("%s %g%%", m.Name, math.Round(m.Target*1000)/10)
	}
	return fmt.Sprintf("%s %s %g", m.Name, m.Type, m.Target)
}

// PolicyType is the kind of a scaling policy: a number of pods or a
// percentage of the replicas per period.
type PolicyType string

// Scaling policy types.
const (
	Pods    PolicyType = "Pods"
	Percent PolicyType = "Percent"
)

// RatePolicy limits how many replicas may be added or removed within a
// period (autoscaling/v2 HPAScalingPolicy).
type RatePolicy struct {
	Type   PolicyType
	Value  int32
	Period time.Duration
}

// Select values of Rules.Select.
const (
	SelectMax      = "Max"
	SelectMin      = "Min"
	SelectDisabled = "Disabled"
)

// Rules are the scaling rules of one direction (autoscaling/v2
// HPAScalingRules).
type Rules struct {
	// Window is the stabilisation window.
	Window time.Duration
	// Select is SelectMax (the policy allowing the largest change, the
	// default), SelectMin or SelectDisabled.
	Select string
	// Policies limit the rate of change.
	Policies []RatePolicy
	// Tolerance, when set, replaces the cluster-wide tolerance for this
	// direction (autoscaling/v2 behavior tolerance, Kubernetes 1.33).
	Tolerance *float64
}

// DefaultScaleUp returns Kubernetes's default scale-up rules: no
// stabilisation, the larger of 4 pods and 100% per 15 seconds.
func DefaultScaleUp() Rules {
	return Rules{Select: SelectMax, Policies: []RatePolicy{{Percent, 100, 15 * time.Second}, {Pods, 4, 15 * time.Second}}}
}

// DefaultScaleDown returns Kubernetes's default scale-down rules: a
// 300-second stabilisation window, 100% per 15 seconds.
func DefaultScaleDown() Rules {
	return Rules{Window: 300 * time.Second, Select: SelectMax, Policies: []RatePolicy{{Percent, 100, 15 * time.Second}}}
}

// DefaultTolerance is the HPA controller's default tolerance
// (--horizontal-pod-autoscaler-tolerance).
const DefaultTolerance = 0.1

// Policy is an autoscaling policy as the HPA controller applies it: the
// bounds, the metrics and the behaviour. A ScaledObject and a Helm values
// file come down to the same.
type Policy struct {
	// MinReplicas and MaxReplicas bound the replicas.
	MinReplicas, MaxReplicas int32
	// Metrics are the metrics scaled on; the largest recommendation wins.
	Metrics []Metric
	// ScaleUp and ScaleDown are the behaviour; see DefaultScaleUp and
	// DefaultScaleDown for what Kubernetes fills in.
	ScaleUp, ScaleDown Rules
	// Floor, when set, is a minimum of replicas by hour or by minute of the
	// week — a predictive schedule, or a ScaledObject's cron triggers —
	// applied as KEDA applies a cron trigger (one more metric whose
	// recommendation is the floor).
	Floor *Schedule
}

// String returns the policy in one line: "2–10 replicas, cpu 70%, down 300s".
func (p Policy) String() string {
	ms := make([]string, len(p.Metrics))
	for i, m := range p.Metrics {
		ms[i] = m.String()
	}
	s := fmt.Sprintf("%d–%d replicas, %s, scale-down window %s", p.MinReplicas, p.MaxReplicas, strings.Join(ms, ", "), fmtSeconds(p.ScaleDown.Window))
	if up := p.ScaleUp; up.Window > 0 || up.Select == SelectMin || up.Select == SelectDisabled || !slices.Equal(up.Policies, DefaultScaleUp().Policies) {
		var qs []string
		for _, q := range up.Policies {
			unit := ""
			if q.Type == Percent {
				unit = "%"
			}
			qs = append(qs, fmt.Sprintf("%d%s per %s", q.Value, unit, fmtSeconds(q.Period)))
		}
		s += fmt.Sprintf(", scale-up window %s, %s", fmtSeconds(up.Window), strings.Join(qs, " or "))
	}
	switch {
	case p.Floor != nil && p.Floor.ByMinute != nil:
		s += ", cron floor"
	case p.Floor != nil:
		s += ", predictive floor"
	}
	return s
}

// Validate reports what makes a policy impossible to simulate.
func (p Policy) Validate() error {
	switch {
	case p.MaxReplicas < 1:
		return fmt.Errorf("scale: maxReplicas %d: want at least 1", p.MaxReplicas)
	case p.MinReplicas < 1:
		return fmt.Errorf("scale: minReplicas %d: want at least 1 (scale to zero is not simulated)", p.MinReplicas)
	case p.MinReplicas > p.MaxReplicas:
		return fmt.Errorf("scale: minReplicas %d is above maxReplicas %d", p.MinReplicas, p.MaxReplicas)
	case len(p.Metrics) == 0 && p.Floor == nil:
		return fmt.Errorf("scale: no metric to scale on")
	case p.Floor != nil && p.Floor.ByMinute != nil && len(p.Floor.ByMinute) != minutesPerWeek:
		return fmt.Errorf("scale: a floor by minute has %d values: want %d, one for each minute of the week", len(p.Floor.ByMinute), minutesPerWeek)
	}
	for _, m := range p.Metrics {
		if !(m.Target > 0) || math.IsInf(m.Target, 0) {
			return fmt.Errorf("scale: metric %s: target %g: want a positive number", m.Name, m.Target)
		}
		if m.Type == Utilization && !(m.Request > 0) {
			return fmt.Errorf("scale: metric %s: a utilization target needs the pods' request", m.Name)
		}
	}
	for _, r := range []Rules{p.ScaleUp, p.ScaleDown} {
		for _, q := range r.Policies {
			if q.Value <= 0 || q.Period <= 0 {
				return fmt.Errorf("scale: scaling policy %s %d per %s: want a positive value and period", q.Type, q.Value, q.Period)
			}
		}
	}
	return nil
}

// Schedule is a minimum of replicas for each hour of the week (UTC,
// Monday 00:00 first), or for each minute of the week in a time zone:
// the floor a set of KEDA cron triggers makes (see TriggerFloor).
type Schedule struct {
	// Min[h] is the minimum for hour h of the week, 0 ≤ h < 168.
	Min [168]int32
	// Lead is how long before its hour a minimum holds, so that the pods
	// it adds are ready when the hour begins; 0 means from the hour.
	Lead time.Duration
	// ByMinute, when set, holds the minimum for each minute of the week
	// (minutesPerWeek values, Monday 00:00 first) in Location, and Min
	// and Lead are not used.
	ByMinute []int32
	// Location is the time zone of ByMinute; nil means UTC.
	Location *time.Location
}

// at returns the minimum at t, Unix milliseconds.
func (s *Schedule) at(t int64) int32 {
	switch {
	case s.ByMinute == nil:
		return s.Min[hourOfWeek(t+s.Lead.Milliseconds())]
	case s.Location == nil || s.Location == time.UTC:
		const minute, week = 60_000, minutesPerWeek * 60_000
		// The epoch was a Thursday 00:00: Monday 00:00 was 3 days before.
		return s.ByMinute[int(((t+3*1440*minute)%week+week)%week)/minute]
	}
	lt := time.UnixMilli(t).In(s.Location)
	return s.ByMinute[((int(lt.Weekday())+6)%7)*1440+lt.Hour()*60+lt.Minute()]
}

// HourOfWeek returns the hour of the week of t (UTC), Monday 00:00 being 0.
func HourOfWeek(t time.Time) int {
	t = t.UTC()
	wd := (int(t.Weekday()) + 6) % 7
	return wd*24 + t.Hour()
}

// hourOfWeek is HourOfWeek of Unix milliseconds.
func hourOfWeek(ms int64) int {
	const hour, week = 3_600_000, 7 * 24 * 3_600_000
	// The epoch was a Thursday 00:00: Monday 00:00 was 3 days before.
	return int(((ms+3*24*hour)%week+week)%week) / hour
}

func fmtSeconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int64(d/time.Second))
}
