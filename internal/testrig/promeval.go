package testrig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omenhq/omen/series"
)

// PrometheusEvaluating starts a real Prometheus holding the history ss
// (backfilled with promtool, as Prometheus does) that evaluates the rule
// files matching the globs ruleFiles (as prometheus.yml's rule_files) with
// the lifecycle API on: a test rewrites a rule file, POSTs /-/reload and
// reads the rules' health from /api/v1/rules. The global evaluation
// interval is 1s; groups set their own. It is stopped by its process at
// the end of the test.
func PrometheusEvaluating(t testing.TB, ss []series.Series, ruleFiles ...string) *Server {
	t.Helper()
	bin := RequireBinary(t, "prometheus")
	dir := t.TempDir()
	data := prometheusData(t, dir, ss)
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1m\n  evaluation_interval: 1s\n")
	if len(ruleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range ruleFiles {
			abs, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  - %q\n", abs)
		}
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return start(t, bin, dir, "/-/ready", func(port int) []string {
		return []string{
			"--config.file=" + cfg,
			"--storage.tsdb.path=" + data,
			"--storage.tsdb.retention.time=10y",
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--web.enable-lifecycle",
		}
	})
}
