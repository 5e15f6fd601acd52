package testrig

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/omenhq/omen/series"
)

// VictoriaMetricsReplayArgs are the VictoriaMetrics flags a vmalert replay
// needs (measured on 1.79.5): a range query of a whole replay in one
// request (-search.maxPointsPerTimeseries, default 30,000) and vmalert's
// single remote-write request at the end (-maxInsertRequestSize, default
// 32 MiB, over which VictoriaMetrics drops it while vmalert exits 0).
var VictoriaMetricsReplayArgs = []string{"-search.maxPointsPerTimeseries=10000000", "-maxInsertRequestSize=1073741824"}

// VictoriaMetricsWith starts a real VictoriaMetrics as VictoriaMetrics
// does, with the extra flags args, holding the history ss.
func VictoriaMetricsWith(t testing.TB, ss []series.Series, args ...string) *Server {
	t.Helper()
	bin := RequireBinary(t, "victoria-metrics")
	dir := t.TempDir()
	s := start(t, bin, dir, "/health", func(port int) []string {
		return append([]string{
			"-storageDataPath=" + filepath.Join(dir, "data"),
			"-retentionPeriod=100y",
			fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", port),
			"-search.disableCache",
			"-search.latencyOffset=0s",
		}, args...)
	})
	if len(ss) > 0 {
		if err := ImportVictoriaMetrics(context.Background(), s.URL, ss); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// VMAlertReplay is the outcome of a vmalert replay.
type VMAlertReplay struct {
	// Imported is the number of samples vmalert reported writing
	// ("replay finished! Imported N samples").
	Imported int
	// Log is what vmalert printed.
	Log string
}

var importedRE = regexp.MustCompile(`replay finished! Imported (\d+) samples`)

// RunVMAlertReplay runs the real vmalert (Debian's victoria-metrics
// package) in replay mode over [from, to] with the rule files, reading
// from and writing ALERTS back to the VictoriaMetrics at vmURL, and waits
// for it to finish. It works around the facts of vmalert 1.79.5: the
// query step is the group's interval only with -datasource.queryStep=0s
// (else 5m, and no `for` rule fires at a 1m interval); the range goes in
// one request (-replay.maxDatapointsPerQuery), since vmalert restarts
// `for` at each request; rules are not delayed (-replay.rulesDelay=0s
// unless rulesDelay is given); the alertgroup label is left out.
// It flushes VictoriaMetrics and waits until it counts, over [from, to],
// the samples vmalert says it wrote on top of those it counted before, so
// that the ALERTS series can be read at once.
func RunVMAlertReplay(t testing.TB, vmURL string, ruleFiles []string, from, to time.Time, rulesDelay time.Duration) VMAlertReplay {
	t.Helper()
	bin := RequireBinary(t, "vmalert")
	port, err := freePort()
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	args := []string{
		"-datasource.url=" + vmURL,
		"-remoteWrite.url=" + vmURL,
		"-replay.timeFrom=" + from.UTC().Format(time.RFC3339),
		"-replay.timeTo=" + to.UTC().Format(time.RFC3339),
		"-replay.maxDatapointsPerQuery=10000000",
		"-replay.rulesDelay=" + rulesDelay.String(),
		"-replay.disableProgressBar",
		"-datasource.queryStep=0s",
		"-disableAlertgroupLabel",
		fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", port),
	}
	for _, f := range ruleFiles {
		args = append(args, "-rule="+f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	counted := samplesURL(vmURL, from.UnixMilli(), to.UnixMilli())
	before, _, err := getCount(ctx, counted, countSamples)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vmalert replay failed: %v\n%s", err, tail(string(out), 4000))
	}
	m := importedRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("vmalert replay did not report the samples it imported:\n%s", tail(string(out), 4000))
	}
	n, _ := strconv.Atoi(string(m[1]))
	if err := FlushVictoriaMetrics(ctx, vmURL); err != nil {
		t.Fatal(err)
	}
	if err := waitCount(ctx, counted, before+n, "samples (with those vmalert wrote)", time.Now().Add(time.Minute), countSamples); err != nil {
		t.Fatal(err)
	}
	t.Logf("vmalert (real) replayed %s – %s: imported %d samples", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), n)
	return VMAlertReplay{Imported: n, Log: string(out)}
}

// ExportVictoriaMetrics reads the raw samples of the series matching
// match from the VictoriaMetrics at vmURL through /api/v1/export.
func ExportVictoriaMetrics(ctx context.Context, vmURL, match string) ([]series.Series, error) {
	form := url.Values{"match[]": {match}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, vmURL+"/api/v1/export", bytes.NewBufferString(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot export from %s: %w", vmURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("export from %s answered %s", vmURL, resp.Status)
	}
	var out []series.Series
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var line struct {
			Metric     map[string]string `json:"metric"`
			Values     []float64         `json:"values"`
			Timestamps []int64           `json:"timestamps"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("export from %s: %w", vmURL, err)
		}
		out = append(out, series.Series{Labels: series.FromMap(line.Metric), Timestamps: line.Timestamps, Values: line.Values})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("export from %s: %w", vmURL, err)
	}
	series.Sort(out)
	return out, nil
}
