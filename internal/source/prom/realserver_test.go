package prom

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
)

// These tests check this package's grid and error handling against the real
// servers when their binaries are installed. The shared contract suite
// (loaded data, both servers, every source) lives with the test rig.

const (
	prometheusBin = "/usr/bin/prometheus"
	vmBin         = "/usr/bin/victoria-metrics"
)

// startServer runs a server binary on a free loopback port until the test
// ends and returns its base URL once ready answers 200.
func startServer(t *testing.T, bin, ready string, args func(addr, dir string) []string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("real server tests are skipped with -short")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s is not installed", bin)
	}
	addr := closedPort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, args(addr, dir)...)
	cmd.Dir = dir
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	url := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Fatalf("%s not ready at %s: %v\n%s", bin, url, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startPrometheus(t *testing.T) string {
	return startServer(t, prometheusBin, "/-/ready", func(addr, dir string) []string {
		cfg := filepath.Join(dir, "prometheus.yml")
		require.NoError(t, os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o600))
		return []string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr, "--storage.tsdb.retention.time=10y"}
	})
}

func startVictoriaMetrics(t *testing.T) string {
	return startServer(t, vmBin, "/health", func(addr, dir string) []string {
		return []string{"-storageDataPath=" + filepath.Join(dir, "data"), "-httpListenAddr=" + addr,
			"-retentionPeriod=100y", "-loggerLevel=ERROR"}
	})
}

// TestRealServersReturnEveryGridPointOnce queries time() — whose value at
// each point is its own timestamp — over 30 days at 1m, which needs four
// windows, from an aligned and an unaligned start. VictoriaMetrics rounds an
// unaligned start down to a multiple of the step when a window has 50 points
// or more (unless nocache=1): without QueryRange's own alignment, 30 days
// from 00:00:10 came back from VictoriaMetrics 1.79.5 as 43,196 points with
// three 2-minute holes at window borders.
func TestRealServersReturnEveryGridPointOnce(t *testing.T) {
	servers := map[string]func(*testing.T) string{"Prometheus": startPrometheus, "VictoriaMetrics": startVictoriaMetrics}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			url := start(t)
			tests := []struct {
				name      string
				start     time.Time
				maxPoints int
				noCache   bool
				first     time.Time
				points    int
			}{
				{"thirty days from an aligned start", t0, 0, false, t0, 43201},
				{"thirty days from an unaligned start", t0.Add(10 * time.Second), 0, false, t0.Add(time.Minute), 43200},
				{"an unaligned start with a last window under 50 points", t0.Add(10 * time.Second), 10795, false, t0.Add(time.Minute), 43200},
				{"an unaligned start with nocache", t0.Add(10 * time.Second), 0, true, t0.Add(time.Minute), 43200},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c := newClient(t, Config{URL: url, MaxPointsPerQuery: tt.maxPoints, NoCache: tt.noCache})
					res, err := c.QueryRange(context.Background(), source.Query{Expr: "time()", Start: tt.start, End: t0.Add(30 * day), Step: time.Minute})
					require.NoError(t, err)
					require.Len(t, res.Series, 1)
					s := res.Series[0]
					require.Equal(t, tt.points, s.Len())
					for i, ts := range s.Timestamps {
						require.Equal(t, tt.first.UnixMilli()+int64(i)*60_000, ts, "timestamp %d", i)
						require.Equal(t, float64(ts/1000), s.Values[i], "value %d", i)
					}
				})
			}
		})
	}
}

// TestRealServersRejectBadQueries checks that each server's own message
// reaches the error, and Prometheus's 11,000-point limit.
func TestRealServersRejectBadQueries(t *testing.T) {
	t.Run("Prometheus", func(t *testing.T) {
		url := startPrometheus(t)
		c := newClient(t, Config{URL: url})
		_, err := c.QueryRange(context.Background(), source.Query{Expr: "rate(m[5m]", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
		require.ErrorIs(t, err, ErrBadQuery)
		require.Contains(t, err.Error(), "400 Bad Request: 1:11: parse error: unclosed left parenthesis")

		for _, maxPoints := range []int{11001, 11002} {
			c := newClient(t, Config{URL: url, MaxPointsPerQuery: maxPoints})
			_, err := c.QueryRange(context.Background(), source.Query{Expr: "time()", Start: t0, End: t0.Add(30 * day), Step: time.Minute})
			if maxPoints == 11001 {
				require.NoError(t, err, "Prometheus accepts 11,001 points")
			} else {
				require.ErrorIs(t, err, ErrBadQuery)
				require.Contains(t, err.Error(), "exceeded maximum resolution of 11,000 points per timeseries")
			}
		}
	})
	t.Run("VictoriaMetrics", func(t *testing.T) {
		url := startVictoriaMetrics(t)
		c := newClient(t, Config{URL: url})
		_, err := c.QueryRange(context.Background(), source.Query{Expr: "rate(m[5m]", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
		require.ErrorIs(t, err, ErrBadQuery)
		require.Contains(t, err.Error(), "422 Unprocessable Entity: error when executing query=\"rate(m[5m]\"")
	})
}

// TestVictoriaMetricsReturnsLoadedSamplesExactly imports one-minute samples
// and reads them back at step 1m, the plain-selector case omen relies on.
func TestVictoriaMetricsReturnsLoadedSamplesExactly(t *testing.T) {
	url := startVictoriaMetrics(t)
	var b strings.Builder
	const n = 2 * 1440
	want := make([]float64, n)
	for i := range n {
		want[i] = float64(i%97) * 1.25
		fmt.Fprintf(&b, "disk_used{mount=\"/\"} %g %d\n", want[i], t0.UnixMilli()+int64(i)*60_000)
	}
	resp, err := http.Post(url+"/api/v1/import/prometheus", "text/plain", strings.NewReader(b.String()))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, err = http.Get(url + "/internal/force_flush")
	require.NoError(t, err)
	resp.Body.Close()

	c := newClient(t, Config{URL: url, MaxPointsPerQuery: 1000})
	res, err := c.QueryRange(context.Background(), source.Query{Expr: "disk_used", Start: t0, End: t0.Add((n - 1) * time.Minute), Step: time.Minute})
	require.NoError(t, err)
	require.Len(t, res.Series, 1)
	require.Equal(t, "disk_used", res.Series[0].Labels.Name())
	require.Equal(t, want, res.Series[0].Values)
	require.Equal(t, t0.UnixMilli(), res.Series[0].First())
}
