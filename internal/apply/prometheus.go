package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/tuner"
)

// ErrReload is wrapped by a reload Prometheus rejected.
var ErrReload = errors.New("apply: Prometheus rejected the reload")

// Prometheus is the server evaluating the rules: reloaded through its
// lifecycle API (started with --web.enable-lifecycle; vmalert serves the
// same) and asked for the rules' health through /api/v1/rules.
type Prometheus struct {
	// URL is the server's base URL.
	URL string
	// Client sends the requests (credentials, TLS); default a client with
	// a 30s timeout.
	Client *http.Client
}

func (p *Prometheus) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (p *Prometheus) endpoint(path string) string {
	return strings.TrimSuffix(p.URL, "/") + path
}

// shownURL is the URL without credentials, for messages.
func (p *Prometheus) shownURL() string {
	u, err := url.Parse(p.URL)
	if err != nil {
		return "the Prometheus"
	}
	u.User = nil
	return u.String()
}

// Reload asks the server to reload its configuration and rule files
// (POST /-/reload). A rejected reload (a rule file it cannot load, the
// lifecycle API disabled) returns an error wrapping ErrReload with the
// server's message.
func (p *Prometheus) Reload(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint("/-/reload"), nil)
	if err != nil {
		return err
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrReload, p.shownURL(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode == http.StatusForbidden || strings.Contains(msg, "Lifecycle API is not enabled") {
		msg += " (start Prometheus with --web.enable-lifecycle)"
	}
	return fmt.Errorf("%w: %s: HTTP %d: %s", ErrReload, p.shownURL(), resp.StatusCode, msg)
}

// RuleStatus is an alerting rule as the server reports it.
type RuleStatus struct {
	// File and Group are the rule file (as the server opened it) and the
	// group; Interval the group's evaluation interval.
	File     string
	Group    string
	Interval time.Duration
	// Name, Query, For, KeepFiringFor and Labels are the rule as loaded.
	Name          string
	Query         string
	For           time.Duration
	KeepFiringFor time.Duration
	Labels        map[string]string
	// Health is ok, err or unknown (not evaluated yet); LastError the
	// error of the last evaluation; LastEvaluation when it ran.
	Health         string
	LastError      string
	LastEvaluation time.Time
}

// Rules returns the alerting rules the server evaluates.
func (p *Prometheus) Rules(ctx context.Context) ([]RuleStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoint("/api/v1/rules?type=alert"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot ask %s for its rules: %w", p.shownURL(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("cannot ask %s for its rules: %w", p.shownURL(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot ask %s for its rules: HTTP %d: %s", p.shownURL(), resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Groups []struct {
				Name     string  `json:"name"`
				File     string  `json:"file"`
				Interval float64 `json:"interval"`
				Rules    []struct {
					Type           string            `json:"type"`
					Name           string            `json:"name"`
					Query          string            `json:"query"`
					Duration       float64           `json:"duration"`
					KeepFiringFor  float64           `json:"keepFiringFor"`
					Labels         map[string]string `json:"labels"`
					Health         string            `json:"health"`
					LastError      string            `json:"lastError"`
					LastEvaluation time.Time         `json:"lastEvaluation"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%s/api/v1/rules: not the Prometheus rules API's JSON: %w", p.shownURL(), err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s/api/v1/rules: %s %s", p.shownURL(), r.Status, r.Error)
	}
	var out []RuleStatus
	for _, g := range r.Data.Groups {
		for _, rule := range g.Rules {
			if rule.Type != "alerting" && rule.Type != "" {
				continue
			}
			out = append(out, RuleStatus{
				File: g.File, Group: g.Name, Interval: seconds(g.Interval),
				Name: rule.Name, Query: rule.Query, For: seconds(rule.Duration), KeepFiringFor: seconds(rule.KeepFiringFor),
				Labels: rule.Labels, Health: rule.Health, LastError: rule.LastError, LastEvaluation: rule.LastEvaluation,
			})
		}
	}
	return out, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// find returns the server's rule of the group and alert whose labels
// equal labels and whose file is file (a path relative to the rules
// directory: the server's path ends with it). Unless strict, the one rule
// of that group, alert and labels in another file is taken when no file
// matches (a PrometheusRule the operator wrote under a name of its own).
func find(rs []RuleStatus, file, group, alert string, labels map[string]string, strict bool) (RuleStatus, bool) {
	var byName []RuleStatus
	for _, r := range rs {
		if r.Group == group && r.Name == alert && sameLabels(r.Labels, labels) {
			byName = append(byName, r)
		}
	}
	for _, r := range byName {
		if r.File == file || strings.HasSuffix(r.File, "/"+file) {
			return r, true
		}
	}
	if !strict && len(byName) == 1 {
		return byName[0], true
	}
	return RuleStatus{}, false
}

func sameLabels(a, b map[string]string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return maps.Equal(a, b)
}

// matches reports whether the server's rule is r as written: the same
// for, keep_firing_for and labels, and the same threshold. Prometheus
// prints the query it loaded its own way (sum by (x) (…), durations and
// numbers re-formatted), so the threshold is read from that text as the
// tuner reads it from a file, and compared by value; omen changes
// nothing else of an expression.
func (s RuleStatus) matches(r tuner.Rule) bool {
	if s.For != r.ForDuration || s.KeepFiringFor != r.KeepFiringForDuration || !sameLabels(s.Labels, r.Labels) {
		return false
	}
	if r.Threshold == nil {
		return true
	}
	if v, ok := thresholdOf(s.Query); ok {
		return v == r.Threshold.Value
	}
	return sameExpr(s.Query, r.Expr)
}

// thresholdOf reads the threshold of an expression as the tuner does.
func thresholdOf(expr string) (float64, bool) {
	src, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "served", "rules": []any{map[string]any{"alert": "Served", "expr": expr}}}}})
	if err != nil {
		return 0, false
	}
	rules, err := tuner.Parse(src, "served", "served", tuner.LoadOptions{})
	if err != nil || len(rules) != 1 || rules[0].Threshold == nil {
		return 0, false
	}
	return rules[0].Threshold.Value, true
}

// sameExpr compares two expressions as metricsql prints them once parsed,
// numbers by value. An expression metricsql cannot read is taken as the
// same: the tuner finds no threshold to change in one.
func sameExpr(a, b string) bool {
	ea, errA := metricsql.Parse(a)
	eb, errB := metricsql.Parse(b)
	if errA != nil || errB != nil {
		return true
	}
	return canonical(ea) == canonical(eb)
}

func canonical(e metricsql.Expr) string {
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		if n, ok := x.(*metricsql.NumberExpr); ok {
			*n = metricsql.NumberExpr{N: n.N} // printed from the value, not as written
		}
	})
	return string(e.AppendString(nil))
}

// loadError says the server did not load the rule as written.
type loadError struct {
	msg string
}

func (e *loadError) Error() string { return e.msg }

// await waits until the server has loaded rule r of file as written and
// evaluated it at least once, and returns its status. It fails with a
// *loadError when the server still shows another version of the rule (or
// none) at the deadline, or has not evaluated it.
func (p *Prometheus) await(ctx context.Context, file string, r tuner.Rule, timeout time.Duration) (RuleStatus, error) {
	if timeout <= 0 {
		timeout = 2*r.Interval + 30*time.Second
	}
	poll := min(max(r.Interval/5, 100*time.Millisecond), time.Second)
	deadline := time.Now().Add(timeout)
	var last RuleStatus
	var found, loaded bool
	for {
		rs, err := p.Rules(ctx)
		if err != nil {
			return RuleStatus{}, err
		}
		last, found = find(rs, file, r.Group, r.Alert, r.Labels, true)
		loaded = found && last.matches(r)
		if loaded && last.Health != "" && last.Health != "unknown" && !last.LastEvaluation.IsZero() {
			return last, nil
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return RuleStatus{}, ctx.Err()
		case <-time.After(poll):
		}
	}
	switch {
	case !found:
		return last, &loadError{fmt.Sprintf("%s does not evaluate %s of group %s from %s %s after the reload: is %s among its rule_files?", p.shownURL(), r.Alert, r.Group, file, tuner.FormatDuration(timeout), file)}
	case !loaded:
		return last, &loadError{fmt.Sprintf("%s did not load the rule as written within %s: it evaluates %q (for %s)", p.shownURL(), tuner.FormatDuration(timeout), last.Query, tuner.FormatDuration(last.For))}
	}
	return last, &loadError{fmt.Sprintf("%s loaded the rule but did not evaluate it within %s (health %s)", p.shownURL(), tuner.FormatDuration(timeout), last.Health)}
}
