package pir_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// truthIncident is an incident as the scenario generator knows it.
type truthIncident struct {
	id     string
	start  time.Time
	end    time.Time // zero: no end
	labels map[string]string
	drill  bool
}

// scenario is a randomized period of firings and incidents.
type scenario struct {
	start, end time.Time
	rules      []pir.RuleFirings
	incidents  []truthIncident
	lead       time.Duration
	loc        *time.Location
	pageSevs   []string
}

var (
	services = []string{"checkout", "payments", "search", "orders"}
	clusters = []string{"eu-west-1", "us-east-1"}
)

// newScenario draws weeks of 1-minute firings for nRules rules and
// nIncidents incidents. onlyService restricts incident labels to service
// (PagerDuty tells nothing else).
func newScenario(seed uint64, weeks, nRules, nIncidents int, onlyService bool) scenario {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1000)) * time.Minute)
	end := start.Add(time.Duration(weeks) * 7 * 24 * time.Hour)
	span := int(end.Sub(start) / time.Minute)
	sc := scenario{start: start, end: end, lead: time.Duration(1+r.IntN(8)) * time.Hour, pageSevs: []string{"critical"}}
	if r.IntN(2) == 0 {
		sc.loc, _ = time.LoadLocation("America/New_York")
	} else {
		sc.loc = time.UTC
	}
	minute := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	for i := 0; i < nIncidents; i++ {
		// Some incidents start outside the period.
		m := r.IntN(span+2*24*60) - 24*60
		in := truthIncident{id: fmt.Sprintf("INC-%d", 1000+i), start: minute(m)}
		if r.IntN(4) != 0 {
			in.end = in.start.Add(time.Duration(5+r.IntN(300)) * time.Minute)
		}
		switch k := r.IntN(5); {
		case k == 0:
			// no labels: matches every alert
		case onlyService || k <= 2:
			in.labels = map[string]string{"service": services[r.IntN(len(services))]}
		case k == 3:
			in.labels = map[string]string{"service": services[r.IntN(len(services))], "cluster": clusters[r.IntN(len(clusters))]}
		default:
			in.labels = map[string]string{"team": "nobody-shares-this"}
		}
		in.drill = r.IntN(10) == 0
		sc.incidents = append(sc.incidents, in)
	}
	sevs := []string{"critical", "warning", ""}
	for i := 0; i < nRules; i++ {
		rule := pir.RuleRef{File: "rules/app.yml", Group: "app", Alert: fmt.Sprintf("Rule%02dHigh", i)}
		ruleSev := sevs[r.IntN(len(sevs))]
		if ruleSev != "" {
			rule.Labels = map[string]string{"severity": ruleSev}
		}
		rf := pir.RuleFirings{Rule: rule}
		n := r.IntN(40)
		for k := 0; k < n; k++ {
			lm := map[string]string{"alertname": rule.Alert}
			if ruleSev != "" {
				lm["severity"] = ruleSev
			} else if r.IntN(5) == 0 {
				// a severity from the series, not the rule: still pages
				lm["severity"] = sevs[r.IntN(2)]
			}
			if r.IntN(5) != 0 {
				lm["service"] = services[r.IntN(len(services))]
			}
			if r.IntN(3) == 0 {
				lm["cluster"] = clusters[r.IntN(len(clusters))]
			}
			var at time.Time
			if k > 0 && r.IntN(6) == 0 && rf.Firings[k-1].Resolved() {
				// a flap: the same label set fires again soon after
				prev := rf.Firings[k-1]
				lm = prev.Labels.Map()
				at = prev.ResolvedAt.Add(time.Duration(r.IntN(45)) * time.Minute)
			} else if r.IntN(3) == 0 && len(sc.incidents) > 0 {
				// near an incident
				in := sc.incidents[r.IntN(len(sc.incidents))]
				at = in.start.Add(time.Duration(r.IntN(int(sc.lead/time.Minute)*2+120)-int(sc.lead/time.Minute)) * time.Minute)
			} else {
				at = minute(r.IntN(span+120) - 60)
			}
			f := pir.Firing{Alert: rule.Alert, Labels: series.FromMap(lm), FiringAt: at, ActiveAt: at}
			if r.IntN(8) != 0 {
				f.ResolvedAt = at.Add(time.Duration(1+r.IntN(240)) * time.Minute)
			}
			rf.Firings = append(rf.Firings, f)
		}
		sc.rules = append(sc.rules, rf)
	}
	return sc
}

// oracle computes the report straight from the definitions of issue 11,
// sharing no code with pir.Quality.
type oracleRule struct {
	firings, pages, night, matching, flaps int
	firingSeconds                          float64
	precision                              *float64
	caught                                 []string
	leadMedian                             *float64
}

type oracleIncident struct {
	id       string
	caughtBy []string
	lead     *float64
}

type oracleReport struct {
	rules     []oracleRule
	incidents []oracleIncident
	nInc      int
	caught    int
	paged     int
	recall    *float64
	pageRec   *float64
	firings   int
	matching  int
	pages     int
	ppw       float64
	precision *float64
}

func oracle(sc scenario) oracleReport {
	within := func(t time.Time) bool { return !t.Before(sc.start) && !t.After(sc.end) }
	var incs []truthIncident
	for _, in := range sc.incidents {
		if within(in.start) && !in.drill {
			incs = append(incs, in)
		}
	}
	sort.SliceStable(incs, func(i, j int) bool { return incs[i].start.Before(incs[j].start) })
	endOf := func(in truthIncident) time.Time {
		if in.end.IsZero() {
			return in.start.Add(time.Hour)
		}
		return in.end
	}
	match := func(in truthIncident, f pir.Firing) bool {
		if f.FiringAt.Before(in.start.Add(-sc.lead)) || f.FiringAt.After(endOf(in)) {
			return false
		}
		if len(in.labels) == 0 {
			return true
		}
		shared := 0
		for k, v := range in.labels {
			for _, l := range f.Labels {
				if l.Name == k {
					shared++
					if l.Value != v {
						return false
					}
				}
			}
		}
		return shared > 0
	}
	weeks := sc.end.Sub(sc.start).Hours() / (24 * 7)
	rep := oracleReport{nInc: len(incs)}
	earliest := map[string]time.Time{}
	caughtBy := map[string][]string{}
	paged := map[string]bool{}
	for _, rf := range sc.rules {
		var o oracleRule
		var fs []pir.Firing
		for _, f := range rf.Firings {
			if within(f.FiringAt) {
				fs = append(fs, f)
			}
		}
		own := map[string]time.Time{}
		for _, f := range fs {
			o.firings++
			stop := sc.end
			if !f.ResolvedAt.IsZero() && f.ResolvedAt.Before(sc.end) {
				stop = f.ResolvedAt
			}
			o.firingSeconds += stop.Sub(f.FiringAt).Seconds()
			// A rule with no severity label pages on every firing; else the
			// firing's severity must be a paging one.
			_, ruleHasSeverity := rf.Rule.Labels["severity"]
			sev := ""
			for _, l := range f.Labels {
				if l.Name == "severity" {
					sev = l.Value
				}
			}
			page := !ruleHasSeverity
			for _, s := range sc.pageSevs {
				if ruleHasSeverity && sev == s {
					page = true
				}
			}
			if page {
				o.pages++
				h := f.FiringAt.In(sc.loc).Hour()
				if h >= 22 || h < 7 {
					o.night++
				}
			}
			any := false
			for _, in := range incs {
				if match(in, f) {
					any = true
					if t, ok := own[in.id]; !ok || f.FiringAt.Before(t) {
						own[in.id] = f.FiringAt
					}
					if page {
						paged[in.id] = true
					}
				}
			}
			if any {
				o.matching++
			}
		}
		// flaps: a firing beginning less than 30m after the same label
		// set's previous firing was resolved.
		sorted := append([]pir.Firing(nil), fs...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].FiringAt.Before(sorted[j].FiringAt) })
		for i, f := range sorted {
			for j := i - 1; j >= 0; j-- {
				p := sorted[j]
				if p.Labels.String() != f.Labels.String() {
					continue
				}
				if !p.ResolvedAt.IsZero() {
					if d := f.FiringAt.Sub(p.ResolvedAt); d >= 0 && d < 30*time.Minute {
						o.flaps++
					}
				}
				break
			}
		}
		if o.firings > 0 {
			p := float64(o.matching) / float64(o.firings)
			o.precision = &p
		}
		var leads []float64
		for _, in := range incs {
			if t, ok := own[in.id]; ok {
				o.caught = append(o.caught, in.id)
				leads = append(leads, in.start.Sub(t).Seconds())
				if e, ok := earliest[in.id]; !ok || t.Before(e) {
					earliest[in.id] = t
				}
				caughtBy[in.id] = append(caughtBy[in.id], rf.Rule.Alert)
			}
		}
		if len(leads) > 0 {
			sort.Float64s(leads)
			var m float64
			if n := len(leads); n%2 == 1 {
				m = leads[n/2]
			} else {
				m = (leads[n/2-1] + leads[n/2]) / 2
			}
			o.leadMedian = &m
		}
		rep.rules = append(rep.rules, o)
		rep.firings += o.firings
		rep.matching += o.matching
		rep.pages += o.pages
	}
	for _, in := range incs {
		oi := oracleIncident{id: in.id, caughtBy: caughtBy[in.id]}
		if e, ok := earliest[in.id]; ok {
			l := in.start.Sub(e).Seconds()
			oi.lead = &l
			rep.caught++
		}
		if paged[in.id] {
			rep.paged++
		}
		rep.incidents = append(rep.incidents, oi)
	}
	if rep.nInc > 0 {
		r := float64(rep.caught) / float64(rep.nInc)
		p := float64(rep.paged) / float64(rep.nInc)
		rep.recall, rep.pageRec = &r, &p
	}
	if rep.firings > 0 {
		p := float64(rep.matching) / float64(rep.firings)
		rep.precision = &p
	}
	rep.ppw = float64(rep.pages) / weeks
	return rep
}

func requireClose(t *testing.T, want, got *float64, what string) {
	t.Helper()
	if want == nil || got == nil {
		require.Equal(t, want == nil, got == nil, "%s: want %v, got %v", what, want, got)
		return
	}
	require.InDelta(t, *want, *got, 1e-6, what)
}

// compare checks every field of the report against the oracle.
func compare(t *testing.T, sc scenario, want oracleReport, got *pir.QualityReport) {
	t.Helper()
	weeks := sc.end.Sub(sc.start).Hours() / (24 * 7)
	require.Len(t, got.Rules, len(want.rules))
	for i, w := range want.rules {
		g := got.Rules[i]
		name := g.Alert
		require.Equal(t, w.firings, g.Firings, "%s firings", name)
		require.Equal(t, w.pages, g.Pages, "%s pages", name)
		require.InDelta(t, float64(w.pages)/weeks, g.PagesPerWeek, 1e-6, "%s pages_per_week", name)
		require.Equal(t, w.night, g.NightPages, "%s night_pages", name)
		require.Equal(t, w.matching, g.Matching, "%s matching", name)
		require.InDelta(t, w.firingSeconds, g.FiringSeconds, 1e-6, "%s firing_seconds", name)
		requireClose(t, w.precision, g.Precision, name+" precision")
		require.Equal(t, w.caught, g.Caught, "%s caught", name)
		requireClose(t, w.leadMedian, g.LeadSecondsMedian, name+" lead_seconds_median")
		require.Equal(t, w.flaps, g.Flaps, "%s flaps", name)
		require.NotEmpty(t, g.Verdict, name)
		require.NotEmpty(t, g.Reason, name)
	}
	require.Len(t, got.Incidents, len(want.incidents))
	for i, w := range want.incidents {
		g := got.Incidents[i]
		require.Equal(t, w.id, g.ID)
		require.Equal(t, w.caughtBy, g.CaughtBy, "%s caught_by", w.id)
		requireClose(t, w.lead, g.LeadSeconds, w.id+" lead_seconds")
	}
	s := got.Summary
	require.Equal(t, want.nInc, s.Incidents, "summary incidents")
	require.Equal(t, want.caught, s.Caught, "summary caught")
	require.Equal(t, want.firings, s.Firings, "summary firings")
	requireClose(t, want.recall, s.Recall, "summary recall")
	requireClose(t, want.pageRec, s.PageRecall, "summary page_recall")
	requireClose(t, want.precision, s.Precision, "summary precision")
	require.InDelta(t, want.ppw, s.PagesPerWeek, 1e-6, "summary pages_per_week")
}

func (sc scenario) config() pir.QualityConfig {
	return pir.QualityConfig{Start: sc.start, End: sc.end, LeadWindow: sc.lead, Location: sc.loc, PageSeverities: sc.pageSevs}
}

func TestQualityEqualsTheDefinitionsOnRandomScenarios(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		sc := newScenario(seed, 1+int(seed%12), 1+int(seed%9), int(seed%40), false)
		var incs []pir.Incident
		for _, in := range sc.incidents {
			p := pir.Incident{ID: in.id, StartedAt: in.start, ResolvedAt: in.end, Labels: in.labels}
			if in.drill {
				p.Mode = pir.ModeDrill
			}
			incs = append(incs, p)
		}
		got, err := pir.Quality(sc.rules, incs, sc.config())
		require.NoError(t, err)
		compare(t, sc, oracle(sc), got)
	}
}

// TestQualityFromEveryFormatEqualsTheDefinitions writes each scenario's
// incidents in every format, loads them back and checks every field of the
// report against the oracle computed from the scenario itself.
func TestQualityFromEveryFormatEqualsTheDefinitions(t *testing.T) {
	formats := []struct {
		name        string
		onlyService bool
		write       func(t *testing.T, dir string, incs []truthIncident, r *rand.Rand)
	}{
		{"minimal YAML", false, writeMinimal},
		{"CSV", false, writeCSV},
		{"PagerDuty JSON", true, writePagerDuty},
		{"Markdown reviews", false, writeMarkdown},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 12; seed++ {
				// Months of 1-minute firings, dozens of incidents.
				sc := newScenario(seed*7919, 8+int(seed%5), 10, 30+int(seed%20), f.onlyService)
				for i := range sc.incidents {
					sc.incidents[i].drill = false // only YAML and Markdown say so; tested elsewhere
				}
				dir := t.TempDir()
				f.write(t, dir, sc.incidents, rand.New(rand.NewPCG(seed, 7)))
				l, err := pir.Load(dir)
				require.NoError(t, err)
				require.Len(t, l.Incidents, len(sc.incidents))
				got, err := pir.Quality(sc.rules, l.Incidents, sc.config())
				require.NoError(t, err)
				compare(t, sc, oracle(sc), got)
			}
		})
	}
}

func writeMinimal(t *testing.T, dir string, incs []truthIncident, r *rand.Rand) {
	var b strings.Builder
	b.WriteString("incidents:\n")
	for _, in := range incs {
		fmt.Fprintf(&b, "  - id: %s\n    start: %s\n", in.id, in.start.Format(time.RFC3339))
		if !in.end.IsZero() {
			// Some ends in another zone.
			end := in.end
			if r.IntN(2) == 0 {
				end = end.In(time.FixedZone("", 2*3600))
			}
			fmt.Fprintf(&b, "    end: %s\n", end.Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "    title: Incident %s\n", in.id)
		if len(in.labels) > 0 {
			b.WriteString("    labels:\n")
			for _, k := range sortedKeys(in.labels) {
				fmt.Fprintf(&b, "      %s: %s\n", k, in.labels[k])
			}
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "incidents.yaml"), []byte(b.String()), 0o644))
}

func writeCSV(t *testing.T, dir string, incs []truthIncident, r *rand.Rand) {
	var b strings.Builder
	b.WriteString("id,start,end,title,service,cluster,team\n")
	for _, in := range incs {
		end := ""
		if !in.end.IsZero() {
			end = in.end.Format("2006-01-02 15:04:05")
		}
		start := in.start.Format(time.RFC3339)
		if r.IntN(2) == 0 {
			start = fmt.Sprint(in.start.Unix())
		}
		fmt.Fprintf(&b, "%s,%s,%s,\"Incident, %s\",%s,%s,%s\n", in.id, start, end, in.id, in.labels["service"], in.labels["cluster"], in.labels["team"])
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "incidents.csv"), []byte(b.String()), 0o644))
}

func writePagerDuty(t *testing.T, dir string, incs []truthIncident, r *rand.Rand) {
	type ref struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Summary string `json:"summary"`
	}
	var list []map[string]any
	for i, in := range incs {
		m := map[string]any{
			"id": fmt.Sprintf("P%06dX", i), "type": "incident", "incident_number": 5000 + i,
			"title": "Incident " + in.id, "created_at": in.start.Format(time.RFC3339), "urgency": "high",
			"html_url": "https://acme.pagerduty.com/incidents/P" + in.id,
		}
		if in.end.IsZero() {
			m["status"] = "triggered"
		} else if r.IntN(2) == 0 {
			m["status"], m["resolved_at"] = "resolved", in.end.Format(time.RFC3339)
		} else {
			m["status"], m["last_status_change_at"] = "resolved", in.end.Format(time.RFC3339)
		}
		if s := in.labels["service"]; s != "" {
			m["service"] = ref{"PSVC", "service_reference", s}
		}
		list = append(list, m)
	}
	// Split the list over two pages, as a paginated export is saved.
	half := len(list) / 2
	for i, page := range [][]map[string]any{list[:half], list[half:]} {
		b, err := json.MarshalIndent(map[string]any{"incidents": page, "limit": 25, "offset": i * 25, "more": i == 0}, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("pagerduty-page-%d.json", i+1)), b, 0o644))
	}
	// The records carry PagerDuty's ids: the scenario's incidents take
	// them, so the oracle names incidents as the report does.
	for i := range incs {
		incs[i].id = fmt.Sprintf("P%06dX", i)
	}
}

func writeMarkdown(t *testing.T, dir string, incs []truthIncident, r *rand.Rand) {
	zones := []string{"UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"}
	for i, in := range incs {
		var b strings.Builder
		b.WriteString("---\n")
		fmt.Fprintf(&b, "id: %s\ntitle: Review of %s\nseverity: SEV%d\n", in.id, in.id, 1+i%3)
		style := r.IntN(4)
		tz := zones[r.IntN(len(zones))]
		if style == 0 {
			tz = "UTC" // no timezone: the review is in UTC
		}
		loc, _ := time.LoadLocation(tz)
		if style != 0 {
			fmt.Fprintf(&b, "timezone: %s\n", tz)
		}
		switch style {
		case 0:
			fmt.Fprintf(&b, "started_at: %s\n", in.start.Format(time.RFC3339))
		case 1:
			// start only in the Timeline, "- HH:MM" dated by date:
			fmt.Fprintf(&b, "date: %s\n", in.start.In(loc).Format("2006-01-02"))
		}
		if !in.end.IsZero() {
			fmt.Fprintf(&b, "resolved_at: %s\n", in.end.In(loc).Format("2006-01-02 15:04:05"))
		}
		if len(in.labels) == 1 && in.labels["service"] != "" && r.IntN(2) == 0 {
			fmt.Fprintf(&b, "service: %s\n", in.labels["service"])
		} else if len(in.labels) > 0 {
			b.WriteString("labels:\n")
			for _, k := range sortedKeys(in.labels) {
				fmt.Fprintf(&b, "  %s: %s\n", k, in.labels[k])
			}
		}
		b.WriteString("---\n\n# Review\n\n## Summary\n\nSomething broke.\n\n## Timeline\n\n")
		local := in.start.In(loc)
		switch style {
		case 0:
			fmt.Fprintf(&b, "- %s Impact began\n", local.Format("2006-01-02 15:04:05"))
		case 1:
			fmt.Fprintf(&b, "- %s Impact began\n", local.Format("15:04:05"))
		case 2:
			fmt.Fprintf(&b, "- %s Impact began\n", local.Format("2006-01-02 15:04:05"))
		case 3:
			// an explicit offset wins over the front matter's timezone
			off := time.FixedZone("", -5*3600)
			fmt.Fprintf(&b, "- **%s%s** Impact began\n", in.start.In(off).Format("2006-01-02 15:04:05"), "-05:00")
		}
		fmt.Fprintf(&b, "- %s HighErrorRate fired, on-call paged\n", in.start.Add(5*time.Minute).In(loc).Format("2006-01-02 15:04"))
		require.NoError(t, os.WriteFile(filepath.Join(dir, in.id+".md"), []byte(b.String()), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# Reviews\n\nOne file per incident.\n"), 0o644))
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
