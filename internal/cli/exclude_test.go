package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExcludingAnIncidentBringsTheDiskPredictionToTheTruth: a disk fills
// 10 GiB a day with 260 GiB left (truth: full in 26 days), but an incident
// 16 hours before the end — a runaway log that ate 150 GiB for seven hours
// and was deleted — poisons the model. With the incident excluded the
// prediction is back at the truth.
func TestExcludingAnIncidentBringsTheDiskPredictionToTheTruth(t *testing.T) {
	const gib = 1 << 30
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	from, to := 13.3, 13.6 // days of the incident
	rng := rand.New(rand.NewPCG(1, 1))
	var b strings.Builder
	b.WriteString("timestamp,value,__name__,mountpoint\n")
	for i := 0; i <= 14*288; i++ {
		d := float64(i) / 288
		avail := 400*gib - float64(i)*10*gib/288 + 3*gib*math.Sin(2*math.Pi*d) + rng.NormFloat64()*gib/2
		if d >= from && d < to {
			avail -= 150 * gib * min(1, (d-from)/0.05)
		}
		fmt.Fprintf(&b, "%d,%.0f,node_filesystem_avail_bytes,/data\n", t0.Add(time.Duration(i)*5*time.Minute).Unix(), avail)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "disk.csv")
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o644))
	at := func(d float64) string { return t0.Add(time.Duration(d * float64(24*time.Hour))).Format(time.RFC3339) }
	incidents := filepath.Join(dir, "incidents.yaml")
	require.NoError(t, os.WriteFile(incidents, []byte(fmt.Sprintf("- id: INC-7\n  title: runaway log on /data\n  start: %s\n  end: %s\n", at(from), at(to))), 0o644))

	p50 := func(args ...string) float64 {
		t.Helper()
		code, stdout, stderr := run(t, nil, append([]string{"predict", "--input", in, "--limit", "0", "--direction", "down", "--horizon", "60d", "--format", "json"}, args...)...)
		require.Equal(t, ExitOK, code, stderr)
		var rep contractJSON
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
		require.Len(t, rep.Results, 1)
		require.NotNil(t, rep.Results[0].ETASeconds, stdout)
		if rep.Results[0].ETASeconds.P50 == nil {
			return 60 // beyond the 60-day horizon
		}
		return *rep.Results[0].ETASeconds.P50 / 86400
	}
	const truth = 26.0
	poisoned, clean := p50(), p50("--exclude", incidents)
	t.Logf("P50 %.2f days with the incident, %.2f days without; truth %.1f", poisoned, clean, truth)
	require.Less(t, math.Abs(clean-truth), math.Abs(poisoned-truth), "closer to the truth with the incident excluded")
	require.InEpsilon(t, truth, clean, 0.05)

	t.Run("a file with no window is a usage error", func(t *testing.T) {
		empty := filepath.Join(dir, "none.yaml")
		require.NoError(t, os.WriteFile(empty, []byte("incidents: []\n"), 0o644))
		code, _, stderr := run(t, nil, "predict", "--input", in, "--limit", "0", "--direction", "down", "--exclude", empty)
		require.Equal(t, ExitUsage, code, stderr)
		require.Contains(t, stderr, "--exclude")
	})
	t.Run("forecast and detect mask the windows too", func(t *testing.T) {
		for _, cmd := range []string{"forecast", "detect"} {
			code, _, stderr := run(t, nil, cmd, "--input", in, "--exclude", incidents, "--format", "json")
			require.Equal(t, ExitOK, code, stderr)
			require.Contains(t, stderr, "excluded windows", cmd)
			require.Contains(t, stderr, "samples=86", cmd) // the 5-minute samples in 7.2 hours
		}
	})
}
