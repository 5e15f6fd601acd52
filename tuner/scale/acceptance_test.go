package scale_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/bench/autoscale"
	"github.com/omenhq/omen/tuner/scale"
)

// The acceptance of what omen writes, on workloads of both benchmark
// suites: every manifest written decodes strictly into the Kubernetes
// types and differs from the original only in the changed values (a byte
// diff check), and no proposal for a leaking container recommends only a
// bigger memory limit.
func TestWrittenManifestsAreStrictAndDifferOnlyInTheChangedValues(t *testing.T) {
	if testing.Short() {
		t.Skip("proposes on generated 5-week histories")
	}
	for _, tc := range []struct {
		name        string
		independent bool
		i           int
	}{
		{"a leaking container (tuned-on suite)", false, 8},
		{"a slow scale-up behaviour (tuned-on suite)", false, 10},
		{"a 35% target (tuned-on suite)", false, 6},
		{"a reasonable HPA with minReplicas for a share of the peak (independent suite)", true, 1},
		{"an HPA with minReplicas for the peak (independent suite)", true, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gen := autoscale.Generate
			if tc.independent {
				gen = autoscale.GenerateIndependent
			}
			w, err := gen(2026, tc.i, 5)
			require.NoError(t, err)
			dir := t.TempDir()
			file := filepath.Join(dir, "workload.yaml")
			require.NoError(t, os.WriteFile(file, w.Manifest, 0o644))
			set, err := scale.Read([]string{file}, scale.ReadOptions{})
			require.NoError(t, err)
			wl, err := set.Find("bench/" + w.Name)
			require.NoError(t, err)
			rep := scale.Propose(wl, w.History, scale.Config{Sim: scale.SimConfig{StartupDelay: w.StartupDelay}})
			written := 0
			for _, p := range rep.Proposals {
				if p.ForecastOnly || len(p.Changes) == 0 {
					continue
				}
				out, err := scale.Edit(w.Manifest, p.Object, p.Changes)
				require.NoError(t, err, "%s %+v", p.Kind, p.Changes)
				require.NoError(t, scale.CheckDiff(w.Manifest, out, p.Changes), "%s: only the changed values differ", p.Kind)
				edited := filepath.Join(dir, p.Kind+".yaml")
				require.NoError(t, os.WriteFile(edited, out, 0o644))
				_, err = scale.Read([]string{edited}, scale.ReadOptions{})
				require.NoError(t, err, "decodes strictly")
				written++
				if len(p.Leaks) > 0 {
					only := true
					for _, c := range p.Changes {
						only = only && c.Field == "limits.memory"
					}
					require.False(t, only, "a leaking container gets more than a bigger limit: %+v", p.Changes)
				}
			}
			require.Positive(t, written)
			if w.Kind == "leak" {
				var leaks int
				for _, p := range rep.Proposals {
					leaks += len(p.Leaks)
					for _, c := range p.Changes {
						require.NotEqual(t, "limits.memory", c.Field, "no bigger limit for a leak")
					}
				}
				require.Positive(t, leaks, "the leak is found")
			}
		})
	}
}

func TestCheckDiffRefusesMoreThanTheValues(t *testing.T) {
	orig := []byte("spec:\n  minReplicas: 10   # peak\n  maxReplicas: 20\n")
	changes := []scale.Change{{Field: "minReplicas", From: 10, To: 3}}
	require.NoError(t, scale.CheckDiff(orig, []byte("spec:\n  minReplicas: 3   # peak\n  maxReplicas: 20\n"), changes))
	for name, edited := range map[string]string{
		"a comment dropped":        "spec:\n  minReplicas: 3\n  maxReplicas: 20\n",
		"another value changed":    "spec:\n  minReplicas: 3   # peak\n  maxReplicas: 21\n",
		"a line removed":           "spec:\n  minReplicas: 3   # peak\n",
		"a line added":             "spec:\n  minReplicas: 3   # peak\n  maxReplicas: 20\n  foo: bar\n",
		"the value not the change": "spec:\n  minReplicas: 4   # peak\n  maxReplicas: 20\n",
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			require.Error(t, scale.CheckDiff(orig, []byte(edited), changes))
		})
	}
}

// TestAnHPAThatSaturatesIsKeptOnlyWithItsReason proposes on workloads
// of random step bursts (independent suite): where the setting that
// saturates least flaps and none of its scale-down windows both calms it
// and stays within 10% more replica-hours, the best setting that flaps
// no more than the current policy is proposed rather than nothing; where
// none improves, the HPA is kept and the reason says what it saturates,
// why the better settings are not taken and what halving it costs.
func TestAnHPAThatSaturatesIsKeptOnlyWithItsReason(t *testing.T) {
	if testing.Short() {
		t.Skip("proposes on generated 5-week histories")
	}
	propose := func(t *testing.T, seed uint64, i int) scale.Report {
		w, err := autoscale.GenerateIndependent(seed, i, 5)
		require.NoError(t, err)
		require.Equal(t, "step-bursts", w.Kind)
		file := filepath.Join(t.TempDir(), "workload.yaml")
		require.NoError(t, os.WriteFile(file, w.Manifest, 0o644))
		set, err := scale.Read([]string{file}, scale.ReadOptions{})
		require.NoError(t, err)
		wl, err := set.Find("bench/" + w.Name)
		require.NoError(t, err)
		return scale.Propose(wl, w.History, scale.Config{Sim: scale.SimConfig{StartupDelay: w.StartupDelay}})
	}
	t.Run("the best setting that does not flap is proposed rather than nothing", func(t *testing.T) {
		t.Parallel()
		rep := propose(t, 2026, 3)
		var hpa *scale.Proposal
		for i := range rep.Proposals {
			if rep.Proposals[i].Kind == scale.KindHPAProposal {
				hpa = &rep.Proposals[i]
			}
		}
		require.NotNil(t, hpa, "skipped: %+v", rep.Skipped)
		require.Regexp(t, `On the training weeks replayed by the HPA simulator: (\d+) → (\d+) saturated minutes`, hpa.Why)
	})
	t.Run("a kept HPA says why and what doing better costs", func(t *testing.T) {
		t.Parallel()
		rep := propose(t, 2027, 12)
		for _, p := range rep.Proposals {
			require.NotEqual(t, scale.KindHPAProposal, p.Kind, "the HPA is kept: %s", p.Why)
		}
		require.Len(t, rep.Skipped, 1, "%+v", rep.Skipped)
		require.Regexp(t, `^HPA kept: on the training weeks \(their last week again at the forecast's growth\) it saturates \d+ minutes; the settings tried within 10% more replica-hours that saturate less \(the least: \d+ minutes\) reverse the replicas more than 2\.0 times a day within 10 minutes, and those that do not saturate no materially less \(the least: \d+ minutes\); the load's P99 rise over the reaction time \(\S+\) is \+\d+%, which only standing headroom absorbs; halving the saturation takes \d+–\d+ replicas, cpu \d+%.* at \+\d+% replica-hours$`, rep.Skipped[0].Reason)
	})
}
