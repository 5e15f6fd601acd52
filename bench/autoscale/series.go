package autoscale

import (
	"math"
	"time"

	"github.com/omenhq/omen/series"
)

// Series returns a workload's history as the exporters publish it, one
// sample every step (a multiple of a minute): cAdvisor's
// container_cpu_usage_seconds_total (a counter of CPU seconds) and
// container_memory_working_set_bytes, and kube-state-metrics'
// kube_pod_container_status_restarts_total, with namespace, pod and
// container labels, and kube_horizontalpodautoscaler_status_current_replicas.
func Series(w Workload, step time.Duration) []series.Series {
	every := int(step / time.Minute)
	var out []series.Series
	for _, u := range w.History.Containers {
		for i, c := range u.CPU {
			ls := c.Labels
			counter := series.Series{Labels: withName(ls, "container_cpu_usage_seconds_total")}
			total := 1000.0 * float64(i+1) // a counter starts anywhere
			for k, v := range c.Values {
				total += v * 60
				if (c.Timestamps[k]/60000)%int64(every) == 0 {
					counter.Timestamps = append(counter.Timestamps, c.Timestamps[k])
					counter.Values = append(counter.Values, math.Round(total*1000)/1000)
				}
			}
			out = append(out, counter)
			out = append(out, sampleEvery(u.Memory[i], every, withName(u.Memory[i].Labels, "container_memory_working_set_bytes")))
			out = append(out, sampleEvery(u.Restarts[i], every, withName(u.Restarts[i].Labels, "kube_pod_container_status_restarts_total")))
		}
	}
	// kube-state-metrics: the HPA's current replicas.
	h := w.History
	hpa := series.Series{Labels: series.New(series.MetricName, "kube_horizontalpodautoscaler_status_current_replicas", "namespace", "bench", "horizontalpodautoscaler", w.Name)}
	for k, v := range h.Replicas {
		t := h.Demand.Start.Add(time.Duration(k) * h.Demand.Step)
		if (t.UnixMilli()/60000)%int64(every) == 0 && !math.IsNaN(v) {
			hpa.Timestamps = append(hpa.Timestamps, t.UnixMilli())
			hpa.Values = append(hpa.Values, v)
		}
	}
	return append(out, hpa)
}

func withName(ls series.Labels, name string) series.Labels {
	kv := []string{series.MetricName, name}
	for _, l := range ls {
		kv = append(kv, l.Name, l.Value)
	}
	return series.New(kv...)
}

func sampleEvery(s series.Series, every int, ls series.Labels) series.Series {
	out := series.Series{Labels: ls}
	for k := range s.Len() {
		if (s.Timestamps[k]/60000)%int64(every) != 0 {
			continue
		}
		out.Timestamps = append(out.Timestamps, s.Timestamps[k])
		out.Values = append(out.Values, s.Values[k])
	}
	return out
}
