package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

// prFixture is the delivery package's: a rules repository and the
// proposals omen tune would write for it.
const prFixture = "../delivery/testdata"

func prRepoFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := filepath.Join(prFixture, "repo")
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	return files
}

type prOut struct {
	Branch      string `json:"branch"`
	Commit      string `json:"commit"`
	PullRequest *struct {
		Number int    `json:"number"`
		URL    string `json:"url"`
	} `json:"pull_request"`
	ChangedFiles []string `json:"changed_files"`
	Created      bool     `json:"created"`
	Updated      bool     `json:"updated"`
	Diff         *string  `json:"diff"`
}

func decodePR(t *testing.T, stdout string) prOut {
	t.Helper()
	var out prOut
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	var keys map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &keys))
	return out
}

func TestPRUsageErrors(t *testing.T) {
	proposals := filepath.Join(prFixture, "proposals.json")
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"the repository is required", []string{"pr", "--proposals", proposals}, ExitUsage, "--repo is required"},
		{"the proposals are required", []string{"pr", "--repo", "."}, ExitUsage, "--proposals is required"},
		{"an unknown forge is refused", []string{"pr", "--repo", ".", "--proposals", proposals, "--forge", "bitbucket"}, ExitUsage, `invalid --forge "bitbucket"`},
		{"forge settings need a forge", []string{"pr", "--repo", ".", "--proposals", proposals, "--forge-repo", "a/b"}, ExitUsage, "need --forge"},
		{"a forge needs a token", []string{"pr", "--repo", "https://github.com/acme/rules.git", "--proposals", proposals, "--forge", "github"}, ExitUsage, "needs a token: give --token-file FILE or set $OMEN_FORGE_TOKEN"},
		{"a local repository needs the forge's URL", []string{"pr", "--repo", ".", "--proposals", proposals, "--forge", "gitea", "--token-file", proposals}, ExitFailure, "want one line holding the token"},
		{"max-open must be positive", []string{"pr", "--repo", ".", "--proposals", proposals, "--max-open", "0"}, ExitUsage, "invalid --max-open 0"},
		{"a bad format is refused", []string{"pr", "--repo", ".", "--proposals", proposals, "--format", "csv"}, ExitUsage, `invalid --format "csv"`},
		{"a missing proposals file is named", []string{"pr", "--repo", ".", "--proposals", "/nonexistent/p.json"}, ExitFailure, "/nonexistent/p.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, map[string]string{}, tt.args...)
			require.Equal(t, tt.code, code, stderr)
			require.Contains(t, stderr, tt.err)
		})
	}
}

func TestPRMakesABranchAndIsIdempotent(t *testing.T) {
	bare := testrig.BareRepo(t, t.TempDir(), "rules", prRepoFiles(t))
	proposals := filepath.Join(prFixture, "proposals.json")

	code, stdout, stderr := run(t, nil, "pr", "--repo", bare, "--proposals", proposals, "--dry-run")
	require.Equal(t, ExitOK, code, stderr)
	dry := decodePR(t, stdout)
	require.True(t, dry.Created)
	require.NotNil(t, dry.Diff)
	require.Contains(t, *dry.Diff, "+        for: 5m")
	require.Empty(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", "omen/*")), "a dry run pushes nothing")

	code, stdout, stderr = run(t, nil, "pr", "--repo", bare, "--proposals", proposals)
	require.Equal(t, ExitOK, code, stderr)
	first := decodePR(t, stdout)
	require.True(t, first.Created)
	require.Nil(t, first.PullRequest)
	require.Nil(t, first.Diff)
	require.Equal(t, []string{"kube/node-rules.yaml", "rules/app.yml"}, first.ChangedFiles)
	require.Equal(t, dry.Branch, first.Branch)
	require.Equal(t, first.Commit, strings.TrimSpace(testrig.Git(t, bare, "rev-parse", first.Branch)))

	code, stdout, stderr = run(t, nil, "pr", "--repo", bare, "--proposals", proposals)
	require.Equal(t, ExitOK, code, stderr)
	again := decodePR(t, stdout)
	require.False(t, again.Created)
	require.False(t, again.Updated)
	require.Equal(t, first.Commit, again.Commit)

	code, stdout, _ = run(t, nil, "pr", "--repo", bare, "--proposals", proposals, "--format", "table")
	require.Equal(t, ExitOK, code)
	require.Contains(t, stdout, "branch:        "+first.Branch+" (unchanged)")

	code, stdout, _ = run(t, nil, "pr", "--repo", bare, "--proposals", proposals, "--format", "markdown", "--dry-run")
	require.Equal(t, ExitOK, code)
	require.Contains(t, stdout, "| Pages/week | 21.0 | 2.0 |")
}

func TestPROnARealGitea(t *testing.T) {
	g := testrig.StartGitea(t)
	cloneURL, full := g.CreateRepo(t, "rules", prRepoFiles(t))
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(g.Token+"\n"), 0o600))
	proposals := filepath.Join(prFixture, "proposals.json")
	args := []string{"pr", "--repo", cloneURL, "--proposals", proposals, "--forge", "gitea", "--token-file", tokenFile, "--log-level", "debug"}

	var outputs []string
	code, stdout, stderr := run(t, nil, args...)
	outputs = append(outputs, stdout, stderr)
	require.Equal(t, ExitOK, code, stderr)
	first := decodePR(t, stdout)
	require.True(t, first.Created)
	require.NotNil(t, first.PullRequest)
	require.Equal(t, 1, first.PullRequest.Number)
	require.Equal(t, g.URL+"/"+full+"/pulls/1", first.PullRequest.URL, "--forge-url and --forge-repo come from the repository URL")

	// The same again, with the token from the environment.
	envArgs := []string{"pr", "--repo", cloneURL, "--proposals", proposals, "--forge", "gitea", "--log-level", "debug"}
	code, stdout, stderr = run(t, map[string]string{"OMEN_FORGE_TOKEN": g.Token}, envArgs...)
	outputs = append(outputs, stdout, stderr)
	require.Equal(t, ExitOK, code, stderr)
	again := decodePR(t, stdout)
	require.False(t, again.Created)
	require.False(t, again.Updated)
	require.Equal(t, first.Commit, again.Commit)
	require.Equal(t, first.PullRequest.Number, again.PullRequest.Number)

	var prs []struct {
		Number int `json:"number"`
	}
	require.NoError(t, g.API(context.Background(), http.MethodGet, "/repos/"+full+"/pulls?state=all", nil, &prs))
	require.Len(t, prs, 1, "one pull request")

	// A changed proposal updates the same pull request.
	var f map[string]any
	b, err := os.ReadFile(proposals)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &f))
	f["proposals"].([]any)[1].(map[string]any)["changes"].([]any)[0].(map[string]any)["to"] = 14
	changed := filepath.Join(t.TempDir(), "proposals.json")
	b, _ = json.Marshal(f)
	require.NoError(t, os.WriteFile(changed, b, 0o644))
	args[4] = changed
	code, stdout, stderr = run(t, nil, args...)
	outputs = append(outputs, stdout, stderr)
	require.Equal(t, ExitOK, code, stderr)
	upd := decodePR(t, stdout)
	require.True(t, upd.Updated)
	require.Equal(t, first.Branch, upd.Branch)
	require.Equal(t, first.PullRequest.Number, upd.PullRequest.Number)

	for _, o := range outputs {
		require.NotContains(t, o, g.Token, "the token never shows")
	}
	require.Contains(t, strings.Join(outputs, ""), "msg=git", "the debug log was scanned")
}

func TestPRForgeDefaultsNeedAURL(t *testing.T) {
	code, _, stderr := run(t, map[string]string{"OMEN_FORGE_TOKEN": "t0ken-for-the-test"}, "pr", "--repo", ".", "--proposals", filepath.Join(prFixture, "proposals.json"), "--forge", "gitea")
	require.Equal(t, ExitUsage, code, stderr)
	require.Contains(t, stderr, "is a local path: give the forge's URL (--forge-url) and the repository (--forge-repo OWNER/NAME)")
}
