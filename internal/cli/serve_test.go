package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/pir"
)

var (
	omenBinOnce sync.Once
	omenBin     string
	omenBinErr  error
)

// buildOmen builds cmd/omen once per test binary.
func buildOmen(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	omenBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "omen-serve-test-")
		if err != nil {
			omenBinErr = err
			return
		}
		omenBin = filepath.Join(dir, "omen")
		out, err := exec.Command("go", "build", "-o", omenBin, "github.com/omenhq/omen/cmd/omen").CombinedOutput()
		if err != nil {
			omenBinErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, omenBinErr)
	return omenBin
}

// serveProc is a running omen serve process.
type serveProc struct {
	cmd  *exec.Cmd
	url  string
	log  string
	done chan struct{}
}

func (p *serveProc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

var servingRE = regexp.MustCompile(`msg=serving addr=(\S+)`)

// startServe runs omen serve on a free port with config and state in
// dir and waits until it serves /healthz.
func startServe(t *testing.T, bin, dir string, args ...string) *serveProc {
	t.Helper()
	logPath := filepath.Join(dir, fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))
	f, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(bin, append([]string{"serve", "--config", filepath.Join(dir, "omen.yaml"), "--listen", "127.0.0.1:0",
		"--state-dir", filepath.Join(dir, "state")}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	p := &serveProc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(p.logText()); m != nil {
			p.url = "http://" + m[1]
			break
		}
		select {
		case <-p.done:
			t.Fatalf("omen serve exited: %s", p.logText())
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.NotEmpty(t, p.url, "omen serve did not say where it serves: %s", p.logText())
	code, _ := get(t, p.url+"/healthz")
	require.Equal(t, http.StatusOK, code)
	return p
}

// stop sends sig and waits for the exit, returning the exit code.
func (p *serveProc) stop(t *testing.T, sig syscall.Signal, within time.Duration) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("omen serve still running %s after %s: %s", within, sig, p.logText())
	}
	return p.cmd.ProcessState.ExitCode()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func demoFleetPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../fixtures/demo/fleet.om.gz")
	require.NoError(t, err)
	return p
}

func writeServeConfig(t *testing.T, dir, schedule string) {
	t.Helper()
	yml := fmt.Sprintf("source:\n  input: %s\npresets: [disk, memory]\nschedule: %q\noutputs:\n  - {format: json, path: %s}\n",
		demoFleetPath(t), schedule, filepath.Join(dir, "report.json"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "omen.yaml"), []byte(yml), 0o644))
}

// metricValue returns the value of the series line starting with name
// (name and labels exactly as exposed) in a /metrics body.
func metricValue(body, series string) string {
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// TestServeUnderRealPrometheusAndAlertmanager runs omen serve as a
// process, scraped by a real Prometheus and notified by a real
// Alertmanager: the predictions reach Prometheus, /metrics passes
// promtool check metrics, the alert history is what omen quality
// --history reads, SIGHUP reloads (a bad config is refused and counted)
// and SIGTERM exits 0.
func TestServeUnderRealPrometheusAndAlertmanager(t *testing.T) {
	bin := buildOmen(t)
	promtool := testrig.RequireBinary(t, "promtool")
	dir := t.TempDir()
	writeServeConfig(t, dir, "1h")
	p := startServe(t, bin, dir)

	waitFor(t, "the first run", 60*time.Second, func() bool { code, _ := get(t, p.url+"/readyz"); return code == http.StatusOK })

	t.Run("the results are served as JSON", func(t *testing.T) {
		code, body := get(t, p.url+"/api/v1/results")
		require.Equal(t, http.StatusOK, code)
		var res struct {
			Status  string `json:"status"`
			Results struct {
				AsOf    string            `json:"as_of"`
				Results []json.RawMessage `json:"results"`
			} `json:"results"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		require.Equal(t, "success", res.Status)
		require.Equal(t, "2026-11-01T00:00:00Z", res.Results.AsOf)
		require.NotEmpty(t, res.Results.Results)
	})

	t.Run("metrics pass promtool check metrics", func(t *testing.T) {
		_, body := get(t, p.url+"/metrics")
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool check metrics: %s", out)
		require.Equal(t, "1", metricValue(body, `omen_runs_total{result="success"}`))
		require.NotEqual(t, "0", metricValue(body, "omen_last_success_timestamp_seconds"))
		require.NotEqual(t, "0", metricValue(body, "omen_series_analysed"))
		require.Contains(t, body, `omen_exhaustion_eta_seconds{`)
		require.Contains(t, body, `omen_exhaustion_risk{`)
		require.Contains(t, body, `omen_predictions_pending `)
	})

	t.Run("a real Prometheus scrapes the predictions", func(t *testing.T) {
		prom := testrig.PrometheusScraping(t, testrig.ScrapeConfig{Targets: []string{strings.TrimPrefix(p.url, "http://")}})
		ctx := context.Background()
		waitFor(t, "Prometheus to scrape omen", 30*time.Second, func() bool {
			ss, err := testrig.QueryInstant(ctx, prom.URL, `omen_exhaustion_eta_seconds{quantile="0.5",target="disk"}`)
			return err == nil && len(ss) > 0
		})
		up, err := testrig.QueryInstant(ctx, prom.URL, `up{job="omen"}`)
		require.NoError(t, err)
		require.Len(t, up, 1)
		require.Equal(t, "1", up[0].Value)
		req, err := testrig.QueryInstant(ctx, prom.URL, `omen_http_requests_total{handler="/metrics",code="200"}`)
		require.NoError(t, err)
		require.NotEmpty(t, req, "requests by status")
	})

	t.Run("a real Alertmanager's notifications become the history omen quality reads", func(t *testing.T) {
		am := testrig.Alertmanager(t, testrig.AlertmanagerConfig{WebhookURL: p.url + "/api/v1/alerts"})
		starts := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
		post := func(ends time.Time) {
			body := fmt.Sprintf(`[{"labels":{"alertname":"DiskWillFill","instance":"db-1"},"startsAt":%q,"endsAt":%q}]`,
				starts.Format(time.RFC3339), ends.Format(time.RFC3339))
			resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
		}
		post(time.Now().Add(time.Hour))
		history := filepath.Join(dir, "state", "alerts.jsonl")
		waitFor(t, "the firing notification", 30*time.Second, func() bool {
			b, _ := os.ReadFile(history)
			return bytes.Contains(b, []byte(`"status":"firing"`))
		})
		resolvedAt := time.Now().UTC().Truncate(time.Second)
		post(resolvedAt)
		waitFor(t, "the resolved notification", 30*time.Second, func() bool {
			b, _ := os.ReadFile(history)
			return bytes.Contains(b, []byte(`"status":"resolved"`))
		})
		f, err := os.Open(history)
		require.NoError(t, err)
		defer f.Close()
		fs, err := pir.LoadAlertmanagerLog(f, history)
		require.NoError(t, err)
		require.Len(t, fs, 1)
		require.Equal(t, "DiskWillFill", fs[0].Alert)
		require.Equal(t, starts, fs[0].FiringAt.UTC())
		require.False(t, fs[0].ResolvedAt.IsZero(), "resolved")
		// Alertmanager delivers at least once: a notification it retries
		// (a slow answer under load) or sends again with the group's next
		// flush is stored again, and reading the history folds the copies
		// into the one firing above. What omen counts is what it stored.
		lines := bytes.Count(mustRead(t, history), []byte("\n"))
		require.GreaterOrEqual(t, lines, 2, "the firing and the resolved notification")
		_, body := get(t, p.url+"/metrics")
		require.Equal(t, strconv.Itoa(lines), metricValue(body, `omen_alert_notifications_total{result="stored"}`))
	})

	t.Run("SIGHUP reloads the config and keeps the old one when the new one is bad", func(t *testing.T) {
		good, err := os.ReadFile(filepath.Join(dir, "omen.yaml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "omen.yaml"), []byte("presets: [nope]\n"), 0o644))
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGHUP))
		waitFor(t, "the failed reload", 10*time.Second, func() bool {
			_, body := get(t, p.url+"/metrics")
			return metricValue(body, `omen_config_reloads_total{result="failure"}`) == "1"
		})
		_, body := get(t, p.url+"/metrics")
		require.Equal(t, "0", metricValue(body, "omen_config_last_reload_successful"))
		require.Contains(t, p.logText(), "config reload failed; the config in force is kept")

		require.NoError(t, os.WriteFile(filepath.Join(dir, "omen.yaml"), bytes.Replace(good, []byte(`"1h"`), []byte(`"0 */6 * * *"`), 1), 0o644))
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGHUP))
		waitFor(t, "the good reload", 10*time.Second, func() bool {
			_, body := get(t, p.url+"/metrics")
			return metricValue(body, `omen_config_reloads_total{result="success"}`) == "1"
		})
		require.Contains(t, p.logText(), `msg="config reloaded" schedule="0 */6 * * *"`)
	})

	t.Run("SIGTERM stops cleanly with exit code 0", func(t *testing.T) {
		require.Equal(t, 0, p.stop(t, syscall.SIGTERM, 15*time.Second), p.logText())
		require.Contains(t, p.logText(), "msg=stopped")
	})
}

// TestServeKeepsAlertHistoryThroughKill9 posts webhook notifications to
// omen serve from several clients, kills the process with SIGKILL in the
// middle of it, and restarts it: every notification that was answered
// 200 is in the history, a torn last line is cut off, the history reads
// as omen quality --history reads it, and new notifications append
// cleanly.
func TestServeKeepsAlertHistoryThroughKill9(t *testing.T) {
	bin := buildOmen(t)
	dir := t.TempDir()
	writeServeConfig(t, dir, "1h")
	p := startServe(t, bin, dir, "--no-initial-run")

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				// Payloads of some size, so that writes take a while.
				body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"omen","groupLabels":{},"commonLabels":{},"alerts":[{"status":"firing","labels":{"alertname":"Load","id":%q,"pad":%q},"startsAt":"2026-11-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":%q}]}`,
					id, strings.Repeat("x", 4000), id)
				resp, err := client.Post(p.url+"/api/v1/alerts", "application/json", strings.NewReader(body))
				if err != nil {
					return // killed
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, "notifications to be stored", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 50 })
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.done
	close(stop)
	wg.Wait()

	history := filepath.Join(dir, "state", "alerts.jsonl")
	// A write cut in the middle of its line, as a crash during write(2)
	// on another file system can leave it.
	f, err := os.OpenFile(history, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"version":"4","status":"firing","alerts":[{"status":"fir`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	p2 := startServe(t, bin, dir, "--no-initial-run")
	require.Contains(t, p2.logText(), "a torn last line (an interrupted write) was cut off")
	code, err := http.Post(p2.url+"/api/v1/alerts", "application/json", strings.NewReader(payloadFor("after-restart")))
	require.NoError(t, err)
	code.Body.Close()
	require.Equal(t, http.StatusOK, code.StatusCode)
	require.Equal(t, 0, p2.stop(t, syscall.SIGTERM, 15*time.Second))

	b, err := os.ReadFile(history)
	require.NoError(t, err)
	fs, err := pir.LoadAlertmanagerLog(bytes.NewReader(b), history)
	require.NoError(t, err, "the history reads as omen quality --history reads it")
	got := map[string]bool{}
	for _, f := range fs {
		got[f.Labels.Get("id")] = true
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range acked {
		require.True(t, got[id], "notification %s was answered 200 but is not in the history", id)
	}
	require.True(t, got["after-restart"])
	t.Logf("%d notifications answered 200 before SIGKILL, %d in the history after restart", len(acked), len(fs))

	p3 := startServe(t, bin, dir, "--no-initial-run")
	require.NotContains(t, p3.logText(), "torn")
	require.Equal(t, 0, p3.stop(t, syscall.SIGTERM, 15*time.Second))
}

// mustRead returns the content of the file at path.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func payloadFor(id string) string {
	return fmt.Sprintf(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Load","id":%q},"startsAt":"2026-11-01T00:00:00Z","fingerprint":%q}]}`, id, id)
}

// TestServeAbandonsAHungRunOnSIGTERM runs the job against a server that
// never answers and sends SIGTERM: after --grace the run is abandoned,
// nothing is half-written and omen exits 0.
func TestServeAbandonsAHungRunOnSIGTERM(t *testing.T) {
	bin := buildOmen(t)
	hang := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})}
	ln, err := netListen()
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { close(hang); srv.Close() })

	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	yml := fmt.Sprintf("source:\n  prometheus: http://%s\npresets: [disk]\noutputs:\n  - {format: json, path: %s}\n", ln.Addr(), report)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "omen.yaml"), []byte(yml), 0o644))
	p := startServe(t, bin, dir, "--grace", "1s")
	waitFor(t, "the run to start", 10*time.Second, func() bool { return strings.Contains(p.logText(), "run started") })
	time.Sleep(300 * time.Millisecond)
	code, _ := get(t, p.url+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code, "not ready before a run finished")
	began := time.Now()
	require.Equal(t, 0, p.stop(t, syscall.SIGTERM, 15*time.Second), p.logText())
	require.Less(t, time.Since(began), 8*time.Second)
	log := p.logText()
	require.Contains(t, log, "abandoning the run in progress")
	require.Contains(t, log, "run abandoned")
	require.Contains(t, log, "interrupted (SIGTERM)")
	_, err = os.Stat(report)
	require.True(t, os.IsNotExist(err), "no report from an abandoned run")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.Contains(e.Name(), "tmp"), "temporary file left: %s", e.Name())
	}
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
