package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/apply"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// The apply scenario: an error ratio at 1m over 24 hours in two 12-hour
// halves alike: 0.01, three noise spikes to 0.055 (above the rule's
// threshold 0.05), and an incident at 0.07 eight hours into each half.
var applyStart = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

func applyHistory() series.Series {
	s := series.Series{Labels: series.New(series.MetricName, "error_ratio", "service", "checkout")}
	for t := applyStart; t.Before(applyStart.Add(24 * time.Hour)); t = t.Add(time.Minute) {
		in := t.Sub(applyStart) % (12 * time.Hour)
		v := 0.01
		if h := in / time.Hour; (h == 2 || h == 4 || h == 6) && in%time.Hour < 10*time.Minute {
			v = 0.055
		}
		if in >= 8*time.Hour && in < 8*time.Hour+30*time.Minute {
			v = 0.07
		}
		s.Timestamps = append(s.Timestamps, t.UnixMilli())
		s.Values = append(s.Values, v)
	}
	return s
}

const applyRules = `groups:
  - name: checkout
    interval: 2s
    rules:
      - alert: CheckoutErrors
        expr: error_ratio{service="checkout"} > 0.05
        labels:
          severity: warning
`

func applyProposal(to float64) string {
	return fmt.Sprintf(`{"proposals": [{"file": "app.yml", "group": "checkout", "alert": "CheckoutErrors",
  "changes": [{"field": "threshold", "from": 0.05, "to": %g}],
  "after": {"pages_per_week": 2, "caught": ["INC-0"], "missed": []}, "why": "fewer pages on noise"}]}`, to)
}

type applyOut struct {
	Mode       string          `json:"mode"`
	Applied    []apply.Outcome `json:"applied"`
	Verified   []apply.Outcome `json:"verified"`
	RolledBack []apply.Outcome `json:"rolled_back"`
	Skipped    []apply.Outcome `json:"skipped"`
	Failed     []apply.Outcome `json:"failed"`
}

func TestApplyOnARealPrometheus(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	require.NoError(t, os.Mkdir(rules, 0o755))
	ruleFile := writeFile(t, rules, "app.yml", applyRules)
	srv := testrig.PrometheusEvaluating(t, []series.Series{applyHistory()}, filepath.Join(rules, "*.yml"))
	incidents := writeFile(t, dir, "incidents.yaml", fmt.Sprintf(`incidents:
  - {id: INC-1, start: %s, end: %s, labels: {service: checkout}}
  - {id: INC-2, start: %s, end: %s, labels: {service: checkout}}
`, applyStart.Add(8*time.Hour).Format(time.RFC3339), applyStart.Add(8*time.Hour+30*time.Minute).Format(time.RFC3339),
		applyStart.Add(20*time.Hour).Format(time.RFC3339), applyStart.Add(20*time.Hour+30*time.Minute).Format(time.RFC3339)))
	config := writeFile(t, dir, "omen.yaml", fmt.Sprintf(`source:
  prometheus: %s
apply:
  mode: direct
  rules_dir: %s
  rules: [{files: ["*.yml"]}]
  changes: [threshold]
  max_step: {threshold: 100%%}
  verify_after: 12h
  verify:
    incidents: [%s]
    page_severities: [warning]
`, srv.URL, rules, incidents))
	bad := writeFile(t, dir, "bad.json", applyProposal(0.08))
	good := writeFile(t, dir, "good.json", applyProposal(0.06))
	at := func(d time.Duration) string { return applyStart.Add(d).Format(time.RFC3339) }
	ruleNow := func() string {
		b, err := os.ReadFile(ruleFile)
		require.NoError(t, err)
		return string(b)
	}
	served := func() string {
		resp, err := http.Get(srv.URL + "/api/v1/rules")
		require.NoError(t, err)
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						Query  string `json:"query"`
						Health string `json:"health"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
		require.Equal(t, "ok", r.Data.Groups[0].Rules[0].Health)
		return r.Data.Groups[0].Rules[0].Query
	}
	decode := func(stdout string) applyOut {
		var out applyOut
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
		return out
	}
	ledger := func() *apply.Ledger {
		l, err := apply.ReadLedger(filepath.Join(rules, ".omen", "ledger.yaml"))
		require.NoError(t, err)
		return l
	}

	t.Run("without a policy it refuses and says how to write one", func(t *testing.T) {
		code, _, stderr := run(t, nil, "apply", "--proposals", bad, "--prometheus", srv.URL)
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "no policy: omen applies changes itself only under an explicit policy")
		require.Contains(t, stderr, "apply:\n  mode: direct")
		noPolicy := writeFile(t, dir, "predict-only.yaml", "presets: [disk]\n")
		code, _, stderr = run(t, nil, "apply", "--config", noPolicy, "--proposals", bad)
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "predict-only.yaml has no apply: section")
		require.Equal(t, applyRules, ruleNow(), "nothing was touched")
	})

	// Applied at 00:00: 0.05 → 0.08, reloaded.
	code, stdout, stderr := run(t, nil, "apply", "--config", config, "--proposals", bad, "--at", at(0))
	require.Equal(t, ExitOK, code, stderr)
	out := decode(stdout)
	require.Equal(t, "direct", out.Mode)
	require.Len(t, out.Applied, 1, stdout)
	require.Equal(t, strings.Replace(applyRules, "0.05", "0.08", 1), ruleNow())
	require.Equal(t, `error_ratio{service="checkout"} > 0.08`, served())

	// Verified at 12:00: it missed INC-1, which the old rule catches.
	code, stdout, stderr = run(t, nil, "apply", "--config", config, "--verify", "--at", at(12*time.Hour), "--format", "markdown")
	require.Equal(t, ExitFindings, code, stderr)
	require.Contains(t, stdout, "### Rolled back")
	require.Contains(t, stdout, "the old rule would have caught INC-1, the new one missed it")
	require.Contains(t, stdout, "incidents INC-1, caught none, old rule caught INC-1")
	require.Equal(t, applyRules, ruleNow(), "the file is rolled back")
	require.Equal(t, `error_ratio{service="checkout"} > 0.05`, served(), "and Prometheus reloaded")
	require.Equal(t, apply.StateRolledBack, ledger().Entries[0].State)

	// 0.05 → 0.06 at 12:00 keeps INC-2 and drops the noise: verified at
	// 24:00, kept.
	code, stdout, stderr = run(t, nil, "apply", "--config", config, "--proposals", good, "--at", at(12*time.Hour))
	require.Equal(t, ExitOK, code, stderr)
	require.Len(t, decode(stdout).Applied, 1, stdout)
	code, stdout, stderr = run(t, nil, "apply", "--config", config, "--verify", "--at", at(24*time.Hour))
	require.Equal(t, ExitOK, code, stderr)
	out = decode(stdout)
	require.Len(t, out.Verified, 1, stdout)
	require.Equal(t, []string{"INC-2"}, out.Verified[0].Verification.Caught)
	require.Equal(t, strings.Replace(applyRules, "0.05", "0.06", 1), ruleNow(), "a change that passes is kept")
	require.Equal(t, `error_ratio{service="checkout"} > 0.06`, served())
	l := ledger()
	require.Equal(t, apply.StateVerified, l.Entries[1].State)

	t.Run("omen serve's job shows the ledger as metrics", func(t *testing.T) {
		cfg, err := engine.LoadConfig(config)
		require.NoError(t, err)
		cfg.Proposals = good // already in effect: nothing more is applied
		var stdout, stderr bytes.Buffer
		g := &globalOptions{At: at(24 * time.Hour), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: func(string) string { return "" }, now: func() time.Time { return applyStart.Add(24 * time.Hour) },
			logger: slog.New(slog.DiscardHandler)}
		out, err := serveJob(g, &viewOptions{Sort: "risk", MinRisk: "ok"})(context.Background(), cfg)
		require.NoError(t, err, stderr.String())
		got := map[string]float64{}
		for _, s := range out.Series {
			got[s.Labels.String()] = s.Values[0]
		}
		require.Equal(t, 1.0, got[`omen_apply_rollbacks_total`], "%v", got)
		require.Equal(t, 1.0, got[`omen_apply_verifications_total{result="passed"}`], "%v", got)
		require.Equal(t, 1.0, got[`omen_apply_changes{state="verified"}`], "%v", got)
	})

	t.Run("the table says what was done", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, "apply", "--config", config, "--proposals", good, "--at", at(24*time.Hour), "--format", "table", "--dry-run")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "Not applied")
		require.Contains(t, stdout, "every value is already in effect")
	})
}

func TestApplyUsageErrors(t *testing.T) {
	dir := t.TempDir()
	policy := writeFile(t, dir, "policy.yaml", "mode: direct\nrules_dir: "+dir+"\nrules: [{files: ['*']}]\nchanges: [threshold]\nverify_after: 7d\n")
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"proposals or verify are required", []string{"apply", "--policy", policy}, "give --proposals FILE"},
		{"verify takes no proposals", []string{"apply", "--policy", policy, "--verify", "--proposals", "p.json"}, "--verify verifies only"},
		{"a bad format is refused", []string{"apply", "--policy", policy, "--verify", "--format", "csv"}, `invalid --format "csv"`},
		{"a bad policy names its line", []string{"apply", "--policy", writeFile(t, dir, "bad.yaml", "mode: direct\nrules_dir: /r\nrulez: []\n"), "--verify"}, "line 3: field rulez not found"},
		{"direct mode needs the Prometheus to reload", []string{"apply", "--policy", policy, "--verify"}, "direct mode needs the Prometheus that evaluates the rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, tt.args...)
			require.NotEqual(t, ExitOK, code, stderr)
			require.Contains(t, stderr, tt.err)
		})
	}
}
