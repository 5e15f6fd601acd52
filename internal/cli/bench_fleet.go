package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/bench/scale"
)

// fleetImportOptions are omen bench fleet-import's flags.
type fleetImportOptions struct {
	URL string
	scale.Config
}

func newBenchFleetImportCmd(g *globalOptions) *cobra.Command {
	o := &fleetImportOptions{URL: "http://127.0.0.1:18428"}
	cmd := &cobra.Command{
		Use:   "fleet-import",
		Short: "Generate the fleet of the 10,000- and 100,000-series benchmarks and import it into a VictoriaMetrics",
		Long: `fleet-import generates the benchmark fleet of bench/scale (half disks, half containers, 14
days at 5 minutes, each with its own truth) and imports it into a VictoriaMetrics that is
already running, so that the fleet benchmarks can run against it several times
(OMEN_BENCH_SCALE_URL) without importing again. It prints what it sent.`,
		Example: `  victoria-metrics -storageDataPath /tmp/fleet-vm -retentionPeriod 100y \
      -httpListenAddr 127.0.0.1:18428 -search.disableCache -search.latencyOffset 0s &
  omen bench fleet-import --url http://127.0.0.1:18428 --size 100000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Size <= 0 {
				return usagef("--size must be positive, got %d", o.Size)
			}
			began := time.Now()
			n := 0
			st, err := scale.Import(cmd.Context(), o.URL, o.Config, func(rs []scale.Resource) {
				before := n / 10000
				n += len(rs)
				if n/10000 > before {
					g.logger.Info("importing", "resources", n, "elapsed", time.Since(began).Round(time.Second))
				}
			})
			if err != nil {
				return fmt.Errorf("fleet-import into %s: %w", o.URL, err)
			}
			_, err = fmt.Fprintf(g.stdout, "imported %d resources: %d series, %d samples, %.0f MB in %d requests, in %s\n",
				st.Resources, st.Series, st.Samples, float64(st.Bytes)/1e6, st.Requests, st.Took.Round(time.Millisecond))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", o.URL, "VictoriaMetrics base `URL`")
	f.IntVar(&o.Size, "size", scale.DefaultSize, "resources (usage series): half disks, half containers")
	f.Uint64Var(&o.Seed, "seed", 0, "seed of the fleet")
	f.IntVar(&o.PerNamespace, "per-namespace", 0, "containers per namespace (0: the default)")
	f.BoolVar(&o.CloudNames, "cloud-names", false, "EC2-style host names")
	return cmd
}
