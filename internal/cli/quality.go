package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

// qualityOptions are the flags of omen quality.
type qualityOptions struct {
	ruleRangeOptions
	Incidents      []string
	History        string
	LeadWindow     time.Duration
	Timezone       string
	PageSeverities string
	IncludeDrills  bool
	FlapWindow     time.Duration
	NoisyPrecision float64
	LateAfter      time.Duration
	Output         string
}

var qualityFormats = []string{"table", "json", "yaml", "csv", "markdown", "html"}

// qualityDefinitions is the help text's exact definitions; tests and
// users rely on them.
const qualityDefinitions = `Definitions (exact):
  - A firing is one [firing_at, resolved_at) interval of one alert label set, as omen replay
    gives. The firings counted are those whose firing_at lies in [--start, --end].
  - A firing matches an incident when its firing_at lies in [start − --lead-window, end], both
    ends included (an incident without an end lasts 1h), and the labels agree: on the label
    names the incident and the alert share, the values are equal (an incident value "a|b"
    allows either); an incident with labels but no name in common matches nothing; an
    incident without labels matches every alert.
  - The incidents counted are those whose start lies in [--start, --end] (pass every review:
    the period picks them); drills are left out unless --include-drills.
  - precision (per rule) = its firings matching at least one incident / its firings (null
    without firings). An incident is caught by a rule when one of the rule's firings matches
    it. An incident's lead_seconds = start − the earliest matching firing_at over all rules
    (positive: warned before it started; null when not caught). A rule's
    lead_seconds_median is the median, over the incidents it caught, of start − its own
    earliest matching firing_at (the mean of the two middle values for an even count).
  - firing_seconds = the sum over firings of (resolved_at, or --end when still firing; at
    most --end) − firing_at.
  - pages = firings whose severity label is in --page-severities; a rule with no severity
    label pages on every firing. pages_per_week = pages / ((end − start) / 7 days).
    night_pages = pages whose firing_at falls in [22:00, 07:00) in --timezone.
  - flaps = firings that began less than --flap-window after the same label set's previous
    firing was resolved.
  - summary: recall = caught incidents / incidents; page_recall = incidents caught by a paging
    firing / incidents (an incident only a warning caught woke nobody); precision = matching
    firings / firings; pages_per_week over all rules.

Verdicts, tried in this order, each with its reason:
  dead           the rule never fired in the period;
  never-caught   it fired, but no firing matched an incident;
  noisy          its precision is below --noisy-precision (default 0.5: most of its firings
                 were not incidents);
  late           its median lead is below −--late-after (default 15m: it fires more than 15
                 minutes after the incidents it catches have started);
  good           none of the above.`

func newQualityCmd(g *globalOptions) *cobra.Command {
	o := &qualityOptions{}
	cmd := &cobra.Command{
		Use:   "quality",
		Short: "Score alert rules against incidents: precision, recall, lead time, pages and night pages per rule",
		Long: `quality replays every alerting rule of --rules over [--start, --end] (as omen replay does)
and scores its firings against the incidents of --incidents: how often each rule pages, how
often a firing was a real incident, which incidents it caught and how early, which it
missed, how many pages fell at night. Only incident windows and labels are used.

--history chooses the firings: replay (default) evaluates the rules through --prometheus
(or --input); alerts reads the server's ALERTS{alertstate="firing"} series (what really
fired, at the rules' interval); a FILE reads Alertmanager webhook payloads logged as JSON
lines (version 4: status, alerts[].labels, startsAt, endsAt, fingerprint). Firings of a real
history go to the rules with their alert name whose own labels agree. When a real history
is given and a source is too, the rules are also replayed and the output says how alike the
two are: per label set, the firing time both agree on over the time either fired (1 the
same history, 0 nothing in common), on the label names both use.

` + qualityDefinitions + `

` + incidentsFormatsHelp + `

--format html writes a page with a timeline per rule, its firings over the incidents shaded.`,
		Example: `  omen quality --prometheus http://localhost:9090 --rules rules/ --incidents pirs/ --start now-90d
  omen quality --prometheus http://vm:8428 --rules rules/ --incidents pagerduty.json --incidents pirs/ \
      --start 2026-01-01 --end 2026-04-01 --timezone Europe/Berlin --page-severities critical,page --format json
  omen quality --rules rules/ --incidents pirs/ --history alertmanager.jsonl --start now-30d --format html --output quality.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runQuality(cmd.Context(), g, o) },
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.Incidents, "incidents", nil, "incident `PATH`: a file or a directory of mixed files (repeatable; required)")
	f.StringVar(&o.History, "history", "replay", "firings from: replay, alerts (the server's ALERTS series) or an Alertmanager webhook log `FILE`")
	f.Var(durationValue{d: &o.LeadWindow}, "lead-window", "how long before an incident's start a firing still matches it (default 6h)")
	f.StringVar(&o.Timezone, "timezone", "UTC", "IANA time zone in which night is 22:00–07:00")
	f.StringVar(&o.PageSeverities, "page-severities", "critical", "severity label values that page, comma-separated")
	f.BoolVar(&o.IncludeDrills, "include-drills", false, "count drills, tests and game days as incidents")
	f.Var(durationValue{d: &o.FlapWindow}, "flap-window", "a firing beginning sooner than this after the previous one resolved is a flap (default 30m)")
	f.Float64Var(&o.NoisyPrecision, "noisy-precision", pir.DefaultNoisyPrecision, "a rule whose precision is below this is noisy")
	f.Var(durationValue{d: &o.LateAfter}, "late-after", "a rule whose median warning comes later than this after the start is late (default 15m)")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(qualityFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// qualityOut is the JSON of omen quality.
type qualityOut struct {
	Start      string                `json:"start"`
	End        string                `json:"end"`
	History    string                `json:"history"`
	LeadWindow float64               `json:"lead_window_seconds"`
	Rules      []pir.RuleQuality     `json:"rules"`
	Incidents  []pir.IncidentQuality `json:"incidents"`
	Summary    pir.QualitySummary    `json:"summary"`
	// Similarity compares the real history with a replay of the rules;
	// absent when only one of them was read.
	Similarity *similarityOut `json:"similarity,omitempty"`
	Warnings   []string       `json:"warnings,omitempty"`
}

type similarityOut struct {
	pir.Similarity
	Rules []ruleSimilarity `json:"rules"`
}

type ruleSimilarity struct {
	File  string `json:"file"`
	Group string `json:"group"`
	Alert string `json:"alert"`
	pir.Similarity
}

func runQuality(ctx context.Context, g *globalOptions, o *qualityOptions) error {
	if err := g.checkFormat(qualityFormats...); err != nil {
		return err
	}
	q, err := computeQuality(ctx, g, o)
	if err != nil {
		return err
	}
	out, rep, scored, incs, cfg := q.out, q.rep, q.scored, q.incs, q.cfg
	return writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		switch g.Format {
		case "json", "yaml":
			return writeData(w, g.Format, out)
		case "html":
			return sink.WriteQualityHTML(w, qualityPage(out, rep, scored, incs, cfg))
		case "csv":
			return writeTable(w, "csv", display{}, qualityRulesTable(out))
		}
		for _, t := range []tableData{qualityRulesTable(out), qualityIncidentsTable(out), qualitySummaryTable(out)} {
			if err := writeTable(w, g.Format, g.display(o.Output), t); err != nil {
				return err
			}
		}
		if out.Similarity != nil {
			if err := writeTable(w, g.Format, g.display(o.Output), similarityTable(out.Similarity)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ruleRef names a rule for pir.
func ruleRef(r tuner.Rule) pir.RuleRef {
	return pir.RuleRef{File: r.File, Line: r.Line, Group: r.Group, Alert: r.Alert, Labels: r.Labels}
}

// assign gives a real history's firings to the rules and warns about
// those no rule explains.
func assign(g *globalOptions, refs []pir.RuleRef, fs []pir.Firing, out *qualityOut) []pir.RuleFirings {
	rfs, rest := pir.AssignFirings(refs, fs)
	if len(rest) > 0 {
		names := map[string]int{}
		for _, f := range rest {
			names[f.Alert]++
		}
		var parts []string
		for _, n := range sortedKeysInt(names) {
			parts = append(parts, fmt.Sprintf("%s (%d)", n, names[n]))
		}
		msg := fmt.Sprintf("%d firings of the history match no rule of --rules: %s", len(rest), strings.Join(parts, ", "))
		out.Warnings = append(out.Warnings, msg)
		g.logger.Warn(msg)
	}
	return rfs
}

func sortedKeysInt(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// similarity compares the replay with the real history, per rule and over
// all firings.
func similarity(replayed, real []pir.RuleFirings, start, end time.Time) *similarityOut {
	var all, allReal []pir.Firing
	out := &similarityOut{}
	for i := range replayed {
		s := pir.Compare(replayed[i].Firings, real[i].Firings, start, end)
		r := replayed[i].Rule
		out.Rules = append(out.Rules, ruleSimilarity{File: r.File, Group: r.Group, Alert: r.Alert, Similarity: s})
		all = append(all, replayed[i].Firings...)
		allReal = append(allReal, real[i].Firings...)
	}
	out.Similarity = pir.Compare(all, allReal, start, end)
	return out
}

func fmtRatio(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', 2, 64)
}

func fmtLead(p *float64) string {
	if p == nil {
		return "-"
	}
	d := time.Duration(*p * float64(time.Second)).Round(time.Second)
	if d > 0 {
		return fmtDuration(d) + " before"
	}
	if d < 0 {
		return fmtDuration(-d) + " after"
	}
	return "at start"
}

func qualityRulesTable(out qualityOut) tableData {
	t := tableData{
		Title:    fmt.Sprintf("Alert quality, %s – %s (%s)", out.Start, out.End, out.History),
		Header:   []string{"RULE", "GROUP", "ALERT", "FIRINGS", "PAGES", "PAGES/WEEK", "NIGHT PAGES", "PRECISION", "CAUGHT", "LEAD (MEDIAN)", "FLAPS", "VERDICT", "REASON"},
		Right:    []int{3, 4, 5, 6, 7, 9, 10},
		Detail:   "REASON",
		Optional: []string{"GROUP", "NIGHT PAGES", "FLAPS", "FIRINGS", "PAGES"},
		Cut:      []string{"RULE", "ALERT", "CAUGHT"},
	}
	for _, r := range out.Rules {
		caught := strconv.Itoa(len(r.Caught))
		if len(r.Caught) > 0 && len(r.Caught) <= 5 {
			caught += " (" + strings.Join(r.Caught, ", ") + ")"
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%s:%d", r.File, r.Line), r.Group, r.Alert, strconv.Itoa(r.Firings), strconv.Itoa(r.Pages),
			strconv.FormatFloat(r.PagesPerWeek, 'f', 2, 64), strconv.Itoa(r.NightPages), fmtRatio(r.Precision), caught,
			fmtLead(r.LeadSecondsMedian), strconv.Itoa(r.Flaps), string(r.Verdict), r.Reason})
	}
	return t
}

func qualityIncidentsTable(out qualityOut) tableData {
	t := tableData{
		Title:  plural(len(out.Incidents), "incident"),
		Header: []string{"ID", "START", "END", "CAUGHT BY", "PAGED BY", "LEAD", "TITLE"},
		Detail: "TITLE",
		Cut:    []string{"ID", "CAUGHT BY", "PAGED BY"},
	}
	for _, in := range out.Incidents {
		t.Rows = append(t.Rows, []string{in.ID, in.Start.UTC().Format("2006-01-02 15:04"), in.End.UTC().Format("2006-01-02 15:04"),
			orDash(strings.Join(in.CaughtBy, ", ")), orDash(strings.Join(in.PagedBy, ", ")), fmtLead(in.LeadSeconds), in.Title})
	}
	return t
}

func qualitySummaryTable(out qualityOut) tableData {
	s := out.Summary
	return tableData{
		Title:  "Summary",
		Header: []string{"INCIDENTS", "CAUGHT", "RECALL", "PAGE RECALL", "FIRINGS", "PAGES/WEEK", "NIGHT PAGES", "PRECISION"},
		Rows: [][]string{{strconv.Itoa(s.Incidents), strconv.Itoa(s.Caught), fmtRatio(s.Recall), fmtRatio(s.PageRecall), strconv.Itoa(s.Firings),
			strconv.FormatFloat(s.PagesPerWeek, 'f', 2, 64), strconv.Itoa(s.NightPages), fmtRatio(s.Precision)}},
		Right: []int{0, 1, 2, 3, 4, 5, 6, 7},
	}
}

func similarityTable(s *similarityOut) tableData {
	t := tableData{
		Title:  "Replay against the real history (share of firing time in common)",
		Header: []string{"ALERT", "SIMILARITY", "BOTH", "ONLY REPLAY", "ONLY REAL", "REPLAYED FIRINGS", "REAL FIRINGS"},
		Right:  []int{1, 2, 3, 4, 5, 6},
	}
	row := func(name string, x pir.Similarity) []string {
		sec := func(v float64) string { return fmtDuration(time.Duration(v * float64(time.Second)).Round(time.Second)) }
		return []string{name, fmtRatio(x.Score), sec(x.Both), sec(x.OnlyA), sec(x.OnlyB), strconv.Itoa(x.FiringsA), strconv.Itoa(x.FiringsB)}
	}
	for _, r := range s.Rules {
		t.Rows = append(t.Rows, row(r.Alert, r.Similarity))
	}
	t.Rows = append(t.Rows, row("all", s.Similarity))
	return t
}

// qualityPage is the HTML page: the rules' table, then a timeline per rule
// with the incidents shaded.
func qualityPage(out qualityOut, rep *pir.QualityReport, scored []pir.RuleFirings, incs []pir.Incident, cfg pir.QualityConfig) sink.QualityPage {
	rt := qualityRulesTable(out)
	// The timelines' captions give the group and the reason: the table
	// keeps to the figures.
	keep := []int{0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	var header []string
	for _, i := range keep {
		header = append(header, rt.Header[i])
	}
	rows := make([][]string, len(rt.Rows))
	for r, row := range rt.Rows {
		for _, i := range keep {
			rows[r] = append(rows[r], row[i])
		}
	}
	rt.Header, rt.Rows = header, rows
	p := sink.QualityPage{
		Title:    "Alert quality",
		Subtitle: fmt.Sprintf("%s – %s, firings from %s, lead window %s, pages: severity %s, nights in %s", out.Start, out.End, out.History, fmtDuration(time.Duration(rep.LeadWindow*float64(time.Second))), strings.Join(cfg.PageSeverities, ", "), cfg.Location),
		Start:    rep.Start, End: rep.End,
		Columns: rt.Header, Rows: rt.Rows, Notes: out.Warnings,
	}
	s := rep.Summary
	p.Summary = []string{
		fmt.Sprintf("%d incidents, %d caught (recall %s), %d paged (page recall %s)", s.Incidents, s.Caught, fmtRatio(s.Recall), s.Paged, fmtRatio(s.PageRecall)),
		fmt.Sprintf("%d firings, precision %s", s.Firings, fmtRatio(s.Precision)),
		fmt.Sprintf("%.1f pages a week, %d at night", s.PagesPerWeek, s.NightPages),
	}
	for _, r := range rep.Rules {
		p.RowClass = append(p.RowClass, string(r.Verdict))
	}
	counted := pir.Counted(incs, cfg.Start, cfg.End, cfg.IncludeDrills)
	caught := map[string]bool{}
	for _, in := range rep.Incidents {
		caught[in.ID] = len(in.CaughtBy) > 0
	}
	for _, in := range counted {
		p.Incidents = append(p.Incidents, sink.QualityIncident{ID: in.ID, Title: in.Title, From: in.StartedAt, To: in.End(), Caught: caught[in.ID]})
	}
	lead := time.Duration(rep.LeadWindow * float64(time.Second))
	for i, rf := range scored {
		r := rep.Rules[i]
		lane := sink.QualityLane{Name: fmt.Sprintf("%s (%s:%d, group %s)", r.Alert, r.File, r.Line, r.Group), Verdict: string(r.Verdict), Reason: r.Reason, Caught: r.Caught}
		for _, f := range rf.Firings {
			if f.FiringAt.Before(cfg.Start) || f.FiringAt.After(cfg.End) {
				continue
			}
			matched := false
			for j := range counted {
				if pir.Matches(&counted[j], f.FiringAt, f.Labels, lead) {
					matched = true
					break
				}
			}
			lane.Firings = append(lane.Firings, sink.QualityFiring{From: f.FiringAt, To: f.ResolvedAt, Page: pir.Pages(&f, rf.Rule.Labels, cfg.PageSeverities), Matched: matched, Labels: f.Labels.String()})
		}
		p.Lanes = append(p.Lanes, lane)
	}
	return p
}

// qualityRun is what computeQuality found, for the outputs of omen quality
// and the quality stage of omen run.
type qualityRun struct {
	out    qualityOut
	rep    *pir.QualityReport
	scored []pir.RuleFirings
	incs   []pir.Incident
	cfg    pir.QualityConfig
}

// computeQuality loads the rules and incidents of o, reads or replays the
// firings and scores them (see omen quality).
func computeQuality(ctx context.Context, g *globalOptions, o *qualityOptions) (*qualityRun, error) {
	if len(o.Incidents) == 0 {
		return nil, usagef("--incidents is required: a file or a directory of reviews and exports")
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return nil, usagef("invalid --timezone %q: want an IANA name such as Europe/Berlin", o.Timezone)
	}
	if o.NoisyPrecision < 0 || o.NoisyPrecision > 1 {
		return nil, usagef("invalid --noisy-precision %g: want a number in [0, 1]", o.NoisyPrecision)
	}
	if o.LeadWindow < 0 {
		return nil, usagef("invalid --lead-window: negative")
	}
	history := o.History
	if history == "" {
		history = "replay"
	}
	needSource := history == "replay" || history == "alerts"
	if needSource && g.Prometheus == "" && g.Input == "" {
		return nil, usagef("--history %s needs --prometheus URL (or --input FILE)", history)
	}
	rules, start, end, err := o.load(g)
	if err != nil {
		return nil, err
	}
	if !end.After(start) {
		return nil, usagef("--end must be after --start")
	}
	var alerts []tuner.Rule
	for _, r := range rules {
		if r.IsAlert() {
			alerts = append(alerts, r)
		}
	}
	if len(alerts) == 0 {
		return nil, fmt.Errorf("%s: no alerting rule", o.Rules)
	}
	incs, _, err := loadIncidents(g, o.Incidents, "", "", true)
	if err != nil {
		return nil, err
	}
	refs := make([]pir.RuleRef, len(alerts))
	for i, r := range alerts {
		refs[i] = ruleRef(r)
	}
	out := qualityOut{Start: rfc3339(start), End: rfc3339(end), History: history}

	var src source.Source
	if g.Prometheus != "" || g.Input != "" {
		if src, err = g.source(); err != nil {
			return nil, err
		}
	}
	var replayed, real []pir.RuleFirings
	if src != nil {
		t0 := time.Now()
		res, err := tuner.Replay(ctx, querier{src: src, g: g}, alerts, tuner.ReplayConfig{
			Start: start, End: end, MaxPointsPerQuery: o.MaxPoints, Concurrency: g.MaxConcurrency, Rules: rules,
		})
		if err != nil {
			return nil, err
		}
		g.logger.Info("replayed", "rules", len(res.Rules), "requests", res.Queries, "duration", time.Since(t0).Round(time.Millisecond))
		replayed = make([]pir.RuleFirings, len(res.Rules))
		for i, rr := range res.Rules {
			replayed[i] = pir.RuleFirings{Rule: refs[i], Firings: rr.Firings}
			for _, w := range rr.Warnings {
				g.logger.Warn("replay", "rule", rr.Rule.File+":"+strconv.Itoa(rr.Rule.Line), "alert", rr.Rule.Alert, "warning", w)
			}
			if rr.Err != nil {
				msg := fmt.Sprintf("%s:%d %s could not be replayed: %v", rr.Rule.File, rr.Rule.Line, rr.Rule.Alert, rr.Err)
				out.Warnings = append(out.Warnings, msg)
				g.logger.Warn(msg)
			}
		}
	}
	switch history {
	case "replay":
	case "alerts":
		step := alerts[0].Interval
		for _, r := range alerts {
			if r.Interval > 0 && (step <= 0 || r.Interval < step) {
				step = r.Interval
			}
		}
		if step <= 0 {
			step = time.Minute
		}
		res, err := src.QueryRange(ctx, source.Query{Expr: pir.AlertsQuery, Start: start, End: end, Step: step})
		if err != nil {
			return nil, fmt.Errorf("cannot read the alert history: %w", err)
		}
		fs := pir.FiringsFromAlerts(res.Series, step, end)
		g.logger.Info("alert history read", "series", len(res.Series), "firings", len(fs), "step", step)
		real = assign(g, refs, fs, &out)
	default:
		f, err := os.Open(history)
		if err != nil {
			return nil, fmt.Errorf("cannot read the alert history: %w", err)
		}
		fs, err := pir.LoadAlertmanagerLog(f, history)
		f.Close()
		if err != nil {
			return nil, err
		}
		g.logger.Info("alert history read", "file", history, "firings", len(fs))
		real = assign(g, refs, fs, &out)
	}
	scored := replayed
	if real != nil {
		scored = real
		if replayed != nil {
			out.Similarity = similarity(replayed, real, start, end)
		}
	}
	cfg := pir.QualityConfig{
		Start: start, End: end, LeadWindow: o.LeadWindow, Location: loc, PageSeverities: splitList(o.PageSeverities),
		IncludeDrills: o.IncludeDrills, FlapWindow: o.FlapWindow, NoisyPrecision: o.NoisyPrecision, LateAfter: o.LateAfter,
	}
	if len(cfg.PageSeverities) == 0 {
		cfg.PageSeverities = pir.DefaultPageSeverities
	}
	labels := make([]map[string]string, len(scored))
	for i := range scored {
		labels[i] = scored[i].Rule.Labels
	}
	warnUnpaged(g, labels, cfg.PageSeverities)
	rep, err := pir.Quality(scored, incs, cfg)
	if err != nil {
		return nil, err
	}
	out.LeadWindow = rep.LeadWindow
	out.Rules, out.Incidents, out.Summary = rep.Rules, rep.Incidents, rep.Summary
	if out.Rules == nil {
		out.Rules = []pir.RuleQuality{}
	}
	if out.Incidents == nil {
		out.Incidents = []pir.IncidentQuality{}
	}
	return &qualityRun{out: out, rep: rep, scored: scored, incs: incs, cfg: cfg}, nil
}
