package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/bench/m4"
	"github.com/omenhq/omen/forecast"
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
	cmd.AddCommand(newBenchM4Cmd(g), newBenchNABCmd(g), newBenchSMDCmd(g), newBenchCapacityCmd(g), newBenchScaleCmd(g))
	return asGroup(cmd)
}

type benchM4Options struct {
	Train, Test  string
	Model        string
	Period       int
	Horizon      int
	Step         time.Duration
	Level        float64
	Workers      int
	Limit        int
	HoldOut      bool
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
intervals and the time per series.

--period and --horizon (defaults 24 and 48, M4 hourly) let the same command score any
set in this format; --step (default 24h/period) tells the automatic model which daily
and weekly periods to look for: 5m for 5-minute data.`,
		Example: `  omen bench m4 --train ../shared/data/m4-hourly/Hourly-train.csv --test ../shared/data/m4-hourly/Hourly-test.csv
  omen bench m4 --train train.csv --test test.csv --period 288 --horizon 288 --step 5m --forecasts-out f.csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchM4(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Train, "train", "", "training `FILE` (M4 wide CSV)")
	f.StringVar(&o.Test, "test", "", "test `FILE` (M4 wide CSV)")
	f.StringVar(&o.Model, "model", "auto", "model: "+strings.Join(forecast.ModelNames(), ", "))
	f.IntVar(&o.Period, "period", 24, "seasonal period for MASE and Naive2, in samples")
	f.IntVar(&o.Horizon, "horizon", 48, "forecast horizon, in samples")
	f.Var(durationValue{d: &o.Step}, "step", "sampling step of the data (default 24h/period)")
	f.Float64Var(&o.Level, "level", forecast.DefaultLevel, "nominal coverage of the prediction intervals")
	f.IntVar(&o.Workers, "workers", 0, "series forecast in parallel (default: number of CPUs)")
	f.IntVar(&o.Limit, "limit", 0, "score only the first N series")
	f.BoolVar(&o.HoldOut, "hold-out", false, "score on the last --horizon values of the training series (ignores --test)")
	f.StringVar(&o.ForecastsOut, "forecasts-out", "", "write the point forecasts to `FILE` as id,F1,…,FH")
	_ = cmd.MarkFlagRequired("train")
	return cmd
}

func runBenchM4(ctx context.Context, g *globalOptions, o *benchM4Options) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	if o.Test == "" && !o.HoldOut {
		return usagef("--test is required (or --hold-out)")
	}
	if _, err := forecast.ByName(o.Model); err != nil {
		return usagef("invalid --model %q: want one of %s", o.Model, strings.Join(forecast.ModelNames(), ", "))
	}
	opts := m4.Options{
		TrainPath: o.Train, TestPath: o.Test, Model: o.Model, Period: o.Period, Horizon: o.Horizon,
		Step: o.Step, Level: o.Level, Workers: o.Workers, Limit: o.Limit, HoldOut: o.HoldOut, Logger: g.logger,
	}
	run := func(w io.Writer) (*m4.Report, error) {
		opts.ForecastsOut = w
		return m4.Run(ctx, opts)
	}
	var rep *m4.Report
	var err error
	if o.ForecastsOut != "" {
		err = writeOutput(ctx, o.ForecastsOut, nil, func(w io.Writer) error {
			var e error
			rep, e = run(w)
			return e
		})
	} else {
		rep, err = run(nil)
	}
	if err != nil {
		return err
	}
	if g.Format == "json" || g.Format == "yaml" {
		return writeData(g.stdout, g.Format, rep)
	}
	t := tableData{
		Title:  fmt.Sprintf("%s on %d series (period %d, horizon %d, %d workers)", rep.Model, rep.Series, rep.Period, rep.Horizon, rep.Workers),
		Header: []string{"METHOD", "sMAPE", "MASE", "OWA", fmt.Sprintf("%.0f%% COVERAGE", rep.Level*100), "MSIS", "TIME/SERIES", "WALL"},
		Right:  []int{1, 2, 3, 4, 5, 6, 7},
		Rows: [][]string{
			{rep.Model, f3(rep.SMAPE), f3(rep.MASE), f3(rep.OWA), f3(rep.Coverage * 100), f3(rep.MSIS), rep.TimePerSeries.Round(time.Microsecond).String(), rep.WallTime.Round(time.Millisecond).String()},
			{"Naive2", f3(rep.Naive2SMAPE), f3(rep.Naive2MASE), "1.000", "", "", "", ""},
		},
	}
	if err := writeTable(g.stdout, g.Format, g.display(""), t); err != nil {
		return err
	}
	if len(rep.Choices) > 0 && g.Format == "table" {
		names := make([]string, 0, len(rep.Choices))
		for k := range rep.Choices {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool { return rep.Choices[names[i]] > rep.Choices[names[j]] })
		var parts []string
		for _, k := range names {
			parts = append(parts, k+" ×"+strconv.Itoa(rep.Choices[k]))
		}
		fmt.Fprintf(g.stdout, "choices: %s\n", strings.Join(parts, ", "))
	}
	if rep.WarnedSeries > 0 {
		fmt.Fprintf(os.Stderr, "%d series had forecast warnings (see --log-level debug)\n", rep.WarnedSeries)
	}
	return nil
}

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
