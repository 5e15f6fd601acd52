package scale

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// Environment variables of the fleet benchmarks.
const (
	// envRun must be 1 for the heavy benchmarks to run.
	envRun = "OMEN_BENCH_SCALE"
	// envURL names a VictoriaMetrics already holding the fleet: no server
	// is started and nothing is imported.
	envURL = "OMEN_BENCH_SCALE_URL"
	// envBin names a prebuilt omen binary to measure instead of building
	// this module's.
	envBin = "OMEN_BENCH_SCALE_BIN"
	// envSize and envPerNamespace override Config.Size and
	// Config.PerNamespace.
	envSize         = "OMEN_BENCH_SCALE_SIZE"
	envPerNamespace = "OMEN_BENCH_SCALE_PER_NAMESPACE"
	// envCloudNames set to 1 sets Config.CloudNames.
	envCloudNames = "OMEN_BENCH_SCALE_CLOUD_NAMES"
	// envArgs adds arguments to omen predict, e.g. "--log-level debug".
	envArgs = "OMEN_BENCH_SCALE_ARGS"
	// envKeep names a directory where the report and omen's log are kept.
	envKeep = "OMEN_BENCH_SCALE_KEEP"
)

// usageKey identifies a usage series in a report or a fleet.
func usageKey(ls series.Labels) string { return ls.Without(series.MetricName).String() }

// fleetIndex records what was imported, by usage series.
type fleetIndex map[string]Resource

func (ix fleetIndex) add(rs []Resource) {
	for _, r := range rs {
		// Keep what identifies the resource and the last timestamp of its
		// usage series (for messages), not the samples.
		r.Series = []series.Series{{Labels: r.Usage, Timestamps: []int64{r.Series[0].Last()}, Values: []float64{0}}}
		ix[usageKey(r.Usage)] = r
	}
}

// checkReport requires one result per resource of the fleet, each with the
// target of its kind, and nothing skipped.
func checkReport(t require.TestingT, rep *Report, ix fleetIndex, n int) {
	require.Equal(t, At().Format(time.RFC3339), rep.AsOf)
	require.Empty(t, rep.Skipped, "nothing of the fleet may be skipped")
	seen := make(map[string]bool, n)
	for _, res := range rep.Results {
		k := usageKey(series.FromMap(res.Labels))
		r, ok := ix[k]
		require.True(t, ok, "result for a series that was not imported: %s", k)
		require.False(t, seen[k], "two results for %s", k)
		seen[k] = true
		want := "disk"
		if r.Kind == fixtures.KindMemory {
			want = "memory"
		}
		require.Equal(t, want, res.Target, "target of %s (%s)", k, r.Scenario)
		require.NotEmpty(t, res.Pattern, "pattern of %s", k)
	}
	var missing []string
	for k, r := range ix {
		if !seen[k] {
			last := r.Series[0].Last()
			missing = append(missing, fmt.Sprintf("%s (resource %d, %s, last usage sample %s)",
				k, r.Index, r.Scenario, time.UnixMilli(last).UTC().Format(time.RFC3339)))
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "%d of %d resources have no result", len(missing), n)
	require.Equal(t, n, len(rep.Results), "results")
}

func TestGenerate(t *testing.T) {
	t.Run("a fleet is half disks and half containers, every label set unique, in batches", func(t *testing.T) {
		const n = 480
		var batches []int
		kinds := map[string]int{}
		labels := map[string]bool{}
		usage := map[string]bool{}
		err := Generate(Config{Size: n, Seed: 3, Batch: 100}, func(rs []Resource) error {
			batches = append(batches, len(rs))
			for _, r := range rs {
				kinds[r.Kind]++
				require.False(t, usage[usageKey(r.Usage)], "usage labels of resource %d repeat: %s", r.Index, r.Usage)
				usage[usageKey(r.Usage)] = true
				require.Len(t, r.Series, 3, "resource %d (%s)", r.Index, r.Scenario)
				require.True(t, r.Series[0].Labels.Equal(r.Usage), "the first series is the usage")
				for _, s := range r.Series {
					require.False(t, labels[s.Labels.String()], "label set repeats: %s", s.Labels)
					labels[s.Labels.String()] = true
					require.LessOrEqual(t, s.Len(), int(Window/Step)+1)
					require.Greater(t, s.Len(), int(Window/Step)*9/10, "14 days at 5 minutes less a few missed scrapes")
					require.LessOrEqual(t, s.Last(), At().UnixMilli(), "history ends at the as-of instant")
					require.GreaterOrEqual(t, s.First(), At().Add(-Window).UnixMilli(), "history starts 14 days before")
				}
				// The limit is never missed: it spans the whole window.
				require.Equal(t, int(Window/Step)+1, r.Series[1].Len(), "limit of %s", r.Usage)
				require.Equal(t, At().UnixMilli(), r.Series[1].Last())
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []int{100, 100, 100, 100, 80}, batches)
		require.Equal(t, map[string]int{fixtures.KindDisk: n / 2, fixtures.KindMemory: n / 2}, kinds)
	})

	t.Run("the same seed gives the same fleet and a smaller fleet is a prefix", func(t *testing.T) {
		collect := func(cfg Config) []Resource {
			var all []Resource
			require.NoError(t, Generate(cfg, func(rs []Resource) error { all = append(all, rs...); return nil }))
			return all
		}
		a := collect(Config{Size: 40, Seed: 9, Batch: 7})
		b := collect(Config{Size: 25, Seed: 9, Batch: 10})
		require.Equal(t, a[:25], b)
		c := collect(Config{Size: 25, Seed: 10, Batch: 10})
		require.NotEqual(t, b[0].Series[0].Values, c[0].Series[0].Values)
	})

	t.Run("containers are spread over namespaces of PerNamespace", func(t *testing.T) {
		ns := map[string]int{}
		require.NoError(t, Generate(Config{Size: 60, PerNamespace: 10}, func(rs []Resource) error {
			for _, r := range rs {
				if r.Kind == fixtures.KindMemory {
					ns[r.Usage.Get("namespace")]++
					for _, s := range r.Series {
						require.Equal(t, r.Usage.Get("pod"), s.Labels.Get("pod"), "every series of a container has its pod")
						require.Equal(t, r.Usage.Get("namespace"), s.Labels.Get("namespace"))
					}
				}
			}
			return nil
		}))
		require.Equal(t, map[string]int{"team-000": 10, "team-001": 10, "team-002": 10}, ns)
	})

	t.Run("identifying labels are unique for 10,000 indexes", func(t *testing.T) {
		// relabel is the only source of identity: check it over the whole
		// acceptance fleet without generating its samples.
		disk := fixtures.CapacitySuite(1, 1)[0]
		mem := fixtures.CapacitySuite(1, 3)[2]
		require.Equal(t, fixtures.KindDisk, disk.Kind)
		require.Equal(t, fixtures.KindMemory, mem.Kind)
		disk.Related, mem.Related = nil, nil
		for _, cloud := range []bool{false, true} {
			seen := map[string]bool{}
			hosts := map[string]bool{}
			cfg, err := Config{CloudNames: cloud}.withDefaults()
			require.NoError(t, err)
			for i := range DefaultSize {
				sc := disk
				if i%2 == 1 {
					sc = mem
				}
				sc.Series.Timestamps, sc.Series.Values = nil, nil
				sc.Limit, sc.Restarts = series.Series{}, series.Series{}
				u := relabel(cfg, i, sc, At()).Usage
				k := usageKey(u)
				require.False(t, seen[k], "index %d repeats %s", i, k)
				seen[k] = true
				if sc.Kind == fixtures.KindDisk {
					require.False(t, hosts[u.Get("instance")], "disk %d on a host of another resource: %s", i, u)
				}
				hosts[u.Get("instance")] = true
			}
		}
	})

	t.Run("a negative size is an error", func(t *testing.T) {
		err := Generate(Config{Size: -1}, func([]Resource) error { return nil })
		require.ErrorIs(t, err, ErrConfig)
	})

	t.Run("an error from yield stops the generation", func(t *testing.T) {
		calls := 0
		stop := fmt.Errorf("stop")
		err := Generate(Config{Size: 30, Batch: 10}, func([]Resource) error { calls++; return stop })
		require.ErrorIs(t, err, stop)
		require.Equal(t, 1, calls)
	})
}

// omenBinary returns the omen binary to measure: $OMEN_BENCH_SCALE_BIN or
// this module's, built into a temporary directory.
func omenBinary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(envBin); bin != "" {
		return bin
	}
	bin, err := BuildOmen(context.Background(), tb.TempDir())
	require.NoError(tb, err)
	return bin
}

func TestFleetThroughVictoriaMetrics(t *testing.T) {
	vm := testrig.VictoriaMetrics(t, nil)
	ctx := context.Background()
	cfg := Config{Size: 200, Seed: 7, Batch: 50, PerNamespace: 20}
	ix := fleetIndex{}
	st, err := Import(ctx, vm.URL, cfg, ix.add)
	require.NoError(t, err)
	require.Equal(t, 200, st.Resources)
	require.Equal(t, 600, st.Series)
	require.Equal(t, 4, st.Requests)
	require.Len(t, ix, 200)
	t.Logf("imported %d series, %d samples, %.1f MB in %s", st.Series, st.Samples, float64(st.Bytes)/1e6, st.Took.Round(time.Millisecond))

	bin := omenBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	// A batch size below the fleet's makes the engine split both presets.
	run, err := RunOmen(ctx, bin, filepath.Join(dir, "omen.log"), PredictArgs(vm.URL, out)...)
	require.NoError(t, err)
	rep, err := ReadReport(out)
	require.NoError(t, err)
	checkReport(t, rep, ix, 200)
	t.Logf("omen predict: %d series in %s wall, %s CPU, peak RSS %.0f MiB, load %.2f",
		len(rep.Results), run.Wall.Round(time.Millisecond), run.CPU().Round(time.Millisecond), float64(run.MaxRSS)/(1<<20), run.LoadBefore[0])
	require.Greater(t, run.MaxRSS, int64(1<<20), "a Go process takes more than 1 MiB")
	cpu, err := ServerCPU(ctx, vm.URL)
	require.NoError(t, err)
	require.Greater(t, cpu, time.Duration(0), "VictoriaMetrics worked for the import and the queries")
	require.Greater(t, run.Wall, time.Duration(0))
}

// heavy skips b unless the heavy benchmarks were asked for.
func heavy(b *testing.B) {
	b.Helper()
	if testing.Short() || os.Getenv(envRun) != "1" {
		b.Skipf("heavy fleet benchmark: set %s=1 (and not -short) to run it", envRun)
	}
}

func envInt(b *testing.B, name string) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a whole number ≥ 0", name, v)
	}
	return n
}

// benchConfig returns the fleet the environment asks for.
func benchConfig(b *testing.B) Config {
	return Config{Size: envInt(b, envSize), PerNamespace: envInt(b, envPerNamespace), CloudNames: os.Getenv(envCloudNames) == "1"}
}

// fleet returns the URL of a VictoriaMetrics holding the fleet of cfg and
// what it holds: $OMEN_BENCH_SCALE_URL, a server already loaded with the
// same fleet (not checked), or a new server the fleet is imported into.
func fleet(b *testing.B, cfg Config) (string, fleetIndex) {
	b.Helper()
	if url := os.Getenv(envURL); url != "" {
		b.Logf("using the fleet already in %s", url)
		ix := fleetIndex{}
		if err := Generate(cfg, func(rs []Resource) error { ix.add(rs); return nil }); err != nil {
			b.Fatal(err)
		}
		return url, ix
	}
	vm := testrig.VictoriaMetrics(b, nil)
	ix := fleetIndex{}
	la, _ := LoadAverage()
	st, err := Import(context.Background(), vm.URL, cfg, ix.add)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("imported %d resources: %d series, %d samples, %.0f MB of JSON lines in %d requests, in %s (load %.2f at start)",
		st.Resources, st.Series, st.Samples, float64(st.Bytes)/1e6, st.Requests, st.Took.Round(time.Millisecond), la[0])
	b.ReportMetric(st.Took.Seconds(), "import-s")
	return vm.URL, ix
}

// BenchmarkFleet10k is the acceptance benchmark of issue 4: the disk and
// memory presets of omen predict, run as a separate process, over 10,000
// series of 14 days at 5 minutes in a real VictoriaMetrics. It reports
// the end-to-end wall time (e2e-s), the CPU time (cpu-s), the peak
// resident memory (peak-MiB), the throughput (series/s), the CPU time the
// server spent meanwhile (server-cpu-s) and, separately, the time to
// generate and import the fleet (import-s).
func BenchmarkFleet10k(b *testing.B) {
	heavy(b)
	cfg, err := benchConfig(b).withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	url, ix := fleet(b, cfg)
	bin := omenBinary(b)
	dir := os.Getenv(envKeep)
	if dir == "" {
		dir = b.TempDir()
	}
	extra := strings.Fields(os.Getenv(envArgs))
	b.ResetTimer()
	for range b.N {
		out := filepath.Join(dir, "report.json")
		serverBefore, serverErr := ServerCPU(context.Background(), url)
		reqBefore, reqErr := ServerRequests(context.Background(), url)
		run, err := RunOmen(context.Background(), bin, filepath.Join(dir, "omen.log"), PredictArgs(url, out, extra...)...)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		server := time.Duration(-1)
		if serverErr == nil {
			if after, err := ServerCPU(context.Background(), url); err == nil {
				server = after - serverBefore
				b.ReportMetric(server.Seconds(), "server-cpu-s")
			}
		}
		requests := -1
		if reqErr == nil {
			if after, err := ServerRequests(context.Background(), url); err == nil {
				requests = after - reqBefore
				b.ReportMetric(float64(requests), "requests")
			}
		}
		rep, err := ReadReport(out)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(run.Wall.Seconds(), "e2e-s")
		b.ReportMetric(run.CPU().Seconds(), "cpu-s")
		b.ReportMetric(float64(run.MaxRSS)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(len(rep.Results))/run.Wall.Seconds(), "series/s")
		b.Logf("omen %s", strings.Join(run.Args, " "))
		b.Logf("%d results in %s wall (user %s, system %s; server CPU meanwhile %s, %d query requests), peak RSS %.0f MiB; load average %.2f %.2f %.2f at start, %.2f %.2f %.2f at exit",
			len(rep.Results), run.Wall.Round(time.Millisecond), run.User.Round(time.Millisecond), run.System.Round(time.Millisecond),
			server.Round(time.Millisecond), requests, float64(run.MaxRSS)/(1<<20),
			run.LoadBefore[0], run.LoadBefore[1], run.LoadBefore[2], run.LoadAfter[0], run.LoadAfter[1], run.LoadAfter[2])
		b.Logf("risk %v; pattern %v", sortedTally(rep.Tally(func(r Result) string { return r.Risk })), sortedTally(rep.Tally(func(r Result) string { return r.Pattern })))
		checkReport(b, rep, ix, cfg.Size)
		b.StartTimer()
	}
}

// BenchmarkProfileFleet runs the prediction of BenchmarkFleet10k in the
// test process — the engine with the Prometheus-API source, as omen
// predict does — so that -cpuprofile and -memprofile show where the time
// and the memory go. Like BenchmarkFleet10k it runs only when asked (its
// name does not match -bench Fleet10k):
//
//	OMEN_BENCH_SCALE=1 OMEN_BENCH_SCALE_KEEP=/tmp/prof go test ./bench/scale -run '^$' \
//	    -bench ProfileFleet -benchtime 1x -timeout 30m -cpuprofile /tmp/prof/cpu.pprof
//
// With OMEN_BENCH_SCALE_KEEP it also writes engine.log (the engine's and
// the source's debug records: every query with its duration) and
// heap.pprof (the live heap while the report is held).
func BenchmarkProfileFleet(b *testing.B) {
	heavy(b)
	cfg, err := benchConfig(b).withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	url, _ := fleet(b, cfg)
	// With $OMEN_BENCH_SCALE_KEEP, the engine's and the source's debug
	// records go to engine.log there, and a heap profile taken while the
	// report is still held to heap.pprof.
	keep := os.Getenv(envKeep)
	logger := slog.New(slog.DiscardHandler)
	if keep != "" {
		f, err := os.Create(filepath.Join(keep, "engine.log"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	src, err := prom.New(prom.Config{URL: url, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	var specs []engine.TargetSpec
	for _, p := range []string{"disk", "memory"} {
		ps, _ := engine.Preset(p)
		specs = append(specs, ps...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		rep, err := engine.Predict(context.Background(), src, engine.PredictOptions{
			Specs: specs, AsOf: At(), Step: Step, Capacity: capacity.Config{Window: Window}, Logger: logger,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(began).Seconds(), "e2e-s")
		if keep != "" {
			b.StopTimer()
			writeHeapProfile(b, filepath.Join(keep, "heap.pprof"))
			b.StartTimer()
		}
		if len(rep.Results) != cfg.Size {
			b.Errorf("predicted %d series, want %d", len(rep.Results), cfg.Size)
		}
	}
}

// writeHeapProfile writes the live heap after a collection to path.
func writeHeapProfile(b *testing.B, path string) {
	b.Helper()
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("live heap with the report held: %.0f MiB (heap profile in %s)", float64(ms.HeapAlloc)/(1<<20), path)
}

func sortedTally(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
