package delivery

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/gitops"
	"github.com/omenhq/omen/internal/testrig"
)

// giteaPR is what the tests read of a Gitea pull request.
type giteaPR struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Head   struct {
		Ref string `json:"ref"`
	} `json:"head"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

func pulls(t *testing.T, g *testrig.Gitea, full, state string) []giteaPR {
	t.Helper()
	var prs []giteaPR
	require.NoError(t, g.API(context.Background(), http.MethodGet, "/repos/"+full+"/pulls?state="+state+"&limit=50", nil, &prs))
	return prs
}

func comments(t *testing.T, g *testrig.Gitea, full string, number int) []string {
	t.Helper()
	var cs []struct {
		Body string `json:"body"`
	}
	require.NoError(t, g.API(context.Background(), http.MethodGet, "/repos/"+full+"/issues/"+itoa(number)+"/comments", nil, &cs))
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Body
	}
	return out
}

func omenBranches(t *testing.T, g *testrig.Gitea, full string) []string {
	t.Helper()
	var out []string
	for _, b := range g.Branches(t, full) {
		if strings.HasPrefix(b, "omen/") {
			out = append(out, b)
		}
	}
	return out
}

func giteaForge(t *testing.T, url, full, token string) gitops.Forge {
	t.Helper()
	f, err := gitops.NewForge(gitops.ForgeConfig{Kind: "gitea", URL: url, Repo: full, Token: token, Backoff: time.Millisecond})
	require.NoError(t, err)
	return f
}

// noSecret fails when the token shows in what a run printed or returned.
func noSecret(t *testing.T, token string, runs ...run) {
	t.Helper()
	for _, r := range runs {
		out, _ := json.Marshal(r.out)
		require.NotContains(t, r.logs, token)
		require.NotContains(t, string(out), token)
		if r.err != nil {
			require.NotContains(t, r.err.Error(), token)
		}
	}
}

func TestDeliverToARealGitea(t *testing.T) {
	g := testrig.StartGitea(t)
	f := loadFile(t, "testdata/proposals.json")

	t.Run("the same proposals twice make one pull request; a changed one updates it with a comment", func(t *testing.T) {
		t.Parallel()
		cloneURL, full := g.CreateRepo(t, "rules-idempotent", repoFiles(t))
		opt := Options{Repo: cloneURL, Token: g.Token, Proposals: f, Forge: giteaForge(t, g.URL, full, g.Token)}
		first := deliver(t, opt)
		require.NoError(t, first.err, first.logs)
		require.True(t, first.out.Created)
		require.NotNil(t, first.out.PullRequest)
		require.Equal(t, g.URL+"/"+full+"/pulls/1", first.out.PullRequest.URL)
		open := pulls(t, g, full, "open")
		require.Len(t, open, 1)
		require.Equal(t, first.out.Branch, open[0].Head.Ref)
		require.Equal(t, Title(f.Proposals), open[0].Title)
		require.Contains(t, open[0].Body, "```mermaid\nxychart-beta")
		require.Len(t, open[0].Labels, 1)
		require.Equal(t, "omen", open[0].Labels[0].Name)

		again := deliver(t, opt)
		require.NoError(t, again.err, again.logs)
		require.False(t, again.out.Created)
		require.False(t, again.out.Updated)
		require.Equal(t, first.out.Commit, again.out.Commit)
		require.Equal(t, first.out.PullRequest, again.out.PullRequest)
		require.Len(t, pulls(t, g, full, "all"), 1, "no second pull request")
		require.Empty(t, comments(t, g, full, 1), "nothing changed: no comment")

		opt.Proposals = cloneFile(t, f)
		opt.Proposals.Proposals[0].Changes[0].To = num(0.04)
		changed := deliver(t, opt)
		require.NoError(t, changed.err, changed.logs)
		require.True(t, changed.out.Updated)
		require.Equal(t, first.out.Branch, changed.out.Branch)
		require.Equal(t, first.out.PullRequest, changed.out.PullRequest, "the same pull request")
		require.NotEqual(t, first.out.Commit, changed.out.Commit)
		cs := comments(t, g, full, 1)
		require.Len(t, cs, 1)
		require.Contains(t, cs[0], "threshold → 0.04 (was → 0.05)")
		open = pulls(t, g, full, "open")
		require.Len(t, open, 1)
		require.Contains(t, open[0].Body, "`0.02` → `0.04`")

		last := deliver(t, opt)
		require.NoError(t, last.err)
		require.False(t, last.out.Updated)
		require.Len(t, comments(t, g, full, 1), 1)
		noSecret(t, g.Token, first, again, changed, last)
	})

	t.Run("a pull request closed without merging is not proposed again unless the evidence changed", func(t *testing.T) {
		t.Parallel()
		cloneURL, full := g.CreateRepo(t, "rules-rejected", repoFiles(t))
		opt := Options{Repo: cloneURL, Token: g.Token, Proposals: f, Forge: giteaForge(t, g.URL, full, g.Token)}
		first := deliver(t, opt)
		require.NoError(t, first.err, first.logs)
		require.NoError(t, g.API(context.Background(), http.MethodPatch, "/repos/"+full+"/pulls/1", map[string]any{"state": "closed"}, nil))

		again := deliver(t, opt)
		require.NoError(t, again.err, again.logs)
		require.Equal(t, Outcome{ChangedFiles: []string{}}, again.out)
		require.Contains(t, again.logs, "not proposed again")
		require.Empty(t, pulls(t, g, full, "open"))

		opt.Proposals = cloneFile(t, f)
		opt.Proposals.Proposals[0].Changes[0].To = num(0.035) // 30% from the rejected 0.05
		back := deliver(t, opt)
		require.NoError(t, back.err, back.logs)
		require.True(t, back.out.Created)
		require.Equal(t, 2, back.out.PullRequest.Number)
		require.Contains(t, back.logs, "proposed again after a rejection")
		noSecret(t, g.Token, first, again, back)
	})

	t.Run("never more than max-open pull requests; a new one for the same rules supersedes the old", func(t *testing.T) {
		t.Parallel()
		cloneURL, full := g.CreateRepo(t, "rules-capped", repoFiles(t))
		forge := giteaForge(t, g.URL, full, g.Token)
		onlyApp := &File{Proposals: f.Proposals[:1]}
		onlyNode := &File{Proposals: f.Proposals[1:]}
		first := deliver(t, Options{Repo: cloneURL, Token: g.Token, Proposals: onlyApp, Forge: forge, MaxOpen: 1})
		require.NoError(t, first.err, first.logs)

		capped := deliver(t, Options{Repo: cloneURL, Token: g.Token, Proposals: onlyNode, Forge: forge, MaxOpen: 1})
		require.ErrorIs(t, capped.err, ErrMaxOpen)
		require.ErrorContains(t, capped.err, "1 are open and --max-open is 1")
		require.Equal(t, []string{first.out.Branch}, omenBranches(t, g, full), "nothing pushed")

		both := deliver(t, Options{Repo: cloneURL, Token: g.Token, Proposals: f, Forge: forge, MaxOpen: 1})
		require.NoError(t, both.err, both.logs)
		require.True(t, both.out.Created)
		open := pulls(t, g, full, "open")
		require.Len(t, open, 1, "the old one is superseded")
		require.Equal(t, both.out.Branch, open[0].Head.Ref)
		require.Contains(t, comments(t, g, full, first.out.PullRequest.Number)[0], "Superseded by #2")
		closed := pulls(t, g, full, "closed")
		s, ok := decodeState(closed[0].Body)
		require.True(t, ok)
		require.Equal(t, 2, s.SupersededBy, "omen's closing is marked, so it is no rejection")
	})

	t.Run("a forge failing after the push leaves no branch and no pull request", func(t *testing.T) {
		t.Parallel()
		cloneURL, full := g.CreateRepo(t, "rules-5xx", repoFiles(t))
		proxy := testrig.NewFaultProxy(t, g.URL)
		proxy.Fail(func(r *http.Request) *testrig.Fault {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls") {
				return &testrig.Fault{Status: http.StatusBadGateway}
			}
			return nil
		})
		r := deliver(t, Options{Repo: cloneURL, Token: g.Token, Proposals: f, Forge: giteaForge(t, proxy.URL, full, g.Token)})
		require.ErrorContains(t, r.err, "502 injected fault")
		require.NotEmpty(t, proxy.Faults())
		require.Empty(t, omenBranches(t, g, full), "the pushed branch was deleted")
		require.Empty(t, pulls(t, g, full, "all"))
		noSecret(t, g.Token, r)
	})

	t.Run("a push cut half way leaves no branch and no pull request", func(t *testing.T) {
		t.Parallel()
		_, full := g.CreateRepo(t, "rules-cut", repoFiles(t))
		proxy := testrig.NewFaultProxy(t, g.URL)
		proxy.Fail(func(r *http.Request) *testrig.Fault {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
				return &testrig.Fault{Cut: true}
			}
			return nil
		})
		r := deliver(t, Options{Repo: proxy.URL + "/" + full + ".git", Token: g.Token, Proposals: f, Forge: giteaForge(t, proxy.URL, full, g.Token)})
		require.Error(t, r.err)
		require.ErrorContains(t, r.err, "git push")
		require.Empty(t, omenBranches(t, g, full))
		require.Empty(t, pulls(t, g, full, "all"))
		noSecret(t, g.Token, r)
	})

	t.Run("a comment failing after an update restores the branch and the body", func(t *testing.T) {
		t.Parallel()
		cloneURL, full := g.CreateRepo(t, "rules-comment", repoFiles(t))
		proxy := testrig.NewFaultProxy(t, g.URL)
		forge := giteaForge(t, proxy.URL, full, g.Token)
		first := deliver(t, Options{Repo: cloneURL, Token: g.Token, Proposals: f, Forge: forge})
		require.NoError(t, first.err, first.logs)
		before := pulls(t, g, full, "open")[0]

		proxy.Fail(func(r *http.Request) *testrig.Fault {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comments") {
				return &testrig.Fault{Status: http.StatusInternalServerError}
			}
			return nil
		})
		g2 := cloneFile(t, f)
		g2.Proposals[0].Changes[0].To = num(0.04)
		r := deliver(t, Options{Repo: cloneURL, Token: g.Token, Proposals: g2, Forge: forge})
		require.ErrorContains(t, r.err, "500 injected fault")
		after := pulls(t, g, full, "open")[0]
		require.Equal(t, before.Body, after.Body, "the body is restored")
		require.Equal(t, before.Title, after.Title)
		var branch struct {
			Commit struct {
				ID string `json:"id"`
			} `json:"commit"`
		}
		require.NoError(t, g.API(context.Background(), http.MethodGet, "/repos/"+full+"/branches/"+first.out.Branch, nil, &branch))
		require.Equal(t, first.out.Commit, branch.Commit.ID, "the branch is back where it was")
		noSecret(t, g.Token, r)
	})
}
