package tuner

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/internal/testrig"
)

const fixtures = "testdata/rules"

var promtoolSuccess = regexp.MustCompile(`SUCCESS: (\d+) rules found`)

// promtoolCheck runs the real `promtool check rules` on path and returns
// the number of rules it found, or its output as an error when it
// rejects the file.
func promtoolCheck(t testing.TB, path string) (int, error) {
	t.Helper()
	bin := testrig.RequireBinary(t, "promtool")
	out, err := exec.Command(bin, "check", "rules", path).CombinedOutput()
	if err != nil {
		return 0, errors.New(string(out))
	}
	m := promtoolSuccess.FindSubmatch(out)
	require.NotNil(t, m, "promtool output: %s", out)
	n, _ := strconv.Atoi(string(m[1]))
	return n, nil
}

// promtoolFiles returns the rule files promtool is to check for path: the
// file itself, or for a stream of Kubernetes manifests one plain rule
// file per PrometheusRule's spec, written to directory dir.
func promtoolFiles(t *testing.T, path, dir string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	if !strings.Contains(string(src), "kind: PrometheusRule") {
		return []string{path}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(src)))
	var files []string
	for i := 0; ; i++ {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc["kind"] != "PrometheusRule" {
			continue
		}
		b, err := yaml.Marshal(doc["spec"])
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.Base(path)+".spec"+strconv.Itoa(i)+".yml")
		require.NoError(t, os.WriteFile(p, b, 0o644))
		files = append(files, p)
	}
	return files
}

func TestLoadReadsEveryRulePromtoolFinds(t *testing.T) {
	entries, err := os.ReadDir(fixtures)
	require.NoError(t, err)
	accepted := 0
	for _, e := range entries {
		path := filepath.Join(fixtures, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			want, rejected := 0, false
			for _, p := range promtoolFiles(t, path, t.TempDir()) {
				n, err := promtoolCheck(t, p)
				if err != nil {
					rejected = true
					t.Logf("promtool rejects %s (read anyway): %v", e.Name(), strings.TrimSpace(err.Error()))
					break
				}
				want += n
			}
			rules, err := Load(path, LoadOptions{})
			require.NoError(t, err)
			if !rejected {
				accepted++
				require.Len(t, rules, want, "promtool finds %d rules", want)
			}
			for _, r := range rules {
				require.Equal(t, e.Name(), r.File)
				require.Equal(t, path, r.Path)
				if r.Threshold == nil {
					continue
				}
				th := r.Threshold
				require.Equal(t, th.Text, r.Expr[th.Offset:th.Offset+len(th.Text)], "%s: threshold offset in expr", r.Name())
				if th.FileOffset >= 0 {
					src, _ := os.ReadFile(path)
					require.Equal(t, th.Text, string(src[th.FileOffset:th.FileOffset+len(th.Text)]), "%s: threshold offset in file", r.Name())
					require.Equal(t, th.FileLine, 1+strings.Count(string(src[:th.FileOffset]), "\n"), "%s: threshold line", r.Name())
				} else {
					require.NotEmpty(t, th.NotEditable)
				}
			}
		})
	}
	require.GreaterOrEqual(t, accepted, 10, "fixtures promtool accepts")
}

func TestLoadDirectory(t *testing.T) {
	var skipped []string
	rules, err := Load(fixtures, LoadOptions{Interval: 2 * time.Minute, OnSkip: func(p string, err error) { skipped = append(skipped, p) }})
	require.NoError(t, err)
	require.Empty(t, skipped)
	files := map[string]int{}
	for _, r := range rules {
		files[r.File]++
	}
	entries, _ := os.ReadDir(fixtures)
	require.Len(t, files, len(entries), "every fixture contributes rules")
	for _, r := range rules {
		if r.File == "fields.yml" && r.Group == "defaults" {
			require.Equal(t, 2*time.Minute, r.Interval, "groups without interval get the default")
		}
		if r.File == "fields.yml" && r.Group == "batch-jobs" {
			require.Equal(t, 30*time.Second, r.Interval)
		}
	}
}

func TestLoadDirectorySkipsWhatIsNotARuleFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("rules/app.yml", "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n")
	write("deploy/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
	write("chart/templates/rules.yaml", "{{- if .Values.rules }}\ngroups: {{ .Values.rules | toYaml }}\n{{- end }}\n")
	write("prometheus.yml", "global:\n  scrape_interval: 15s\nscrape_configs: []\n")
	write(".github/workflows/ci.yml", "on: push\njobs: {}\n")
	write("notes.txt", "groups: not yaml we read\n")
	var skipped []string
	rules, err := Load(dir, LoadOptions{OnSkip: func(p string, err error) {
		rel, _ := filepath.Rel(dir, p)
		skipped = append(skipped, filepath.ToSlash(rel)+": "+err.Error())
	}})
	require.NoError(t, err)
	require.Len(t, rules, 1)
	require.Equal(t, "rules/app.yml", rules[0].File)
	require.Len(t, skipped, 3)
	require.Contains(t, skipped[0], "chart/templates/rules.yaml")
	require.Contains(t, skipped[1], "deploy/deployment.yaml")
	require.Contains(t, skipped[2], "prometheus.yml")
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, content string
		sentinel      error
		want          string
	}{
		{"not YAML", "groups:\n- name: a\n  rules:\n  - alert: [unclosed\n", ErrNotYAML, "bad.yml:3: tuner: not YAML: did not find expected"}, // the line yaml.v3 (and so promtool) names,
		{"a Prometheus config", "global:\n  scrape_interval: 15s\nscrape_configs: []\n", ErrNotRuleFile, "bad.yml:1: tuner: not a rule file: expected a Prometheus rule file"},
		{"a list at the top", "- alert: A\n  expr: up == 0\n", ErrNotRuleFile, "bad.yml:1:"},
		{"another kind of manifest", "apiVersion: v1\nkind: ConfigMap\ndata: {}\n", ErrNotRuleFile, "no PrometheusRule"},
		{"groups not a list", "groups:\n  name: a\n", ErrInvalidRule, "bad.yml:2: tuner: invalid rule file: groups: expected a list"},
		{"a group without a name", "groups:\n- rules: []\n", ErrInvalidRule, "bad.yml:2: tuner: invalid rule file: rule group without a name"},
		{"a rule with neither alert nor record", "groups:\n- name: a\n  rules:\n  - expr: up\n", ErrInvalidRule, "bad.yml:4: tuner: invalid rule file: rule has neither alert: nor record:"},
		{"a rule with both", "groups:\n- name: a\n  rules:\n  - alert: A\n    record: b\n    expr: up\n", ErrInvalidRule, "has both"},
		{"no expr", "groups:\n- name: a\n  rules:\n  - alert: A\n", ErrInvalidRule, "bad.yml:4: tuner: invalid rule file: rule \"A\" has no expr:"},
		{"a bad for", "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5 minutes\n", ErrInvalidRule, "bad.yml:6: tuner: invalid rule file: rule \"A\": for: expected a duration"},
		{"a bad interval", "groups:\n- name: a\n  interval: often\n  rules: []\n", ErrInvalidRule, "bad.yml:3:"},
		{"for on a recording rule", "groups:\n- name: a\n  rules:\n  - record: r\n    expr: up\n    for: 5m\n", ErrInvalidRule, "bad.yml:6:"},
		{"a key twice", "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n    expr: up == 1\n", ErrInvalidRule, "bad.yml:6: tuner: invalid rule file: key \"expr\" given twice (first at line 5)"},
		{"labels not a mapping", "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n    labels: [a]\n", ErrInvalidRule, "bad.yml:6:"},
		{"UTF-16", "\xff\xfeg\x00", ErrNotYAML, "UTF-16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.yml")
			require.NoError(t, os.WriteFile(p, []byte(c.content), 0o644))
			_, err := Load(p, LoadOptions{})
			require.Error(t, err)
			require.ErrorIs(t, err, c.sentinel)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func TestLoadEmptyFilesHaveNoRules(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "groups:\n", "groups: []\n", "---\n...\n", "groups:\n- name: a\n  rules:\n"} {
		p := filepath.Join(t.TempDir(), "empty.yml")
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		n, err := promtoolCheck(t, p)
		require.NoError(t, err)
		require.Zero(t, n)
		rules, err := Load(p, LoadOptions{})
		require.NoError(t, err, "%q", content)
		require.Empty(t, rules)
	}
}

func TestLoadListsUnparsableExpressions(t *testing.T) {
	rules, err := Load(filepath.Join(fixtures, "templated.yml"), LoadOptions{})
	require.NoError(t, err)
	require.Len(t, rules, 3)
	require.NotEmpty(t, rules[0].ParseError)
	require.Nil(t, rules[0].Threshold)
	require.NotEmpty(t, rules[1].ParseError)
	require.Empty(t, rules[2].ParseError)
	require.NotNil(t, rules[2].Threshold)
}

func TestLoadFields(t *testing.T) {
	rules, err := Load(filepath.Join(fixtures, "fields.yml"), LoadOptions{})
	require.NoError(t, err)
	r := rules[0]
	require.Equal(t, "BatchJobNotRun", r.Alert)
	require.Equal(t, 10, r.Line)
	require.Equal(t, 12, r.ExprLine)
	require.Equal(t, "time() - batch_last_success_timestamp_seconds > 3600", r.Expr)
	require.Equal(t, "0s", r.For)
	require.Zero(t, r.ForDuration)
	require.Equal(t, "10m", r.KeepFiringFor)
	require.Equal(t, 10*time.Minute, r.KeepFiringForDuration)
	require.Equal(t, map[string]string{"severity": "ticket", "team": "data"}, r.Labels)
	require.Equal(t, map[string]string{"summary": "Batch job {{ $labels.job }} has not succeeded for an hour"}, r.Annotations)
	require.Equal(t, -1, r.Item)

	rules, err = Load(filepath.Join(fixtures, "anchors.yml"), LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"severity": "critical", "team": "api"}, rules[1].Labels, "merge key, own key wins")
	require.Equal(t, rules[0].Annotations, rules[1].Annotations, "alias")
	require.Equal(t, rules[3].Expr, rules[4].Expr, "aliased expr")

	rules, err = Load(filepath.Join(fixtures, "kube-prometheus.yaml"), LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, "monitoring/kube-state-metrics-rules", rules[0].Manifest)
	require.Equal(t, 1, rules[0].Doc)
	require.Equal(t, "monitoring/kubernetes-monitoring-rules", rules[2].Manifest)
	require.Equal(t, 3, rules[2].Doc)
	require.Equal(t, 3*time.Minute, rules[5].Interval)
}

func TestLoadKubernetesList(t *testing.T) {
	content := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: x}
- apiVersion: monitoring.coreos.com/v1
  kind: PrometheusRule
  metadata: {name: r, namespace: ns}
  spec:
    groups:
    - name: g
      rules:
      - alert: A
        expr: up == 0
`
	p := filepath.Join(t.TempDir(), "list.yaml")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	rules, err := Load(p, LoadOptions{})
	require.NoError(t, err)
	require.Len(t, rules, 1)
	require.Equal(t, 1, rules[0].Item)
	require.Equal(t, "ns/r", rules[0].Manifest)
	out, err := Edit([]byte(content), rules[0], Change{Threshold: ptr(1.0)})
	require.NoError(t, err)
	require.Equal(t, strings.Replace(content, "up == 0", "up == 1", 1), string(out))
}

func ptr[T any](v T) *T { return &v }
