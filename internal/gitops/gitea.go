package gitops

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// gitea is the Gitea API v1 (also Forgejo's): pulls for pull requests,
// issues for their labels and comments.
type gitea struct {
	api         *api
	owner, name string
}

// giteaPageSize is Gitea's default MAX_RESPONSE_ITEMS.
const giteaPageSize = 50

func newGitea(cfg ForgeConfig) (*gitea, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("gitops: the Gitea URL is required (--forge-url https://HOST)")
	}
	base := strings.TrimRight(cfg.URL, "/")
	if !strings.HasSuffix(base, "/api/v1") {
		base += "/api/v1"
	}
	h := http.Header{}
	h.Set("Authorization", "token "+cfg.Token)
	h.Set("Accept", "application/json")
	a, err := newAPI(cfg, base, h)
	if err != nil {
		return nil, err
	}
	i := strings.LastIndex(cfg.Repo, "/")
	return &gitea{api: a, owner: cfg.Repo[:i], name: cfg.Repo[i+1:]}, nil
}

func (g *gitea) Name() string { return "gitea" }

func (g *gitea) repoPath() string {
	return "/repos/" + url.PathEscape(g.owner) + "/" + url.PathEscape(g.name)
}

// giteaPull is the part of Gitea's PullRequest object omen reads.
type giteaPull struct {
	Number  int       `json:"number"`
	HTMLURL string    `json:"html_url"`
	State   string    `json:"state"`
	Merged  bool      `json:"merged"`
	Title   string    `json:"title"`
	Body    string    `json:"body"`
	Updated time.Time `json:"updated_at"`
	Head    struct {
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

func (p giteaPull) pullRequest() PullRequest {
	pr := PullRequest{Number: p.Number, URL: p.HTMLURL, Head: p.Head.Ref, Base: p.Base.Ref, Title: p.Title, Body: p.Body, Updated: p.Updated}
	switch {
	case p.Merged:
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

func (g *gitea) sameRepo(p giteaPull) bool {
	return p.Head.Repo == nil || strings.EqualFold(p.Head.Repo.FullName, g.owner+"/"+g.name)
}

func (g *gitea) list(ctx context.Context, state string, keep func(giteaPull) bool, max int) ([]PullRequest, error) {
	var out []PullRequest
	for page := 1; len(out) < max; page++ {
		q := url.Values{"state": {state}, "sort": {"recentupdate"}, "page": {fmt.Sprint(page)}, "limit": {fmt.Sprint(giteaPageSize)}}
		var pulls []giteaPull
		if _, err := g.api.do(ctx, http.MethodGet, g.repoPath()+"/pulls?"+q.Encode(), nil, &pulls, true); err != nil {
			return nil, err
		}
		for _, p := range pulls {
			if g.sameRepo(p) && keep(p) && len(out) < max {
				out = append(out, p.pullRequest())
			}
		}
		if len(pulls) < giteaPageSize {
			break
		}
	}
	return out, nil
}

func (g *gitea) FindOpen(ctx context.Context, head string) (*PullRequest, error) {
	prs, err := g.list(ctx, "open", func(p giteaPull) bool { return p.Head.Ref == head && p.State == "open" }, 1)
	if err != nil || len(prs) == 0 {
		return nil, err
	}
	return &prs[0], nil
}

func (g *gitea) List(ctx context.Context, opt ListOptions) ([]PullRequest, error) {
	state := "open"
	if opt.State != StateOpen {
		state = "closed"
	}
	return g.list(ctx, state, func(p giteaPull) bool { return opt.keep(p.pullRequest()) }, opt.max())
}

func (g *gitea) Create(ctx context.Context, n NewPullRequest) (*PullRequest, error) {
	body := map[string]any{"head": n.Head, "base": n.Base, "title": n.Title, "body": n.Body}
	var p giteaPull
	if _, err := g.api.do(ctx, http.MethodPost, g.repoPath()+"/pulls", body, &p, false); err != nil {
		return nil, err
	}
	pr := p.pullRequest()
	g.addLabels(ctx, &pr, n.Labels)
	return &pr, nil
}

func (g *gitea) Update(ctx context.Context, number int, e Edit) (*PullRequest, error) {
	body := map[string]any{}
	if e.Title != nil {
		body["title"] = *e.Title
	}
	if e.Body != nil {
		body["body"] = *e.Body
	}
	path := fmt.Sprintf("%s/pulls/%d", g.repoPath(), number)
	var p giteaPull
	method := http.MethodPatch
	if len(body) == 0 {
		method = http.MethodGet
	}
	if _, err := g.api.do(ctx, method, path, nilIfEmpty(body), &p, true); err != nil {
		return nil, err
	}
	pr := p.pullRequest()
	g.addLabels(ctx, &pr, e.Labels)
	return &pr, nil
}

// addLabels adds the missing labels, creating them in the repository
// first: Gitea ignores label names that do not exist.
func (g *gitea) addLabels(ctx context.Context, pr *PullRequest, labels []string) {
	missing := missingLabels(pr.Labels, labels)
	if len(missing) == 0 {
		return
	}
	if err := g.ensureLabels(ctx, missing); err != nil {
		g.api.logger.Warn("cannot create the labels", "labels", missing, "err", err)
		return
	}
	var got []struct {
		Name string `json:"name"`
	}
	path := fmt.Sprintf("%s/issues/%d/labels", g.repoPath(), pr.Number)
	if _, err := g.api.do(ctx, http.MethodPost, path, map[string]any{"labels": missing}, &got, true); err != nil {
		g.api.logger.Warn("cannot label the pull request", "number", pr.Number, "labels", missing, "err", err)
		return
	}
	pr.Labels = pr.Labels[:0]
	for _, l := range got {
		pr.Labels = append(pr.Labels, l.Name)
	}
}

func (g *gitea) ensureLabels(ctx context.Context, names []string) error {
	var have []string
	for page := 1; ; page++ {
		var labels []struct {
			Name string `json:"name"`
		}
		q := url.Values{"page": {fmt.Sprint(page)}, "limit": {fmt.Sprint(giteaPageSize)}}
		if _, err := g.api.do(ctx, http.MethodGet, g.repoPath()+"/labels?"+q.Encode(), nil, &labels, true); err != nil {
			return err
		}
		for _, l := range labels {
			have = append(have, l.Name)
		}
		if len(labels) < giteaPageSize {
			break
		}
	}
	for _, name := range missingLabels(have, names) {
		body := map[string]any{"name": name, "color": "#5319e7", "description": "Proposed by omen"}
		if _, err := g.api.do(ctx, http.MethodPost, g.repoPath()+"/labels", body, nil, false); err != nil {
			return err
		}
	}
	return nil
}

func (g *gitea) Comment(ctx context.Context, number int, body string) error {
	_, err := g.api.do(ctx, http.MethodPost, fmt.Sprintf("%s/issues/%d/comments", g.repoPath(), number), map[string]any{"body": body}, nil, false)
	return err
}

func (g *gitea) Close(ctx context.Context, number int) error {
	_, err := g.api.do(ctx, http.MethodPatch, fmt.Sprintf("%s/pulls/%d", g.repoPath(), number), map[string]any{"state": "closed"}, nil, true)
	return err
}
