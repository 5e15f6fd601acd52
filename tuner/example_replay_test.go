package tuner_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// history is a Querier over a fixed minute-by-minute history of one
// series that understands `name` and `name > number` only; omen's CLI
// adapts a Prometheus or VictoriaMetrics client instead.
type history struct {
	labels series.Labels
	start  time.Time
	values []float64
}

func (h history) QueryRange(_ context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	name, limit, cmp := strings.Cut(expr, " > ")
	if name != h.labels.Name() {
		return nil, fmt.Errorf("unknown expression %q", expr)
	}
	threshold, _ := strconv.ParseFloat(limit, 64)
	s := series.Series{Labels: h.labels}
	for t := start; !t.After(end); t = t.Add(step) {
		i := int(t.Sub(h.start) / time.Minute)
		if i < 0 || i >= len(h.values) || cmp && !(h.values[i] > threshold) {
			continue
		}
		s.Timestamps, s.Values = append(s.Timestamps, t.UnixMilli()), append(s.Values, h.values[i])
	}
	if s.Len() == 0 {
		return nil, nil
	}
	return []series.Series{s}, nil
}

var exampleHistory = history{
	labels: series.New("__name__", "cpu_usage", "instance", "db-1"),
	start:  time.Date(2026, 1, 3, 10, 0, 0, 0, time.UTC),
	values: []float64{0.5, 0.95, 0.97, 0.96, 0.5, 0.92, 0.93, 0.94, 0.95, 0.96, 0.5, 0.5},
}

const exampleRules = `groups:
- name: node
  rules:
  - alert: CPUHigh
    expr: cpu_usage > 0.9
    for: 3m
    labels:
      severity: critical
`

// Replay evaluates the rule at every minute: the first burst (3 minutes)
// is too short for `for: 3m`, the second fires.
func ExampleReplay() {
	rules, err := tuner.Parse([]byte(exampleRules), "rules.yml", "rules.yml", tuner.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := tuner.Replay(context.Background(), exampleHistory, rules, tuner.ReplayConfig{
		Start: exampleHistory.start, End: exampleHistory.start.Add(11 * time.Minute),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Rules[0].Firings {
		fmt.Println(f.Labels, f.ActiveAt.Format("15:04"), f.FiringAt.Format("15:04"), f.ResolvedAt.Format("15:04"))
	}
	fmt.Println(res.Queries, "request")
	// Output:
	// {alertname="CPUHigh", instance="db-1", severity="critical"} 10:05 10:08 10:10
	// 1 request
}

// WhatIf tries other thresholds and `for` values from one query of the
// signal, cpu_usage.
func ExampleWhatIf() {
	rules, err := tuner.Parse([]byte(exampleRules), "rules.yml", "rules.yml", tuner.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := tuner.WhatIf(context.Background(), exampleHistory, rules[0], tuner.WhatIfConfig{
		ReplayConfig: tuner.ReplayConfig{Start: exampleHistory.start, End: exampleHistory.start.Add(11 * time.Minute)},
		Thresholds:   []float64{0.9, 0.95},
		Fors:         []time.Duration{0, 3 * time.Minute},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("plan", res.Plan, "requests", res.Queries)
	for _, v := range res.After {
		fmt.Printf("threshold %v for %s: %d firings, %.0f s firing\n", *v.Threshold, v.For, v.Metrics.Firings, v.Metrics.FiringSeconds)
	}
	// Output:
	// plan signal requests 1
	// threshold 0.9 for 0s: 2 firings, 480 s firing
	// threshold 0.9 for 3m0s: 1 firings, 120 s firing
	// threshold 0.95 for 0s: 2 firings, 180 s firing
	// threshold 0.95 for 3m0s: 0 firings, 0 s firing
}
