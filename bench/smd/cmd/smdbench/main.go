// Command smdbench evaluates omen's machine detector beside a per-metric
// z-score baseline on data in the Server Machine Dataset's layout with
// bench/smd.Run. It is the development harness behind the SMD part of
// bench/RESULTS.md; the user-facing command is `omen bench smd`.
//
//	go run ./bench/smd/cmd/smdbench -data ../shared/data/smd -markdown
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/omenhq/omen/bench/smd"
)

func main() {
	data := flag.String("data", "../shared/data/smd", "dataset folder in SMD's layout")
	workers := flag.Int("workers", 0, "metrics scored in parallel (default GOMAXPROCS)")
	md := flag.Bool("markdown", false, "print a markdown table")
	flag.Parse()
	rep, err := smd.Run(context.Background(), smd.Options{DataDir: *data, Workers: *workers})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *md {
		fmt.Println("| machine | detector | threshold rule | event F1 | precision (rows) | recall (events) | alarms (false) | point F1 | point-adjusted F1 |")
		fmt.Println("|---|---|---|---:|---:|---:|---:|---:|---:|")
	}
	for _, m := range rep.Machines {
		if !*md {
			fmt.Printf("%s: %d metrics, %d train + %d test rows, %d labelled events; omen took %v; top metric in the interpretation label for %d of %d flagged events\n",
				m.Name, m.Metrics, m.Train, m.Test, m.Events, m.Detect.Round(time.Millisecond), m.Explained, m.Interpreted)
		}
		for _, x := range m.Methods {
			if *md {
				fmt.Printf("| %s | %s | %s | %.3f | %.3f | %d/%d | %d (%d) | %.3f | %.3f |\n", m.Name, x.Detector, x.Rule, x.Event.F1, x.Event.Precision,
					x.Event.Caught, x.Event.Events, x.Event.Alarms, x.Event.FalseAlarms, x.PointF1, x.AdjustedF1)
				continue
			}
			fmt.Printf("  %-6s %-42s F1 %.3f  P %.3f  R %.3f (%d/%d)  alarms %d (%d false)  point F1 %.3f  adjusted F1 %.3f  threshold %.4g\n",
				x.Detector, x.Rule, x.Event.F1, x.Event.Precision, x.Event.Recall, x.Event.Caught, x.Event.Events, x.Event.Alarms, x.Event.FalseAlarms, x.PointF1, x.AdjustedF1, x.Threshold)
		}
	}
	if *md {
		fmt.Println()
		for _, m := range rep.Machines {
			fmt.Printf("%s: omen's top contributing metric is in the interpretation label for %d of the %d interpreted events it flags; omen took %v.\n",
				m.Name, m.Explained, m.Interpreted, m.Detect.Round(time.Millisecond))
		}
	}
	fmt.Printf("total %v\n", rep.Total.Round(time.Millisecond))
}
