package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/bench/autoscale"
	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner/scale"
)

// TestScaleOnVictoriaMetrics runs omen scale on two generated workloads
// loaded into a real VictoriaMetrics (an HPA far too loose, a leaking
// container), on the same history exported to a file and on it in a real
// Prometheus: all three give the same proposals, the HPA one cheaper on the held-out week, the leak one
// without a bigger memory limit, and --write writes manifests that decode
// strictly and differ from the originals only in the changed values.
func TestScaleOnVictoriaMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	const weeks = 3
	dir := t.TempDir()
	manifests := filepath.Join(dir, "deploy")
	require.NoError(t, os.MkdirAll(manifests, 0o755))
	var ss []series.Series
	for _, i := range []int{6, 8} { // loose-target, leak
		w, err := autoscale.Generate(7, i, weeks)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(manifests, w.Name+".yaml"), w.Manifest, 0o644))
		ss = append(ss, autoscale.Series(w, 5*time.Minute)...)
	}
	vm := testrig.VictoriaMetrics(t, ss)
	waitForSeries(t, vm.URL, len(ss), autoscale.Start, autoscale.Start.Add(weeks*7*24*time.Hour))
	export := filepath.Join(dir, "history.om")
	writeOpenMetricsFile(t, export, ss)

	end := autoscale.Start.Add(weeks * 7 * 24 * time.Hour).Format(time.RFC3339)
	args := []string{"scale", "--manifests", manifests, "--range", "21d", "--step", "5m", "--hold-out", "7d", "--startup-delay", "90s", "--at", end, "--format", "json"}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := run(t, nil, append(args, "--prometheus", vm.URL, "--write", out)...)
	require.Equal(t, ExitOK, code, stderr)
	var rep scaleReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))

	byKey := map[string]scale.Proposal{}
	for _, p := range rep.Proposals {
		byKey[p.Workload+" "+p.Kind] = p
	}
	hpa, ok := byKey["bench/loose-target-6 hpa"]
	require.True(t, ok, "proposals: %s", stdout)
	require.Less(t, hpa.After.ReplicaHours, 0.8*hpa.Before.ReplicaHours, "a 35%% target wastes pods")
	require.Zero(t, hpa.After.SaturatedMinutes)
	// The replay of the current policy against what kube-state-metrics
	// says the cluster ran (here the same HPA made the history).
	require.NotNil(t, hpa.Observed)
	require.Equal(t, "kube_horizontalpodautoscaler_status_current_replicas", hpa.Observed.From)
	require.InEpsilon(t, hpa.Observed.ReplicaHours, hpa.Observed.SimulatedReplicaHours, 0.05)
	leak, ok := byKey["bench/leak-8 resources"]
	require.True(t, ok, "proposals: %s", stdout)
	require.NotEmpty(t, leak.Leaks)
	require.Contains(t, leak.Why, "a bigger limit only moves the OOM kill from")
	for _, c := range leak.Changes {
		require.NotEqual(t, "limits.memory", c.Field, "no bigger limit for a leak")
	}

	// What --write wrote decodes strictly and differs only in the values.
	require.NotEmpty(t, rep.Written)
	for _, file := range rep.Written {
		_, err := scale.Read([]string{file}, scale.ReadOptions{})
		require.NoError(t, err)
		orig, err := os.ReadFile(filepath.Join(manifests, filepath.Base(file)))
		require.NoError(t, err)
		edited, err := os.ReadFile(file)
		require.NoError(t, err)
		// Walk both: equal lines, lines whose value changed, and lines
		// inserted for a field that was absent (the behaviour block).
		a, b := strings.Split(string(orig), "\n"), strings.Split(string(edited), "\n")
		i, j := 0, 0
		for i < len(a) && j < len(b) {
			ka, _, _ := strings.Cut(a[i], ":")
			kb, _, _ := strings.Cut(b[j], ":")
			switch {
			case a[i] == b[j], ka == kb:
				i++
				j++
			default:
				require.Contains(t, []string{"behavior", "scaleDown", "stabilizationWindowSeconds"}, strings.TrimSpace(kb), "%s line %d: %q is neither a changed value nor an inserted field", file, j+1, b[j])
				j++
			}
		}
		require.Equal(t, len(a), i, "%s: every original line is kept", file)
	}

	// The same history from a file gives the same proposals.
	code, fromFile, stderr := run(t, nil, append(args, "--input", export)...)
	require.Equal(t, ExitOK, code, stderr)
	var rep2 scaleReport
	require.NoError(t, json.Unmarshal([]byte(fromFile), &rep2))
	rep.Written = nil
	a, _ := json.Marshal(rep)
	b, _ := json.Marshal(rep2)
	require.JSONEq(t, string(a), string(b))

	// And from a real Prometheus holding the same history (backfilled
	// with promtool): the counters are fetched raw and turned into cores
	// by omen, so the two servers' rate() cannot make them differ.
	prom := testrig.Prometheus(t, ss)
	code, fromProm, stderr := run(t, nil, append(args, "--prometheus", prom.URL)...)
	require.Equal(t, ExitOK, code, stderr)
	var rep3 scaleReport
	require.NoError(t, json.Unmarshal([]byte(fromProm), &rep3))
	c, _ := json.Marshal(rep3)
	require.JSONEq(t, string(a), string(c))
}

// writeOpenMetricsFile writes ss to path as OpenMetrics text, as omen
// reads it with --input.
func writeOpenMetricsFile(t *testing.T, path string, ss []series.Series) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, seriesio.WriteOpenMetrics(f, ss))
	require.NoError(t, f.Close())
}

// waitForSeries waits until VictoriaMetrics lists n series: on a loaded
// machine, series registered by a large import can take a moment to be
// searchable after the flush.
func waitForSeries(t *testing.T, base string, n int, start, end time.Time) {
	t.Helper()
	q := url.Values{"match[]": {`{__name__!=""}`}, "start": {start.Format(time.RFC3339)}, "end": {end.Format(time.RFC3339)}}
	var got int
	for range 100 {
		resp, err := http.Get(base + "/api/v1/series?" + q.Encode())
		require.NoError(t, err)
		var body struct {
			Data []map[string]string `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		require.NoError(t, err)
		if got = len(body.Data); got >= n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("VictoriaMetrics lists %d series of the %d imported", got, n)
}
