package delivery

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/tuner/scale"
)

func scaleRepo(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile("testdata/scale/web.yaml")
	require.NoError(t, err)
	return map[string]string{"deploy/web.yaml": string(b), "README.md": "# deploy\n"}
}

func loadScale(t testing.TB) *ScaleFile {
	t.Helper()
	b, err := os.ReadFile("testdata/scale/proposals.json")
	require.NoError(t, err)
	require.True(t, IsScaleJSON(b))
	f, err := ReadScale(bytes.NewReader(b), "proposals.json")
	require.NoError(t, err)
	return f
}

func deliverManifests(t *testing.T, opt ManifestOptions) run {
	t.Helper()
	var logs bytes.Buffer
	opt.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opt.TempDir = t.TempDir()
	out, err := DeliverManifests(context.Background(), opt)
	entries, rerr := os.ReadDir(opt.TempDir)
	require.NoError(t, rerr)
	require.Empty(t, entries, "the temporary clone is removed")
	return run{out: out, err: err, logs: logs.String()}
}

// diffLines returns the lines a diff removes and adds.
func diffLines(diff string) []string {
	var changed []string
	for line := range strings.Lines(diff) {
		if (strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-")) && !strings.HasPrefix(line, "+++") && !strings.HasPrefix(line, "---") {
			changed = append(changed, strings.TrimSuffix(line, "\n"))
		}
	}
	return changed
}

func TestIsScaleJSONTellsOmenScaleFromOmenTune(t *testing.T) {
	tune, err := os.ReadFile("testdata/proposals.json")
	require.NoError(t, err)
	require.False(t, IsScaleJSON(tune), "omen tune's proposals name rule files")
	require.False(t, IsScaleJSON([]byte(`{"proposals": []}`)))
	require.True(t, IsScaleJSON([]byte(`{"proposals": [{"workload": "a/b", "kind": "hpa", "object": {"file": "x.yaml", "kind": "HorizontalPodAutoscaler"}}]}`)))
}

func TestDeliverManifestsMakesOneBranchWithOneCommitAndIsIdempotent(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "deploy", scaleRepo(t))
	f := loadScale(t)

	first := deliverManifests(t, ManifestOptions{Repo: bare, Proposals: f})
	require.NoError(t, first.err, first.logs)
	require.True(t, strings.HasPrefix(first.out.Branch, ScaleBranchPrefix), first.out.Branch)
	require.True(t, first.out.Created)
	require.Equal(t, []string{"deploy/web.yaml"}, first.out.ChangedFiles)
	require.Equal(t, first.out.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-list", "main.."+first.out.Branch)), "exactly one commit over main")
	require.Equal(t, []string{
		"-              memory: 256Mi",
		"+              memory: 300Mi",
		"-  minReplicas: 10   # for the peak",
		"+  minReplicas: 3   # for the peak",
		"-          averageUtilization: 50",
		"+          averageUtilization: 75",
		"+  behavior:",
		"+    scaleDown:",
		"+      stabilizationWindowSeconds: 120",
	}, diffLines(testrig.Git(t, bare, "diff", "-U0", "main", first.out.Branch)), "only the changed values differ")
	require.Contains(t, first.logs, "forecast-only", "the schedule is never applied")

	// The file on the branch reads back strictly, with the proposed values.
	edited := testrig.Git(t, bare, "show", first.out.Branch+":deploy/web.yaml")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(dir+"/web.yaml", []byte(edited), 0o644))
	set, err := scale.Read([]string{dir + "/web.yaml"}, scale.ReadOptions{})
	require.NoError(t, err)
	w, err := set.Find("shop/web")
	require.NoError(t, err)
	require.Equal(t, int32(3), w.Autoscaler.Policy.MinReplicas)
	require.InDelta(t, 0.75, w.Autoscaler.Policy.Metrics[0].Target, 1e-9)

	again := deliverManifests(t, ManifestOptions{Repo: bare, Proposals: f})
	require.NoError(t, again.err, again.logs)
	require.Equal(t, first.out.Commit, again.out.Commit, "no new commit")
	require.False(t, again.out.Created)
	require.False(t, again.out.Updated)

	moved := loadScale(t)
	moved.Proposals[0].Changes[1].To = float64(70)
	upd := deliverManifests(t, ManifestOptions{Repo: bare, Proposals: moved})
	require.NoError(t, upd.err, upd.logs)
	require.Equal(t, first.out.Branch, upd.out.Branch, "values moved: the same branch")
	require.True(t, upd.out.Updated)
	require.Contains(t, testrig.Git(t, bare, "show", upd.out.Branch+":deploy/web.yaml"), "averageUtilization: 70")

	dry := deliverManifests(t, ManifestOptions{Repo: bare, Proposals: f, DryRun: true})
	require.NoError(t, dry.err)
	require.Contains(t, dry.out.Diff, "+          averageUtilization: 75")
	require.Equal(t, upd.out.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", upd.out.Branch)), "a dry run pushes nothing")
}

func TestDeliverManifestsLeavesOutStaleProposalsAndRefusesPathsOutside(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "deploy", scaleRepo(t))
	f := loadScale(t)
	f.Proposals[0].Changes[0].From = float64(8) // someone changed minReplicas since
	r := deliverManifests(t, ManifestOptions{Repo: bare, Proposals: f})
	require.NoError(t, r.err, r.logs)
	require.Contains(t, r.logs, "not applied")
	require.Equal(t, []string{"-              memory: 256Mi", "+              memory: 300Mi"}, diffLines(testrig.Git(t, bare, "diff", "-U0", "main", r.out.Branch)))

	g := loadScale(t)
	g.Proposals[0].Object.File = "../elsewhere/web.yaml"
	r = deliverManifests(t, ManifestOptions{Repo: bare, Proposals: g})
	require.ErrorContains(t, r.err, "outside the repository")
}

func TestDeliverManifestsToARealGitea(t *testing.T) {
	g := testrig.StartGitea(t)
	f := loadScale(t)
	cloneURL, full := g.CreateRepo(t, "deploy-scale", scaleRepo(t))
	opt := ManifestOptions{Repo: cloneURL, Token: g.Token, Proposals: f, Forge: giteaForge(t, g.URL, full, g.Token)}
	first := deliverManifests(t, opt)
	require.NoError(t, first.err, first.logs)
	require.True(t, first.out.Created)
	require.NotNil(t, first.out.PullRequest)
	open := pulls(t, g, full, "open")
	require.Len(t, open, 1)
	require.Equal(t, first.out.Branch, open[0].Head.Ref)
	require.Equal(t, "omen: scaling and sizing of shop/web", open[0].Title)
	require.Contains(t, open[0].Body, "| saturated minutes | 0 | 0 |")
	require.Contains(t, open[0].Body, "| replica-hours | 3400 | 2100 |")
	require.Contains(t, open[0].Body, "Forecast-only, not applied")

	again := deliverManifests(t, opt)
	require.NoError(t, again.err, again.logs)
	require.False(t, again.out.Created)
	require.False(t, again.out.Updated)
	require.Len(t, pulls(t, g, full, "all"), 1, "no second pull request")

	opt.Proposals = loadScale(t)
	opt.Proposals.Proposals[0].Changes[1].To = float64(70)
	changed := deliverManifests(t, opt)
	require.NoError(t, changed.err, changed.logs)
	require.True(t, changed.out.Updated)
	require.Equal(t, first.out.PullRequest, changed.out.PullRequest, "the same pull request")
	require.Len(t, comments(t, g, full, first.out.PullRequest.Number), 1, "a comment says the values moved")
	noSecret(t, g.Token, first, again, changed)
}
