package testrig

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// AlertmanagerConfig configures the Alertmanager started by Alertmanager.
type AlertmanagerConfig struct {
	// WebhookURL receives every notification (the only receiver), with
	// send_resolved. Required: a loopback server of the test.
	WebhookURL string
	// GroupWait, GroupInterval and RepeatInterval are the route's timers.
	// Defaults 1s, 1s and 1h: a test sees a firing alert about a second
	// after Alertmanager receives it, and its resolution a second later.
	GroupWait, GroupInterval, RepeatInterval time.Duration
	// GroupBy are the route's group_by labels. Default alertname.
	GroupBy []string
}

// Alertmanager starts a real Alertmanager (Debian's
// prometheus-alertmanager) on a free loopback port with a temporary data
// directory and clustering off, routing every alert to cfg.WebhookURL,
// and registers its stop (by its process) with t.Cleanup. It skips the
// test outside CI when the binary is missing, naming the package to
// install, and fails under CI=true.
func Alertmanager(t testing.TB, cfg AlertmanagerConfig) *Server {
	t.Helper()
	bin := RequireBinary(t, "prometheus-alertmanager")
	if cfg.WebhookURL == "" {
		t.Fatal("testrig.Alertmanager: WebhookURL is required")
	}
	if cfg.GroupWait == 0 {
		cfg.GroupWait = time.Second
	}
	if cfg.GroupInterval == 0 {
		cfg.GroupInterval = time.Second
	}
	if cfg.RepeatInterval == 0 {
		cfg.RepeatInterval = time.Hour
	}
	if len(cfg.GroupBy) == 0 {
		cfg.GroupBy = []string{"alertname"}
	}
	dir := t.TempDir()
	groupBy := ""
	for i, l := range cfg.GroupBy {
		if i > 0 {
			groupBy += ", "
		}
		groupBy += fmt.Sprintf("%q", l)
	}
	yml := fmt.Sprintf(`route:
  receiver: test
  group_by: [%s]
  group_wait: %s
  group_interval: %s
  repeat_interval: %s
receivers:
  - name: test
    webhook_configs:
      - url: %q
        send_resolved: true
`, groupBy, promDuration(cfg.GroupWait), promDuration(cfg.GroupInterval), promDuration(cfg.RepeatInterval), cfg.WebhookURL)
	path := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return start(t, bin, dir, "/-/ready", func(port int) []string {
		return []string{
			"--config.file=" + path,
			"--storage.path=" + filepath.Join(dir, "data"),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--cluster.listen-address=",
			"--log.level=debug",
		}
	})
}

// promDuration writes d as Prometheus configuration durations are
// written: whole milliseconds, seconds, minutes or hours.
func promDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}
