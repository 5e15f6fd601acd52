package testrig

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PrometheusRulesConfig configures the Prometheus started by
// PrometheusWithRules.
type PrometheusRulesConfig struct {
	// RuleFiles are the rule files Prometheus evaluates (absolute or
	// relative to the test's directory).
	RuleFiles []string
	// Interval is the scrape and evaluation interval. Default 1s.
	Interval time.Duration
	// Alertmanagers are the base URLs (http://127.0.0.1:PORT) of the
	// Alertmanagers alerts are sent to.
	Alertmanagers []string
	// Targets are the host:port of loopback /metrics endpoints to scrape,
	// as job "app".
	Targets []string
	// ResendDelay is how often a still-firing alert is sent again to the
	// Alertmanagers (--rules.alert.resend-delay). Default 1s.
	ResendDelay time.Duration
}

// PrometheusWithRules starts a real Prometheus that scrapes cfg.Targets and
// evaluates cfg.RuleFiles every cfg.Interval, sending alerts to
// cfg.Alertmanagers, on a free loopback port with a temporary data
// directory; it is stopped by its process at the end of the test. Its
// ALERTS series hold the alerts' history.
func PrometheusWithRules(t testing.TB, cfg PrometheusRulesConfig) *Server {
	t.Helper()
	bin := RequireBinary(t, "prometheus")
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.ResendDelay == 0 {
		cfg.ResendDelay = time.Second
	}
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", promDuration(cfg.Interval), promDuration(cfg.Interval))
	if len(cfg.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range cfg.RuleFiles {
			abs, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  - %q\n", abs)
		}
	}
	if len(cfg.Alertmanagers) > 0 {
		b.WriteString("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets:\n")
		for _, am := range cfg.Alertmanagers {
			u, err := url.Parse(am)
			if err != nil || u.Host == "" {
				t.Fatalf("testrig.PrometheusWithRules: Alertmanager %q: want http://host:port", am)
			}
			fmt.Fprintf(&b, "            - %q\n", u.Host)
		}
	}
	if len(cfg.Targets) > 0 {
		b.WriteString("scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets:\n")
		for _, tg := range cfg.Targets {
			fmt.Fprintf(&b, "          - %q\n", tg)
		}
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	return start(t, bin, dir, "/-/ready", func(port int) []string {
		return []string{
			"--config.file=" + path,
			"--storage.tsdb.path=" + data,
			"--storage.tsdb.retention.time=10y",
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--rules.alert.resend-delay=" + promDuration(cfg.ResendDelay),
			"--web.enable-lifecycle",
		}
	})
}
