//go:build unix

package prom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// envFetchBench must be 1 for BenchmarkFetchManySeries to run, as for the
// fleet benchmarks of bench/scale; envFetchSeries overrides the number of
// series (default 50,000), envFetchServers the servers
// ("victoriametrics,prometheus"); envFetchProfile names a file prefix for
// CPU profiles of the QueryRange calls only (PREFIX-server-series=N.pprof).
const (
	envFetchBench   = "OMEN_BENCH_SCALE"
	envFetchSeries  = "OMEN_BENCH_FETCH_SERIES"
	envFetchServers = "OMEN_BENCH_FETCH_SERVERS"
	envFetchProfile = "OMEN_BENCH_FETCH_CPUPROFILE"
)

// fetchGroups is the number of values of the group label: a query of one
// group asks for a fifth of the series.
const fetchGroups = 5

// manyFilesystems returns n filesystem series of one hour at 15 s from t0
// (241 samples each), in fetchGroups groups.
func manyFilesystems(n int) []series.Series {
	ss := make([]series.Series, n)
	for i := range ss {
		ts := make([]int64, 241)
		vs := make([]float64, 241)
		for k := range ts {
			ts[k] = t0.UnixMilli() + int64(k)*15_000
			vs[k] = 1e11 - float64(i%1000)*1e7 - float64(k)*4096.5
		}
		ss[i] = series.Series{
			Labels: series.New("__name__", "node_filesystem_avail_bytes", "job", "node",
				"instance", fmt.Sprintf("node-%05d:9100", i/5), "mountpoint", fmt.Sprintf("/data%d", i%5),
				"device", fmt.Sprintf("/dev/sd%c", 'a'+i%5), "fstype", "ext4", "group", strconv.Itoa(i/(n/fetchGroups))),
			Timestamps: ts,
			Values:     vs,
		}
	}
	return ss
}

// cpuTime returns the CPU time (user and system) of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU returns the process_cpu_seconds_total a server reports.
func serverCPU(b *testing.B, base string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "process_cpu_seconds_total "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	b.Fatalf("%s/metrics has no process_cpu_seconds_total", base)
	return 0
}

// plainQueryRange is the server's own time: the request the Client sends
// (the same form, POST, gzip accepted), the body read to its end and not
// decoded. It returns the body's size on the wire.
func plainQueryRange(b *testing.B, base, expr string, start, end time.Time, step time.Duration) int64 {
	form := url.Values{}
	form.Set("query", expr)
	form.Set("start", strconv.FormatInt(start.Unix(), 10))
	form.Set("end", strconv.FormatInt(end.Unix(), 10))
	form.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	form.Set("timeout", "10m0s") // as the Client below sends it
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/query_range", strings.NewReader(form.Encode()))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Encoding", "gzip") // set by hand, so not inflated
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %v", resp.Status, err)
	}
	return n
}

// BenchmarkFetchManySeries measures issue 8's case: 50,000 filesystem
// series in one 1 h query at 15 s (one request of 241 points per series),
// from a real VictoriaMetrics and a real Prometheus on loopback, and a
// fifth of them (10,000). For each it reports the server's own time (a
// plain HTTP client reading the body to the end, no decoding: server-s),
// the whole QueryRange (client-s: request, decoding, merging), the
// client's CPU time during QueryRange (client-cpu-s), the server's CPU
// (server-cpu-s, from its process_cpu_seconds_total, both requests), the
// ratio client-s / server-s, and the compressed body size (wire-MB).
//
// It runs only with OMEN_BENCH_SCALE=1 (loading 12 M samples takes a
// minute or two):
//
//	OMEN_BENCH_SCALE=1 go test ./internal/source/prom -run '^$' -bench FetchManySeries -benchtime 3x -timeout 60m
func BenchmarkFetchManySeries(b *testing.B) {
	if os.Getenv(envFetchBench) != "1" {
		b.Skipf("set %s=1 to load 50,000 series into real servers and fetch them", envFetchBench)
	}
	n := 50_000
	if v := os.Getenv(envFetchSeries); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < fetchGroups {
			b.Fatalf("%s=%q: expected a number of series of at least %d", envFetchSeries, v, fetchGroups)
		}
	}
	servers := "victoriametrics,prometheus"
	if v := os.Getenv(envFetchServers); v != "" {
		servers = v
	}
	hist := manyFilesystems(n)
	start, end, step := t0, t0.Add(time.Hour), 15*time.Second
	for _, name := range strings.Split(servers, ",") {
		var srv *testrig.Server
		began := time.Now()
		switch name {
		case "victoriametrics":
			srv = testrig.VictoriaMetrics(b, nil)
			for i := 0; i < len(hist); i += 2000 {
				if err := testrig.ImportVictoriaMetrics(context.Background(), srv.URL, hist[i:min(i+2000, len(hist))]); err != nil {
					b.Fatal(err)
				}
			}
		case "prometheus":
			srv = testrig.Prometheus(b, hist)
		default:
			b.Fatalf("%s=%q: unknown server %q", envFetchServers, servers, name)
		}
		b.Logf("%s holds %d series × 241 samples, loaded in %s", name, n, time.Since(began).Round(time.Second))
		queries := []struct {
			name, expr string
			n          int
		}{
			{fmt.Sprintf("series=%d", n/fetchGroups), `node_filesystem_avail_bytes{group="0"}`, n / fetchGroups},
			{fmt.Sprintf("series=%d", n), `node_filesystem_avail_bytes`, n},
		}
		for _, q := range queries {
			b.Run(name+"/"+q.name, func(b *testing.B) {
				c, err := New(Config{URL: srv.URL, Timeout: 10 * time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				var prof *os.File
				if p := os.Getenv(envFetchProfile); p != "" {
					if prof, err = os.Create(fmt.Sprintf("%s-%s-%s.pprof", p, name, q.name)); err != nil {
						b.Fatal(err)
					}
					defer prof.Close()
				}
				var serverWall, clientWall, clientCPU time.Duration
				var wire int64
				cpu0 := serverCPU(b, srv.URL)
				plain := func() {
					t := time.Now()
					wire = plainQueryRange(b, srv.URL, q.expr, start, end, step)
					serverWall += time.Since(t)
				}
				client := func() {
					if prof != nil { // the first call only
						if err := pprof.StartCPUProfile(prof); err != nil {
							b.Fatal(err)
						}
						defer pprof.StopCPUProfile()
						prof = nil
					}
					t, c0 := time.Now(), cpuTime()
					res, err := c.QueryRange(context.Background(), source.Query{Expr: q.expr, Start: start, End: end, Step: step})
					clientWall += time.Since(t)
					clientCPU += cpuTime() - c0
					if err != nil {
						b.Fatal(err)
					}
					if len(res.Series) != q.n || res.Series[0].Len() != 241 {
						b.Fatalf("got %d series of %d samples, want %d of 241", len(res.Series), res.Series[0].Len(), q.n)
					}
				}
				// The plain request and the Client's take turns going first.
				for i := 0; b.Loop(); i++ {
					if i%2 == 0 {
						plain()
						client()
					} else {
						client()
						plain()
					}
					runtime.GC() // not to bill one call for the other's garbage
				}
				runs := float64(b.N)
				b.ReportMetric(serverWall.Seconds()/runs, "server-s/op")
				b.ReportMetric(clientWall.Seconds()/runs, "client-s/op")
				b.ReportMetric(clientCPU.Seconds()/runs, "client-cpu-s/op")
				b.ReportMetric((serverCPU(b, srv.URL)-cpu0)/runs, "server-cpu-s/op")
				b.ReportMetric(clientWall.Seconds()/serverWall.Seconds(), "client/server")
				b.ReportMetric(float64(wire)/1e6, "wire-MB")
			})
		}
	}
}
