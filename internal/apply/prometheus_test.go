package apply

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSameExprComparesAsParsed(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"Prometheus's printing of a rule is the rule", `sum(rate(errors_total{job="api"}[5m])) by (service) > 0.05`, `sum by (service) (rate(errors_total{job="api"}[5m])) > 0.05`, true},
		{"numbers compare by value", `x > 0.00001`, `x > 1e-05`, true},
		{"another threshold is another rule", `x > 0.05`, `x > 0.08`, false},
		{"an expression metricsql cannot read is taken as the same", `x > 0.05 @@`, `x > 0.08 @@`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.same, sameExpr(tt.a, tt.b))
		})
	}
}

func TestAServedRuleMatchesTheRuleAsWritten(t *testing.T) {
	rule := testRule(t, "groups:\n  - name: app\n    rules:\n      - alert: A\n        expr: sum(rate(errors_total[300s])) by (service) > 1e-05\n        for: 5m\n        labels: {severity: warning}\n")
	served := RuleStatus{Query: "sum by (service) (rate(errors_total[5m])) > 1e-05", For: rule.ForDuration, Labels: map[string]string{"severity": "warning"}}
	require.True(t, served.matches(rule), "Prometheus's printing of the same rule")
	other := served
	other.Query = "sum by (service) (rate(errors_total[5m])) > 2e-05"
	require.False(t, other.matches(rule), "another threshold")
	other = served
	other.For = 0
	require.False(t, other.matches(rule), "another for")
	other = served
	other.Labels = map[string]string{"severity": "critical"}
	require.False(t, other.matches(rule), "other labels")
}

func TestFindPicksTheRuleOfTheFile(t *testing.T) {
	rs := []RuleStatus{
		{File: "/etc/prometheus/rules/app.yml", Group: "app", Name: "High", Labels: map[string]string{"severity": "warning"}},
		{File: "/etc/prometheus/rules/app.yml", Group: "app", Name: "High", Labels: map[string]string{"severity": "critical"}},
		{File: "/etc/prometheus/rules/prometheus-k8s-rulefiles-0/monitoring-app.yaml", Group: "node", Name: "DiskFull"},
	}
	st, ok := find(rs, "app.yml", "app", "High", map[string]string{"severity": "critical"}, true)
	require.True(t, ok)
	require.Equal(t, "critical", st.Labels["severity"])
	_, ok = find(rs, "other/app.yml", "app", "High", map[string]string{"severity": "critical"}, true)
	require.False(t, ok, "strict: another file is another rule")
	_, ok = find(rs, "kube/node.yaml", "node", "DiskFull", nil, true)
	require.False(t, ok)
	st, ok = find(rs, "kube/node.yaml", "node", "DiskFull", nil, false)
	require.True(t, ok, "not strict: the one rule of that name, as the operator wrote it")
	require.Contains(t, st.File, "monitoring-app.yaml")
}
