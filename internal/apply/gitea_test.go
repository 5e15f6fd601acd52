package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/gitops"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// On a real Gitea: a change omen pr proposed and omen apply then applied
// hears of the apply and of its rollback on its pull request; a change
// that needs approval gets a pull request of its own; the token shows
// nowhere.
func TestGitOpsOnARealGiteaTellsThePullRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := testrig.StartGitea(t)
	cloneURL, full := g.CreateRepo(t, "apply-rules", map[string]string{"rules/app.yml": gitRules})
	forge, err := gitops.NewForge(gitops.ForgeConfig{Kind: "gitea", URL: g.URL, Repo: full, Token: g.Token, Backoff: time.Millisecond})
	require.NoError(t, err)
	srv := testrig.Prometheus(t, []series.Series{errorRatio()})
	c, err := prom.New(prom.Config{URL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	proposals := func(s string) *delivery.File {
		f, err := delivery.Decode(strings.NewReader(s), "proposals.json")
		require.NoError(t, err)
		return f
	}
	bad := proposals(strings.Replace(thresholdProposal(0.08, 0.5), `"app.yml"`, `"rules/app.yml"`, 1))
	// omen pr proposed the change first.
	pr, err := delivery.Deliver(ctx, delivery.Options{Repo: cloneURL, Base: "main", Proposals: bad, Token: g.Token, GitUser: "omen", Forge: forge, TempDir: t.TempDir()})
	require.NoError(t, err)
	require.NotNil(t, pr.PullRequest)

	one := Fraction(1)
	p := &Policy{Mode: ModeGitOps, Repo: cloneURL, Branch: "main",
		Rules: []Scope{{Files: []string{"rules/"}}}, Changes: []string{"threshold"}, MaxStep: MaxStep{Threshold: &one},
		VerifyAfter: Duration(block), Verify: VerifyPolicy{PageSeverities: []string{"warning"}}}
	require.NoError(t, p.Validate())
	var logs bytes.Buffer
	run := func(now time.Time, f *delivery.File) *Report {
		t.Helper()
		rep, err := Run(ctx, Options{Policy: p, Now: now, Verify: true, Proposals: f, Querier: promQuerier{c}, Incidents: incidents(),
			Token: g.Token, GitUser: "omen", Forge: forge, TempDir: t.TempDir(),
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		require.NoError(t, err)
		out, _ := json.Marshal(rep)
		require.NotContains(t, string(out), g.Token)
		return rep
	}
	comments := func(number int) string {
		var cs []struct {
			Body string `json:"body"`
		}
		require.NoError(t, g.API(ctx, http.MethodGet, "/repos/"+full+"/issues/"+strconv.Itoa(number)+"/comments", nil, &cs))
		var b strings.Builder
		for _, c := range cs {
			b.WriteString(c.Body + "\n")
		}
		return b.String()
	}

	rep := run(historyStart, bad)
	require.Len(t, rep.Applied, 1, "%+v", rep)
	require.Contains(t, comments(pr.PullRequest.Number), "omen applied this change under its apply policy (gitops mode, commit "+rep.Applied[0].Commit)

	rep = run(historyStart.Add(block), proposals(`{"proposals": [{"file": "rules/app.yml", "group": "checkout", "alert": "CheckoutPaging",
		"changes": [{"field": "threshold", "from": 0.2, "to": 0.25}]}]}`))
	require.Len(t, rep.RolledBack, 1, "%+v", rep)
	said := comments(pr.PullRequest.Number)
	require.Contains(t, said, "omen rolled this change back")
	require.Contains(t, said, "the old rule would have caught INC-1, the new one missed it")
	require.Len(t, rep.Approval, 1)
	require.NotNil(t, rep.PullRequest, "the critical rule's change went to a pull request")
	require.NotEqual(t, pr.PullRequest.Number, rep.PullRequest.Number)
	require.NotContains(t, logs.String(), g.Token)
}
