package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/bench/autoscale"
)

func newBenchScaleCmd(g *globalOptions) *cobra.Command {
	var o autoscale.Options
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Judge omen scale's HPA and sizing proposals on held-out weeks of a seeded suite of workloads",
		Long: `scale generates a seeded suite of workloads — daily and weekly cycles, growth, bursts, HPAs
too tight (maxReplicas, target) and too loose (target, minReplicas), leaking and GC-sawtooth
containers — whose history is what their current HPA made of the generated load. omen scale's
proposals are made on the first weeks through the path the command takes (manifests decoded
strictly, forecast, search on the HPA simulator, the manifests edited and read back strictly)
and judged by the simulator on the held-out weeks: saturated minutes and replica-hours before
and after, the verdict of the acceptance (saturation at least halved with at most 10% more
replica-hours, or replica-hours cut by at least 20% where the current policy never
saturates), and krr's simple strategy beside omen's requests.`,
		Example: `  omen bench scale
  omen bench scale --seed 2026 --n 30 --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat("table", "markdown", "json"); err != nil {
				return err
			}
			rep, err := autoscale.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if g.Format == "json" {
				return writeJSON(g.stdout, rep)
			}
			_, err = io.WriteString(g.stdout, rep.Markdown())
			return err
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the workload suite")
	f.IntVar(&o.N, "n", 0, "number of workloads (default 24, 18 with --independent)")
	f.BoolVar(&o.Independent, "independent", false, "run the independent suite: its own seed space and kinds, never tuned on")
	f.IntVar(&o.Weeks, "weeks", 5, "weeks of history per workload")
	f.Var(durationValue{d: &o.HoldOut}, "hold-out", "end of each history judged on (default 14d)")
	f.IntVar(&o.Workers, "workers", 0, "workloads in parallel (default: number of CPUs)")
	return cmd
}
