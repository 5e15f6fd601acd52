package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/series"
)

var demoFormats = []string{"table", "json", "yaml", "csv", "markdown", "openmetrics"}

func newDemoCmd(g *globalOptions) *cobra.Command {
	var output, html string
	var fleet bool
	var view viewOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run omen's main job on its embedded demo fleet: no server needed",
		Long: `demo runs omen's main job — capacity predictions for disks and container memory — on
the embedded demo data set: a small fleet of thirteen filesystems and twelve containers
over 14 days at 5-minute resolution, generated from fixed seeds and shipped inside the
binary, predicted as of its last sample (2026-11-01 00:00 UTC). No server is needed.

It holds the situations omen is built for: a leaking container about to be OOM-killed,
disks filling steadily, under a sawtooth and accelerating, and the traps that make
predict_linear alerts flap — log rotation, nightly batches, GC sawtooth, cache warm-up,
one-off steps — which omen must not report.

--html writes the report with a chart per target at risk. --fleet lists the raw series
instead; --format openmetrics exports them for promtool or VictoriaMetrics.`,
		Example: `  omen demo
  omen demo --html demo-report.html
  omen demo --format openmetrics --output fleet.om`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat(demoFormats...); err != nil {
				return err
			}
			if fleet || g.Format == "openmetrics" {
				return demoFleet(cmd.Context(), g, output)
			}
			return runDemo(cmd.Context(), g, &view, output, html)
		},
	}
	cmd.Flags().StringVar(&output, "output", "", "write to `FILE` instead of stdout (atomically)")
	cmd.Flags().StringVar(&html, "html", "", "also write the HTML report to `FILE`")
	cmd.Flags().BoolVar(&fleet, "fleet", false, "list the fleet's raw series instead of predicting")
	view.addFlags(cmd)
	return cmd
}

// runDemo predicts the demo fleet as of its end.
func runDemo(ctx context.Context, g *globalOptions, view *viewOptions, output, html string) error {
	if err := view.parse(); err != nil {
		return err
	}
	src, err := fixtures.DemoSource()
	if err != nil {
		return fmt.Errorf("cannot load the embedded demo data: %w", err)
	}
	disk, _ := engine.Preset("disk")
	memory, _ := engine.Preset("memory")
	specs := append(disk, memory...)
	if specs, err = view.specs(specs); err != nil {
		return err
	}
	p := g.startProgress("predicting")
	defer p.Finish("")
	rep, err := engine.Predict(ctx, src, engine.PredictOptions{
		Specs: specs, AsOf: fixtures.DemoEndTime(), Logger: g.logger, Progress: p.Counter("targets"),
		Capacity: capacity.Config{ForecastPoints: chartPoints(html != ""), Logger: g.logger},
	})
	if err != nil {
		return err
	}
	p.Finish("predicted", summaryArgs(rep)...)
	if err := view.choose(rep); err != nil {
		return err
	}
	v := view.show(rep)
	if err := writeOutput(ctx, output, g.stdout, func(w io.Writer) error { return renderPredictions(w, g.Format, g.display(output), v) }); err != nil {
		return err
	}
	if html != "" {
		if err := writeOutput(ctx, html, nil, func(w io.Writer) error { return sink.WriteHTML(w, htmlReport(v)) }); err != nil {
			return err
		}
		g.logger.Info("HTML report written", "path", html)
	}
	return nil
}

// demoFleet lists or exports the raw series of the demo fleet.
func demoFleet(ctx context.Context, g *globalOptions, output string) error {
	ss, err := fixtures.DemoSeries()
	if err != nil {
		return fmt.Errorf("cannot load the embedded demo data: %w", err)
	}
	return writeOutput(ctx, output, g.stdout, func(w io.Writer) error {
		if g.Format != "table" && g.Format != "markdown" {
			return writeSeries(w, g.Format, ss)
		}
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
			if err := writeTable(w, g.Format, g.display(output), summarize(byName[n], 0)); err != nil {
				return err
			}
		}
		return nil
	})
}
