package scale

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
)

// Sizing are the figures of a container's requests and limits over a
// window, summed over its pods.
type Sizing struct {
	// CPUMinutesOverRequest are the pod-minutes during which a pod used
	// more CPU than it requested (it then competes for spare CPU, and is
	// throttled first).
	CPUMinutesOverRequest float64 `json:"cpu_minutes_over_request"`
	// CPURequestCoreHours are the cores requested times the hours the
	// pods ran: what the scheduler reserves.
	CPURequestCoreHours float64 `json:"cpu_request_core_hours"`
	// MemoryMinutesAtLimit are the pod-minutes at 98% of the memory limit
	// or above (an OOM kill near).
	MemoryMinutesAtLimit float64 `json:"memory_minutes_at_limit"`
	// MemoryRequestGiBHours are the GiB requested times the hours.
	MemoryRequestGiBHours float64 `json:"memory_request_gib_hours"`
}

// Baseline is krr's simple strategy for one container, beside omen's: CPU
// request at the 95th percentile of usage and no CPU limit; memory request
// and limit at the maximum plus 15%.
type Baseline struct {
	Container     string `json:"container"`
	Strategy      string `json:"strategy"`
	RequestCPU    string `json:"requests.cpu"`
	RequestMemory string `json:"requests.memory"`
	LimitMemory   string `json:"limits.memory"`
}

// Leak is a container whose memory grows until it is killed: a bigger
// limit only moves the OOM kill later.
type Leak struct {
	Container string `json:"container"`
	Pod       string `json:"pod"`
	// Limit is the current limit and ETA the median time to the OOM kill
	// at it, as of the end of the training window (nil: beyond 30 days).
	Limit      string         `json:"limit"`
	ETA        *time.Duration `json:"eta_seconds"`
	BiggerETA  *time.Duration `json:"bigger_limit_eta_seconds"`
	BiggerLimt string         `json:"bigger_limit"`
	Reason     string         `json:"reason"`
}

// corev1Name is the resource name of "cpu" or "memory".
func corev1Name(res string) corev1.ResourceName { return corev1.ResourceName(res) }

// krrBuffer is krr's memory buffer over the peak (its simple strategy).
const krrBuffer = 0.15

func proposeResources(w *Workload, h History, split time.Time, win *Window, cfg Config) (*Proposal, string) {
	scalesOnCPU := w.Autoscaler != nil && w.Autoscaler.Enabled && cpuMetric(w.Autoscaler.Policy) >= 0
	p := Proposal{Workload: w.ID(), Kind: KindResourcesProposal, Object: w.Object, Window: win}
	var why []string
	before, after := &Sizing{}, &Sizing{}
	matched := 0
	for _, c := range w.Containers {
		u, ok := usageOf(w, c, h)
		if !ok {
			continue
		}
		matched++
		train := func(ss []series.Series) []series.Series { return cut(ss, time.Time{}, split) }
		test := func(ss []series.Series) []series.Series { return cut(ss, split, time.Time{}) }
		cpuTrain, memTrain := samples(train(u.CPU)), samples(train(u.Memory))
		if len(cpuTrain) == 0 && len(memTrain) == 0 {
			continue
		}
		growthCPU, growthMem := growthOf(train(u.CPU)), growthOf(train(u.Memory))
		curReqCPU, curReqMem, curLimMem := qty(c.Requests, "cpu"), qty(c.Requests, "memory"), qty(c.Limits, "memory")
		b := Baseline{Container: c.Name, Strategy: "krr simple: requests.cpu p95, no CPU limit; memory max + 15%"}
		newReqCPU, newReqMem, newLimMem := curReqCPU, curReqMem, curLimMem
		name := c.Name
		if name == "" {
			name = w.Name
		}
		if len(cpuTrain) > 0 {
			p95 := stats.Quantile(cpuTrain, 0.95)
			b.RequestCPU = fmtCPU(p95)
			omen := p95 * growthCPU
			switch {
			case scalesOnCPU:
				why = append(why, fmt.Sprintf("%s: requests.cpu left as is: the HPA scales on CPU utilisation of it, and per-pod usage of an autoscaled workload follows the HPA (krr#169); the HPA proposal tunes the target instead", name))
			case changed(curReqCPU, omen):
				newReqCPU = roundCPU(omen)
				why = append(why, fmt.Sprintf("%s: requests.cpu %s → %s: the 95th percentile of its pods' usage %s × %.2f, the growth the forecast gives the next week", name, fmtCPU(curReqCPU), fmtCPU(newReqCPU), fmtCPU(p95), growthCPU))
				p.Changes = append(p.Changes, Change{Field: "requests.cpu", Container: c.Name, From: orNil(c.Requests, "cpu"), To: fmtCPU(newReqCPU)})
			}
		}
		if len(memTrain) > 0 {
			peak := maxOf(memTrain)
			b.RequestMemory, b.LimitMemory = fmtMem(peak*(1+krrBuffer)), fmtMem(peak*(1+krrBuffer))
			leaks := leaksOf(c.Name, train(u.Memory), train(u.Restarts), curLimMem, split)
			if len(leaks) > 0 {
				p.Leaks = append(p.Leaks, leaks...)
				l := leaks[0]
				why = append(why, fmt.Sprintf("%s: leaking (pod %s): a bigger limit only moves the OOM kill from %s (at %s) to %s (at %s); fix the leak, or restart it on a schedule: limits.memory is not raised", name, l.Pod, etaText(l.ETA), l.Limit, etaText(l.BiggerETA), l.BiggerLimt))
			} else {
				pattern := envelopePattern(train(u.Memory), train(u.Restarts), curLimMem, split)
				top := peak * growthMem
				req := stats.Quantile(memTrain, 0.99) * growthMem
				if changed(curReqMem, req) {
					newReqMem = roundMem(req)
					p.Changes = append(p.Changes, Change{Field: "requests.memory", Container: c.Name, From: orNil(c.Requests, "memory"), To: fmtMem(newReqMem)})
					why = append(why, fmt.Sprintf("%s: requests.memory %s → %s: the 99th percentile of the working set × %.2f growth", name, fmtMem(curReqMem), fmtMem(newReqMem), growthMem))
				}
				lim := top * (1 + krrBuffer)
				if curLimMem > 0 && changed(curLimMem, lim) {
					newLimMem = roundMem(lim)
					p.Changes = append(p.Changes, Change{Field: "limits.memory", Container: c.Name, From: orNil(c.Limits, "memory"), To: fmtMem(newLimMem)})
					shape := "its peak"
					if pattern == capacity.PatternSawtooth || pattern == capacity.PatternRampPlateau {
						shape = "the top of its " + string(pattern) + " envelope"
					}
					why = append(why, fmt.Sprintf("%s: limits.memory %s → %s: %s %s × %.2f growth + 15%%", name, fmtMem(curLimMem), fmtMem(newLimMem), shape, fmtMem(peak), growthMem))
				}
			}
		}
		p.Baseline = append(p.Baseline, b)
		addSizing(before, test(u.CPU), test(u.Memory), curReqCPU, curReqMem, curLimMem, h.Demand.Step)
		addSizing(after, test(u.CPU), test(u.Memory), newReqCPU, newReqMem, newLimMem, h.Demand.Step)
	}
	if matched == 0 {
		return nil, "resources: no container of its manifest matches a container in the metrics"
	}
	if len(p.Changes) == 0 && len(p.Leaks) == 0 {
		return nil, ""
	}
	p.Before, p.After = &Figures{Sizing: before}, &Figures{Sizing: after}
	p.Why = strings.Join(why, ". ") + "."
	return &p, ""
}

// usageOf finds a manifest container's usage: by name, or for a values
// file's unnamed container the only container, or the one named like the
// workload.
func usageOf(w *Workload, c Container, h History) (ContainerUsage, bool) {
	if c.Name != "" {
		for _, u := range h.Containers {
			if u.Name == c.Name {
				return u, true
			}
		}
		return ContainerUsage{}, false
	}
	if len(h.Containers) == 1 {
		return h.Containers[0], true
	}
	for _, u := range h.Containers {
		if u.Name == w.Name {
			return u, true
		}
	}
	return ContainerUsage{}, false
}

// cut returns the series restricted to [from, to) (zero: unbounded).
func cut(ss []series.Series, from, to time.Time) []series.Series {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli() - 1
	}
	out := make([]series.Series, len(ss))
	for i, s := range ss {
		out[i] = s.Slice(lo, hi)
	}
	return out
}

func samples(ss []series.Series) []float64 {
	var out []float64
	for _, s := range ss {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// growthOf is the forecast's growth of the pods' mean usage over the next
// week against the last, from the hourly means of all pods (1 when the
// history is too short to tell).
func growthOf(ss []series.Series) float64 {
	if len(ss) == 0 {
		return 1
	}
	start, end := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range ss {
		if s.Len() > 0 {
			start, end = min(start, s.Timestamps[0]), max(end, s.Timestamps[s.Len()-1])
		}
	}
	if end-start < 4*day.Milliseconds() {
		return 1
	}
	const hour = int64(time.Hour / time.Millisecond)
	n := int((end-start)/hour) + 1
	sum, cnt := make([]float64, n), make([]float64, n)
	for _, s := range ss {
		for i, t := range s.Timestamps {
			if v := s.Values[i]; !math.IsNaN(v) {
				k := int((t - start) / hour)
				sum[k] += v
				cnt[k]++
			}
		}
	}
	hourly := make([]float64, n)
	for i := range hourly {
		hourly[i] = math.NaN()
		if cnt[i] > 0 {
			hourly[i] = sum[i] / cnt[i]
		}
	}
	fc, _, err := forecastPeaks(hourly, time.Hour, 7*day)
	if err != nil {
		return 1
	}
	last := tailMean(hourly, 168)
	if !(last > 0) {
		return 1
	}
	g := meanOf(fc.Mean) / last
	if math.IsNaN(g) || g <= 0 {
		return 1
	}
	return math.Min(math.Max(g, 0.5), 2)
}

// leaksOf runs the capacity model on each pod's working set and returns
// the pods it classifies as leaking, with the OOM ETA at the current limit
// and at a limit half as big again.
func leaksOf(container string, mem, restarts []series.Series, limit float64, asOf time.Time) []Leak {
	if limit <= 0 {
		return nil
	}
	cfg := capacity.Config{Horizon: 30 * day, Window: 14 * day, ForecastPoints: -1}
	bigger := roundMem(limit * 1.5)
	var out []Leak
	for i, m := range mem {
		if m.Len() < 12 {
			continue
		}
		t := capacity.Target{Labels: m.Labels, Usage: m, LimitValue: limit, Direction: series.Up}
		if i < len(restarts) {
			t.Restarts = restarts[i]
		}
		at := asOf
		if last := time.UnixMilli(m.Timestamps[m.Len()-1]); last.Before(at) {
			at = last
		}
		p, err := capacity.Predict(t, at, cfg)
		if err != nil || p.Pattern != capacity.PatternLeak {
			continue
		}
		t.LimitValue = bigger
		q, err := capacity.Predict(t, at, cfg)
		if err != nil {
			continue
		}
		l := Leak{Container: container, Pod: m.Labels.Get("pod"), Limit: fmtMem(limit), BiggerLimt: fmtMem(bigger), Reason: p.Reason}
		if p.ETA != nil {
			l.ETA = p.ETA.P50
		}
		if q.ETA != nil {
			l.BiggerETA = q.ETA.P50
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Leak) int { return strings.Compare(a.Pod, b.Pod) })
	return out
}

// envelopePattern is the capacity model's pattern of the pod with the
// highest peak (sawtooth, ramp-plateau, …), "" when none is known.
func envelopePattern(mem, restarts []series.Series, limit float64, asOf time.Time) capacity.Pattern {
	best, peak := -1, -1.0
	for i, m := range mem {
		if v := maxOf(m.Values); v > peak && m.Len() >= 12 {
			best, peak = i, v
		}
	}
	if best < 0 {
		return ""
	}
	t := capacity.Target{Labels: mem[best].Labels, Usage: mem[best], LimitValue: limit, Direction: series.Up}
	if best < len(restarts) {
		t.Restarts = restarts[best]
	}
	if limit <= 0 {
		t.LimitValue = peak * 4
	}
	at := asOf
	if last := time.UnixMilli(mem[best].Timestamps[mem[best].Len()-1]); last.Before(at) {
		at = last
	}
	p, err := capacity.Predict(t, at, capacity.Config{Window: 14 * day, ForecastPoints: -1})
	if err != nil {
		return ""
	}
	return p.Pattern
}

func etaText(d *time.Duration) string {
	if d == nil {
		return "beyond 30d"
	}
	return "T+" + fmtDuration(d.Round(time.Hour))
}

// addSizing adds the figures of the pods' usage at a request and limit.
func addSizing(s *Sizing, cpu, mem []series.Series, reqCPU, reqMem, limMem float64, step time.Duration) {
	for _, c := range cpu {
		st := seriesStep(c, step)
		for _, v := range c.Values {
			if math.IsNaN(v) {
				continue
			}
			if reqCPU > 0 && v > reqCPU {
				s.CPUMinutesOverRequest += st.Minutes()
			}
			s.CPURequestCoreHours += reqCPU * st.Hours()
		}
	}
	for _, m := range mem {
		st := seriesStep(m, step)
		for _, v := range m.Values {
			if math.IsNaN(v) {
				continue
			}
			if limMem > 0 && v >= 0.98*limMem {
				s.MemoryMinutesAtLimit += st.Minutes()
			}
			s.MemoryRequestGiBHours += reqMem / (1 << 30) * st.Hours()
		}
	}
}

func seriesStep(s series.Series, def time.Duration) time.Duration {
	if s.Len() >= 2 {
		return time.Duration((s.Timestamps[s.Len()-1]-s.Timestamps[0])/int64(s.Len()-1)) * time.Millisecond
	}
	return def
}

func qty(l corev1.ResourceList, res string) float64 {
	q, ok := l[corev1Name(res)]
	if !ok {
		return 0
	}
	return q.AsApproximateFloat64()
}

func orNil(l corev1.ResourceList, res string) any {
	q, ok := l[corev1Name(res)]
	if !ok {
		return nil
	}
	return q.String()
}

// changed reports whether a new size is worth a change: 10% away.
func changed(cur, next float64) bool {
	if next <= 0 || math.IsNaN(next) {
		return false
	}
	if cur <= 0 {
		return true
	}
	return math.Abs(next-cur)/cur > 0.1
}

// roundCPU rounds cores up to 5 millicores (10 above a core).
func roundCPU(c float64) float64 {
	unit := 0.005
	if c >= 1 {
		unit = 0.01
	}
	return math.Max(unit, math.Ceil(c/unit-1e-9)*unit)
}

// roundMem rounds bytes up to whole MiB (16 MiB above 1 GiB).
func roundMem(b float64) float64 {
	unit := float64(1 << 20)
	if b >= 1<<30 {
		unit = 16 << 20
	}
	return math.Max(unit, math.Ceil(b/unit-1e-9)*unit)
}

func fmtCPU(c float64) string {
	c = roundCPU(c)
	return resource.NewMilliQuantity(int64(math.Round(c*1000)), resource.DecimalSI).String()
}

func fmtMem(b float64) string {
	b = roundMem(b)
	mi := int64(math.Round(b / (1 << 20)))
	if mi%1024 == 0 {
		return fmt.Sprintf("%dGi", mi/1024)
	}
	return fmt.Sprintf("%dMi", mi)
}

// leakJSON is Leak with its ETAs in seconds, as their names say.
type leakJSON struct {
	Container  string   `json:"container"`
	Pod        string   `json:"pod"`
	Limit      string   `json:"limit"`
	ETA        *float64 `json:"eta_seconds"`
	BiggerETA  *float64 `json:"bigger_limit_eta_seconds"`
	BiggerLimt string   `json:"bigger_limit"`
	Reason     string   `json:"reason"`
}

func secondsOf(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	s := d.Seconds()
	return &s
}

func durationOf(s *float64) *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s * float64(time.Second))
	return &d
}

// MarshalJSON writes the ETAs in seconds (null: beyond 30 days).
func (l Leak) MarshalJSON() ([]byte, error) {
	return json.Marshal(leakJSON{l.Container, l.Pod, l.Limit, secondsOf(l.ETA), secondsOf(l.BiggerETA), l.BiggerLimt, l.Reason})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Leak) UnmarshalJSON(b []byte) error {
	var j leakJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = Leak{j.Container, j.Pod, j.Limit, durationOf(j.ETA), durationOf(j.BiggerETA), j.BiggerLimt, j.Reason}
	return nil
}
