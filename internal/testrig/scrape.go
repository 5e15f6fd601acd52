package testrig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ScrapeConfig configures the Prometheus started by PrometheusScraping.
type ScrapeConfig struct {
	// Job is the scrape job's name; default "omen".
	Job string
	// Targets are host:port addresses scraped at /metrics. Required.
	Targets []string
	// Interval is the scrape interval; default 1s.
	Interval time.Duration
}

// PrometheusScraping starts a real Prometheus, with an empty TSDB, that
// scrapes cfg.Targets, and registers its stop with t.Cleanup. It skips
// outside CI when the binary is missing and fails under CI=true.
func PrometheusScraping(t testing.TB, cfg ScrapeConfig) *Server {
	t.Helper()
	bin := RequireBinary(t, "prometheus")
	if len(cfg.Targets) == 0 {
		t.Fatal("testrig.PrometheusScraping: Targets are required")
	}
	if cfg.Job == "" {
		cfg.Job = "omen"
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	dir := t.TempDir()
	quoted := make([]string, len(cfg.Targets))
	for i, tg := range cfg.Targets {
		quoted[i] = fmt.Sprintf("%q", tg)
	}
	yml := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
scrape_configs:
  - job_name: %[2]q
    static_configs:
      - targets: [%[3]s]
`, promDuration(cfg.Interval), cfg.Job, strings.Join(quoted, ", "))
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	return start(t, bin, dir, "/-/ready", func(port int) []string {
		return []string{
			"--config.file=" + path,
			"--storage.tsdb.path=" + data,
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		}
	})
}

// Sample is one series of an instant query's answer.
type Sample struct {
	Labels map[string]string
	Value  string
}

// QueryInstant runs an instant query on a Prometheus-compatible server at
// base and returns the vector it answers.
func QueryInstant(ctx context.Context, base, query string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := decodeVector(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", query, err)
	}
	return out, nil
}

// decodeVector reads the answer of an instant query: its vector, or the
// error the server gave.
func decodeVector(r io.Reader) ([]Sample, error) {
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, errors.New(body.Error)
	}
	out := make([]Sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		v, _ := r.Value[1].(string)
		out = append(out, Sample{Labels: r.Metric, Value: v})
	}
	return out, nil
}
