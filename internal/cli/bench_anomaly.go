package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/anomaly"
	"github.com/omenhq/omen/bench/nab"
	"github.com/omenhq/omen/bench/smd"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/cputime"
)

type benchNABOptions struct {
	Data           string
	ThresholdsFrom string
	ThresholdsOut  string
	ResultsDir     string
	Split          string
	Synthetic      uint64
	Curve          bool
	Verbose        bool
	Workers        int
}

// benchNABReport is what `omen bench nab` reports: NAB's scores, the
// category folds, the synthetic corpus at NAB's thresholds when asked, and
// the CPU time of the whole run.
type benchNABReport struct {
	*nab.Report
	Folds     []nab.FoldsResult   `json:"folds,omitempty"`
	Synthetic *nab.TransferReport `json:"synthetic,omitempty"`
	Curve     []nab.ProfileResult `json:"curve,omitempty"`
	CPU       time.Duration       `json:"cpu"`
}

func newBenchNABCmd(g *globalOptions) *cobra.Command {
	o := &benchNABOptions{}
	cmd := &cobra.Command{
		Use:   "nab",
		Short: "Score omen's anomaly detector on the Numenta Anomaly Benchmark",
		Long: `nab runs omen's streaming detector on every file of a corpus in NAB's layout (data/,
labels/combined_windows.json, config/profiles.json) and computes the NAB score exactly as
NAB does: probation period, scaled-sigmoid window weights, one threshold per profile
optimised on the corpus, normalisation between the null and the perfect detector. It
prints the three profiles, a per-category breakdown and, when the corpus holds
results/derived_scores_shared51_files.csv, the published scoreboard beside omen.

A last table scores each category at the thresholds optimised on the other categories (the
mean of those scores, the same pooled over the corpus, and the figure when each category
picks its own): the situation of files the thresholds were not chosen on.

--thresholds-from scores the corpus at thresholds chosen elsewhere: another corpus folder
(the detector is run and optimised there) or a NAB thresholds.json.

--split is the protocol of bench/ANOMALY-NOTES.md: "dev" scores every file but omen's fixed
held-out ones (thresholds optimised on those), "holdout" scores the held-out files at the
development files' thresholds (the once-only final check), "all" (the default) every file.
--synthetic SEED also scores the synthetic infrastructure corpus of that seed (OOM drops,
level shifts, stuck sensors, drifts, spikes under daily cycles, pure noise) at the NAB
thresholds, and counts its events at omen's default threshold. --verbose adds the score of
every file and of every category fold; --curve the standard score at fixed thresholds.`,
		Example: `  omen bench nab --data ../shared/data/nab
  omen bench nab --data ../shared/data/nab --split dev --synthetic 1
  omen bench nab --data my-labelled-files --thresholds-from ../shared/data/nab`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBenchNAB(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "corpus `DIR` in NAB's layout")
	f.StringVar(&o.ThresholdsFrom, "thresholds-from", "", "take the thresholds from this corpus `DIR` or thresholds JSON")
	f.StringVar(&o.ThresholdsOut, "thresholds-out", "", "write the optimised thresholds to `FILE` (NAB's thresholds.json format)")
	f.StringVar(&o.ResultsDir, "results-dir", "", "write per-row scores to `DIR` in NAB's results layout")
	f.StringVar(&o.Split, "split", nab.SplitAllFiles, "files scored: all, dev (all but the held-out files) or holdout (those, at the dev files' thresholds)")
	f.Uint64Var(&o.Synthetic, "synthetic", 0, "also score the synthetic corpus of this `SEED` at the NAB thresholds (0: no)")
	f.BoolVar(&o.Curve, "curve", false, "also print the standard score at fixed thresholds 0.200, 0.225, …, 0.800")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "also print every file's score and every category fold")
	f.IntVar(&o.Workers, "workers", 0, "files scored in parallel (default: number of CPUs)")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}

func runBenchNAB(ctx context.Context, g *globalOptions, o *benchNABOptions) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	switch o.Split {
	case nab.SplitAllFiles, nab.SplitDevFiles, nab.SplitHeldOutFiles:
	default:
		return usagef("invalid --split %q: want all, dev or holdout", o.Split)
	}
	if o.Split == nab.SplitHeldOutFiles && o.ThresholdsFrom != "" {
		return usagef("--split holdout takes its thresholds from the development files: drop --thresholds-from")
	}
	if o.Split == nab.SplitHeldOutFiles {
		g.logger.Info("scoring the held-out files: the once-only final check of bench/ANOMALY-NOTES.md")
	}
	cpu0 := cputime.Process()
	rep, err := nab.Run(ctx, nab.Options{DataDir: o.Data, Workers: o.Workers, ThresholdsFrom: o.ThresholdsFrom, ResultsDir: o.ResultsDir, Split: o.Split, Logger: g.logger})
	if err != nil {
		return err
	}
	out := benchNABReport{Report: rep}
	if o.ThresholdsFrom == "" && o.Split != nab.SplitHeldOutFiles && len(rep.Corpus.Categories()) > 1 {
		// Thresholds chosen elsewhere, as for files omen has not seen: each
		// category scored at the thresholds optimised on the others.
		for _, p := range rep.Results {
			out.Folds = append(out.Folds, nab.CategoryFolds(rep.Corpus, rep.Scores, p.Profile))
		}
	}
	if o.Curve {
		e := nab.NewEvaluator(rep.Corpus)
		for i := 0; i <= 24; i++ {
			out.Curve = append(out.Curve, e.Score(rep.Scores, nab.Standard, 0.2+0.025*float64(i)))
		}
	}
	if o.Synthetic != 0 {
		if len(rep.Optima) == 0 {
			return usagef("--synthetic needs thresholds optimised on a corpus, not read from a file")
		}
		sc := nab.SyntheticCorpus(o.Synthetic, fixtures.AnomalyCorpusConfig{})
		if out.Synthetic, err = nab.Transfer(ctx, sc, rep.Optima, nil, o.Workers); err != nil {
			return err
		}
	}
	out.CPU = cputime.Process() - cpu0
	if o.ThresholdsOut != "" && len(rep.Optima) > 0 {
		if err := writeOutput(ctx, o.ThresholdsOut, nil, func(w io.Writer) error { return nab.WriteThresholds(w, rep.Detector, rep.Optima) }); err != nil {
			return err
		}
	}
	if g.Format == "json" || g.Format == "yaml" {
		return writeData(g.stdout, g.Format, out)
	}
	scores := tableData{
		Title:  fmt.Sprintf("NAB on %d files, %d rows (thresholds %s)", rep.Files, rep.Rows, rep.ThresholdsFrom),
		Header: []string{"DETECTOR", "STANDARD", "REWARD LOW FP", "REWARD LOW FN"},
		Right:  []int{1, 2, 3},
	}
	row := []string{"omen (this run)"}
	for _, r := range rep.Results {
		row = append(row, strconv.FormatFloat(r.Score, 'f', 2, 64))
	}
	scores.Rows = append(scores.Rows, row)
	if board, err := nab.ReadScoreboard(filepath.Join(o.Data, "results", "derived_scores_shared51_files.csv")); err == nil && o.ThresholdsFrom == "" && o.Split == nab.SplitAllFiles {
		scores.Rows = append(scores.Rows, board...)
	}
	if err := writeTable(g.stdout, g.Format, g.display(""), scores); err != nil {
		return err
	}
	profiles := tableData{Header: []string{"PROFILE", "THRESHOLD", "WINDOWS DETECTED", "FALSE-POSITIVE ROWS", "RAW"}, Right: []int{1, 2, 3, 4}}
	for _, r := range rep.Results {
		profiles.Rows = append(profiles.Rows, []string{r.Profile.Name, strconv.FormatFloat(r.Threshold, 'f', 4, 64), fmt.Sprintf("%d/%d", r.Detected, r.Windows), strconv.Itoa(r.FP), strconv.FormatFloat(r.Raw, 'f', 2, 64)})
	}
	if err := writeTable(g.stdout, g.Format, g.display(""), profiles); err != nil {
		return err
	}
	cats := tableData{Header: []string{"CATEGORY (STANDARD)", "FILES", "SCORE", "WINDOWS DETECTED", "FALSE-POSITIVE ROWS"}, Right: []int{1, 2, 3, 4}}
	for _, c := range rep.Results[0].Categories {
		s := "–"
		if c.Scored {
			s = strconv.FormatFloat(c.Score, 'f', 2, 64)
		}
		cats.Rows = append(cats.Rows, []string{c.Category, strconv.Itoa(c.Files), s, fmt.Sprintf("%d/%d", c.Detected, c.Windows), strconv.Itoa(c.FP)})
	}
	if err := writeTable(g.stdout, g.Format, g.display(""), cats); err != nil {
		return err
	}
	if len(out.Folds) > 0 {
		folds := tableData{Header: []string{"CATEGORY FOLDS", "MEAN", "POOLED", "EACH ITS OWN"}, Right: []int{1, 2, 3}}
		for _, fr := range out.Folds {
			folds.Rows = append(folds.Rows, []string{fr.Profile.Name, f2(fr.Mean), f2(fr.Pooled), f2(fr.Own)})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), folds); err != nil {
			return err
		}
		if o.Verbose {
			fold := tableData{Header: []string{"FOLD (STANDARD)", "THRESHOLD", "SCORE", "OWN THRESHOLD'S", "WINDOWS DETECTED", "FALSE-POSITIVE ROWS"}, Right: []int{1, 2, 3, 4, 5}}
			for _, f := range out.Folds[0].Folds {
				fold.Rows = append(fold.Rows, []string{f.Name, f4(f.Threshold), f2(f.Result.Score), f2(f.Own), fmt.Sprintf("%d/%d", f.Result.Detected, f.Result.Windows), strconv.Itoa(f.Result.FP)})
			}
			if err := writeTable(g.stdout, g.Format, g.display(""), fold); err != nil {
				return err
			}
		}
	}
	if o.Verbose {
		files := tableData{Header: []string{"FILE (STANDARD)", "SCORE", "WINDOWS DETECTED", "FALSE-POSITIVE ROWS"}, Right: []int{1, 2, 3}}
		for _, f := range rep.Results[0].Files {
			files.Rows = append(files.Rows, []string{f.Name, f2(f.Score), fmt.Sprintf("%d/%d", f.Detected, f.Windows), strconv.Itoa(f.FP)})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), files); err != nil {
			return err
		}
	}
	if len(out.Curve) > 0 {
		curve := tableData{Header: []string{"THRESHOLD", "STANDARD", "WINDOWS DETECTED", "FALSE-POSITIVE ROWS"}, Right: []int{0, 1, 2, 3}}
		for _, r := range out.Curve {
			curve.Rows = append(curve.Rows, []string{f3(r.Threshold), f2(r.Score), fmt.Sprintf("%d/%d", r.Detected, r.Windows), strconv.Itoa(r.FP)})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), curve); err != nil {
			return err
		}
	}
	if sy := out.Synthetic; sy != nil {
		st := tableData{
			Title:  fmt.Sprintf("synthetic corpus, seed %d: %d series, %d rows, at the NAB thresholds", o.Synthetic, sy.Files, sy.Rows),
			Header: []string{"PROFILE", "THRESHOLD", "SCORE", "AT ITS OWN OPTIMUM", "WINDOWS DETECTED", "FALSE-POSITIVE ROWS"},
			Right:  []int{1, 2, 3, 4, 5},
		}
		for i, r := range sy.Results {
			st.Rows = append(st.Rows, []string{r.Profile.Name, f4(r.Threshold), f2(r.Score), fmt.Sprintf("%s at %s", f2(sy.Own[i].Score), f4(sy.Own[i].Threshold)), fmt.Sprintf("%d/%d", r.Detected, r.Windows), strconv.Itoa(r.FP)})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), st); err != nil {
			return err
		}
		ev := tableData{
			Title:  fmt.Sprintf("synthetic events at the default threshold %.2f", anomaly.Threshold),
			Header: []string{"KIND", "SERIES", "CAUGHT", "FALSE INTERVALS", "PER 30 DAYS"},
			Right:  []int{1, 2, 3, 4},
		}
		for _, e := range sy.Events {
			ev.Rows = append(ev.Rows, []string{e.Category, strconv.Itoa(e.Files), fmt.Sprintf("%d/%d", e.Caught, e.Windows), strconv.Itoa(e.False), f2(e.FalsePer30Days)})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), ev); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(g.stdout, "%d workers: detection %s, whole run %s wall, %s CPU (%.1f µs CPU per row)\n", rep.Workers,
		rep.Detect.Round(time.Millisecond), rep.Total.Round(time.Millisecond), out.CPU.Round(time.Millisecond), float64(out.CPU.Microseconds())/float64(max(rep.Rows, 1)))
	return err
}

func newBenchSMDCmd(g *globalOptions) *cobra.Command {
	var data string
	var machines []string
	var workers int
	cmd := &cobra.Command{
		Use:   "smd",
		Short: "Score omen's multi-metric detector on the Server Machine Dataset",
		Long: `smd runs omen's machine detector (all metrics of a machine at once) on each machine of a
data set in SMD's layout (train/, test/, test_label/, interpretation_label/) and reports
event-level precision, recall and F1 beside a plain per-metric z-score baseline.

An event (a run of labelled rows) is caught when any of its rows is flagged; precision is
counted over flagged rows. Both detectors take their threshold a priori, with no labels:
the 99.9th percentile of their own scores on the train half. The best threshold in
hindsight (oracle) is shown too, and how often omen's top contributing metric is one of
the metrics the labels name.`,
		Example: `  omen bench smd --data ../shared/data/smd`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat(tableFormats...); err != nil {
				return err
			}
			cpu0 := cputime.Process()
			rep, err := smd.Run(cmd.Context(), smd.Options{DataDir: data, Machines: machines, Workers: workers, Logger: g.logger})
			if err != nil {
				return err
			}
			out := struct {
				*smd.Report
				CPU time.Duration `json:"cpu"`
			}{rep, cputime.Process() - cpu0}
			if g.Format == "json" || g.Format == "yaml" {
				return writeData(g.stdout, g.Format, out)
			}
			t := tableData{
				Title:  "SMD event-level evaluation (a priori threshold: 99.9th percentile of train scores)",
				Header: []string{"MACHINE", "DETECTOR", "THRESHOLD RULE", "EVENTS CAUGHT", "PRECISION", "RECALL", "F1", "ALARMS (FALSE)", "POINT F1", "POINT-ADJUSTED F1"},
				Right:  []int{3, 4, 5, 6, 7, 8, 9},
			}
			for _, m := range rep.Machines {
				for _, me := range m.Methods {
					t.Rows = append(t.Rows, []string{m.Name, me.Detector, me.Rule, fmt.Sprintf("%d/%d", me.Event.Caught, me.Event.Events),
						f3(me.Event.Precision), f3(me.Event.Recall), f3(me.Event.F1),
						fmt.Sprintf("%d (%d)", me.Event.Alarms, me.Event.FalseAlarms), f3(me.PointF1), f3(me.AdjustedF1)})
				}
			}
			if err := writeTable(g.stdout, g.Format, g.display(""), t); err != nil {
				return err
			}
			for _, m := range rep.Machines {
				fmt.Fprintf(g.stdout, "%s: %d metrics, %d train + %d test rows, %d labelled events; omen's top contributing metric is in the interpretation label for %d of the %d interpreted events it flags; omen took %s.\n",
					m.Name, m.Metrics, m.Train, m.Test, m.Events, m.Explained, m.Interpreted, m.Detect.Round(time.Millisecond))
			}
			_, err = fmt.Fprintf(g.stdout, "whole run %s wall, %s CPU\n", rep.Total.Round(time.Millisecond), out.CPU.Round(time.Millisecond))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "data set `DIR` in SMD's layout")
	f.StringSliceVar(&machines, "machine", nil, "only these machines (e.g. machine-2-1)")
	f.IntVar(&workers, "workers", 0, "metrics scored in parallel (default: number of CPUs)")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}
