package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/bench/autoscale"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner/scale"
)

// omen scale's JSON becomes a branch through omen pr: the manifests of a
// checkout, proposed on, edited with the changed values only, and read
// back strictly.
func TestScaleJSONBecomesABranchThroughPR(t *testing.T) {
	if testing.Short() {
		t.Skip("proposes on generated 3-week histories")
	}
	const weeks = 3
	dir := t.TempDir()
	files := map[string]string{}
	var ss []series.Series
	for _, i := range []int{6, 8} { // loose-target, leak
		w, err := autoscale.Generate(7, i, weeks)
		require.NoError(t, err)
		files["deploy/"+w.Name+".yaml"] = string(w.Manifest)
		ss = append(ss, autoscale.Series(w, 5*time.Minute)...)
	}
	bare := testrig.BareRepo(t, dir, "deploy", files)
	work := filepath.Join(dir, "work")
	testrig.Git(t, "", "clone", "--quiet", bare, work)
	export := filepath.Join(dir, "history.om")
	writeOpenMetricsFile(t, export, ss)

	end := autoscale.Start.Add(weeks * 7 * 24 * time.Hour).Format(time.RFC3339)
	code, stdout, stderr := run(t, nil, "scale", "--manifests", filepath.Join(work, "deploy"), "--range", "21d", "--step", "5m", "--hold-out", "7d",
		"--startup-delay", "90s", "--at", end, "--format", "json", "--input", export)
	require.Equal(t, ExitOK, code, stderr)
	proposals := filepath.Join(dir, "scale.json")
	require.NoError(t, os.WriteFile(proposals, []byte(stdout), 0o644))
	var rep scaleReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))

	code, out, stderr := run(t, nil, "pr", "--repo", work, "--proposals", proposals)
	require.Equal(t, ExitOK, code, stderr)
	pr := decodePR(t, out)
	require.True(t, strings.HasPrefix(pr.Branch, "omen/scale-"), pr.Branch)
	require.True(t, pr.Created)
	require.NotEmpty(t, pr.ChangedFiles)
	require.Equal(t, pr.Commit, strings.TrimSpace(testrig.Git(t, work, "rev-list", "main.."+pr.Branch)), "one commit over main")
	for _, file := range pr.ChangedFiles {
		edited := testrig.Git(t, work, "show", pr.Branch+":"+file)
		var changes []scale.Change
		for _, p := range rep.Proposals {
			if !p.ForecastOnly && filepath.ToSlash(strings.TrimPrefix(p.Object.File, work+string(filepath.Separator))) == file {
				changes = append(changes, p.Changes...)
			}
		}
		require.NotEmpty(t, changes, file)
		require.NoError(t, scale.CheckDiff([]byte(files[file]), []byte(edited), changes), file)
		tmp := filepath.Join(t.TempDir(), filepath.Base(file))
		require.NoError(t, os.WriteFile(tmp, []byte(edited), 0o644))
		_, err := scale.Read([]string{tmp}, scale.ReadOptions{})
		require.NoError(t, err, "decodes strictly")
	}

	code, out, stderr = run(t, nil, "pr", "--repo", work, "--proposals", proposals)
	require.Equal(t, ExitOK, code, stderr)
	again := decodePR(t, out)
	require.False(t, again.Created)
	require.False(t, again.Updated)
	require.Equal(t, pr.Commit, again.Commit, "the same proposals again change nothing")
}

// A schedule written by omen scale --schedule write becomes part of the
// branch omen pr makes: the HPA's CronJob patch, the file omen scale
// wrote, beside the edited HPA.
func TestAWrittenScheduleBecomesPartOfTheBranch(t *testing.T) {
	const weeks = 3
	dir := t.TempDir()
	w, err := autoscale.Generate(1, 11, weeks) // recurring bursts
	require.NoError(t, err)
	files := map[string]string{"deploy/" + w.Name + ".yaml": string(w.Manifest)}
	bare := testrig.BareRepo(t, dir, "deploy", files)
	work := filepath.Join(dir, "work")
	testrig.Git(t, "", "clone", "--quiet", bare, work)
	export := filepath.Join(dir, "history.om")
	writeOpenMetricsFile(t, export, autoscale.Series(w, 5*time.Minute))

	end := autoscale.Start.Add(weeks * 7 * 24 * time.Hour).Format(time.RFC3339)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := run(t, nil, "scale", "--manifests", filepath.Join(work, "deploy"), "--range", "21d", "--step", "5m", "--hold-out", "7d",
		"--startup-delay", "90s", "--at", end, "--format", "json", "--input", export, "--schedule", "write", "--write", out, "--kubectl-image", "example.org/kubectl:2")
	require.Equal(t, ExitOK, code, stderr)
	proposals := filepath.Join(dir, "scale.json")
	require.NoError(t, os.WriteFile(proposals, []byte(stdout), 0o644))
	var rep scaleReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	var file string
	for _, p := range rep.Proposals {
		if p.Kind == scale.KindScheduleProposal {
			file = "deploy/" + p.Object.Name + ".omen-schedule.yaml"
		}
	}
	require.NotEmpty(t, file, "a schedule proposal: %s", stdout)

	code, o, stderr := run(t, nil, "pr", "--repo", work, "--proposals", proposals)
	require.Equal(t, ExitOK, code, stderr)
	pr := decodePR(t, o)
	require.Contains(t, pr.ChangedFiles, file)
	onBranch := testrig.Git(t, work, "show", pr.Branch+":"+file)
	written, err := os.ReadFile(filepath.Join(out, filepath.Base(file)))
	require.NoError(t, err)
	require.Equal(t, string(written), onBranch, "omen pr writes the file omen scale wrote")
	require.Contains(t, onBranch, "image: example.org/kubectl:2")
	require.NoError(t, scale.CheckScheduleManifest([]byte(onBranch)))

	code, o, stderr = run(t, nil, "pr", "--repo", work, "--proposals", proposals)
	require.Equal(t, ExitOK, code, stderr)
	require.Equal(t, pr.Branch, decodePR(t, o).Branch, "the same proposals again make the same branch")

	// The HPA gone from the repository, its schedule is not delivered.
	testrig.Git(t, work, "checkout", "--quiet", "main")
	testrig.Git(t, work, "rm", "--quiet", "deploy/"+w.Name+".yaml")
	testrig.Git(t, work, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "remove the workload")
	testrig.Git(t, work, "push", "--quiet", "origin", "main")
	code, _, stderr = run(t, nil, "pr", "--repo", work, "--proposals", proposals)
	require.NotEqual(t, ExitOK, code)
	require.Contains(t, stderr, "the schedule patches the HPA of deploy/"+w.Name+".yaml, which is not in the repository on main")
}
