package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/serve"
)

// serveOptions are the flags of omen serve.
type serveOptions struct {
	Config       string
	Listen       string
	StateDir     string
	Grace        time.Duration
	NoInitialRun bool
	Retention    time.Duration
	retentionSet bool
}

// retention is the serve.Options.HistoryRetention of --history-retention:
// unset is the default, 0 keeps everything.
func retention(d time.Duration, set bool) time.Duration {
	switch {
	case !set:
		return serve.DefaultHistoryRetention
	case d == 0:
		return -1
	}
	return d
}

func newServeCmd(g *globalOptions) *cobra.Command {
	var o serveOptions
	var view viewOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the job of a config file on a schedule and serve its results as metrics",
		Long: `serve runs the job of a config file (what omen run does) at start and then on the
file's schedule: an interval (schedule: 1h, the default) or a 5-field cron expression in UTC
(schedule: "0 */6 * * *"). Never two runs at once: a run due while the previous one is
still going is skipped and counted (omen_runs_skipped_total).

It serves on --listen:
  /metrics          Prometheus text: the predictions (omen_exhaustion_eta_seconds,
                    omen_exhaustion_at_seconds, omen_exhaustion_risk, omen_anomaly_score),
                    omen's health (omen_runs_total, omen_run_duration_seconds,
                    omen_last_success_timestamp_seconds, omen_errors_total,
                    omen_http_requests_total, omen_series_analysed, …) and the realised
                    accuracy of earlier predictions, each checked against the data when its
                    horizon arrives (omen_prediction_interval_coverage,
                    omen_prediction_eta_abs_error_seconds)
  /api/v1/results   JSON of the last successful run (the results as omen run writes them)
  /api/v1/alerts    POST: an Alertmanager webhook receiver (webhook JSON version 4); each
                    notification is appended to STATE/alerts.jsonl and fsynced before the
                    answer — the file omen quality --history reads; notifications of
                    alerts over for longer than --history-retention (400d) are
                    dropped at start and once a day (an alert still firing never is)
  /healthz          200 while the process serves
  /readyz           200 once a run finished or the last results were loaded from STATE

--state-dir keeps what survives a restart (the alert history, the predictions awaiting
their check, the last results): on Kubernetes, a persistent volume.

SIGHUP reloads the config file: a config that does not load keeps the old one in force,
and the failure is logged and counted (omen_config_reloads_total{result="failure"}).
SIGTERM or SIGINT stops: no new run starts, a run in progress gets --grace to finish and
is abandoned after that (nothing half-written), and omen exits 0.`,
		Example: `  omen serve --config omen.yaml --listen :9477 --state-dir /var/lib/omen
  curl -s localhost:9477/metrics | grep omen_exhaustion_eta_seconds
  kill -HUP $(pidof omen)   # reload omen.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Config == "" {
				return usagef("--config is required")
			}
			if o.StateDir == "" {
				return usagef("--state-dir must not be empty")
			}
			if err := view.parse(); err != nil {
				return err
			}
			// A server has no overall deadline: each run has its own
			// (deadline: in the config, default 1h).
			g.withDeadline(cmd, 0)
			o.retentionSet = cmd.Flags().Changed("history-retention")
			return runServe(cmd.Context(), g, o, &view)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "job `FILE` (YAML), as omen run reads it, with its schedule:")
	f.StringVar(&o.Listen, "listen", serve.DefaultListen, "address to serve on, `HOST:PORT`")
	f.StringVar(&o.StateDir, "state-dir", "omen-state", "`DIR` holding the alert history, the predictions awaiting their check and the last results")
	f.DurationVar(&o.Grace, "grace", serve.DefaultGrace, "on SIGTERM, how long a run in progress may take to finish before it is abandoned")
	f.BoolVar(&o.NoInitialRun, "no-initial-run", false, "wait for the schedule instead of running the job at start")
	f.Var(durationValue{d: &o.Retention, zeroOK: true}, "history-retention", "how long the alert history keeps notifications of alerts that are over (0 keeps all; default 400d)")
	view.addFlags(cmd)
	return cmd
}

func runServe(ctx context.Context, g *globalOptions, o serveOptions, view *viewOptions) error {
	job := serveJob(g, view)
	s, err := serve.New(serve.Options{
		Listen:           o.Listen,
		StateDir:         o.StateDir,
		LoadConfig:       func() (*engine.Config, error) { return engine.LoadConfig(o.Config) },
		Job:              job,
		Logger:           g.logger,
		Version:          readBuildInfo(debug.ReadBuildInfo).Version,
		Grace:            o.Grace,
		NoInitialRun:     o.NoInitialRun,
		HistoryRetention: retention(o.Retention, o.retentionSet),
		Now:              g.now,
	})
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				g.logger.Info("SIGHUP: reloading the config", "path", o.Config)
				_ = s.Reload() // logged and counted; the old config stays
			case <-ctx.Done():
				return
			}
		}
	}()
	return s.Run(ctx)
}

// forRun returns a copy of the global options as the command line set
// them, for one run of omen serve: a run adopts the job file's source
// section into its options (useJobSource) and caches an --input file, so
// each run starts again from the flags and sees a reloaded config and a
// rewritten file.
func (g *globalOptions) forRun() *globalOptions {
	return &globalOptions{
		Prometheus: g.Prometheus, Input: g.Input, At: g.At, Format: g.Format, LogLevel: g.LogLevel, Wide: g.Wide,
		Timeout: g.Timeout, Deadline: g.Deadline, MaxConcurrency: g.MaxConcurrency, MaxRequests: g.MaxRequests, MaxPoints: g.MaxPoints,
		BearerTokenFile: g.BearerTokenFile, BasicAuthUser: g.BasicAuthUser, BasicAuthPasswordFile: g.BasicAuthPasswordFile,
		Headers:   append([]string(nil), g.Headers...),
		TLSCAFile: g.TLSCAFile, TLSCertFile: g.TLSCertFile, TLSKeyFile: g.TLSKeyFile, TLSServerName: g.TLSServerName, TLSInsecure: g.TLSInsecure,
		stdin: g.stdin, stdout: g.stdout, stderr: g.stderr, getenv: g.getenv, termOf: g.termOf, now: g.now, logger: g.logger,
	}
}

// serveJob is omen serve's job: one omen run of the config, its
// predictions, detections and apply ledger as the server shows them.
func serveJob(g *globalOptions, view *viewOptions) serve.JobFunc {
	return serve.JobFunc(func(ctx context.Context, cfg *engine.Config) (*serve.Outcome, error) {
		rg := g.forRun()
		sum, err := executeJob(ctx, rg, cfg, view, "")
		var findings findingsError
		if sum == nil || (err != nil && !errors.As(err, &findings)) {
			// A failed stage fails the run; targets at risk (findings)
			// are what the run is for.
			return nil, err
		}
		out := &serve.Outcome{Report: sum.report, Detections: sum.detections}
		if sum.ledger != nil {
			out.Series = sum.ledger.Series(g.now().UnixMilli())
		}
		if sum.report != nil {
			var buf bytes.Buffer
			if err := renderPredictions(&buf, "json", display{}, view.show(sum.report)); err != nil {
				return nil, err
			}
			out.JSON = buf.Bytes()
		} else if out.JSON, err = json.Marshal(sum); err != nil {
			return nil, err
		}
		return out, nil
	})
}
