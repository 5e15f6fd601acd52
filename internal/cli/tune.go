package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/tuner"
	"github.com/omenhq/omen/tuner/yamledit"
)

// tuneOptions are the flags of `omen tune`.
type tuneOptions struct {
	ruleRangeOptions
	Alerts         []string
	Group          string
	Incidents      []string
	LeadWindow     time.Duration
	IncludeDrills  bool
	MaxPages       float64
	MaxPagesTotal  float64
	MinPrecision   float64
	MinLead        time.Duration
	minLeadSet     bool
	Fors           string
	KeepFiringFors string
	MaxFactor      float64
	MaxFor         time.Duration
	Fold           time.Duration
	Split          string
	Timezone       string
	PageSeverities string
	Write          string
	Output         string
	PR             bool
	pr             prOptions
	predictive     tunePredictiveOptions
	// ownsFile, when set, selects the rules of the files it owns (the
	// shard's part in omen run).
	ownsFile func(file string) bool
}

var tuneFormats = []string{"table", "json", "yaml", "markdown"}

func newTuneCmd(g *globalOptions) *cobra.Command {
	o := &tuneOptions{pr: prOptions{Base: "main", MaxOpen: delivery.DefaultMaxOpen, Labels: []string{"omen"}}}
	cmd := &cobra.Command{
		Use:   "tune --rules PATH --incidents PATH --start TIME",
		Short: "Propose thresholds and for durations chosen from the incidents and the alert history",
		Long: `tune replays every alerting rule of --rules over [--start, --end] with many thresholds and
for durations, scores each against the incidents, and proposes, per rule, the one that serves
the objective best.

The objective, for each rule, in this order: (1) page no more than --max-pages-per-week, and
meet --min-precision and --min-lead when given; (2) catch the most incidents with a page (an
incident only a warning caught woke nobody); (3) catch the most incidents at all; (4) warn the
earliest; (5) page the least. A rule that does not page (a warning) is held to the budget in
firings. The budget is kept with a margin for the weeks to come (1.65 standard deviations of
the weekly pages, false pages at least as variable as a Poisson count), except for a candidate
that pages no more than the rule as written when that is within the budget: it is no riskier
than leaving the rule alone. When the margin costs incidents, the proposal names the candidate
that would still catch them.

How the choice is made: not on one lucky week. The range is cut into weekly folds, and the
candidates are narrowed level by level (incidents paged, caught, lead, pages) to those within
noise of the best on that level: the difference smaller than its standard error over the
weeks, or for the lead over the incidents. Of those left, the one closest to the rule as
written wins. Each choice is then checked forward (the choice made on the weeks before each
week is judged on that week), and a proposal that did worse there than the rule as written is
not made. Every proposal shows its figures on the whole range and on those validation weeks,
with their spread.

Guardrails: a threshold moves at most a factor of --max-factor (2) in its distance from the
signal's typical level (its median), and stays within the values the signal took; for stays
within [0, --max-for (1h)]; a proposal needs at least 2 incidents matched or 4 weeks of the
signal's history, otherwise the rule is listed as "insufficient evidence"; rules with the label
or annotation omen_tune: "false" are left alone; no rule is ever removed or disabled. The
candidates of a rule cost the queries of one replay when its threshold's comparison is the
expression's top or sits in the left operand of and/unless (see omen whatif --help).

Output: {"proposals": [{"file", "group", "alert", "changes": [{"field", "from", "to"}],
"before", "after", "validation": {"folds", "before", "after", "spread"}, "why", "incidents"}],
"skipped": [{"alert", "reason"}], "splits": [...]}, the JSON omen pr and omen apply read;
--format table or markdown shows before/after per proposal and the reason in words.

--write DIR writes every changed rule file under DIR at the same relative path, through the
minimal editor: only the changed numbers and durations differ from the original bytes (each
file written to a temporary file and renamed). --split auto|LABEL also looks for rules where
one threshold does not fit all series and proposes a rule of their own for one label value
(listed under "splits"; never written, since it changes the file's structure). --pr delivers
the proposals as omen pr does (one branch, one commit, one pull request with --forge); its
outcome is then the output, and --output keeps the proposals.`,
		Example: `  omen tune --prometheus http://prometheus:9090 --rules rules/ --incidents pirs/ --start now-12w \
      --max-pages-per-week 2 --format json > proposals.json
  omen tune --prometheus http://vm:8428 --rules rules/ --incidents pirs/ --start now-12w --write tuned/
  omen tune --prometheus http://prometheus:9090 --rules repo/rules --incidents pirs/ --start now-12w \
      --max-pages-per-week 3 --min-lead 0 --pr --repo repo --forge github --token-file /run/secrets/github`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.minLeadSet = cmd.Flags().Changed("min-lead")
			format := g.Format
			if !cmd.Flags().Changed("format") && o.PR {
				format = "json"
			}
			return runTune(cmd, g, o, format)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.Alerts, "alert", nil, "tune only the alert `NAME` (repeatable; default every alerting rule)")
	f.StringVar(&o.Group, "group", "", "tune only the rules of this group")
	f.StringArrayVar(&o.Incidents, "incidents", nil, "the incidents: `PATH` of a file or a directory of reviews and exports (repeatable; required)")
	f.Var(durationValue{d: &o.LeadWindow}, "lead-window", "how long before an incident's start a firing still matches it (default 6h)")
	f.BoolVar(&o.IncludeDrills, "include-drills", false, "count drills, tests and game days as incidents")
	f.Float64Var(&o.MaxPages, "max-pages-per-week", 0, "paging budget of each rule, pages per week; firings for a rule that does not page (0: none)")
	f.Float64Var(&o.MaxPagesTotal, "max-pages-per-week-total", 0, "paging budget of all the rules tuned together, pages per week (0: none)")
	f.Float64Var(&o.MinPrecision, "min-precision", 0, "smallest share of firings that must match an incident (0: none)")
	f.Var(durationValue{d: &o.MinLead, zeroOK: true}, "min-lead", "smallest median warning before an incident's start, e.g. 0 or 5m (default: none)")
	f.StringVar(&o.Fors, "for", "", "for durations to try, comma-separated (default 0,1m,2m,3m,4m,5m,6m,8m,10m,12m,15m,20m,25m,30m,40m,50m,1h)")
	f.StringVar(&o.KeepFiringFors, "keep-firing-for", "", "keep_firing_for durations to try, comma-separated (default: the rule's own only)")
	f.Float64Var(&o.MaxFactor, "max-factor", tuner.DefaultMaxFactor, "largest factor by which a threshold's distance from the signal's typical level may move")
	f.Var(durationValue{d: &o.MaxFor}, "max-for", "longest for proposed (default 1h)")
	f.Var(durationValue{d: &o.Fold}, "fold", "length of the validation folds (default 7d)")
	f.StringVar(&o.Split, "split", "", "also propose per-group thresholds: auto, or a `LABEL` (changes the rules' structure: opt-in)")
	f.StringVar(&o.Timezone, "timezone", "UTC", "IANA time zone in which night is 22:00–07:00")
	f.StringVar(&o.PageSeverities, "page-severities", "critical", "severity label values that page, comma-separated")
	f.StringVar(&o.Write, "write", "", "write the changed rule files under `DIR` at their relative paths")
	f.StringVar(&o.Output, "output", "", "write the proposals to `FILE` instead of stdout (atomically)")
	f.BoolVar(&o.PR, "pr", false, "deliver the proposals as omen pr does (needs --repo; the delivery flags are omen pr's)")
	f.StringVar(&o.pr.Repo, "repo", "", "with --pr: the rules repository, a `DIR` or a URL")
	o.pr.addDeliveryFlags(cmd)
	o.predictive.addFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(tuneFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("split", cobra.FixedCompletions([]string{"auto"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// tuneOut is the JSON of omen tune: the proposals file, with the splits.
type tuneOut struct {
	tuner.ProposalFile
	Splits   []tuner.SplitProposal `json:"splits,omitempty"`
	Folds    int                   `json:"validation_folds"`
	Requests int                   `json:"requests"`
	Written  []string              `json:"written,omitempty"`
}

func runTune(cmd *cobra.Command, g *globalOptions, o *tuneOptions, format string) error {
	ctx := cmd.Context()
	if !o.PR {
		if err := g.checkFormat(tuneFormats...); err != nil {
			return err
		}
	}
	if o.PR && o.pr.Repo == "" {
		return usagef("--pr needs --repo: the rules repository, a directory or a URL")
	}
	if o.PR {
		if err := o.pr.checkDelivery(); err != nil {
			return err
		}
	}
	out, selected, err := computeTune(ctx, g, o)
	if err != nil {
		return err
	}
	if o.Write != "" {
		if out.Written, err = writeTuned(o.Write, selected, out.Proposals); err != nil {
			return err
		}
		g.logger.Info("written", "dir", o.Write, "files", len(out.Written))
	}
	if o.PR {
		return o.deliver(cmd, g, out, format)
	}
	return writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		return writeTune(w, g, o.Output, format, out)
	})
}

// computeTune checks o, loads the rules and incidents, tunes the selected
// alerting rules (those of the files o.ownsFile owns, when set) and
// returns the proposals and the rules tuned (see omen tune).
func computeTune(ctx context.Context, g *globalOptions, o *tuneOptions) (tuneOut, []tuner.Rule, error) {
	switch {
	case o.MaxPages < 0 || o.MaxPagesTotal < 0 || math.IsNaN(o.MaxPages) || math.IsNaN(o.MaxPagesTotal):
		return tuneOut{}, nil, usagef("invalid --max-pages-per-week: want 0 (none) or more")
	case o.MinPrecision < 0 || o.MinPrecision > 1:
		return tuneOut{}, nil, usagef("invalid --min-precision %g: want a share in [0, 1]", o.MinPrecision)
	case o.MaxFactor <= 1:
		return tuneOut{}, nil, usagef("invalid --max-factor %g: want more than 1", o.MaxFactor)
	}
	cfg := tuner.TuneConfig{Split: o.Split, FoldLength: o.Fold, LeadWindow: o.LeadWindow, IncludeDrills: o.IncludeDrills}
	cfg.Objective = tuner.Objective{MaxPagesPerWeek: o.MaxPages, MaxPagesPerWeekTotal: o.MaxPagesTotal, MinPrecision: o.MinPrecision}
	if o.minLeadSet {
		d := o.MinLead
		cfg.Objective.MinLead = &d
	}
	cfg.Guardrails = tuner.Guardrails{MaxFactor: o.MaxFactor, MaxFor: o.MaxFor}
	var err error
	if o.Fors != "" {
		if cfg.Fors, err = parseDurations("for", o.Fors); err != nil {
			return tuneOut{}, nil, err
		}
	}
	if o.KeepFiringFors != "" {
		if cfg.KeepFiringFors, err = parseDurations("keep-firing-for", o.KeepFiringFors); err != nil {
			return tuneOut{}, nil, err
		}
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return tuneOut{}, nil, usagef("invalid --timezone %q: %v", o.Timezone, err)
	}
	cfg.Measure = tuner.MeasureConfig{Location: loc, PageSeverities: splitList(o.PageSeverities)}
	rules, start, end, err := o.load(g)
	if err != nil {
		return tuneOut{}, nil, err
	}
	var selected []tuner.Rule
	for _, r := range rules {
		if r.IsAlert() && (o.Group == "" || r.Group == o.Group) && (len(o.Alerts) == 0 || contains(o.Alerts, r.Alert)) &&
			(o.ownsFile == nil || o.ownsFile(r.File)) {
			selected = append(selected, r)
		}
	}
	if len(selected) == 0 {
		if o.ownsFile != nil {
			// A shard may own no rule file of a small repository.
			return tuneOut{ProposalFile: tuner.ProposalFile{Proposals: []tuner.Proposal{}}}, nil, nil
		}
		return tuneOut{}, nil, fmt.Errorf("%s: no alerting rule to tune%s", o.Rules, selectionSuffix(o.Group, nil))
	}
	labels := make([]map[string]string, len(selected))
	for i, r := range selected {
		labels[i] = r.Labels
	}
	warnUnpaged(g, labels, cfg.Measure.PageSeverities)
	incs, _, err := loadIncidents(g, o.Incidents, "", "", true)
	if err != nil {
		return tuneOut{}, nil, err
	}
	cfg.Incidents = incs
	src, err := g.source()
	if err != nil {
		return tuneOut{}, nil, err
	}
	cfg.ReplayConfig = tuner.ReplayConfig{Start: start, End: end, MaxPointsPerQuery: o.MaxPoints, Concurrency: g.MaxConcurrency, Rules: rules}
	cfg.Extra = o.predictive.extra() // tune_predictive.go
	p := g.startProgress(fmt.Sprintf("tuning %s", plural(len(selected), "rule")))
	defer p.Finish("")
	res, err := tuner.Tune(ctx, querier{src: src, g: g}, selected, cfg)
	if err != nil {
		return tuneOut{}, nil, err
	}
	p.Finish("tuned", "rules", len(selected), "proposals", len(res.Proposals), "skipped", len(res.Skipped), "requests", res.Queries)
	for _, w := range res.Warnings {
		g.logger.Warn("tune", "warning", w)
	}
	return tuneOut{ProposalFile: res.File(), Splits: res.Splits, Folds: res.Folds, Requests: res.Queries}, selected, nil
}

func writeTune(w io.Writer, g *globalOptions, output, format string, out tuneOut) error {
	switch format {
	case "json", "yaml":
		return writeData(w, format, out)
	}
	d := g.display(output)
	if err := writeTable(w, format, d, tuneTable(out)); err != nil {
		return err
	}
	if len(out.Splits) > 0 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		if err := writeTable(w, format, d, splitsTable(out.Splits)); err != nil {
			return err
		}
	}
	if len(out.Skipped) > 0 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return writeTable(w, format, d, skippedTable(out.Skipped))
	}
	return nil
}

// deliver hands the proposals to omen pr's delivery; the proposals go to
// --output when given.
func (o *tuneOptions) deliver(cmd *cobra.Command, g *globalOptions, out tuneOut, format string) error {
	if o.Output != "" {
		if err := writeOutput(cmd.Context(), o.Output, g.stdout, func(w io.Writer) error { return writeData(w, "json", out) }); err != nil {
			return err
		}
	}
	if len(out.Proposals) == 0 {
		g.logger.Info("nothing to deliver: no proposal", "skipped", len(out.Skipped))
		return writeData(g.stdout, "json", delivery.Outcome{ChangedFiles: []string{}})
	}
	f := out.ProposalFile
	if prefix := repoPrefix(o.pr.Repo, o.Rules); prefix != "" {
		f.Proposals = append([]tuner.Proposal(nil), f.Proposals...)
		for i := range f.Proposals {
			f.Proposals[i].File = filepath.ToSlash(filepath.Join(prefix, f.Proposals[i].File))
		}
	}
	if format != "json" && format != "yaml" && format != "table" && format != "markdown" {
		return usagef("invalid --format %q: want json, yaml, table or markdown", format)
	}
	return deliverProposals(cmd, g, o.pr, &f, format)
}

// repoPrefix returns the path of the rules' root inside a local
// repository directory, "" when the rules are its root, it is a URL, or
// they lie outside it.
func repoPrefix(repo, rules string) string {
	st, err := os.Stat(repo)
	if err != nil || !st.IsDir() {
		return ""
	}
	root := rules
	if st, err := os.Stat(rules); err == nil && !st.IsDir() {
		root = filepath.Dir(rules)
	}
	ra, err1 := filepath.Abs(repo)
	rr, err2 := filepath.Abs(root)
	if err1 != nil || err2 != nil {
		return ""
	}
	rel, err := filepath.Rel(ra, rr)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ""
	}
	return rel
}

// writeTuned applies the proposals to their rule files with the minimal
// editor and writes every changed file under dir at its relative path.
// Every file is edited before any is written; each is written to a
// temporary file and renamed.
func writeTuned(dir string, rules []tuner.Rule, ps []tuner.Proposal) ([]string, error) {
	paths := map[string]string{} // relative → on disk
	for _, r := range rules {
		paths[r.File] = r.Path
	}
	edited := map[string][]byte{}
	var order []string
	for _, p := range ps {
		src, ok := edited[p.File]
		if !ok {
			b, err := os.ReadFile(paths[p.File])
			if err != nil {
				return nil, fmt.Errorf("--write: %w", err)
			}
			src = b
			order = append(order, p.File)
		}
		out, err := delivery.EditRules(src, p.File, p)
		if err != nil {
			if errors.Is(err, delivery.ErrApplied) {
				edited[p.File] = src
				continue
			}
			return nil, fmt.Errorf("--write: %w", err)
		}
		edited[p.File] = out
	}
	var written []string
	for _, rel := range order {
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if !strings.HasPrefix(filepath.Clean(target), filepath.Clean(dir)) {
			return written, fmt.Errorf("--write: %s lies outside %s", rel, dir)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return written, fmt.Errorf("--write: %w", err)
		}
		perm := os.FileMode(0o644)
		if st, err := os.Stat(paths[rel]); err == nil {
			perm = st.Mode().Perm()
		}
		if err := yamledit.WriteFile(target, edited[rel], perm); err != nil {
			return written, fmt.Errorf("--write: %w", err)
		}
		written = append(written, target)
	}
	return written, nil
}

// fmtChanges is a proposal's changes in words, comma-separated.
func fmtChanges(cs []tuner.FieldChange) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmtChange(c)
	}
	return strings.Join(parts, ", ")
}

func fmtChange(c tuner.FieldChange) string {
	return fmt.Sprintf("%s %s → %s", c.Field, c.From, c.To)
}

func fmtPPW(m *tuner.ProposalMetrics) string {
	if m == nil || m.PagesPerWeek == nil {
		return "-"
	}
	return strconv.FormatFloat(*m.PagesPerWeek, 'f', 1, 64)
}

func fmtCaught(m *tuner.ProposalMetrics) string {
	if m == nil {
		return "-"
	}
	n, ok := m.Caught.Count()
	if !ok {
		return "-"
	}
	if total, ok := m.Missed.Count(); ok {
		return fmt.Sprintf("%d/%d", n, n+total)
	}
	return strconv.Itoa(n)
}

func beforeAfter(f func(*tuner.ProposalMetrics) string, b, a *tuner.ProposalMetrics) string {
	return f(b) + " → " + f(a)
}

func tuneTable(out tuneOut) tableData {
	t := tableData{
		Title: fmt.Sprintf("Tuning %s – %s: %s, %s left alone (validation: %s)", out.Start, out.End,
			plural(len(out.Proposals), "proposal"), plural(len(out.Skipped), "rule"), plural(out.Folds, "weekly fold")),
		Header:   []string{"FILE", "ALERT", "CHANGES", "PAGES/WEEK", "CAUGHT", "LEAD (MEDIAN)", "VALIDATION PAGES/WEEK", "VALIDATION CAUGHT", "WHY"},
		Detail:   "WHY",
		Optional: []string{"FILE", "VALIDATION CAUGHT", "VALIDATION PAGES/WEEK"},
		Cut:      []string{"FILE", "ALERT"},
	}
	for _, p := range out.Proposals {
		vp, vc := "-", "-"
		if v := p.Validation; v != nil {
			vp, vc = beforeAfter(fmtPPW, v.Before, v.After), beforeAfter(fmtCaught, v.Before, v.After)
		}
		lead := func(m *tuner.ProposalMetrics) string {
			if m == nil {
				return "-"
			}
			return fmtLead(m.LeadSecondsMedian)
		}
		t.Rows = append(t.Rows, []string{p.File, p.Alert, fmtChanges(p.Changes),
			beforeAfter(fmtPPW, p.Before, p.After), beforeAfter(fmtCaught, p.Before, p.After), beforeAfter(lead, p.Before, p.After),
			vp, vc, p.Why})
	}
	return t
}

func splitsTable(ss []tuner.SplitProposal) tableData {
	t := tableData{Title: "Per-group thresholds (--split; not written)", Header: []string{"ALERT", "SPLIT", "ADDED RULE", "REST", "WHY"}, Detail: "WHY"}
	for _, s := range ss {
		t.Rows = append(t.Rows, []string{s.Alert, fmt.Sprintf("%s=%q", s.Label, s.Value),
			fmt.Sprintf("%s for %s", s.Added.Expr, s.Added.For), fmt.Sprintf("%s for %s", s.Rest.Expr, s.Rest.For), s.Why})
	}
	return t
}

func skippedTable(ss []tuner.Skipped) tableData {
	t := tableData{Title: "Left alone", Header: []string{"FILE", "GROUP", "ALERT", "REASON"}, Detail: "REASON", Optional: []string{"GROUP"}}
	for _, s := range ss {
		t.Rows = append(t.Rows, []string{s.File, s.Group, s.Alert, s.Reason})
	}
	return t
}
