package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

// The scenario: a checkout error ratio at 1m over 36 hours from
// historyStart, in three 12-hour blocks alike. In each block the ratio
// sits at 0.01, spikes to 0.055 (noise: above the threshold 0.05 as
// written, below 0.06) three times for 10 minutes, and reaches 0.07 for 30
// minutes 8 hours in: an incident (INC-1 in the first block, INC-2 in the
// second, INC-3 in the third).
var historyStart = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

const block = 12 * time.Hour

func errorRatio() series.Series {
	s := series.Series{Labels: series.New(series.MetricName, "error_ratio", "service", "checkout")}
	for t := historyStart; t.Before(historyStart.Add(3 * block)); t = t.Add(time.Minute) {
		in := t.Sub(historyStart) % block
		v := 0.01
		for _, noise := range []time.Duration{2 * time.Hour, 4 * time.Hour, 6 * time.Hour} {
			if in >= noise && in < noise+10*time.Minute {
				v = 0.055
			}
		}
		if in >= 8*time.Hour && in < 8*time.Hour+30*time.Minute {
			v = 0.07
		}
		s.Timestamps = append(s.Timestamps, t.UnixMilli())
		s.Values = append(s.Values, v)
	}
	return s
}

func incidents() []pir.Incident {
	var out []pir.Incident
	for i := range 3 {
		start := historyStart.Add(time.Duration(i)*block + 8*time.Hour)
		out = append(out, pir.Incident{ID: fmt.Sprintf("INC-%d", i+1), Source: "yaml", StartedAt: start, ResolvedAt: start.Add(30 * time.Minute),
			Labels: map[string]string{"service": "checkout"}})
	}
	return out
}

const appRules = `# Checkout alerts. Tuned by omen under its apply policy.
groups:
  - name: checkout
    interval: 2s
    rules:
      - alert: CheckoutErrors
        expr: error_ratio{service="checkout"} > 0.05
        labels:
          severity: warning
        annotations:
          summary: "Checkout error ratio {{ $value }}"
      - alert: CheckoutPaging
        expr: error_ratio{service="checkout"} > 0.2
        labels:
          severity: critical
      - alert: Replicas
        expr: (label_replace(vector(1), "instance", "a", "", "") or label_replace(vector(1), "instance", "b", "", "")) > 0
        labels:
          severity: info
`

type promQuerier struct{ c *prom.Client }

func (q promQuerier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	res, err := q.c.QueryRange(ctx, source.Query{Expr: expr, Start: start, End: end, Step: step})
	if err != nil {
		return nil, err
	}
	return res.Series, nil
}

// rig is a rules directory evaluated by a real Prometheus holding the
// scenario's history.
type rig struct {
	dir    string
	prom   *testrig.Server
	q      promQuerier
	policy *Policy
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.yml"), appRules)
	srv := testrig.PrometheusEvaluating(t, []series.Series{errorRatio()}, filepath.Join(dir, "*.yml"))
	c, err := prom.New(prom.Config{URL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	p := &Policy{
		Mode: ModeDirect, RulesDir: dir, Prometheus: srv.URL,
		Rules:   []Scope{{Files: []string{"*.yml"}, Groups: []string{"checkout"}}},
		Changes: []string{"threshold", "for", "labels"}, VerifyAfter: Duration(block),
		Verify: VerifyPolicy{PageSeverities: []string{"warning", "critical"}},
	}
	one := Fraction(1)
	p.MaxStep.Threshold = &one
	require.NoError(t, p.Validate())
	return &rig{dir: dir, prom: srv, q: promQuerier{c}, policy: p}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func (r *rig) options(t *testing.T, now time.Time, proposals string) Options {
	opt := Options{Policy: r.policy, Now: now, Verify: true, Querier: r.q, Incidents: incidents(),
		Prometheus: &Prometheus{URL: r.prom.URL}, TempDir: t.TempDir()}
	if proposals != "" {
		f, err := delivery.Decode(strings.NewReader(proposals), "proposals.json")
		require.NoError(t, err)
		opt.Proposals = f
	}
	return opt
}

func (r *rig) file(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(r.dir, "app.yml"))
	require.NoError(t, err)
	return string(b)
}

func (r *rig) ledger(t *testing.T) *Ledger {
	l, err := ReadLedger(filepath.Join(r.dir, ".omen", "ledger.yaml"))
	require.NoError(t, err)
	return l
}

// served returns what the real Prometheus evaluates for an alert now.
func (r *rig) served(t *testing.T, alert string) RuleStatus {
	rs, err := (&Prometheus{URL: r.prom.URL}).Rules(context.Background())
	require.NoError(t, err)
	for _, s := range rs {
		if s.Name == alert {
			return s
		}
	}
	t.Fatalf("Prometheus does not evaluate %s", alert)
	return RuleStatus{}
}

// thresholdProposal is omen tune's JSON for CheckoutErrors' threshold,
// promising pages a week and catching the incidents named.
func thresholdProposal(to float64, pagesPerWeek float64) string {
	return fmt.Sprintf(`{"proposals": [{"file": "app.yml", "group": "checkout", "alert": "CheckoutErrors",
		"changes": [{"field": "threshold", "from": 0.05, "to": %g}],
		"before": {"pages_per_week": 42, "caught": ["INC-0"], "missed": []},
		"after": {"pages_per_week": %g, "caught": ["INC-0"], "missed": []},
		"why": "fewer pages on noise"}]}`, to, pagesPerWeek)
}

func TestDirectApplyVerifiesAndRollsBackOnARealPrometheus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	t0 := historyStart

	// A: 0.05 → 0.08 is quiet on the noise but misses the incident.
	rep, err := Run(ctx, r.options(t, t0, thresholdProposal(0.08, 0.5)))
	require.NoError(t, err)
	require.Len(t, rep.Applied, 1, "%+v", rep)
	require.Contains(t, r.file(t), "expr: error_ratio{service=\"checkout\"} > 0.08\n")
	require.Equal(t, strings.Replace(appRules, "> 0.05", "> 0.08", 1), r.file(t), "only the threshold's bytes changed")
	served := r.served(t, "CheckoutErrors")
	require.Equal(t, `error_ratio{service="checkout"} > 0.08`, served.Query, "Prometheus reloaded the file")
	require.Equal(t, "ok", served.Health)
	l := r.ledger(t)
	require.Len(t, l.Entries, 1)
	a := l.Entries[0]
	require.Equal(t, StateApplied, a.State)
	require.Equal(t, t0, a.AppliedAt)
	require.Equal(t, t0.Add(block), a.VerifyAt)
	require.InDelta(t, 0.5, *a.Promise.PagesPerWeek, 1e-12)
	require.Equal(t, "fewer pages on noise", a.Why)

	t.Run("a change awaiting verification is not applied again", func(t *testing.T) {
		rep, err := Run(ctx, r.options(t, t0.Add(time.Hour), thresholdProposal(0.07, 0.5)))
		require.NoError(t, err)
		require.Empty(t, rep.Applied)
		require.Contains(t, rep.Skipped[0].Reasons[0], "awaits its verification")
	})

	t.Run("nothing is verified before verify_after", func(t *testing.T) {
		rep, err := Run(ctx, r.options(t, t0.Add(block-time.Minute), ""))
		require.NoError(t, err)
		require.Empty(t, rep.Verified)
		require.Empty(t, rep.RolledBack)
		require.Equal(t, StateApplied, r.ledger(t).Entries[0].State)
	})

	// The verification over [t0, t0+12h]: the old rule (0.05) catches
	// INC-1, the new one (0.08) misses it: rolled back.
	rep, err = Run(ctx, r.options(t, t0.Add(block), ""))
	require.NoError(t, err)
	require.Len(t, rep.RolledBack, 1, "%+v", rep)
	require.True(t, rep.Changed())
	require.Contains(t, strings.Join(rep.RolledBack[0].Reasons, "; "), "the old rule would have caught INC-1, the new one missed it")
	require.Equal(t, appRules, r.file(t), "the file's bytes are back")
	served = r.served(t, "CheckoutErrors")
	require.Equal(t, `error_ratio{service="checkout"} > 0.05`, served.Query, "Prometheus reloaded the old rule")
	a = r.ledger(t).Entries[0]
	require.Equal(t, StateRolledBack, a.State)
	require.Contains(t, a.Reason, "INC-1")
	v := a.Verification
	require.NotNil(t, v)
	require.False(t, v.Passed)
	require.Equal(t, []string{"INC-1"}, v.Incidents)
	require.Empty(t, v.Caught)
	require.Equal(t, []string{"INC-1"}, v.OldCaught)
	require.Equal(t, 0, v.Pages)
	require.Equal(t, 4, v.OldPages, "three noise spikes and the incident")
	require.Equal(t, "ok", v.Health)
	require.Equal(t, []State{StateApplied, StateRolledBack}, states(a))

	t.Run("a change rolled back is not applied again", func(t *testing.T) {
		rep, err := Run(ctx, r.options(t, t0.Add(block), thresholdProposal(0.08, 0.5)))
		require.NoError(t, err)
		require.Empty(t, rep.Applied)
		require.Contains(t, rep.Skipped[0].Reasons[0], "was rolled back")
	})

	// B: 0.05 → 0.06 leaves the noise out and still catches INC-2.
	t1 := t0.Add(block)
	rep, err = Run(ctx, r.options(t, t1, thresholdProposal(0.06, 2)))
	require.NoError(t, err)
	require.Len(t, rep.Applied, 1, "%+v", rep)
	rep, err = Run(ctx, r.options(t, t1.Add(block), ""))
	require.NoError(t, err)
	require.Len(t, rep.Verified, 1, "%+v", rep)
	require.False(t, rep.Changed())
	require.Equal(t, strings.Replace(appRules, "> 0.05", "> 0.06", 1), r.file(t), "a change that passes is kept")
	require.Equal(t, `error_ratio{service="checkout"} > 0.06`, r.served(t, "CheckoutErrors").Query)
	l = r.ledger(t)
	require.Len(t, l.Entries, 2)
	b := l.Entries[1]
	require.Equal(t, StateVerified, b.State)
	require.True(t, b.Verification.Passed)
	require.Equal(t, []string{"INC-2"}, b.Verification.Caught)
	require.Equal(t, 1, b.Verification.Pages)
	require.Equal(t, 4, b.Verification.OldPages)
	require.Contains(t, b.Reason, "caught every incident the old rule would have (INC-2)")

	t.Run("the ledger's series count the states and the rollback", func(t *testing.T) {
		got := map[string]float64{}
		for _, s := range l.Series(0) {
			got[s.Labels.String()] = s.Values[0]
		}
		require.Equal(t, 1.0, got[`omen_apply_rollbacks_total`])
		require.Equal(t, 1.0, got[`omen_apply_changes{state="verified"}`])
		require.Equal(t, 1.0, got[`omen_apply_changes{state="rolled_back"}`])
		require.Contains(t, got, `omen_apply_changes{state="applied"}`)
		require.Equal(t, 0.0, got[`omen_apply_changes{state="applied"}`])
		require.Equal(t, 1.0, got[`omen_apply_verifications_total{result="failed"}`])
		require.Equal(t, 1.0, got[`omen_apply_verifications_total{result="passed"}`])
	})
}

func states(e Entry) []State {
	var out []State
	for _, ev := range e.History {
		out = append(out, ev.State)
	}
	return out
}

func TestDirectApplyUndoesWhatPrometheusRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	t0 := historyStart

	t.Run("a rejected reload leaves the original bytes and says why", func(t *testing.T) {
		// Someone else's broken rule file makes every reload fail.
		broken := filepath.Join(r.dir, "broken.yml")
		writeFile(t, broken, "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: up{\n")
		defer os.Remove(broken)
		rep, err := Run(ctx, r.options(t, t0, thresholdProposal(0.06, 2)))
		require.NoError(t, err)
		require.Empty(t, rep.Applied)
		require.Len(t, rep.RolledBack, 1, "%+v", rep)
		why := strings.Join(rep.RolledBack[0].Reasons, "; ")
		require.Contains(t, why, "Prometheus rejected the reload")
		require.Contains(t, why, "the reload after restoring failed too")
		require.Equal(t, appRules, r.file(t), "nothing half-applied")
		require.Equal(t, `error_ratio{service="checkout"} > 0.05`, r.served(t, "CheckoutErrors").Query)
		e := r.ledger(t).Entries[0]
		require.Equal(t, StateRolledBack, e.State)
		require.Contains(t, e.Reason, "rejected the reload")
	})

	t.Run("Prometheus answering the reload with an error is undone", func(t *testing.T) {
		proxy := testrig.NewFaultProxy(t, r.prom.URL)
		reloads := 0
		proxy.Fail(func(req *http.Request) *testrig.Fault {
			if req.URL.Path != "/-/reload" {
				return nil
			}
			reloads++
			if reloads == 1 {
				return &testrig.Fault{Status: http.StatusServiceUnavailable}
			}
			return nil
		})
		opt := r.options(t, t0, thresholdProposal(0.055, 2))
		opt.Prometheus = &Prometheus{URL: proxy.URL}
		rep, err := Run(ctx, opt)
		require.NoError(t, err)
		require.Len(t, rep.RolledBack, 1, "%+v", rep)
		why := strings.Join(rep.RolledBack[0].Reasons, "; ")
		require.Contains(t, why, "HTTP 503")
		require.Contains(t, why, "the original bytes are back and Prometheus reloaded them")
		require.Equal(t, 2, reloads, "the change's reload and the restore's")
		require.Equal(t, appRules, r.file(t))
	})

	t.Run("a change that makes the rule fail to evaluate is undone", func(t *testing.T) {
		// Setting instance on both alerts of Replicas makes them one label
		// set: Prometheus's health err.
		rep, err := Run(ctx, r.options(t, t0, `{"proposals": [{"file": "app.yml", "group": "checkout", "alert": "Replicas",
			"changes": [{"field": "labels.instance", "from": null, "to": "all"}]}]}`))
		require.NoError(t, err)
		require.Len(t, rep.RolledBack, 1, "%+v", rep)
		why := strings.Join(rep.RolledBack[0].Reasons, "; ")
		require.Contains(t, why, "the rule's health is err after the reload: vector contains metrics with the same labelset after applying alert labels")
		require.Equal(t, appRules, r.file(t))
		st := r.served(t, "Replicas")
		require.NotContains(t, st.Labels, "instance", "Prometheus evaluates the rule as it was")
		l := r.ledger(t)
		require.Equal(t, StateRolledBack, l.Entries[len(l.Entries)-1].State)
	})

	t.Run("a rule Prometheus does not evaluate is not touched", func(t *testing.T) {
		// Prometheus reads *.yml, not sub/*.yml.
		writeFile(t, filepath.Join(r.dir, "sub", "other.yml"), appRules)
		opt := r.options(t, t0, strings.Replace(thresholdProposal(0.06, 2), `"app.yml"`, `"sub/other.yml"`, 1))
		p := *r.policy
		p.Rules = []Scope{{Files: []string{"sub/"}}}
		opt.Policy = &p
		rep, err := Run(ctx, opt)
		require.NoError(t, err)
		require.Empty(t, rep.Applied)
		require.Contains(t, rep.Skipped[0].Reasons[0], "does not evaluate CheckoutErrors of group checkout from sub/other.yml")
	})

	t.Run("a critical rule goes to approval, not to Prometheus", func(t *testing.T) {
		rep, err := Run(ctx, r.options(t, t0, strings.ReplaceAll(strings.Replace(thresholdProposal(0.25, 1), "0.05", "0.2", 1), "CheckoutErrors", "CheckoutPaging")))
		require.NoError(t, err)
		require.Empty(t, rep.Applied)
		require.Len(t, rep.Approval, 1)
		require.Contains(t, strings.Join(rep.Approval[0].Reasons, "; "), "deliver it with omen pr")
		require.Equal(t, appRules, r.file(t))
	})

	t.Run("a dry run writes nothing", func(t *testing.T) {
		before := r.ledger(t)
		opt := r.options(t, t0, thresholdProposal(0.058, 2))
		opt.DryRun = true
		rep, err := Run(ctx, opt)
		require.NoError(t, err)
		require.Len(t, rep.Applied, 1)
		require.Equal(t, appRules, r.file(t))
		require.Equal(t, before, r.ledger(t))
	})
}

func TestWithoutAPolicyNothingIsApplied(t *testing.T) {
	_, err := Run(context.Background(), Options{})
	require.True(t, errors.Is(err, ErrNoPolicy))
}

const gitRules = `groups:
  - name: checkout
    interval: 1m
    rules:
      - alert: CheckoutErrors
        expr: error_ratio{service="checkout"} > 0.05
        labels:
          severity: warning
      - alert: CheckoutPaging
        expr: error_ratio{service="checkout"} > 0.2
        labels:
          severity: critical
      - alert: CheckoutSlow
        expr: checkout_latency_seconds > 0.5
        for: 5m
        labels:
          severity: warning
`

func TestGitOpsApplyCommitsVerifiesAndReverts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testrig.Prometheus(t, []series.Series{errorRatio()})
	c, err := prom.New(prom.Config{URL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": gitRules, "README.md": "rules\n"})
	one := Fraction(1)
	p := &Policy{Mode: ModeGitOps, Repo: bare, Branch: "main",
		Rules: []Scope{{Files: []string{"rules/"}}}, Changes: []string{"threshold"}, MaxStep: MaxStep{Threshold: &one},
		VerifyAfter: Duration(block), Verify: VerifyPolicy{PageSeverities: []string{"warning"}}}
	require.NoError(t, p.Validate())
	run := func(now time.Time, proposals string) *Report {
		t.Helper()
		opt := Options{Policy: p, Now: now, Verify: true, Querier: promQuerier{c}, Incidents: incidents(), TempDir: t.TempDir()}
		if proposals != "" {
			f, err := delivery.Decode(strings.NewReader(proposals), "proposals.json")
			require.NoError(t, err)
			opt.Proposals = f
		}
		rep, err := Run(ctx, opt)
		require.NoError(t, err)
		return rep
	}
	show := func(what string) string { return testrig.Git(t, bare, "show", "main:"+what) }
	ledger := func() *Ledger {
		l, err := ParseLedger([]byte(show(".omen/ledger.yaml")), "ledger")
		require.NoError(t, err)
		return l
	}
	t0 := historyStart
	base := strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main"))

	rep := run(t0, strings.Replace(thresholdProposal(0.08, 0.5), `"app.yml"`, `"rules/app.yml"`, 1))
	require.Len(t, rep.Applied, 1, "%+v", rep)
	applied := rep.Applied[0].Commit
	require.Equal(t, applied, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main")))
	require.Equal(t, base, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main^")), "one plain commit on the deploy branch")
	require.Equal(t, ".omen/ledger.yaml\nrules/app.yml\n", testrig.Git(t, bare, "diff", "--name-only", base, "main"), "the ledger is committed with the change")
	require.Equal(t, strings.Replace(gitRules, "> 0.05", "> 0.08", 1), show("rules/app.yml"))
	entry := ledger().Entries[0]
	require.Equal(t, StateApplied, entry.State)
	require.Equal(t, entry.ID, strings.TrimSpace(testrig.Git(t, bare, "log", "-1", "--format=%(trailers:key=Omen-Apply,valueonly)", "main")))
	require.Equal(t, entry.Proposal, strings.TrimSpace(testrig.Git(t, bare, "log", "-1", "--format=%(trailers:key=Omen-Proposal,valueonly)", "main")))

	// A second change to the same file and the ledger, an hour later.
	slow := `{"proposals": [{"file": "rules/app.yml", "group": "checkout", "alert": "CheckoutSlow",
		"changes": [{"field": "threshold", "from": 0.5, "to": 0.6}], "after": {"pages_per_week": 1}}]}`
	rep = run(t0.Add(time.Hour), slow)
	require.Len(t, rep.Applied, 1, "%+v", rep)

	t.Run("a change that needs approval goes to a branch of its own", func(t *testing.T) {
		paging := `{"proposals": [{"file": "rules/app.yml", "group": "checkout", "alert": "CheckoutPaging",
			"changes": [{"field": "threshold", "from": 0.2, "to": 0.25}]}]}`
		rep := run(t0.Add(time.Hour), paging)
		require.Empty(t, rep.Applied)
		require.Len(t, rep.Approval, 1)
		require.Contains(t, strings.Join(rep.Approval[0].Reasons, "; "), "proposed on branch omen/rules-")
		require.Contains(t, testrig.Git(t, bare, "branch", "--list", "omen/*"), "omen/rules-")
		require.NotContains(t, show("rules/app.yml"), "> 0.25", "the deploy branch is left alone")
	})

	// At t0+12h the first change is due: it missed INC-1, reverted.
	rep = run(t0.Add(block), "")
	require.Len(t, rep.RolledBack, 1, "%+v", rep)
	revert := rep.RolledBack[0].Commit
	require.Equal(t, revert, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main")))
	msg := testrig.Git(t, bare, "log", "-1", "--format=%B", "main")
	require.Contains(t, msg, "omen: roll back CheckoutErrors threshold 0.05 → 0.08")
	require.Contains(t, msg, "the old rule would have caught INC-1, the new one missed it")
	require.Contains(t, msg, "This reverts commit "+applied)
	require.Contains(t, msg, "Omen-Rollback: "+entry.ID)
	require.Equal(t, strings.Replace(gitRules, "> 0.5", "> 0.6", 1), show("rules/app.yml"), "the old threshold is back and the later change stays")
	l := ledger()
	require.Equal(t, StateRolledBack, l.Entries[0].State)
	require.Equal(t, StateApplied, l.Entries[1].State)
	require.Equal(t, applied, l.Entries[0].History[0].Commit, "the ledger learnt the apply's commit")

	// At t0+13h the second is due: nothing it missed, kept.
	rep = run(t0.Add(block+time.Hour), "")
	require.Len(t, rep.Verified, 1, "%+v", rep)
	require.Contains(t, testrig.Git(t, bare, "log", "-1", "--format=%s", "main"), "omen: verified applied changes")
	require.Equal(t, ".omen/ledger.yaml\n", testrig.Git(t, bare, "diff", "--name-only", "main^", "main"), "a verification commits the ledger alone")
	require.Equal(t, StateVerified, ledger().Entries[1].State)
	require.Contains(t, show("rules/app.yml"), "> 0.6")

	t.Run("a change someone changed again is superseded, not rolled back", func(t *testing.T) {
		rep := run(t0.Add(block+time.Hour), strings.Replace(strings.Replace(thresholdProposal(0.07, 0.5), `"app.yml"`, `"rules/app.yml"`, 1), "CheckoutErrors", "CheckoutErrors", 1))
		require.Len(t, rep.Applied, 1, "%+v", rep)
		work := t.TempDir()
		testrig.Git(t, "", "clone", "--quiet", bare, work)
		b, err := os.ReadFile(filepath.Join(work, "rules/app.yml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(work, "rules/app.yml"), []byte(strings.Replace(string(b), "> 0.07", "> 0.065", 1)), 0o644))
		testrig.Git(t, work, "commit", "--quiet", "-am", "by hand")
		testrig.Git(t, work, "push", "--quiet", "origin", "main")
		rep = run(t0.Add(2*block+time.Hour), "")
		require.Len(t, rep.Superseded, 1, "%+v", rep)
		require.Empty(t, rep.RolledBack)
		require.Contains(t, show("rules/app.yml"), "> 0.065")
		require.Equal(t, StateSuperseded, ledger().Entries[2].State)
	})
}

// With verify.history: alerts the realised firings are the server's
// ALERTS over the window, not a replay.
func TestVerificationReadsTheServersAlerts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.policy.VerifyAfter = Duration(4 * time.Second)
	r.policy.Verify = VerifyPolicy{History: "alerts", PageSeverities: []string{"info"}}
	require.NoError(t, r.policy.Validate())
	// Replicas fires for two label sets at every evaluation (every 2s);
	// Run returns once Prometheus evaluated the changed rule, so ALERTS
	// holds its firings (with the new label) inside the window.
	replicas := `{"proposals": [{"file": "app.yml", "group": "checkout", "alert": "Replicas",
		"changes": [{"field": "labels.team", "from": null, "to": "sre"}], "after": {"pages_per_week": 0}}]}`
	start := time.Now()
	rep, err := Run(ctx, r.options(t, start, replicas))
	require.NoError(t, err)
	require.Len(t, rep.Applied, 1, "%+v", rep)
	time.Sleep(time.Until(start.Add(5 * time.Second)))

	rep, err = Run(ctx, r.options(t, time.Now(), ""))
	require.NoError(t, err)
	require.Len(t, rep.RolledBack, 1, "%+v", rep)
	v := rep.RolledBack[0].Verification
	require.Equal(t, "alerts", v.History)
	require.Equal(t, 2, v.Pages, "one firing of each label set, as ALERTS recorded them")
	require.Contains(t, strings.Join(rep.RolledBack[0].Reasons, "; "), "2 pages in the window, more than the 1 allowed by the promise of 0 a week")
	require.Equal(t, appRules, r.file(t), "the bytes from before the change are back: the added label is gone")
	_, err = os.Stat(filepath.Join(r.dir, ".omen", "backups", rep.RolledBack[0].Entry+".orig"))
	require.ErrorIs(t, err, os.ErrNotExist, "the kept bytes are dropped once the change is settled")
}

// A rollback over a file someone changed since keeps their change: the
// editor undoes omen's alone.
func TestDirectRollbackKeepsLaterEditsOfTheFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	rep, err := Run(ctx, r.options(t, historyStart, thresholdProposal(0.08, 0.5)))
	require.NoError(t, err)
	require.Len(t, rep.Applied, 1, "%+v", rep)
	edited := strings.Replace(r.file(t), "> 0.2", "> 0.3", 1)
	writeFile(t, filepath.Join(r.dir, "app.yml"), edited)
	require.NoError(t, (&Prometheus{URL: r.prom.URL}).Reload(ctx))

	rep, err = Run(ctx, r.options(t, historyStart.Add(block), ""))
	require.NoError(t, err)
	require.Len(t, rep.RolledBack, 1, "%+v", rep)
	require.Equal(t, strings.Replace(appRules, "> 0.2", "> 0.3", 1), r.file(t), "omen's change undone, the hand edit kept")
	require.Equal(t, `error_ratio{service="checkout"} > 0.05`, r.served(t, "CheckoutErrors").Query)
}
