// Command nabbench runs omen's default anomaly detector on a corpus in
// NAB's layout and prints the NAB scores. It is the development harness
// behind the anomaly section of bench/RESULTS.md and the protocol of
// bench/ANOMALY-NOTES.md (round 3); the user-facing command is
// `omen bench nab`.
//
//	go run ./bench/nab/cmd/nabbench -data ../shared/data/nab -cv -synthetic 1   # development
//	go run ./bench/nab/cmd/nabbench -data ../shared/data/nab -split holdout       # once, at the end
//	go run ./bench/nab/cmd/nabbench -data ../shared/data/nab -split all -markdown # the 51 files
//	go run ./bench/nab/cmd/nabbench -data HIDDEN -thresholds-from ../shared/data/nab
//
// -split dev (the default) leaves out the held-out files (nab.Holdout) and
// optimises the thresholds on the other 39; -split holdout scores the
// held-out files at those thresholds; -split all uses every file.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/omenhq/omen/anomaly"
	"github.com/omenhq/omen/bench/nab"
	"github.com/omenhq/omen/fixtures"
)

func main() {
	data := flag.String("data", "../shared/data/nab", "corpus folder in NAB's layout")
	split := flag.String("split", "dev", "dev (leave out the held-out files), holdout (score them at thresholds from dev) or all")
	workers := flag.Int("workers", 0, "files scored in parallel (default GOMAXPROCS)")
	from := flag.String("thresholds-from", "", "with -split all: corpus folder or thresholds JSON to take the thresholds from")
	results := flag.String("results-dir", "", "with -split all: write per-row scores here in NAB's results layout")
	thrOut := flag.String("thresholds-out", "", "write the optimised thresholds here (NAB's thresholds.json format)")
	md := flag.Bool("markdown", false, "print markdown tables (with the published scoreboard when the corpus has it)")
	cv := flag.Bool("cv", false, "also report category folds: each category scored at thresholds chosen on the others")
	synth := flag.Uint64("synthetic", 0, "also score the synthetic corpus of this seed (fixtures.AnomalyCorpus) at thresholds from the NAB files, and its events at the default threshold")
	verbose := flag.Bool("v", false, "print per-file scores (standard profile)")
	curve := flag.Bool("curve", false, "print the standard score at fixed thresholds")
	flag.Parse()

	cpu0 := cpuTime()
	var rep *nab.Report
	var err error
	newDet := func() anomaly.Detector { return anomaly.NewDefault(anomaly.Config{}) }
	switch *split {
	case "all":
		rep, err = nab.Run(context.Background(), nab.Options{DataDir: *data, Workers: *workers, ThresholdsFrom: *from, ResultsDir: *results})
	case "dev", "holdout":
		rep, err = runSplit(*data, *split, *workers, newDet)
	default:
		err = fmt.Errorf("-split %q: want dev, holdout or all", *split)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cpu := cpuTime() - cpu0
	if *thrOut != "" && len(rep.Optima) > 0 {
		f, err := os.Create(*thrOut)
		if err == nil {
			err = nab.WriteThresholds(f, rep.Detector, rep.Optima)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("split %s: %d files (thresholds %s)\n", *split, rep.Files, rep.ThresholdsFrom)
	if *md {
		markdown(rep, *data, cpu)
	} else {
		for _, r := range rep.Results {
			fmt.Printf("%-20s threshold %.4f  score %6.2f  windows %d/%d  false-positive rows %d\n", r.Profile.Name, r.Threshold, r.Score, r.Detected, r.Windows, r.FP)
		}
		std := rep.Results[0]
		for _, c := range std.Categories {
			fmt.Printf("  %-24s %7.2f  windows %2d/%2d  fp %3d  raw %7.2f\n", c.Category, c.Score, c.Detected, c.Windows, c.FP, c.Raw)
		}
		fmt.Printf("%d files, %d rows, %d workers: detection %v, total %v wall, %v CPU\n", rep.Files, rep.Rows, rep.Workers,
			rep.Detect.Round(time.Millisecond), rep.Total.Round(time.Millisecond), cpu.Round(time.Millisecond))
	}
	if *verbose {
		for _, f := range rep.Results[0].Files {
			fmt.Printf("    %-55s %6.2f  windows %d/%d  fp %d\n", f.Name, f.Score, f.Detected, f.Windows, f.FP)
		}
	}
	if *curve {
		e := nab.NewEvaluator(rep.Corpus)
		for t := 0.20; t < 0.801; t += 0.025 {
			r := e.Score(rep.Scores, nab.Standard, t)
			fmt.Printf("  at %.3f: %6.2f  windows %d/%d  fp %d\n", t, r.Score, r.Detected, r.Windows, r.FP)
		}
	}
	if *cv && *split != "holdout" {
		for _, p := range nab.Profiles() {
			fr := nab.CategoryFolds(rep.Corpus, rep.Scores, p)
			fmt.Printf("category folds, %s: mean %.2f, pooled %.2f (%.2f when each category picks its own threshold)\n", p.Name, fr.Mean, fr.Pooled, fr.Own)
			if p.Name == nab.Standard.Name {
				for _, f := range fr.Folds {
					fmt.Printf("  %-24s threshold %.4f  score %7.2f (own %7.2f)  windows %2d/%2d  fp %3d\n", f.Name, f.Threshold, f.Result.Score, f.Own, f.Result.Detected, f.Result.Windows, f.Result.FP)
				}
			}
		}
	}
	if *synth != 0 {
		synthetic(rep, *synth, *workers, newDet)
	}
}

// runSplit scores the development files (split "dev", thresholds optimised
// on them) or the held-out files at the development files' thresholds.
func runSplit(dir, split string, workers int, newDet func() anomaly.Detector) (*nab.Report, error) {
	start := time.Now()
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c, err := nab.LoadCorpus(dir)
	if err != nil {
		return nil, err
	}
	dev, held := nab.SplitHoldout(c)
	ctx := context.Background()
	t0 := time.Now()
	devScores, err := nab.Detect(ctx, dev, newDet, workers, nil)
	if err != nil {
		return nil, err
	}
	rep := &nab.Report{Detector: "omen", DataDir: dir, ThresholdsFrom: "optimised on the 39 development files", Workers: workers, Corpus: dev, Scores: devScores}
	rep.Optima = nab.NewEvaluator(dev).Optimize(devScores, nab.Profiles()...)
	if split == "holdout" {
		fmt.Fprintln(os.Stderr, "nabbench: scoring the held-out files — this is the once-only final check of bench/ANOMALY-NOTES.md")
		hs, err := nab.Detect(ctx, held, newDet, workers, nil)
		if err != nil {
			return nil, err
		}
		rep.Corpus, rep.Scores = held, hs
	}
	rep.Detect = time.Since(t0)
	rep.Files, rep.Rows = len(rep.Corpus.Files), rep.Corpus.Rows()
	e := nab.NewEvaluator(rep.Corpus)
	for i, p := range nab.Profiles() {
		rep.Results = append(rep.Results, e.Score(rep.Scores, p, rep.Optima[i].Threshold))
	}
	rep.Total = time.Since(start)
	return rep, nil
}

// synthetic scores the synthetic corpus of seed at the thresholds of rep
// and, at the default threshold, counts caught anomalies and false
// intervals per kind.
func synthetic(rep *nab.Report, seed uint64, workers int, newDet func() anomaly.Detector) {
	c := nab.SyntheticCorpus(seed, fixtures.AnomalyCorpusConfig{})
	scores, err := nab.Detect(context.Background(), c, newDet, workers, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e := nab.NewEvaluator(c)
	fmt.Printf("synthetic corpus, seed %d: %d series, %d rows\n", seed, len(c.Files), c.Rows())
	for i, p := range nab.Profiles() {
		if i >= len(rep.Optima) {
			break
		}
		r := e.Score(scores, p, rep.Optima[i].Threshold)
		own := e.Optimize(scores, p)[0]
		fmt.Printf("  NAB %-20s %6.2f at threshold %.4f from the NAB files (%.2f at its own optimum %.4f)  windows %d/%d  fp %d\n",
			p.Name, r.Score, r.Threshold, nab.Normalize(own.Raw, r.Windows, p), own.Threshold, r.Detected, r.Windows, r.FP)
	}
	ivs := make([][]anomaly.Interval, len(c.Files))
	for i, f := range c.Files {
		ivs[i] = anomaly.Detect(f.Timestamps, f.Values, anomaly.Config{}).Intervals
	}
	fmt.Printf("  events at the default threshold %.2f:\n", anomaly.Threshold)
	for _, ev := range nab.Events(c, ivs) {
		fmt.Printf("    %-12s caught %2d/%2d  false intervals %3d (%.2f per 30 days)\n", ev.Category, ev.Caught, ev.Windows, ev.False, ev.FalsePer30Days)
	}
}

func markdown(rep *nab.Report, dir string, cpu time.Duration) {
	fmt.Println("| detector | standard | reward_low_FP_rate | reward_low_FN_rate |")
	fmt.Println("|---|---:|---:|---:|")
	fmt.Printf("| **omen** (this run) | **%.2f** | **%.2f** | **%.2f** |\n", rep.Results[0].Score, rep.Results[1].Score, rep.Results[2].Score)
	if rows, err := nab.ReadScoreboard(filepath.Join(dir, "results", "derived_scores_shared51_files.csv")); err == nil && rep.Files == 51 {
		for _, r := range rows {
			fmt.Printf("| %s | %s | %s | %s |\n", r[0], r[1], r[2], r[3])
		}
	}
	fmt.Println()
	fmt.Println("| profile | threshold | windows detected | false-positive rows | raw score |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, r := range rep.Results {
		fmt.Printf("| %s | %.4f | %d/%d | %d | %.2f |\n", r.Profile.Name, r.Threshold, r.Detected, r.Windows, r.FP, r.Raw)
	}
	fmt.Println()
	fmt.Println("| category (standard profile) | files | NAB score | windows detected | false-positive rows |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, c := range rep.Results[0].Categories {
		s := "–"
		if c.Scored {
			s = fmt.Sprintf("%.2f", c.Score)
		}
		fmt.Printf("| %s | %d | %s | %d/%d | %d |\n", c.Category, c.Files, s, c.Detected, c.Windows, c.FP)
	}
	fmt.Printf("\n%d files, %d rows, %d workers: detection %v, whole run %v wall, %v CPU (%.1f µs CPU per row)\n", rep.Files, rep.Rows, rep.Workers,
		rep.Detect.Round(time.Millisecond), rep.Total.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(rep.Rows))
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
