package apply

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/tuner"
)

func TestTheExamplePolicyIsAValidPolicy(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader(ExamplePolicy))
	require.NoError(t, err)
	require.Equal(t, ModeDirect, p.Mode)
	require.Equal(t, Duration(7*24*time.Hour), p.VerifyAfter)
	require.InDelta(t, 0.25, float64(*p.MaxStep.Threshold), 1e-12)
	require.InDelta(t, 0.5, float64(*p.Verify.PagesTolerance), 1e-12)
	require.Equal(t, "Europe/Berlin", p.Location().String())
	require.Equal(t, []string{"critical"}, p.RequireApproval.Severity)
}

func TestParsePolicyErrorsNameTheField(t *testing.T) {
	base := "mode: direct\nrules_dir: /r\nrules: [{files: ['*']}]\nchanges: [threshold]\nverify_after: 7d\n"
	tests := []struct {
		name, yaml, err string
	}{
		{"an unknown field names its line", base + "verfiy: {}\n", "line 6: field verfiy not found"},
		{"a mode is required", strings.Replace(base, "mode: direct\n", "", 1), "mode: required"},
		{"an unknown mode is refused", strings.Replace(base, "direct", "yolo", 1), `want direct or gitops, not "yolo"`},
		{"direct mode needs the rules directory", strings.Replace(base, "rules_dir: /r\n", "", 1), "rules_dir: required"},
		{"gitops mode needs a repository", strings.Replace(base, "mode: direct", "mode: gitops", 1), "repo: required"},
		{"gitops mode needs a deploy branch", strings.Replace(base, "mode: direct", "mode: gitops\nrepo: /r.git", 1), "branch: required"},
		{"rules are required", strings.Replace(base, "rules: [{files: ['*']}]\n", "", 1), "rules: required"},
		{"an empty rules entry is refused", strings.Replace(base, "{files: ['*']}", "{}", 1), "rules[0]: empty"},
		{"changes are required", strings.Replace(base, "changes: [threshold]\n", "", 1), "changes: required"},
		{"an unknown kind of change is refused", strings.Replace(base, "[threshold]", "[expr]", 1), `unknown kind "expr"`},
		{"verify_after is required", strings.Replace(base, "verify_after: 7d\n", "", 1), "verify_after: required"},
		{"a bad duration names its line", strings.Replace(base, "7d", "a week", 1), `line 5: want a duration`},
		{"a bad fraction names its line", base + "max_step: {threshold: lots}\n", "line 6: want a fraction"},
		{"a bad time zone is refused", base + "timezone: Mars/Olympus\n", "timezone"},
		{"a bad day is refused", base + "windows: [{days: [funday]}]\n", `windows[0]: days: "funday"`},
		{"bad hours are refused", base + "windows: [{hours: '9-5'}]\n", `windows[0]: hours: "9-5"`},
		{"an unknown history is refused", base + "verify: {history: guess}\n", `verify.history: want replay or alerts`},
		{"an empty document is refused", "", "empty"},
		{"an empty apply section is refused", "apply:\n", "apply: empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy(strings.NewReader(tt.yaml))
			require.ErrorIs(t, err, ErrPolicy)
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestAPolicyIsReadFromAJobFilesApplySection(t *testing.T) {
	job := "presets: [disk]\nsource: {prometheus: http://p:9090}\napply:\n  mode: gitops\n  repo: /r.git\n  branch: deploy\n  rules: [{alerts: ['*']}]\n  changes: [for]\n  verify_after: 1d\n"
	p, err := ParsePolicy(strings.NewReader(job))
	require.NoError(t, err)
	require.Equal(t, ModeGitOps, p.Mode)
	require.Equal(t, DefaultLedger, p.ledgerPath())

	_, err = ParsePolicy(strings.NewReader(strings.Replace(job, "changes: [for]", "changes: [for]\n  typo: 1", 1)))
	require.ErrorContains(t, err, "line 9: field typo not found", "the section stays strict, with the job file's lines")
}

// testRule is the rule a proposal's checks see.
func testRule(t *testing.T, src string) tuner.Rule {
	t.Helper()
	rules, err := tuner.Parse([]byte(src), "app/rules.yml", "app/rules.yml", tuner.LoadOptions{})
	require.NoError(t, err)
	return rules[0]
}

const checkRules = `groups:
  - name: app
    rules:
      - alert: HighErrorRate
        expr: rate(errors_total[5m]) > 0.05
        for: 5m
        labels:
          team: checkout
          severity: warning
`

func proposal(t *testing.T, changes string) delivery.Proposal {
	t.Helper()
	f, err := delivery.Decode(strings.NewReader(`{"proposals": [{"file": "app/rules.yml", "group": "app", "alert": "HighErrorRate", "changes": `+changes+`}]}`), "test")
	require.NoError(t, err)
	return f.Proposals[0]
}

func TestPolicyCheck(t *testing.T) {
	monday10 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) // a Monday
	base := func() *Policy {
		return &Policy{Mode: ModeDirect, RulesDir: "/r", VerifyAfter: Duration(time.Hour),
			Rules: []Scope{{Files: []string{"app/*.yml"}}}, Changes: []string{"threshold", "for"}}
	}
	frac := func(f float64) *Fraction { x := Fraction(f); return &x }
	tests := []struct {
		name    string
		edit    func(p *Policy)
		rule    string
		changes string
		now     time.Time
		action  Action
		reason  string
	}{
		{"a change in scope, kind and step is applied", nil, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.07}]`, monday10, ActionApply, ""},
		{"a file outside the patterns is skipped", func(p *Policy) { p.Rules[0].Files = []string{"node/*.yml"} }, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.07}]`, monday10, ActionSkip, "not among the policy's rules"},
		{"a directory pattern takes every file under it", func(p *Policy) { p.Rules[0].Files = []string{"app/"} }, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.07}]`, monday10, ActionApply, ""},
		{"every field of a scope entry must match", func(p *Policy) { p.Rules[0].Labels = map[string]string{"team": "payments"} }, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.07}]`, monday10, ActionSkip, "not among"},
		{"any scope entry may match", func(p *Policy) {
			p.Rules = []Scope{{Alerts: []string{"Disk*"}}, {Groups: []string{"ap?"}, Labels: map[string]string{"team": "checkout"}}}
		}, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.07}]`, monday10, ActionApply, ""},
		{"a kind the policy does not allow is skipped", nil, checkRules, `[{"field": "keep_firing_for", "from": null, "to": "5m"}]`, monday10, ActionSkip, "does not allow changing keep_firing_for"},
		{"labels allows every label", func(p *Policy) { p.Changes = []string{"labels"} }, checkRules, `[{"field": "labels.team", "from": "checkout", "to": "payments"}]`, monday10, ActionApply, ""},
		{"labels.NAME allows that label only", func(p *Policy) { p.Changes = []string{"labels.team"} }, checkRules, `[{"field": "labels.owner", "from": null, "to": "x"}]`, monday10, ActionSkip, "does not allow changing labels.owner"},
		{"a threshold step above the default is skipped", nil, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.08}]`, monday10, ActionSkip, "step of 60%, above max_step.threshold 50%"},
		{"a threshold step within max_step is applied", func(p *Policy) { p.MaxStep.Threshold = frac(0.6) }, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.08}]`, monday10, ActionApply, ""},
		{"the step is measured from the rule as it is", func(p *Policy) { p.MaxStep.Threshold = frac(0.1) }, checkRules, `[{"field": "threshold", "from": 0.052, "to": 0.052}]`, monday10, ActionApply, ""},
		{"a threshold at zero cannot move", nil, strings.Replace(checkRules, "> 0.05", "> 0", 1), `[{"field": "threshold", "from": 0, "to": 0.01}]`, monday10, ActionSkip, "a threshold at 0 has no relative step"},
		{"a for step above the default is skipped", nil, checkRules, `[{"field": "for", "from": "5m", "to": "30m"}]`, monday10, ActionSkip, "moves by 25m, above max_step.for 15m"},
		{"a for above max_for is skipped", func(p *Policy) { p.MaxFor = Duration(10 * time.Minute) }, checkRules, `[{"field": "for", "from": "5m", "to": "15m"}]`, monday10, ActionSkip, "for 15m is above max_for 10m"},
		{"outside the windows is skipped with the next opening", func(p *Policy) {
			p.Windows = []Window{{Days: []string{"tue-thu"}, Hours: "09:00-16:00"}}
			p.Timezone = "Europe/Berlin"
		}, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.06}]`, monday10, ActionSkip, "the next opens Tue 2026-12-01 09:00 CET"},
		{"inside a window in its time zone is applied", func(p *Policy) {
			p.Windows = []Window{{Days: []string{"mon"}, Hours: "10:30-12:00"}}
			p.Timezone = "Europe/Berlin" // 10:00 UTC is 11:00 in Berlin
		}, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.06}]`, monday10, ActionApply, ""},
		{"a window over midnight belongs to the day it starts", func(p *Policy) {
			p.Windows = []Window{{Days: []string{"sun"}, Hours: "22:00-11:00"}}
		}, checkRules, `[{"field": "threshold", "from": 0.05, "to": 0.06}]`, monday10, ActionApply, ""},
		{"a critical rule goes to approval", nil, strings.Replace(checkRules, "warning", "critical", 1), `[{"field": "threshold", "from": 0.05, "to": 0.06}]`, monday10, ActionApproval, "severity critical needs approval"},
		{"making a rule critical goes to approval", func(p *Policy) { p.Changes = append(p.Changes, "labels") }, checkRules, `[{"field": "labels.severity", "from": "warning", "to": "critical"}]`, monday10, ActionApproval, "severity critical"},
		{"an empty require_approval lets critical rules through", func(p *Policy) { p.RequireApproval = &Approval{Severity: []string{}} },
			strings.Replace(checkRules, "warning", "critical", 1), `[{"field": "threshold", "from": 0.05, "to": 0.06}]`, monday10, ActionApply, ""},
		{"approval comes before the window", func(p *Policy) { p.Windows = []Window{{Days: []string{"sat"}}} },
			strings.Replace(checkRules, "warning", "critical", 1), `[{"field": "threshold", "from": 0.05, "to": 0.06}]`, monday10, ActionApproval, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			if tt.edit != nil {
				tt.edit(p)
			}
			require.NoError(t, p.Validate())
			d := p.Check(proposal(t, tt.changes), testRule(t, tt.rule), tt.now)
			require.Equal(t, tt.action, d.Action, d.Reasons)
			if tt.reason != "" {
				require.Contains(t, strings.Join(d.Reasons, "; "), tt.reason)
			}
		})
	}
}

func TestFractionsReadPercentages(t *testing.T) {
	for in, want := range map[string]float64{"0.25": 0.25, "25%": 0.25, "150 %": 1.5, "0": 0} {
		p, err := ParsePolicy(strings.NewReader("mode: direct\nrules_dir: /r\nrules: [{files: ['*']}]\nchanges: [threshold]\nverify_after: 7d\nmax_step: {threshold: '" + in + "'}\n"))
		require.NoError(t, err, in)
		require.InDelta(t, want, float64(*p.MaxStep.Threshold), 1e-12, in)
	}
}

func TestDurationMarshalsAsPrometheusWritesIt(t *testing.T) {
	v, err := Duration(90 * time.Minute).MarshalYAML()
	require.NoError(t, err)
	require.Equal(t, "1h30m", v)
}

// FuzzParsePolicy reads arbitrary bytes as a policy: an error or a policy
// whose checks run without a panic.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(ExamplePolicy))
	f.Add([]byte("mode: direct\nrules_dir: /r\nrules: [{files: ['*']}]\nchanges: [threshold]\nverify_after: 7d\nwindows: [{days: [sat-mon], hours: '22:00-06:00'}]\n"))
	f.Add([]byte("apply:\n  mode: gitops\n  repo: r\n  branch: b\n  rules: [{alerts: ['[']}]\n"))
	prop := delivery.Proposal{File: "app/rules.yml", Group: "app", Alert: "HighErrorRate"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(strings.NewReader(string(data)))
		if err != nil {
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("an error not wrapping ErrPolicy: %v", err)
			}
			return
		}
		r := tuner.Rule{Alert: "HighErrorRate", Group: "app", Labels: map[string]string{"severity": "critical"}}
		for _, c := range []string{`{"field": "threshold", "from": 1, "to": 2}`, `{"field": "for", "from": "1m", "to": "1h"}`, `{"field": "labels.severity", "from": "x", "to": "critical"}`} {
			var ch delivery.Change
			if err := json.Unmarshal([]byte(c), &ch); err != nil {
				t.Fatal(err)
			}
			prop.Changes = []delivery.Change{ch}
			p.Check(prop, r, time.Unix(1764000000, 0))
		}
		p.NextOpen(time.Unix(1764000000, 0))
	})
}
