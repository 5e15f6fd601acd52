// Command m4bench scores forecasting models on M4-format files with
// bench/m4.Run. It is the development harness behind bench/RESULTS.md; the
// user-facing command is `omen bench m4`.
//
//	go run ./bench/m4/cmd/m4bench -models snaive,auto \
//	    -train ../shared/data/m4-hourly/Hourly-train.csv -test ../shared/data/m4-hourly/Hourly-test.csv
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/omenhq/omen/bench/m4"
)

func main() {
	train := flag.String("train", "../shared/data/m4-hourly/Hourly-train.csv", "training file")
	test := flag.String("test", "../shared/data/m4-hourly/Hourly-test.csv", "test file")
	models := flag.String("models", "auto", "comma-separated model names")
	period := flag.Int("period", 24, "seasonal period (MASE, Naive2)")
	horizon := flag.Int("horizon", 48, "forecast horizon")
	workers := flag.Int("workers", 1, "parallel workers")
	limit := flag.Int("limit", 0, "only the first N series")
	level := flag.Float64("level", 0.8, "interval level")
	out := flag.String("forecasts-out", "", "write the forecasts of the last model here")
	verbose := flag.Bool("v", false, "print per-series scores")
	holdout := flag.Bool("holdout", false, "score on the last horizon values of the training file")
	conformal := flag.Bool("conformal", false, "empirical intervals from rolling-origin validation")
	flag.Parse()
	fmt.Printf("%-14s %8s %7s %7s %8s %8s %10s %8s %10s  %s\n", "model", "sMAPE", "MASE", "OWA", "cover", "MSIS", "ms/series", "cpu ms", "wall", "choices")
	for _, name := range strings.Split(*models, ",") {
		opts := m4.Options{TrainPath: *train, TestPath: *test, Model: name, Period: *period, Horizon: *horizon, Workers: *workers, Limit: *limit, Level: *level, HoldOut: *holdout, Conformal: *conformal}
		var f *os.File
		if *out != "" {
			var err error
			if f, err = os.Create(*out); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			opts.ForecastsOut = f
		}
		cpu0 := cpuTime()
		rep, err := m4.Run(context.Background(), opts)
		cpu := cpuTime() - cpu0
		if f != nil {
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if *verbose {
			for _, s := range rep.PerSeries {
				fmt.Printf("  %-6s smape %7.3f (n2 %7.3f) mase %6.3f (n2 %6.3f) cov %.2f %-10s %s\n", s.ID, s.SMAPE, s.Naive2SMAPE, s.MASE, s.Naive2MASE, s.Coverage, s.Model, s.Reason)
			}
		}
		ch := rep.ChoiceList()
		if len(ch) > 6 {
			ch = ch[:6]
		}
		fmt.Printf("%-14s %8.3f %7.3f %7.3f %8.3f %8.3f %10.3f %8.3f %10s  %s\n", name, rep.SMAPE, rep.MASE, rep.OWA, rep.Coverage, rep.MSIS,
			float64(rep.TimePerSeries)/float64(time.Millisecond), float64(cpu)/float64(time.Millisecond)/float64(rep.Series),
			rep.WallTime.Round(time.Millisecond), strings.Join(ch, " "))
	}
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
