package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/bench/nab"
	"github.com/omenhq/omen/bench/smd"
)

type benchNABOptions struct {
	Data           string
	ThresholdsFrom string
	ThresholdsOut  string
	ResultsDir     string
	Workers        int
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
(the detector is run and optimised there) or a NAB thresholds.json.`,
		Example: `  omen bench nab --data ../shared/data/nab
  omen bench nab --data my-labelled-files --thresholds-from ../shared/data/nab`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBenchNAB(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "corpus `DIR` in NAB's layout")
	f.StringVar(&o.ThresholdsFrom, "thresholds-from", "", "take the thresholds from this corpus `DIR` or thresholds JSON")
	f.StringVar(&o.ThresholdsOut, "thresholds-out", "", "write the optimised thresholds to `FILE` (NAB's thresholds.json format)")
	f.StringVar(&o.ResultsDir, "results-dir", "", "write per-row scores to `DIR` in NAB's results layout")
	f.IntVar(&o.Workers, "workers", 0, "files scored in parallel (default: number of CPUs)")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}

func runBenchNAB(ctx context.Context, g *globalOptions, o *benchNABOptions) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	rep, err := nab.Run(ctx, nab.Options{DataDir: o.Data, Workers: o.Workers, ThresholdsFrom: o.ThresholdsFrom, ResultsDir: o.ResultsDir, Logger: g.logger})
	if err != nil {
		return err
	}
	if o.ThresholdsOut != "" && len(rep.Optima) > 0 {
		if err := writeOutput(ctx, o.ThresholdsOut, nil, func(w io.Writer) error { return nab.WriteThresholds(w, rep.Detector, rep.Optima) }); err != nil {
			return err
		}
	}
	if g.Format == "json" || g.Format == "yaml" {
		return writeData(g.stdout, g.Format, rep)
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
	if board, err := nab.ReadScoreboard(filepath.Join(o.Data, "results", "derived_scores_shared51_files.csv")); err == nil && o.ThresholdsFrom == "" {
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
	if o.ThresholdsFrom == "" && len(rep.Corpus.Categories()) > 1 {
		// Thresholds chosen elsewhere, as for files omen has not seen: each
		// category scored at the thresholds optimised on the others.
		folds := tableData{Header: []string{"CATEGORY FOLDS", "MEAN", "POOLED", "EACH ITS OWN"}, Right: []int{1, 2, 3}}
		for _, p := range rep.Results {
			fr := nab.CategoryFolds(rep.Corpus, rep.Scores, p.Profile)
			folds.Rows = append(folds.Rows, []string{p.Profile.Name, strconv.FormatFloat(fr.Mean, 'f', 2, 64), strconv.FormatFloat(fr.Pooled, 'f', 2, 64), strconv.FormatFloat(fr.Own, 'f', 2, 64)})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), folds); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(g.stdout, "%d workers: detection %s, whole run %s\n", rep.Workers, rep.Detect.Round(time.Millisecond), rep.Total.Round(time.Millisecond))
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
			rep, err := smd.Run(cmd.Context(), smd.Options{DataDir: data, Machines: machines, Workers: workers, Logger: g.logger})
			if err != nil {
				return err
			}
			if g.Format == "json" || g.Format == "yaml" {
				return writeData(g.stdout, g.Format, rep)
			}
			t := tableData{
				Title:  "SMD event-level evaluation (a priori threshold: 99.9th percentile of train scores)",
				Header: []string{"MACHINE", "DETECTOR", "THRESHOLD RULE", "EVENTS CAUGHT", "PRECISION", "RECALL", "F1"},
				Right:  []int{3, 4, 5, 6},
			}
			for _, m := range rep.Machines {
				for _, me := range m.Methods {
					t.Rows = append(t.Rows, []string{m.Name, me.Detector, me.Rule, fmt.Sprintf("%d/%d", me.Event.Caught, me.Event.Events),
						f3(me.Event.Precision), f3(me.Event.Recall), f3(me.Event.F1)})
				}
			}
			return writeTable(g.stdout, g.Format, g.display(""), t)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "data set `DIR` in SMD's layout")
	f.StringSliceVar(&machines, "machine", nil, "only these machines (e.g. machine-2-1)")
	f.IntVar(&workers, "workers", 0, "metrics scored in parallel (default: number of CPUs)")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}
