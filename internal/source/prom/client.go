package prom

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

// Client queries a Prometheus-compatible server within a query budget. It
// is safe for concurrent use; all its queries share one concurrency limit.
type Client struct {
	cfg      Config
	display  string // URL with the password masked
	tr       *transport
	hc       *http.Client // over tr, for query_range (see queryRange)
	rangeURL string
	sem      chan struct{}
	log      *slog.Logger

	mu  sync.Mutex // guards rng
	rng *rand.Rand

	requests atomic.Int64 // requests planned so far, against cfg.MaxRequests

	planned, answered atomic.Int64 // for cfg.Progress
}

var _ source.Source = (*Client)(nil)

// New validates cfg, reads its credential files and TLS files, and returns
// a Client. Errors name the offending file or setting, never a credential.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	addr, display, urlUser, urlPass, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	tr := &transport{
		headers: make(http.Header, len(cfg.Headers)),
		noCache: cfg.NoCache,
		bearer:  cfg.BearerToken, bearerFile: cfg.BearerTokenFile,
		user: cfg.BasicAuthUser, pass: cfg.BasicAuthPassword, passFile: cfg.BasicAuthPasswordFile,
	}
	for k, v := range cfg.Headers {
		tr.headers.Set(k, v)
	}
	if urlUser != "" {
		if tr.user != "" {
			return nil, fmt.Errorf("server URL %s has a user name and basic auth is also configured: use one", display)
		}
		tr.user, tr.pass = urlUser, urlPass
	}
	switch {
	case cfg.BearerToken != "" && cfg.BearerTokenFile != "":
		return nil, errors.New("set a bearer token or a bearer token file, not both")
	case tr.pass != "" && tr.passFile != "":
		return nil, errors.New("set a basic auth password or a password file, not both")
	case (tr.bearer != "" || tr.bearerFile != "") && tr.user != "":
		return nil, errors.New("set bearer token or basic auth, not both")
	case tr.user == "" && (tr.pass != "" || tr.passFile != ""):
		return nil, errors.New("basic auth password is set but the user name is empty")
	}
	tr.remember(tr.bearer)
	tr.remember(tr.pass)
	if tr.user != "" && tr.pass != "" {
		tr.remember(base64.StdEncoding.EncodeToString([]byte(tr.user + ":" + tr.pass)))
	}
	if tr.bearerFile != "" {
		tok, err := readSecretFile("bearer token file", tr.bearerFile)
		if err != nil {
			return nil, err
		}
		tr.remember(tok)
	}
	if tr.passFile != "" {
		if _, err := readSecretFile("basic auth password file", tr.passFile); err != nil {
			return nil, err
		}
	}
	if cfg.RoundTripper != nil {
		if !cfg.TLS.isZero() {
			return nil, errors.New("TLS settings cannot be combined with a custom RoundTripper")
		}
		tr.base = cfg.RoundTripper
	} else if tr.base, err = newTransport(cfg); err != nil {
		return nil, err
	}
	ac, err := api.NewClient(api.Config{Address: addr, RoundTripper: tr})
	if err != nil {
		return nil, fmt.Errorf("invalid server URL %s: %w", display, err)
	}
	return &Client{
		cfg:      cfg,
		display:  display,
		tr:       tr,
		hc:       &http.Client{Transport: tr},
		rangeURL: ac.URL("/api/v1/query_range", nil).String(),
		sem:      make(chan struct{}, cfg.MaxConcurrency),
		log:      cfg.Logger,
		rng:      rand.New(cfg.Jitter),
	}, nil
}

// URL returns the server's API root with any password masked.
func (c *Client) URL() string { return c.display }

// Close releases idle connections. The Client stays usable.
func (c *Client) Close() {
	if ci, ok := c.tr.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// QueryRange evaluates q.Expr over [q.Start, q.End] and returns the series
// sorted by labels, with Result.Step the step used. A zero q.Step is chosen
// by ChooseStep; the grid is the multiples of the step in the range, or the
// single instant q.End when the range holds none (see source.GridStart). The range is fetched in windows (see Windows) concurrently, with
// retries; if any window fails the whole query fails. Server warnings and
// infos are returned in Result.Warnings, deduplicated; infos are prefixed
// "info: ". Series holding native histograms keep only their float samples
// and add a warning.
func (c *Client) QueryRange(ctx context.Context, q source.Query) (*source.Result, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	step := q.Step
	if step == 0 {
		step = ChooseStep(q.Start, q.End)
	}
	if step%time.Millisecond != 0 {
		return nil, fmt.Errorf("query %q: step %s is not a whole number of milliseconds", q.Expr, step)
	}
	end := q.End.Truncate(time.Millisecond)
	first := source.GridStart(q.Start, end, step)
	if err := c.checkBudget(q, first, end, step); err != nil {
		return nil, err
	}
	windows := Windows(first, end, step, c.cfg.MaxPointsPerQuery)
	if len(windows) == 0 {
		// Validate and GridStart make this impossible; never answer
		// "no data" for a range that was not asked.
		return nil, fmt.Errorf("query %q: no evaluation instant in %s..%s at step %s", q.Expr,
			q.Start.UTC().Format(time.RFC3339Nano), q.End.UTC().Format(time.RFC3339Nano), step)
	}
	res := &source.Result{Step: step}

	if n := int64(len(windows)); c.cfg.MaxRequests > 0 && c.requests.Add(n) > int64(c.cfg.MaxRequests) {
		c.requests.Add(-n)
		return nil, fmt.Errorf("query %q needs %d requests and this run has %d of its %d left (--max-requests): "+
			"use a larger step or a shorter range, or raise the budget: %w",
			q.Expr, n, int64(c.cfg.MaxRequests)-c.requests.Load(), c.cfg.MaxRequests, ErrBudget)
	}

	planned := c.planned.Add(int64(len(windows)))
	if c.cfg.Progress != nil {
		c.cfg.Progress(int(c.answered.Load()), int(planned))
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type part struct {
		ss       []series.Series
		warnings []string
		hist     int
		err      error
	}
	parts := make([]part, len(windows))
	var wg sync.WaitGroup
	for i, w := range windows {
		wg.Go(func() {
			fw := w
			if fw.Points == 1 {
				// VictoriaMetrics answers a range of a single point with no
				// series at all: ask for two points; the decoder keeps
				// only the one asked for.
				fw.End, fw.Points = fw.End.Add(step), 2
			}
			b, err := c.fetch(ctx, q.Expr, fw, step, w.Start.UnixMilli(), w.End.UnixMilli())
			if c.cfg.Progress != nil {
				c.cfg.Progress(int(c.answered.Add(1)), int(c.planned.Load()))
			}
			if err != nil {
				parts[i].err = err
				cancel() // no partial data: stop the other windows
				return
			}
			parts[i].ss, parts[i].hist = b.series, b.histograms
			parts[i].warnings = warnings(b.warnings, b.infos)
		})
	}
	wg.Wait()

	// Report the first window that failed on its own, not one cancelled
	// because another failed.
	failed := -1
	for i, p := range parts {
		if p.err == nil {
			continue
		}
		if e := (*Error)(nil); errors.As(p.err, &e) {
			failed = i
			break
		}
		if failed < 0 {
			failed = i
		}
	}
	if failed >= 0 {
		where := ""
		if len(windows) > 1 {
			where = fmt.Sprintf(" (window %d/%d %s)", failed+1, len(windows), windows[failed])
		}
		return nil, fmt.Errorf("cannot fetch %q%s: %w", q.Expr, where, parts[failed].err)
	}

	var all []series.Series
	seen := make(map[string]bool)
	hist := 0
	for _, p := range parts {
		all = append(all, p.ss...)
		hist += p.hist
		for _, w := range p.warnings {
			if !seen[w] {
				seen[w] = true
				res.Warnings = append(res.Warnings, w)
				c.log.Warn("server warning", "url", c.display, "query", q.Expr, "warning", w)
			}
		}
	}
	if hist > 0 {
		w := fmt.Sprintf("query %q returned %d native histogram samples, which omen ignores", q.Expr, hist)
		res.Warnings = append(res.Warnings, w)
		c.log.Warn("native histograms ignored", "url", c.display, "query", q.Expr, "samples", hist)
	}
	res.Series = series.Merge(all)
	return res, nil
}

// fetch runs one window's request with retries and returns its decoded
// body, the series limited to samples in [lo, hi] (Unix ms).
func (c *Client) fetch(ctx context.Context, expr string, w Window, step time.Duration, lo, hi int64) (*rangeBody, error) {
	// The server-side evaluation timeout is sent in whole seconds, formatted
	// by Duration.String: Prometheus rejects "1.5s".
	args := rangeArgs(expr, w.Start, w.End, step, c.cfg.Timeout.Truncate(time.Second))
	for attempt := 1; ; attempt++ {
		if err := c.acquire(ctx); err != nil {
			return nil, err
		}
		ex := &exchange{}
		actx, cancel := context.WithTimeout(withExchange(ctx, ex), c.cfg.Timeout)
		t0 := time.Now()
		b, err := c.queryRange(actx, args, lo, hi)
		dur := time.Since(t0)
		timedOut := err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		c.release()

		var f failure
		if err == nil {
			if b.resultType == "matrix" {
				c.log.Debug("query_range", "path", ex.path, "query", expr, "start", w.Start, "end", w.End,
					"points", w.Points, "attempt", attempt, "status", ex.status, "duration", dur, "series", len(b.series))
				return b, nil
			}
			f = failure{kind: ErrBadResponse, msg: fmt.Sprintf("expected a matrix from query_range, got %s", b.resultType)}
		} else {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			f = classify(err, ex, c.cfg.Timeout, timedOut)
			f.msg = c.tr.scrub(f.msg)
		}
		c.log.Debug("query_range", "path", ex.path, "query", expr, "start", w.Start, "end", w.End,
			"points", w.Points, "attempt", attempt, "status", ex.status, "duration", dur, "error", f.msg)

		e := &Error{URL: c.display, Kind: f.kind, Status: ex.status, Attempts: attempt, Msg: f.msg}
		if !f.retry || attempt > c.cfg.MaxRetries {
			return nil, e
		}
		wait := c.backoff(attempt)
		if f.retryAfter > MaxRetryAfter {
			e.Msg += fmt.Sprintf(": server asked to retry after %s, more than %s", f.retryAfter, MaxRetryAfter)
			return nil, e
		}
		wait = max(wait, f.retryAfter)
		c.log.Info("retrying a request", "url", c.display, "query", expr, "window", w.String(),
			"attempt", attempt, "of", c.cfg.MaxRetries+1, "reason", f.msg, "wait", wait.Round(time.Millisecond))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (c *Client) release() { <-c.sem }

// backoff returns the wait before retry n (1-based): b/2 + U[0, b/2) with
// b = min(RetryBackoff·2^(n-1), MaxBackoff).
func (c *Client) backoff(n int) time.Duration {
	b := c.cfg.RetryBackoff
	for i := 1; i < n && b < MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, MaxBackoff)
	half := b / 2
	c.mu.Lock()
	j := time.Duration(c.rng.Int64N(int64(half) + 1))
	c.mu.Unlock()
	return half + j
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// warnings joins a response's warnings and infos, infos prefixed "info: ".
func warnings(warns v1.Warnings, infos v1.Infos) []string {
	if len(warns)+len(infos) == 0 {
		return nil
	}
	out := make([]string, 0, len(warns)+len(infos))
	out = append(out, warns...)
	for _, in := range infos {
		out = append(out, "info: "+in)
	}
	return out
}

// checkBudget refuses a query whose grid [first, end] at step has more
// points per series than Config.MaxPointsPerSeries, naming the smallest
// step of ChooseStep's list that fits.
func (c *Client) checkBudget(q source.Query, first, end time.Time, step time.Duration) error {
	limit := c.cfg.MaxPointsPerSeries
	if limit <= 0 {
		return nil
	}
	points := int64(end.Sub(first)/step) + 1
	if points <= int64(limit) {
		return nil
	}
	fit := step
	for _, s := range niceSteps {
		if s > step && int64(end.Sub(first)/s)+1 <= int64(limit) {
			fit = s
			break
		}
	}
	if fit == step { // longer than any nice step allows: whole days
		fit = (end.Sub(first)/(time.Duration(limit)*24*time.Hour) + 1) * 24 * time.Hour
	}
	return fmt.Errorf("query %q over %s at step %s is %d points per series in %d requests, more than the %d allowed (--max-points): "+
		"use --step %s or more, or a shorter range: %w",
		q.Expr, model.Duration(end.Sub(first)), model.Duration(step), points,
		(points+int64(c.cfg.MaxPointsPerQuery)-1)/int64(c.cfg.MaxPointsPerQuery), limit, model.Duration(fit), ErrBudget)
}
