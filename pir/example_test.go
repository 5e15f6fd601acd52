package pir_test

import (
	"fmt"
	"time"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

func ExampleLoad() {
	l, err := pir.Load("testdata/reviews", "testdata/pagerduty-incidents.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range l.Incidents {
		d, _ := in.DetectionDelay()
		fmt.Printf("%s %s detected by %s after %s\n", in.ID, in.StartedAt.Format("2006-01-02 15:04"), in.Detection.Method, d)
	}
	// Output:
	// #1843 2024-03-04 09:12 detected by alert after 6m0s
	// Q0RK4W2N8FJ3LP 2024-03-07 22:58 detected by human after 0s
	// PIR-2024-007 2024-03-12 01:10 detected by customer after 4h30m0s
	// 2024-03-15-cdn-certificate 2024-03-15 17:00 detected by customer after 9m0s
}

func ExampleParse() {
	review := `---
id: INC-9
date: 2024-05-01
timezone: Europe/Paris
service: checkout
---
## Timeline
- 14:02 error rate rises
- 14:09 Paged by HighErrorRate
`
	p, err := pir.Parse([]byte(review), "inc-9.md", pir.FormatAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := p.Incidents[0]
	fmt.Println(p.Format, in.StartedAt, in.Detection.Method, in.Detection.Alerts, in.Labels)
	// Output: markdown 2024-05-01 12:02:00 +0000 UTC alert [HighErrorRate] map[service:checkout]
}

func ExampleQuality() {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	incidents := []pir.Incident{{ID: "INC-1", StartedAt: t0.Add(10 * time.Hour), ResolvedAt: t0.Add(11 * time.Hour), Labels: map[string]string{"service": "api"}}}
	ls := series.New("alertname", "HighErrorRate", "service", "api", "severity", "critical")
	rules := []pir.RuleFirings{{
		Rule: pir.RuleRef{File: "rules/api.yml", Group: "api", Alert: "HighErrorRate"},
		Firings: []pir.Firing{
			{Alert: "HighErrorRate", Labels: ls, FiringAt: t0.Add(9*time.Hour + 50*time.Minute), ResolvedAt: t0.Add(10*time.Hour + 30*time.Minute)},
			{Alert: "HighErrorRate", Labels: ls, FiringAt: t0.Add(30 * time.Hour), ResolvedAt: t0.Add(30*time.Hour + 5*time.Minute)},
		},
	}}
	rep, err := pir.Quality(rules, incidents, pir.QualityConfig{Start: t0, End: t0.Add(7 * 24 * time.Hour)})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := rep.Rules[0]
	fmt.Println(r.Alert, r.Firings, r.Pages, *r.Precision, r.Caught, *r.LeadSecondsMedian, r.Verdict)
	fmt.Println(*rep.Summary.Recall, rep.Summary.PagesPerWeek)
	// Output:
	// HighErrorRate 2 2 0.5 [INC-1] 600 good
	// 1 2
}

func ExampleFiringsFromAlerts() {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	s := series.Series{Labels: series.New("__name__", "ALERTS", "alertname", "DiskFull", "alertstate", "firing", "instance", "db-1")}
	for _, m := range []int{0, 1, 2, 5} {
		s.Timestamps = append(s.Timestamps, t0.Add(time.Duration(m)*time.Minute).UnixMilli())
		s.Values = append(s.Values, 1)
	}
	for _, f := range pir.FiringsFromAlerts([]series.Series{s}, time.Minute, t0.Add(time.Hour)) {
		fmt.Println(f.Labels, f.FiringAt.Format("15:04"), f.ResolvedAt.Format("15:04"))
	}
	// Output:
	// {alertname="DiskFull", instance="db-1"} 00:00 00:03
	// {alertname="DiskFull", instance="db-1"} 00:05 00:06
}
