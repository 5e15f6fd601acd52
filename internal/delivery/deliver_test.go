package delivery

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

// repoFiles returns the files of testdata/repo (path → content).
func repoFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir("testdata/repo", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/repo", p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	require.NoError(t, err)
	return files
}

// run is one Deliver with a debug log and its own temporary directory,
// which must be empty afterwards.
type run struct {
	out  Outcome
	err  error
	logs string
}

func deliver(t *testing.T, opt Options) run {
	t.Helper()
	var logs bytes.Buffer
	opt.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opt.TempDir = t.TempDir()
	out, err := Deliver(context.Background(), opt)
	entries, rerr := os.ReadDir(opt.TempDir)
	require.NoError(t, rerr)
	require.Empty(t, entries, "the temporary clone is removed")
	return run{out: out, err: err, logs: logs.String()}
}

func TestDeliverMakesOneBranchWithOneCommitAndIsIdempotent(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "rules", repoFiles(t))
	f := loadFile(t, "testdata/proposals.json")

	first := deliver(t, Options{Repo: bare, Proposals: f})
	require.NoError(t, first.err, first.logs)
	require.Equal(t, Branch(f.Proposals), first.out.Branch)
	require.True(t, first.out.Created)
	require.False(t, first.out.Updated)
	require.Nil(t, first.out.PullRequest)
	require.Equal(t, []string{"kube/node-rules.yaml", "rules/app.yml"}, first.out.ChangedFiles)
	require.Empty(t, first.out.Diff, "the diff is for dry runs")
	require.Equal(t, first.out.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-list", "main.."+first.out.Branch)), "exactly one commit over main")
	diff := testrig.Git(t, bare, "diff", "-U0", "main", first.out.Branch)
	var changed []string
	for line := range strings.Lines(diff) {
		if (strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-")) && !strings.HasPrefix(line, "+++") && !strings.HasPrefix(line, "---") {
			changed = append(changed, strings.TrimSuffix(line, "\n"))
		}
	}
	require.Equal(t, []string{
		`-          expr: node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes * 100 < 10`,
		`+          expr: node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes * 100 < 15`,
		"-            / sum by (service) (rate(http_requests_total[5m])) > 0.02",
		"-        for: 1m",
		"+            / sum by (service) (rate(http_requests_total[5m])) > 0.05",
		"+        for: 5m",
	}, changed, "only the changed values differ")
	msg := testrig.Git(t, bare, "log", "-1", "--format=%B", first.out.Branch)
	require.Contains(t, msg, "Omen-Proposal: "+f.Proposals[0].ID())

	again := deliver(t, Options{Repo: bare, Proposals: f})
	require.NoError(t, again.err)
	require.Equal(t, first.out.Commit, again.out.Commit, "no new commit")
	require.False(t, again.out.Created)
	require.False(t, again.out.Updated)

	g := cloneFile(t, f)
	g.Proposals[0].Changes[0].To = num(0.04)
	upd := deliver(t, Options{Repo: bare, Proposals: g})
	require.NoError(t, upd.err)
	require.Equal(t, first.out.Branch, upd.out.Branch, "values moved: same branch")
	require.True(t, upd.out.Updated)
	require.Equal(t, upd.out.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-list", "main.."+upd.out.Branch)), "still one commit")
	require.Contains(t, testrig.Git(t, bare, "show", upd.out.Branch+":rules/app.yml"), "> 0.04")

	dry := deliver(t, Options{Repo: bare, Proposals: f, DryRun: true})
	require.NoError(t, dry.err)
	require.True(t, dry.out.Updated, "it would move the branch back to 0.05")
	require.Contains(t, dry.out.Diff, "+            / sum by (service) (rate(http_requests_total[5m])) > 0.05")
	require.Equal(t, upd.out.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", upd.out.Branch)), "a dry run pushes nothing")
}

func TestDeliverLeavesOutWhatIsAlreadyThereOrStale(t *testing.T) {
	files := repoFiles(t)
	files["rules/app.yml"] = strings.Replace(files["rules/app.yml"], "> 0.02", "> 0.03", 1) // someone moved it
	bare := testrig.BareRepo(t, t.TempDir(), "rules", files)
	f := loadFile(t, "testdata/proposals.json")
	r := deliver(t, Options{Repo: bare, Proposals: f})
	require.NoError(t, r.err)
	require.Equal(t, []string{"kube/node-rules.yaml"}, r.out.ChangedFiles)
	require.Equal(t, Branch(f.Proposals[1:]), r.out.Branch)
	require.Contains(t, r.logs, "threshold is 0.03, the proposal was made for 0.02 → 0.05")

	merged := repoFiles(t)
	merged["kube/node-rules.yaml"] = strings.Replace(merged["kube/node-rules.yaml"], "< 10", "< 15", 1)
	bare = testrig.BareRepo(t, t.TempDir(), "merged", merged)
	r = deliver(t, Options{Repo: bare, Proposals: &File{Proposals: f.Proposals[1:]}})
	require.NoError(t, r.err)
	require.Equal(t, Outcome{ChangedFiles: []string{}}, r.out, "everything already on main: nothing to do")
	require.Contains(t, r.logs, "already applied")
}

func TestDeliverPushesNothingWhenTheCheckFails(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "rules", repoFiles(t))
	f := loadFile(t, "testdata/proposals.json")
	broken := func(src []byte, file string, p Proposal) ([]byte, error) {
		out, err := EditRules(src, file, p)
		return bytes.Replace(out, []byte("> 0.05"), []byte("> 0.05 +"), 1), err
	}
	testrig.RequireBinary(t, "promtool")
	r := deliver(t, Options{Repo: bare, Proposals: f, Edit: broken})
	require.ErrorContains(t, r.err, "nothing pushed")
	require.ErrorContains(t, r.err, "promtool check rules failed")
	require.Empty(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", "omen/*")))
}

func TestDeliverRefusesProposalsForFilesNotInTheRepository(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "rules", repoFiles(t))
	f := loadFile(t, "testdata/proposals.json")
	f.Proposals[1].File = "/etc/rules.yml"
	r := deliver(t, Options{Repo: bare, Proposals: f})
	require.ErrorContains(t, r.err, `file path "/etc/rules.yml" is not relative to the repository root`)
	f.Proposals[1].File = "rules/none.yml"
	r = deliver(t, Options{Repo: bare, Proposals: f})
	require.ErrorContains(t, r.err, "rules/none.yml is not in the repository on main")
}
