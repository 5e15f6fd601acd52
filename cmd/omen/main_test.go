package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSignalsStopARunCleanly builds omen, runs predict against a server
// that never answers, and sends the process SIGTERM or SIGINT: it must stop
// within a second or two, exit 143 or 130, say it was interrupted and leave
// no output or temporary file behind.
func TestSignalsStopARunCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "omen")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	// A server that accepts and never answers: the run hangs in a request.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hang := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { close(hang); srv.Close() })

	for _, tt := range []struct {
		name string
		sig  syscall.Signal
		code int
		says string
	}{
		{"SIGTERM exits 143", syscall.SIGTERM, 143, "interrupted (SIGTERM)"},
		{"SIGINT exits 130", syscall.SIGINT, 130, "interrupted (SIGINT)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			output := filepath.Join(dir, "report.json")
			cmd := exec.Command(bin, "predict", "--prometheus", "http://"+ln.Addr().String(), "--preset", "disk",
				"--format", "json", "--output", output)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			time.Sleep(700 * time.Millisecond)
			require.NoError(t, cmd.Process.Signal(tt.sig))
			sent := time.Now()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 10 s after %s: %s", tt.sig, stderr.String())
			}
			require.Less(t, time.Since(sent), 5*time.Second, "stops promptly")
			require.Equal(t, tt.code, cmd.ProcessState.ExitCode(), stderr.String())
			require.Contains(t, stderr.String(), tt.says)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "no output and no temporary file is left")
		})
	}
}

// TestSIGTERMStopsAForecastHalfWay sends SIGTERM while omen forecasts many
// series: it must stop before the last series, say how far it got, exit 143
// and write nothing.
func TestSIGTERMStopsAForecastHalfWay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "omen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))

	// 600 metrics, 14 days at 5 minutes, one column each: a few seconds of
	// fitting for a file of a few megabytes.
	const metrics, rows = 600, 14 * 288
	in := filepath.Join(dir, "wide.csv")
	f, err := os.Create(in)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	w.WriteString("timestamp")
	for m := range metrics {
		fmt.Fprintf(w, ",m%d", m)
	}
	w.WriteString("\n")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range rows {
		fmt.Fprintf(w, "%d", start+int64(i)*300)
		for m := range metrics {
			fmt.Fprintf(w, ",%.1f", 100+float64(m)+10*math.Sin(float64(i+m)/45.8))
		}
		w.WriteString("\n")
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())

	outDir := t.TempDir()
	cmd := exec.Command(bin, "forecast", "--input", in, "--horizon", "1d", "--log-level", "debug",
		"--format", "csv", "--output", filepath.Join(outDir, "forecast.csv"))
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "msg=fetched") {
			break // the file is read: the forecasts are being fitted
		}
	}
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	rest, _ := io.ReadAll(stderr)
	log.Write(rest)
	cmd.Wait()
	require.Equal(t, 143, cmd.ProcessState.ExitCode(), log.String())
	require.Regexp(t, `forecast stopped after [0-9]+ of 600 series`, log.String())
	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	require.Empty(t, entries, "no output and no temporary file is left")
}
