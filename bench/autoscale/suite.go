package autoscale

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner/scale"
)

// Scenario kinds, in the order the suite cycles through them.
var Kinds = []string{"daily", "weekly", "growth", "bursts", "tight-max", "tight-target", "loose-target", "loose-min", "leak", "sawtooth"}

// Workload is one generated workload: its manifests as written and the
// history its current HPA made of the generated load.
type Workload struct {
	Name string
	// Kind is one of Kinds.
	Kind string
	// Manifest is the Deployment and its HPA, one YAML stream.
	Manifest []byte
	// History is what the metrics would show: per-pod usage under the
	// current HPA, and the demand summed from it.
	History scale.History
	// Load is the generated total CPU load (the ground truth).
	Load []float64
}

// Generation settings shared by the suite and the judge.
const (
	step         = time.Minute
	startupDelay = 90 * time.Second
)

// Start is the first instant of every workload's history (a Monday).
var Start = time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)

// Generate returns workload i of the suite of seed, weeks long.
func Generate(seed uint64, i int, weeks int) (Workload, error) {
	r := fixtures.NewRand(fixtures.SubSeed(seed, i))
	kind := Kinds[i%len(Kinds)]
	name := fmt.Sprintf("%s-%d", kind, i)
	g := fixtures.NewGrid(Start, Start.Add(time.Duration(weeks)*7*24*time.Hour-step), step)

	base := 1 + 3*r.Float64()
	amp := base * (1 + 2*r.Float64())
	request := []float64{0.25, 0.5, 1}[r.IntN(3)]
	comps := []fixtures.Component{
		fixtures.Level{Value: base},
		fixtures.DailySeasonality{Amplitude: amp, Peak: time.Duration(10+r.IntN(8)) * time.Hour},
		fixtures.Noise{Sigma: 0.04 * (base + amp/2), Phi: 0.9},
	}
	switch kind {
	case "weekly":
		comps[1] = fixtures.DailySeasonality{Amplitude: amp, Peak: 14 * time.Hour, WeekendDip: 0.6}
	case "growth":
		comps = append(comps, fixtures.LinearTrend{PerDay: (base + amp) * (0.01 + 0.015*r.Float64())})
	case "bursts":
		comps = append(comps, bursts{Every: time.Duration(8+r.IntN(16)) * time.Hour, Factor: 1.6 + r.Float64()})
	}
	load := fixtures.Sum(nil, g, r, comps...)
	for k, v := range load {
		load[k] = math.Max(0.05, v)
	}
	// The current HPA: sized on the first week's peak, then miscalibrated
	// as the kind says.
	peak := 0.0
	for _, v := range load[:7*1440] {
		peak = math.Max(peak, v)
	}
	target := 0.7
	minR := int32(math.Max(1, math.Ceil(base*0.8/(target*request))))
	maxR := int32(math.Ceil(peak * 1.3 / (target * request)))
	switch kind {
	case "tight-max":
		maxR = max(minR+1, int32(math.Ceil(peak*0.55/(target*request))))
	case "tight-target":
		target = 0.9
	case "loose-target":
		target = 0.35
		maxR = int32(math.Ceil(peak * 1.3 / (target * request)))
	case "loose-min":
		minR = int32(math.Ceil(peak * 0.9 / (target * request)))
		maxR = max(maxR, minR+2)
	case "growth":
		maxR = int32(math.Ceil(peak * 1.1 / (target * request)))
	}
	memRequest := 256 << 20
	memLimit := 512 << 20
	w := Workload{Name: name, Kind: kind, Load: load}
	w.Manifest = []byte(manifest(name, request, target, minR, maxR, memRequest, memLimit))

	// The history under the current HPA.
	pol := scale.Policy{MinReplicas: minR, MaxReplicas: maxR, ScaleUp: scale.DefaultScaleUp(), ScaleDown: scale.DefaultScaleDown(),
		Metrics: []scale.Metric{{Name: "cpu", Type: scale.Utilization, Target: target, Request: request}}}
	d := scale.Demand{Start: Start, Step: step, Load: map[string][]float64{"cpu": load}}
	res, err := scale.Simulate(pol, d, scale.SimConfig{StartupDelay: startupDelay, Trace: true})
	if err != nil {
		return w, err
	}
	// One sample a minute per pod slot: slot k exists while k < replicas.
	var peakReplicas int32
	for _, p := range res.Trace {
		peakReplicas = max(peakReplicas, p.Replicas)
	}
	cpu := make([][]float64, peakReplicas)
	mem := make([][]float64, peakReplicas)
	for k := range cpu {
		cpu[k] = make([]float64, g.N)
		mem[k] = make([]float64, g.N)
		for j := range g.N {
			cpu[k][j], mem[k][j] = math.NaN(), math.NaN()
		}
	}
	perMinute := int(step / (15 * time.Second))
	for j := range g.N {
		p := res.Trace[min(j*perMinute+perMinute-1, len(res.Trace)-1)]
		for k := range p.Replicas {
			switch {
			case k < p.Ready:
				cpu[k][j] = load[j] / float64(p.Ready)
			default:
				cpu[k][j] = 0.05 * request // starting
			}
			mem[k][j] = 0
		}
	}
	// Memory: a baseline with noise, plus a leak or a GC sawtooth.
	var restarts []series.Series
	var cpuS, memS []series.Series
	for k := range cpu {
		pod := fmt.Sprintf("%s-6d5f8b7c9-%05d", name, k)
		ls := series.New("namespace", "bench", "pod", pod, "container", "app")
		m := fixtures.Sum(nil, g, r, fixtures.Level{Value: 180 << 20}, fixtures.Noise{Sigma: 4 << 20, Phi: 0.8})
		switch kind {
		case "leak":
			m = fixtures.MemoryLeak{Limit: float64(memLimit), PerDay: float64(memLimit) * (0.12 + 0.08*r.Float64()), Age: time.Duration(r.IntN(48)) * time.Hour}.Add(m, g, r)
		case "sawtooth":
			m = fixtures.GCSawtooth{Period: time.Duration(20+r.IntN(40)) * time.Minute, Amplitude: 200 << 20, Jitter: 0.2}.Add(m, g, r)
		}
		counter := fixtures.OOMRestarts(nil, m, float64(memLimit), 0)
		for j := range g.N {
			if math.IsNaN(cpu[k][j]) {
				m[j], counter[j] = math.NaN(), math.NaN()
			}
		}
		cpuS = append(cpuS, dropNaN(g.Series(ls, cpu[k])))
		memS = append(memS, dropNaN(g.Series(ls, m)))
		restarts = append(restarts, dropNaN(g.Series(ls, counter)))
	}
	cu := scale.ContainerUsage{Name: "app", CPU: cpuS, Memory: memS, Restarts: restarts}
	w.History = scale.NewHistory(Start, g.End().Add(step), step, []scale.ContainerUsage{cu}, nil)
	return w, nil
}

func dropNaN(s series.Series) series.Series {
	out := series.Series{Labels: s.Labels}
	for i, v := range s.Values {
		if !math.IsNaN(v) {
			out.Timestamps = append(out.Timestamps, s.Timestamps[i])
			out.Values = append(out.Values, v)
		}
	}
	return out
}

func manifest(name string, request, target float64, minR, maxR int32, memReq, memLim int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: bench
spec:
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
        - name: app
          image: registry.example/%[1]s:1
          resources:
            requests:
              cpu: %[2]dm
              memory: %[3]dMi
            limits:
              memory: %[4]dMi
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: %[1]s
  namespace: bench
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: %[1]s
  minReplicas: %[5]d
  maxReplicas: %[6]d
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: %[7]d
`, name, int(request*1000), memReq>>20, memLim>>20, minR, maxR, int(math.Round(target*100)))
	return b.String()
}

// bursts adds short surges: every Every on average, a surge of 10 to 40
// minutes multiplying what dst holds by Factor, rising over 2 minutes.
type bursts struct {
	Every  time.Duration
	Factor float64
}

func (c bursts) Add(dst []float64, g fixtures.Grid, r *rand.Rand) []float64 {
	if dst == nil {
		dst = make([]float64, g.N)
	}
	p := float64(g.Step) / float64(c.Every)
	for i := 0; i < g.N; i++ {
		if r.Float64() >= p {
			continue
		}
		length := 10 + r.IntN(31)
		for k := 0; k < length && i+k < g.N; k++ {
			f := 1 + (c.Factor-1)*math.Min(1, float64(k+1)/2)
			dst[i+k] *= f
		}
		i += length
	}
	return dst
}
