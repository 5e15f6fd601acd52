package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/series"
)

func newDemoCmd(g *globalOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run omen on its embedded demo fleet: no server needed",
		Long: `demo runs omen's main job on the embedded demo data set: a small fleet of
filesystems and containers over 14 days at 5-minute resolution, generated from
fixed seeds and shipped inside the binary. No server or file is needed.

The same data can be exported with 'omen demo --format openmetrics' and backfilled
into Prometheus (promtool tsdb create-blocks-from openmetrics) or VictoriaMetrics.`,
		Example: `  omen demo
  omen demo --format markdown
  omen demo --format openmetrics --output fleet.om`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat(fetchFormats...); err != nil {
				return err
			}
			ss, err := fixtures.DemoSeries()
			if err != nil {
				return fmt.Errorf("cannot load the embedded demo data: %w", err)
			}
			return writeOutput(output, g.stdout, func(w io.Writer) error {
				if g.Format == "table" || g.Format == "markdown" {
					return demoSummary(w, g.Format, ss)
				}
				return writeSeries(w, g.Format, ss)
			})
		},
	}
	cmd.Flags().StringVar(&output, "output", "", "write to `FILE` instead of stdout (atomically)")
	return cmd
}

// demoSummary prints the fleet: a table per metric, one line per series.
func demoSummary(w io.Writer, format string, ss []series.Series) error {
	if _, err := fmt.Fprintf(w, "omen demo fleet: %d series, 14 days at 5-minute resolution\n\n", len(ss)); err != nil {
		return err
	}
	var names []string
	byName := map[string][]series.Series{}
	for _, s := range ss {
		n := s.Labels.Name()
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
		byName[n] = append(byName[n], s)
	}
	for _, n := range names {
		if err := writeTable(w, format, summarize(byName[n], 0)); err != nil {
			return err
		}
	}
	return nil
}
