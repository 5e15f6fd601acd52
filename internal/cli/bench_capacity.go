package cli

import (
	"io"

	"github.com/spf13/cobra"

	benchcap "github.com/omenhq/omen/bench/capacity"
)

func newBenchCapacityCmd(g *globalOptions) *cobra.Command {
	var o benchcap.Options
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
  omen bench capacity --seed 7 --n 320`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat("table", "markdown", "json", "yaml"); err != nil {
				return err
			}
			rep, err := benchcap.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if g.Format == "json" || g.Format == "yaml" {
				return writeData(g.stdout, g.Format, rep)
			}
			_, err = io.WriteString(g.stdout, rep.Markdown())
			return err
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the scenario suite")
	f.IntVar(&o.N, "n", 160, "number of scenarios")
	f.IntVar(&o.Workers, "workers", 0, "scenarios predicted in parallel (default: number of CPUs)")
	return cmd
}
