package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/internal/apply"
	"github.com/omenhq/omen/series"
)

// Config is a job file (omen.yaml): where to read, what to predict, how to
// judge risk and where results go. The zero value of every optional field
// is a sensible default; see the field comments.
type Config struct {
	// Source is where history is read from.
	Source SourceConfig `yaml:"source"`
	// At runs the job as of a past instant (RFC3339); empty means now.
	At string `yaml:"at"`
	// Deadline bounds the whole run (default 1h, as --deadline); the
	// --deadline flag overrides it.
	Deadline Duration `yaml:"deadline"`
	// Window is the history analysed; default 14d.
	Window Duration `yaml:"window"`
	// Step is the resolution fetched; default: chosen from the window.
	Step Duration `yaml:"step"`
	// Horizon is how far ahead exhaustion is predicted; default 7d.
	Horizon Duration `yaml:"horizon"`
	// Risk sets the risk levels and the exit code of the job.
	Risk RiskConfig `yaml:"risk"`
	// Presets names built-in targets: disk, inodes, memory, memory-rss.
	Presets []string `yaml:"presets"`
	// Overrides replace queries of the presets' target specs, by spec name
	// (disk, pvc, inodes, memory, memory-rss): e.g. a job label your
	// node-exporters carry, or another limit metric.
	Overrides map[string]Override `yaml:"overrides"`
	// Targets are custom capacity targets.
	Targets []TargetConfig `yaml:"targets"`
	// Workers is the number of targets predicted in parallel; 0 means the
	// CPUs the process may use (GOMAXPROCS, which follows a container's
	// CPU limit).
	Workers int `yaml:"workers"`
	// Outputs are reports to write; none means a table on stdout.
	Outputs []OutputConfig `yaml:"outputs"`
	// PushTo is a VictoriaMetrics or Prometheus (remote write) URL to write
	// the predictions back to as metrics; empty means no write-back.
	PushTo string `yaml:"push_to"`
	// Schedule is when omen serve runs the job: a duration (1h: every
	// hour, from the start of the process) or a 5-field cron expression
	// (minute hour day-of-month month day-of-week, UTC, e.g. "0 */6 * * *");
	// empty means 1h. omen run ignores it; omen serve checks it.
	Schedule string `yaml:"schedule"`
	// Apply is the policy under which omen applies the tuner's proposals
	// itself (omen apply); nil means it never does. See apply.Policy.
	// omen run verifies the earlier applies whose verify_after has passed
	// and applies Proposals under it.
	Apply *apply.Policy `yaml:"apply"`

	// Shard is the part of the fleet this run predicts, "I/N" (see
	// --shard); empty means the Kubernetes Indexed Job's
	// JOB_COMPLETION_INDEX and JOB_COMPLETIONS when set, else the whole
	// fleet. The --shard flag overrides it.
	Shard string `yaml:"shard"`
	// Anomalies configures omen run's anomaly-detection stage; absent
	// means the stage is not run.
	Anomalies *AnomaliesConfig `yaml:"anomalies"`
	// Quality configures omen run's alert-quality stage (omen quality);
	// absent means the stage is not run.
	Quality *QualityConfig `yaml:"quality"`
	// Tune configures omen run's tuning stage (omen tune); absent means
	// the stage is not run. Its proposals are delivered as Proposals are.
	Tune *TuneConfig `yaml:"tune"`
	// Proposals is a file of proposals (the JSON of omen tune) that omen
	// run delivers: under the Apply policy when there is one, else as a
	// pull request (PullRequest). The tuning stage's proposals, when it
	// runs, are delivered instead. Empty (and no tune:) means nothing is
	// delivered.
	Proposals string `yaml:"proposals"`
	// PullRequest configures the delivery of Proposals as a pull request
	// (omen pr) when there is no Apply policy; absent means no pull
	// request. Only shard 0 delivers.
	PullRequest *PullRequestConfig `yaml:"pull_request"`
	// Report is omen run's one summary of every stage; each path empty
	// means that format is not written.
	Report ReportConfig `yaml:"report"`
}

// AnomaliesConfig is omen run's anomaly-detection stage: each query's
// series over Window scored by engine.Detect.
type AnomaliesConfig struct {
	// Queries are the expressions whose series are scored; required.
	Queries []string `yaml:"queries"`
	// Window is the history scored, ending at the run's instant; default 1d.
	Window Duration `yaml:"window"`
	// Step is the resolution fetched; default: chosen from the window.
	Step Duration `yaml:"step"`
	// Threshold is the score at which a sample is anomalous; default
	// anomaly.Threshold.
	Threshold float64 `yaml:"threshold"`
}

// QualityConfig is omen run's alert-quality stage: omen quality's scores
// of the alerting rules against the incidents over Window.
type QualityConfig struct {
	// Rules is a rule file, a PrometheusRule manifest or a directory of
	// them; required.
	Rules string `yaml:"rules"`
	// Incidents are files or directories of incidents (reviews, exports);
	// required.
	Incidents []string `yaml:"incidents"`
	// Window is the period scored, ending at the run's instant; default 30d.
	Window Duration `yaml:"window"`
	// History is where firings come from: replay (default), alerts (the
	// server's ALERTS series) or an Alertmanager webhook log file.
	History string `yaml:"history"`
	// Timezone is the IANA zone of night pages; default UTC.
	Timezone string `yaml:"timezone"`
	// PageSeverities are the severity values that page; default critical.
	PageSeverities []string `yaml:"page_severities"`
}

// TuneConfig is omen run's tuning stage: omen tune's proposals for the
// alerting rules, chosen from the incidents and the history over Window.
// Unset fields take omen tune's defaults.
type TuneConfig struct {
	// Rules is a rule file, a PrometheusRule manifest or a directory of
	// them; default the quality: section's rules.
	Rules string `yaml:"rules"`
	// Incidents are files or directories of incidents; default the
	// quality: section's incidents.
	Incidents []string `yaml:"incidents"`
	// Window is the history tuned on, ending at the run's instant; default
	// 12 weeks (84d). It is cut into weekly folds for validation.
	Window Duration `yaml:"window"`
	// MaxPagesPerWeek is each rule's paging budget; 0 means none.
	MaxPagesPerWeek float64 `yaml:"max_pages_per_week"`
	// MaxPagesPerWeekTotal is the budget of all the rules together (of
	// this shard's rules in a sharded run); 0 means none.
	MaxPagesPerWeekTotal float64 `yaml:"max_pages_per_week_total"`
	// MinPrecision is the smallest share of firings that must match an
	// incident; 0 means none.
	MinPrecision float64 `yaml:"min_precision"`
	// MinLead is the smallest median warning before an incident; absent
	// means none.
	MinLead *Duration `yaml:"min_lead"`
	// LeadWindow is how long before an incident's start a firing still
	// matches it; default 6h.
	LeadWindow Duration `yaml:"lead_window"`
	// Fors are the for durations tried; empty means omen tune's list
	// (0 to 1h).
	Fors []Duration `yaml:"for"`
	// MaxFactor bounds how far a threshold moves (tuner.DefaultMaxFactor
	// when 0); MaxFor is the longest for proposed (default 1h).
	MaxFactor float64  `yaml:"max_factor"`
	MaxFor    Duration `yaml:"max_for"`
	// Timezone is the IANA zone of night pages; default UTC.
	Timezone string `yaml:"timezone"`
	// PageSeverities are the severity values that page; default critical.
	PageSeverities []string `yaml:"page_severities"`
	// Output is where the proposals are written (the JSON of omen tune);
	// "{shard}" is replaced as in reports. Empty writes none.
	Output string `yaml:"output"`
}

// PullRequestConfig is the delivery of the proposals as a pull request,
// with the settings of omen pr.
type PullRequestConfig struct {
	// Repo is the rules repository, a directory or a URL; required.
	Repo string `yaml:"repo"`
	// Base is the branch the pull request goes into; default main.
	Base string `yaml:"base"`
	// Forge is github, gitlab or gitea; empty pushes the branch only.
	Forge string `yaml:"forge"`
	// ForgeURL and ForgeRepo default from Repo's URL.
	ForgeURL  string `yaml:"forge_url"`
	ForgeRepo string `yaml:"forge_repo"`
	// TokenFile holds the forge's token (else $OMEN_FORGE_TOKEN).
	TokenFile string `yaml:"token_file"`
	// MaxOpen bounds omen's open pull requests; default 3 (omen pr's).
	MaxOpen int `yaml:"max_open"`
	// Labels label the pull request; default [omen].
	Labels []string `yaml:"labels"`
	// DryRun pushes nothing and writes nothing to the forge.
	DryRun bool `yaml:"dry_run"`
}

// ReportConfig names the files of omen run's summary: every stage's
// outcome, the predictions at risk (with charts in HTML), anomalies and
// alert quality. "{shard}" in a path is replaced by the shard (I-of-N).
type ReportConfig struct {
	// HTML is the page for people, with charts.
	HTML string `yaml:"html"`
	// Markdown is the summary for chat.
	Markdown string `yaml:"markdown"`
	// JSON is the summary for machines.
	JSON string `yaml:"json"`
}

// SourceConfig is where history is read from: a server or a file. The
// command line's source flags, when given, replace the whole section.
type SourceConfig struct {
	// Prometheus is the base URL of a server speaking the Prometheus query
	// API (Prometheus, VictoriaMetrics, Thanos, Mimir), as --prometheus.
	Prometheus string `yaml:"prometheus"`
	// Input is a file to read instead of a server, as --input.
	Input string `yaml:"input"`
	// BearerTokenFile holds the bearer token, re-read before every
	// request (rotated service-account tokens are picked up).
	BearerTokenFile string `yaml:"bearer_token_file"`
	// BasicAuthUser and BasicAuthPasswordFile are HTTP basic auth; the
	// password never appears in the file itself.
	BasicAuthUser         string `yaml:"basic_auth_user"`
	BasicAuthPasswordFile string `yaml:"basic_auth_password_file"`
	// Headers are added to every request, e.g. X-Scope-OrgID: tenant1.
	Headers map[string]string `yaml:"headers"`
	// TLSCAFile verifies the server; TLSCertFile and TLSKeyFile are the
	// client certificate for mutual TLS; TLSInsecure skips verification.
	TLSCAFile   string `yaml:"tls_ca_file"`
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	TLSInsecure bool   `yaml:"tls_insecure_skip_verify"`
	// Timeout bounds one HTTP request; default 2m.
	Timeout Duration `yaml:"timeout"`
	// MaxConcurrency is the number of requests in flight; default 4.
	MaxConcurrency int `yaml:"max_concurrency"`
	// MaxRequests and MaxPointsPerSeries are the query budget (see
	// --max-requests and --max-points); 0 keeps the default, -1 removes it.
	MaxRequests        int `yaml:"max_requests"`
	MaxPointsPerSeries int `yaml:"max_points_per_series"`
}

// RiskConfig sets the risk levels from the P50 time to exhaustion.
type RiskConfig struct {
	// Critical is the P50 below which a target is critical; default 24h.
	Critical Duration `yaml:"critical"`
	// Warning is the P50 below which a target is a warning; default 7d.
	Warning Duration `yaml:"warning"`
	// FailOn is the lowest risk that makes omen run exit with code 3:
	// critical (default), warning, info, or none.
	FailOn string `yaml:"fail_on"`
}

// TargetConfig is a custom capacity target in the job file.
type TargetConfig struct {
	// Name identifies the target in reports; required.
	Name string `yaml:"name"`
	// Usage is the query of the value approaching the limit; required.
	Usage string `yaml:"usage"`
	// Limit is a query or a number; required.
	Limit string `yaml:"limit"`
	// Direction is up (exhausted at value ≥ limit, the default) or down.
	Direction string `yaml:"direction"`
	// On lists the labels a usage series and its limit and restarts series
	// share; empty matches on every label but the metric name.
	On []string `yaml:"on"`
	// Restarts is an optional query of a restart counter, used to cut the
	// usage into segments at restarts.
	Restarts string `yaml:"restarts"`
}

// Override replaces the queries of a preset's target spec; empty fields
// keep the preset's. The fields are those of TargetSpec: Usage, Limit,
// Capacity (total size, shown as headroom), Restarts, ReadOnly (0/1 series
// of read-only filesystems, skipped) and On (join labels).
type Override struct {
	Usage    string   `yaml:"usage"`
	Limit    string   `yaml:"limit"`
	Capacity string   `yaml:"capacity"`
	Restarts string   `yaml:"restarts"`
	ReadOnly string   `yaml:"read_only"`
	On       []string `yaml:"on"`
}

// Apply returns spec with the override's non-empty fields.
func (o Override) Apply(spec TargetSpec) TargetSpec {
	for _, f := range []struct {
		dst *string
		v   string
	}{{&spec.Usage, o.Usage}, {&spec.Limit, o.Limit}, {&spec.Capacity, o.Capacity}, {&spec.Restarts, o.Restarts}, {&spec.ReadOnly, o.ReadOnly}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if len(o.On) > 0 {
		spec.On = o.On
	}
	return spec
}

// Specs returns the target specs of the job: its presets with their
// overrides, then its custom targets.
func (c *Config) Specs() []TargetSpec {
	var specs []TargetSpec
	for _, p := range c.Presets {
		specs0, _ := Preset(p)
		for _, spec := range specs0 {
			if o, ok := c.Overrides[spec.Name]; ok {
				spec = o.Apply(spec)
			}
			specs = append(specs, spec)
		}
	}
	for _, t := range c.Targets {
		if spec, err := t.Spec(); err == nil { // Validate reported errors already
			specs = append(specs, spec)
		}
	}
	return specs
}

// OutputConfig is one report: a format and a file path ("-" or empty for
// stdout).
type OutputConfig struct {
	// Format is table, json, yaml, csv, markdown or html.
	Format string `yaml:"format"`
	// Path is the file written (atomically); "-" or empty is stdout.
	Path string `yaml:"path"`
}

// Duration is a Prometheus-style duration in YAML: 30s, 5m, 2h, 14d, 1w.
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 5m or 14d", n.Line)
	}
	v, err := model.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("line %d: cannot parse duration %q: want a number and a unit such as 30s, 5m, 2h, 14d", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// Outputs formats accepted in a job file.
var outputFormats = []string{"table", "json", "yaml", "csv", "markdown", "html"}

// riskLevels accepted by fail_on.
var riskLevels = []string{"critical", "warning", "info", "none"}

// LoadConfig reads and validates a job file. Errors name the file, and the
// line or field at fault.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read job file: %w", err)
	}
	cfg, err := ParseConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig reads and validates a job file from r. Unknown fields are
// errors, so a typo never silently disables a setting.
func ParseConfig(r io.Reader) (*Config, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("empty job file: want at least presets or targets")
		}
		return nil, fmt.Errorf("invalid job file: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Validate checks the job and names the field at fault.
func (c *Config) Validate() error {
	if c.Source.Prometheus != "" && c.Source.Input != "" {
		return fmt.Errorf("source: prometheus and input are alternatives: give one")
	}
	if c.At != "" {
		if _, err := time.Parse(time.RFC3339, c.At); err != nil {
			return fmt.Errorf("at: want an RFC3339 time such as 2026-11-01T00:00:00Z, got %q", c.At)
		}
	}
	for name, d := range map[string]Duration{"window": c.Window, "step": c.Step, "horizon": c.Horizon, "risk.critical": c.Risk.Critical, "risk.warning": c.Risk.Warning, "source.timeout": c.Source.Timeout} {
		if d < 0 {
			return fmt.Errorf("%s: must not be negative", name)
		}
	}
	if c.Risk.Critical > 0 && c.Risk.Warning > 0 && c.Risk.Critical > c.Risk.Warning {
		return fmt.Errorf("risk: critical (%s) must not be longer than warning (%s)", model.Duration(c.Risk.Critical), model.Duration(c.Risk.Warning))
	}
	if c.Risk.FailOn != "" && !slices.Contains(riskLevels, c.Risk.FailOn) {
		return fmt.Errorf("risk.fail_on: want one of %s, got %q", strings.Join(riskLevels, ", "), c.Risk.FailOn)
	}
	if c.Apply != nil {
		if err := c.Apply.Validate(); err != nil {
			return err // "apply: invalid policy: <field>: ..."
		}
	}
	if len(c.Presets) == 0 && len(c.Targets) == 0 && c.Apply == nil && c.Anomalies == nil && c.Quality == nil && c.Tune == nil && c.PullRequest == nil {
		return fmt.Errorf("presets, targets: give at least one preset (%s) or target (or an apply: section for omen apply)", strings.Join(PresetNames(), ", "))
	}
	if c.Workers < 0 {
		return fmt.Errorf("workers: want 0 (the CPUs available) or more, got %d", c.Workers)
	}
	if c.Shard != "" {
		if _, err := ParseShard(c.Shard); err != nil {
			return fmt.Errorf("shard: %w", err)
		}
	}
	if a := c.Anomalies; a != nil {
		if len(a.Queries) == 0 {
			return fmt.Errorf("anomalies.queries: give at least one query")
		}
		if a.Window < 0 || a.Step < 0 || a.Threshold < 0 || a.Threshold > 1 {
			return fmt.Errorf("anomalies: window and step must not be negative, threshold in [0, 1]")
		}
	}
	if q := c.Quality; q != nil {
		if q.Rules == "" || len(q.Incidents) == 0 {
			return fmt.Errorf("quality: rules and incidents are required")
		}
		if q.Window < 0 {
			return fmt.Errorf("quality.window: must not be negative")
		}
	}
	if t := c.Tune; t != nil {
		if t.Rules == "" && c.Quality == nil {
			return fmt.Errorf("tune.rules: required (or a quality: section whose rules are tuned)")
		}
		if len(t.Incidents) == 0 && c.Quality == nil {
			return fmt.Errorf("tune.incidents: required (or a quality: section whose incidents are used)")
		}
		switch {
		case t.Window < 0 || t.MaxFor < 0 || t.LeadWindow < 0 || (t.MinLead != nil && *t.MinLead < 0) || slices.ContainsFunc(t.Fors, func(d Duration) bool { return d < 0 }):
			return fmt.Errorf("tune: window, lead_window, for, max_for and min_lead must not be negative")
		case t.MaxPagesPerWeek < 0 || t.MaxPagesPerWeekTotal < 0 || math.IsNaN(t.MaxPagesPerWeek) || math.IsNaN(t.MaxPagesPerWeekTotal):
			return fmt.Errorf("tune: max_pages_per_week and max_pages_per_week_total want 0 (none) or more")
		case t.MinPrecision < 0 || t.MinPrecision > 1 || math.IsNaN(t.MinPrecision):
			return fmt.Errorf("tune.min_precision: want a share in [0, 1], got %g", t.MinPrecision)
		case t.MaxFactor != 0 && !(t.MaxFactor > 1):
			return fmt.Errorf("tune.max_factor: want more than 1 (or 0 for the default), got %g", t.MaxFactor)
		}
		if t.Timezone != "" {
			if _, err := time.LoadLocation(t.Timezone); err != nil {
				return fmt.Errorf("tune.timezone: %w", err)
			}
		}
	}
	if p := c.PullRequest; p != nil {
		if p.Repo == "" {
			return fmt.Errorf("pull_request.repo: required (a directory or a URL)")
		}
		if p.Forge != "" && !slices.Contains([]string{"github", "gitlab", "gitea"}, p.Forge) {
			return fmt.Errorf("pull_request.forge: want github, gitlab or gitea, got %q", p.Forge)
		}
	}
	for i, p := range c.Presets {
		if _, ok := Preset(p); !ok {
			return fmt.Errorf("presets[%d]: unknown preset %q: want one of %s", i, p, strings.Join(PresetNames(), ", "))
		}
	}
	known := map[string]bool{}
	for _, p := range c.Presets {
		ps, _ := Preset(p)
		for _, spec := range ps {
			known[spec.Name] = true
		}
	}
	for name := range c.Overrides {
		if !known[name] {
			return fmt.Errorf("overrides.%s: not a target of the presets in use (%s)", name, strings.Join(c.Presets, ", "))
		}
	}
	seen := map[string]bool{}
	for i, t := range c.Targets {
		if _, err := t.Spec(); err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
		if seen[t.Name] {
			return fmt.Errorf("targets[%d].name: %q is used twice", i, t.Name)
		}
		seen[t.Name] = true
	}
	for i, o := range c.Outputs {
		if !slices.Contains(outputFormats, o.Format) {
			return fmt.Errorf("outputs[%d].format: want one of %s, got %q", i, strings.Join(outputFormats, ", "), o.Format)
		}
		if o.Format == "html" && (o.Path == "" || o.Path == "-") {
			return fmt.Errorf("outputs[%d].path: an html report needs a file path", i)
		}
	}
	return nil
}

// Spec turns a custom target into a TargetSpec, checking its fields.
func (t TargetConfig) Spec() (TargetSpec, error) {
	s := TargetSpec{Name: t.Name, Usage: t.Usage, On: t.On, Restarts: t.Restarts, ReportNoLimit: true}
	if strings.TrimSpace(t.Name) == "" {
		return s, fmt.Errorf("name: required")
	}
	if strings.TrimSpace(t.Usage) == "" {
		return s, fmt.Errorf("usage: required (a query)")
	}
	if d := strings.ToLower(t.Direction); d != "" {
		dir, err := series.ParseDirection(d)
		if err != nil {
			return s, fmt.Errorf("direction: want up or down, got %q", t.Direction)
		}
		s.Direction = dir
	}
	if strings.TrimSpace(t.Limit) == "" {
		return s, fmt.Errorf("limit: required (a query or a number)")
	}
	if v, err := strconv.ParseFloat(strings.TrimSpace(t.Limit), 64); err == nil {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return s, fmt.Errorf("limit: want a finite number, got %q", t.Limit)
		}
		if v <= 0 && s.Direction == series.Up {
			return s, fmt.Errorf("limit: %s with direction up would never be a limit: a limit ≤ 0 that usage rises to means none (cAdvisor's unlimited container); want a positive number, or direction down for usage falling to %s", t.Limit, t.Limit)
		}
		s.LimitValue = v
	} else {
		s.Limit = t.Limit
	}
	return s, nil
}

// PresetNames lists the built-in presets in a stable order.
func PresetNames() []string { return []string{"disk", "inodes", "memory", "memory-rss"} }
