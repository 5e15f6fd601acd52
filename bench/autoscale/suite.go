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

// Scenario kinds of the suite the method is developed on, in the order
// the suite cycles through them.
var Kinds = []string{"daily", "weekly", "growth", "bursts", "tight-max", "tight-target", "loose-target", "loose-min", "leak", "sawtooth", "slow-up", "recurring"}

// IndependentKinds are the scenarios of the independent suite
// (GenerateIndependent): other cycles, growth, burst shapes, start-up
// delays and HPAs, in a seed space of their own. The method is not tuned
// on them.
var IndependentKinds = []string{"twin-peaks", "weekly-50", "growth-fast", "step-bursts", "recurring-weekday", "slow-up-bursts", "tight-max-50", "noisy-50", "peak-min"}

// Workload is one generated workload: its manifests as written and the
// history its current HPA made of the generated load.
type Workload struct {
	Name string
	// Kind is one of Kinds (or IndependentKinds).
	Kind string
	// Manifest is the Deployment and its HPA, one YAML stream.
	Manifest []byte
	// History is what the metrics would show: per-pod usage under the
	// current HPA, and the demand summed from it.
	History scale.History
	// Load is the generated total CPU load (the ground truth).
	Load []float64
	// StartupDelay is the time its pods take to become ready.
	StartupDelay time.Duration
}

// Generation settings shared by the suite and the judge.
const (
	step         = time.Minute
	startupDelay = 90 * time.Second
)

// Start is the first instant of every workload's history (a Monday).
var Start = time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)

// spec is what a generator decides of a workload; build makes the rest.
type spec struct {
	name, kind, mem string
	load            []float64
	request, target float64
	minR, maxR      int32
	// up, when set, is the HPA's scale-up behaviour (written in the
	// manifest and replayed).
	up    *scale.Rules
	delay time.Duration
}

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
	case "bursts", "slow-up":
		comps = append(comps, bursts{Every: time.Duration(8+r.IntN(16)) * time.Hour, Factor: 1.6 + r.Float64()})
	case "recurring":
		comps = append(comps, recurring{At: []time.Duration{time.Duration(6+r.IntN(4)) * time.Hour, time.Duration(15+r.IntN(5)) * time.Hour}, Length: time.Duration(20+r.IntN(20)) * time.Minute, Factor: 1.6 + r.Float64(), Rise: 2})
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
	var up *scale.Rules
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
	case "slow-up":
		up = &scale.Rules{Window: 120 * time.Second, Select: scale.SelectMax, Policies: []scale.RatePolicy{{Type: scale.Pods, Value: 1, Period: 60 * time.Second}}}
	}
	mem := ""
	if kind == "leak" || kind == "sawtooth" {
		mem = kind
	}
	return build(spec{name: name, kind: kind, mem: mem, load: load, request: request, target: target, minR: minR, maxR: maxR, up: up, delay: startupDelay}, g, r)
}

// GenerateIndependent returns workload i of the independent suite of
// seed: its own seed space, its own kinds (IndependentKinds), start-up
// delays of 30 s to 3 min, requests of 100m to 2 cores, HPAs at 50–70%.
func GenerateIndependent(seed uint64, i int, weeks int) (Workload, error) {
	r := fixtures.NewRand(fixtures.SubSeed(seed^0x5eed_1dea_0f_c0de, i+1000))
	kind := IndependentKinds[i%len(IndependentKinds)]
	name := fmt.Sprintf("%s-%d", kind, i)
	g := fixtures.NewGrid(Start, Start.Add(time.Duration(weeks)*7*24*time.Hour-step), step)

	request := []float64{0.1, 0.2, 0.5, 2}[r.IntN(4)]
	base := request * (2 + 10*r.Float64())
	amp := base * (0.5 + 2.5*r.Float64())
	delay := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute}[r.IntN(4)]
	sigma := 0.03 + 0.03*r.Float64()
	comps := []fixtures.Component{
		fixtures.Level{Value: base},
		fixtures.DailySeasonality{Amplitude: amp, Peak: time.Duration(8+r.IntN(12)) * time.Hour, Sharpness: 1 + 3*r.Float64()},
		fixtures.Noise{Sigma: sigma * (base + amp/2), Phi: 0.8 + 0.15*r.Float64()},
	}
	target := []float64{0.5, 0.6, 0.7}[r.IntN(3)]
	var up *scale.Rules
	switch kind {
	case "twin-peaks":
		comps = append(comps, fixtures.DailySeasonality{Amplitude: amp * (0.4 + 0.5*r.Float64()), Peak: time.Duration(19+r.IntN(3)) * time.Hour, Sharpness: 3})
	case "weekly-50":
		comps[1] = fixtures.DailySeasonality{Amplitude: amp, Peak: time.Duration(11+r.IntN(6)) * time.Hour, WeekendDip: 0.3 + 0.4*r.Float64()}
		target = 0.5
	case "growth-fast":
		comps = append(comps, fixtures.LinearTrend{PerDay: (base + amp) * (0.02 + 0.02*r.Float64())})
	case "step-bursts":
		comps = append(comps, bursts{Every: time.Duration(4+r.IntN(9)) * time.Hour, Factor: 1.4 + 0.6*r.Float64(), Step: true, MinLen: 5, MaxLen: 20})
	case "recurring-weekday":
		comps = append(comps, recurring{At: []time.Duration{time.Duration(8+r.IntN(3))*time.Hour + 30*time.Minute}, Weekdays: true, Length: time.Duration(15+r.IntN(16)) * time.Minute, Factor: 2 + r.Float64(), Rise: 1})
	case "slow-up-bursts":
		comps = append(comps, bursts{Every: time.Duration(6+r.IntN(12)) * time.Hour, Factor: 1.5 + 0.5*r.Float64(), MinLen: 20, MaxLen: 60})
		up = &scale.Rules{Window: 60 * time.Second, Select: scale.SelectMax, Policies: []scale.RatePolicy{{Type: scale.Pods, Value: 2, Period: 60 * time.Second}}}
	case "noisy-50":
		comps[2] = fixtures.Noise{Sigma: 0.1 * (base + amp/2), Phi: 0.6}
		target = 0.5
	}
	load := fixtures.Sum(nil, g, r, comps...)
	for k, v := range load {
		load[k] = math.Max(0.02, v)
	}
	peak, trough := 0.0, math.Inf(1)
	for _, v := range load[:7*1440] {
		peak, trough = math.Max(peak, v), math.Min(trough, v)
	}
	perPod := target * request
	// A reasonable HPA as teams write it: minReplicas for a share of the
	// peak (a quarter to a half), maxReplicas for the peak with 50%.
	minR := int32(math.Max(2, math.Ceil(peak*(0.25+0.25*r.Float64())/perPod)))
	maxR := max(minR+2, int32(math.Ceil(peak*1.5/perPod)))
	switch kind {
	case "tight-max-50":
		target = 0.5
		perPod = target * request
		minR = int32(math.Max(2, math.Ceil(trough/perPod)))
		// maxReplicas for 80% of the peak at full request: it saturates.
		maxR = max(minR+1, int32(math.Ceil(peak*0.4/perPod)))
	case "peak-min":
		// minReplicas set for the peak, the HPA there for safety only.
		minR = int32(math.Ceil(peak / perPod))
		maxR = minR + 4
	case "growth-fast":
		maxR = max(minR+2, int32(math.Ceil(peak*1.2/perPod)))
	}
	return build(spec{name: name, kind: kind, load: load, request: request, target: target, minR: minR, maxR: maxR, up: up, delay: delay}, g, r)
}

// build makes a workload of a spec: the manifests, and the history its
// current HPA made of the load.
func build(sp spec, g fixtures.Grid, r *rand.Rand) (Workload, error) {
	name, kind, load, request, target, minR, maxR := sp.name, sp.kind, sp.load, sp.request, sp.target, sp.minR, sp.maxR
	memRequest := 256 << 20
	memLimit := 512 << 20
	w := Workload{Name: name, Kind: kind, Load: load, StartupDelay: sp.delay}
	w.Manifest = []byte(manifest(name, request, target, minR, maxR, memRequest, memLimit, sp.up))

	// The history under the current HPA.
	pol := scale.Policy{MinReplicas: minR, MaxReplicas: maxR, ScaleUp: scale.DefaultScaleUp(), ScaleDown: scale.DefaultScaleDown(),
		Metrics: []scale.Metric{{Name: "cpu", Type: scale.Utilization, Target: target, Request: request}}}
	if sp.up != nil {
		pol.ScaleUp = *sp.up
	}
	d := scale.Demand{Start: Start, Step: step, Load: map[string][]float64{"cpu": load}}
	res, err := scale.Simulate(pol, d, scale.SimConfig{StartupDelay: sp.delay, Trace: true})
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
		switch sp.mem {
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

func manifest(name string, request, target float64, minR, maxR int32, memReq, memLim int, up *scale.Rules) string {
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
	if up != nil {
		fmt.Fprintf(&b, "  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: %d\n      policies:\n", int(up.Window/time.Second))
		for _, q := range up.Policies {
			fmt.Fprintf(&b, "        - type: %s\n          value: %d\n          periodSeconds: %d\n", q.Type, q.Value, int(q.Period/time.Second))
		}
	}
	return b.String()
}

// bursts adds short surges: every Every on average, a surge of MinLen to
// MaxLen minutes (default 10 to 40) multiplying what dst holds by Factor,
// rising over 2 minutes (at once with Step).
type bursts struct {
	Every          time.Duration
	Factor         float64
	Step           bool
	MinLen, MaxLen int
}

func (c bursts) Add(dst []float64, g fixtures.Grid, r *rand.Rand) []float64 {
	if dst == nil {
		dst = make([]float64, g.N)
	}
	lo, hi := c.MinLen, c.MaxLen
	if lo <= 0 {
		lo, hi = 10, 40
	}
	rise := 2.0
	if c.Step {
		rise = 1
	}
	p := float64(g.Step) / float64(c.Every)
	for i := 0; i < g.N; i++ {
		if r.Float64() >= p {
			continue
		}
		length := lo + r.IntN(hi-lo+1)
		for k := 0; k < length && i+k < g.N; k++ {
			f := 1 + (c.Factor-1)*math.Min(1, float64(k+1)/rise)
			dst[i+k] *= f
		}
		i += length
	}
	return dst
}

// recurring adds surges at the same times of every day (of every weekday
// with Weekdays): Length long, multiplying what dst holds by Factor (±10%
// from day to day), rising over Rise minutes, starting within 5 minutes of
// each time in At.
type recurring struct {
	At       []time.Duration
	Weekdays bool
	Length   time.Duration
	Factor   float64
	Rise     float64
}

func (c recurring) Add(dst []float64, g fixtures.Grid, r *rand.Rand) []float64 {
	if dst == nil {
		dst = make([]float64, g.N)
	}
	days := int(g.End().Sub(g.Start)/(24*time.Hour)) + 1
	n := int(c.Length / g.Step)
	for d := range days {
		day := g.Start.Add(time.Duration(d) * 24 * time.Hour)
		if wd := day.Weekday(); c.Weekdays && (wd == time.Saturday || wd == time.Sunday) {
			continue
		}
		for _, at := range c.At {
			i := g.Index(day.Add(at + time.Duration(r.IntN(6))*time.Minute))
			if i < 0 {
				continue
			}
			f := c.Factor * (0.9 + 0.2*r.Float64())
			for k := 0; k < n && i+k < g.N; k++ {
				dst[i+k] *= 1 + (f-1)*math.Min(1, float64(k+1)/math.Max(1, c.Rise))
			}
		}
	}
	return dst
}
