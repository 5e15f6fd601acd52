package tuner

import (
	"bytes"
	"fmt"
	"maps"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Metric names omen writes back (the engine's write-back builds them; the
// predictive rules read them).
const (
	// MetricETA is the predicted time to exhaustion in seconds from the
	// run, with a quantile label (0.1, 0.5, 0.9).
	MetricETA = "omen_exhaustion_eta_seconds"
	// MetricRisk is the risk level: 0 ok, 1 info, 2 warning, 3 critical,
	// with the pattern seen as a label.
	MetricRisk = "omen_exhaustion_risk"
	// MetricAt is the predicted instant of exhaustion, in Unix seconds,
	// with a quantile label (0.1, 0.5, 0.9): unlike MetricETA it stays true
	// between runs, and `MetricAt - time()` counts down.
	MetricAt = "omen_exhaustion_at_seconds"
)

// Names of the alerts PredictiveRules writes.
const (
	// AlertExhaustionCritical pages when omen judged a target critical.
	AlertExhaustionCritical = "OmenExhaustionCritical"
	// AlertExhaustionWarning warns when omen judged a target a warning.
	AlertExhaustionWarning = "OmenExhaustionWarning"
)

// PredictiveRulesConfig shapes the alerting rules that page on omen's
// predictions. The zero value is usable.
type PredictiveRulesConfig struct {
	// Interval is how often omen runs (the CronJob schedule); the rules
	// look back over Interval plus a margin so that a prediction written
	// once per run stays visible until the next. Default 24h.
	Interval time.Duration
	// For is how long a risk must hold before the alert fires; default 0,
	// since each prediction already looks at days of history.
	For time.Duration
	// Group is the rule group name; default "omen-predictive".
	Group string
	// ExtraLabels are added to every alert (e.g. team: sre).
	ExtraLabels map[string]string
}

func (c PredictiveRulesConfig) withDefaults() PredictiveRulesConfig {
	if c.Interval <= 0 {
		c.Interval = 24 * time.Hour
	}
	if c.Group == "" {
		c.Group = "omen-predictive"
	}
	return c
}

// lookback is the rules' window: Interval plus a margin of a tenth of the
// interval, at least 30 minutes, which covers a late or slow run.
func (c PredictiveRulesConfig) lookback() time.Duration {
	return c.Interval + max(c.Interval/10, 30*time.Minute)
}

type predictiveFile struct {
	Groups []predictiveGroup `yaml:"groups"`
}

type predictiveGroup struct {
	Name  string           `yaml:"name"`
	Rules []predictiveRule `yaml:"rules"`
}

type predictiveRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// PredictiveRules returns a Prometheus rule file with alerts on omen's
// written-back predictions instead of on predict_linear: a critical page
// when omen judged a target critical, a warning when it judged it a
// warning. The alert's value is the P50 time to exhaustion at evaluation,
// counted down from the predicted instant of the last run:
//
//	clamp_min(last_over_time(omen_exhaustion_at_seconds{quantile="0.5"}[W]) - time(), 0)
//	  and ignoring(quantile) (last_over_time(omen_exhaustion_risk[W]) >= 3)
//
// (== 2 for the warning), with W = Interval + max(Interval/10, 30m).
//
// The ETA and risk series carry the same labels (the target's, target and
// pattern) but for quantile, which is what the rules join on.
func PredictiveRules(cfg PredictiveRulesConfig) ([]byte, error) {
	cfg = cfg.withDefaults()
	window := model.Duration(cfg.lookback()).String()
	// The value is the time left at evaluation, from the predicted instant
	// of the last run: the annotation counts down between runs.
	expr := func(cond string) string {
		return fmt.Sprintf(`clamp_min(last_over_time(%s{quantile="0.5"}[%s]) - time(), 0) and ignoring(quantile) (last_over_time(%s[%s]) %s)`, MetricAt, window, MetricRisk, window, cond)
	}
	annotations := func(level string) map[string]string {
		return map[string]string{
			"summary": "{{ $labels.target }}{{ with $labels.instance }} {{ . }}{{ end }}{{ with $labels.mountpoint }} {{ . }}{{ end }}" +
				"{{ with $labels.persistentvolumeclaim }} {{ . }}{{ end }}{{ with $labels.pod }} {{ $labels.namespace }}/{{ . }}/{{ $labels.container }}{{ end }}" +
				" will be exhausted in about {{ $value | humanizeDuration }}",
			"description": "omen predicts exhaustion (" + level + ") in a median time of {{ $value | humanizeDuration }} from now, " +
				"as its last run predicted; pattern {{ $labels.pattern }}. `omen predict` shows the interval, the model and the chart.",
		}
	}
	labels := func(sev string) map[string]string {
		m := map[string]string{"severity": sev}
		maps.Copy(m, cfg.ExtraLabels)
		return m
	}
	var forStr string
	if cfg.For > 0 {
		forStr = model.Duration(cfg.For).String()
	}
	f := predictiveFile{Groups: []predictiveGroup{{
		Name: cfg.Group,
		Rules: []predictiveRule{
			{Alert: AlertExhaustionCritical, Expr: expr(">= 3"), For: forStr, Labels: labels("critical"), Annotations: annotations("critical")},
			{Alert: AlertExhaustionWarning, Expr: expr("== 2"), For: forStr, Labels: labels("warning"), Annotations: annotations("warning")},
		},
	}}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("tuner: cannot encode rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("tuner: cannot encode rules: %w", err)
	}
	return buf.Bytes(), nil
}
