package tuner_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// Tune proposes, for a rule that pages on every two-minute blip, the
// `for` that drops the blips and a lower threshold that warns earlier:
// five weeks of history at 1m, a blip every day, an incident every week
// whose signal rises half an hour before it starts.
func ExampleTune() {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	h := history{labels: series.New("__name__", "error_ratio", "service", "checkout"), start: start}
	var incs []pir.Incident
	for range 5 * 7 * 24 * 60 {
		h.values = append(h.values, 0.01)
	}
	for day := range 5 * 7 {
		blip := day*1440 + 600 + 37*(day%5)
		h.values[blip], h.values[blip+1] = 0.08, 0.08
	}
	for week := range 5 {
		at := week*7*1440 + 3*1440 + 14*60
		for i := at - 30; i < at+45; i++ {
			h.values[i] = 0.03 + 0.002*float64(min(i-at+30, 40))
		}
		incs = append(incs, pir.Incident{ID: fmt.Sprintf("INC-%d", week+1), StartedAt: start.Add(time.Duration(at) * time.Minute),
			Labels: map[string]string{"service": "checkout"}})
	}
	rules, err := tuner.Parse([]byte(`groups:
- name: app
  rules:
  - alert: ErrorRatioHigh
    expr: error_ratio > 0.05
    labels:
      severity: critical
`), "app.yml", "app.yml", tuner.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := tuner.Tune(context.Background(), h, rules, tuner.TuneConfig{
		ReplayConfig: tuner.ReplayConfig{Start: start, End: start.Add(5*7*24*time.Hour - time.Minute)},
		Incidents:    incs,
		LeadWindow:   time.Hour,
		Objective:    tuner.Objective{MaxPagesPerWeek: 2},
		Fors:         []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Proposals {
		for _, c := range p.Changes {
			fmt.Printf("%s: %s %s → %s\n", p.Alert, c.Field, c.From, c.To)
		}
		fmt.Printf("pages/week %.1f → %.1f, validation folds %d\n", *p.Before.PagesPerWeek, *p.After.PagesPerWeek, len(p.Validation.Folds))
	}
	// Output:
	// ErrorRatioHigh: threshold 0.05 → 0.0318
	// ErrorRatioHigh: for none → 2m
	// pages/week 8.0 → 1.0, validation folds 3
}
