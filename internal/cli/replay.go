package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// querier adapts a source to tuner.Querier: one query_range of an
// expression at a fixed step. Server warnings are logged.
type querier struct {
	src source.Source
	g   *globalOptions
}

func (q querier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	res, err := q.src.QueryRange(ctx, source.Query{Expr: expr, Start: start, End: end, Step: step})
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		q.g.logger.Warn("query warning", "query", expr, "warning", w)
	}
	return res.Series, nil
}

// ruleRangeOptions are the flags replay and whatif share.
type ruleRangeOptions struct {
	Rules     string
	Interval  time.Duration
	Start     string
	End       string
	MaxPoints int
}

func (o *ruleRangeOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Rules, "rules", "", "rule `PATH`: a Prometheus rule file, a PrometheusRule manifest or a directory of them (required)")
	f.Var(durationValue{d: &o.Interval}, "interval", "evaluation interval of groups that set none (default 1m)")
	f.StringVar(&o.Start, "start", "", "start `TIME` of the replay (RFC3339, date, Unix seconds, now-30d; required)")
	f.StringVar(&o.End, "end", "", "end `TIME` of the replay (default --at, or now)")
	f.IntVar(&o.MaxPoints, "max-points-per-query", tuner.DefaultMaxPointsPerQuery, "most evaluation instants per query_range request")
}

// load reads the rules and the replay range.
func (o *ruleRangeOptions) load(g *globalOptions) ([]tuner.Rule, time.Time, time.Time, error) {
	if o.Rules == "" {
		return nil, time.Time{}, time.Time{}, usagef("--rules is required")
	}
	if o.Start == "" {
		return nil, time.Time{}, time.Time{}, usagef("--start is required")
	}
	now := g.now()
	at, err := g.asOf()
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	if !at.IsZero() {
		now = at
	}
	start, err := parseTime(o.Start, now)
	if err != nil {
		return nil, time.Time{}, time.Time{}, usagef("invalid --start: %v", err)
	}
	end := now
	if o.End != "" {
		if end, err = parseTime(o.End, now); err != nil {
			return nil, time.Time{}, time.Time{}, usagef("invalid --end: %v", err)
		}
	}
	if end.Before(start) {
		return nil, time.Time{}, time.Time{}, usagef("--end %s is before --start %s", end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	rules, err := tuner.Load(o.Rules, tuner.LoadOptions{Interval: o.Interval, OnSkip: func(path string, err error) {
		g.logger.Info("skipped", "file", path, "reason", err)
	}})
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	return rules, start.UTC(), end.UTC(), nil
}

type replayOptions struct {
	ruleRangeOptions
	Alerts     []string
	Group      string
	Labels     []string
	Output     string
	FlapWindow time.Duration
}

var replayFormats = []string{"table", "json", "yaml", "csv", "markdown"}

func newReplayCmd(g *globalOptions) *cobra.Command {
	o := &replayOptions{}
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Evaluate alerting rules over history as Prometheus would have, and list their firings",
		Long: `replay evaluates every alerting rule of --rules (or those named by --alert) at every
instant of [--start, --end] that is a multiple of its group's interval since the Unix epoch,
as vmalert's replay does, with Prometheus's semantics: an alert is pending from the first
evaluation that returns its label set and fires once it has been returned for at least
'for'; keep_firing_for keeps it firing that long after it was last returned; the labels are
the result's without __name__, plus the rule's labels with {{ $labels.x }} and {{ $value }}
expanded, plus alertname. State starts fresh at --start.

Each rule costs one query_range of its expression at step = its interval, split into
requests of --max-points-per-query instants: one rule over 30 days at 1m is four requests.
An alert that uses recording rules whose series the server lacks over the range is reported
with what is missing; where that is exact (the recorded series used as a plain selector, the
recording rule adding no labels and evaluated at the alert's interval) the alert is
evaluated with the recording rule's expression inlined.

A firing is one [firing_at, resolved_at) interval of one label set: active_at is the first
evaluation of its pending period, firing_at the first at which it fired, resolved_at the
first at which it no longer fired (null when still firing at --end). The table shows per
rule the firings, the time spent firing, the flaps (firings that began less than
--flap-window after the same label set's previous firing resolved) and the first and last
firing. --format csv lists the firings one per line.`,
		Example: `  omen replay --prometheus http://localhost:9090 --rules rules/ --start now-30d
  omen replay --prometheus http://vm:8428 --rules app.yml --alert HighErrorRate \
      --start 2026-01-01 --end 2026-01-31 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReplay(cmd.Context(), g, o)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.Alerts, "alert", nil, "replay only the alert `NAME` (repeatable)")
	f.StringVar(&o.Group, "group", "", "replay only the rules of group `NAME`")
	f.StringArrayVar(&o.Labels, "label", nil, "replay only rules carrying the label `NAME=VALUE` (repeatable)")
	f.Var(durationValue{d: &o.FlapWindow}, "flap-window", "a firing beginning sooner than this after the previous one resolved is a flap (default 30m)")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(replayFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func parseLabelFlags(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(flags))
	for _, l := range flags {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, usagef("invalid --label %q: want NAME=VALUE", l)
		}
		m[k] = v
	}
	return m, nil
}

func runReplay(ctx context.Context, g *globalOptions, o *replayOptions) error {
	if err := g.checkFormat(replayFormats...); err != nil {
		return err
	}
	labels, err := parseLabelFlags(o.Labels)
	if err != nil {
		return err
	}
	rules, start, end, err := o.load(g)
	if err != nil {
		return err
	}
	var selected []tuner.Rule
	for _, r := range rules {
		if !r.IsAlert() || o.Group != "" && r.Group != o.Group || len(o.Alerts) > 0 && !contains(o.Alerts, r.Alert) {
			continue
		}
		if !hasLabels(r, labels) {
			continue
		}
		selected = append(selected, r)
	}
	for _, a := range o.Alerts {
		if !containsFunc(selected, func(r tuner.Rule) bool { return r.Alert == a }) {
			return fmt.Errorf("%s: no alerting rule %q%s", o.Rules, a, selectionSuffix(o.Group, labels))
		}
	}
	if len(selected) == 0 {
		return fmt.Errorf("%s: no alerting rule to replay%s", o.Rules, selectionSuffix(o.Group, labels))
	}
	src, err := g.source()
	if err != nil {
		return err
	}
	p := g.startProgress(fmt.Sprintf("replaying %s", plural(len(selected), "rule")))
	defer p.Finish("")
	res, err := tuner.Replay(ctx, querier{src: src, g: g}, selected, tuner.ReplayConfig{
		Start: start, End: end, MaxPointsPerQuery: o.MaxPoints, Concurrency: g.MaxConcurrency, Rules: rules,
	})
	if err != nil {
		return err
	}
	p.Finish("replayed", "rules", len(res.Rules), "requests", res.Queries)
	var failed []error
	for _, rr := range res.Rules {
		for _, w := range rr.Warnings {
			g.logger.Warn("replay", "rule", rr.Rule.File+":"+strconv.Itoa(rr.Rule.Line), "alert", rr.Rule.Alert, "warning", w)
		}
		if rr.Err != nil {
			failed = append(failed, rr.Err)
		}
	}
	mc := tuner.MeasureConfig{FlapWindow: o.FlapWindow}
	err = writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		switch g.Format {
		case "json", "yaml":
			return writeData(w, g.Format, replayJSON(res, mc))
		case "csv":
			return writeTable(w, "csv", display{}, replayFiringsTable(res))
		}
		return writeTable(w, g.Format, g.display(o.Output), replayTable(res, mc))
	})
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d rules could not be replayed: %w", len(failed), len(res.Rules), errors.Join(failed...))
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func containsFunc[T any](xs []T, f func(T) bool) bool {
	for _, x := range xs {
		if f(x) {
			return true
		}
	}
	return false
}

func hasLabels(r tuner.Rule, labels map[string]string) bool {
	for k, v := range labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func selectionSuffix(group string, labels map[string]string) string {
	var parts []string
	if group != "" {
		parts = append(parts, "in group "+strconv.Quote(group))
	}
	if len(labels) > 0 {
		parts = append(parts, "with labels "+series.FromMap(labels).String())
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// JSON shapes of omen replay.
type (
	replayOut struct {
		Start    string          `json:"start"`
		End      string          `json:"end"`
		Rules    []replayRuleOut `json:"rules"`
		Requests int             `json:"requests"`
	}
	replayRuleOut struct {
		File            string          `json:"file"`
		Line            int             `json:"line"`
		Group           string          `json:"group"`
		Alert           string          `json:"alert"`
		IntervalSeconds float64         `json:"interval_seconds"`
		Evaluations     int             `json:"evaluations"`
		Firings         []firingOut     `json:"firings"`
		FiringSeconds   float64         `json:"firing_seconds"`
		Flaps           int             `json:"flaps"`
		Requests        int             `json:"requests"`
		Expr            string          `json:"evaluated_expr,omitempty"`
		Dependencies    []dependencyOut `json:"dependencies,omitempty"`
		Warnings        []string        `json:"warnings,omitempty"`
		Error           string          `json:"error,omitempty"`
	}
	firingOut struct {
		Labels     map[string]string `json:"labels"`
		ActiveAt   string            `json:"active_at"`
		FiringAt   string            `json:"firing_at"`
		ResolvedAt *string           `json:"resolved_at"`
	}
	dependencyOut struct {
		Record  string        `json:"record"`
		File    string        `json:"file"`
		Line    int           `json:"line"`
		Missing []intervalOut `json:"missing"`
		Inlined bool          `json:"inlined"`
		Reason  string        `json:"reason,omitempty"`
	}
	intervalOut struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
)

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func firingsJSON(fs []pir.Firing) []firingOut {
	out := make([]firingOut, 0, len(fs))
	for _, f := range fs {
		fo := firingOut{Labels: f.Labels.Map(), ActiveAt: rfc3339(f.ActiveAt), FiringAt: rfc3339(f.FiringAt)}
		if f.Resolved() {
			s := rfc3339(f.ResolvedAt)
			fo.ResolvedAt = &s
		}
		out = append(out, fo)
	}
	return out
}

func replayJSON(res *tuner.ReplayResult, mc tuner.MeasureConfig) replayOut {
	out := replayOut{Start: rfc3339(res.Start), End: rfc3339(res.End), Rules: []replayRuleOut{}, Requests: res.Queries}
	for _, rr := range res.Rules {
		m := tuner.Measure(rr.Rule, rr.Firings, res.Start, res.End, mc)
		ro := replayRuleOut{
			File: rr.Rule.File, Line: rr.Rule.Line, Group: rr.Rule.Group, Alert: rr.Rule.Alert,
			IntervalSeconds: rr.Rule.Interval.Seconds(), Evaluations: rr.Evaluations,
			Firings: firingsJSON(rr.Firings), FiringSeconds: m.FiringSeconds, Flaps: m.Flaps,
			Requests: rr.Queries, Warnings: rr.Warnings,
		}
		if rr.Expr != rr.Rule.Expr {
			ro.Expr = rr.Expr
		}
		if rr.Err != nil {
			ro.Error = rr.Err.Error()
		}
		for _, d := range rr.Dependencies {
			do := dependencyOut{Record: d.Record, File: d.File, Line: d.Line, Missing: []intervalOut{}, Inlined: d.Inlined, Reason: d.Reason}
			for _, m := range d.Missing {
				do.Missing = append(do.Missing, intervalOut{From: rfc3339(m.From), To: rfc3339(m.To)})
			}
			ro.Dependencies = append(ro.Dependencies, do)
		}
		out.Rules = append(out.Rules, ro)
	}
	return out
}

func replayTable(res *tuner.ReplayResult, mc tuner.MeasureConfig) tableData {
	t := tableData{
		Title:    fmt.Sprintf("Replay %s – %s (%s)", fmtTime(res.Start.UnixMilli()), fmtTime(res.End.UnixMilli()), plural(res.Queries, "request")),
		Header:   []string{"FILE", "GROUP", "ALERT", "INTERVAL", "FIRINGS", "TIME FIRING", "FLAPS", "FIRST FIRING", "LAST FIRING", "NOTE"},
		Right:    []int{3, 4, 5, 6},
		Detail:   "NOTE",
		Optional: []string{"GROUP", "INTERVAL", "FIRST FIRING"},
		Cut:      []string{"FILE", "ALERT"},
	}
	for _, rr := range res.Rules {
		m := tuner.Measure(rr.Rule, rr.Firings, res.Start, res.End, mc)
		first, last := "-", "-"
		if m.Firings > 0 {
			first, last = fmtTime(m.First.UnixMilli()), fmtTime(m.Last.UnixMilli())
		}
		note := ""
		switch {
		case rr.Err != nil:
			note = "error: " + rr.Err.Error()
		case len(rr.Warnings) > 0:
			note = rr.Warnings[0]
			if len(rr.Warnings) > 1 {
				note += fmt.Sprintf(" (+%d more)", len(rr.Warnings)-1)
			}
		}
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("%s:%d", rr.Rule.File, rr.Rule.Line), rr.Rule.Group, rr.Rule.Alert, fmtDuration(rr.Rule.Interval),
			strconv.Itoa(m.Firings), fmtDuration(time.Duration(m.FiringSeconds * float64(time.Second))), strconv.Itoa(m.Flaps), first, last, note,
		})
	}
	return t
}

func replayFiringsTable(res *tuner.ReplayResult) tableData {
	t := tableData{Header: []string{"file", "group", "alert", "labels", "active_at", "firing_at", "resolved_at"}}
	for _, rr := range res.Rules {
		for _, f := range rr.Firings {
			resolved := ""
			if f.Resolved() {
				resolved = rfc3339(f.ResolvedAt)
			}
			t.Rows = append(t.Rows, []string{rr.Rule.File, rr.Rule.Group, rr.Rule.Alert, f.Labels.String(), rfc3339(f.ActiveAt), rfc3339(f.FiringAt), resolved})
		}
	}
	return t
}
