package testrig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/series"
)

// debianPackages names the package that provides each binary.
var debianPackages = map[string]string{
	"prometheus":              "prometheus",
	"promtool":                "prometheus",
	"victoria-metrics":        "victoria-metrics",
	"vmalert":                 "victoria-metrics",
	"prometheus-alertmanager": "prometheus-alertmanager",
	"chromium":                "chromium",
}

// RequireBinary returns the path of the named server binary. When it is
// missing the test is skipped with the install command, or fails when the
// environment variable CI is "true".
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	pkg := debianPackages[name]
	if pkg == "" {
		pkg = name
	}
	msg := fmt.Sprintf("%s not found; install it with: apt-get install -y --no-install-recommends %s (or run make test, which does)", name, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the real-server tests: %s", msg)
	}
	t.Skip(msg)
	return ""
}

// Server is a running real server.
type Server struct {
	// Name is the binary's name, e.g. "prometheus".
	Name string
	// URL is the base URL, e.g. http://127.0.0.1:40123.
	URL string
	// Dir is the server's data directory.
	Dir string

	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// Log returns what the server printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// stop terminates the server by its process: SIGTERM, then SIGKILL after
// ten seconds.
func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs bin with the arguments args(port) in dir, waits for readyPath
// to answer 200 and registers the stop with t.Cleanup. A port taken between
// choosing and binding is retried with another port.
func start(t testing.TB, bin, dir, readyPath string, args func(port int) []string) *Server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("cannot find a free port: %v", err)
		}
		s := &Server{
			Name:    filepath.Base(bin),
			URL:     fmt.Sprintf("http://127.0.0.1:%d", port),
			Dir:     dir,
			logPath: filepath.Join(t.TempDir(), filepath.Base(bin)+".log"),
			done:    make(chan struct{}),
		}
		logFile, err := os.Create(s.logPath)
		if err != nil {
			t.Fatal(err)
		}
		s.cmd = exec.Command(bin, args(port)...)
		s.cmd.Dir = dir
		s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
		if err := s.cmd.Start(); err != nil {
			logFile.Close()
			t.Fatalf("cannot start %s: %v", bin, err)
		}
		go func() {
			s.waitErr = s.cmd.Wait()
			logFile.Close()
			close(s.done)
		}()
		began := time.Now()
		if err := waitReady(s, readyPath, 60*time.Second); err != nil {
			s.stop()
			lastErr = fmt.Errorf("%s did not become ready: %w\n%s", s.Name, err, tail(s.Log(), 2000))
			if strings.Contains(s.Log(), "address already in use") {
				continue
			}
			break
		}
		t.Cleanup(s.stop)
		t.Logf("started %s (real server) at %s in %s, data in %s", s.Name, s.URL, time.Since(began).Round(time.Millisecond), dir)
		return s
	}
	t.Fatal(lastErr)
	return nil
}

func waitReady(s *Server, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited: %v", s.waitErr)
		default:
		}
		resp, err := client.Get(s.URL + path)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from %s%s within %s", s.URL, path, timeout)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Prometheus starts a real Prometheus holding the history ss, backfilled
// with promtool. The receiver for remote write is enabled, so write-back can
// be tested against it.
func Prometheus(t testing.TB, ss []series.Series) *Server {
	t.Helper()
	bin := RequireBinary(t, "prometheus")
	dir := t.TempDir()
	data := prometheusData(t, dir, ss)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return start(t, bin, dir, "/-/ready", func(port int) []string {
		return []string{
			"--config.file=" + cfg,
			"--storage.tsdb.path=" + data,
			"--storage.tsdb.retention.time=10y",
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--web.enable-remote-write-receiver",
			"--web.enable-lifecycle",
		}
	})
}

// prometheusData makes dir/data, a Prometheus data directory holding the
// history ss (a copy of the blocks promtool backfilled), and returns it.
func prometheusData(t testing.TB, dir string, ss []series.Series) string {
	t.Helper()
	data := filepath.Join(dir, "data")
	if len(ss) == 0 {
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		return data
	}
	blocks, err := backfill(RequireBinary(t, "promtool"), ss)
	if err != nil {
		t.Fatal(err)
	}
	if err := copyDir(blocks, data); err != nil {
		t.Fatalf("cannot copy backfilled blocks: %v", err)
	}
	return data
}

// VictoriaMetrics starts a real single-node VictoriaMetrics holding the
// history ss, imported in OpenMetrics text.
func VictoriaMetrics(t testing.TB, ss []series.Series) *Server {
	t.Helper()
	return VictoriaMetricsWith(t, ss)
}

// ImportVictoriaMetrics sends ss to a VictoriaMetrics at url through
// /api/v1/import/prometheus and flushes it so queries see it at once.
func ImportVictoriaMetrics(ctx context.Context, url string, ss []series.Series) error {
	var buf bytes.Buffer
	if err := seriesio.WriteOpenMetrics(&buf, ss); err != nil {
		return fmt.Errorf("cannot encode history for VictoriaMetrics: %w", err)
	}
	if err := post(ctx, url+"/api/v1/import/prometheus", &buf); err != nil {
		return err
	}
	if err := FlushVictoriaMetrics(ctx, url); err != nil {
		return err
	}
	return waitVictoriaMetricsSeries(ctx, url, ss)
}

// waitVictoriaMetricsSeries waits (at most a minute) until a
// VictoriaMetrics at url lists at least as many series over the time range
// of ss as ss holds, and then counts at least as many samples there as the
// distinct series of ss hold (NaN left out, as WriteOpenMetrics leaves it
// out): on a loaded machine an import can still be registering new series
// when the flush returns, or adding the rest of a listed series' samples,
// and a query at once then sees none, or hours missing.
func waitVictoriaMetricsSeries(ctx context.Context, url string, ss []series.Series) error {
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range ss {
		if n := len(s.Timestamps); n > 0 {
			first, last = min(first, s.Timestamps[0]), max(last, s.Timestamps[n-1])
		}
	}
	if first > last {
		return nil
	}
	distinct := make(map[string]bool, len(ss))
	samples := 0
	for _, s := range ss {
		k := s.Labels.String()
		if distinct[k] {
			continue
		}
		distinct[k] = true
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				samples++
			}
		}
	}
	deadline := time.Now().Add(time.Minute)
	listed := neturl.Values{"match[]": {`{__name__=~".+"}`}, "start": {strconv.FormatInt(first/1000, 10)}, "end": {strconv.FormatInt(last/1000+1, 10)}}
	err := waitCount(ctx, url+"/api/v1/series?"+listed.Encode(), len(distinct), "series", deadline, func(r io.Reader) (int, error) {
		var body struct {
			Data []json.RawMessage `json:"data"`
		}
		err := json.NewDecoder(r).Decode(&body)
		return len(body.Data), err
	})
	if err != nil {
		return err
	}
	return waitCount(ctx, samplesURL(url, first, last), samples, "samples", deadline, countSamples)
}

// samplesURL is the query of a VictoriaMetrics at url that counts the
// samples of every series between first and last (Unix milliseconds), with
// nocache=1 so that no partial answer is kept in its rollup cache.
func samplesURL(url string, first, last int64) string {
	q := neturl.Values{
		"query":   {fmt.Sprintf(`sum(count_over_time({__name__=~".+"}[%ds]))`, (last-first)/1000+2)},
		"time":    {strconv.FormatFloat(float64(last)/1000, 'f', 3, 64)},
		"nocache": {"1"},
	}
	return url + "/api/v1/query?" + q.Encode()
}

// countSamples reads the answer of a samplesURL query: 0 when there is no
// sample.
func countSamples(r io.Reader) (int, error) {
	v, err := decodeVector(r)
	if err != nil || len(v) != 1 {
		return 0, err
	}
	f, err := strconv.ParseFloat(v[0].Value, 64)
	return int(f), err
}

// waitCount asks u every 100 ms until count, reading its answer, says at
// least want (of what, for the error), or deadline passes. A server that
// answers with another status than 200 (one that will not list or count so
// much) has nothing to wait for that it can tell: nil.
func waitCount(ctx context.Context, u string, want int, what string, deadline time.Time, count func(io.Reader) (int, error)) error {
	for {
		seen, ok, err := getCount(ctx, u, count)
		if err != nil {
			return err
		}
		if !ok || seen >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("VictoriaMetrics at %s shows %d of the %d %s imported after a minute", u, seen, want, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// getCount asks u once and reads its answer with count: ok is false when
// the server answered with another status than 200; a request that fails
// or an answer count cannot read is a count of 0.
func getCount(ctx context.Context, u string, count func(io.Reader) (int, error)) (n int, ok bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, true, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, nil
	}
	if n, err := count(resp.Body); err == nil {
		return n, true, nil
	}
	return 0, true, nil
}

// FlushVictoriaMetrics makes what a VictoriaMetrics at url received
// visible to queries at once.
func FlushVictoriaMetrics(ctx context.Context, url string) error {
	return post(ctx, url+"/internal/force_flush", nil)
}

func post(ctx context.Context, url string, body io.Reader) error {
	method := http.MethodPost
	if body == nil {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot call %s: %w", url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

var backfillMu sync.Mutex

// backfill turns ss into TSDB blocks with promtool, one OpenMetrics file per
// UTC day, and returns the directory holding the blocks. Blocks are cached
// by the content and the promtool binary, so a data set is converted once.
func backfill(promtool string, ss []series.Series) (string, error) {
	days := splitByDay(ss)
	h := sha256.New()
	fmt.Fprintln(h, "v1", promtool)
	if fi, err := os.Stat(promtool); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	files := make([][]byte, len(days))
	for i, d := range days {
		var buf bytes.Buffer
		if err := seriesio.WriteOpenMetrics(&buf, d); err != nil {
			return "", fmt.Errorf("cannot encode history for promtool: %w", err)
		}
		files[i] = buf.Bytes()
		h.Write(files[i])
	}
	key := hex.EncodeToString(h.Sum(nil))[:24]
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		cacheRoot = os.TempDir()
	}
	final := filepath.Join(cacheRoot, "omen-testrig", "blocks-"+key)

	backfillMu.Lock()
	defer backfillMu.Unlock()
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(filepath.Dir(final), ".building-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	blocks := filepath.Join(work, "blocks")
	if err := os.Mkdir(blocks, 0o755); err != nil {
		return "", err
	}
	// Two promtool processes at a time: one per core.
	sem := make(chan struct{}, 2)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, data := range files {
		path := filepath.Join(work, fmt.Sprintf("day-%03d.om", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return "", err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", path, blocks).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("promtool tsdb create-blocks-from openmetrics %s: %w\n%s", filepath.Base(path), err, tail(string(out), 2000))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if err := os.Rename(blocks, final); err != nil && !os.IsExist(err) {
		return "", err
	}
	return final, nil
}

// splitByDay cuts every series at UTC midnights; the result holds one
// slice of series per day that has samples, in time order.
func splitByDay(ss []series.Series) [][]series.Series {
	const day = int64(24 * time.Hour / time.Millisecond)
	byDay := map[int64][]series.Series{}
	var keys []int64
	for _, s := range ss {
		for i := 0; i < s.Len(); {
			d := floorDiv(s.Timestamps[i], day)
			j := i
			for j < s.Len() && floorDiv(s.Timestamps[j], day) == d {
				j++
			}
			if _, ok := byDay[d]; !ok {
				keys = append(keys, d)
			}
			byDay[d] = append(byDay[d], series.Series{Labels: s.Labels, Timestamps: s.Timestamps[i:j], Values: s.Values[i:j]})
			i = j
		}
	}
	slices.Sort(keys)
	out := make([][]series.Series, len(keys))
	for i, k := range keys {
		out[i] = byDay[k]
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// copyDir copies the regular files of src into dst recursively.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
