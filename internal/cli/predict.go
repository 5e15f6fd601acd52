package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/units"
)

// predictOptions are the flags of omen predict.
type predictOptions struct {
	Presets   []string
	Query     string
	Limit     string
	Direction string
	Horizon   time.Duration
	Window    time.Duration
	Step      time.Duration
	Critical  time.Duration
	Warning   time.Duration
	FailOn    string
	Output    string
	PushTo    string
	Workers   int
	Exclude   []string
	Shard     string
	view      viewOptions
}

var predictFormats = []string{"table", "json", "yaml", "csv", "markdown", "html"}

// workers is n, or when n is 0 the number of CPUs the process may use
// (GOMAXPROCS, which follows a container's CPU limit): predicting is
// CPU-bound, and a CronJob given 2 CPUs should use both.
func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

func newPredictCmd(g *globalOptions) *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict",
		Short: "Predict when disks fill and containers hit their memory limit",
		Long: `predict reads the recent history of each target, cuts it at restarts and deploys, names
its pattern (steady growth, leak, accelerating, sawtooth, step, ramp-then-plateau,
seasonal, flat, decreasing, daily batch) and predicts the time to exhaustion as
P10/P50/P90 within --horizon. Sawtooth, warm-up and nightly-batch shapes are not
reported as exhaustion unless their envelope really reaches the limit.

Targets are presets — disk (node_filesystem_avail_bytes, pseudo and read-only
filesystems skipped; Kubernetes PVCs), inodes, memory (container working set against
kube_pod_container_resource_limits; containers without a limit are listed as such),
memory-rss — or one custom target: --query (a selector with --input; empty means every
series of the file) with --limit (a number or a query) and --direction.

Risk: critical when the P50 is within --critical (24h), warning within --warning (7d),
info when only the P10 is within the horizon. Results are ordered by risk, then ETA
(--sort eta, usage or name for another order).

--target (a preset or target name) and --match (label matchers, as in PromQL) choose
the targets: the others are not predicted, shown, written back or counted by --fail-on.
--min-risk only hides the less risky rows. On a terminal the table fits its width: the
WHY goes under each row and the least needed columns are left out (--wide shows all).
--fail-on warning makes omen exit with code 3 when any target is at least a warning.`,
		Example: `  omen predict --prometheus http://prometheus:9090 --preset disk
  omen predict --prometheus http://prometheus:9090 --preset disk,memory --format html --output report.html
  omen predict --input usage.csv --at 2026-11-01T00:00:00Z --limit 100 --direction up --horizon 7d --format json
  omen predict --prometheus http://vm:8428 --preset memory --push-to http://vm:8428 --fail-on critical
  omen predict --prometheus http://prometheus:9090 --preset memory --match 'namespace=shop' --min-risk warning --sort eta`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPredict(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Presets, "preset", nil, "built-in targets: "+strings.Join(engine.PresetNames(), ", ")+" (comma-separated or repeated)")
	f.StringVarP(&o.Query, "query", "q", "", "custom target: the usage query (with --input a selector; empty = every series)")
	f.StringVar(&o.Limit, "limit", "", "custom target: the limit, a number or a query")
	f.StringVar(&o.Direction, "direction", "up", "custom target: up (exhausted at value ≥ limit) or down (value ≤ limit)")
	f.Var(durationValue{d: &o.Horizon}, "horizon", "how far ahead to look for exhaustion (default 7d)")
	f.Var(durationValue{d: &o.Window}, "window", "history analysed, ending at --at or now (default 14d)")
	f.Var(durationValue{d: &o.Step}, "step", "resolution fetched (default: chosen from the window; files: raw samples)")
	f.Var(durationValue{d: &o.Critical}, "critical", "P50 under which a target is critical (default 24h)")
	f.Var(durationValue{d: &o.Warning}, "warning", "P50 under which a target is a warning (default 7d)")
	f.StringVar(&o.FailOn, "fail-on", "none", "exit with code 3 when a target is at least this risk: critical, warning, info or none")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically; required for html)")
	f.StringVar(&o.PushTo, "push-to", "", "write predictions back to this VictoriaMetrics or Prometheus (remote write) `URL`")
	f.IntVar(&o.Workers, "workers", 0, "targets predicted in parallel (default: the CPUs omen may use, GOMAXPROCS)")
	excludeFlag(f, &o.Exclude)
	shardFlag(f, &o.Shard)
	o.view.addFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("preset", cobra.FixedCompletions(engine.PresetNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(predictFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// specs turns the target flags into target specs.
func (o *predictOptions) specs(g *globalOptions) ([]engine.TargetSpec, error) {
	var specs []engine.TargetSpec
	for _, p := range o.Presets {
		ps, ok := engine.Preset(strings.TrimSpace(p))
		if !ok {
			return nil, usagef("unknown --preset %q: want %s", p, strings.Join(engine.PresetNames(), ", "))
		}
		specs = append(specs, ps...)
	}
	if o.Limit != "" {
		t := engine.TargetConfig{Name: "custom", Usage: o.Query, Limit: o.Limit, Direction: o.Direction}
		if t.Usage == "" {
			if g.Input == "" {
				return nil, usagef("--query is required for a custom target on a server")
			}
			t.Usage = `{__name__=~".*"}` // every series of the file
		}
		spec, err := t.Spec()
		if err != nil {
			return nil, usagef("custom target: %v", err)
		}
		specs = append(specs, spec)
	} else if o.Query != "" {
		return nil, usagef("--query needs --limit (a number or a query)")
	}
	if len(specs) == 0 {
		return nil, usagef("nothing to predict: give --preset (%s) or --limit for a custom target", strings.Join(engine.PresetNames(), ", "))
	}
	return specs, nil
}

func runPredict(ctx context.Context, g *globalOptions, o *predictOptions) error {
	if err := g.checkFormat(predictFormats...); err != nil {
		return err
	}
	if g.Format == "html" && (o.Output == "" || o.Output == "-") {
		return usagef("--format html needs --output FILE")
	}
	failOn, err := parseFailOn(o.FailOn)
	if err != nil {
		return err
	}
	if err := o.view.parse(); err != nil {
		return err
	}
	specs, err := o.specs(g)
	if err != nil {
		return err
	}
	if specs, err = o.view.specs(specs); err != nil {
		return err
	}
	src, at, err := g.sourceAt()
	if err != nil {
		return err
	}
	shard, err := g.shard(o.Shard, "")
	if err != nil {
		return err
	}
	if shard.Active() {
		o.Output = shard.Path(o.Output)
	}
	var excl []pir.Incident
	if len(o.Exclude) > 0 {
		if excl, err = g.exclusions(o.Exclude); err != nil {
			return err
		}
	}
	p := g.startProgress("predicting")
	defer p.Finish("")
	rep, err := engine.Predict(ctx, src, engine.PredictOptions{
		Specs: specs, AsOf: at, Step: o.Step, Workers: workers(o.Workers), Logger: g.logger, Exclude: excl, Progress: p.Counter("targets"),
		Shard: shard, Charts: chartCount(g.Format == "html"),
		Capacity: capacity.Config{Horizon: o.Horizon, Window: o.Window, Critical: o.Critical, Warning: o.Warning, ForecastPoints: chartPoints(g.Format == "html"), Logger: g.logger},
	})
	if err != nil {
		return err
	}
	p.Finish("predicted", summaryArgs(rep)...)
	for _, w := range rep.Warnings {
		g.logger.Warn("source warning", "warning", w)
	}
	if err := g.checkReport(rep, specs); err != nil {
		return err
	}
	if o.Limit != "" && !isNumber(o.Limit) {
		if err := checkLimitMatched(rep, o.Limit); err != nil {
			return err
		}
	}
	if err := o.view.choose(rep); err != nil {
		return err
	}
	v := o.view.show(rep)
	if err := writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error { return renderPredictions(w, g.Format, g.display(o.Output), v) }); err != nil {
		return err
	}
	if o.PushTo != "" {
		if err := g.push(ctx, o.PushTo, engine.WriteBackSeries(rep)); err != nil {
			return err
		}
	}
	return failIfRisky(rep, failOn)
}

// summaryArgs are the log attributes of a prediction run's summary line:
// the targets predicted, per risk, and the series skipped.
func summaryArgs(rep *engine.Report) []any {
	counts := map[capacity.Risk]int{}
	for _, r := range rep.Results {
		counts[r.Risk]++
	}
	return []any{"targets", len(rep.Results), "critical", counts[capacity.RiskCritical], "warning", counts[capacity.RiskWarning],
		"info", counts[capacity.RiskInfo], "skipped", len(rep.Skipped)}
}

// checkReport refuses a report without a single target: every query came
// back empty, so there is nothing to say, and saying "0 targets" with exit
// code 0 would hide a wrong query, window or --at.
func (g *globalOptions) checkReport(rep *engine.Report, specs []engine.TargetSpec) error {
	if len(rep.Results) > 0 || len(rep.Skipped) > 0 {
		return nil
	}
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.Name+" ("+shortQuery(s.Usage)+")")
	}
	where := "the server"
	if g.input != nil {
		where = g.input.Name()
	}
	return fmt.Errorf("nothing to predict: no series of %s matched %s in the %s window ending %s",
		where, strings.Join(names, ", "), fmtDuration(rep.Window), rep.AsOf.UTC().Format(time.RFC3339))
}

// shortQuery cuts a long query for a message.
func shortQuery(q string) string {
	if len(q) > 60 {
		return q[:57] + "..."
	}
	return q
}

// isNumber reports whether a --limit is a plain number.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

// checkLimitMatched refuses a custom limit query that gave no usage series
// a limit: "abc" parses as a metric name, so only the data can tell that
// it is not one.
func checkLimitMatched(rep *engine.Report, limit string) error {
	n := 0
	for _, r := range rep.Results {
		if r.Spec != "custom" {
			continue
		}
		if r.Pattern != capacity.PatternNoLimit {
			return nil
		}
		n++
	}
	if n == 0 {
		return nil
	}
	return usagef("invalid --limit %q: it is not a number, and as a query it gave none of the %d usage series a limit (no series with the same labels but the metric name); want a number such as 100, or a query of limit series", limit, n)
}

// chartPoints is capacity.Config.ForecastPoints: the default when charts
// are drawn, none otherwise (a forecast path is 16 KB per target).
func chartPoints(charts bool) int {
	if charts {
		return 0
	}
	return -1
}

// chartCount is engine.PredictOptions.Charts: the default when charts are
// drawn, none otherwise (a history is 64 KB per target of 14 days at 5m).
func chartCount(charts bool) int {
	if charts {
		return 0
	}
	return -1
}

// parseFailOn reads --fail-on; -1 means never.
func parseFailOn(s string) (capacity.Risk, error) {
	if s == "none" || s == "" {
		return -1, nil
	}
	var r capacity.Risk
	if err := r.UnmarshalText([]byte(s)); err != nil || r == capacity.RiskOK {
		return 0, usagef("invalid --fail-on %q: want critical, warning, info or none", s)
	}
	return r, nil
}

// failIfRisky returns a findings error (exit code 3) when a result is at
// least failOn.
func failIfRisky(rep *engine.Report, failOn capacity.Risk) error {
	if failOn < 0 {
		return nil
	}
	n := 0
	for _, r := range rep.Results {
		if r.Risk >= failOn {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return findingsError{fmt.Sprintf("%s at or above %s", plural(n, "target"), failOn)}
}

// predictionJSON is the JSON shape of one result; the first fields are the
// evaluation contract.
type predictionJSON struct {
	Labels      map[string]string `json:"labels"`
	Current     *float64          `json:"current"`
	Limit       *float64          `json:"limit"`
	ETASeconds  *etaJSON          `json:"eta_seconds"`
	Pattern     string            `json:"pattern"`
	Model       string            `json:"model"`
	Risk        string            `json:"risk"`
	Target      string            `json:"target"`
	Direction   string            `json:"direction"`
	Capacity    *float64          `json:"capacity,omitempty"`
	Reason      string            `json:"reason"`
	Segments    int               `json:"segments"`
	LastRestart *time.Time        `json:"last_restart,omitempty"`
	// Stale is true when the series stopped reporting: its last sample
	// (last_sample) is long before as_of.
	Stale      bool       `json:"stale"`
	LastSample *time.Time `json:"last_sample,omitempty"`
	Warnings   []string   `json:"warnings,omitempty"`
}

type etaJSON struct {
	P10 *float64 `json:"p10"`
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func seconds(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	s := d.Seconds()
	return &s
}

func toJSON(r engine.Result) predictionJSON {
	p := predictionJSON{
		Labels: r.Labels.Map(), Current: finite(r.Current), Limit: finite(r.Limit),
		Pattern: string(r.Pattern), Model: r.Model, Risk: r.Risk.String(), Target: r.Spec,
		Direction: r.Direction.String(), Capacity: finite(r.Capacity), Reason: r.Reason,
		Segments: r.Segments, Warnings: r.Warnings,
	}
	if r.ETA != nil {
		p.ETASeconds = &etaJSON{P10: seconds(r.ETA.P10), P50: seconds(r.ETA.P50), P90: seconds(r.ETA.P90)}
	}
	if !r.LastRestart.IsZero() {
		t := r.LastRestart.UTC()
		p.LastRestart = &t
	}
	p.Stale = r.Stale
	if !r.LastSample.IsZero() {
		t := r.LastSample.UTC()
		p.LastSample = &t
	}
	return p
}

func renderPredictions(w io.Writer, format string, d display, v shown) error {
	rep := v.Report
	switch format {
	case "json", "yaml":
		out := struct {
			AsOf    string           `json:"as_of"`
			Window  string           `json:"window"`
			Results []predictionJSON `json:"results"`
			Skipped []skippedJSON    `json:"skipped,omitempty"`
		}{AsOf: rep.AsOf.UTC().Format(time.RFC3339), Window: fmtDuration(rep.Window), Results: []predictionJSON{}}
		for _, r := range rep.Results {
			out.Results = append(out.Results, toJSON(r))
		}
		for _, s := range rep.Skipped {
			out.Skipped = append(out.Skipped, skippedJSON{Target: s.Spec, Labels: s.Labels.Map(), Reason: s.Reason})
		}
		return writeData(w, format, out)
	case "csv":
		t := tableData{Header: []string{"risk", "target", "series", "pattern", "current", "limit", "capacity", "eta_p10_seconds", "eta_p50_seconds", "eta_p90_seconds", "model", "reason", "stale", "last_sample"}}
		for _, r := range rep.Results {
			var e [3]string
			if r.ETA != nil {
				for i, d := range []*time.Duration{r.ETA.P10, r.ETA.P50, r.ETA.P90} {
					if d != nil {
						e[i] = strconv.FormatFloat(d.Seconds(), 'f', 0, 64)
					}
				}
			}
			last := ""
			if !r.LastSample.IsZero() {
				last = r.LastSample.UTC().Format(time.RFC3339)
			}
			t.Rows = append(t.Rows, []string{r.Risk.String(), r.Spec, r.Labels.String(), string(r.Pattern), num(r.Current), num(r.Limit), num(r.Capacity), e[0], e[1], e[2], r.Model, r.Reason, strconv.FormatBool(r.Stale), last})
		}
		return writeTable(w, format, d, t)
	case "html":
		return sink.WriteHTML(w, htmlReport(v))
	}
	t := predictionTable(v)
	if err := writeTable(w, format, d, t); err != nil {
		return err
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "%d series skipped: %s\n", len(rep.Skipped), skippedSummary(rep.Skipped))
	}
	return nil
}

type skippedJSON struct {
	Target string            `json:"target"`
	Labels map[string]string `json:"labels"`
	Reason string            `json:"reason"`
}

func skippedSummary(sk []engine.Skipped) string {
	counts := map[string]int{}
	var order []string
	for _, s := range sk {
		if counts[s.Reason] == 0 {
			order = append(order, s.Reason)
		}
		counts[s.Reason]++
	}
	var parts []string
	for _, r := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[r], r))
	}
	return strings.Join(parts, ", ")
}

// predictionTable is the table for people: risk, what, pattern, usage,
// time to exhaustion with its interval, and why.
func predictionTable(v shown) tableData {
	rep := v.Report
	t := tableData{
		Title:    fmt.Sprintf("omen predict — as of %s, %s", rep.AsOf.UTC().Format("2006-01-02 15:04 MST"), v.count()),
		Header:   []string{"RISK", "TARGET", "SERIES", "PATTERN", "USAGE", "FULL IN (P50)", "P10 – P90", "WHY"},
		Detail:   "WHY",
		Optional: []string{"P10 – P90", "TARGET", "PATTERN"},
		Cut:      []string{"SERIES"},
		Risk:     "RISK",
	}
	for _, r := range rep.Results {
		t.Rows = append(t.Rows, []string{riskCell(r.Prediction), r.Spec, shortLabels(r.Labels), string(r.Pattern), usage(r), etaP50(r.Prediction), etaRange(r.Prediction), r.Reason})
	}
	return t
}

// riskCell is the risk for people, marked when the series stopped
// reporting: "ok (stale)" is not "ok".
func riskCell(p capacity.Prediction) string {
	if p.Stale {
		return p.Risk.String() + " (stale)"
	}
	return p.Risk.String()
}

// shortLabels names a target by the labels people use: instance and
// mountpoint, namespace/pod/container, or the whole set.
func shortLabels(ls series.Labels) string {
	switch {
	case ls.Has("mountpoint"):
		return strings.TrimSuffix(ls.Get("instance"), ":9100") + " " + ls.Get("mountpoint")
	case ls.Has("persistentvolumeclaim"):
		return ls.Get("namespace") + "/" + ls.Get("persistentvolumeclaim")
	case ls.Has("container") && ls.Has("pod"):
		return ls.Get("namespace") + "/" + ls.Get("pod") + "/" + ls.Get("container")
	}
	return ls.String()
}

// usage shows how full a target is: for free space, the used fraction of
// the capacity; for a limit, the current value against it.
func usage(r engine.Result) string {
	bytes := units.IsBytes(r.Labels.Name())
	f := func(v float64) string { return fmtValue(v, bytes) }
	switch {
	case r.Direction == series.Down && !math.IsNaN(r.Capacity) && r.Capacity > 0:
		return fmt.Sprintf("%s of %s", pct(1-r.Current/r.Capacity), f(r.Capacity))
	case math.IsNaN(r.Limit):
		return f(r.Current) + " (no limit)"
	case r.Direction == series.Up && r.Limit > 0:
		return fmt.Sprintf("%s / %s (%s)", f(r.Current), f(r.Limit), pct(r.Current/r.Limit))
	}
	return fmt.Sprintf("%s (limit %s)", f(r.Current), f(r.Limit))
}

// pct formats a fraction as a percentage, compactly when it is huge.
func pct(x float64) string {
	if math.Abs(x) < 1e4 {
		return strconv.FormatFloat(100*x, 'f', 0, 64) + "%"
	}
	return units.SI(100*x) + "%"
}

func etaP50(p capacity.Prediction) string {
	if p.ETA == nil || p.ETA.P50 == nil {
		return "-"
	}
	return fmtDuration(p.ETA.P50.Round(time.Minute))
}

func etaRange(p capacity.Prediction) string {
	if p.ETA == nil {
		return "-"
	}
	d := func(x *time.Duration) string {
		if x == nil {
			return "beyond"
		}
		return fmtDuration(x.Round(time.Minute))
	}
	return d(p.ETA.P10) + " – " + d(p.ETA.P90)
}

// htmlReport builds the HTML page: the counts per risk and the soonest
// exhaustion, a section with a chart per target at risk (info and above),
// and the other targets in a compact table.
func htmlReport(v shown) sink.Report {
	rep := v.Report
	hr := sink.Report{Title: "omen — capacity predictions", AsOf: rep.AsOf, Columns: []string{"RISK", "TARGET", "SERIES", "PATTERN", "USAGE", "WHY"}}
	counts := map[capacity.Risk]int{}
	var soonest *engine.Result
	for i, r := range rep.Results {
		counts[r.Risk]++
		if p := p50Of(r.Prediction); p >= 0 && (soonest == nil || p < p50Of(soonest.Prediction)) {
			soonest = &rep.Results[i]
		}
	}
	for _, risk := range []capacity.Risk{capacity.RiskCritical, capacity.RiskWarning, capacity.RiskInfo, capacity.RiskOK} {
		hr.Summary = append(hr.Summary, sink.Count{Label: risk.String(), N: counts[risk]})
	}
	switch {
	case soonest != nil:
		at := rep.AsOf.Add(*soonest.ETA.P50).Round(time.Minute).UTC().Format("Jan 2 15:04 MST")
		hr.Headline = fmt.Sprintf("Soonest exhaustion: %s %s, full in %s (about %s; P10–P90 %s).",
			soonest.Spec, shortLabels(soonest.Labels), etaP50(soonest.Prediction), at, etaRange(soonest.Prediction))
	case len(rep.Results) > 0:
		hr.Headline = fmt.Sprintf("Nothing is predicted to run out within the horizon (%s).", v.count())
	}
	if v.Filter != "" || len(rep.Results) != v.Total {
		hr.Notes = append(hr.Notes, "Shown: "+v.count()+".")
	}
	uncharted := 0
	for _, r := range rep.Results {
		if r.Risk >= capacity.RiskInfo && r.History.Len() == 0 {
			uncharted++
		}
		if r.Risk < capacity.RiskInfo || r.History.Len() == 0 {
			hr.Rows = append(hr.Rows, []string{riskCell(r.Prediction), r.Spec, shortLabels(r.Labels), string(r.Pattern), usage(r), r.Reason})
			hr.RowRisk = append(hr.RowRisk, riskCell(r.Prediction))
			continue
		}
		hr.Sections = append(hr.Sections, sink.Section{
			Risk:  r.Risk.String(),
			Title: r.Spec + " " + shortLabels(r.Labels),
			Facts: []sink.Fact{
				{Label: "full in", Value: etaP50(r.Prediction)},
				{Label: "P10 – P90", Value: etaRange(r.Prediction)},
				{Label: "usage", Value: usage(r)},
				{Label: "pattern", Value: string(r.Pattern)},
				{Label: "model", Value: r.Model},
			},
			Reason: r.Reason,
			Labels: r.Labels.String(),
			Chart:  predictionChart(r),
		})
	}
	if uncharted > 0 {
		hr.Notes = append(hr.Notes, fmt.Sprintf("Charts for the %d riskiest targets; %s at risk are in the table below.", len(hr.Sections), plural(uncharted, "other target")))
	}
	if len(rep.Skipped) > 0 {
		hr.Notes = append(hr.Notes, fmt.Sprintf("%d series skipped: %s.", len(rep.Skipped), skippedSummary(rep.Skipped)))
	}
	return hr
}

// predictionChart is the chart of one prediction: its history, the
// forecast with its interval, the limit and the predicted crossing.
func predictionChart(r engine.Result) sink.Chart {
	c := sink.Chart{
		Title:    r.Spec + " " + shortLabels(r.Labels),
		HistoryT: r.History.Timestamps, HistoryV: r.History.Values,
		ForecastT: r.Forecast.Timestamps, Mean: r.Forecast.Mean, Lower: r.Forecast.Lower, Upper: r.Forecast.Upper,
		Limit: r.Limit, Down: r.Direction == series.Down, Capacity: r.Capacity,
		Bytes: units.IsBytes(r.Labels.Name()), Now: r.AsOf,
	}
	if c.Down {
		c.YLabel = "free"
	}
	if r.ETA != nil {
		at := func(d *time.Duration) time.Time {
			if d == nil {
				return time.Time{}
			}
			return r.AsOf.Add(*d)
		}
		c.CrossingEarly, c.Crossing, c.CrossingLate = at(r.ETA.P10), at(r.ETA.P50), at(r.ETA.P90)
	}
	return c
}
