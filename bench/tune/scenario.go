package tune

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/omenhq/omen/series"
)

// Defaults of Config.
const (
	DefaultServices  = 6
	DefaultWeeks     = 12
	DefaultInstances = 2
	// DefaultIncidentsPerWeek is the incidents a week over all services.
	DefaultIncidentsPerWeek = 3.0
)

// ErrConfig is returned for a Config that describes no scenario.
var ErrConfig = errors.New("tune: invalid config")

// Start is where every scenario begins: a Monday at midnight UTC.
var Start = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Step is the resolution of the history and the rules' interval.
const Step = time.Minute

// Kinds are the rules written for each service, in order; Config.Rules
// takes the first few.
//   - noisy: error ratio > 0.02 for 0s, critical: pages on every short
//     spike of the error ratio (about four a week an instance);
//   - late: p99 latency > 1.5 s for 15m, critical: fires well after the
//     latency incidents start, misses those peaking below 1.5 s;
//   - good: the 10-minute mean error ratio > 0.03 for 2m, critical: fine
//     as it is;
//   - warning: error ratio > 0.015 for 5m, warning: pages nobody;
//   - optout: latency > 0.8 for 0s, critical, omen_tune: "false": noisy
//     but not to be touched.
var Kinds = []string{"noisy", "late", "good", "warning", "optout"}

// Config describes a scenario. The zero value is the acceptance scenario:
// six services, three rules each (noisy, late, good), 12 weeks at 1m.
type Config struct {
	// Services is the number of services. Default DefaultServices (6).
	Services int
	// Rules is the number of rules a service has, the first of Kinds.
	// Default 3.
	Rules int
	// Weeks is the length of the history. Default DefaultWeeks (12).
	Weeks int
	// Instances is the number of series of each metric and service.
	// Default DefaultInstances (2).
	Instances int
	// IncidentsPerWeek over all services. Default
	// DefaultIncidentsPerWeek (3).
	IncidentsPerWeek float64
	// Seed draws the scenario.
	Seed uint64
}

func (c Config) withDefaults() (Config, error) {
	if c.Services == 0 {
		c.Services = DefaultServices
	}
	if c.Rules == 0 {
		c.Rules = 3
	}
	if c.Weeks == 0 {
		c.Weeks = DefaultWeeks
	}
	if c.Instances == 0 {
		c.Instances = DefaultInstances
	}
	if c.IncidentsPerWeek == 0 {
		c.IncidentsPerWeek = DefaultIncidentsPerWeek
	}
	if c.Services < 0 || c.Rules < 0 || c.Rules > len(Kinds) || c.Weeks < 1 || c.Instances < 1 || c.IncidentsPerWeek < 0 {
		return c, fmt.Errorf("%w: %+v", ErrConfig, c)
	}
	return c, nil
}

// Scenario is a generated history with its rules and incidents.
type Scenario struct {
	Config     Config
	Start, End time.Time
	// RuleFile is the Prometheus rule file: one group per service.
	RuleFile string
	// IncidentsYAML is the incidents in the minimal YAML format.
	IncidentsYAML string
	// Incidents are the incidents.
	Incidents []Incident
	// Services are the services' names.
	Services []string
}

// Incident is one incident of the scenario: an error incident (the error
// ratio ramps up) or a latency incident (the p99 latency does).
type Incident struct {
	ID, Service, Kind string
	From, To          time.Time
	// Lead is how long before From the signal starts to rise; Peak is
	// the value it reaches.
	Lead time.Duration
	Peak float64
}

var serviceNames = []string{"checkout", "payments", "search", "orders", "media", "auth", "cart", "catalog", "profile", "billing", "ledger", "notify"}

// Generate draws the scenario of cfg.
func Generate(cfg Config) (*Scenario, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sc := &Scenario{Config: cfg, Start: Start, End: Start.Add(time.Duration(cfg.Weeks) * 7 * 24 * time.Hour)}
	for i := range cfg.Services {
		name := serviceNames[i%len(serviceNames)]
		if i >= len(serviceNames) {
			name = fmt.Sprintf("%s%d", name, i/len(serviceNames))
		}
		sc.Services = append(sc.Services, name)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7e57))
	n := int(math.Round(cfg.IncidentsPerWeek * float64(cfg.Weeks)))
	span := sc.End.Sub(sc.Start) - 6*time.Hour
	var y strings.Builder
	y.WriteString("incidents:\n")
	for i := range n {
		// Spread the incidents evenly with jitter, so every week has some.
		slot := span / time.Duration(max(n, 1))
		from := sc.Start.Add(2*time.Hour + time.Duration(i)*slot + time.Duration(r.Int64N(int64(slot-2*time.Hour)))).Truncate(Step)
		in := Incident{ID: fmt.Sprintf("INC-%d", 100+i), Service: sc.Services[r.IntN(len(sc.Services))], From: from,
			To: from.Add(time.Duration(30+r.IntN(60)) * time.Minute), Lead: time.Duration(10+r.IntN(40)) * time.Minute}
		if r.IntN(2) == 0 {
			in.Kind, in.Peak = "errors", 0.05+0.07*r.Float64()
		} else {
			in.Kind, in.Peak = "latency", 1.1+0.9*r.Float64()
		}
		sc.Incidents = append(sc.Incidents, in)
		writeIncident(&y, in.ID, in.From, in.To, in.Service+" "+map[string]string{"errors": "errors up", "latency": "slow"}[in.Kind], in.Service)
	}
	sc.IncidentsYAML = y.String()
	var rf strings.Builder
	rf.WriteString("groups:\n")
	for _, svc := range sc.Services {
		fmt.Fprintf(&rf, "  - name: %s\n    interval: 1m\n    rules:\n", svc)
		for k := range cfg.Rules {
			rf.WriteString(ruleText(Kinds[k], svc))
		}
	}
	sc.RuleFile = rf.String()
	return sc, nil
}

// writeIncident appends one incident of an incidents file (the list under
// "incidents:") to w: its id, start, end, title and service label.
func writeIncident(w io.Writer, id string, from, to time.Time, title, service string) {
	fmt.Fprintf(w, "  - id: %s\n    start: %s\n    end: %s\n    title: %s\n    labels:\n      service: %s\n",
		id, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), title, service)
}

// Title turns a service name into the start of an alert name.
func Title(svc string) string { return strings.ToUpper(svc[:1]) + svc[1:] }

func ruleText(kind, svc string) string {
	t := Title(svc)
	switch kind {
	case "noisy":
		return fmt.Sprintf("      - alert: %sErrorRatioHigh\n        expr: tune_error_ratio{service=%q} > 0.02\n        for: 0s\n        labels:\n          severity: critical\n        annotations:\n          summary: error ratio of {{ $labels.instance }} is {{ $value }}\n", t, svc)
	case "late":
		return fmt.Sprintf("      - alert: %sLatencyHigh\n        expr: tune_latency_p99_seconds{service=%q} > 1.5\n        for: 15m\n        labels:\n          severity: critical\n", t, svc)
	case "good":
		return fmt.Sprintf("      - alert: %sErrorBudgetBurn\n        expr: avg_over_time(tune_error_ratio{service=%q}[10m]) > 0.03\n        for: 2m\n        labels:\n          severity: critical\n", t, svc)
	case "warning":
		return fmt.Sprintf("      - alert: %sErrorRatioWarning\n        expr: tune_error_ratio{service=%q} > 0.015\n        for: 5m\n        labels:\n          severity: warning\n", t, svc)
	case "optout":
		return fmt.Sprintf("      - alert: %sLatencyAny\n        expr: tune_latency_p99_seconds{service=%q} > 0.8\n        labels:\n          severity: critical\n          omen_tune: \"false\"\n", t, svc)
	}
	panic("tune: unknown rule kind " + kind)
}

// Series returns the history of one service: Config.Instances series of
// tune_error_ratio and of tune_latency_p99_seconds over [Start, End] at
// one sample a minute (30 s past the minute, off the evaluation
// instants), with the incidents' ramps and the false alarms.
//
// The error ratio is about 0.005 (a daily wave, noise) with spikes of 1–4
// minutes to 0.025–0.05 about four times a week an instance; before an
// error incident it rises linearly from Lead before the start to Peak
// five minutes after it and stays there until the end. The latency is
// about 0.25 s with spikes of 2–6 minutes to 0.5–0.75 s about twice a
// week; before a latency incident it rises over Lead + 20 minutes to
// Peak.
func (sc *Scenario) Series(service int) []series.Series {
	cfg := sc.Config
	svc := sc.Services[service]
	r := rand.New(rand.NewPCG(cfg.Seed, uint64(service)+1))
	n := int(sc.End.Sub(sc.Start) / Step)
	t0 := sc.Start.Add(30 * time.Second).UnixMilli()
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = t0 + int64(i)*Step.Milliseconds()
	}
	idx := func(t time.Time) int { return int(t.Sub(sc.Start) / Step) }
	var out []series.Series
	for inst := range cfg.Instances {
		errs := make([]float64, n)
		lat := make([]float64, n)
		phase := r.Float64() * 2 * math.Pi
		for i := range n {
			day := 2 * math.Pi * float64(i) / 1440
			errs[i] = math.Max(0, 0.005+0.002*math.Sin(day+phase)+0.001*r.NormFloat64())
			lat[i] = math.Max(0.05, 0.25+0.05*math.Sin(day+phase)+0.02*r.NormFloat64())
		}
		weeks := float64(cfg.Weeks)
		for range int(4 * weeks) {
			at, d, h := r.IntN(n-10), 1+r.IntN(4), 0.025+0.025*r.Float64()
			for i := at; i < at+d; i++ {
				errs[i] = h + 0.002*r.NormFloat64()
			}
		}
		for range int(2 * weeks) {
			at, d, h := r.IntN(n-10), 2+r.IntN(5), 0.5+0.25*r.Float64()
			for i := at; i < at+d; i++ {
				lat[i] = h + 0.02*r.NormFloat64()
			}
		}
		for _, in := range sc.Incidents {
			if in.Service != svc {
				continue
			}
			vs, base, lead := errs, 0.005, in.Lead
			if in.Kind == "latency" {
				vs, base, lead = lat, 0.25, in.Lead+20*time.Minute
			}
			from, peakAt, to := idx(in.From.Add(-lead)), idx(in.From.Add(5*time.Minute)), idx(in.To)
			peak := in.Peak * (0.9 + 0.2*r.Float64()) // instances differ a little
			for i := max(from, 0); i < min(to, n); i++ {
				x := 1.0
				if i < peakAt {
					x = float64(i-from) / float64(peakAt-from)
				}
				v := base + (peak-base)*x
				vs[i] = math.Max(vs[i], v*(1+0.03*r.NormFloat64()))
			}
		}
		ls := func(name string) series.Labels {
			return series.New("__name__", name, "service", svc, "instance", fmt.Sprintf("%s-%d:9100", svc, inst), "job", "app")
		}
		out = append(out,
			series.Series{Labels: ls("tune_error_ratio"), Timestamps: ts, Values: errs},
			series.Series{Labels: ls("tune_latency_p99_seconds"), Timestamps: ts, Values: lat})
	}
	return out
}
