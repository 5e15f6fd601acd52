package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

type whatifOptions struct {
	ruleRangeOptions
	Alert          string
	Group          string
	Labels         []string
	Thresholds     string
	Fors           string
	KeepFiringFors string
	Timezone       string
	PageSeverities string
	FlapWindow     time.Duration
	Output         string
	incidentFlags
}

var whatifFormats = []string{"table", "json", "yaml", "csv", "markdown", "html"}

func newWhatifCmd(g *globalOptions) *cobra.Command {
	o := &whatifOptions{}
	cmd := &cobra.Command{
		Use:   "whatif",
		Short: "Replay an alerting rule as written beside the rule with another threshold, for or keep_firing_for",
		Long: `whatif replays one alerting rule over [--start, --end] as written ("before") and changed
("after"), as omen replay does, and compares what each would have done.

--threshold, --for and --keep-firing-for take one value or a comma-separated list: a sweep
(--threshold 0.02,0.05,0.1 --for 0,5m,15m) prints the whole grid, thresholds varying
slowest. A sweep costs the queries of one replay: when the threshold's comparison is the
expression's top, the other side of it (the signal) is evaluated once and every threshold,
for and keep_firing_for is applied locally (plan "signal"); when the comparison is the left
operand of and/or/unless, the other operands are evaluated once too and combined locally with
PromQL's set semantics (plan "signal+operands"). Otherwise the rule is evaluated once per
threshold with the number replaced (plan "per-threshold"), and the output says why. Every
variant equals a replay of the rule file edited to it.

Per variant: firings; pages, the firings whose severity label is one of --page-severities
(every firing when the rule has no severity label); pages_per_week = pages / ((end − start) /
7 days); night_pages, the pages whose firing_at falls in [22:00, 07:00) in --timezone;
firing_seconds, the sum over firings of (resolved_at, or --end when still firing) −
firing_at; flaps as in omen replay.

With --incidents, every variant is also scored against the incidents with omen quality's
definitions (omen quality --help): caught (the incidents one of its firings matches: firing_at
in [start − --lead-window, end], labels agreeing), missed, precision (firings matching an
incident / firings), recall (caught / incidents whose start lies in [--start, --end]) and
lead_seconds_median (the median over the caught incidents of start − the earliest matching
firing_at).

--format html writes a page with a timeline of the firings per label set, the rule as
written above each variant.`,
		Example: `  omen whatif --prometheus http://localhost:9090 --rules rules/app.yml --alert HighErrorRate \
      --threshold 0.1 --for 10m --start now-30d
  omen whatif --prometheus http://vm:8428 --rules rules/ --alert HighErrorRate --label severity=critical \
      --threshold 0.02,0.05,0.1 --for 0,5m,15m --start now-30d --timezone Europe/Berlin --format json
  omen whatif --prometheus http://localhost:9090 --rules app.yml --alert HighErrorRate \
      --threshold 0.1 --start now-7d --format html --output whatif.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWhatif(cmd.Context(), g, o)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Alert, "alert", "", "the alert `NAME` (required)")
	f.StringVar(&o.Group, "group", "", "the rule's group, when several groups have the alert")
	f.StringArrayVar(&o.Labels, "label", nil, "pick the rule carrying the label `NAME=VALUE` when several rules have the alert name (repeatable)")
	f.StringVar(&o.Thresholds, "threshold", "", "threshold value(s) to try, comma-separated")
	f.StringVar(&o.Fors, "for", "", "for duration(s) to try, comma-separated (0 for none)")
	f.StringVar(&o.KeepFiringFors, "keep-firing-for", "", "keep_firing_for duration(s) to try, comma-separated")
	f.StringVar(&o.Timezone, "timezone", "UTC", "IANA time zone in which night is 22:00–07:00")
	f.StringVar(&o.PageSeverities, "page-severities", "critical", "severity label values that page, comma-separated")
	f.Var(durationValue{d: &o.FlapWindow}, "flap-window", "a firing beginning sooner than this after the previous one resolved is a flap (default 30m)")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	o.incidentFlags.add(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(whatifFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// warnUnpaged logs a warning when some of the rules' labels carry a
// severity and none of those severities pages under --page-severities:
// every firing is then a warning's and no incident counts as paged,
// which is seldom what the rules mean (a set written with severity: page).
func warnUnpaged(g *globalOptions, ruleLabels []map[string]string, pages []string) {
	if len(pages) == 0 {
		pages = pir.DefaultPageSeverities
	}
	var seen []string
	for _, l := range ruleLabels {
		s, ok := l["severity"]
		if !ok {
			continue
		}
		if slices.Contains(pages, s) {
			return
		}
		if !slices.Contains(seen, s) {
			seen = append(seen, s)
		}
	}
	if len(seen) == 0 {
		return
	}
	slices.Sort(seen)
	g.logger.Warn("no rule's severity pages: every firing counts as a warning's and no incident as paged; set --page-severities to the severities that page",
		"severities", strings.Join(seen, ","), "page_severities", strings.Join(pages, ","))
}

func parseDurations(flag, s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, p := range splitList(s) {
		if p == "0" {
			out = append(out, 0)
			continue
		}
		d, err := parseDuration(p)
		if err != nil {
			return nil, usagef("invalid --%s: %v", flag, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func runWhatif(ctx context.Context, g *globalOptions, o *whatifOptions) error {
	if err := g.checkFormat(whatifFormats...); err != nil {
		return err
	}
	if o.Alert == "" {
		return usagef("--alert is required")
	}
	labels, err := parseLabelFlags(o.Labels)
	if err != nil {
		return err
	}
	cfg := tuner.WhatIfConfig{}
	for _, p := range splitList(o.Thresholds) {
		x, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return usagef("invalid --threshold %q: want a finite number", p)
		}
		cfg.Thresholds = append(cfg.Thresholds, x)
	}
	if cfg.Fors, err = parseDurations("for", o.Fors); err != nil {
		return err
	}
	if cfg.KeepFiringFors, err = parseDurations("keep-firing-for", o.KeepFiringFors); err != nil {
		return err
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return usagef("invalid --timezone %q: %v", o.Timezone, err)
	}
	cfg.Measure = tuner.MeasureConfig{Location: loc, PageSeverities: splitList(o.PageSeverities), FlapWindow: o.FlapWindow}
	rules, start, end, err := o.load(g)
	if err != nil {
		return err
	}
	r, err := tuner.Find(rules, tuner.Selector{Alert: o.Alert, Group: o.Group, Labels: labels})
	if err != nil {
		return err
	}
	src, err := g.source()
	if err != nil {
		return err
	}
	cfg.ReplayConfig = tuner.ReplayConfig{Start: start, End: end, MaxPointsPerQuery: o.MaxPoints, Concurrency: g.MaxConcurrency, Rules: rules}
	p := g.startProgress("replaying " + r.Alert)
	defer p.Finish("")
	warnUnpaged(g, []map[string]string{r.Labels}, cfg.Measure.PageSeverities)
	res, err := tuner.WhatIf(ctx, querier{src: src, g: g}, r, cfg)
	if err != nil {
		return err
	}
	p.Finish("what-if", "alert", r.Alert, "plan", res.Plan, "variants", len(res.After), "requests", res.Queries)
	if res.PlanReason != "" {
		g.logger.Info("what-if evaluates the rule once per threshold", "reason", res.PlanReason)
	}
	for _, w := range res.Warnings {
		g.logger.Warn("what-if", "alert", r.Alert, "warning", w)
	}
	scores, err := o.incidentFlags.score(g, res, cfg.Measure)
	if err != nil {
		return err
	}
	return writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		switch g.Format {
		case "json", "yaml":
			return writeData(w, g.Format, scores.json(whatifJSON(res)))
		case "html":
			return sink.WriteTimelineHTML(w, whatifTimeline(res))
		}
		return writeTable(w, g.Format, g.display(o.Output), scores.table(whatifTable(res)))
	})
}

// JSON shapes of omen whatif.
type (
	whatifOut struct {
		File        string       `json:"file"`
		Line        int          `json:"line"`
		Group       string       `json:"group"`
		Alert       string       `json:"alert"`
		Start       string       `json:"start"`
		End         string       `json:"end"`
		Plan        tuner.Plan   `json:"plan"`
		PlanReason  string       `json:"plan_reason,omitempty"`
		Requests    int          `json:"requests"`
		Evaluations int          `json:"evaluations"`
		Before      variantOut   `json:"before"`
		After       *variantOut  `json:"after,omitempty"`
		Grid        []variantOut `json:"grid"`
		Warnings    []string     `json:"warnings,omitempty"`
	}
	// variantOut is M of the issue: open for the incident fields
	// (caught, missed, precision, recall, lead time) to come.
	variantOut struct {
		Threshold            *float64 `json:"threshold"`
		ForSeconds           float64  `json:"for_seconds"`
		KeepFiringForSeconds float64  `json:"keep_firing_for_seconds"`
		Firings              int      `json:"firings"`
		Pages                int      `json:"pages"`
		PagesPerWeek         float64  `json:"pages_per_week"`
		NightPages           int      `json:"night_pages"`
		FiringSeconds        float64  `json:"firing_seconds"`
		Flaps                int      `json:"flaps"`
		*IncidentScore
	}
)

func variantJSON(v tuner.Variant) variantOut {
	return variantOut{
		Threshold: v.Threshold, ForSeconds: v.For.Seconds(), KeepFiringForSeconds: v.KeepFiringFor.Seconds(),
		Firings: v.Metrics.Firings, Pages: v.Metrics.Pages, PagesPerWeek: v.Metrics.PagesPerWeek,
		NightPages: v.Metrics.NightPages, FiringSeconds: v.Metrics.FiringSeconds, Flaps: v.Metrics.Flaps,
	}
}

func whatifJSON(res *tuner.WhatIfResult) whatifOut {
	out := whatifOut{
		File: res.Rule.File, Line: res.Rule.Line, Group: res.Rule.Group, Alert: res.Rule.Alert,
		Start: rfc3339(res.Start), End: rfc3339(res.End), Plan: res.Plan, PlanReason: res.PlanReason,
		Requests: res.Queries, Evaluations: res.Evaluations, Before: variantJSON(res.Before), Grid: []variantOut{}, Warnings: res.Warnings,
	}
	for _, v := range res.After {
		out.Grid = append(out.Grid, variantJSON(v))
	}
	if len(out.Grid) == 1 {
		out.After = &out.Grid[0]
	}
	return out
}

func fmtThreshold(x *float64) string {
	if x == nil {
		return "-"
	}
	return strconv.FormatFloat(*x, 'g', -1, 64)
}

func whatifTable(res *tuner.WhatIfResult) tableData {
	r := res.Rule
	t := tableData{
		Title: fmt.Sprintf("What if: %s (%s:%d, group %s), %s – %s, plan %s, %s",
			r.Alert, r.File, r.Line, r.Group, fmtTime(res.Start.UnixMilli()), fmtTime(res.End.UnixMilli()), res.Plan, plural(res.Queries, "request")),
		Header: []string{"", "THRESHOLD", "FOR", "KEEP FIRING FOR", "FIRINGS", "PAGES", "PAGES/WEEK", "NIGHT PAGES", "TIME FIRING", "FLAPS"},
		Right:  []int{1, 2, 3, 4, 5, 6, 7, 8, 9},
	}
	row := func(name string, v tuner.Variant) []string {
		return []string{name, fmtThreshold(v.Threshold), fmtDuration(v.For), fmtDuration(v.KeepFiringFor),
			strconv.Itoa(v.Metrics.Firings), strconv.Itoa(v.Metrics.Pages), strconv.FormatFloat(v.Metrics.PagesPerWeek, 'f', 2, 64),
			strconv.Itoa(v.Metrics.NightPages), fmtDuration(time.Duration(v.Metrics.FiringSeconds * float64(time.Second))), strconv.Itoa(v.Metrics.Flaps)}
	}
	t.Rows = append(t.Rows, row("before", res.Before))
	for i, v := range res.After {
		name := "after"
		if len(res.After) > 1 {
			name = fmt.Sprintf("after %d", i+1)
		}
		t.Rows = append(t.Rows, row(name, v))
	}
	return t
}

// maxTimelineVariants bounds the variants drawn on the HTML timeline.
const maxTimelineVariants = 12

func whatifTimeline(res *tuner.WhatIfResult) sink.Timeline {
	r := res.Rule
	name := func(v tuner.Variant) string {
		return fmt.Sprintf("threshold %s, for %s, keep_firing_for %s", fmtThreshold(v.Threshold), fmtDuration(v.For), fmtDuration(v.KeepFiringFor))
	}
	tl := sink.Timeline{
		Title:    fmt.Sprintf("What if: %s", r.Alert),
		Subtitle: fmt.Sprintf("%s:%d, group %s, %s – %s UTC, plan %s, %s", r.File, r.Line, r.Group, fmtTime(res.Start.UnixMilli()), fmtTime(res.End.UnixMilli()), res.Plan, plural(res.Queries, "request")),
		Start:    res.Start, End: res.End,
		Expr: r.Expr,
	}
	variants := append([]tuner.Variant{res.Before}, res.After...)
	if len(variants) > maxTimelineVariants+1 {
		tl.Notes = append(tl.Notes, fmt.Sprintf("%d of %d variants drawn; the JSON output lists them all.", maxTimelineVariants, len(res.After)))
		variants = variants[:maxTimelineVariants+1]
	}
	for i, v := range variants {
		label := "before: " + name(v)
		switch {
		case i > 0 && len(variants) == 2:
			label = "after: " + name(v)
		case i > 0:
			label = fmt.Sprintf("after %d: %s", i, name(v))
		}
		lane := sink.TimelineVariant{Name: label, Summary: fmt.Sprintf("%s, %s, %s firing", plural(v.Metrics.Firings, "firing"), plural(v.Metrics.Pages, "page"), fmtDuration(time.Duration(v.Metrics.FiringSeconds*float64(time.Second))))}
		for _, f := range v.Firings {
			lane.Spans = append(lane.Spans, sink.TimelineSpan{Key: f.Labels.String(), From: f.FiringAt, To: f.ResolvedAt})
		}
		tl.Variants = append(tl.Variants, lane)
	}
	tl.Notes = append(tl.Notes, res.Warnings...)
	return tl
}
