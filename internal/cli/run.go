package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/engine"
)

func newRunCmd(g *globalOptions) *cobra.Command {
	var path string
	var view viewOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the job of a config file: the nightly CronJob",
		Long: `run executes the job described by a YAML file: capacity predictions for every preset and
custom target, reports written to the configured outputs, predictions written back as
metrics, and exit code 3 when a target is at or above risk.fail_on (default critical),
so the CronJob's failure pages or shows up on a dashboard.

Global flags override the file's source section (--prometheus, --input, credentials).

  source:
    prometheus: http://prometheus:9090     # or input: export.csv
    headers: {X-Scope-OrgID: tenant-1}
    bearer_token_file: /var/run/secrets/token
  window: 14d          # history analysed
  horizon: 7d          # how far ahead to look
  risk: {critical: 24h, warning: 7d, fail_on: critical}
  presets: [disk, memory]
  overrides:           # replace a preset's queries, by target: disk, pvc, inodes, memory, memory-rss
    disk: {usage: 'node_filesystem_avail_bytes{job="node-exporter",fstype=~"ext4|xfs"}'}
  targets:
    - name: kafka-disk
      usage: kafka_log_size_bytes_total
      limit: kafka_log_retention_bytes   # a query or a number
      direction: up
      on: [topic]
  outputs:
    - {format: html, path: /reports/omen.html}
    - {format: json, path: /reports/omen.json}
    - {format: table}                       # stdout
  push_to: http://victoriametrics:8428`,
		Example: `  omen run --config omen.yaml
  omen run --config omen.yaml --at 2026-11-01T00:00:00Z`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return usagef("--config is required")
			}
			cfg, err := engine.LoadConfig(path)
			if err != nil {
				return err
			}
			if cfg.Deadline != 0 && !cmd.Flags().Changed("deadline") {
				g.withDeadline(cmd, time.Duration(cfg.Deadline))
			}
			return runJob(cmd.Context(), g, cfg, &view)
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", "job `FILE` (YAML)")
	view.addFlags(cmd)
	return cmd
}

// useJobSource takes the job file's source section, unless the command
// line gave a source.
func (g *globalOptions) useJobSource(cfg *engine.Config) {
	if g.Prometheus == "" && g.Input == "" {
		g.Prometheus, g.Input = cfg.Source.Prometheus, cfg.Source.Input
		if g.BearerTokenFile == "" {
			g.BearerTokenFile = cfg.Source.BearerTokenFile
		}
		if g.BasicAuthUser == "" {
			g.BasicAuthUser, g.BasicAuthPasswordFile = cfg.Source.BasicAuthUser, cfg.Source.BasicAuthPasswordFile
		}
		for k, v := range cfg.Source.Headers {
			g.Headers = append(g.Headers, k+"="+v)
		}
		if g.TLSCAFile == "" {
			g.TLSCAFile, g.TLSCertFile, g.TLSKeyFile, g.TLSInsecure = cfg.Source.TLSCAFile, cfg.Source.TLSCertFile, cfg.Source.TLSKeyFile, cfg.Source.TLSInsecure
		}
		if g.Timeout == 0 {
			g.Timeout = time.Duration(cfg.Source.Timeout)
		}
		if cfg.Source.MaxConcurrency > 0 {
			g.MaxConcurrency = cfg.Source.MaxConcurrency
		}
		if cfg.Source.MaxRequests != 0 {
			g.MaxRequests = cfg.Source.MaxRequests
		}
		if cfg.Source.MaxPointsPerSeries != 0 {
			g.MaxPoints = cfg.Source.MaxPointsPerSeries
		}
	}
}

// runJob executes a validated job and turns its risk into the exit code.
func runJob(ctx context.Context, g *globalOptions, cfg *engine.Config, view *viewOptions) error {
	rep, err := executeJob(ctx, g, cfg, view)
	if err != nil {
		return err
	}
	failOn := cfg.Risk.FailOn
	if failOn == "" {
		failOn = "critical"
	}
	level, err := parseFailOn(failOn)
	if err != nil {
		return fmt.Errorf("risk.fail_on: %w", err)
	}
	return failIfRisky(rep, level)
}

// executeJob does the job of a validated config: reads, predicts, writes
// the outputs and the write-back, and returns the report. It is the part
// of omen run that omen serve calls on its schedule; the exit code (risk
// at or above fail_on) is left to the caller.
func executeJob(ctx context.Context, g *globalOptions, cfg *engine.Config, view *viewOptions) (*engine.Report, error) {
	if err := view.parse(); err != nil {
		return nil, err
	}
	g.useJobSource(cfg)
	if g.At == "" {
		g.At = cfg.At
	}
	if len(cfg.Specs()) == 0 {
		return nil, usagef("the job file has no presets or targets to predict (its apply: section is for omen apply)")
	}
	specs, err := view.specs(cfg.Specs())
	if err != nil {
		return nil, err
	}
	src, at, err := g.sourceAt()
	if err != nil {
		return nil, err
	}
	p := g.startProgress("predicting")
	defer p.Finish("")
	rep, err := engine.Predict(ctx, src, engine.PredictOptions{
		Specs: specs, AsOf: at, Step: time.Duration(cfg.Step), Logger: g.logger, Progress: p.Counter("targets"),
		Capacity: capacity.Config{
			Horizon: time.Duration(cfg.Horizon), Window: time.Duration(cfg.Window),
			Critical: time.Duration(cfg.Risk.Critical), Warning: time.Duration(cfg.Risk.Warning),
			ForecastPoints: chartPoints(slices.ContainsFunc(cfg.Outputs, func(o engine.OutputConfig) bool { return o.Format == "html" })),
			Logger:         g.logger,
		},
	})
	if err != nil {
		return nil, err
	}
	p.Finish("predicted", summaryArgs(rep)...)
	for _, w := range rep.Warnings {
		g.logger.Warn("source warning", "warning", w)
	}
	if err := g.checkReport(rep, specs); err != nil {
		return nil, err
	}
	if err := view.choose(rep); err != nil {
		return nil, err
	}
	v := view.show(rep)
	outputs := cfg.Outputs
	if len(outputs) == 0 {
		outputs = []engine.OutputConfig{{Format: "table"}}
	}
	for _, o := range outputs {
		if err := writeOutput(ctx, o.Path, g.stdout, func(w io.Writer) error { return renderPredictions(w, o.Format, g.display(o.Path), v) }); err != nil {
			return nil, err
		}
		if o.Path != "" && o.Path != "-" {
			g.logger.Info("report written", "format", o.Format, "path", o.Path)
		}
	}
	if cfg.PushTo != "" {
		if err := g.push(ctx, cfg.PushTo, engine.WriteBackSeries(rep)); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
