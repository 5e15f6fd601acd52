package engine

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner/scale"
)

// ScaleQueries are the series omen scale reads for a workload. Selectors
// get the workload's namespace and pod matchers added; RequestRate is a
// query template in which $namespace and $name are replaced.
type ScaleQueries struct {
	// CPU is the CPU usage per container: a counter of seconds (CPUCounter,
	// turned into cores here, on a file as on a server), or a gauge of
	// cores (a recording rule).
	CPU        string
	CPUCounter bool
	// Memory is the working set per container, in bytes.
	Memory string
	// Restarts is the restart counter per container.
	Restarts string
	// Requests and Limits are kube-state-metrics' per-container requests
	// and limits (resource="cpu"|"memory"), used where a manifest has none.
	Requests, Limits string
	// HPAReplicas, DeploymentReplicas and StatefulSetReplicas are
	// kube-state-metrics' replicas (the HPA's status first): what the
	// cluster ran, compared with the replay of the current policy.
	HPAReplicas, DeploymentReplicas, StatefulSetReplicas string
	// RequestRate, optional, is the workload's request rate (a total over
	// its pods); it is the demand of the autoscaler's first Pods, Object or
	// External metric.
	RequestRate string
}

// ScalePreset returns the queries of cAdvisor and kube-state-metrics.
func ScalePreset() ScaleQueries {
	return ScaleQueries{
		CPU:        `container_cpu_usage_seconds_total{container!="",container!="POD"}`,
		CPUCounter: true,
		Memory:     `container_memory_working_set_bytes{container!="",container!="POD"}`,
		Restarts:   `kube_pod_container_status_restarts_total`,
		Requests:   `kube_pod_container_resource_requests`,
		Limits:     `kube_pod_container_resource_limits`,

		HPAReplicas:         `kube_horizontalpodautoscaler_status_current_replicas`,
		DeploymentReplicas:  `kube_deployment_status_replicas`,
		StatefulSetReplicas: `kube_statefulset_status_replicas`,
	}
}

// PodPattern returns the regular expression of a workload's pod names:
// NAME-<replica set hash>-<5 characters> for a Deployment, NAME-<ordinal>
// for a StatefulSet.
func PodPattern(w *scale.Workload) string {
	name := regexp.QuoteMeta(w.Name)
	if w.Kind == scale.KindStatefulSet {
		return name + `-[0-9]+`
	}
	return name + `-[a-z0-9]{5,10}-[a-z0-9]{5}`
}

// ScaleHistory fetches a workload's history over [start, end) at step and
// sums it into a scale.History. When the workload has no namespace, the
// pods are looked for in every namespace and must be in one; the
// namespace found is returned.
func ScaleHistory(ctx context.Context, src source.Source, w *scale.Workload, q ScaleQueries, start, end time.Time, step time.Duration) (scale.History, string, []string, error) {
	pods := `pod=~` + strconv.Quote(PodPattern(w))
	ns := w.Namespace
	narrow := func(sel string) string {
		sel = addMatcher(sel, pods)
		if ns != "" {
			sel = addMatcher(sel, `namespace=`+strconv.Quote(ns))
		}
		return sel
	}
	var warnings []string
	get := func(sel string) ([]series.Series, error) {
		if sel == "" {
			return nil, nil
		}
		res, err := fetch(ctx, src, narrow(sel), start, end, step)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, res.Warnings...)
		return res.Series, nil
	}
	cpu, err := get(q.CPU)
	if err != nil {
		return scale.History{}, ns, warnings, err
	}
	if ns == "" {
		seen := map[string]bool{}
		for _, s := range cpu {
			seen[s.Labels.Get("namespace")] = true
		}
		names := make([]string, 0, len(seen))
		for n := range seen {
			names = append(names, n)
		}
		slices.Sort(names)
		switch len(names) {
		case 0:
		case 1:
			ns = names[0]
		default:
			return scale.History{}, "", warnings, fmt.Errorf("pods named like %s are in namespaces %s: give the manifest a namespace or --namespace", w.Name, strings.Join(names, ", "))
		}
	}
	mem, err := get(q.Memory)
	if err != nil {
		return scale.History{}, ns, warnings, err
	}
	restarts, err := get(q.Restarts)
	if err != nil {
		return scale.History{}, ns, warnings, err
	}
	if q.CPUCounter {
		cpu = rates(cpu)
	}
	byContainer := map[string]*scale.ContainerUsage{}
	usage := func(c string) *scale.ContainerUsage {
		u, ok := byContainer[c]
		if !ok {
			u = &scale.ContainerUsage{Name: c}
			byContainer[c] = u
		}
		return u
	}
	for _, s := range combine(cpu, sum) {
		u := usage(s.Labels.Get("container"))
		u.CPU = append(u.CPU, s)
	}
	rs := map[string]series.Series{}
	for _, s := range combine(restarts, math.Max) {
		rs[s.Labels.Get("pod")+"\x00"+s.Labels.Get("container")] = s
	}
	for _, s := range combine(mem, math.Max) {
		u := usage(s.Labels.Get("container"))
		u.Memory = append(u.Memory, s)
		u.Restarts = append(u.Restarts, rs[s.Labels.Get("pod")+"\x00"+s.Labels.Get("container")])
	}
	names := make([]string, 0, len(byContainer))
	for n := range byContainer {
		names = append(names, n)
	}
	slices.Sort(names)
	var cs []scale.ContainerUsage
	for _, n := range names {
		cs = append(cs, *byContainer[n])
	}
	extra := map[string][]series.Series{}
	if q.RequestRate != "" {
		expr := strings.NewReplacer("$namespace", ns, "$name", w.Name).Replace(q.RequestRate)
		res, err := fetch(ctx, src, expr, start, end, step)
		if err != nil {
			return scale.History{}, ns, warnings, err
		}
		warnings = append(warnings, res.Warnings...)
		extra[requestRateName(w)] = res.Series
	}
	if err := fillRequests(ctx, src, w, q, ns, narrow, start, end, step, &warnings); err != nil {
		return scale.History{}, ns, warnings, err
	}
	h := scale.NewHistory(start, end, step, cs, extra)
	if err := ksmReplicas(ctx, src, w, q, ns, &h, start, end, step, &warnings); err != nil {
		return h, ns, warnings, err
	}
	return h, ns, warnings, nil
}

// ksmReplicas replaces the history's replicas (pods with a sample) by
// kube-state-metrics' when it has them: the HPA's current replicas, else
// the Deployment's or StatefulSet's.
func ksmReplicas(ctx context.Context, src source.Source, w *scale.Workload, q ScaleQueries, ns string, h *scale.History, start, end time.Time, step time.Duration, warnings *[]string) error {
	type try struct{ sel, label, name string }
	var tries []try
	if a := w.Autoscaler; a != nil {
		name := a.Object.Name
		if a.Object.Kind == scale.KindScaledObject {
			name = "keda-hpa-" + name
		}
		if a.Object.Kind == scale.KindValues {
			name = w.Name
		}
		tries = append(tries, try{q.HPAReplicas, "horizontalpodautoscaler", name})
	}
	if w.Kind == scale.KindStatefulSet {
		tries = append(tries, try{q.StatefulSetReplicas, "statefulset", w.Name})
	} else {
		tries = append(tries, try{q.DeploymentReplicas, "deployment", w.Name})
	}
	for _, t := range tries {
		if t.sel == "" {
			continue
		}
		sel := addMatcher(t.sel, t.label+"="+strconv.Quote(t.name))
		if ns != "" {
			sel = addMatcher(sel, "namespace="+strconv.Quote(ns))
		}
		res, err := fetch(ctx, src, sel, start, end, step)
		if err != nil {
			return err
		}
		*warnings = append(*warnings, res.Warnings...)
		if len(res.Series) != 1 || res.Series[0].Len() == 0 {
			continue
		}
		s := res.Series[0]
		n := int(end.Sub(start) / step)
		out := make([]float64, n)
		t0, st := start.UnixMilli(), step.Milliseconds()
		j := 0
		for k := range n {
			out[k] = math.NaN()
			at := t0 + int64(k)*st
			for j+1 < s.Len() && s.Timestamps[j+1] <= at {
				j++
			}
			if s.Timestamps[j] <= at && at-s.Timestamps[j] <= 2*st {
				out[k] = s.Values[j]
			}
		}
		metric, _, _ := strings.Cut(t.sel, "{")
		h.Replicas, h.ReplicasFrom = out, metric
		return nil
	}
	return nil
}

// requestRateName is the demand name a request rate feeds: the
// autoscaler's first metric that is not a resource, else "requests".
func requestRateName(w *scale.Workload) string {
	if w.Autoscaler != nil {
		for _, m := range w.Autoscaler.Policy.Metrics {
			if m.Source != scale.SourceResource && m.Name != "cpu" && m.Name != "memory" {
				return m.Name
			}
		}
	}
	return "requests"
}

// fillRequests sets, from kube-state-metrics, the requests and limits the
// manifest leaves out (the latest value of any of the workload's pods).
func fillRequests(ctx context.Context, src source.Source, w *scale.Workload, q ScaleQueries, ns string, narrow func(string) string, start, end time.Time, step time.Duration, warnings *[]string) error {
	for i := range w.Containers {
		c := &w.Containers[i]
		for _, res := range []string{"cpu", "memory"} {
			for j, sel := range []string{q.Requests, q.Limits} {
				list := &c.Requests
				if j == 1 {
					list = &c.Limits
				}
				if sel == "" {
					continue
				}
				if _, ok := (*list)[corev1.ResourceName(res)]; ok {
					continue
				}
				s := addMatcher(sel, `resource=`+strconv.Quote(res))
				if c.Name != "" {
					s = addMatcher(s, `container=`+strconv.Quote(c.Name))
				}
				r, err := fetch(ctx, src, narrow(s), start, end, step)
				if err != nil {
					return err
				}
				*warnings = append(*warnings, r.Warnings...)
				if v := latest(r.Series); !math.IsNaN(v) && v > 0 {
					if *list == nil {
						*list = corev1.ResourceList{}
					}
					format := resource.BinarySI
					if res == "cpu" {
						(*list)[corev1.ResourceName(res)] = *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
						continue
					}
					(*list)[corev1.ResourceName(res)] = *resource.NewQuantity(int64(v), format)
				}
			}
		}
	}
	return nil
}

func latest(ss []series.Series) float64 {
	v, at := math.NaN(), int64(math.MinInt64)
	for _, s := range ss {
		for i := s.Len() - 1; i >= 0; i-- {
			if !math.IsNaN(s.Values[i]) {
				if s.Timestamps[i] > at {
					v, at = s.Values[i], s.Timestamps[i]
				}
				break
			}
		}
	}
	return v
}

// rates turns counters into per-second rates at each sample after the
// first (a counter reset counts from zero), as rate() does between two
// samples.
func rates(ss []series.Series) []series.Series {
	out := make([]series.Series, 0, len(ss))
	for _, s := range ss {
		r := series.Series{Labels: s.Labels.Without(series.MetricName)}
		for i := 1; i < s.Len(); i++ {
			a, b := s.Values[i-1], s.Values[i]
			dt := float64(s.Timestamps[i]-s.Timestamps[i-1]) / 1000
			if math.IsNaN(a) || math.IsNaN(b) || dt <= 0 {
				continue
			}
			d := b - a
			if d < 0 {
				d = b // reset
			}
			r.Timestamps = append(r.Timestamps, s.Timestamps[i])
			r.Values = append(r.Values, d/dt)
		}
		out = append(out, r)
	}
	return out
}

func sum(a, b float64) float64 { return a + b }

// combine merges the series of one (namespace, pod, container) — cAdvisor
// has one per cgroup, and more across restarts — into one, combining
// values at equal timestamps with f.
func combine(ss []series.Series, f func(a, b float64) float64) []series.Series {
	type acc struct {
		labels series.Labels
		at     map[int64]float64
	}
	groups := map[string]*acc{}
	var order []string
	for _, s := range ss {
		ls := series.New("namespace", s.Labels.Get("namespace"), "pod", s.Labels.Get("pod"), "container", s.Labels.Get("container"))
		k := ls.String()
		g, ok := groups[k]
		if !ok {
			g = &acc{labels: ls, at: map[int64]float64{}}
			groups[k] = g
			order = append(order, k)
		}
		for i, t := range s.Timestamps {
			v := s.Values[i]
			if math.IsNaN(v) {
				continue
			}
			if old, ok := g.at[t]; ok {
				v = f(old, v)
			}
			g.at[t] = v
		}
	}
	slices.Sort(order)
	out := make([]series.Series, 0, len(order))
	for _, k := range order {
		g := groups[k]
		ts := make([]int64, 0, len(g.at))
		for t := range g.at {
			ts = append(ts, t)
		}
		slices.Sort(ts)
		s := series.Series{Labels: g.labels, Timestamps: ts, Values: make([]float64, len(ts))}
		for i, t := range ts {
			s.Values[i] = g.at[t]
		}
		out = append(out, s)
	}
	return out
}
