package sink

import (
	"bytes"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Metric names omen writes back.
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

// RulesConfig shapes the alerting rules that page on omen's predictions.
// The zero value is usable.
type RulesConfig struct {
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

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// PredictiveRules returns a Prometheus rule file with alerts on omen's
// written-back predictions instead of on predict_linear: a critical page
// when omen judged a target critical, a warning when it judged it a
// warning. The alert's value is the P50 time to exhaustion at the last run.
//
// The ETA and risk series carry the same labels (the target's, target and
// pattern) but for quantile, which is what the rules join on.
func PredictiveRules(cfg RulesConfig) ([]byte, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = 24 * time.Hour
	}
	if cfg.Group == "" {
		cfg.Group = "omen-predictive"
	}
	// A margin of a tenth of the interval, at least 30 minutes, covers a
	// late or slow run.
	margin := max(cfg.Interval/10, 30*time.Minute)
	window := model.Duration(cfg.Interval + margin).String()
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
		for k, v := range cfg.ExtraLabels {
			m[k] = v
		}
		return m
	}
	var forStr string
	if cfg.For > 0 {
		forStr = model.Duration(cfg.For).String()
	}
	f := ruleFile{Groups: []ruleGroup{{
		Name: cfg.Group,
		Rules: []rule{
			{Alert: "OmenExhaustionCritical", Expr: expr(">= 3"), For: forStr, Labels: labels("critical"), Annotations: annotations("critical")},
			{Alert: "OmenExhaustionWarning", Expr: expr("== 2"), For: forStr, Labels: labels("warning"), Annotations: annotations("warning")},
		},
	}}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("cannot encode rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cannot encode rules: %w", err)
	}
	return buf.Bytes(), nil
}
