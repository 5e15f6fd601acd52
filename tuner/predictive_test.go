package tuner_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/tuner"
)

// TestPredictiveRulesPassPromtool checks the generated rules with
// `promtool check rules`, then with `promtool test rules`: a critical
// prediction written once pages for the whole run interval, a warning
// raises a warning, and an ok target stays quiet.
func TestPredictiveRulesPassPromtool(t *testing.T) {
	promtool := testrig.RequireBinary(t, "promtool")
	dir := t.TempDir()
	rules, err := tuner.PredictiveRules(tuner.PredictiveRulesConfig{Interval: 6 * time.Hour, ExtraLabels: map[string]string{"team": "sre"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "omen.rules.yml"), rules, 0o644))

	out, err := exec.Command(promtool, "check", "rules", filepath.Join(dir, "omen.rules.yml")).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "SUCCESS: 2 rules found")

	// One omen run at t=0 writes one sample per series (the rest of the
	// series is absent, written as _ ): the predicted instants 12h and 3d
	// after it. Evaluated 5h later, the alerts say 5h less.
	tests := `rule_files: [omen.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1h
    input_series:
      - series: 'omen_exhaustion_at_seconds{quantile="0.5",target="disk",instance="db-1:9100",mountpoint="/data",pattern="steady-growth"}'
        values: '43200 _x8'
      - series: 'omen_exhaustion_risk{target="disk",instance="db-1:9100",mountpoint="/data",pattern="steady-growth"}'
        values: '3 _x8'
      - series: 'omen_exhaustion_at_seconds{quantile="0.5",target="memory",namespace="shop",pod="cart-0",container="cart",pattern="leak"}'
        values: '259200 _x8'
      - series: 'omen_exhaustion_risk{target="memory",namespace="shop",pod="cart-0",container="cart",pattern="leak"}'
        values: '2 _x8'
      - series: 'omen_exhaustion_risk{target="disk",instance="web-1:9100",mountpoint="/var/log",pattern="sawtooth"}'
        values: '0 _x8'
    alert_rule_test:
      - eval_time: 5h
        alertname: OmenExhaustionCritical
        exp_alerts:
          - exp_labels: {severity: critical, team: sre, target: disk, instance: "db-1:9100", mountpoint: /data, pattern: steady-growth, quantile: "0.5"}
            exp_annotations:
              summary: "disk db-1:9100 /data will be exhausted in about 7h 0m 0s"
              description: "omen predicts exhaustion (critical) in a median time of 7h 0m 0s from now, as its last run predicted; pattern steady-growth. ` + "`omen predict`" + ` shows the interval, the model and the chart."
      - eval_time: 5h
        alertname: OmenExhaustionWarning
        exp_alerts:
          - exp_labels: {severity: warning, team: sre, target: memory, namespace: shop, pod: cart-0, container: cart, pattern: leak, quantile: "0.5"}
            exp_annotations:
              summary: "memory shop/cart-0/cart will be exhausted in about 2d 19h 0m 0s"
              description: "omen predicts exhaustion (warning) in a median time of 2d 19h 0m 0s from now, as its last run predicted; pattern leak. ` + "`omen predict`" + ` shows the interval, the model and the chart."
      - eval_time: 0h
        alertname: OmenExhaustionCritical
        exp_alerts:
          - exp_labels: {severity: critical, team: sre, target: disk, instance: "db-1:9100", mountpoint: /data, pattern: steady-growth, quantile: "0.5"}
            exp_annotations:
              summary: "disk db-1:9100 /data will be exhausted in about 12h 0m 0s"
              description: "omen predicts exhaustion (critical) in a median time of 12h 0m 0s from now, as its last run predicted; pattern steady-growth. ` + "`omen predict`" + ` shows the interval, the model and the chart."
      - eval_time: 2h
        alertname: OmenExhaustionCritical
        exp_alerts:
          - exp_labels: {severity: critical, team: sre, target: disk, instance: "db-1:9100", mountpoint: /data, pattern: steady-growth, quantile: "0.5"}
            exp_annotations:
              summary: "disk db-1:9100 /data will be exhausted in about 10h 0m 0s"
              description: "omen predicts exhaustion (critical) in a median time of 10h 0m 0s from now, as its last run predicted; pattern steady-growth. ` + "`omen predict`" + ` shows the interval, the model and the chart."
      - eval_time: 8h
        alertname: OmenExhaustionCritical
        exp_alerts: []
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "omen.rules.test.yml"), []byte(tests), 0o644))
	cmd := exec.Command(promtool, "test", "rules", "omen.rules.test.yml")
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "SUCCESS")
}
