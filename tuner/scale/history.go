package scale

import (
	"math"
	"time"

	"github.com/omenhq/omen/series"
)

// NewHistory builds a workload's History on the grid [start, end) at step
// from its containers' per-pod usage: the demand's "cpu" and "memory" are
// the sums over every pod and container at each instant (each pod's last
// sample within two steps), so they are the load the workload served,
// whatever the replicas were. extra holds other demand series (a request
// rate), summed the same way under their names.
func NewHistory(start, end time.Time, step time.Duration, containers []ContainerUsage, extra map[string][]series.Series) History {
	n := int(end.Sub(start) / step)
	h := History{Containers: containers, Demand: Demand{Start: start, Step: step, Load: map[string][]float64{}}}
	if n <= 0 {
		return h
	}
	sum := func(ss []series.Series, dst []float64, seen []bool) {
		t0, st := start.UnixMilli(), step.Milliseconds()
		for _, s := range ss {
			j := 0
			for k := range n {
				t := t0 + int64(k)*st
				for j+1 < s.Len() && s.Timestamps[j+1] <= t {
					j++
				}
				if s.Len() == 0 || s.Timestamps[j] > t || t-s.Timestamps[j] > 2*st {
					continue
				}
				if v := s.Values[j]; !math.IsNaN(v) {
					dst[k] += v
					seen[k] = true
				}
			}
		}
	}
	add := func(name string, groups ...[]series.Series) {
		dst, seen := make([]float64, n), make([]bool, n)
		any := false
		for _, g := range groups {
			if len(g) > 0 {
				any = true
			}
			sum(g, dst, seen)
		}
		if !any {
			return
		}
		for k := range dst {
			if !seen[k] {
				dst[k] = math.NaN()
			}
		}
		h.Demand.Load[name] = dst
	}
	var cpu, mem [][]series.Series
	for _, c := range containers {
		cpu, mem = append(cpu, c.CPU), append(mem, c.Memory)
	}
	add("cpu", cpu...)
	add("memory", mem...)
	// The replicas, as the pods with a CPU sample at each instant; a
	// caller with kube-state-metrics' count replaces them.
	if len(containers) > 0 && len(containers[0].CPU) > 0 {
		t0, st := start.UnixMilli(), step.Milliseconds()
		h.Replicas = make([]float64, n)
		for _, s := range containers[0].CPU {
			j := 0
			for k := range n {
				t := t0 + int64(k)*st
				for j+1 < s.Len() && s.Timestamps[j+1] <= t {
					j++
				}
				if s.Len() > 0 && s.Timestamps[j] <= t && t-s.Timestamps[j] <= 2*st {
					h.Replicas[k]++
				}
			}
		}
		h.ReplicasFrom = "pods with a CPU sample"
	}
	for name, ss := range extra {
		add(name, ss)
	}
	return h
}
