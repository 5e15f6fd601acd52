package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/engine"
)

func newRunCmd(g *globalOptions) *cobra.Command {
	var path, shard string
	var view viewOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the job of a config file: the nightly CronJob",
		Long: `run executes the job described by a YAML file, stage by stage: capacity predictions for
every preset and custom target (reports written to outputs:), anomaly detection
(anomalies:), alert quality (quality:), tuning (tune:, omen tune's proposals for the
rules), verification of earlier applies and policy-governed auto-apply of the tuning
stage's proposals, or of proposals: when there is no tune: section (apply:), or a pull
request with them (pull_request:), write-back of predictions and
anomaly scores (push_to:), and one summary of every stage (report: html with charts,
markdown for chat, json). A stage that fails is reported and the others still run. The
exit code says the worst: 1 when a stage failed (2 for a configuration error), 3 when a
target is at or above risk.fail_on (default critical) or a change was rolled back, else 0,
so the CronJob's failure pages or shows up on a dashboard.

Sharding: --shard I/N (or shard: in the file, or JOB_COMPLETION_INDEX and JOB_COMPLETIONS in
a Kubernetes Indexed Job) predicts and scores only the targets and series whose identity
labels hash to shard I; N shards together do what one run does, each target once. Their
write-back series are disjoint (no shard label is added), their files are named with the
shard (omen.html → omen.shard-I-of-N.html, or {shard} in a path). Tuning is partitioned by
rule file (FNV-1a of its path): each shard tunes the alerting rules of the files it owns
and opens its own pull request for them (the branch is named after its proposals, and no
two shards' pull requests touch one file, so none supersedes another's; max_open counts
them all). The proposals: file, the same for every shard, is delivered by shard 0 alone, and
only shard 0 applies; tune: with apply: needs one process (one ledger), so a sharded run
with both is refused.

Global flags override the file's source section (--prometheus, --input, credentials).

  source:
    prometheus: http://prometheus:9090     # or input: export.csv
    headers: {X-Scope-OrgID: tenant-1}
    bearer_token_file: /var/run/secrets/token
  window: 14d          # history analysed
  workers: 0           # targets predicted in parallel; 0: the CPUs the pod may use (GOMAXPROCS)
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
  push_to: http://victoriametrics:8428
  anomalies: {queries: ['sum by (job) (rate(http_requests_total[5m]))'], window: 1d}
  quality: {rules: rules/, incidents: [pirs/], window: 30d}
  tune: {window: 12w, max_pages_per_week: 2, output: /reports/proposals.json}  # rules and incidents: quality's
  # proposals: /work/proposals.json # instead of tune: deliver omen tune's JSON made elsewhere
  pull_request: {repo: https://git.example.com/sre/rules.git, forge: gitea, token_file: /run/secrets/forge}
  report: {html: /reports/run.html, markdown: /reports/run.md, json: /reports/run.json}`,
		Example: `  omen run --config omen.yaml
  omen run --config omen.yaml --at 2026-11-01T00:00:00Z
  omen run --config omen.yaml --shard 2/4`,
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
			return runJob(cmd.Context(), g, cfg, &view, shard)
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", "job `FILE` (YAML)")
	shardFlag(cmd.Flags(), &shard)
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

// runJob executes a validated job: every stage (see executeJob); the
// summary goes to report: and the log.
func runJob(ctx context.Context, g *globalOptions, cfg *engine.Config, view *viewOptions, shard string) error {
	_, err := executeJob(ctx, g, cfg, view, shard)
	return err
}
