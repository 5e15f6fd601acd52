package cli

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIncidentsListsAndSumsUp(t *testing.T) {
	args := []string{"incidents", "--incidents", "../../pir/testdata/reviews", "--incidents", "../../pir/testdata/pagerduty-incidents.json"}
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, append(args, "--format", "json")...)
		require.Equal(t, ExitOK, code, stderr)
		var out struct {
			Incidents []struct {
				ID        string `json:"id"`
				Detection struct {
					Method string   `json:"method"`
					Alerts []string `json:"alerts"`
				} `json:"detection"`
			} `json:"incidents"`
			Summary struct {
				Incidents  int      `json:"incidents"`
				MTTD       *float64 `json:"mttd_seconds"`
				Detected   int      `json:"with_detection_time"`
				MTTR       *float64 `json:"mttr_seconds"`
				Resolved   int      `json:"with_end"`
				ByAlert    int      `json:"detected_by_alert"`
				ByPeople   int      `json:"detected_by_people"`
				RootCauses []struct {
					Category string `json:"category"`
					Count    int    `json:"count"`
				} `json:"root_cause_categories"`
			} `json:"summary"`
			Skipped []string `json:"skipped"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out))
		// Four incidents: two reviews merged with their PagerDuty records,
		// one review alone, one PagerDuty incident alone.
		require.Len(t, out.Incidents, 4)
		s := out.Summary
		require.Equal(t, 4, s.Incidents)
		// TTD: 6m (#1843), 0 (PagerDuty's created_at), 4h30m (customer
		// report), 9m (Twitter): mean 1h11m15s.
		require.Equal(t, 4, s.Detected)
		require.InDelta(t, (6*60+0+270*60+9*60)/4.0, *s.MTTD, 1e-9)
		// TTR: 53m, 1h18m7s, 5h55m (PagerDuty fills the review's end); the
		// certificate review has no end.
		require.Equal(t, 3, s.Resolved)
		require.InDelta(t, (53*60+78*60+7+355*60)/3.0, *s.MTTR, 1e-9)
		require.Equal(t, 1, s.ByAlert)
		require.Equal(t, 3, s.ByPeople)
		require.Len(t, s.RootCauses, 3)
		require.Contains(t, out.Skipped, "../../pir/testdata/reviews/README.md: not a review (no front matter and no Timeline)")
	})
	t.Run("table and markdown", func(t *testing.T) {
		code, stdout, stderr := run(t, nil, args...)
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stdout, "alert (CheckoutHighLatency)")
		require.Contains(t, stdout, "MTTD")
		code, stdout, _ = run(t, nil, append(args, "--format", "markdown")...)
		require.Equal(t, ExitOK, code)
		require.Contains(t, stdout, "| #1843 | 2024-03-04 09:12 | SEV2 | alert (CheckoutHighLatency) | 6m | 53m |")
	})
	t.Run("the period and drills", func(t *testing.T) {
		code, stdout, _ := run(t, nil, "incidents", "--incidents", "../../pir/testdata/minimal.yaml", "--start", "2024-03-05", "--format", "csv")
		require.Equal(t, ExitOK, code)
		require.Contains(t, stdout, "INC-102")
		require.NotContains(t, stdout, "INC-101", "before --start")
		require.NotContains(t, stdout, "INC-104", "a drill")
		code, stdout, _ = run(t, nil, "incidents", "--incidents", "../../pir/testdata/minimal.yaml", "--include-drills", "--format", "csv")
		require.Equal(t, ExitOK, code)
		require.Contains(t, stdout, "INC-104")
	})
	t.Run("--rules links action items to the rules they are about", func(t *testing.T) {
		rules := t.TempDir() + "/rules.yml"
		require.NoError(t, os.WriteFile(rules, []byte("groups:\n  - name: search\n    rules:\n      - alert: DiskWillFillIn4h\n        expr: predict_linear(node_filesystem_avail_bytes[6h], 4*3600) < 0\n      - alert: SearchLatencyHigh\n        expr: search_p99_seconds > 1\n"), 0o644))
		code, stdout, stderr := run(t, nil, "incidents", "--incidents", "../../pir/testdata/reviews/2024-03-12-search-disk.md", "--rules", rules, "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		var out struct {
			Incidents []struct {
				ActionItems []struct {
					Text   string   `json:"text"`
					Alerts []string `json:"alerts"`
				} `json:"action_items"`
			} `json:"incidents"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out))
		items := out.Incidents[0].ActionItems
		require.Equal(t, []string{"DiskWillFillIn4h"}, items[0].Alerts, "named word for word")
		require.Equal(t, []string{"DiskWillFillIn4h"}, items[2].Alerts, "about disk capacity: the disk rule")
		require.Empty(t, items[1].Alerts)
	})
	t.Run("errors", func(t *testing.T) {
		code, _, stderr := run(t, nil, "incidents")
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "--incidents is required")
		dir := t.TempDir()
		code, _, stderr = run(t, nil, "incidents", "--incidents", dir+"/missing")
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, dir+"/missing")
	})
}
