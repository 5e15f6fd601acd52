package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/apply"
	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// Stage statuses of omen run, from best to worst.
const (
	stageOK            = "ok"
	stageNotConfigured = "not configured"
	stageSkipped       = "skipped"
	stageFindings      = "findings"
	stageFailed        = "failed"
)

// stageOutcome is what one stage of omen run did.
type stageOutcome struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Summary string  `json:"summary"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
	err     error
}

// jobSummary is the outcome of a whole run: every stage, and what the
// stages found, compactly (the predictions' full list is in outputs:).
type jobSummary struct {
	AsOf        string              `json:"as_of"`
	Shard       string              `json:"shard,omitempty"`
	Status      string              `json:"status"`
	Stages      []stageOutcome      `json:"stages"`
	Predictions *predictionsSummary `json:"predictions,omitempty"`
	Anomalies   *anomaliesSummary   `json:"anomalies,omitempty"`
	Quality     *pir.QualitySummary `json:"quality,omitempty"`
	Verdicts    map[string]int      `json:"quality_verdicts,omitempty"`
	Tuning      *tuningSummary      `json:"tuning,omitempty"`
	Apply       *applyCounts        `json:"apply,omitempty"`
	PullRequest *delivery.Outcome   `json:"pull_request,omitempty"`
	WriteBack   *writeBackSummary   `json:"write_back,omitempty"`

	// report and detections are the predictions and anomaly detections
	// themselves, for omen serve's metrics and accuracy checks; ledger is
	// the apply stage's ledger as it left it, for omen serve's metrics.
	report     *engine.Report
	detections []engine.Detection
	ledger     *apply.Ledger
}

type predictionsSummary struct {
	Targets int            `json:"targets"`
	ByRisk  map[string]int `json:"by_risk"`
	Skipped int            `json:"skipped"`
	Batches int            `json:"batches"`
	// AtRisk are the riskiest targets (at most 20), most urgent first.
	AtRisk []predictionJSON `json:"at_risk"`
}

type anomaliesSummary struct {
	Series    int              `json:"series"`
	Anomalous int              `json:"anomalous_series"`
	Intervals int              `json:"intervals"`
	Top       []anomalyTopJSON `json:"top"`
}

type anomalyTopJSON struct {
	Labels map[string]string `json:"labels"`
	Start  time.Time         `json:"start"`
	End    time.Time         `json:"end"`
	Peak   float64           `json:"peak"`
}

// tuningSummary is what the tuning stage proposed.
type tuningSummary struct {
	Rules     int `json:"rules"`
	Proposals int `json:"proposals"`
	Skipped   int `json:"skipped"`
	Folds     int `json:"validation_folds"`
	Requests  int `json:"requests"`
	// Changes are the proposals in words, one per rule.
	Changes []tunedChange `json:"changes,omitempty"`
}

type tunedChange struct {
	File    string `json:"file"`
	Alert   string `json:"alert"`
	Changes string `json:"changes"`
	Why     string `json:"why"`
}

type applyCounts struct {
	Applied, Verified, RolledBack, Superseded, Approval, Skipped, Pending, Failed int
}

type writeBackSummary struct {
	URL    string `json:"url"`
	Series int    `json:"series"`
}

// job is one execution of a job file: its stages share the source, the
// instant and the shard.
type job struct {
	g       *globalOptions
	cfg     *engine.Config
	view    *viewOptions
	at      time.Time
	shard   engine.Shard
	src     source.Source
	srcErr  error
	sum     jobSummary
	rep     *engine.Report
	shown   shown
	failOn  capacity.Risk
	pushed  int
	pushErr error
	pushes  []series.Series // anomaly scores, written back by the write-back stage
	tuned   *delivery.File  // the tuning stage's proposals, delivered by apply or pull request
}

// executeJob runs every stage of cfg — predictions, anomalies, alert
// quality, tuning, apply (with verification of earlier applies) or pull
// request, write-back, report — each to its end whatever the others did,
// and returns the summary and the error that gives the exit code: the
// failed stages' errors joined (exit 1, or 2 for a usage error), else a
// findings error (exit 3) when a target is at or above risk.fail_on or a
// change was rolled back, else nil.
func executeJob(ctx context.Context, g *globalOptions, cfg *engine.Config, view *viewOptions, shardFlag string) (*jobSummary, error) {
	if err := view.parse(); err != nil {
		return nil, err
	}
	g.useJobSource(cfg)
	if g.At == "" {
		g.At = cfg.At
	}
	failOn := cfg.Risk.FailOn
	if failOn == "" {
		failOn = "critical"
	}
	level, err := parseFailOn(failOn)
	if err != nil {
		return nil, fmt.Errorf("risk.fail_on: %w", err)
	}
	shard, err := g.shard(shardFlag, cfg.Shard)
	if err != nil {
		return nil, err
	}
	j := &job{g: g, cfg: cfg, view: view, shard: shard, failOn: level}
	if j.src, j.at, j.srcErr = g.sourceAt(); j.srcErr == nil && j.at.IsZero() {
		j.at = g.now()
	}
	if j.srcErr != nil && g.Prometheus == "" && g.Input == "" {
		j.srcErr = nil // no source: the stages that need one say so
	}
	if j.at.IsZero() {
		j.at = g.now()
	}
	j.sum = jobSummary{AsOf: j.at.UTC().Format(time.RFC3339), Shard: shard.String()}
	j.stage(ctx, "predictions", j.predictions)
	j.stage(ctx, "anomalies", j.anomalies)
	j.stage(ctx, "quality", j.quality)
	j.stage(ctx, "tuning", j.tuning)
	j.stage(ctx, "apply", j.apply)
	j.stage(ctx, "pull request", j.pullRequest)
	j.stage(ctx, "write-back", j.writeBack)
	j.stage(ctx, "report", j.report)
	j.sum.report = j.rep
	return &j.sum, j.exit()
}

// stage runs one stage, records its outcome and logs it.
func (j *job) stage(ctx context.Context, name string, fn func(context.Context) (status, summary string, err error)) {
	began := time.Now()
	status, summary, err := fn(ctx)
	if err != nil {
		status = stageFailed
	}
	o := stageOutcome{Name: name, Status: status, Summary: summary, Seconds: time.Since(began).Seconds(), err: err}
	if err != nil {
		o.Error = err.Error()
		j.g.logger.Error("stage failed", "stage", name, "error", err, "took", time.Since(began).Round(time.Millisecond))
	} else {
		j.g.logger.Info("stage", "stage", name, "status", status, "summary", summary, "took", time.Since(began).Round(time.Millisecond))
	}
	j.sum.Stages = append(j.sum.Stages, o)
	j.sum.Status = worse(j.sum.Status, status)
}

// worse returns the worse of two statuses.
func worse(a, b string) string {
	rank := map[string]int{"": 0, stageOK: 1, stageNotConfigured: 1, stageSkipped: 1, stageFindings: 2, stageFailed: 3}
	if rank[b] > rank[a] {
		return b
	}
	if a == stageNotConfigured || a == stageSkipped {
		return stageOK
	}
	return a
}

// exit is the error that gives the run's exit code.
func (j *job) exit() error {
	var errs []error
	var findings []string
	for _, s := range j.sum.Stages {
		switch {
		case s.err != nil:
			errs = append(errs, fmt.Errorf("stage %s: %w", s.Name, s.err))
		case s.Status == stageFindings:
			findings = append(findings, s.Name+": "+s.Summary)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(findings) > 0 {
		return findingsError{strings.Join(findings, "; ")}
	}
	return nil
}

// source returns the job's source, or why there is none.
func (j *job) source() (source.Source, error) {
	if j.srcErr != nil {
		return nil, j.srcErr
	}
	if j.src == nil {
		return nil, usagef("no source: give source.prometheus or source.input in the job file (or --prometheus, --input)")
	}
	return j.src, nil
}

// outputPath is a report's path for this shard.
func (j *job) outputPath(p string) string { return j.shard.Path(p) }

// charts reports whether an HTML page will be drawn.
func (j *job) charts() bool {
	return j.cfg.Report.HTML != "" || slices.ContainsFunc(j.cfg.Outputs, func(o engine.OutputConfig) bool { return o.Format == "html" })
}

func (j *job) predictions(ctx context.Context) (string, string, error) {
	g, cfg := j.g, j.cfg
	if len(cfg.Specs()) == 0 {
		return stageNotConfigured, "no presets or targets", nil
	}
	specs, err := j.view.specs(cfg.Specs())
	if err != nil {
		return "", "", err
	}
	src, err := j.source()
	if err != nil {
		return "", "", err
	}
	p := g.startProgress("predicting")
	defer p.Finish("")
	opts := engine.PredictOptions{
		Specs: specs, AsOf: j.at, Step: time.Duration(cfg.Step), Workers: workers(cfg.Workers), Logger: g.logger, Progress: p.Counter("targets"),
		Shard: j.shard, Charts: chartCount(j.charts()),
		Capacity: capacity.Config{
			Horizon: time.Duration(cfg.Horizon), Window: time.Duration(cfg.Window),
			Critical: time.Duration(cfg.Risk.Critical), Warning: time.Duration(cfg.Risk.Warning),
			ForecastPoints: chartPoints(j.charts()),
			Logger:         g.logger,
		},
	}
	if cfg.PushTo != "" {
		// Written back a batch at a time: a large fleet's write-back is
		// never held whole. A failed push stops the pushing, not the
		// predictions; the write-back stage reports it.
		opts.OnBatch = func(rs []engine.Result) error {
			if j.pushErr != nil || len(rs) == 0 {
				return nil
			}
			ss := engine.WriteBackSeries(&engine.Report{AsOf: j.at, Results: rs})
			if err := g.push(ctx, cfg.PushTo, ss); err != nil {
				j.pushErr = err
				return nil
			}
			j.pushed += len(ss)
			return nil
		}
	}
	rep, err := engine.Predict(ctx, src, opts)
	if err != nil {
		return "", "", err
	}
	p.Finish("predicted", summaryArgs(rep)...)
	for _, w := range rep.Warnings {
		g.logger.Warn("source warning", "warning", w)
	}
	if !j.shard.Active() {
		// A shard may own no target of a small fleet; a whole run must
		// find some.
		if err := g.checkReport(rep, specs); err != nil {
			return "", "", err
		}
	}
	if err := j.view.choose(rep); err != nil {
		return "", "", err
	}
	j.rep = rep
	j.shown = j.view.show(rep)
	ps := &predictionsSummary{Targets: len(rep.Results), ByRisk: map[string]int{}, Skipped: len(rep.Skipped), Batches: rep.Batches, AtRisk: []predictionJSON{}}
	for _, r := range rep.Results {
		ps.ByRisk[r.Risk.String()]++
		if r.Risk >= capacity.RiskInfo && len(ps.AtRisk) < 20 {
			ps.AtRisk = append(ps.AtRisk, toJSON(r))
		}
	}
	j.sum.Predictions = ps
	var outErr []error
	for _, o := range cfg.Outputs {
		path := j.outputPath(o.Path)
		if err := writeOutput(ctx, path, g.stdout, func(w io.Writer) error { return renderPredictions(w, o.Format, g.display(path), j.shown) }); err != nil {
			outErr = append(outErr, fmt.Errorf("outputs %s %s: %w", o.Format, path, err))
			continue
		}
		if path != "" && path != "-" {
			g.logger.Info("report written", "format", o.Format, "path", path)
		}
	}
	summary := fmt.Sprintf("%s: %d critical, %d warning, %d info; %d skipped", plural(len(rep.Results), "target"),
		ps.ByRisk["critical"], ps.ByRisk["warning"], ps.ByRisk["info"], len(rep.Skipped))
	if len(outErr) > 0 {
		return "", summary, errors.Join(outErr...)
	}
	if err := failIfRisky(rep, j.failOn); err != nil {
		return stageFindings, summary + " (" + err.Error() + ")", nil
	}
	return stageOK, summary, nil
}

func (j *job) anomalies(ctx context.Context) (string, string, error) {
	a := j.cfg.Anomalies
	if a == nil {
		return stageNotConfigured, "no anomalies: section", nil
	}
	src, err := j.source()
	if err != nil {
		return "", "", err
	}
	window := time.Duration(a.Window)
	if window <= 0 {
		window = 24 * time.Hour
	}
	var ss []series.Series
	for _, q := range a.Queries {
		res, err := source.AsOf(src, j.at).QueryRange(ctx, source.Query{Expr: q, Start: j.at.Add(-window), End: j.at, Step: time.Duration(a.Step)})
		if err != nil {
			return "", "", fmt.Errorf("anomalies: %w", err)
		}
		for _, s := range res.Series {
			if j.shard.Owns(engine.TargetSpec{}, s.Labels) {
				ss = append(ss, s)
			}
		}
	}
	ds, err := engine.Detect(ctx, ss, engine.DetectOptions{Threshold: a.Threshold})
	if err != nil {
		return "", "", err
	}
	sum := &anomaliesSummary{Series: len(ds), Top: []anomalyTopJSON{}}
	for _, d := range ds {
		if len(d.Intervals) > 0 {
			sum.Anomalous++
		}
		sum.Intervals += len(d.Intervals)
		for _, iv := range d.Intervals {
			sum.Top = append(sum.Top, anomalyTopJSON{Labels: d.Labels.Map(), Start: time.UnixMilli(iv.Start).UTC(), End: time.UnixMilli(iv.End).UTC(), Peak: iv.Peak})
		}
	}
	slices.SortStableFunc(sum.Top, func(x, y anomalyTopJSON) int {
		switch {
		case x.Peak > y.Peak:
			return -1
		case x.Peak < y.Peak:
			return 1
		}
		return y.End.Compare(x.End)
	})
	sum.Top = sum.Top[:min(len(sum.Top), 10)]
	j.sum.Anomalies = sum
	j.sum.detections = ds
	if j.cfg.PushTo != "" {
		j.pushes = append(j.pushes, engine.AnomalyWriteBackSeries(ds)...)
	}
	return stageOK, fmt.Sprintf("%s scored over %s: %d anomalous, %s", plural(len(ds), "series"), fmtDuration(window), sum.Anomalous, plural(sum.Intervals, "interval")), nil
}

func (j *job) quality(ctx context.Context) (string, string, error) {
	q := j.cfg.Quality
	if q == nil {
		return stageNotConfigured, "no quality: section", nil
	}
	if _, err := j.source(); err != nil && (q.History == "" || q.History == "replay" || q.History == "alerts") {
		return "", "", err
	}
	window := time.Duration(q.Window)
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	o := &qualityOptions{
		ruleRangeOptions: ruleRangeOptions{Rules: q.Rules, Start: j.at.Add(-window).UTC().Format(time.RFC3339), End: j.at.UTC().Format(time.RFC3339)},
		Incidents:        q.Incidents, History: q.History, Timezone: q.Timezone, PageSeverities: strings.Join(q.PageSeverities, ","),
		NoisyPrecision: pir.DefaultNoisyPrecision,
	}
	if o.Timezone == "" {
		o.Timezone = "UTC"
	}
	if o.PageSeverities == "" {
		o.PageSeverities = "critical"
	}
	run, err := computeQuality(ctx, j.g, o)
	if err != nil {
		return "", "", err
	}
	s := run.out.Summary
	j.sum.Quality = &s
	j.sum.Verdicts = map[string]int{}
	for _, r := range run.out.Rules {
		j.sum.Verdicts[string(r.Verdict)]++
	}
	summary := fmt.Sprintf("%s, %d of %s caught, %s", plural(len(run.out.Rules), "rule"), s.Caught, plural(s.Incidents, "incident"), verdictList(j.sum.Verdicts))
	return stageOK, summary, nil
}

func verdictList(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeysInt(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func (j *job) tuning(ctx context.Context) (string, string, error) {
	t := j.cfg.Tune
	if t == nil {
		return stageNotConfigured, "no tune: section", nil
	}
	if j.cfg.Apply != nil && j.shard.Active() {
		return "", "", usagef("tune: with apply: in a sharded run: each shard tunes the rule files it owns, and the apply: policy keeps one ledger, written by one process; deliver the shards' proposals with pull_request: instead, or tune in one process (no --shard)")
	}
	if _, err := j.source(); err != nil {
		return "", "", err
	}
	window := time.Duration(t.Window)
	if window <= 0 {
		window = 84 * 24 * time.Hour
	}
	o := &tuneOptions{
		ruleRangeOptions: ruleRangeOptions{Rules: t.Rules, Start: j.at.Add(-window).UTC().Format(time.RFC3339), End: j.at.UTC().Format(time.RFC3339)},
		Incidents:        t.Incidents, MaxPages: t.MaxPagesPerWeek, MaxPagesTotal: t.MaxPagesPerWeekTotal, MinPrecision: t.MinPrecision,
		MaxFactor: t.MaxFactor, MaxFor: time.Duration(t.MaxFor), Timezone: t.Timezone, PageSeverities: strings.Join(t.PageSeverities, ","),
		LeadWindow: time.Duration(t.LeadWindow), ownsFile: j.shard.OwnsFile,
	}
	for i, d := range t.Fors {
		if i > 0 {
			o.Fors += ","
		}
		o.Fors += tuner.FormatDuration(time.Duration(d))
	}
	if q := j.cfg.Quality; q != nil {
		if o.Rules == "" {
			o.Rules = q.Rules
		}
		if len(o.Incidents) == 0 {
			o.Incidents = q.Incidents
		}
	}
	if t.MinLead != nil {
		o.MinLead, o.minLeadSet = time.Duration(*t.MinLead), true
	}
	if o.MaxFactor == 0 {
		o.MaxFactor = tuner.DefaultMaxFactor
	}
	if o.Timezone == "" {
		o.Timezone = "UTC"
	}
	if o.PageSeverities == "" {
		o.PageSeverities = "critical"
	}
	out, selected, err := computeTune(ctx, j.g, o)
	if err != nil {
		return "", "", err
	}
	if t.Output != "" {
		file := j.outputPath(t.Output)
		if err := writeOutput(ctx, file, j.g.stdout, func(w io.Writer) error { return writeData(w, "json", out) }); err != nil {
			return "", "", fmt.Errorf("tune.output %s: %w", file, err)
		}
	}
	f := out.ProposalFile
	if pr := j.cfg.PullRequest; pr != nil && j.cfg.Apply == nil {
		if prefix := repoPrefix(pr.Repo, o.Rules); prefix != "" {
			f.Proposals = slices.Clone(f.Proposals)
			for i := range f.Proposals {
				f.Proposals[i].File = path.Join(prefix, f.Proposals[i].File)
			}
		}
	}
	j.tuned = &f
	j.sum.Tuning = &tuningSummary{Rules: len(selected), Proposals: len(out.Proposals), Skipped: len(out.Skipped), Folds: out.Folds, Requests: out.Requests}
	for _, p := range out.Proposals {
		j.sum.Tuning.Changes = append(j.sum.Tuning.Changes, tunedChange{File: p.File, Alert: p.Alert, Changes: fmtChanges(p.Changes), Why: p.Why})
	}
	scope := ""
	if j.shard.Active() {
		scope = " of the files shard " + j.shard.String() + " owns"
	}
	return stageOK, fmt.Sprintf("%s tuned%s over %s: %s, %s left alone", plural(len(selected), "rule"), scope, fmtDuration(window),
		plural(len(out.Proposals), "proposal"), plural(len(out.Skipped), "rule")), nil
}

// proposals returns what the delivery stages deliver: the tuning stage's
// proposals when it ran, else the proposals: file, else nil.
func (j *job) proposals() (*delivery.File, error) {
	if j.tuned != nil {
		return j.tuned, nil
	}
	if j.cfg.Proposals == "" {
		return nil, nil
	}
	return readProposals(j.g, j.cfg.Proposals)
}

// delivers reports whether this process delivers proposals: the whole
// fleet; a shard that tuned (it owns its rule files: its proposals touch
// no other shard's, and go on a branch of their own); or, for the
// proposals: file, which is the same for every shard, shard 0 of N (one
// pull request, once).
func (j *job) delivers() bool { return !j.shard.Active() || j.shard.Index == 0 || j.tuned != nil }

func (j *job) apply(ctx context.Context) (string, string, error) {
	g, policy := j.g, j.cfg.Apply
	if policy == nil {
		return stageNotConfigured, "no apply: policy", nil
	}
	if !j.delivers() {
		return stageSkipped, "shard " + j.shard.String() + ": shard 0 applies and verifies", nil
	}
	opt := apply.Options{Policy: policy, Now: j.at, Verify: true, Logger: g.logger, Concurrency: g.MaxConcurrency}
	p, err := j.proposals()
	if err != nil {
		return "", "", err
	}
	opt.Proposals = p
	if src, err := j.source(); err == nil {
		opt.Querier = querier{src: src, g: g}
	}
	lc, err := g.lifecycle(policy)
	if err != nil {
		return "", "", err
	}
	opt.Prometheus = lc
	if len(policy.Verify.Incidents) > 0 {
		l, err := pir.Load(policy.Verify.Incidents...)
		if err != nil {
			return "", "", err
		}
		opt.Incidents = l.Incidents
	}
	if opt.Token, err = forgeToken(g, ""); err != nil {
		return "", "", err
	}
	rep, err := apply.Run(ctx, opt)
	if err != nil {
		return "", "", err
	}
	if !rep.DryRun {
		j.sum.ledger = rep.State // a dry run's is what would have been
	}
	c := &applyCounts{len(rep.Applied), len(rep.Verified), len(rep.RolledBack), len(rep.Superseded), len(rep.Approval), len(rep.Skipped), len(rep.Pending), len(rep.Failed)}
	j.sum.Apply = c
	summary := fmt.Sprintf("%d applied, %d verified, %d rolled back, %d need approval, %d pending, %d failed", c.Applied, c.Verified, c.RolledBack, c.Approval, c.Pending, c.Failed)
	switch {
	case c.Failed > 0:
		return "", summary, fmt.Errorf("%d failed changes could not be rolled back: a person must look", c.Failed)
	case c.RolledBack > 0 && !rep.DryRun:
		return stageFindings, summary, nil
	}
	return stageOK, summary, nil
}

func (j *job) pullRequest(ctx context.Context) (string, string, error) {
	g, pr := j.g, j.cfg.PullRequest
	switch {
	case pr == nil:
		return stageNotConfigured, "no pull_request: section", nil
	case j.cfg.Apply != nil:
		return stageSkipped, "the apply: policy delivers the proposals (and opens pull requests for those that need approval)", nil
	case j.tuned == nil && j.cfg.Proposals == "":
		return stageSkipped, "no proposals: no tune: section and proposals: is empty", nil
	case j.tuned != nil && len(j.tuned.Proposals) == 0:
		return stageOK, "nothing to propose: the tuning stage made no proposal", nil
	case !j.delivers():
		return stageSkipped, "shard " + j.shard.String() + ": shard 0 makes the pull request", nil
	}
	o := prOptions{Repo: pr.Repo, Base: pr.Base, Forge: pr.Forge, ForgeURL: pr.ForgeURL, ForgeRepo: pr.ForgeRepo, MaxOpen: pr.MaxOpen, Labels: pr.Labels, DryRun: pr.DryRun}
	if o.Base == "" {
		o.Base = "main"
	}
	if o.MaxOpen <= 0 {
		o.MaxOpen = delivery.DefaultMaxOpen
	}
	if len(o.Labels) == 0 {
		o.Labels = []string{"omen"}
	}
	proposals, err := j.proposals()
	if err != nil {
		return "", "", err
	}
	token, err := forgeToken(g, pr.TokenFile)
	if err != nil {
		return "", "", err
	}
	opt := delivery.Options{Repo: o.Repo, Base: o.Base, Proposals: proposals, Token: token, MaxOpen: o.MaxOpen, Labels: o.Labels, DryRun: o.DryRun, Logger: g.logger}
	if o.Forge != "" {
		if opt.Forge, err = newForge(g, o, token); err != nil {
			return "", "", err
		}
	}
	out, err := delivery.Deliver(ctx, opt)
	if err != nil {
		return "", "", err
	}
	out.Diff = ""
	j.sum.PullRequest = &out
	switch {
	case out.Branch == "":
		return stageOK, "nothing to propose: every proposal is applied, stale or rejected", nil
	case out.PullRequest != nil:
		return stageOK, fmt.Sprintf("pull request %s (branch %s, %s)", out.PullRequest.URL, out.Branch, createdOrUpdated(out)), nil
	}
	return stageOK, fmt.Sprintf("branch %s (%s)", out.Branch, createdOrUpdated(out)), nil
}

func createdOrUpdated(o delivery.Outcome) string {
	switch {
	case o.Created:
		return "created"
	case o.Updated:
		return "updated"
	}
	return "unchanged"
}

func (j *job) writeBack(ctx context.Context) (string, string, error) {
	url := j.cfg.PushTo
	if url == "" {
		return stageNotConfigured, "no push_to", nil
	}
	if len(j.pushes) > 0 && j.pushErr == nil {
		if err := j.g.push(ctx, url, j.pushes); err != nil {
			j.pushErr = err
		} else {
			j.pushed += len(j.pushes)
		}
	}
	j.sum.WriteBack = &writeBackSummary{URL: sink.RedactURL(url), Series: j.pushed}
	summary := fmt.Sprintf("%s written to %s", plural(j.pushed, "series"), sink.RedactURL(url))
	if j.pushErr != nil {
		return "", summary, j.pushErr
	}
	return stageOK, summary, nil
}
