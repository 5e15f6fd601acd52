package delivery

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/tuner"
)

// changedLines returns the lines of b that differ from a, as "-old" and
// "+new" (the files have the same number of lines in these tests).
func changedLines(t *testing.T, a, b []byte) []string {
	t.Helper()
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	require.Equal(t, len(al), len(bl), "same number of lines")
	var out []string
	for i := range al {
		if al[i] != bl[i] {
			out = append(out, "-"+al[i], "+"+bl[i])
		}
	}
	return out
}

func TestEditRulesChangesOnlyTheValues(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	src, err := os.ReadFile("testdata/repo/rules/app.yml")
	require.NoError(t, err)
	out, err := EditRules(src, "rules/app.yml", f.Proposals[0])
	require.NoError(t, err)
	require.Equal(t, []string{
		"-            / sum by (service) (rate(http_requests_total[5m])) > 0.02",
		"+            / sum by (service) (rate(http_requests_total[5m])) > 0.05",
		"-        for: 1m",
		"+        for: 5m",
	}, changedLines(t, src, out))

	man, err := os.ReadFile("testdata/repo/kube/node-rules.yaml")
	require.NoError(t, err)
	out, err = EditRules(man, "kube/node-rules.yaml", f.Proposals[1])
	require.NoError(t, err)
	require.Equal(t, []string{
		`-          expr: node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes * 100 < 10`,
		`+          expr: node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes * 100 < 15`,
	}, changedLines(t, man, out))
}

func TestEditRulesLeavesOutStaleAndAppliedProposals(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	src, err := os.ReadFile("testdata/repo/rules/app.yml")
	require.NoError(t, err)
	p := f.Proposals[0]

	applied, err := EditRules(src, "rules/app.yml", p)
	require.NoError(t, err)
	_, err = EditRules(applied, "rules/app.yml", p)
	require.ErrorIs(t, err, ErrApplied, "every value is at to already")

	someone := []byte(strings.Replace(string(src), "> 0.02", "> 0.03", 1))
	_, err = EditRules(someone, "rules/app.yml", p)
	require.ErrorIs(t, err, ErrStale)
	require.ErrorContains(t, err, "rules/app.yml:7: HighErrorRate: threshold is 0.03, the proposal was made for 0.02 → 0.05")

	half := []byte(strings.Replace(string(src), "for: 1m", "for: 5m", 1))
	out, err := EditRules(half, "rules/app.yml", p)
	require.NoError(t, err, "a value already at to is left as it is, the others are applied")
	require.Equal(t, string(applied), string(out))

	_, err = EditRules(src, "rules/app.yml", Proposal{File: "rules/app.yml", Alert: "Nope", Changes: p.Changes})
	require.ErrorContains(t, err, `no alert "Nope"`)

	label := Proposal{File: "rules/app.yml", Group: "app", Alert: "SlowRequests", Changes: []Change{{Field: "labels.severity", From: tuner.RawValue(json.RawMessage(`"warning"`)), To: tuner.RawValue(json.RawMessage(`"critical"`))}}}
	out, err = EditRules(src, "rules/app.yml", label)
	require.NoError(t, err)
	require.Equal(t, []string{"-          severity: warning", "+          severity: critical"}, changedLines(t, src, out))
}

func TestValidateRulesRunsPromtool(t *testing.T) {
	testrig.RequireBinary(t, "promtool")
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	good, _ := os.ReadFile("testdata/repo/rules/app.yml")
	man, _ := os.ReadFile("testdata/repo/kube/node-rules.yaml")
	write("rules/app.yml", string(good))
	write("kube/node-rules.yaml", string(man))
	write("README.md", "not YAML: [")
	require.NoError(t, ValidateRules(ctx, dir, []string{"rules/app.yml", "kube/node-rules.yaml", "README.md", "deleted.yml"}))

	write("rules/bad.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]) >\n")
	err := ValidateRules(ctx, dir, []string{"rules/bad.yml"})
	require.ErrorContains(t, err, "promtool check rules failed")
	require.ErrorContains(t, err, "rules/bad.yml")

	write("kube/bad.yaml", strings.Replace(string(man), "< 10", "< 10 +", 1))
	err = ValidateRules(ctx, dir, []string{"kube/bad.yaml"})
	require.ErrorContains(t, err, "promtool check rules failed", "a manifest's groups are checked too")
	require.ErrorContains(t, err, "kube/bad.yaml (the groups of its PrometheusRule 1)")

	write("rules/broken.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n")
	err = ValidateRules(ctx, dir, []string{"rules/broken.yml"})
	require.ErrorContains(t, err, "the edited file does not read back")
	require.ErrorContains(t, err, "rules/broken.yml:6")
}

func TestEditedFixturesPassPromtool(t *testing.T) {
	promtool := testrig.RequireBinary(t, "promtool")
	f := loadFile(t, "testdata/proposals.json")
	src, _ := os.ReadFile("testdata/repo/rules/app.yml")
	out, err := EditRules(src, "rules/app.yml", f.Proposals[0])
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "app.yml")
	require.NoError(t, os.WriteFile(path, out, 0o644))
	msg, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	require.NoError(t, err, string(msg))
}
