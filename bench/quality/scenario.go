package quality

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/omenhq/omen/series"
)

// Defaults of Config.
const (
	DefaultRules     = 50
	DefaultWeeks     = 12
	DefaultStep      = time.Minute
	DefaultInstances = 2
	DefaultIncidents = 40
)

// ErrConfig is returned for a Config that describes no scenario.
var ErrConfig = errors.New("quality: invalid config")

// Services are the services the rules and the incidents are about.
var Services = []string{"checkout", "payments", "search", "orders", "media"}

// Config describes a scenario. The zero value is the acceptance scenario
// of issue 11: 50 rules over 12 weeks at 1m.
type Config struct {
	// Rules is the number of alerting rules, each on its own metric.
	// Default DefaultRules (50).
	Rules int
	// Weeks is the length of the history. Default DefaultWeeks (12).
	Weeks int
	// Step is the resolution of the history and the rules' interval.
	// Default DefaultStep (1m).
	Step time.Duration
	// Instances is the number of series (label sets) of each metric.
	// Default DefaultInstances (2).
	Instances int
	// Incidents is the number of incidents. Default DefaultIncidents (40).
	Incidents int
	// Seed draws the scenario.
	Seed uint64
}

func (c Config) withDefaults() (Config, error) {
	if c.Rules == 0 {
		c.Rules = DefaultRules
	}
	if c.Weeks == 0 {
		c.Weeks = DefaultWeeks
	}
	if c.Step == 0 {
		c.Step = DefaultStep
	}
	if c.Instances == 0 {
		c.Instances = DefaultInstances
	}
	if c.Incidents == 0 {
		c.Incidents = DefaultIncidents
	}
	if c.Rules < 0 || c.Weeks < 0 || c.Step < time.Second || c.Instances < 0 || c.Incidents < 0 {
		return c, fmt.Errorf("%w: %+v", ErrConfig, c)
	}
	return c, nil
}

// Start is where every scenario's history begins: a Monday at midnight UTC.
var Start = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Scenario is a generated period: the rule file, the incidents and the
// history the rules are evaluated on.
type Scenario struct {
	Config     Config
	Start, End time.Time
	// RuleFile is a Prometheus rule file with Config.Rules alerting rules
	// in groups of ten, evaluated every Config.Step.
	RuleFile string
	// IncidentsYAML is the incidents in the minimal YAML format.
	IncidentsYAML string
	// Incidents are the incident windows, by service.
	Incidents []Window
}

// Window is one incident of the scenario.
type Window struct {
	ID       string
	Service  string
	From, To time.Time // To is zero for an incident without an end
}

// Generate draws the scenario of cfg. The history is produced by Series,
// one metric at a time, so that a caller never holds all of it.
func Generate(cfg Config) (*Scenario, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sc := &Scenario{Config: cfg, Start: Start, End: Start.Add(time.Duration(cfg.Weeks) * 7 * 24 * time.Hour)}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x51ab))
	span := sc.End.Sub(sc.Start)
	var y strings.Builder
	y.WriteString("incidents:\n")
	for i := 0; i < cfg.Incidents; i++ {
		from := sc.Start.Add(time.Duration(r.Int64N(int64(span - 4*time.Hour)))).Truncate(cfg.Step)
		w := Window{ID: fmt.Sprintf("INC-%d", 100+i), Service: Services[r.IntN(len(Services))], From: from}
		fmt.Fprintf(&y, "  - id: %s\n    start: %s\n", w.ID, from.Format(time.RFC3339))
		if r.IntN(6) != 0 {
			w.To = from.Add(time.Duration(20+r.IntN(160)) * time.Minute)
			fmt.Fprintf(&y, "    end: %s\n", w.To.Format(time.RFC3339))
		}
		fmt.Fprintf(&y, "    title: %s degraded\n    labels:\n      service: %s\n", w.Service, w.Service)
		sc.Incidents = append(sc.Incidents, w)
	}
	sc.IncidentsYAML = y.String()

	var rf strings.Builder
	rf.WriteString("groups:\n")
	for i := 0; i < cfg.Rules; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&rf, "  - name: bench-%d\n    interval: %s\n    rules:\n", i/10, fmtStep(cfg.Step))
		}
		sev := "critical"
		if i%3 == 2 {
			sev = "warning"
		}
		forDur := []string{"0s", "2m", "5m"}[i%3]
		expr := fmt.Sprintf("%s > 0.8", metricName(i))
		if i%4 == 3 {
			expr = fmt.Sprintf("max_over_time(%s[5m]) > 0.85", metricName(i))
		}
		fmt.Fprintf(&rf, "      - alert: BenchSignal%02dHigh\n        expr: %s\n        for: %s\n        labels:\n          severity: %s\n        annotations:\n          summary: signal %d of {{ $labels.service }} above its threshold\n",
			i, expr, forDur, sev, i)
	}
	sc.RuleFile = rf.String()
	return sc, nil
}

func fmtStep(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

func metricName(rule int) string { return fmt.Sprintf("bench_signal_%02d", rule) }

// Series returns the history of one rule's metric: Config.Instances
// series over [Start, End] at Config.Step, a daily wave in [0.2, 0.6] with
// noise that rises above 0.9 from 0–90 minutes before each incident of
// the metric's service until its end (for 1h without one), and false
// alarms: short spikes at random, about two a week.
func (sc *Scenario) Series(rule int) []series.Series {
	cfg := sc.Config
	r := rand.New(rand.NewPCG(cfg.Seed, uint64(rule)+1))
	svc := Services[rule%len(Services)]
	n := int(sc.End.Sub(sc.Start)/cfg.Step) + 1
	stepMs := cfg.Step.Milliseconds()
	t0 := sc.Start.UnixMilli()
	// Incident windows of the service, with a lead drawn per rule.
	type span struct{ from, to int }
	var hot []span
	for _, w := range sc.Incidents {
		if w.Service != svc {
			continue
		}
		to := w.To
		if to.IsZero() {
			to = w.From.Add(time.Hour)
		}
		lead := time.Duration(r.IntN(90)) * time.Minute
		hot = append(hot, span{int(w.From.Add(-lead).Sub(sc.Start) / cfg.Step), int(to.Sub(sc.Start) / cfg.Step)})
	}
	falseAlarms := int(float64(cfg.Weeks) * 2 * (0.5 + r.Float64()))
	for k := 0; k < falseAlarms; k++ {
		at := r.IntN(n)
		hot = append(hot, span{at, at + 3 + r.IntN(20)})
	}
	out := make([]series.Series, cfg.Instances)
	for inst := range out {
		ts := make([]int64, n)
		vs := make([]float64, n)
		phase := r.Float64() * 2 * math.Pi
		for i := range n {
			ts[i] = t0 + int64(i)*stepMs
			day := float64(i) * float64(stepMs) / float64(24*time.Hour/time.Millisecond)
			vs[i] = 0.4 + 0.2*math.Sin(2*math.Pi*day+phase) + 0.05*r.NormFloat64()
		}
		for _, h := range hot {
			for i := max(h.from, 0); i <= h.to && i < n; i++ {
				vs[i] = 0.92 + 0.05*r.Float64()
			}
		}
		out[inst] = series.Series{
			Labels:     series.New("__name__", metricName(rule), "service", svc, "instance", fmt.Sprintf("%s-%d:9100", svc, inst), "job", "bench"),
			Timestamps: ts, Values: vs,
		}
	}
	return out
}
