package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/pir"
)

// liveAlerts is a real Prometheus evaluating a real rule file against a
// gauge the test sets, sending its alerts to a real Alertmanager whose
// webhook receiver is a loopback server of the test that logs every
// payload as a JSON line.
type liveAlerts struct {
	prometheus *testrig.Server
	rules      string // the rule file
	log        string // the webhook log, one payload a line
	start, end time.Time
}

// runLiveAlerts sets the gauge to 1 (the alert fires), back to 0 (it
// resolves), then to 1 again (it fires and is still firing at the end),
// and waits for Alertmanager to have told the webhook each time.
func runLiveAlerts(t *testing.T) liveAlerts {
	t.Helper()
	dir := t.TempDir()
	la := liveAlerts{rules: filepath.Join(dir, "rules.yml"), log: filepath.Join(dir, "alertmanager.jsonl")}
	require.NoError(t, os.WriteFile(la.rules, []byte(`groups:
  - name: app
    interval: 1s
    rules:
      - alert: AppErrorsHigh
        expr: app_errors_ratio > 0.5
        labels:
          severity: critical
          service: checkout
        annotations:
          summary: errors above half of the requests
`), 0o644))

	var value atomic.Int64
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE app_errors_ratio gauge\napp_errors_ratio %d\n", value.Load())
	}))
	t.Cleanup(metrics.Close)

	var (
		mu       sync.Mutex
		payloads []map[string]any
	)
	logFile, err := os.Create(la.log)
	require.NoError(t, err)
	t.Cleanup(func() { logFile.Close() })
	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var line bytes.Buffer
		if err := json.Compact(&line, body); err != nil {
			t.Errorf("Alertmanager sent a body that is not JSON: %v", err)
			return
		}
		var p map[string]any
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		defer mu.Unlock()
		payloads = append(payloads, p)
		logFile.Write(append(line.Bytes(), '\n'))
	}))
	t.Cleanup(webhook.Close)

	am := testrig.Alertmanager(t, testrig.AlertmanagerConfig{WebhookURL: webhook.URL})
	la.prometheus = testrig.PrometheusWithRules(t, testrig.PrometheusRulesConfig{
		RuleFiles:     []string{la.rules},
		Alertmanagers: []string{am.URL},
		Targets:       []string{strings.TrimPrefix(metrics.URL, "http://")},
	})
	la.start = time.Now().Add(-time.Second).Truncate(time.Second)

	// waitFor waits until the webhook has received a payload of status.
	seen := 0
	waitFor := func(status string) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for ; seen < len(payloads); seen++ {
				if payloads[seen]["status"] == status {
					seen++
					mu.Unlock()
					return
				}
			}
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("Alertmanager sent no %s notification within 45s\nAlertmanager:\n%s\nPrometheus:\n%s", status, tail(am.Log(), 3000), tail(la.prometheus.Log(), 3000))
	}
	time.Sleep(2 * time.Second) // a few samples of 0 first
	value.Store(1)
	waitFor("firing")
	time.Sleep(2 * time.Second)
	value.Store(0)
	waitFor("resolved")
	value.Store(1)
	waitFor("firing")
	time.Sleep(2 * time.Second)
	la.end = time.Now().Truncate(time.Second)
	mu.Lock()
	require.NoError(t, logFile.Sync())
	mu.Unlock()
	return la
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestAlertmanagerLogAndALERTSAreTheSameHistory runs real rules through a
// real Prometheus and Alertmanager: the webhook payloads logged load as
// history, the server's ALERTS series give the same firings, and the two
// are alike.
func TestAlertmanagerLogAndALERTSAreTheSameHistory(t *testing.T) {
	la := runLiveAlerts(t)

	f, err := os.Open(la.log)
	require.NoError(t, err)
	defer f.Close()
	logged, err := pir.LoadAlertmanagerLog(f, la.log)
	require.NoError(t, err)
	require.Len(t, logged, 2, "one resolved firing and one still firing")
	require.Equal(t, "AppErrorsHigh", logged[0].Alert)
	require.Equal(t, "checkout", logged[0].Labels.Get("service"))
	require.Equal(t, "critical", logged[0].Labels.Get("severity"))
	require.True(t, logged[0].Resolved())
	require.False(t, logged[1].Resolved())
	require.True(t, logged[0].ResolvedAt.After(logged[0].FiringAt))
	require.False(t, logged[1].FiringAt.Before(logged[0].ResolvedAt))

	c, err := prom.New(prom.Config{URL: la.prometheus.URL})
	require.NoError(t, err)
	res, err := c.QueryRange(context.Background(), source.Query{Expr: pir.AlertsQuery, Start: la.start, End: la.end, Step: time.Second})
	require.NoError(t, err)
	fromAlerts := pir.FiringsFromAlerts(res.Series, time.Second, la.end)
	require.Len(t, fromAlerts, 2)
	for i := range fromAlerts {
		require.Equal(t, logged[i].Labels, fromAlerts[i].Labels, "ALERTS and the webhook carry the same labels")
		require.LessOrEqual(t, math.Abs(fromAlerts[i].FiringAt.Sub(logged[i].FiringAt).Seconds()), 2.0, "firing %d starts within 2s in both", i)
	}
	require.True(t, fromAlerts[0].Resolved())
	require.False(t, fromAlerts[1].Resolved())

	sim := pir.Compare(fromAlerts, logged, la.start, la.end)
	require.NotNil(t, sim.Score)
	// The firings last a few seconds and Alertmanager notifies a resolution
	// a second or two late on a loaded machine (0.59 seen at load 40):
	// alike means more shared than not.
	require.Greater(t, *sim.Score, 0.5, "%+v", sim)
	t.Logf("similarity of ALERTS and the Alertmanager log: %.3f (%+v)", *sim.Score, sim)

	// omen quality scores either history, and says how alike a replay of
	// the rules is.
	incidents := filepath.Join(t.TempDir(), "incidents.yaml")
	require.NoError(t, os.WriteFile(incidents, []byte(fmt.Sprintf("- id: LIVE-1\n  start: %s\n  end: %s\n  labels: {service: checkout}\n",
		logged[0].FiringAt.Format(time.RFC3339Nano), logged[0].ResolvedAt.Format(time.RFC3339Nano))), 0o644))
	for _, history := range []string{la.log, "alerts"} {
		t.Run("omen quality --history "+filepath.Base(history), func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "quality", "--prometheus", la.prometheus.URL, "--rules", la.rules, "--incidents", incidents,
				"--history", history, "--start", la.start.Format(time.RFC3339), "--end", la.end.Format(time.RFC3339), "--format", "json")
			require.Equal(t, ExitOK, code, stderr)
			var got qualityJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &got))
			require.Empty(t, got.Warnings)
			require.Len(t, got.Rules, 1)
			r := got.Rules[0]
			require.Equal(t, 2, r.Firings)
			require.Equal(t, 2, r.Pages)
			require.Equal(t, []string{"LIVE-1"}, r.Caught)
			require.Equal(t, 1, got.Summary.Caught)
			require.NotNil(t, got.Similarity, "a replay and a real history: their similarity")
			require.Greater(t, *got.Similarity.Score, 0.5)
			require.Len(t, got.Similarity.Rules, 1)
			t.Logf("replay against %s: similarity %.3f", history, *got.Similarity.Score)
		})
	}
}
