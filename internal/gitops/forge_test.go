package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchange is one request the forge under test must receive, checked
// against the documented API, and the documented answer it gets.
type exchange struct {
	method string
	// path is the escaped path, as on the wire.
	path  string
	query url.Values
	// body is the JSON body expected exactly; nil for none.
	body   map[string]any
	status int
	answer string
	header map[string]string
}

// scripted is a loopback server that expects exchanges in order and
// checks headers on each.
type scripted struct {
	t       *testing.T
	headers map[string]string
	mu      sync.Mutex
	script  []exchange
	seen    int
}

func newScripted(t *testing.T, headers map[string]string, script ...exchange) *httptest.Server {
	s := &scripted{t: t, headers: headers, script: script}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Equal(t, len(s.script), s.seen, "every expected request was made")
	})
	return srv
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	if s.seen >= len(s.script) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	want := s.script[s.seen]
	s.seen++
	if r.Method != want.method || r.URL.EscapedPath() != want.path {
		t.Errorf("request %d: got %s %s, want %s %s", s.seen, r.Method, r.URL.EscapedPath(), want.method, want.path)
	}
	q := want.query
	if q == nil {
		q = url.Values{}
	}
	if got := r.URL.Query(); !equalValues(got, q) {
		t.Errorf("request %d %s %s: query %v, want %v", s.seen, r.Method, want.path, got, q)
	}
	for k, v := range s.headers {
		if got := r.Header.Get(k); got != v {
			t.Errorf("request %d %s %s: header %s = %q, want %q", s.seen, r.Method, want.path, k, got, v)
		}
	}
	data, _ := io.ReadAll(r.Body)
	if want.body == nil {
		if len(bytes.TrimSpace(data)) > 0 {
			t.Errorf("request %d %s %s: unexpected body %s", s.seen, r.Method, want.path, data)
		}
	} else {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request %d: Content-Type %q, want application/json", s.seen, ct)
		}
		var got map[string]any
		if err := json.Unmarshal(data, &got); err != nil {
			t.Errorf("request %d: body is not JSON: %v: %s", s.seen, err, data)
		}
		wantJSON, _ := json.Marshal(want.body)
		var wantBody map[string]any
		_ = json.Unmarshal(wantJSON, &wantBody)
		assert.Equal(t, wantBody, got, "request %d %s %s: JSON body", s.seen, r.Method, want.path)
	}
	for k, v := range want.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(want.status)
	_, _ = io.WriteString(w, want.answer)
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := b[k]
		if len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}

const ghToken = "ghp_omenTestToken0123456789abcdef"

var ghHeaders = map[string]string{
	"Accept":               "application/vnd.github+json",
	"Authorization":        "Bearer " + ghToken,
	"X-GitHub-Api-Version": "2022-11-28",
	"User-Agent":           "omen",
}

// ghPullJSON is a pull request as GitHub's "Get a pull request" example
// shows it, trimmed of the fields omen does not read.
func ghPullJSON(number int, state, head string, merged bool, body string) string {
	mergedAt := "null"
	if merged {
		mergedAt = `"2026-01-05T10:00:00Z"`
	}
	return `{
  "url": "https://api.github.com/repos/octo-org/rules/pulls/` + itoa(number) + `",
  "id": 1296269` + itoa(number) + `,
  "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
  "html_url": "https://github.com/octo-org/rules/pull/` + itoa(number) + `",
  "number": ` + itoa(number) + `,
  "state": "` + state + `",
  "locked": false,
  "title": "omen: tune HighErrorRate",
  "user": {"login": "omen-bot", "id": 1},
  "body": ` + jsonString(body) + `,
  "labels": [{"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=", "name": "omen", "color": "f29513", "default": false}],
  "created_at": "2026-01-04T19:01:12Z",
  "updated_at": "2026-01-04T19:01:12Z",
  "closed_at": null,
  "merged_at": ` + mergedAt + `,
  "draft": false,
  "head": {"label": "octo-org:` + head + `", "ref": "` + head + `", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
           "repo": {"id": 1296269, "name": "rules", "full_name": "octo-org/rules"}},
  "base": {"label": "octo-org:main", "ref": "main", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
           "repo": {"id": 1296269, "name": "rules", "full_name": "octo-org/rules"}}
}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func newTestForge(t *testing.T, kind, url, repo, token string, logs *bytes.Buffer) Forge {
	t.Helper()
	cfg := ForgeConfig{Kind: kind, URL: url, Repo: repo, Token: token, Backoff: time.Millisecond}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f, err := NewForge(cfg)
	require.NoError(t, err)
	return f
}

func TestGitHubFollowsTheDocumentedAPI(t *testing.T) {
	ctx := context.Background()
	const head = "omen/rules-1a2b3c4d5e"
	srv := newScripted(t, ghHeaders,
		exchange{method: "GET", path: "/api/v3/repos/octo-org/rules/pulls",
			query:  url.Values{"state": {"open"}, "head": {"octo-org:" + head}, "per_page": {"100"}},
			status: 200, answer: "[]"},
		exchange{method: "POST", path: "/api/v3/repos/octo-org/rules/pulls",
			body:   map[string]any{"title": "omen: tune HighErrorRate", "head": head, "base": "main", "body": "the body"},
			status: 201, answer: ghPullJSON(7, "open", head, false, "the body")},
		exchange{method: "POST", path: "/api/v3/repos/octo-org/rules/issues/7/labels",
			body:   map[string]any{"labels": []string{"alerting"}},
			status: 200, answer: `[{"id": 208045946, "name": "omen"}, {"id": 208045947, "name": "alerting"}]`},
		exchange{method: "GET", path: "/api/v3/repos/octo-org/rules/pulls",
			query:  url.Values{"state": {"open"}, "head": {"octo-org:" + head}, "per_page": {"100"}},
			status: 200, answer: "[" + ghPullJSON(7, "open", head, false, "the body") + "]"},
		exchange{method: "PATCH", path: "/api/v3/repos/octo-org/rules/pulls/7",
			body:   map[string]any{"title": "new title", "body": "new body"},
			status: 200, answer: ghPullJSON(7, "open", head, false, "new body")},
		exchange{method: "POST", path: "/api/v3/repos/octo-org/rules/issues/7/comments",
			body:   map[string]any{"body": "what changed"},
			status: 201, answer: `{"id": 1, "body": "what changed", "html_url": "https://github.com/octo-org/rules/pull/7#issuecomment-1"}`},
		exchange{method: "PATCH", path: "/api/v3/repos/octo-org/rules/pulls/7",
			body:   map[string]any{"state": "closed"},
			status: 200, answer: ghPullJSON(7, "closed", head, false, "new body")},
	)
	// GitHub Enterprise: --forge-url is the host, /api/v3 is added.
	f := newTestForge(t, "github", srv.URL, "octo-org/rules", ghToken, nil)
	require.Equal(t, "github", f.Name())

	pr, err := f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.Nil(t, pr)

	pr, err = f.Create(ctx, NewPullRequest{Head: head, Base: "main", Title: "omen: tune HighErrorRate", Body: "the body", Labels: []string{"omen", "alerting"}})
	require.NoError(t, err)
	require.Equal(t, 7, pr.Number)
	require.Equal(t, "https://github.com/octo-org/rules/pull/7", pr.URL)
	require.Equal(t, StateOpen, pr.State)
	require.Equal(t, []string{"omen", "alerting"}, pr.Labels)

	pr, err = f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.NotNil(t, pr)
	require.Equal(t, head, pr.Head)
	require.Equal(t, "main", pr.Base)
	require.Equal(t, "the body", pr.Body)

	title, body := "new title", "new body"
	pr, err = f.Update(ctx, 7, Edit{Title: &title, Body: &body, Labels: []string{"omen"}})
	require.NoError(t, err)
	require.Equal(t, "new body", pr.Body)
	require.NoError(t, f.Comment(ctx, 7, "what changed"))
	require.NoError(t, f.Close(ctx, 7))
}

func TestGitHubListsClosedPullRequestsPageByPage(t *testing.T) {
	ctx := context.Background()
	page1 := "["
	for i := 0; i < 100; i++ {
		if i > 0 {
			page1 += ","
		}
		head := "feature/x"
		if i%10 == 0 {
			head = "omen/rules-" + itoa(i)
		}
		page1 += ghPullJSON(1000-i, "closed", head, i%20 == 0, "")
	}
	page1 += "]"
	srv := newScripted(t, ghHeaders,
		exchange{method: "GET", path: "/api/v3/repos/octo-org/rules/pulls",
			query:  url.Values{"state": {"closed"}, "sort": {"updated"}, "direction": {"desc"}, "per_page": {"100"}, "page": {"1"}},
			status: 200, answer: page1},
		exchange{method: "GET", path: "/api/v3/repos/octo-org/rules/pulls",
			query:  url.Values{"state": {"closed"}, "sort": {"updated"}, "direction": {"desc"}, "per_page": {"100"}, "page": {"2"}},
			status: 200, answer: "[" + ghPullJSON(5, "closed", "omen/rules-old", false, "") + "]"},
	)
	// The API URL itself works too.
	f := newTestForge(t, "github", srv.URL+"/api/v3/", "octo-org/rules", ghToken, nil)
	prs, err := f.List(ctx, ListOptions{State: StateClosed, HeadPrefix: "omen/"})
	require.NoError(t, err)
	require.Len(t, prs, 11)
	require.Equal(t, StateMerged, prs[0].State, "merged_at set: merged")
	require.Equal(t, StateClosed, prs[1].State, "closed, merged_at null: closed without merging")
	require.Equal(t, "omen/rules-old", prs[10].Head)
}

func TestGitHubErrorsAreRetriedOnlyWhenSafeAndNeverShowTheToken(t *testing.T) {
	ctx := context.Background()
	const head = "omen/rules-1a2b3c4d5e"
	fiveHundred := `{"message": "Server Error ` + ghToken + `", "documentation_url": "https://docs.github.com/rest"}`
	srv := newScripted(t, ghHeaders,
		exchange{method: "GET", path: "/api/v3/repos/octo-org/rules/pulls", query: url.Values{"state": {"open"}, "head": {"octo-org:" + head}, "per_page": {"100"}}, status: 502, answer: fiveHundred},
		exchange{method: "GET", path: "/api/v3/repos/octo-org/rules/pulls", query: url.Values{"state": {"open"}, "head": {"octo-org:" + head}, "per_page": {"100"}}, status: 200, answer: "[]"},
		exchange{method: "POST", path: "/api/v3/repos/octo-org/rules/pulls",
			body:   map[string]any{"title": "t", "head": head, "base": "main", "body": "b"},
			status: 503, answer: fiveHundred},
		exchange{method: "POST", path: "/api/v3/repos/octo-org/rules/pulls",
			body:   map[string]any{"title": "t", "head": head, "base": "main", "body": "b"},
			status: 422, answer: `{"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for octo-org:` + head + `."}], "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"}`},
	)
	var logs bytes.Buffer
	f := newTestForge(t, "github", srv.URL, "octo-org/rules", ghToken, &logs)
	_, err := f.FindOpen(ctx, head)
	require.NoError(t, err, "a 502 on a read is retried")
	_, err = f.Create(ctx, NewPullRequest{Head: head, Base: "main", Title: "t", Body: "b"})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 503, apiErr.Status, "creating is not retried")
	require.NotContains(t, err.Error(), ghToken)
	require.Contains(t, err.Error(), "Server Error REDACTED")
	_, err = f.Create(ctx, NewPullRequest{Head: head, Base: "main", Title: "t", Body: "b"})
	require.ErrorContains(t, err, "422 Validation Failed: A pull request already exists")
	require.NotContains(t, logs.String(), ghToken)
}

const glToken = "glpat-omenTestToken0123456789"

var glHeaders = map[string]string{"PRIVATE-TOKEN": glToken, "User-Agent": "omen"}

// glMRJSON is a merge request as GitLab's "Get single MR" example shows
// it, trimmed of the fields omen does not read.
func glMRJSON(iid int, state, source string, body string) string {
	return `{
  "id": 15` + itoa(iid) + `,
  "iid": ` + itoa(iid) + `,
  "project_id": 3,
  "title": "omen: tune HighErrorRate",
  "description": ` + jsonString(body) + `,
  "state": "` + state + `",
  "created_at": "2026-01-04T19:01:12.345Z",
  "updated_at": "2026-01-04T19:01:12.345Z",
  "merged_by": null,
  "merged_at": null,
  "target_branch": "main",
  "source_branch": "` + source + `",
  "source_project_id": 3,
  "target_project_id": 3,
  "labels": ["omen"],
  "draft": false,
  "web_url": "https://gitlab.example.com/platform/observability/rules/-/merge_requests/` + itoa(iid) + `",
  "sha": "8888888888888888888888888888888888888888"
}`
}

func TestGitLabFollowsTheDocumentedAPI(t *testing.T) {
	ctx := context.Background()
	const head = "omen/rules-1a2b3c4d5e"
	const project = "/api/v4/projects/platform%2Fobservability%2Frules/merge_requests"
	srv := newScripted(t, glHeaders,
		exchange{method: "GET", path: project, query: url.Values{"state": {"opened"}, "source_branch": {head}, "per_page": {"100"}}, status: 200, answer: "[]"},
		exchange{method: "POST", path: project,
			body: map[string]any{"source_branch": head, "target_branch": "main", "title": "omen: tune HighErrorRate", "description": "the body",
				"labels": "omen,alerting", "remove_source_branch": true},
			status: 201, answer: glMRJSON(4, "opened", head, "the body")},
		exchange{method: "GET", path: project, query: url.Values{"state": {"opened"}, "source_branch": {head}, "per_page": {"100"}}, status: 200, answer: "[" + glMRJSON(4, "opened", head, "the body") + "]"},
		exchange{method: "PUT", path: project + "/4",
			body:   map[string]any{"title": "new title", "description": "new body", "add_labels": "omen"},
			status: 200, answer: glMRJSON(4, "opened", head, "new body")},
		exchange{method: "POST", path: project + "/4/notes", body: map[string]any{"body": "what changed"},
			status: 201, answer: `{"id": 302, "body": "what changed", "noteable_type": "MergeRequest", "noteable_iid": 4}`},
		exchange{method: "GET", path: project, query: url.Values{"state": {"closed"}, "order_by": {"updated_at"}, "sort": {"desc"}, "per_page": {"100"}, "page": {"1"}},
			status: 200, answer: "[" + glMRJSON(3, "closed", "omen/rules-aaaa", "") + "," + glMRJSON(2, "closed", "fix/typo", "") + "]"},
		exchange{method: "GET", path: project, query: url.Values{"state": {"merged"}, "order_by": {"updated_at"}, "sort": {"desc"}, "per_page": {"100"}, "page": {"1"}},
			status: 200, answer: "[" + glMRJSON(1, "merged", "omen/rules-bbbb", "") + "]"},
		exchange{method: "PUT", path: project + "/4", body: map[string]any{"state_event": "close"}, status: 200, answer: glMRJSON(4, "closed", head, "new body")},
	)
	// Self-managed GitLab: --forge-url is the host, /api/v4 is added; the
	// project is its full path, URL-encoded.
	f := newTestForge(t, "gitlab", srv.URL, "platform/observability/rules", glToken, nil)
	pr, err := f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.Nil(t, pr)
	pr, err = f.Create(ctx, NewPullRequest{Head: head, Base: "main", Title: "omen: tune HighErrorRate", Body: "the body", Labels: []string{"omen", "alerting"}})
	require.NoError(t, err)
	require.Equal(t, 4, pr.Number, "the number is the MR's iid")
	require.Equal(t, "https://gitlab.example.com/platform/observability/rules/-/merge_requests/4", pr.URL)
	pr, err = f.FindOpen(ctx, head)
	require.NoError(t, err)
	require.Equal(t, StateOpen, pr.State)
	title, body := "new title", "new body"
	pr, err = f.Update(ctx, 4, Edit{Title: &title, Body: &body, Labels: []string{"omen"}})
	require.NoError(t, err)
	require.Equal(t, "new body", pr.Body)
	require.NoError(t, f.Comment(ctx, 4, "what changed"))
	prs, err := f.List(ctx, ListOptions{State: StateClosed, HeadPrefix: "omen/"})
	require.NoError(t, err)
	require.Len(t, prs, 2)
	states := map[string]State{prs[0].Head: prs[0].State, prs[1].Head: prs[1].State}
	require.Equal(t, map[string]State{"omen/rules-aaaa": StateClosed, "omen/rules-bbbb": StateMerged}, states)
	require.NoError(t, f.Close(ctx, 4))
}

func TestGitLabErrorMessagesAreReadable(t *testing.T) {
	ctx := context.Background()
	const project = "/api/v4/projects/g%2Frules/merge_requests"
	srv := newScripted(t, glHeaders,
		exchange{method: "POST", path: project,
			body:   map[string]any{"source_branch": "omen/x", "target_branch": "main", "title": "t", "description": "b", "remove_source_branch": true},
			status: 409, answer: `{"message": ["Another open merge request already exists for this source branch: !4"]}`},
		exchange{method: "GET", path: project, query: url.Values{"state": {"opened"}, "source_branch": {"omen/x"}, "per_page": {"100"}}, status: 401, answer: `{"message": "401 Unauthorized"}`},
	)
	f := newTestForge(t, "gitlab", srv.URL+"/api/v4", "g/rules", glToken, nil)
	_, err := f.Create(ctx, NewPullRequest{Head: "omen/x", Base: "main", Title: "t", Body: "b"})
	require.ErrorContains(t, err, "409 Another open merge request already exists for this source branch: !4")
	_, err = f.FindOpen(ctx, "omen/x")
	require.ErrorContains(t, err, "401 401 Unauthorized")
}

func TestNewForgeRefusesIncompleteSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  ForgeConfig
		err  string
	}{
		{"no token", ForgeConfig{Kind: "github", Repo: "o/r"}, "no token for github"},
		{"no owner", ForgeConfig{Kind: "github", Repo: "rules", Token: "t"}, "want OWNER/NAME"},
		{"an unknown forge", ForgeConfig{Kind: "bitbucket", Repo: "o/r", Token: "t"}, `unknown forge "bitbucket"`},
		{"gitea without a URL", ForgeConfig{Kind: "gitea", Repo: "o/r", Token: "t"}, "Gitea URL is required"},
		{"a URL that is not http", ForgeConfig{Kind: "gitlab", URL: "ftp://x", Repo: "o/r", Token: "t"}, "want http(s)://HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewForge(tt.cfg)
			require.ErrorContains(t, err, tt.err)
		})
	}
}
