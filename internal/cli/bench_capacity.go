package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	benchcap "github.com/omenhq/omen/bench/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/cputime"
)

func newBenchCapacityCmd(g *globalOptions) *cobra.Command {
	var o benchcap.Options
	var draws string
	var drawsSeed uint64
	cmd := &cobra.Command{
		Use:   "capacity",
		Short: "Score disk-full and OOM predictions against ground truth, beside predict_linear alerts",
		Long: `capacity generates a seeded suite of capacity scenarios — true fills of many shapes (steady,
accelerating, leak with OOM kills, growth under daily seasonality or log rotation, step
then growth) and the traps that fool predict_linear (log-rotation and GC sawtooth, nightly
batches, post-deploy warm-up, one-off steps, seasonal, decreasing) — predicts each at many
as-of instants and scores the predictions against the known time to full.

It reports, for omen and for the node-exporter mixin rule NodeFilesystemSpaceFillingUp
(predict_linear(avail[6h], 24h) < 0 held for 1h, evaluated as Prometheus does, with and
without the mixin's 40% condition) and its 24h-window variant: precision, recall and F1
of "full within 24h" (omen decides on its P50), false alarms per trap series-day, and for
omen the median and P90 relative ETA error and the P10–P90 coverage.`,
		Example: `  omen bench capacity
  omen bench capacity --seed 7 --n 320
  omen bench capacity --draws dev
  omen bench capacity --draws-seed 102`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat("table", "markdown", "json", "yaml"); err != nil {
				return err
			}
			if cmd.Flags().Changed("draws-seed") {
				if draws != "" {
					return usagef("--draws and --draws-seed exclude each other")
				}
				if drawsSeed == 0 {
					return usagef("invalid --draws-seed 0: want a positive seed")
				}
				draws = "seed"
			}
			switch draws {
			case "":
			case "dev", "heldout", "seed":
				seed := uint64(fixtures.DrawsDevSeed)
				switch draws {
				case "heldout":
					seed = fixtures.DrawsHeldOutSeed
				case "seed":
					seed = drawsSeed
				}
				n := 120
				if cmd.Flags().Changed("n") {
					n = o.N
				}
				d := benchcap.DrawOptions(seed, n)
				d.Workers, d.UsageOnly = o.Workers, o.UsageOnly
				o = d
			default:
				return usagef("invalid --draws %q: want dev or heldout", draws)
			}
			cpu0 := cputime.Process()
			rep, err := benchcap.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			out := struct {
				*benchcap.Report
				CPU time.Duration `json:"cpu"`
			}{rep, cputime.Process() - cpu0}
			if g.Format == "json" || g.Format == "yaml" {
				return writeData(g.stdout, g.Format, out)
			}
			if _, err = io.WriteString(g.stdout, rep.Markdown()); err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.stdout, "\n%s CPU\n", out.CPU.Round(time.Millisecond))
			return err
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the scenario suite")
	f.IntVar(&o.N, "n", 160, "number of scenarios")
	f.IntVar(&o.Workers, "workers", 0, "scenarios predicted in parallel (default: number of CPUs)")
	f.StringVar(&draws, "draws", "", "score the independent draws (fixtures.CapacityDraws: AR(1) noise, wrong shapes, short windows, regime changes) instead of the suite: dev, or heldout (once, at the end); --n draws, default 120")
	f.Uint64Var(&drawsSeed, "draws-seed", 0, "score the independent draws of this seed (as --draws does for the development and held-out seeds): further development seeds, or a fresh held-out seed that was never run")
	f.BoolVar(&o.UsageOnly, "usage-only", false, "predict from the usage series and a constant limit only (no restart counters), as omen predict --input does")
	return cmd
}
