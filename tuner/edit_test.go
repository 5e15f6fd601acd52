package tuner

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/tuner/yamledit"
)

func dur(s string) *time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &d
}

// editCase edits one rule of a fixture; the result must be the fixture
// with from replaced by to (once), or the error must wrap err.
type editCase struct {
	name   string
	file   string
	sel    Selector
	change Change
	from   string
	to     string
	err    error
}

var editCases = []editCase{
	{name: "a threshold inside a literal block with and", file: "node-mixin.yml",
		sel:    Selector{Alert: "NodeFilesystemSpaceFillingUp", Labels: map[string]string{"severity": "critical"}},
		change: Change{Threshold: ptr(8.0)}, from: "* 100 < 10\n", to: "* 100 < 8\n"},
	{name: "for in a node mixin rule", file: "node-mixin.yml",
		sel:    Selector{Alert: "NodeNetworkReceiveErrs"},
		change: Change{For: dur("30m")}, from: "> 0.01\n    for: 1h\n", to: "> 0.01\n    for: 30m\n"},
	{name: "for inserted after a literal block", file: "node-mixin.yml",
		sel:    Selector{Alert: "NodeHighNumberConntrackEntriesUsed"},
		change: Change{For: dur("15m")}, from: "> 0.75\n    labels:", to: "> 0.75\n    for: 15m\n    labels:"},
	{name: "threshold and for of a PrometheusRule in a multi-document stream", file: "kube-prometheus.yaml",
		sel:    Selector{Alert: "KubeStateMetricsListErrors"},
		change: Change{Threshold: ptr(0.02), For: dur("30m")},
		from:   "        > 0.01\n      for: 15m\n", to: "        > 0.02\n      for: 30m\n"},
	{name: "a label in a PrometheusRule", file: "kube-prometheus.yaml",
		sel:    Selector{Alert: "KubePodCrashLooping"},
		change: Change{Labels: map[string]string{"severity": "critical"}},
		from:   "[5m]) >= 1\n      for: 15m\n      labels:\n        severity: warning\n", to: "[5m]) >= 1\n      for: 15m\n      labels:\n        severity: critical\n"},
	{name: "a threshold in a single-quoted expr", file: "awesome-alerts.yml",
		sel:    Selector{Alert: "HostOutOfMemory"},
		change: Change{Threshold: ptr(0.05), For: dur("5m")},
		from:   "< .10)'\n      for: 2m\n", to: "< 0.05)'\n      for: 5m\n"},
	{name: "a threshold inside brackets before and on()", file: "awesome-alerts.yml",
		sel:    Selector{Alert: "HostOutOfDiskSpace"},
		change: Change{Threshold: ptr(0.15)},
		from:   "node_filesystem_size_bytes < .10 and", to: "node_filesystem_size_bytes < 0.15 and"},
	{name: "the same for written differently is no change", file: "awesome-alerts.yml",
		sel:    Selector{Alert: "PrometheusTargetMissing"},
		change: Change{For: dur("0s")}, from: "", to: ""},
	{name: "a folded strip block", file: "block-styles.yml",
		sel:    Selector{Alert: "FoldedExpr"},
		change: Change{Threshold: ptr(0.1)}, from: "          > 0.05\n", to: "          > 0.1\n"},
	{name: "keep_firing_for inserted after for below a keep block", file: "block-styles.yml",
		sel:    Selector{Alert: "LiteralKeep"},
		change: Change{Threshold: ptr(3.0), KeepFiringFor: dur("10m")},
		from:   "[5m]))) > 2.5\n\n        for: 5m\n", to: "[5m]))) > 3\n\n        for: 5m\n        keep_firing_for: 10m\n"},
	{name: "an explicit indentation indicator", file: "block-styles.yml",
		sel:    Selector{Alert: "ExplicitIndent"},
		change: Change{Threshold: ptr(0.8)}, from: "[5m]) > 0.9\n", to: "[5m]) > 0.8\n"},
	{name: "a plain scalar over several lines", file: "block-styles.yml",
		sel:    Selector{Alert: "MultiLinePlain"},
		change: Change{Threshold: ptr(0.9), For: dur("1h")}, from: "          > 0.95\n        for: 30m\n", to: "          > 0.9\n        for: 1h\n"},
	{name: "a double-quoted expr with escapes and a quoted for", file: "block-styles.yml",
		sel:    Selector{Alert: "DoubleQuotedEscapes"},
		change: Change{Threshold: ptr(250.0), For: dur("10m"), Labels: map[string]string{"severity": "critical"}},
		from:   "[5m])) > 100\"\n        for: \"5m\"\n        labels:\n          severity: \"warning\"\n",
		to:     "[5m])) > 250\"\n        for: \"10m\"\n        labels:\n          severity: \"critical\"\n"},
	{name: "a number written as an escape is refused", file: "block-styles.yml",
		sel: Selector{Alert: "EscapedNumber"}, change: Change{Threshold: ptr(1.0)}, err: yamledit.ErrNotExact},
	{name: "single quotes", file: "block-styles.yml",
		sel:    Selector{Alert: "SingleQuoted"},
		change: Change{Threshold: ptr(2.0), For: dur("2m")}, from: "}[5m]) > 1'\n        for: '1m'\n", to: "}[5m]) > 2'\n        for: '2m'\n"},
	{name: "comments inside the expression", file: "block-styles.yml",
		sel:    Selector{Alert: "CommentedExpr"},
		change: Change{Threshold: ptr(0.25)}, from: "> 0.2                            # 20%", to: "> 0.25                            # 20%"},
	{name: "a threshold on the left and for inserted", file: "block-styles.yml",
		sel:    Selector{Alert: "LeftThreshold"},
		change: Change{Threshold: ptr(0.7), For: dur("5m")},
		from:   "        expr: 0.5 < avg(rate(queue_depth[5m]))\n", to: "        expr: 0.7 < avg(rate(queue_depth[5m]))\n        for: 5m\n"},
	{name: "for 0s and keep_firing_for", file: "block-styles.yml",
		sel:    Selector{Alert: "KeepFiring"},
		change: Change{For: dur("1m"), KeepFiringFor: dur("30m")},
		from:   "        for: 0s\n        keep_firing_for: 15m\n", to: "        for: 1m\n        keep_firing_for: 30m\n"},
	{name: "CRLF line endings kept on an inserted line", file: "crlf.yml",
		sel:    Selector{Alert: "NoFor"},
		change: Change{For: dur("5m")}, from: "> 3\r\n        labels:", to: "> 3\r\n        for: 5m\r\n        labels:"},
	{name: "CRLF threshold", file: "crlf.yml",
		sel:    Selector{Alert: "DiskFull"},
		change: Change{Threshold: ptr(0.05)}, from: "< 0.1\r\n", to: "< 0.05\r\n"},
	{name: "a byte order mark and labels inserted", file: "bom.yml",
		sel:    Selector{Alert: "WithBOM"},
		change: Change{Threshold: ptr(1.0), Labels: map[string]string{"severity": "page", "team": "sre"}},
		from:   "up == 0\n    for: 1m\n", to: "up == 1\n    for: 1m\n    labels:\n      severity: page\n      team: sre\n"},
	{name: "flow style", file: "flow.yml",
		sel:    Selector{Alert: "FlowAlert"},
		change: Change{Threshold: ptr(0.7), For: dur("10m"), Labels: map[string]string{"team": "dba"}},
		from:   "[5m]) > 0.5', for: 5m, labels: {severity: page, team: \"db\"}}", to: "[5m]) > 0.7', for: 10m, labels: {severity: page, team: \"dba\"}}"},
	{name: "for inserted into a flow rule is refused", file: "flow.yml",
		sel: Selector{Alert: "FlowAlert"}, change: Change{KeepFiringFor: dur("5m")}, err: yamledit.ErrFlow},
	{name: "a label value in flow labels", file: "flow.yml",
		sel:    Selector{Alert: "FlowLabels"},
		change: Change{Labels: map[string]string{"severity": "critical"}}, from: "{severity: warning}", to: "{severity: critical}"},
	{name: "a new label in flow labels is refused", file: "flow.yml",
		sel: Selector{Alert: "FlowLabels"}, change: Change{Labels: map[string]string{"team": "x"}}, err: yamledit.ErrFlow},
	{name: "multi-byte characters before the number on its line", file: "flow.yml",
		sel:    Selector{Alert: "Юникод"},
		change: Change{Threshold: ptr(90.0)}, from: "\"датчик\"} > 85'}", to: "\"датчик\"} > 90'}"},
	{name: "a threshold beside anchored labels", file: "anchors.yml",
		sel:    Selector{Alert: "APIHighLatencyWarning"},
		change: Change{Threshold: ptr(0.4)}, from: "[5m]))) > 0.5\n", to: "[5m]))) > 0.4\n"},
	{name: "anchored labels are refused", file: "anchors.yml",
		sel: Selector{Alert: "APIHighLatencyWarning"}, change: Change{Labels: map[string]string{"team": "web"}}, err: yamledit.ErrAlias},
	{name: "a mapping with a merge key is refused", file: "anchors.yml",
		sel: Selector{Alert: "APIHighLatencyCritical"}, change: Change{Labels: map[string]string{"page": "yes"}}, err: yamledit.ErrAlias},
	{name: "an anchored rule is refused", file: "anchors.yml",
		sel: Selector{Alert: "APIErrors"}, change: Change{Threshold: ptr(5.0)}, err: yamledit.ErrAlias},
	{name: "an aliased expression is refused", file: "anchors.yml",
		sel: Selector{Alert: "APIErrorsAliasedExpr"}, change: Change{Threshold: ptr(5.0)}, err: yamledit.ErrAlias},
	{name: "comments around every value", file: "fields.yml",
		sel:    Selector{Alert: "BatchJobNotRun"},
		change: Change{Threshold: ptr(7200.0), For: dur("5m"), Labels: map[string]string{"team": "platform"}},
		from:   "> 3600 # an hour\n        # before for\n        for: 0s # no wait\n        keep_firing_for: 10m\n        labels:\n          severity: ticket   # labels comment\n          team: data\n",
		to:     "> 7200 # an hour\n        # before for\n        for: 5m # no wait\n        keep_firing_for: 10m\n        labels:\n          severity: ticket   # labels comment\n          team: platform\n"},
	{name: "for inserted before trailing comments", file: "fields.yml",
		sel:    Selector{Alert: "BatchJobSlow"},
		change: Change{For: dur("5m")}, from: "> 1800\n        # trailing", to: "> 1800\n        for: 5m\n        # trailing"},
	{name: "a new label in labels that have one", file: "fields.yml",
		sel:    Selector{Alert: "BatchJobNotRun"},
		change: Change{Labels: map[string]string{"tier": "2"}}, from: "          team: data\n", to: "          team: data\n          tier: \"2\"\n"},
	{name: "a label added to a recording rule at the end of a file without a final line break", file: "fields.yml",
		sel:    Selector{Record: "job:up:avg"},
		change: Change{Labels: map[string]string{"team": "sre"}}, from: "(up)\n# end", to: "(up)\n      labels:\n        team: sre\n# end"},
	{name: "a recording rule has no threshold", file: "fields.yml",
		sel: Selector{Record: "job:up:avg"}, change: Change{Threshold: ptr(1.0)}, err: errors.New("recording rule")},
	{name: "empty flow labels are refused", file: "fields.yml",
		sel: Selector{Alert: "EmptyLabels"}, change: Change{Labels: map[string]string{"a": "b"}}, err: yamledit.ErrFlow},
	{name: "a threshold built from a template is refused", file: "templated.yml",
		sel: Selector{Alert: "TemplatedThreshold"}, change: Change{Threshold: ptr(1.0)}, err: ErrNoThreshold},
	{name: "a Sloth threshold (14.4 * budget) is refused", file: "sloth-slo.yml",
		sel: Selector{Alert: "MyServiceHighErrorRate", Labels: map[string]string{"sloth_severity": "page"}}, change: Change{Threshold: ptr(0.02)}, err: ErrNoThreshold},
	{name: "for inserted into a Sloth alert", file: "sloth-slo.yml",
		sel:    Selector{Alert: "MyServiceHighErrorRate", Labels: map[string]string{"sloth_severity": "page"}},
		change: Change{For: dur("5m")},
		from:   "without (sloth_window)\n      )\n    labels:\n      category: availability\n      routing_key",
		to:     "without (sloth_window)\n      )\n    for: 5m\n    labels:\n      category: availability\n      routing_key"},
	{name: "group fields promtool does not know", file: "thanos.yml",
		sel:    Selector{Alert: "ThanosQueryHighDNSFailures"},
		change: Change{Threshold: ptr(2.0)}, from: "* 100 > 1\n", to: "* 100 > 2\n"},
	{name: "a warning and a critical variant picked by label and group", file: "warn-crit.yml",
		sel:    Selector{Alert: "HighErrorRate", Group: "app", Labels: map[string]string{"severity": "critical"}},
		change: Change{Threshold: ptr(0.1)}, from: "> 0.05\n    for: 5m\n    labels:\n      severity: critical\n-", to: "> 0.1\n    for: 5m\n    labels:\n      severity: critical\n-"},
}

func TestEdit(t *testing.T) {
	for _, c := range editCases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(fixtures, c.file)
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			rules, err := Load(path, LoadOptions{})
			require.NoError(t, err)
			r, err := Find(rules, c.sel)
			require.NoError(t, err)
			out, err := Edit(src, r, c.change)
			if c.err != nil {
				require.Error(t, err)
				if errors.Is(c.err, yamledit.ErrNotExact) || errors.Is(c.err, yamledit.ErrAlias) || errors.Is(c.err, yamledit.ErrFlow) || c.err == ErrNoThreshold {
					require.ErrorIs(t, err, c.err)
				} else {
					require.Contains(t, err.Error(), c.err.Error())
				}
				return
			}
			require.NoError(t, err)
			if c.from == "" {
				require.Equal(t, string(src), string(out), "no change")
				return
			}
			require.Equal(t, 1, strings.Count(string(src), c.from), "from must be unique in the fixture")
			require.Equal(t, strings.Replace(string(src), c.from, c.to, 1), string(out))

			edited := filepath.Join(t.TempDir(), c.file)
			require.NoError(t, os.WriteFile(edited, out, 0o644))
			checkPromtoolAgrees(t, path, edited)

			after, err := Load(edited, LoadOptions{})
			require.NoError(t, err)
			require.Len(t, after, len(rules))
			for i := range rules {
				want := rules[i]
				if i == indexOf(rules, r) {
					want = expected(want, c.change)
				}
				require.Empty(t, ruleDiff(want, after[i]), "rule %d %s", i, want.Name())
			}
		})
	}
}

func indexOf(rules []Rule, r Rule) int {
	for i, x := range rules {
		if x.Doc == r.Doc && x.Item == r.Item && x.GroupIndex == r.GroupIndex && x.Index == r.Index {
			return i
		}
	}
	return -1
}

// checkPromtoolAgrees checks that promtool accepts the edited file with
// the same number of rules when it accepted the original.
func checkPromtoolAgrees(t *testing.T, original, edited string) {
	t.Helper()
	dir := t.TempDir()
	before, after := promtoolFiles(t, original, dir), promtoolFiles(t, edited, t.TempDir())
	require.Len(t, after, len(before))
	for i := range before {
		n0, err := promtoolCheck(t, before[i])
		if err != nil {
			return // promtool rejects the fixture itself (thanos.yml)
		}
		n1, err := promtoolCheck(t, after[i])
		require.NoError(t, err, "promtool rejects the edited file")
		require.Equal(t, n0, n1)
	}
}

func TestFindAmbiguous(t *testing.T) {
	rules, err := Load(fixtures, LoadOptions{})
	require.NoError(t, err)
	_, err = Find(rules, Selector{Alert: "HighErrorRate"})
	var ae *AmbiguousError
	require.ErrorAs(t, err, &ae)
	require.Len(t, ae.Candidates, 3)
	require.Contains(t, err.Error(), "warn-crit.yml:4  group \"app\"  labels severity=warning")
	require.Contains(t, err.Error(), "warn-crit.yml:16  group \"app-canary\"  labels severity=critical,track=canary")

	_, err = Find(rules, Selector{Alert: "HighErrorRate", Labels: map[string]string{"severity": "critical"}})
	require.ErrorAs(t, err, &ae)
	require.Len(t, ae.Candidates, 2)

	r, err := Find(rules, Selector{Alert: "HighErrorRate", Group: "app-canary"})
	require.NoError(t, err)
	require.Equal(t, 16, r.Line)

	_, err = Find(rules, Selector{Alert: "NoSuchAlert"})
	require.ErrorIs(t, err, ErrNoRule)
}

func TestEditRefusesAStaleRule(t *testing.T) {
	path := filepath.Join(fixtures, "warn-crit.yml")
	rules, err := Load(path, LoadOptions{})
	require.NoError(t, err)
	src, _ := os.ReadFile(path)
	changed := strings.Replace(string(src), "> 0.01", "> 0.02", 1)
	_, err = Edit([]byte(changed), rules[0], Change{For: dur("1m")})
	require.ErrorIs(t, err, ErrStale)
}

func TestApplyWritesAtomicallyKeepingTheMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.yml")
	src, _ := os.ReadFile(filepath.Join(fixtures, "warn-crit.yml"))
	require.NoError(t, os.WriteFile(path, src, 0o600))
	rules, err := Load(path, LoadOptions{})
	require.NoError(t, err)
	_, err = Apply(rules[0], Change{Threshold: ptr(0.02)}, "")
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	got, _ := os.ReadFile(path)
	require.Equal(t, strings.Replace(string(src), "> 0.01", "> 0.02", 1), string(got))
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "no temporary file left behind")

	// A refused edit writes nothing.
	_, err = Apply(rules[0], Change{Threshold: ptr(0.03)}, "")
	require.ErrorIs(t, err, ErrStale)
	again, _ := os.ReadFile(path)
	require.Equal(t, got, again)

	// --output writes elsewhere and leaves the original alone.
	out := filepath.Join(dir, "out.yml")
	rules, _ = Load(path, LoadOptions{})
	_, err = Apply(rules[1], Change{For: dur("1m")}, out)
	require.NoError(t, err)
	again, _ = os.ReadFile(path)
	require.Equal(t, got, again)
	written, _ := os.ReadFile(out)
	require.Contains(t, string(written), "for: 1m")
}

// TestEditEveryRule edits every rule of every fixture in each way the
// editor offers: each edit is refused with a reason, or differs from the
// original only in the changed value (or one inserted line) and, where
// promtool accepted the fixture, promtool accepts the result.
func TestEditEveryRule(t *testing.T) {
	entries, err := os.ReadDir(fixtures)
	require.NoError(t, err)
	edited, refused, want := 0, 0, 0
	var check []string
	base := t.TempDir() // outlives the subtests, for the one promtool run
	for _, e := range entries {
		path := filepath.Join(fixtures, e.Name())
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		rules, err := Load(path, LoadOptions{})
		require.NoError(t, err)
		accepted := true
		for _, p := range promtoolFiles(t, path, t.TempDir()) {
			if _, err := promtoolCheck(t, p); err != nil {
				accepted = false
			}
		}
		for _, r := range rules {
			changes := map[string]Change{"labels": {Labels: map[string]string{"severity": "changed"}}}
			if r.IsAlert() {
				changes["for"] = Change{For: dur("7m")}
				changes["keep_firing_for"] = Change{KeepFiringFor: dur("3m")}
				if r.Threshold != nil {
					changes["threshold"] = Change{Threshold: ptr(r.Threshold.Value*2 + 1)}
				}
			}
			for what, c := range changes {
				t.Run(e.Name()+"/"+r.Name()+"/"+what, func(t *testing.T) {
					out, err := Edit(src, r, c)
					if err != nil {
						require.ErrorIs(t, err, ErrCannotEdit, "a refusal says it cannot edit exactly")
						require.NotErrorIs(t, err, yamledit.ErrVerify)
						require.NotContains(t, err.Error(), "read")
						refused++
						return
					}
					edited++
					p := commonPrefix(src, out)
					q := 0
					for q < len(src)-p && q < len(out)-p && src[len(src)-1-q] == out[len(out)-1-q] {
						q++
					}
					bmid, amid := string(src[p:len(src)-q]), string(out[p:len(out)-q])
					if what == "threshold" {
						th := r.Threshold
						require.True(t, p >= th.FileOffset && len(src)-q <= th.FileOffset+len(th.Text), "%q -> %q", bmid, amid)
					} else if bmid != "" || !strings.ContainsAny(amid, "\r\n") {
						require.NotContains(t, bmid, "\n")
						require.NotContains(t, amid, "\n")
					} else if !(what == "labels" && r.Labels == nil) {
						require.Equal(t, 1, strings.Count(amid, "\n"), "one line inserted: %q", amid)
					}
					if accepted {
						dir := filepath.Join(base, strconv.Itoa(edited))
						require.NoError(t, os.Mkdir(dir, 0o755))
						tmp := filepath.Join(dir, e.Name())
						require.NoError(t, os.WriteFile(tmp, out, 0o644))
						n := 0
						for _, p := range promtoolFiles(t, tmp, dir) {
							check = append(check, p)
							n++
						}
						require.Len(t, promtoolFiles(t, path, t.TempDir()), n)
						want += len(rules)
					}
				})
			}
		}
	}
	// One promtool run for all edited files.
	bin := testrig.RequireBinary(t, "promtool")
	out, err := exec.Command(bin, append([]string{"check", "rules"}, check...)...).CombinedOutput()
	require.NoError(t, err, "promtool rejects an edited file:\n%s", out)
	got := 0
	for _, m := range promtoolSuccess.FindAllSubmatch(out, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		got += n
	}
	require.Equal(t, want, got, "promtool finds every rule in the edited files")
	t.Logf("%d edits made, %d files promtool checked (%d rules), %d edits refused", edited, len(check), got, refused)
	require.Greater(t, edited, 150)
}
