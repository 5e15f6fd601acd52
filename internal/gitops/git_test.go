package gitops

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

const appRules = `groups:
  - name: app
    rules:
      - alert: HighErrorRate
        expr: rate(errors_total[5m]) > 0.02
        for: 1m
`

const proposeMessage = "omen: tune HighErrorRate\n\n- rules/app.yml app/HighErrorRate: threshold 0.02 → 0.05\n\nOmen-Proposal: 3f2a9c1b7d4e\n"

// cloneOf clones remote into a temporary directory of the test, with a
// debug log into logs.
func cloneOf(t *testing.T, remote, token string, logs *bytes.Buffer) *Repo {
	t.Helper()
	cfg := Config{Remote: remote, Token: token, TempDir: t.TempDir()}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := Clone(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func edited(t *testing.T, r *Repo, from, to string) []Change {
	t.Helper()
	b, err := r.ReadFile(context.Background(), "main", "rules/app.yml")
	require.NoError(t, err)
	out := bytes.Replace(b, []byte(from), []byte(to), 1)
	require.NotEqual(t, b, out, "the test's edit must change the file")
	return []Change{{Path: "rules/app.yml", Content: out}}
}

// commitsOver returns the commits of branch not on main in the bare repo.
func commitsOver(t *testing.T, bare, branch string) []string {
	t.Helper()
	out := testrig.Git(t, bare, "rev-list", "main.."+branch)
	return strings.Fields(out)
}

func TestProposeMakesOneCommitOverTheBaseAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules, "README.md": "rules\n"})

	r := cloneOf(t, bare, "", nil)
	req := ProposeRequest{Base: "main", Branch: "omen/rules-abc123", Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")}
	first, err := r.Propose(ctx, req)
	require.NoError(t, err)
	require.True(t, first.Created)
	require.False(t, first.Updated)
	require.True(t, first.Pushed)
	require.Equal(t, []string{"rules/app.yml"}, first.ChangedFiles)
	require.Contains(t, first.Diff, "-        expr: rate(errors_total[5m]) > 0.02\n+        expr: rate(errors_total[5m]) > 0.05\n")
	require.Equal(t, []string{first.Commit}, commitsOver(t, bare, "omen/rules-abc123"))
	require.Equal(t, proposeMessage, testrig.Git(t, bare, "log", "-1", "--format=%B", "omen/rules-abc123")[:len(proposeMessage)])
	require.Equal(t, "3f2a9c1b7d4e", strings.TrimSpace(testrig.Git(t, bare, "log", "-1", "--format=%(trailers:key=Omen-Proposal,valueonly)", "omen/rules-abc123")))
	require.Equal(t, "rules/app.yml\n", testrig.Git(t, bare, "diff", "--name-only", "main", "omen/rules-abc123"), "only the changed file differs")

	t.Run("the same change again commits and pushes nothing", func(t *testing.T) {
		r := cloneOf(t, bare, "", nil)
		again, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: req.Branch, Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")})
		require.NoError(t, err)
		require.False(t, again.Created)
		require.False(t, again.Updated)
		require.False(t, again.Pushed)
		require.Equal(t, first.Commit, again.Commit)
	})

	t.Run("a changed value replaces the commit on the same branch", func(t *testing.T) {
		r := cloneOf(t, bare, "", nil)
		upd, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: req.Branch, Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.04")})
		require.NoError(t, err)
		require.True(t, upd.Updated)
		require.Equal(t, first.Commit, upd.Previous)
		require.Equal(t, []string{upd.Commit}, commitsOver(t, bare, req.Branch), "still exactly one commit over main")
		require.Contains(t, testrig.Git(t, bare, "show", req.Branch+":rules/app.yml"), "> 0.04")
	})

	t.Run("a moved base rebases the one commit onto it", func(t *testing.T) {
		work := t.TempDir()
		testrig.Git(t, "", "clone", "--quiet", bare, work)
		require.NoError(t, os.WriteFile(filepath.Join(work, "README.md"), []byte("rules, moved\n"), 0o644))
		testrig.Git(t, work, "commit", "--quiet", "-am", "someone else's change")
		testrig.Git(t, work, "push", "--quiet", "origin", "main")

		r := cloneOf(t, bare, "", nil)
		upd, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: req.Branch, Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.04")})
		require.NoError(t, err)
		require.True(t, upd.Updated)
		require.Len(t, commitsOver(t, bare, req.Branch), 1)
		require.Equal(t, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main")), strings.TrimSpace(testrig.Git(t, bare, "rev-parse", req.Branch+"^")))
	})

	t.Run("changes that leave the files as on the base are ErrNoChanges", func(t *testing.T) {
		r := cloneOf(t, bare, "", nil)
		_, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-none", Message: "x", Changes: []Change{{Path: "rules/app.yml", Content: []byte(appRules)}}})
		require.ErrorIs(t, err, ErrNoChanges)
		require.Empty(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", "omen/rules-none")))
	})
}

func TestProposeKeepsBytesAndModes(t *testing.T) {
	ctx := context.Background()
	crlf := "groups:\r\n  - name: app\r\n    rules:\r\n      - alert: A\r\n        expr: up == 0 # keep me\r\n"
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/crlf.yml": crlf, "bin/check.sh": "#!/bin/sh\n"})
	work := t.TempDir()
	testrig.Git(t, "", "clone", "--quiet", bare, work)
	testrig.Git(t, work, "update-index", "--chmod=+x", "bin/check.sh")
	testrig.Git(t, work, "commit", "--quiet", "-m", "executable")
	testrig.Git(t, work, "push", "--quiet", "origin", "main")

	r := cloneOf(t, bare, "", nil)
	b, err := r.ReadFile(ctx, "main", "rules/crlf.yml")
	require.NoError(t, err)
	require.Equal(t, crlf, string(b))
	res, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-bytes", Message: "bytes", Changes: []Change{
		{Path: "rules/crlf.yml", Content: bytes.Replace(b, []byte("== 0"), []byte("== 1"), 1)},
		{Path: "bin/check.sh", Content: []byte("#!/bin/sh\nexit 0\n")},
		{Path: "rules/new/extra.yml", Content: []byte("groups: []\n")},
	}})
	require.NoError(t, err)
	require.Equal(t, []string{"bin/check.sh", "rules/crlf.yml", "rules/new/extra.yml"}, res.ChangedFiles)
	require.Equal(t, strings.Replace(crlf, "== 0", "== 1", 1), testrig.Git(t, bare, "show", "omen/rules-bytes:rules/crlf.yml"))
	require.Contains(t, testrig.Git(t, bare, "ls-tree", "omen/rules-bytes", "bin/check.sh"), "100755")
}

func TestProposeValidatesBeforePushing(t *testing.T) {
	ctx := context.Background()
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules})
	r := cloneOf(t, bare, "", nil)
	var seen []string
	var content string
	_, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-bad", Message: "m", Changes: edited(t, r, "> 0.02", "> "),
		Validate: func(_ context.Context, dir string, paths []string) error {
			seen = paths
			b, _ := os.ReadFile(filepath.Join(dir, "rules/app.yml"))
			content = string(b)
			return errors.New("rules/app.yml:5: expression incomplete")
		}})
	require.ErrorContains(t, err, "nothing pushed")
	require.ErrorContains(t, err, "rules/app.yml:5: expression incomplete")
	require.Equal(t, []string{"rules/app.yml"}, seen)
	require.Contains(t, content, "errors_total[5m]) > \n", "the validator sees the new content")
	require.Empty(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", "omen/*")))
}

func TestProposeNeverOverwritesABranchMovedMeanwhile(t *testing.T) {
	ctx := context.Background()
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules})
	r := cloneOf(t, bare, "", nil)
	// Someone pushes the branch after omen cloned.
	work := t.TempDir()
	testrig.Git(t, "", "clone", "--quiet", bare, work)
	testrig.Git(t, work, "checkout", "--quiet", "-b", "omen/rules-raced")
	require.NoError(t, os.WriteFile(filepath.Join(work, "x"), []byte("x\n"), 0o644))
	testrig.Git(t, work, "add", "x")
	testrig.Git(t, work, "commit", "--quiet", "-m", "a human's commit")
	testrig.Git(t, work, "push", "--quiet", "origin", "omen/rules-raced")
	theirs := strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "omen/rules-raced"))

	_, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-raced", Message: "m", Changes: edited(t, r, "> 0.02", "> 0.05")})
	require.Error(t, err)
	require.Contains(t, err.Error(), "stale info")
	require.Equal(t, theirs, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "omen/rules-raced")), "their commit is kept")
}

func TestCloneOverHTTPKeepsTheTokenSecret(t *testing.T) {
	ctx := context.Background()
	const token = "s3cr3t-omen-test-token-8f4e"
	root := t.TempDir()
	testrig.BareRepo(t, root, "rules", map[string]string{"rules/app.yml": appRules})
	srv := testrig.GitHTTP(t, root, token)
	url := srv.URL + "/rules.git"

	var logs bytes.Buffer
	tmp := t.TempDir()
	r, err := Clone(ctx, Config{Remote: url, Token: token, TempDir: tmp, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	res, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-http", Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")})
	require.NoError(t, err)
	require.True(t, res.Pushed)
	require.Equal(t, []string{res.Commit}, commitsOver(t, filepath.Join(root, "rules.git"), "omen/rules-http"))

	cfg, err := os.ReadFile(filepath.Join(r.Dir(), ".git", "config"))
	require.NoError(t, err)
	require.Contains(t, string(cfg), url, "the clone's remote is the URL as given")
	require.NotContains(t, string(cfg), token)
	require.NotContains(t, logs.String(), token)
	require.Contains(t, logs.String(), "push", "the log shows the git commands")
	authorized := 0
	for _, a := range srv.Authorizations() {
		if a != "" {
			authorized++
		}
	}
	require.Positive(t, authorized, "git sent the token through the credential helper")

	require.NoError(t, r.Close())
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "Close removes the clone and the credential files")

	t.Run("a token in the URL is used and never shown", func(t *testing.T) {
		withToken := strings.Replace(url, "http://", "http://bob:"+token+"@", 1)
		var logs bytes.Buffer
		r := cloneOf(t, withToken, "", &logs)
		cfg, err := os.ReadFile(filepath.Join(r.Dir(), ".git", "config"))
		require.NoError(t, err)
		require.NotContains(t, string(cfg), token)
		require.NotContains(t, logs.String(), token)
		require.Equal(t, "bob", r.Remote().User)
	})

	t.Run("a wrong token fails with a message free of secrets", func(t *testing.T) {
		const wrong = "wrong-token-0a1b2c3d4e"
		_, err := Clone(ctx, Config{Remote: strings.Replace(url, "http://", "http://bob:"+wrong+"@", 1), TempDir: t.TempDir()})
		require.Error(t, err)
		require.NotContains(t, err.Error(), wrong)
		require.Contains(t, err.Error(), "git clone")
	})

	t.Run("the token is offered to the repository's host only", func(t *testing.T) {
		other := testrig.GitHTTP(t, root, "") // another host:port, no auth needed
		r := cloneOf(t, url, token, nil)
		// Point the clone at the other server: its helper must not answer there.
		testrig.Git(t, r.Dir(), "remote", "set-url", "origin", other.URL+"/rules.git")
		_, err := r.git(ctx, nil, "fetch", "--quiet", "origin")
		require.NoError(t, err)
		for _, a := range other.Authorizations() {
			require.Empty(t, a)
		}
	})
}

func TestPushFaultsLeaveTheRemoteAsItWas(t *testing.T) {
	ctx := context.Background()
	const token = "fault-token-5e6f7a8b9c"
	for _, fault := range []struct {
		name  string
		fault testrig.PushFault
		n     int
	}{
		{"a push cut half way", testrig.CutPush, 100},
		{"a push that landed but whose report was lost", testrig.DropPushReport, 1},
	} {
		t.Run(fault.name+" leaves no branch", func(t *testing.T) {
			root := t.TempDir()
			bare := testrig.BareRepo(t, root, "rules", map[string]string{"rules/app.yml": appRules})
			srv := testrig.GitHTTP(t, root, token)
			var logs bytes.Buffer
			r := cloneOf(t, srv.URL+"/rules.git", token, &logs)
			srv.FailPushes(fault.fault, fault.n)
			res, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-fault", Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")})
			require.Error(t, err)
			require.False(t, res.Pushed)
			require.NotContains(t, err.Error(), token)
			require.NotContains(t, logs.String(), token)
			require.Empty(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", "omen/*")), "no stray branch: %v", err)
		})
		t.Run(fault.name+" leaves an existing branch where it was", func(t *testing.T) {
			root := t.TempDir()
			bare := testrig.BareRepo(t, root, "rules", map[string]string{"rules/app.yml": appRules})
			srv := testrig.GitHTTP(t, root, token)
			r := cloneOf(t, srv.URL+"/rules.git", token, nil)
			first, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-fault", Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")})
			require.NoError(t, err)
			r = cloneOf(t, srv.URL+"/rules.git", token, nil)
			srv.FailPushes(fault.fault, fault.n)
			_, err = r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-fault", Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.07")})
			require.Error(t, err)
			require.Equal(t, first.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "omen/rules-fault")))
		})
	}
}

func TestRestoreUndoesAPush(t *testing.T) {
	ctx := context.Background()
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules})
	r := cloneOf(t, bare, "", nil)
	first, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-undo", Message: "one", Changes: edited(t, r, "> 0.02", "> 0.05")})
	require.NoError(t, err)
	second, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-undo", Message: "two", Changes: edited(t, r, "> 0.02", "> 0.06")})
	require.NoError(t, err)
	require.Equal(t, first.Commit, second.Previous)

	require.NoError(t, r.Restore(ctx, second))
	require.Equal(t, first.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "omen/rules-undo")))
	require.NoError(t, r.Restore(ctx, first))
	require.Empty(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", "omen/*")))
}

func TestCommitAndRevertOnADeployBranch(t *testing.T) {
	ctx := context.Background()
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules})
	r := cloneOf(t, bare, "", nil)
	applied, err := r.Commit(ctx, CommitRequest{Branch: "main", Message: "omen: apply HighErrorRate\n\nOmen-Proposal: 3f2a9c1b7d4e\n", Changes: edited(t, r, "> 0.02", "> 0.05")})
	require.NoError(t, err)
	require.True(t, applied.Pushed)
	require.Equal(t, applied.Previous, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main^")), "a plain commit on top, no rewrite")

	log, err := r.Log(ctx, "main", 10)
	require.NoError(t, err)
	require.Len(t, log, 2)
	require.Equal(t, applied.Commit, log[0].SHA)
	require.Equal(t, []string{"3f2a9c1b7d4e"}, log[0].Trailers["Omen-Proposal"])

	reverted, err := r.Revert(ctx, RevertRequest{Branch: "main", Commit: applied.Commit, Message: "omen: roll back HighErrorRate\n\nOmen-Rollback: 3f2a9c1b7d4e\n"})
	require.NoError(t, err)
	require.Equal(t, []string{"rules/app.yml"}, reverted.ChangedFiles)
	require.Equal(t, appRules, testrig.Git(t, bare, "show", "main:rules/app.yml"))
	require.Equal(t, applied.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main^")))

	t.Run("a commit not on the branch is refused", func(t *testing.T) {
		_, err := r.Revert(ctx, RevertRequest{Branch: "main", Commit: "0123456789abcdef0123456789abcdef01234567"})
		require.Error(t, err)
	})
}

func TestChangePathsMustStayInTheRepository(t *testing.T) {
	tests := []struct {
		name, path string
		ok         bool
	}{
		{"a relative path is fine", "rules/app.yml", true},
		{"a file at the root is fine", "app.yml", true},
		{"an absolute path is refused", "/etc/passwd", false},
		{"a parent reference is refused", "rules/../../x", false},
		{"an unclean path is refused", "rules//app.yml", false},
		{"a dot path is refused", "./app.yml", false},
		{"the git directory is refused", ".git/config", false},
		{"a nested git directory is refused", "sub/.GIT/hooks/pre-push", false},
		{"backslashes are refused", `rules\app.yml`, false},
		{"an empty path is refused", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPath(tt.path)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestReadFileOfAMissingFileIsNotExist(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules})
	r := cloneOf(t, bare, "", nil)
	_, err := r.ReadFile(context.Background(), "main", "rules/none.yml")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestBranchNames(t *testing.T) {
	for _, b := range []string{"omen/rules-1a2b3c", "main", "feature/x.y"} {
		require.NoError(t, checkBranchName(b), b)
	}
	for _, b := range []string{"", "-x", "a..b", "a b", "a:b", "a.lock", "a/", "/a", "a@{1}", "a~1", "a^", "a\x01"} {
		require.Error(t, checkBranchName(b), b)
	}
}

// TestTheTokenIsOnNoCommandLineAndInNoEnvironment runs git through a
// wrapper that records every git process's arguments and environment (what
// ps shows) before running the real git.
func TestTheTokenIsOnNoCommandLineAndInNoEnvironment(t *testing.T) {
	ctx := context.Background()
	const token = "ps-visible-token-3c4d5e6f7a"
	real := testrig.RequireBinary(t, "git")
	root := t.TempDir()
	testrig.BareRepo(t, root, "rules", map[string]string{"rules/app.yml": appRules})
	srv := testrig.GitHTTP(t, root, token)
	record := filepath.Join(t.TempDir(), "processes")
	wrapper := filepath.Join(t.TempDir(), "git")
	require.NoError(t, os.WriteFile(wrapper, []byte("#!/bin/sh\n{ echo \"argv: $*\"; env; } >> '"+record+"'\nexec '"+real+"' \"$@\"\n"), 0o755))

	t.Setenv(EnvToken, token) // as omen pr gets it from the environment
	r, err := Clone(ctx, Config{Remote: srv.URL + "/rules.git", Token: token, Git: wrapper, TempDir: t.TempDir()})
	require.NoError(t, err)
	defer r.Close()
	res, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: "omen/rules-ps", Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")})
	require.NoError(t, err)
	require.True(t, res.Pushed)

	seen, err := os.ReadFile(record)
	require.NoError(t, err)
	require.Contains(t, string(seen), "argv: push", "the wrapper saw the push")
	require.NotContains(t, string(seen), token, "no git process has the token in its arguments or environment")
	require.NotContains(t, string(seen), EnvToken+"=")
}

func TestRevertOfSomePathsKeepsTheOthersAndWritesChanges(t *testing.T) {
	ctx := context.Background()
	other := "groups:\n  - name: node\n    rules:\n      - alert: DiskFull\n        expr: disk_free < 10\n"
	bare := testrig.BareRepo(t, t.TempDir(), "rules", map[string]string{"rules/app.yml": appRules, "rules/node.yml": other})
	r := cloneOf(t, bare, "", nil)
	// Two applies, each with the rule change and a ledger line: the
	// ledger's hunks touch each other, so a whole revert of the first
	// would conflict on the ledger.
	first, err := r.Commit(ctx, CommitRequest{Branch: "main", Message: "apply one", Changes: append(edited(t, r, "> 0.02", "> 0.05"),
		Change{Path: ".omen/ledger.yaml", Content: []byte("entries:\n  - one: applied\n")})})
	require.NoError(t, err)
	_, err = r.Commit(ctx, CommitRequest{Branch: "main", Message: "apply two", Changes: []Change{
		{Path: "rules/node.yml", Content: []byte(strings.Replace(other, "< 10", "< 15", 1))},
		{Path: ".omen/ledger.yaml", Content: []byte("entries:\n  - one: applied\n  - two: applied\n")}}})
	require.NoError(t, err)

	t.Run("a whole revert conflicts on the ledger", func(t *testing.T) {
		_, err := r.Revert(ctx, RevertRequest{Branch: "main", Commit: first.Commit, DryRun: true})
		require.ErrorIs(t, err, ErrRevertConflict)
	})
	t.Run("a later change to the same lines conflicts", func(t *testing.T) {
		r := cloneOf(t, bare, "", nil)
		later, err := r.Commit(ctx, CommitRequest{Branch: "main", Message: "by hand", Changes: edited(t, r, "> 0.05", "> 0.09")})
		require.NoError(t, err)
		_, err = r.Revert(ctx, RevertRequest{Branch: "main", Commit: first.Commit, Paths: []string{"rules/app.yml"}, DryRun: true})
		require.ErrorIs(t, err, ErrRevertConflict)
		require.NoError(t, r.Restore(ctx, later))
	})
	t.Run("a path the commit does not change is refused", func(t *testing.T) {
		_, err := r.Revert(ctx, RevertRequest{Branch: "main", Commit: first.Commit, Paths: []string{"rules/node.yml"}})
		require.ErrorContains(t, err, "does not change rules/node.yml")
	})

	ledger := "entries:\n  - one: rolled_back\n  - two: applied\n"
	var validated []string
	reverted, err := r.Revert(ctx, RevertRequest{Branch: "main", Commit: first.Commit, Paths: []string{"rules/app.yml"},
		Changes: []Change{{Path: ".omen/ledger.yaml", Content: []byte(ledger)}},
		Validate: func(_ context.Context, dir string, paths []string) error {
			validated = paths
			b, err := os.ReadFile(filepath.Join(dir, "rules/app.yml"))
			require.NoError(t, err)
			require.Equal(t, appRules, string(b), "validation sees the reverted file")
			return nil
		},
		Message: "omen: roll back one\n\nThis reverts commit " + first.Commit + ".\n"})
	require.NoError(t, err)
	require.True(t, reverted.Pushed)
	require.Equal(t, []string{".omen/ledger.yaml", "rules/app.yml"}, reverted.ChangedFiles)
	require.Equal(t, reverted.ChangedFiles, validated)
	require.Equal(t, appRules, testrig.Git(t, bare, "show", "main:rules/app.yml"))
	require.Equal(t, strings.Replace(other, "< 10", "< 15", 1), testrig.Git(t, bare, "show", "main:rules/node.yml"), "the later apply stays")
	require.Equal(t, ledger, testrig.Git(t, bare, "show", "main:.omen/ledger.yaml"))

	t.Run("reverting it again changes nothing and leaves the branch alone", func(t *testing.T) {
		tip := strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main"))
		_, err := r.Revert(ctx, RevertRequest{Branch: "main", Commit: first.Commit, Paths: []string{"rules/app.yml"}})
		require.ErrorIs(t, err, ErrNoChanges)
		require.Equal(t, tip, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", "main")))
	})
}
