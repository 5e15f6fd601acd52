package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

func newRulesCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, edit and write Prometheus alerting rules",
		Args:  noArgs,
		Example: `  omen rules list --rules rules/
  omen rules set --rules rules/app.yml --alert HighErrorRate --label severity=critical --threshold 0.02
  omen rules predictive --interval 6h > omen.rules.yml
  promtool check rules omen.rules.yml`,
	}
	cmd.AddCommand(newRulesPredictiveCmd(g), newRulesListCmd(g), newRulesSetCmd(g))
	return asGroup(cmd)
}

func newRulesPredictiveCmd(g *globalOptions) *cobra.Command {
	var (
		cfg    tuner.PredictiveRulesConfig
		labels []string
		output string
		bt     predictiveBacktestOptions
	)
	cmd := &cobra.Command{
		Use:   "predictive",
		Short: "Alerting rules that page on omen's predictions instead of on predict_linear",
		Long: `predictive prints a Prometheus rule file with two alerts on the series omen writes back
with --push-to: OmenExhaustionCritical (severity critical) when omen judged a target
critical, OmenExhaustionWarning when it judged it a warning. The alert's value is the
median time to exhaustion; annotations name the target and the pattern.

omen writes one prediction per run, so the rules look back over --interval (how often
omen runs) plus a margin: a prediction stays visible until the next run.

--backtest compares, on the history of --prometheus, every alerting rule of --rules built
on predict_linear over a disk or memory signal (the node-exporter mixin's
NodeFilesystemSpaceFillingUp, predict_linear on container_memory_working_set_bytes against
its limit) with the rule above that would replace it: OmenExhaustionCritical for a rule
of any severity but warning, OmenExhaustionWarning for a warning. The predict_linear rule
is replayed at its group's interval as Prometheus would have evaluated it; omen predicts
the rule's signal against the rule's limit as of every --interval (default 1h here) over
[--start, --end], from --window of history before each instant, as its runs would have.
Both are scored on the same events: the incidents of --incidents whose labels agree with
one of the rule's series (one without labels is every rule's), or else the signal reaching
its limit in the history. An event is caught when a page came before it, at most
--horizon before (default: omen's critical threshold, 24h, for a critical rule, its
warning threshold, 7 days, for a warning) and still firing then, and the lead time is how
much before; a page is false when it caught no event of its target and came during none
(such pages within --horizon of --end are "unjudged": the history does not tell yet).
Rates are per week of the range.`,
		Example: `  omen rules predictive > omen.rules.yml
  omen rules predictive --interval 6h --label team=sre --output rules/omen.yml
  omen rules predictive --backtest --prometheus http://localhost:9090 --rules node-mixin/ \
      --start now-28d --incidents incidents/ --format markdown`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bt.Backtest {
				return runPredictiveBacktest(cmd.Context(), g, &bt, cfg.Interval, output)
			}
			for _, l := range labels {
				k, v, ok := strings.Cut(l, "=")
				if !ok || k == "" {
					return usagef("invalid --label %q: want NAME=VALUE", l)
				}
				if cfg.ExtraLabels == nil {
					cfg.ExtraLabels = map[string]string{}
				}
				cfg.ExtraLabels[k] = v
			}
			b, err := tuner.PredictiveRules(cfg)
			if err != nil {
				return err
			}
			return writeOutput(cmd.Context(), output, g.stdout, func(w io.Writer) error {
				_, err := w.Write(b)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.Var(durationValue{d: &cfg.Interval}, "interval", "how often omen runs and writes predictions (default 24h)")
	f.Var(durationValue{d: &cfg.For, zeroOK: true}, "for", "how long a risk must hold before the alert fires (default 0)")
	f.StringVar(&cfg.Group, "group", "", "rule group name (default omen-predictive)")
	f.StringArrayVar(&labels, "label", nil, "extra alert label `NAME=VALUE` (repeatable)")
	f.StringVar(&output, "output", "", "write to `FILE` instead of stdout (atomically)")
	bt.addFlags(cmd)
	return cmd
}

// predictiveBacktestOptions are the flags of omen rules predictive
// --backtest.
type predictiveBacktestOptions struct {
	Backtest      bool
	Rules         string
	RuleInterval  time.Duration
	Start, End    string
	Incidents     []string
	IncludeDrills bool
	Horizon       time.Duration
	Window        time.Duration
	DataStep      time.Duration
	AllSignals    bool
	Workers       int
	MaxPoints     int
}

var predictiveBacktestFormats = []string{"table", "json", "yaml", "markdown", "csv"}

func (o *predictiveBacktestOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.Backtest, "backtest", false, "compare the predict_linear rules of --rules with these rules on the history of --prometheus")
	f.StringVar(&o.Rules, "rules", "", "with --backtest: rule `PATH` (a rule file, PrometheusRule manifests or a directory)")
	f.Var(durationValue{d: &o.RuleInterval}, "rule-interval", "with --backtest: evaluation interval of groups that set none (default 1m)")
	f.StringVar(&o.Start, "start", "", "with --backtest: start `TIME` (RFC3339, date, Unix seconds, now-28d; required)")
	f.StringVar(&o.End, "end", "", "with --backtest: end `TIME` (default --at, or now)")
	f.StringArrayVar(&o.Incidents, "incidents", nil, "with --backtest: score against the incidents of `PATH` instead of the exhaustions in the history (repeatable)")
	f.BoolVar(&o.IncludeDrills, "include-drills", false, "with --incidents: count drills, tests and game days as incidents")
	f.Var(durationValue{d: &o.Horizon}, "horizon", "with --backtest: how soon after a page an exhaustion must begin for the page to be true (default 24h for critical, 7d for warning)")
	f.Var(durationValue{d: &o.Window}, "window", "with --backtest: history each prediction reads (default 14d)")
	f.Var(durationValue{d: &o.DataStep}, "data-step", "with --backtest: resolution at which the signals are read (default 5m)")
	f.BoolVar(&o.AllSignals, "all-signals", false, "with --backtest: compare predict_linear rules on any signal, not only disk and memory")
	f.IntVar(&o.Workers, "workers", 1, "with --backtest: predictions made at once")
	f.IntVar(&o.MaxPoints, "max-points-per-query", tuner.DefaultMaxPointsPerQuery, "with --backtest: most instants per query_range request")
}

func runPredictiveBacktest(ctx context.Context, g *globalOptions, o *predictiveBacktestOptions, step time.Duration, output string) error {
	if err := g.checkFormat(predictiveBacktestFormats...); err != nil {
		return err
	}
	rr := ruleRangeOptions{Rules: o.Rules, Interval: o.RuleInterval, Start: o.Start, End: o.End}
	rules, start, end, err := rr.load(g)
	if err != nil {
		return err
	}
	var incs []pir.Incident
	if len(o.Incidents) > 0 {
		if incs, _, err = loadIncidents(g, o.Incidents, "", "", o.IncludeDrills); err != nil {
			return err
		}
	}
	if step <= 0 {
		step = tuner.DefaultPredictiveStep
	}
	src, err := g.source()
	if err != nil {
		return err
	}
	p := g.startProgress("backtesting the predict_linear rules")
	defer p.Finish("")
	res, err := tuner.BacktestPredictive(ctx, querier{src: src, g: g}, rules, tuner.PredictiveBacktestConfig{
		Start: start, End: end, Step: step, DataStep: o.DataStep, Horizon: o.Horizon,
		Capacity:  capacity.Config{Window: o.Window},
		Incidents: incs, IncludeDrills: o.IncludeDrills, Rules: rules, AllSignals: o.AllSignals,
		MaxPointsPerQuery: o.MaxPoints, Concurrency: g.MaxConcurrency, Workers: o.Workers,
	})
	if err != nil {
		return err
	}
	p.Finish("backtested", "rules", len(res.Comparisons), "requests", res.Queries)
	for _, s := range res.Skipped {
		g.logger.Warn("not compared", "rule", s.Rule.File+":"+strconv.Itoa(s.Rule.Line), "alert", s.Rule.Alert, "reason", s.Reason)
	}
	for _, c := range res.Comparisons {
		for _, w := range c.Warnings {
			g.logger.Warn("backtest", "rule", c.Rule.File+":"+strconv.Itoa(c.Rule.Line), "alert", c.Rule.Alert, "warning", w)
		}
	}
	if len(res.Comparisons) == 0 && len(res.Skipped) == 0 {
		g.logger.Warn("no alerting rule of " + o.Rules + " uses predict_linear")
	}
	return writeOutput(ctx, output, g.stdout, func(w io.Writer) error {
		switch g.Format {
		case "json", "yaml":
			return writeData(w, g.Format, predictiveBacktestJSON(res))
		}
		return writeTable(w, g.Format, g.display(output), predictiveBacktestTable(res))
	})
}

// predictiveBacktestOut is the JSON of omen rules predictive --backtest.
type predictiveBacktestOut struct {
	Start       string              `json:"start"`
	End         string              `json:"end"`
	StepSeconds float64             `json:"step_seconds"`
	Weeks       float64             `json:"weeks"`
	Comparisons []predictiveCompOut `json:"comparisons"`
	Skipped     []predictiveSkipOut `json:"skipped"`
	Queries     int                 `json:"queries"`
}

type predictiveCompOut struct {
	File           string             `json:"file"`
	Line           int                `json:"line"`
	Group          string             `json:"group"`
	Alert          string             `json:"alert"`
	Severity       string             `json:"severity"`
	Kind           string             `json:"kind"`
	Signal         string             `json:"signal"`
	RangeSeconds   float64            `json:"range_seconds"`
	AheadSeconds   float64            `json:"ahead_seconds"`
	Limit          string             `json:"limit"`
	Proposal       string             `json:"proposal"`
	HorizonSeconds float64            `json:"horizon_seconds"`
	Targets        []string           `json:"targets"`
	Predictions    int                `json:"predictions"`
	Events         []predictiveEvent  `json:"events"`
	PredictLinear  predictiveScoreOut `json:"predict_linear"`
	Omen           predictiveScoreOut `json:"omen"`
	OmenBetter     bool               `json:"omen_better"`
	Advice         string             `json:"advice"`
	Warnings       []string           `json:"warnings"`
}

type predictiveEvent struct {
	ID       string            `json:"id"`
	Labels   map[string]string `json:"labels"`
	Start    string            `json:"start"`
	End      string            `json:"end"`
	Incident bool              `json:"incident"`
}

type predictiveScoreOut struct {
	Alert             string             `json:"alert"`
	Pages             int                `json:"pages"`
	PagesPerWeek      float64            `json:"pages_per_week"`
	FalsePages        int                `json:"false_pages"`
	FalsePagesPerWeek float64            `json:"false_pages_per_week"`
	Unjudged          int                `json:"unjudged"`
	Caught            []predictiveCaught `json:"caught"`
	Missed            []string           `json:"missed"`
	LeadSecondsMedian *float64           `json:"lead_seconds_median"`
	Firings           []firingOut        `json:"firings"`
}

type predictiveCaught struct {
	ID          string  `json:"id"`
	LeadSeconds float64 `json:"lead_seconds"`
}

type predictiveSkipOut struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Alert  string `json:"alert"`
	Reason string `json:"reason"`
}

func predictiveBacktestJSON(res *tuner.PredictiveBacktest) predictiveBacktestOut {
	out := predictiveBacktestOut{
		Start: rfc3339(res.Start), End: rfc3339(res.End), StepSeconds: res.Step.Seconds(), Weeks: res.Weeks,
		Comparisons: []predictiveCompOut{}, Skipped: []predictiveSkipOut{}, Queries: res.Queries,
	}
	score := func(s tuner.BacktestScore) predictiveScoreOut {
		o := predictiveScoreOut{
			Alert: s.Alert, Pages: s.Pages, PagesPerWeek: s.PagesPerWeek, FalsePages: s.FalsePages,
			FalsePagesPerWeek: s.FalsePagesPerWeek, Unjudged: s.Unjudged, Caught: []predictiveCaught{},
			Missed: append([]string{}, s.Missed...), Firings: firingsJSON(s.Firings),
		}
		for _, c := range s.Caught {
			o.Caught = append(o.Caught, predictiveCaught{ID: c.ID, LeadSeconds: c.Lead.Seconds()})
		}
		if s.LeadMedian != nil {
			v := s.LeadMedian.Seconds()
			o.LeadSecondsMedian = &v
		}
		return o
	}
	for _, c := range res.Comparisons {
		co := predictiveCompOut{
			File: c.Rule.File, Line: c.Rule.Line, Group: c.Rule.Group, Alert: c.Rule.Alert, Severity: c.Severity,
			Kind: c.Use.Kind, Signal: c.Use.Signal, RangeSeconds: c.Use.Range.Seconds(), AheadSeconds: c.Use.Ahead.Seconds(),
			Limit: predictiveLimit(c.Use), Proposal: c.Proposal, HorizonSeconds: c.Horizon.Seconds(),
			Targets: []string{}, Predictions: c.Predictions, Events: []predictiveEvent{},
			PredictLinear: score(c.PredictLinear), Omen: score(c.Omen), OmenBetter: c.OmenBetter(), Advice: c.Advice(), Warnings: append([]string{}, c.Warnings...),
		}
		for _, t := range c.Targets {
			co.Targets = append(co.Targets, t.String())
		}
		for _, e := range c.Events {
			co.Events = append(co.Events, predictiveEvent{ID: e.ID, Labels: e.Labels, Start: rfc3339(e.Start), End: rfc3339(e.End), Incident: e.Incident})
		}
		out.Comparisons = append(out.Comparisons, co)
	}
	for _, s := range res.Skipped {
		out.Skipped = append(out.Skipped, predictiveSkipOut{File: s.Rule.File, Line: s.Rule.Line, Alert: s.Rule.Alert, Reason: s.Reason})
	}
	return out
}

// predictiveLimit says what the signal is compared with.
func predictiveLimit(u tuner.PredictLinearUse) string {
	n := strconv.FormatFloat(u.Limit, 'g', -1, 64)
	switch {
	case u.LimitExpr == "":
		return u.Op + " " + n
	case u.Limit == 1:
		return u.Op + " " + u.LimitExpr
	}
	return u.Op + " " + n + " × " + u.LimitExpr
}

func predictiveBacktestTable(res *tuner.PredictiveBacktest) tableData {
	t := tableData{
		Title:  fmt.Sprintf("predict_linear rules against omen's predictions, %s to %s (%.1f weeks), omen run every %s", rfc3339(res.Start), rfc3339(res.End), res.Weeks, fmtDuration(res.Step)),
		Header: []string{"RULE", "ALERT", "SEVERITY", "HORIZON", "BY", "CAUGHT", "LEAD (MEDIAN)", "PAGES/WEEK", "FALSE/WEEK", "UNJUDGED"},
		Right:  []int{5, 6, 7, 8, 9},
		Cut:    []string{"RULE"},
	}
	for _, c := range res.Comparisons {
		where := fmt.Sprintf("%s:%d", c.Rule.File, c.Rule.Line)
		for i, s := range []tuner.BacktestScore{c.PredictLinear, c.Omen} {
			by := "predict_linear"
			if i == 1 {
				by = s.Alert
			}
			lead := "-"
			if s.LeadMedian != nil {
				lead = fmtDuration(*s.LeadMedian)
			}
			sev := c.Severity
			if sev == "" {
				sev = "-"
			}
			t.Rows = append(t.Rows, []string{where, c.Rule.Alert, sev, fmtDuration(c.Horizon), by,
				fmt.Sprintf("%d/%d", len(s.Caught), len(c.Events)), lead,
				strconv.FormatFloat(s.PagesPerWeek, 'f', 1, 64), strconv.FormatFloat(s.FalsePagesPerWeek, 'f', 1, 64), strconv.Itoa(s.Unjudged)})
		}
	}
	return t
}
