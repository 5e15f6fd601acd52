package gitops

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// gitLab is the GitLab REST API v4: merge requests and their notes.
type gitLab struct {
	api     *api
	project string // the project's full path, URL-escaped as one segment
}

func newGitLab(cfg ForgeConfig) (*gitLab, error) {
	base := cfg.URL
	if base == "" {
		base = "https://gitlab.com"
	}
	base = strings.TrimRight(base, "/")
	if !strings.HasSuffix(base, "/api/v4") {
		base += "/api/v4"
	}
	h := http.Header{}
	h.Set("PRIVATE-TOKEN", cfg.Token)
	h.Set("Accept", "application/json")
	a, err := newAPI(cfg, base, h)
	if err != nil {
		return nil, err
	}
	return &gitLab{api: a, project: url.PathEscape(cfg.Repo)}, nil
}

func (g *gitLab) Name() string { return "gitlab" }

// glMR is the part of GitLab's merge request object omen reads.
type glMR struct {
	IID             int       `json:"iid"`
	WebURL          string    `json:"web_url"`
	State           string    `json:"state"`
	Title           string    `json:"title"`
	Description     *string   `json:"description"`
	SourceBranch    string    `json:"source_branch"`
	TargetBranch    string    `json:"target_branch"`
	SourceProjectID int       `json:"source_project_id"`
	ProjectID       int       `json:"project_id"`
	Labels          []string  `json:"labels"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func (m glMR) pullRequest() PullRequest {
	pr := PullRequest{Number: m.IID, URL: m.WebURL, Head: m.SourceBranch, Base: m.TargetBranch, Title: m.Title, Labels: m.Labels, Updated: m.UpdatedAt}
	if m.Description != nil {
		pr.Body = *m.Description
	}
	switch m.State {
	case "opened":
		pr.State = StateOpen
	case "merged":
		pr.State = StateMerged
	default: // closed, locked
		pr.State = StateClosed
	}
	return pr
}

func (m glMR) sameProject() bool {
	return m.SourceProjectID == 0 || m.SourceProjectID == m.ProjectID
}

func (g *gitLab) mrs() string { return "/projects/" + g.project + "/merge_requests" }

func (g *gitLab) FindOpen(ctx context.Context, head string) (*PullRequest, error) {
	q := url.Values{"state": {"opened"}, "source_branch": {head}, "per_page": {"100"}}
	var mrs []glMR
	if _, err := g.api.do(ctx, http.MethodGet, g.mrs()+"?"+q.Encode(), nil, &mrs, true); err != nil {
		return nil, err
	}
	for _, m := range mrs {
		if m.SourceBranch == head && m.State == "opened" && m.sameProject() {
			pr := m.pullRequest()
			return &pr, nil
		}
	}
	return nil, nil
}

func (g *gitLab) List(ctx context.Context, opt ListOptions) ([]PullRequest, error) {
	states := []string{"opened"}
	if opt.State != StateOpen {
		states = []string{"closed", "merged"}
	}
	var out []PullRequest
	for _, state := range states {
		n := 0
		for page := 1; n < opt.max(); page++ {
			q := url.Values{"state": {state}, "order_by": {"updated_at"}, "sort": {"desc"}, "per_page": {"100"}, "page": {fmt.Sprint(page)}}
			if opt.Base != "" {
				q.Set("target_branch", opt.Base)
			}
			var mrs []glMR
			if _, err := g.api.do(ctx, http.MethodGet, g.mrs()+"?"+q.Encode(), nil, &mrs, true); err != nil {
				return nil, err
			}
			for _, m := range mrs {
				pr := m.pullRequest()
				if m.sameProject() && opt.keep(pr) && n < opt.max() {
					out = append(out, pr)
					n++
				}
			}
			if len(mrs) < 100 {
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b PullRequest) int { return cmp.Compare(b.Updated.UnixNano(), a.Updated.UnixNano()) })
	if len(out) > opt.max() {
		out = out[:opt.max()]
	}
	return out, nil
}

func (g *gitLab) Create(ctx context.Context, n NewPullRequest) (*PullRequest, error) {
	body := map[string]any{
		"source_branch":        n.Head,
		"target_branch":        n.Base,
		"title":                n.Title,
		"description":          n.Body,
		"remove_source_branch": true,
	}
	if len(n.Labels) > 0 {
		body["labels"] = strings.Join(n.Labels, ",") // GitLab creates missing labels
	}
	var m glMR
	if _, err := g.api.do(ctx, http.MethodPost, g.mrs(), body, &m, false); err != nil {
		return nil, err
	}
	pr := m.pullRequest()
	return &pr, nil
}

func (g *gitLab) Update(ctx context.Context, number int, e Edit) (*PullRequest, error) {
	body := map[string]any{}
	if e.Title != nil {
		body["title"] = *e.Title
	}
	if e.Body != nil {
		body["description"] = *e.Body
	}
	if len(e.Labels) > 0 {
		body["add_labels"] = strings.Join(e.Labels, ",")
	}
	path := fmt.Sprintf("%s/%d", g.mrs(), number)
	var m glMR
	method := http.MethodPut
	if len(body) == 0 {
		method, body = http.MethodGet, nil
	}
	if _, err := g.api.do(ctx, method, path, nilIfEmpty(body), &m, true); err != nil {
		return nil, err
	}
	pr := m.pullRequest()
	return &pr, nil
}

func (g *gitLab) Comment(ctx context.Context, number int, body string) error {
	_, err := g.api.do(ctx, http.MethodPost, fmt.Sprintf("%s/%d/notes", g.mrs(), number), map[string]any{"body": body}, nil, false)
	return err
}

func (g *gitLab) Close(ctx context.Context, number int) error {
	_, err := g.api.do(ctx, http.MethodPut, fmt.Sprintf("%s/%d", g.mrs(), number), map[string]any{"state_event": "close"}, nil, true)
	return err
}

// nilIfEmpty returns nil for an empty body, so that no JSON is sent.
func nilIfEmpty(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}
