package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/bench/autoscale"
	"github.com/omenhq/omen/tuner/scale"
)

// TestScaleWritesTheScheduleOnlyWhenAsked runs omen scale on a workload
// with bursts at fixed times of the day (an HPA cannot follow them): by
// default its predictive schedule is forecast-only and nothing of it is
// written; with --schedule write the HPA gets a CronJob patch beside its
// manifest that decodes strictly and patches minReplicas at the steps of
// the proposal's triggers.
func TestScaleWritesTheScheduleOnlyWhenAsked(t *testing.T) {
	const weeks = 3
	dir := t.TempDir()
	manifests := filepath.Join(dir, "deploy")
	require.NoError(t, os.MkdirAll(manifests, 0o755))
	w, err := autoscale.Generate(1, 11, weeks) // recurring bursts
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(manifests, w.Name+".yaml"), w.Manifest, 0o644))
	export := filepath.Join(dir, "history.om")
	writeOpenMetricsFile(t, export, autoscale.Series(w, 5*time.Minute))
	end := autoscale.Start.Add(weeks * 7 * 24 * time.Hour).Format(time.RFC3339)
	args := []string{"scale", "--input", export, "--manifests", manifests, "--range", "21d", "--step", "5m", "--hold-out", "7d", "--startup-delay", "90s", "--at", end, "--format", "json"}

	schedule := func(rep scaleReport) scale.Proposal {
		t.Helper()
		for _, p := range rep.Proposals {
			if p.Kind == scale.KindScheduleProposal {
				return p
			}
		}
		t.Fatalf("no schedule proposal: %+v", rep.Proposals)
		return scale.Proposal{}
	}

	t.Run("by default the schedule is reported and not written", func(t *testing.T) {
		out := filepath.Join(dir, "default")
		code, stdout, stderr := run(t, nil, append(args, "--write", out)...)
		require.Equal(t, ExitOK, code, stderr)
		var rep scaleReport
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
		p := schedule(rep)
		require.True(t, p.ForecastOnly)
		require.NotEmpty(t, p.Triggers)
		require.NoFileExists(t, filepath.Join(out, w.Name+".omen-schedule.yaml"))
	})
	t.Run("with --schedule write the HPA gets a CronJob patch of its minReplicas", func(t *testing.T) {
		out := filepath.Join(dir, "write")
		code, stdout, stderr := run(t, nil, append(args, "--write", out, "--schedule", "write", "--kubectl-image", "example.org/kubectl:1")...)
		require.Equal(t, ExitOK, code, stderr)
		var rep scaleReport
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
		p := schedule(rep)
		require.False(t, p.ForecastOnly)
		file := filepath.Join(out, p.Object.Name+".omen-schedule.yaml")
		require.Contains(t, rep.Written, file)
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, scale.CheckScheduleManifest(data))
		want, err := scale.ScheduleManifest(p, scale.ScheduleOptions{Image: "example.org/kubectl:1"})
		require.NoError(t, err)
		require.Equal(t, string(want), string(data))
		steps, err := scale.ScheduleSteps(p.Triggers, p.MinReplicas)
		require.NoError(t, err)
		require.NotEmpty(t, steps)
		// The other manifests written still read back strictly.
		for _, f := range rep.Written {
			if f != file {
				_, err := scale.Read([]string{f}, scale.ReadOptions{})
				require.NoError(t, err)
			}
		}
	})
	t.Run("with --schedule write a ScaledObject gets the cron triggers appended", func(t *testing.T) {
		src := string(w.Manifest)
		i := strings.Index(src, "apiVersion: autoscaling/v2")
		require.Positive(t, i)
		keda := src[:i] + "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: " + w.Name + "\n  namespace: bench\nspec:\n" +
			"  scaleTargetRef:\n    name: " + w.Name + "\n  minReplicaCount: 3\n  maxReplicaCount: 17\n  triggers:\n    - type: cpu\n      metricType: Utilization\n      metadata:\n        value: \"70\"\n"
		kdir := filepath.Join(dir, "keda")
		require.NoError(t, os.MkdirAll(kdir, 0o755))
		orig := filepath.Join(kdir, w.Name+".yaml")
		require.NoError(t, os.WriteFile(orig, []byte(keda), 0o644))
		out := filepath.Join(dir, "keda-out")
		kargs := slices.Clone(args)
		kargs[slices.Index(kargs, manifests)] = kdir
		code, stdout, stderr := run(t, nil, append(kargs, "--write", out, "--schedule", "write")...)
		require.Equal(t, ExitOK, code, stderr)
		var rep scaleReport
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
		p := schedule(rep)
		require.False(t, p.ForecastOnly)
		require.Equal(t, scale.KindScaledObject, p.Object.Kind)
		t.Logf("%d cron triggers", len(p.Triggers))
		edited, err := os.ReadFile(filepath.Join(out, w.Name+".yaml"))
		require.NoError(t, err)
		require.Contains(t, string(edited), "name: omen-schedule-1")
		require.Equal(t, len(p.Triggers), strings.Count(string(edited), "- type: cron"))
		// The proposals' changes and the triggers appended, in order:
		// nothing else.
		want := []byte(keda)
		for _, q := range rep.Proposals {
			if q.Kind == scale.KindScheduleProposal || len(q.Changes) > 0 {
				want, err = scale.ApplyProposal(want, q)
				require.NoError(t, err)
			}
		}
		require.Equal(t, string(want), string(edited))
		_, err = scale.Read([]string{filepath.Join(out, w.Name+".yaml")}, scale.ReadOptions{})
		require.NoError(t, err)
	})
	t.Run("--schedule write without --write is a usage error", func(t *testing.T) {
		code, _, stderr := run(t, nil, append(args, "--schedule", "write")...)
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "--schedule write needs --write DIR")
	})
	t.Run("an unknown --schedule is a usage error", func(t *testing.T) {
		code, _, stderr := run(t, nil, append(args, "--schedule", "apply")...)
		require.Equal(t, ExitUsage, code)
		require.Contains(t, stderr, "want forecast-only or write")
	})
}
