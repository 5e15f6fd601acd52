package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

const ruleFixtures = "../../tuner/testdata/rules"

func TestRulesListGolden(t *testing.T) {
	for _, c := range []struct{ format, columns string }{{"table", ""}, {"table", "100"}, {"json", ""}, {"markdown", ""}} {
		name := c.format
		if c.columns != "" {
			name += "-" + c.columns
		}
		t.Run("the "+name+" output is the golden one", func(t *testing.T) {
			code, stdout, stderr := run(t, map[string]string{"COLUMNS": c.columns}, "rules", "list", "--rules", ruleFixtures, "--format", c.format)
			require.Equal(t, ExitOK, code, stderr)
			golden := filepath.Join("testdata", "rules-list."+name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(stdout), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/cli -run TestRulesListGolden -update")
			require.Equal(t, string(want), stdout)
		})
	}
}

func TestRulesListJSON(t *testing.T) {
	code, stdout, stderr := run(t, nil, "rules", "list", "--rules", filepath.Join(ruleFixtures, "fields.yml"), "--interval", "2m", "--format", "json")
	require.Equal(t, ExitOK, code, stderr)
	var out struct {
		Rules []map[string]any `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Rules, 5)
	first := out.Rules[0]
	for _, k := range []string{"file", "line", "group", "alert", "expr", "for", "for_seconds", "threshold", "comparison", "labels", "keep_firing_for", "interval_seconds", "annotations"} {
		require.Contains(t, first, k)
	}
	require.Equal(t, "fields.yml", first["file"])
	require.Equal(t, 10.0, first["line"])
	require.Equal(t, "0s", first["for"])
	require.Equal(t, 3600.0, first["threshold"])
	require.Equal(t, ">", first["comparison"])
	require.Equal(t, 30.0, first["interval_seconds"])
	require.Contains(t, stdout, `"expr": "time() - batch_last_success_timestamp_seconds > 3600"`, "no HTML escaping")

	noFor := out.Rules[2]
	require.Nil(t, noFor["for"])
	require.Equal(t, 120.0, noFor["interval_seconds"], "--interval for groups without one")

	record := out.Rules[4]
	require.Equal(t, "job:up:avg", record["record"])
	require.NotContains(t, record, "alert")
	require.Nil(t, record["threshold"])
	require.Nil(t, record["comparison"])
}

func TestRulesListErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(bad, []byte("global:\n  scrape_interval: 15s\n"), 0o644))
	code, _, stderr := run(t, nil, "rules", "list", "--rules", bad)
	require.Equal(t, ExitFailure, code)
	require.Contains(t, stderr, bad+":1: tuner: not a rule file")

	code, _, stderr = run(t, nil, "rules", "list")
	require.Equal(t, ExitUsage, code)
	require.Contains(t, stderr, "rules")

	code, stdout, stderr := run(t, nil, "rules", "list", "--rules", dir)
	require.Equal(t, ExitOK, code)
	require.Contains(t, stderr, "skipped, not a rule file")
	require.Contains(t, stdout, "0 rules")
}

func TestRulesSet(t *testing.T) {
	promtool := testrig.RequireBinary(t, "promtool")
	src, err := os.ReadFile(filepath.Join(ruleFixtures, "warn-crit.yml"))
	require.NoError(t, err)
	setup := func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "app.yml")
		require.NoError(t, os.WriteFile(p, src, 0o640))
		return p
	}
	t.Run("an ambiguous alert lists the candidates and writes nothing", func(t *testing.T) {
		p := setup(t)
		code, _, stderr := run(t, nil, "rules", "set", "--rules", p, "--alert", "HighErrorRate", "--threshold", "0.1")
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, "matches 3 rules")
		require.Contains(t, stderr, "app.yml:4  group \"app\"  labels severity=warning")
		require.Contains(t, stderr, "app.yml:16  group \"app-canary\"")
		got, _ := os.ReadFile(p)
		require.Equal(t, src, got)
	})
	t.Run("--group and --label pick one and only its values change", func(t *testing.T) {
		p := setup(t)
		code, stdout, stderr := run(t, nil, "rules", "set", "--rules", p, "--alert", "HighErrorRate", "--group", "app", "--label", "severity=critical", "--threshold", "0.1", "--for", "15m")
		require.Equal(t, ExitOK, code, stderr)
		require.Equal(t, "app.yml:9 HighErrorRate (group app): threshold > 0.05 → 0.1, for 5m → 15m\n", stdout)
		got, _ := os.ReadFile(p)
		want := strings.Replace(string(src), "> 0.05\n    for: 5m\n    labels:\n      severity: critical\n-", "> 0.1\n    for: 15m\n    labels:\n      severity: critical\n-", 1)
		require.Equal(t, want, string(got))
		st, _ := os.Stat(p)
		require.Equal(t, os.FileMode(0o640), st.Mode().Perm())
		out, err := exec.Command(promtool, "check", "rules", p).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "SUCCESS: 3 rules found")
	})
	t.Run("--output - prints the edited file and leaves the original", func(t *testing.T) {
		p := setup(t)
		code, stdout, stderr := run(t, nil, "rules", "set", "--rules", p, "--alert", "HighErrorRate", "--label", "severity=warning", "--set-label", "team=web", "--output", "-")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stderr, "label team (none) → web")
		require.Equal(t, strings.Replace(string(src), "      severity: warning\n", "      severity: warning\n      team: web\n", 1), stdout)
		got, _ := os.ReadFile(p)
		require.Equal(t, src, got)
	})
	t.Run("a refused edit fails and writes nothing", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "anchors.yml")
		a, _ := os.ReadFile(filepath.Join(ruleFixtures, "anchors.yml"))
		require.NoError(t, os.WriteFile(p, a, 0o644))
		code, _, stderr := run(t, nil, "rules", "set", "--rules", p, "--alert", "APIErrors", "--threshold", "5")
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, "anchor")
		got, _ := os.ReadFile(p)
		require.Equal(t, a, got)
	})
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"no change is a usage error", []string{"--alert", "HighErrorRate"}, "nothing to change"},
		{"no alert is a usage error", []string{"--threshold", "1"}, "--alert"},
		{"a bad threshold is a usage error", []string{"--alert", "A", "--threshold", "high"}, "invalid --threshold"},
		{"a bad duration is a usage error", []string{"--alert", "A", "--for", "5 minutes"}, "invalid --for"},
		{"a bad label is a usage error", []string{"--alert", "A", "--label", "severity"}, "invalid --label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"rules", "set", "--rules", setup(t)}, tc.args...)
			code, _, stderr := run(t, nil, args...)
			require.Equal(t, ExitUsage, code)
			require.Contains(t, stderr, tc.err)
		})
	}
	t.Run("an unknown alert fails", func(t *testing.T) {
		code, _, stderr := run(t, nil, "rules", "set", "--rules", setup(t), "--alert", "Nope", "--for", "1m")
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, `no alert "Nope"`)
	})
}
