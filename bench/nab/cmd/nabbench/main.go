// Command nabbench runs omen's default anomaly detector on a corpus in
// NAB's layout with bench/nab.Run and prints the NAB scores. It is the
// development harness behind the anomaly section of bench/RESULTS.md; the
// user-facing command is `omen bench nab`.
//
//	go run ./bench/nab/cmd/nabbench -data ../shared/data/nab -markdown
//	go run ./bench/nab/cmd/nabbench -data HIDDEN -thresholds-from ../shared/data/nab
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/omenhq/omen/bench/nab"
)

func main() {
	data := flag.String("data", "../shared/data/nab", "corpus folder in NAB's layout")
	workers := flag.Int("workers", 0, "files scored in parallel (default GOMAXPROCS)")
	from := flag.String("thresholds-from", "", "corpus folder or thresholds JSON to take the thresholds from")
	results := flag.String("results-dir", "", "write per-row scores here in NAB's results layout")
	thrOut := flag.String("thresholds-out", "", "write the optimised thresholds here (NAB's thresholds.json format)")
	md := flag.Bool("markdown", false, "print markdown tables (with the published scoreboard when the corpus has it)")
	cv := flag.Bool("cv", false, "also report threshold transfer: thresholds chosen on the other categories / the other half")
	verbose := flag.Bool("v", false, "print per-file scores (standard profile)")
	flag.Parse()

	cpu0 := cpuTime()
	rep, err := nab.Run(context.Background(), nab.Options{DataDir: *data, Workers: *workers, ThresholdsFrom: *from, ResultsDir: *results})
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
	if *cv {
		transfer(rep)
	}
}

func markdown(rep *nab.Report, dir string, cpu time.Duration) {
	fmt.Println("| detector | standard | reward_low_FP_rate | reward_low_FN_rate |")
	fmt.Println("|---|---:|---:|---:|")
	fmt.Printf("| **omen** (this run) | **%.2f** | **%.2f** | **%.2f** |\n", rep.Results[0].Score, rep.Results[1].Score, rep.Results[2].Score)
	if rows, err := nab.ReadScoreboard(filepath.Join(dir, "results", "derived_scores_shared51_files.csv")); err == nil {
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

// scoreboard reads derived_scores_shared51_files.csv (detector and the
// three profiles).
func transfer(rep *nab.Report) {
	for _, mode := range []string{"leave one category out", "two halves (alternate files)"} {
		var groups [][]int
		if mode[0] == 'l' {
			idx := map[string]int{}
			for i, f := range rep.Corpus.Files {
				g, ok := idx[f.Category]
				if !ok {
					g = len(groups)
					idx[f.Category] = g
					groups = append(groups, nil)
				}
				groups[g] = append(groups[g], i)
			}
		} else {
			groups = [][]int{nil, nil}
			for i := range rep.Corpus.Files {
				groups[i%2] = append(groups[i%2], i)
			}
		}
		sub := func(idx []int) (*nab.Evaluator, [][]float64) {
			c := &nab.Corpus{}
			var sc [][]float64
			for _, i := range idx {
				c.Files = append(c.Files, rep.Corpus.Files[i])
				sc = append(sc, rep.Scores[i])
			}
			return nab.NewEvaluator(c), sc
		}
		for _, p := range nab.Profiles() {
			held, own, nw := 0.0, 0.0, 0
			for g := range groups {
				var train []int
				for h := range groups {
					if h != g {
						train = append(train, groups[h]...)
					}
				}
				et, st := sub(train)
				thr := et.Optimize(st, p)[0].Threshold
				eg, sg := sub(groups[g])
				r := eg.Score(sg, p, thr)
				held += r.Raw
				own += eg.Optimize(sg, p)[0].Raw
				nw += r.Windows
			}
			fmt.Printf("transfer, %s, %s: %.2f at thresholds from the other groups (%.2f when each group picks its own)\n",
				mode, p.Name, nab.Normalize(held, nw, p), nab.Normalize(own, nw, p))
		}
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
