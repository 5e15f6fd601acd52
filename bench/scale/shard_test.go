package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// shardKey is what must agree, target by target, between a sharded and a
// whole run.
func shardKey(r Result) string {
	b, _ := json.Marshal(struct {
		Risk, Pattern, Model string
		ETA                  any
	}{r.Risk, r.Pattern, r.Model, r.ETASeconds})
	return string(b)
}

// TestShardsThroughVictoriaMetrics runs omen predict over a fleet in a real
// VictoriaMetrics once whole and as four shards — three with --shard, one
// as a Kubernetes Indexed Job's pod (JOB_COMPLETION_INDEX,
// JOB_COMPLETIONS) — and requires the union of the four reports to be the
// whole run's, target by target, each target in exactly one shard, each
// shard's report in its own file.
func TestShardsThroughVictoriaMetrics(t *testing.T) {
	vm := testrig.VictoriaMetrics(t, nil)
	ctx := context.Background()
	cfg := Config{Size: 240, Seed: 11, Batch: 60, PerNamespace: 20}
	ix := fleetIndex{}
	_, err := Import(ctx, vm.URL, cfg, ix.add)
	require.NoError(t, err)
	bin := omenBinary(t)
	dir := t.TempDir()

	whole := filepath.Join(dir, "whole.json")
	// --max-points and batches as in production; a batch size below the
	// fleet's makes the engine split both presets.
	_, err = RunOmen(ctx, bin, filepath.Join(dir, "whole.log"), PredictArgs(vm.URL, whole)...)
	require.NoError(t, err)
	all, err := ReadReport(whole)
	require.NoError(t, err)
	checkReport(t, all, ix, cfg.Size)

	out := filepath.Join(dir, "report.json")
	union := map[string]string{}
	for i := range 4 {
		args := PredictArgs(vm.URL, out)
		if i < 3 {
			args = append(args, "--shard", fmt.Sprintf("%d/4", i))
		} else {
			t.Setenv("JOB_COMPLETION_INDEX", "3")
			t.Setenv("JOB_COMPLETIONS", "4")
		}
		_, err := RunOmen(ctx, bin, filepath.Join(dir, fmt.Sprintf("shard-%d.log", i)), args...)
		require.NoError(t, err)
		path := filepath.Join(dir, fmt.Sprintf("report.shard-%d-of-4.json", i))
		rep, err := ReadReport(path)
		require.NoError(t, err, "shard %d writes its own report", i)
		require.Empty(t, rep.Skipped)
		require.Greater(t, len(rep.Results), cfg.Size/8, "shard %d holds a fair part of the fleet", i)
		for _, r := range rep.Results {
			k := usageKey(series.FromMap(r.Labels))
			_, dup := union[k]
			require.False(t, dup, "%s predicted by two shards", k)
			union[k] = shardKey(r)
		}
	}
	_, err = os.Stat(out)
	require.True(t, os.IsNotExist(err), "no shard writes the unsharded path")
	require.Len(t, union, len(all.Results), "the shards together predict the whole fleet")
	var differ []string
	for _, r := range all.Results {
		k := usageKey(series.FromMap(r.Labels))
		if union[k] != shardKey(r) {
			differ = append(differ, fmt.Sprintf("%s: whole %s, shard %s", k, shardKey(r), union[k]))
		}
	}
	require.Empty(t, differ, "targets predicted differently in a shard:\n%s", strings.Join(differ, "\n"))
}
