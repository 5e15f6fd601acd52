package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/bench/m4"
	"github.com/omenhq/omen/forecast"
	"github.com/omenhq/omen/internal/cputime"
)

func newBenchCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Score omen on public benchmark data",
		Long: `bench runs omen's analyses on public benchmark data sets and scores them exactly as the
benchmarks' authors do, so every accuracy claim can be checked on your own machine.`,
		Example: `  omen bench m4 --train Hourly-train.csv --test Hourly-test.csv
  omen bench nab --data ../shared/data/nab
  omen bench smd --data ../shared/data/smd`,
		Args: noArgs,
	}
	cmd.AddCommand(newBenchM4Cmd(g), newBenchNABCmd(g), newBenchSMDCmd(g), newBenchCapacityCmd(g), newBenchScaleCmd(g), newBenchFleetImportCmd(g))
	return asGroup(cmd)
}

type benchM4Options struct {
	Train, Test  string
	Models       []string
	Period       int
	Horizon      int
	Step         time.Duration
	Level        float64
	Workers      int
	Limit        int
	HoldOut      bool
	Conformal    bool
	Verbose      bool
	ForecastsOut string
}

func newBenchM4Cmd(g *globalOptions) *cobra.Command {
	o := &benchM4Options{}
	cmd := &cobra.Command{
		Use:   "m4",
		Short: "Score forecasts on M4-format files: sMAPE, MASE, OWA vs Naive2, interval coverage",
		Long: `m4 forecasts every series of an M4-format training file (wide CSV: id, then values) and
scores the forecasts against the test file with sMAPE, MASE and OWA relative to Naive2,
computed exactly as the M4 competition does, plus the coverage of the prediction
intervals, the wall time per series and the CPU time per series (which does not depend on
what else the machine is doing).

--model takes a comma-separated list: one row per model. --period and --horizon (defaults
24 and 48, M4 hourly) let the same command score any set in this format; --step (default
24h/period) tells the automatic model which daily and weekly periods to look for: 5m for
5-minute data. --conformal replaces each model's intervals by empirical ones from
rolling-origin validation; --verbose adds the scores of every series.

With --format json or yaml, one model gives its report and several give a list.`,
		Example: `  omen bench m4 --train ../shared/data/m4-hourly/Hourly-train.csv --test ../shared/data/m4-hourly/Hourly-test.csv
  omen bench m4 --train Hourly-train.csv --test Hourly-test.csv --model snaive,ets,auto --conformal
  omen bench m4 --train train.csv --test test.csv --period 288 --horizon 288 --step 5m --forecasts-out f.csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchM4(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Train, "train", "", "training `FILE` (M4 wide CSV)")
	f.StringVar(&o.Test, "test", "", "test `FILE` (M4 wide CSV)")
	f.StringSliceVar(&o.Models, "model", []string{"auto"}, "comma-separated `MODELS`: "+strings.Join(forecast.ModelNames(), ", "))
	f.IntVar(&o.Period, "period", 24, "seasonal period for MASE and Naive2, in samples")
	f.IntVar(&o.Horizon, "horizon", 48, "forecast horizon, in samples")
	f.Var(durationValue{d: &o.Step}, "step", "sampling step of the data (default 24h/period)")
	f.Float64Var(&o.Level, "level", forecast.DefaultLevel, "nominal coverage of the prediction intervals")
	f.IntVar(&o.Workers, "workers", 0, "series forecast in parallel (default: number of CPUs)")
	f.IntVar(&o.Limit, "limit", 0, "score only the first N series")
	f.BoolVar(&o.HoldOut, "hold-out", false, "score on the last --horizon values of the training series (ignores --test)")
	f.BoolVar(&o.Conformal, "conformal", false, "empirical intervals from rolling-origin validation instead of the models' own")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "also print the scores of every series")
	f.StringVar(&o.ForecastsOut, "forecasts-out", "", "write the point forecasts of the last model to `FILE` as id,F1,…,FH")
	_ = cmd.MarkFlagRequired("train")
	return cmd
}

// benchM4Result is one model's report with the CPU time it took.
type benchM4Result struct {
	*m4.Report
	// CPU is the process's user and system CPU time during the run.
	CPU time.Duration
}

func runBenchM4(ctx context.Context, g *globalOptions, o *benchM4Options) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	if o.Test == "" && !o.HoldOut {
		return usagef("--test is required (or --hold-out)")
	}
	if len(o.Models) == 0 {
		return usagef("--model needs at least one model: %s", strings.Join(forecast.ModelNames(), ", "))
	}
	for _, m := range o.Models {
		if _, err := forecast.ByName(m); err != nil {
			return usagef("invalid --model %q: want one of %s", m, strings.Join(forecast.ModelNames(), ", "))
		}
	}
	var results []benchM4Result
	for i, model := range o.Models {
		opts := m4.Options{
			TrainPath: o.Train, TestPath: o.Test, Model: model, Period: o.Period, Horizon: o.Horizon,
			Step: o.Step, Level: o.Level, Workers: o.Workers, Limit: o.Limit, HoldOut: o.HoldOut,
			Conformal: o.Conformal, Logger: g.logger,
		}
		run := func(w io.Writer) (benchM4Result, error) {
			opts.ForecastsOut = w
			cpu0 := cputime.Process()
			rep, err := m4.Run(ctx, opts)
			return benchM4Result{Report: rep, CPU: cputime.Process() - cpu0}, err
		}
		var res benchM4Result
		var err error
		if o.ForecastsOut != "" && i == len(o.Models)-1 {
			err = writeOutput(ctx, o.ForecastsOut, nil, func(w io.Writer) error {
				var e error
				res, e = run(w)
				return e
			})
		} else {
			res, err = run(nil)
		}
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	if g.Format == "json" || g.Format == "yaml" {
		if len(results) == 1 {
			return writeData(g.stdout, g.Format, results[0])
		}
		return writeData(g.stdout, g.Format, results)
	}
	first := results[0]
	t := tableData{
		Title:  fmt.Sprintf("M4 scores on %d series (period %d, horizon %d, %d workers)", first.Series, first.Period, first.Horizon, first.Workers),
		Header: []string{"METHOD", "sMAPE", "MASE", "OWA", fmt.Sprintf("%.0f%% COVERAGE", first.Level*100), "MSIS", "TIME/SERIES", "CPU/SERIES", "WALL"},
		Right:  []int{1, 2, 3, 4, 5, 6, 7, 8},
	}
	for _, r := range results {
		t.Rows = append(t.Rows, []string{r.Model, f3(r.SMAPE), f3(r.MASE), f3(r.OWA), f3(r.Coverage * 100), f3(r.MSIS),
			r.TimePerSeries.Round(time.Microsecond).String(), (r.CPU / time.Duration(max(r.Series, 1))).Round(time.Microsecond).String(),
			r.WallTime.Round(time.Millisecond).String()})
	}
	t.Rows = append(t.Rows, []string{"Naive2", f3(first.Naive2SMAPE), f3(first.Naive2MASE), "1.000", "", "", "", "", ""})
	if err := writeTable(g.stdout, g.Format, g.display(""), t); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Choices) > 0 && g.Format == "table" {
			names := make([]string, 0, len(r.Choices))
			for k := range r.Choices {
				names = append(names, k)
			}
			sort.Slice(names, func(i, j int) bool {
				if r.Choices[names[i]] != r.Choices[names[j]] {
					return r.Choices[names[i]] > r.Choices[names[j]]
				}
				return names[i] < names[j]
			})
			var parts []string
			for _, k := range names {
				parts = append(parts, k+" ×"+strconv.Itoa(r.Choices[k]))
			}
			fmt.Fprintf(g.stdout, "%s chose: %s\n", r.Model, strings.Join(parts, ", "))
		}
		if r.WarnedSeries > 0 {
			fmt.Fprintf(g.stderr, "%s: %d series had forecast warnings (see --log-level debug)\n", r.Model, r.WarnedSeries)
		}
		if !o.Verbose {
			continue
		}
		per := tableData{
			Title:  r.Model + ", per series",
			Header: []string{"SERIES", "sMAPE", "NAIVE2 sMAPE", "MASE", "NAIVE2 MASE", "COVERAGE", "MODEL", "REASON"},
			Right:  []int{1, 2, 3, 4, 5},
		}
		for _, s := range r.PerSeries {
			per.Rows = append(per.Rows, []string{s.ID, f3(s.SMAPE), f3(s.Naive2SMAPE), f3(s.MASE), f3(s.Naive2MASE), f3(s.Coverage * 100), s.Model, s.Reason})
		}
		if err := writeTable(g.stdout, g.Format, g.display(""), per); err != nil {
			return err
		}
	}
	return nil
}

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func f4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
