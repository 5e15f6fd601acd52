package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

// TestTunePredictiveListsTheEvidence runs omen tune --predictive against a
// real VictoriaMetrics holding the leak and the log rotation, with the
// leak's kills as incidents: each predict_linear rule is listed with the
// backtest against omen's rule.
func TestTunePredictiveListsTheEvidence(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	end := start.Add(21 * 24 * time.Hour)
	vm := testrig.VictoriaMetrics(t, predictiveHistories(start, end))
	dir := t.TempDir()
	rules := filepath.Join(dir, "capacity.yml")
	require.NoError(t, os.WriteFile(rules, []byte(predictiveTestRules), 0o644))
	var inc strings.Builder
	inc.WriteString("incidents:\n")
	for k := 1; k <= 4; k++ {
		kill := start.Add(time.Duration(k+1)*4*24*time.Hour - time.Hour - 5*time.Minute)
		fmt.Fprintf(&inc, "  - id: OOM-%d\n    start: %s\n    labels: {pod: cart-0}\n", k, kill.Format(time.RFC3339))
	}
	incidents := filepath.Join(dir, "incidents.yml")
	require.NoError(t, os.WriteFile(incidents, []byte(inc.String()), 0o644))

	code, out, stderr := run(t, nil, "tune", "--prometheus", vm.URL, "--rules", rules, "--incidents", incidents,
		"--start", start.Add(7*24*time.Hour).Format(time.RFC3339), "--end", end.Format(time.RFC3339),
		"--predictive", "--predictive-workers", "2", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var res tuneOut
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	reasons := map[string][]string{}
	for _, s := range res.Skipped {
		reasons[s.Alert] = append(reasons[s.Alert], s.Reason)
	}
	t.Log(reasons)
	require.Contains(t, strings.Join(reasons["CartMemoryFillingUp"], "\n"), "predict_linear rule; omen's prediction does better: OmenExhaustionCritical of `omen rules predictive --interval 1h` caught 4/4 incidents")
	require.Contains(t, strings.Join(reasons["LogDiskFillingUp"], "\n"), "OmenExhaustionWarning")
	require.Contains(t, strings.Join(reasons["LogDiskFillingUp"], "\n"), "caught 0/0 incidents", "the kills are the cart's incidents, not the disk's")
	require.Contains(t, strings.Join(reasons["QueueGrowing"], "\n"), "predict_linear, not compared with omen's predictions: predict_linear on queue_depth: not a disk or memory signal")
}
