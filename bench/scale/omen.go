package scale

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// OmenPackage is the import path of the omen command.
const OmenPackage = "github.com/omenhq/omen/cmd/omen"

// BuildOmen compiles the omen command of this module into dir with the go
// command on PATH and returns the binary's path.
func BuildOmen(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "omen")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, OmenPackage)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build %s: %w\n%s", OmenPackage, err, bytes.TrimSpace(out))
	}
	return bin, nil
}

// Run is one measured omen process.
type Run struct {
	// Args are the command-line arguments after the binary.
	Args []string
	// Wall is the time from start to exit.
	Wall time.Duration
	// User and System are the CPU times the process used.
	User, System time.Duration
	// MaxRSS is the process's peak resident set size in bytes, from the
	// kernel's rusage (ru_maxrss, in KiB on Linux).
	MaxRSS int64
	// LoadBefore and LoadAfter are the 1-, 5- and 15-minute load averages
	// of the machine at start and exit (zero where /proc/loadavg is
	// missing).
	LoadBefore, LoadAfter [3]float64
	// Log is the file holding what the process wrote on stderr.
	Log string
}

// CPU returns the process's user plus system time.
func (r Run) CPU() time.Duration { return r.User + r.System }

// PredictArgs returns the arguments of the fleet's prediction: the disk and
// memory presets over the Window at Step ending at At, read from url, as
// JSON to out, followed by extra.
func PredictArgs(url, out string, extra ...string) []string {
	args := []string{"predict", "--prometheus", url, "--preset", "disk,memory",
		"--at", At().Format(time.RFC3339), "--window", "14d", "--step", "5m",
		"--format", "json", "--output", out}
	return append(args, extra...)
}

// RunOmen runs bin with args, its stderr written to log, and measures it.
// A non-zero exit is an error that quotes the end of the log.
func RunOmen(ctx context.Context, bin, log string, args ...string) (Run, error) {
	r := Run{Args: args, Log: log}
	f, err := os.Create(log)
	if err != nil {
		return r, fmt.Errorf("cannot create the log of omen: %w", err)
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = f
	r.LoadBefore, _ = LoadAverage()
	began := time.Now()
	err = cmd.Run()
	r.Wall = time.Since(began)
	r.LoadAfter, _ = LoadAverage()
	if ps := cmd.ProcessState; ps != nil {
		r.User, r.System = ps.UserTime(), ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSS = maxRSSBytes(ru.Maxrss)
		}
	}
	if err != nil {
		b, _ := os.ReadFile(log)
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		return r, fmt.Errorf("omen %s: %w\n%s", strings.Join(args, " "), err, bytes.TrimSpace(b))
	}
	return r, nil
}

// maxRSSBytes converts ru_maxrss to bytes: kilobytes on Linux and the
// BSDs, bytes on macOS.
func maxRSSBytes(v int64) int64 {
	if runtime.GOOS == "darwin" {
		return v
	}
	return v * 1024
}

// LoadAverage returns the machine's 1-, 5- and 15-minute load averages
// from /proc/loadavg.
func LoadAverage() ([3]float64, error) {
	var la [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return la, fmt.Errorf("cannot read the load average: %w", err)
	}
	fs := strings.Fields(string(b))
	if len(fs) < 3 {
		return la, fmt.Errorf("cannot read the load average: /proc/loadavg holds %q, want three numbers first", b)
	}
	for i := range la {
		if la[i], err = strconv.ParseFloat(fs[i], 64); err != nil {
			return la, fmt.Errorf("cannot read the load average: field %d of /proc/loadavg: %w", i+1, err)
		}
	}
	return la, nil
}

// ServerRequests returns the number of query requests (/api/v1/query and
// /api/v1/query_range) a VictoriaMetrics at url has served so far, from
// its vm_http_requests_total.
func ServerRequests(ctx context.Context, url string) (int, error) {
	n := 0
	err := scanMetrics(ctx, url, func(line string) {
		for _, p := range []string{`vm_http_requests_total{path="/api/v1/query"} `, `vm_http_requests_total{path="/api/v1/query_range"} `} {
			if v, ok := strings.CutPrefix(line, p); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				n += int(f)
			}
		}
	})
	return n, err
}

// scanMetrics calls fn with every line of url's /metrics.
func scanMetrics(ctx context.Context, url string, fn func(string)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return fmt.Errorf("cannot read the metrics of %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot read the metrics of %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cannot read the metrics of %s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("cannot read the metrics of %s: %w", url, err)
	}
	return nil
}

// ServerCPU returns the CPU time a VictoriaMetrics or Prometheus at url
// has used so far: process_cpu_seconds_total from its /metrics.
func ServerCPU(ctx context.Context, url string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return 0, fmt.Errorf("cannot read the metrics of %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot read the metrics of %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("cannot read the metrics of %s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("%s/metrics: process_cpu_seconds_total %q: %w", url, v, err)
			}
			return time.Duration(f * float64(time.Second)), nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("cannot read the metrics of %s: %w", url, err)
	}
	return 0, fmt.Errorf("%s/metrics has no process_cpu_seconds_total", url)
}

// Report is the part of omen predict's JSON output the benchmark checks.
type Report struct {
	AsOf    string    `json:"as_of"`
	Window  string    `json:"window"`
	Results []Result  `json:"results"`
	Skipped []Skipped `json:"skipped"`
}

// Result is one prediction in a Report.
type Result struct {
	Labels     map[string]string `json:"labels"`
	Target     string            `json:"target"`
	Pattern    string            `json:"pattern"`
	Model      string            `json:"model"`
	Risk       string            `json:"risk"`
	ETASeconds *struct {
		P10 *float64 `json:"p10"`
		P50 *float64 `json:"p50"`
		P90 *float64 `json:"p90"`
	} `json:"eta_seconds"`
}

// Skipped is a usage series omen left out, with the reason.
type Skipped struct {
	Labels map[string]string `json:"labels"`
	Target string            `json:"target"`
	Reason string            `json:"reason"`
}

// ErrReport is returned for an omen output that is not a report.
var ErrReport = errors.New("scale: not an omen predict JSON report")

// ReadReport reads omen predict's JSON output from path.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read omen's report: %w", err)
	}
	rep, err := ParseReport(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// ParseReport parses omen predict's JSON output. Unknown fields are
// ignored; a missing as_of or results is ErrReport.
func ParseReport(b []byte) (*Report, error) {
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReport, err)
	}
	if rep.AsOf == "" || rep.Results == nil {
		return nil, fmt.Errorf("%w: want an object with as_of and results", ErrReport)
	}
	return &rep, nil
}

// Tally counts the results by the value key returns, e.g. the risk.
func (r *Report) Tally(key func(Result) string) map[string]int {
	m := map[string]int{}
	for _, x := range r.Results {
		m[key(x)]++
	}
	return m
}
