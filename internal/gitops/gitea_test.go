package gitops

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

func TestGiteaPullRequestsAgainstARealGitea(t *testing.T) {
	ctx := context.Background()
	began := time.Now()
	g := testrig.StartGitea(t)
	t.Logf("gitea ready in %s", time.Since(began).Round(time.Millisecond))
	cloneURL, full := g.CreateRepo(t, "rules", map[string]string{"rules/app.yml": appRules})

	var logs bytes.Buffer
	r := cloneOf(t, cloneURL, g.Token, &logs)
	const head = "omen/rules-1a2b3c4d5e"
	res, err := r.Propose(ctx, ProposeRequest{Base: "main", Branch: head, Message: proposeMessage, Changes: edited(t, r, "> 0.02", "> 0.05")})
	require.NoError(t, err)
	require.True(t, res.Pushed)
	require.Contains(t, g.Branches(t, full), head)

	f := newTestForge(t, "gitea", g.URL, full, g.Token, &logs)
	require.Equal(t, "gitea", f.Name())
	pr, err := f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.Nil(t, pr)

	pr, err = f.Create(ctx, NewPullRequest{Head: head, Base: "main", Title: "omen: tune HighErrorRate", Body: "the body", Labels: []string{"omen", "alerting"}})
	require.NoError(t, err)
	require.Equal(t, 1, pr.Number)
	require.Equal(t, g.URL+"/"+full+"/pulls/1", pr.URL)
	require.ElementsMatch(t, []string{"omen", "alerting"}, pr.Labels, "Gitea ignores unknown label names: they are created first")

	found, err := f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.NotNil(t, found)
	require.Equal(t, 1, found.Number)
	require.Equal(t, "the body", found.Body)
	require.Equal(t, StateOpen, found.State)

	title, body := "omen: tune HighErrorRate (updated)", "the new body"
	upd, err := f.Update(ctx, 1, Edit{Title: &title, Body: &body, Labels: []string{"omen"}})
	require.NoError(t, err)
	require.Equal(t, title, upd.Title)
	require.Equal(t, body, upd.Body)
	require.NoError(t, f.Comment(ctx, 1, "threshold 0.05 → 0.04"))
	var comments []struct {
		Body string `json:"body"`
	}
	require.NoError(t, g.API(ctx, "GET", "/repos/"+full+"/issues/1/comments", nil, &comments))
	require.Len(t, comments, 1)
	require.Equal(t, "threshold 0.05 → 0.04", comments[0].Body)

	open, err := f.List(ctx, ListOptions{State: StateOpen, HeadPrefix: "omen/"})
	require.NoError(t, err)
	require.Len(t, open, 1)

	require.NoError(t, f.Close(ctx, 1))
	closed, err := f.List(ctx, ListOptions{State: StateClosed, HeadPrefix: "omen/"})
	require.NoError(t, err)
	require.Len(t, closed, 1)
	require.Equal(t, StateClosed, closed[0].State)
	require.Equal(t, title, closed[0].Title)
	none, err := f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.Nil(t, none)

	require.NotContains(t, logs.String(), g.Token)
	t.Logf("gitea test done in %s", time.Since(began).Round(time.Millisecond))
}
