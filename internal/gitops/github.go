package gitops

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// gitHub is the GitHub REST API (v3, version 2022-11-28): pulls for pull
// requests, issues for their labels and comments.
type gitHub struct {
	api         *api
	owner, name string
	logger      logger
}

// logger is the part of slog the adapters use.
type logger interface {
	Warn(msg string, args ...any)
}

func newGitHub(cfg ForgeConfig) (*gitHub, error) {
	base := cfg.URL
	if base == "" {
		base = "https://api.github.com"
	}
	if u, err := url.Parse(base); err == nil {
		switch {
		case u.Host == "github.com":
			base = "https://api.github.com"
		case u.Host != "api.github.com" && strings.Trim(u.Path, "/") == "":
			base = strings.TrimRight(base, "/") + "/api/v3" // GitHub Enterprise Server
		}
	}
	h := http.Header{}
	h.Set("Accept", "application/vnd.github+json")
	h.Set("Authorization", "Bearer "+cfg.Token)
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	a, err := newAPI(cfg, base, h)
	if err != nil {
		return nil, err
	}
	i := strings.LastIndex(cfg.Repo, "/")
	return &gitHub{api: a, owner: cfg.Repo[:i], name: cfg.Repo[i+1:], logger: a.logger}, nil
}

func (g *gitHub) Name() string { return "github" }

func (g *gitHub) repoPath() string {
	return "/repos/" + url.PathEscape(g.owner) + "/" + url.PathEscape(g.name)
}

// ghPull is the part of GitHub's pull request object omen reads.
type ghPull struct {
	Number    int       `json:"number"`
	HTMLURL   string    `json:"html_url"`
	State     string    `json:"state"`
	MergedAt  *string   `json:"merged_at"`
	Title     string    `json:"title"`
	Body      *string   `json:"body"`
	UpdatedAt time.Time `json:"updated_at"`
	Head      struct {
		Ref  string `json:"ref"`
		Repo *struct {
			FullName string `json:"full_name"`
		} `json:"repo"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

func (p ghPull) pullRequest() PullRequest {
	pr := PullRequest{Number: p.Number, URL: p.HTMLURL, Head: p.Head.Ref, Base: p.Base.Ref, Title: p.Title, Updated: p.UpdatedAt}
	if p.Body != nil {
		pr.Body = *p.Body
	}
	switch {
	case p.MergedAt != nil:
		pr.State = StateMerged
	case p.State == "open":
		pr.State = StateOpen
	default:
		pr.State = StateClosed
	}
	for _, l := range p.Labels {
		pr.Labels = append(pr.Labels, l.Name)
	}
	return pr
}

// sameRepo reports whether the head branch lives in the repository itself
// (not a fork).
func (g *gitHub) sameRepo(p ghPull) bool {
	return p.Head.Repo == nil || strings.EqualFold(p.Head.Repo.FullName, g.owner+"/"+g.name)
}

func (g *gitHub) FindOpen(ctx context.Context, head string) (*PullRequest, error) {
	q := url.Values{"state": {"open"}, "head": {g.owner + ":" + head}, "per_page": {"100"}}
	var pulls []ghPull
	if _, err := g.api.do(ctx, http.MethodGet, g.repoPath()+"/pulls?"+q.Encode(), nil, &pulls, true); err != nil {
		return nil, err
	}
	for _, p := range pulls {
		if p.Head.Ref == head && g.sameRepo(p) && p.State == "open" {
			pr := p.pullRequest()
			return &pr, nil
		}
	}
	return nil, nil
}

func (g *gitHub) List(ctx context.Context, opt ListOptions) ([]PullRequest, error) {
	state := "open"
	if opt.State != StateOpen {
		state = "closed"
	}
	var out []PullRequest
	for page := 1; len(out) < opt.max(); page++ {
		q := url.Values{"state": {state}, "sort": {"updated"}, "direction": {"desc"}, "per_page": {"100"}, "page": {fmt.Sprint(page)}}
		if opt.Base != "" {
			q.Set("base", opt.Base)
		}
		var pulls []ghPull
		if _, err := g.api.do(ctx, http.MethodGet, g.repoPath()+"/pulls?"+q.Encode(), nil, &pulls, true); err != nil {
			return nil, err
		}
		for _, p := range pulls {
			pr := p.pullRequest()
			if g.sameRepo(p) && opt.keep(pr) && len(out) < opt.max() {
				out = append(out, pr)
			}
		}
		if len(pulls) < 100 {
			break
		}
	}
	return out, nil
}

func (g *gitHub) Create(ctx context.Context, n NewPullRequest) (*PullRequest, error) {
	body := map[string]any{"title": n.Title, "head": n.Head, "base": n.Base, "body": n.Body}
	var p ghPull
	if _, err := g.api.do(ctx, http.MethodPost, g.repoPath()+"/pulls", body, &p, false); err != nil {
		return nil, err
	}
	pr := p.pullRequest()
	g.addLabels(ctx, &pr, n.Labels)
	return &pr, nil
}

func (g *gitHub) Update(ctx context.Context, number int, e Edit) (*PullRequest, error) {
	body := map[string]any{}
	if e.Title != nil {
		body["title"] = *e.Title
	}
	if e.Body != nil {
		body["body"] = *e.Body
	}
	var p ghPull
	path := fmt.Sprintf("%s/pulls/%d", g.repoPath(), number)
	if len(body) == 0 {
		if _, err := g.api.do(ctx, http.MethodGet, path, nil, &p, true); err != nil {
			return nil, err
		}
	} else if _, err := g.api.do(ctx, http.MethodPatch, path, body, &p, true); err != nil {
		return nil, err
	}
	pr := p.pullRequest()
	g.addLabels(ctx, &pr, e.Labels)
	return &pr, nil
}

// addLabels adds the missing labels through the issues API (a pull
// request is an issue; GitHub creates a label that does not exist yet).
func (g *gitHub) addLabels(ctx context.Context, pr *PullRequest, labels []string) {
	missing := missingLabels(pr.Labels, labels)
	if len(missing) == 0 {
		return
	}
	var got []struct {
		Name string `json:"name"`
	}
	path := fmt.Sprintf("%s/issues/%d/labels", g.repoPath(), pr.Number)
	if _, err := g.api.do(ctx, http.MethodPost, path, map[string]any{"labels": missing}, &got, true); err != nil {
		g.logger.Warn("cannot label the pull request", "number", pr.Number, "labels", missing, "err", err)
		return
	}
	pr.Labels = pr.Labels[:0]
	for _, l := range got {
		pr.Labels = append(pr.Labels, l.Name)
	}
}

func (g *gitHub) Comment(ctx context.Context, number int, body string) error {
	_, err := g.api.do(ctx, http.MethodPost, fmt.Sprintf("%s/issues/%d/comments", g.repoPath(), number), map[string]any{"body": body}, nil, false)
	return err
}

func (g *gitHub) Close(ctx context.Context, number int) error {
	_, err := g.api.do(ctx, http.MethodPatch, fmt.Sprintf("%s/pulls/%d", g.repoPath(), number), map[string]any{"state": "closed"}, nil, true)
	return err
}

// missingLabels returns the labels of want not in have.
func missingLabels(have, want []string) []string {
	var missing []string
	for _, w := range want {
		found := false
		for _, h := range have {
			if strings.EqualFold(h, w) {
				found = true
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	return missing
}
