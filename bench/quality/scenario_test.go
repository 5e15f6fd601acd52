package quality

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

func TestGenerate(t *testing.T) {
	sc, err := Generate(Config{})
	require.NoError(t, err)
	require.Equal(t, 12*7*24*time.Hour, sc.End.Sub(sc.Start))
	require.Len(t, sc.Incidents, DefaultIncidents)
	require.Equal(t, DefaultRules, strings.Count(sc.RuleFile, "- alert: "))
	for _, w := range sc.Incidents {
		require.False(t, w.From.Before(sc.Start))
		require.True(t, w.From.Before(sc.End))
	}
	ss := sc.Series(7)
	require.Len(t, ss, DefaultInstances)
	n := 12*7*24*60 + 1
	for _, s := range ss {
		require.NoError(t, s.Validate())
		require.Equal(t, n, s.Len())
		require.Equal(t, sc.Start.UnixMilli(), s.First())
		require.Equal(t, sc.End.UnixMilli(), s.Last())
		require.Equal(t, "bench_signal_07", s.Labels.Name())
	}
	again, err := Generate(Config{})
	require.NoError(t, err)
	require.Equal(t, sc.IncidentsYAML, again.IncidentsYAML)
	require.Equal(t, ss, again.Series(7), "the same seed draws the same history")

	_, err = Generate(Config{Step: time.Millisecond})
	require.ErrorIs(t, err, ErrConfig)
}

func TestTheRuleFilePassesPromtool(t *testing.T) {
	promtool := testrig.RequireBinary(t, "promtool")
	sc, err := Generate(Config{})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "rules.yml")
	require.NoError(t, os.WriteFile(path, []byte(sc.RuleFile), 0o644))
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "SUCCESS: 50 rules found")
}
