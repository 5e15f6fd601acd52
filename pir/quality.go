package pir

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
)

// Defaults of QualityConfig.
const (
	DefaultLeadWindow     = 6 * time.Hour
	DefaultFlapWindow     = 30 * time.Minute
	DefaultNoisyPrecision = 0.5
	DefaultLateAfter      = 15 * time.Minute
)

// DefaultPageSeverities are the severities that page by default.
var DefaultPageSeverities = []string{"critical"}

// ErrPeriod is returned (wrapped) when a quality period is not a range.
var ErrPeriod = errors.New("pir: invalid period")

// RuleRef names an alerting rule in a quality report.
type RuleRef struct {
	// File is the rule file, Line the rule's line in it, Group the rule
	// group, Alert the alert name.
	File  string
	Line  int
	Group string
	Alert string
	// Labels are the rule's own labels, as written (severity, team): a
	// rule without a severity label pages on every firing.
	Labels map[string]string
}

// RuleFirings are the firings of one rule over the period.
type RuleFirings struct {
	Rule    RuleRef
	Firings []Firing
}

// QualityConfig sets how firings are scored against incidents. Start and
// End are required; every other field has a useful zero value.
type QualityConfig struct {
	// Start and End bound the period: the firings whose firing_at lies in
	// [Start, End] and the incidents whose start does are counted.
	Start, End time.Time
	// LeadWindow is how long before an incident's start a firing still
	// matches it. Default DefaultLeadWindow (6h).
	LeadWindow time.Duration
	// Location is the time zone of night pages. Default UTC.
	Location *time.Location
	// PageSeverities are the severity label values that page. Default
	// DefaultPageSeverities (critical).
	PageSeverities []string
	// IncludeDrills counts drills as incidents. Default false.
	IncludeDrills bool
	// FlapWindow: a firing that begins less than FlapWindow after the
	// same label set's previous firing was resolved is a flap. Default
	// DefaultFlapWindow (30m), as omen replay and whatif.
	FlapWindow time.Duration
	// NoisyPrecision: a rule whose precision is below it is noisy. Default
	// DefaultNoisyPrecision (0.5).
	NoisyPrecision float64
	// LateAfter: a rule whose median lead is below −LateAfter (it fires
	// more than LateAfter after the incidents it catches have started) is
	// late. Default DefaultLateAfter (15m).
	LateAfter time.Duration
}

func (c QualityConfig) withDefaults() QualityConfig {
	if c.LeadWindow == 0 {
		c.LeadWindow = DefaultLeadWindow
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.PageSeverities == nil {
		c.PageSeverities = DefaultPageSeverities
	}
	if c.FlapWindow == 0 {
		c.FlapWindow = DefaultFlapWindow
	}
	if c.NoisyPrecision == 0 {
		c.NoisyPrecision = DefaultNoisyPrecision
	}
	if c.LateAfter == 0 {
		c.LateAfter = DefaultLateAfter
	}
	return c
}

// Verdict is the one-word judgement of a rule.
type Verdict string

// Verdicts, in the order they are tried.
const (
	// VerdictDead: the rule never fired in the period.
	VerdictDead Verdict = "dead"
	// VerdictNeverCaught: it fired, but no firing matched an incident.
	VerdictNeverCaught Verdict = "never-caught"
	// VerdictNoisy: its precision is below QualityConfig.NoisyPrecision.
	VerdictNoisy Verdict = "noisy"
	// VerdictLate: its median lead is below −QualityConfig.LateAfter.
	VerdictLate Verdict = "late"
	// VerdictGood: none of the above.
	VerdictGood Verdict = "good"
)

// RuleQuality is the quality of one rule over the period.
type RuleQuality struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Group string `json:"group"`
	Alert string `json:"alert"`
	// Firings counts the rule's firings whose firing_at lies in the period.
	Firings int `json:"firings"`
	// Pages counts those whose severity pages; PagesPerWeek is Pages per 7
	// days of the period; NightPages those firing in [22:00, 07:00).
	Pages        int     `json:"pages"`
	PagesPerWeek float64 `json:"pages_per_week"`
	NightPages   int     `json:"night_pages"`
	// FiringSeconds is the time the rule spent firing.
	FiringSeconds float64 `json:"firing_seconds"`
	// Matching counts the firings that match at least one incident.
	Matching int `json:"matching"`
	// Precision is Matching / Firings; nil without firings.
	Precision *float64 `json:"precision"`
	// Caught lists the incidents the rule caught, by ID, in start order.
	Caught []string `json:"caught"`
	// LeadSecondsMedian is the median over Caught of the incident's start
	// minus the rule's earliest matching firing_at; nil when it caught
	// none.
	LeadSecondsMedian *float64 `json:"lead_seconds_median"`
	// Flaps counts the firings that began less than the flap window after
	// the same label set's previous firing was resolved.
	Flaps int `json:"flaps"`
	// Verdict and Reason judge the rule.
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"`
}

// IncidentQuality is how the rules did on one incident.
type IncidentQuality struct {
	ID    string    `json:"id"`
	Title string    `json:"title,omitempty"`
	Start time.Time `json:"start"`
	// End is the incident's end, or start + 1h when it has none.
	End time.Time `json:"end"`
	// CaughtBy lists the alert names of the rules that caught it, in rule
	// order; PagedBy those of them that caught it with a paging firing.
	CaughtBy []string `json:"caught_by"`
	PagedBy  []string `json:"paged_by"`
	// LeadSeconds is the start minus the earliest matching firing_at over
	// all rules (positive: warned before it started); nil when not caught.
	LeadSeconds *float64 `json:"lead_seconds"`
}

// QualitySummary sums the period up.
type QualitySummary struct {
	// Incidents counts the incidents whose start lies in the period
	// (drills left out unless asked); Caught those caught by some rule,
	// Paged those caught by a paging firing.
	Incidents int `json:"incidents"`
	Caught    int `json:"caught"`
	Paged     int `json:"paged"`
	// Recall is Caught / Incidents, PageRecall Paged / Incidents; nil
	// without incidents.
	Recall     *float64 `json:"recall"`
	PageRecall *float64 `json:"page_recall"`
	// Firings, Pages, NightPages, Matching and FiringSeconds are summed
	// over the rules; Precision is Matching / Firings (nil without
	// firings).
	Firings       int      `json:"firings"`
	Pages         int      `json:"pages"`
	PagesPerWeek  float64  `json:"pages_per_week"`
	NightPages    int      `json:"night_pages"`
	Matching      int      `json:"matching"`
	FiringSeconds float64  `json:"firing_seconds"`
	Precision     *float64 `json:"precision"`
}

// QualityReport is the quality of a set of rules against incidents.
type QualityReport struct {
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"`
	LeadWindow float64           `json:"lead_window_seconds"`
	Rules      []RuleQuality     `json:"rules"`
	Incidents  []IncidentQuality `json:"incidents"`
	Summary    QualitySummary    `json:"summary"`
}

// Missed returns the IDs of the incidents no rule caught.
func (r *QualityReport) Missed() []string {
	var out []string
	for _, in := range r.Incidents {
		if len(in.CaughtBy) == 0 {
			out = append(out, in.ID)
		}
	}
	return out
}

// Matches reports whether a firing at firingAt with the labels alert
// matches the incident: firingAt lies in [start − leadWindow, end] (end
// is the incident's end, start + 1h without one), both ends included, and
// the labels agree — on the label names the incident and the alert share
// the values are equal (a value "a|b" allows either); an incident with
// labels but no name in common matches nothing; one without labels matches
// every alert.
func Matches(in *Incident, firingAt time.Time, alert series.Labels, leadWindow time.Duration) bool {
	if firingAt.Before(in.StartedAt.Add(-leadWindow)) || firingAt.After(in.End()) {
		return false
	}
	return LabelsAgree(in.Labels, alert)
}

// LabelsAgree reports whether an incident's labels agree with an alert's
// (see Matches).
func LabelsAgree(incident map[string]string, alert series.Labels) bool {
	if len(incident) == 0 {
		return true
	}
	shared := false
	for k, v := range incident {
		if !alert.Has(k) {
			continue
		}
		shared = true
		if !valueMatches(v, alert.Get(k)) {
			return false
		}
	}
	return shared
}

func valueMatches(want, got string) bool {
	if want == got {
		return true
	}
	if !strings.Contains(want, "|") {
		return false
	}
	for _, alt := range strings.Split(want, "|") {
		if alt == got {
			return true
		}
	}
	return false
}

// Counted returns the incidents a quality report counts: those whose start
// lies in [start, end], drills left out unless includeDrills, in start
// order.
func Counted(incidents []Incident, start, end time.Time, includeDrills bool) []Incident {
	var out []Incident
	for _, in := range incidents {
		if in.StartedAt.Before(start) || in.StartedAt.After(end) {
			continue
		}
		if in.Mode.IsDrill() && !includeDrills {
			continue
		}
		out = append(out, in)
	}
	slices.SortStableFunc(out, func(a, b Incident) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Pages reports whether a firing of a rule with the labels rule pages: a
// rule with no severity label pages on every firing; otherwise the
// firing's severity label must be one of severities.
func Pages(f *Firing, rule map[string]string, severities []string) bool {
	if _, ok := rule["severity"]; !ok {
		return true
	}
	return slices.Contains(severities, f.Labels.Get("severity"))
}

// AtNight reports whether t falls in [22:00, 07:00) in loc.
func AtNight(t time.Time, loc *time.Location) bool {
	l := t.In(loc)
	h := l.Hour()
	return h >= 22 || h < 7
}

// Quality scores every rule's firings against the incidents, with the
// definitions of QualityConfig, RuleQuality, IncidentQuality and
// Matches:
//
//   - a firing is counted when its firing_at lies in [Start, End]; its
//     firing_seconds is (resolved_at, or End when still firing, capped at
//     End) − firing_at;
//   - an incident is counted when its start lies in [Start, End] (drills
//     left out unless IncludeDrills);
//   - precision = firings matching at least one counted incident / firings;
//     an incident is caught by a rule when one of the rule's firings
//     matches it; its lead_seconds = start − the earliest matching
//     firing_at over all rules; a rule's lead_seconds_median is the median
//     over the incidents it caught of start − its own earliest matching
//     firing_at (the mean of the two middle values for an even count);
//   - pages are firings whose severity is in PageSeverities (a rule with no
//     severity label pages on every firing); pages_per_week = pages / ((End − Start)
//     / 7 days); night pages fire in [22:00, 07:00) in Location;
//   - summary recall = caught / incidents, page_recall = incidents caught
//     by a paging firing / incidents, precision = matching firings /
//     firings.
func Quality(rules []RuleFirings, incidents []Incident, cfg QualityConfig) (*QualityReport, error) {
	cfg = cfg.withDefaults()
	if cfg.Start.IsZero() || cfg.End.IsZero() || !cfg.End.After(cfg.Start) {
		return nil, fmt.Errorf("%w: want start before end, got %s to %s", ErrPeriod, cfg.Start.Format(time.RFC3339), cfg.End.Format(time.RFC3339))
	}
	if cfg.LeadWindow < 0 {
		return nil, fmt.Errorf("%w: negative lead window %s", ErrPeriod, cfg.LeadWindow)
	}
	incs := Counted(incidents, cfg.Start, cfg.End, cfg.IncludeDrills)
	weeks := cfg.End.Sub(cfg.Start).Seconds() / (7 * 24 * 3600)

	rep := &QualityReport{Start: cfg.Start, End: cfg.End, LeadWindow: cfg.LeadWindow.Seconds()}
	// earliest[i] is the earliest matching firing_at for incident i over
	// all rules; caughtBy and pagedBy collect alert names.
	earliest := make([]time.Time, len(incs))
	caughtBy := make([][]string, len(incs))
	pagedBy := make([][]string, len(incs))
	paged := make([]bool, len(incs))

	own := make([]time.Time, len(incs)) // this rule's earliest, reused
	for _, rf := range rules {
		rq := RuleQuality{File: rf.Rule.File, Line: rf.Rule.Line, Group: rf.Rule.Group, Alert: rf.Rule.Alert}
		clear(own)
		ownPaged := make([]bool, len(incs))
		fs := counted(rf.Firings, cfg.Start, cfg.End)
		for i := range fs {
			f := &fs[i]
			rq.Firings++
			end := cfg.End
			if f.Resolved() && f.ResolvedAt.Before(end) {
				end = f.ResolvedAt
			}
			rq.FiringSeconds += end.Sub(f.FiringAt).Seconds()
			page := Pages(f, rf.Rule.Labels, cfg.PageSeverities)
			if page {
				rq.Pages++
				if AtNight(f.FiringAt, cfg.Location) {
					rq.NightPages++
				}
			}
			matched := false
			for j := range incs {
				if !Matches(&incs[j], f.FiringAt, f.Labels, cfg.LeadWindow) {
					continue
				}
				matched = true
				if own[j].IsZero() || f.FiringAt.Before(own[j]) {
					own[j] = f.FiringAt
				}
				if page {
					ownPaged[j] = true
				}
			}
			if matched {
				rq.Matching++
			}
		}
		rq.Flaps = flaps(fs, cfg.FlapWindow)
		rq.PagesPerWeek = float64(rq.Pages) / weeks
		if rq.Firings > 0 {
			p := float64(rq.Matching) / float64(rq.Firings)
			rq.Precision = &p
		}
		var leads []float64
		for j := range incs {
			if own[j].IsZero() {
				continue
			}
			rq.Caught = append(rq.Caught, incs[j].ID)
			leads = append(leads, incs[j].StartedAt.Sub(own[j]).Seconds())
			if earliest[j].IsZero() || own[j].Before(earliest[j]) {
				earliest[j] = own[j]
			}
			caughtBy[j] = appendNew(caughtBy[j], rf.Rule.Alert)
			if ownPaged[j] {
				paged[j] = true
				pagedBy[j] = appendNew(pagedBy[j], rf.Rule.Alert)
			}
		}
		if len(leads) > 0 {
			m := stats.Median(leads)
			rq.LeadSecondsMedian = &m
		}
		rq.Verdict, rq.Reason = verdict(&rq, cfg)
		rep.Rules = append(rep.Rules, rq)

		s := &rep.Summary
		s.Firings += rq.Firings
		s.Pages += rq.Pages
		s.NightPages += rq.NightPages
		s.Matching += rq.Matching
		s.FiringSeconds += rq.FiringSeconds
	}
	s := &rep.Summary
	s.Incidents = len(incs)
	for j := range incs {
		iq := IncidentQuality{ID: incs[j].ID, Title: incs[j].Title, Start: incs[j].StartedAt, End: incs[j].End(), CaughtBy: caughtBy[j], PagedBy: pagedBy[j]}
		if !earliest[j].IsZero() {
			l := incs[j].StartedAt.Sub(earliest[j]).Seconds()
			iq.LeadSeconds = &l
			s.Caught++
		}
		if paged[j] {
			s.Paged++
		}
		rep.Incidents = append(rep.Incidents, iq)
	}
	if s.Incidents > 0 {
		r := float64(s.Caught) / float64(s.Incidents)
		pr := float64(s.Paged) / float64(s.Incidents)
		s.Recall, s.PageRecall = &r, &pr
	}
	if s.Firings > 0 {
		p := float64(s.Matching) / float64(s.Firings)
		s.Precision = &p
	}
	s.PagesPerWeek = float64(s.Pages) / weeks
	return rep, nil
}

// counted returns the firings whose firing_at lies in [start, end], in
// firing_at order.
func counted(fs []Firing, start, end time.Time) []Firing {
	out := make([]Firing, 0, len(fs))
	for _, f := range fs {
		if f.FiringAt.Before(start) || f.FiringAt.After(end) {
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Firing) int { return a.FiringAt.Compare(b.FiringAt) })
	return out
}

// flaps counts the firings that begin less than window after the same
// label set's previous firing was resolved; fs is in firing_at order.
func flaps(fs []Firing, window time.Duration) int {
	last := map[uint64]time.Time{} // label set → previous resolved_at
	open := map[uint64]bool{}
	n := 0
	for i := range fs {
		k := fs[i].Labels.Fingerprint()
		if prev, ok := last[k]; ok && !open[k] {
			if d := fs[i].FiringAt.Sub(prev); d >= 0 && d < window {
				n++
			}
		}
		if fs[i].Resolved() {
			last[k], open[k] = fs[i].ResolvedAt, false
		} else {
			open[k] = true
		}
	}
	return n
}

// verdict judges a rule: dead, never-caught, noisy, late or good, tried in
// that order, with the reason.
func verdict(r *RuleQuality, cfg QualityConfig) (Verdict, string) {
	switch {
	case r.Firings == 0:
		return VerdictDead, fmt.Sprintf("no firing between %s and %s", cfg.Start.UTC().Format("2006-01-02 15:04"), cfg.End.UTC().Format("2006-01-02 15:04"))
	case len(r.Caught) == 0:
		return VerdictNeverCaught, fmt.Sprintf("%d firings (%d pages), none matched an incident", r.Firings, r.Pages)
	case *r.Precision < cfg.NoisyPrecision:
		return VerdictNoisy, fmt.Sprintf("%d of %d firings matched no incident: precision %.2f is below %.2f", r.Firings-r.Matching, r.Firings, *r.Precision, cfg.NoisyPrecision)
	case *r.LeadSecondsMedian < -cfg.LateAfter.Seconds():
		return VerdictLate, fmt.Sprintf("fires a median %s after the incidents it caught started (late beyond %s)", fmtSeconds(-*r.LeadSecondsMedian), fmtSeconds(cfg.LateAfter.Seconds()))
	}
	lead := *r.LeadSecondsMedian
	when := fmtSeconds(math.Abs(lead)) + " before"
	if lead < 0 {
		when = fmtSeconds(-lead) + " after"
	} else if lead == 0 {
		when = "at"
	}
	return VerdictGood, fmt.Sprintf("caught %d incidents, precision %.2f, median warning %s the start", len(r.Caught), *r.Precision, when)
}

// fmtSeconds formats seconds as 1h30m, 45m, 30s.
func fmtSeconds(s float64) string {
	d := time.Duration(math.Round(s)) * time.Second
	switch {
	case d >= time.Hour:
		h, m := d/time.Hour, (d%time.Hour)/time.Minute
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	case d >= time.Minute:
		m, sec := d/time.Minute, (d%time.Minute)/time.Second
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, sec)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
