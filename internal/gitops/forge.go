package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// State is the state of a pull request.
type State string

// States of a pull request.
const (
	StateOpen   State = "open"
	StateClosed State = "closed" // closed without merging
	StateMerged State = "merged"
)

// PullRequest is a pull request (a merge request on GitLab).
type PullRequest struct {
	// Number is the number shown on the forge (GitLab's iid).
	Number int `json:"number"`
	// URL is the web page of the pull request.
	URL string `json:"url"`
	// State is open, closed (without merging) or merged.
	State State `json:"-"`
	// Head and Base are the branch names.
	Head string `json:"-"`
	Base string `json:"-"`
	// Title and Body are as on the forge.
	Title string `json:"-"`
	Body  string `json:"-"`
	// Labels are the label names.
	Labels []string `json:"-"`
	// Updated is when the forge last changed the pull request.
	Updated time.Time `json:"-"`
}

// NewPullRequest is what Create needs.
type NewPullRequest struct {
	Head, Base  string
	Title, Body string
	// Labels are added after the pull request is created; a label that
	// cannot be added is logged, not an error.
	Labels []string
}

// Edit changes a pull request; nil fields are left as they are.
type Edit struct {
	Title, Body *string
	// Labels are added (existing labels stay).
	Labels []string
}

// ListOptions selects pull requests.
type ListOptions struct {
	// State is StateOpen, or StateClosed for closed and merged ones.
	State State
	// HeadPrefix keeps pull requests whose head branch starts with it.
	HeadPrefix string
	// Base keeps pull requests into this branch; "" for any.
	Base string
	// Max caps how many are returned, the most recently updated first;
	// default 300.
	Max int
}

// Forge is a code forge's pull request API.
type Forge interface {
	// Name returns "github", "gitlab" or "gitea".
	Name() string
	// FindOpen returns the open pull request from the head branch of the
	// repository itself, nil if there is none.
	FindOpen(ctx context.Context, head string) (*PullRequest, error)
	// List returns pull requests matching opt.
	List(ctx context.Context, opt ListOptions) ([]PullRequest, error)
	// Create opens a pull request.
	Create(ctx context.Context, pr NewPullRequest) (*PullRequest, error)
	// Update edits a pull request.
	Update(ctx context.Context, number int, e Edit) (*PullRequest, error)
	// Comment adds a comment to a pull request.
	Comment(ctx context.Context, number int, body string) error
	// Close closes a pull request without merging it.
	Close(ctx context.Context, number int) error
}

// ForgeConfig configures NewForge.
type ForgeConfig struct {
	// Kind is "github", "gitlab" or "gitea".
	Kind string
	// URL is the forge's base URL. Default for GitHub: https://api.github.com
	// (for GitHub Enterprise give https://HOST, /api/v3 is added, or the
	// API URL itself); GitLab: https://gitlab.com (/api/v4 is added);
	// Gitea: required, its root URL (/api/v1 is added).
	URL string
	// Repo is the repository as OWNER/NAME (GitLab: the project's full
	// path, GROUP/SUBGROUP/NAME).
	Repo string
	// Token authenticates the API calls.
	Token string
	// Client makes the requests. Default: a client with a 30 s timeout.
	Client *http.Client
	// Retries is how many times a read or an idempotent edit is retried
	// after a 5xx, a 429 or a transport error; default 2. Creating a pull
	// request or a comment is never retried, so it is never done twice.
	Retries int
	// Backoff is the wait before the first retry, doubled each time;
	// default 1s.
	Backoff time.Duration
	// Logger receives the requests made, at debug level.
	Logger *slog.Logger
	// UserAgent is sent with every request; default "omen".
	UserAgent string
}

// NewForge returns the forge adapter of cfg.Kind.
func NewForge(cfg ForgeConfig) (Forge, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("gitops: no token for %s: give --token-file or set $%s", cfg.Kind, EnvToken)
	}
	if strings.Count(cfg.Repo, "/") < 1 || strings.HasPrefix(cfg.Repo, "/") || strings.HasSuffix(cfg.Repo, "/") {
		return nil, fmt.Errorf("gitops: forge repository %q: want OWNER/NAME", cfg.Repo)
	}
	switch cfg.Kind {
	case "github":
		return newGitHub(cfg)
	case "gitlab":
		return newGitLab(cfg)
	case "gitea":
		return newGitea(cfg)
	}
	return nil, fmt.Errorf("gitops: unknown forge %q: want github, gitlab or gitea", cfg.Kind)
}

// APIError is an answer of a forge that is not a success.
type APIError struct {
	// Method and URL are the request's (the URL without credentials).
	Method, URL string
	// Status is the HTTP status code.
	Status int
	// Message is the forge's message, redacted.
	Message string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("gitops: %s %s: %d %s", e.Method, e.URL, e.Status, msg)
}

// IsNotFound reports whether err is a forge's 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// api is the HTTP client the adapters share.
type api struct {
	base    *url.URL
	headers http.Header
	client  *http.Client
	retries int
	backoff time.Duration
	logger  *slog.Logger
	redact  *Redactor
}

func newAPI(cfg ForgeConfig, base string, headers http.Header) (*api, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gitops: forge URL %q: want http(s)://HOST[/PATH]", NewRedactor(cfg.Token).String(base))
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	retries := cfg.Retries
	if retries == 0 {
		retries = 2
	}
	if retries < 0 {
		retries = 0
	}
	backoff := cfg.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "omen"
	}
	headers.Set("User-Agent", ua)
	return &api{base: u, headers: headers, client: client, retries: retries, backoff: backoff, logger: logger, redact: NewRedactor(cfg.Token)}, nil
}

// do sends a request to path (relative to the API base, with its query)
// with body encoded as JSON, decodes a JSON answer into out and returns
// the response headers. idempotent requests are retried.
func (a *api) do(ctx context.Context, method, path string, body, out any, idempotent bool) (http.Header, error) {
	full := a.base.String() + path
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("gitops: encode %s %s: %w", method, path, err)
		}
	}
	shownURL := a.redact.String(full)
	wait := a.backoff
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, full, bytes.NewReader(payload))
		if err != nil {
			return nil, fmt.Errorf("gitops: %s %s: %w", method, shownURL, a.redact.Error(err))
		}
		for k, v := range a.headers {
			req.Header[k] = v
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		began := time.Now()
		resp, err := a.client.Do(req)
		retry := idempotent && attempt < a.retries
		if err != nil {
			err = fmt.Errorf("gitops: %s %s: %w", method, shownURL, a.redact.Error(err))
			if retry && ctx.Err() == nil {
				a.logger.Warn("forge request failed, retrying", "method", method, "url", shownURL, "err", err, "in", wait)
				if sleep(ctx, wait) == nil {
					wait *= 2
					continue
				}
			}
			return nil, err
		}
		data, readErr := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		a.logger.Debug("forge", "method", method, "url", shownURL, "status", resp.StatusCode, "took", time.Since(began).Round(time.Millisecond))
		if resp.StatusCode/100 != 2 {
			apiErr := &APIError{Method: method, URL: shownURL, Status: resp.StatusCode, Message: a.redact.String(errorMessage(data))}
			if retry && (resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests) {
				a.logger.Warn("forge answered an error, retrying", "method", method, "url", shownURL, "status", resp.StatusCode, "in", wait)
				if sleep(ctx, wait) == nil {
					wait *= 2
					continue
				}
			}
			return resp.Header, apiErr
		}
		if readErr != nil {
			return resp.Header, fmt.Errorf("gitops: %s %s: reading the answer: %w", method, shownURL, readErr)
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return resp.Header, fmt.Errorf("gitops: %s %s: the answer is not the JSON expected: %w", method, shownURL, err)
			}
		}
		return resp.Header, nil
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errorMessage extracts the message of a forge's error answer: GitHub's
// and Gitea's {"message": ...}, GitLab's {"message": ...} or {"error": ...}
// (a message may be a list or an object of lists), with GitHub's
// "errors" details; otherwise the start of the body.
func errorMessage(data []byte) string {
	var e struct {
		Message any `json:"message"`
		Error   any `json:"error"`
		Errors  any `json:"errors"`
	}
	if json.Unmarshal(data, &e) == nil {
		var parts []string
		for _, v := range []any{e.Message, e.Error, e.Errors} {
			if s := flatten(v); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, ": ")
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func flatten(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		var parts []string
		for _, x := range v {
			if s := flatten(x); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		if m, ok := v["message"]; ok {
			return flatten(m)
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if s := flatten(v[k]); s != "" {
				parts = append(parts, k+" "+s)
			}
		}
		return strings.Join(parts, "; ")
	default:
		return fmt.Sprint(v)
	}
}

// keep reports whether a pull request matches opt.
func (opt ListOptions) keep(pr PullRequest) bool {
	return strings.HasPrefix(pr.Head, opt.HeadPrefix) && (opt.Base == "" || pr.Base == opt.Base)
}

func (opt ListOptions) max() int {
	if opt.Max <= 0 {
		return 300
	}
	return opt.Max
}
