// Command capbench runs the capacity benchmark (package benchcap) and
// prints its report as Markdown.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	benchcap "github.com/omenhq/omen/bench/capacity"
)

func main() {
	seed := flag.Uint64("seed", 1, "suite seed")
	n := flag.Int("n", 160, "scenarios")
	workers := flag.Int("workers", 0, "parallel scenarios (0: GOMAXPROCS)")
	usageOnly := flag.Bool("usage-only", false, "predict from the usage series and a constant limit only (no restart counters), as omen predict --input does")
	flag.Parse()
	rep, err := benchcap.Run(context.Background(), benchcap.Options{Seed: *seed, N: *n, Workers: *workers, UsageOnly: *usageOnly})
	if err != nil {
		fmt.Fprintln(os.Stderr, "capbench:", err)
		os.Exit(1)
	}
	fmt.Print(rep.Markdown())
}
