package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/tuner"
)

// TestRunTunesAndShardsOwnTheirRuleFiles runs omen run's tuning stage
// against a real VictoriaMetrics, with a real git repository for the
// pull request: the whole run proposes for every rule file, two shards
// each propose for the files they own only, their union is the whole
// run's proposals, and each shard's branch touches its own file alone.
func TestRunTunesAndShardsOwnTheirRuleFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	// Two services whose rule files fall in different shards of two.
	var services []string
	for _, svc := range []string{"checkout", "payments", "search", "cart", "auth", "ledger"} {
		owner := 0
		if (engine.Shard{Index: 1, Count: 2}).OwnsFile(svc + ".yml") {
			owner = 1
		}
		if len(services) == owner {
			services = append(services, svc)
		}
	}
	require.Len(t, services, 2, "the candidates cover both shards")

	var ss []series.Series
	incidents := "incidents:\n"
	repoFiles := map[string]string{}
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	require.NoError(t, os.MkdirAll(rulesDir, 0o755))
	for _, svc := range services {
		s, incs := tuneHistoryFor(svc, strings.ToUpper(svc)+"-")
		ss = append(ss, s)
		incidents += incs
		rules := strings.ReplaceAll(strings.ReplaceAll(tuneRules, "checkout", svc), "error_ratio > 0.02", fmt.Sprintf("error_ratio{service=%q} > 0.02", svc))
		repoFiles[svc+".yml"] = rules
		require.NoError(t, os.WriteFile(filepath.Join(rulesDir, svc+".yml"), []byte(rules), 0o644))
	}
	vm := testrig.VictoriaMetrics(t, ss)
	incFile := filepath.Join(dir, "incidents.yml")
	require.NoError(t, os.WriteFile(incFile, []byte(incidents), 0o644))
	bare := testrig.BareRepo(t, t.TempDir(), "rules", repoFiles)
	end := replayT0.Add(5*7*24*time.Hour - time.Minute)

	job := func(extra string) string {
		path := filepath.Join(t.TempDir(), "omen.yaml")
		require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`
source: {prometheus: %q}
at: %s
tune:
  rules: %q
  incidents: [%q]
  window: 35d
  max_pages_per_week: 2
  lead_window: 1h
  for: [0s, 1m, 2m, 3m, 5m]
  output: %q
pull_request: {repo: %q}
report: {json: %q, markdown: %q}
%s`, vm.URL, end.Format(time.RFC3339), rulesDir, incFile, filepath.Join(dir, "proposals-{shard}.json"), bare,
			filepath.Join(dir, "run.json"), filepath.Join(dir, "run.md"), extra)), 0o644))
		return path
	}
	proposals := func(t *testing.T, path string) []tuner.Proposal {
		t.Helper()
		fh, err := os.Open(path)
		require.NoError(t, err)
		defer fh.Close()
		f, err := tuner.DecodeProposals(fh, path)
		require.NoError(t, err)
		return f.Proposals
	}
	changed := func(t *testing.T, branch string) []string {
		t.Helper()
		return strings.Fields(testrig.Git(t, bare, "diff", "--name-only", "main", branch))
	}
	readSummary := func(t *testing.T, path string) runSummaryJSON {
		t.Helper()
		var s runSummaryJSON
		require.NoError(t, jsonUnmarshalFile(path, &s))
		return s
	}

	var whole []tuner.Proposal
	t.Run("the whole run tunes every rule file and pushes one branch with them", func(t *testing.T) {
		code, _, stderr := run(t, nil, "run", "--config", job(""))
		require.Equal(t, ExitOK, code, stderr)
		s := readSummary(t, filepath.Join(dir, "run.json"))
		st, sum, e := s.stage("tuning")
		require.Equal(t, "ok", st, e)
		require.Contains(t, sum, "4 rules tuned over 35d: 2 proposals, 2 rules left alone")
		whole = proposals(t, filepath.Join(dir, "proposals-all.json"))
		require.Len(t, whole, 2)
		for _, p := range whole {
			require.Equal(t, "ErrorRatioHigh", p.Alert)
			require.Equal(t, []string{"for", "threshold"}, p.Fields())
		}
		st, sum, e = s.stage("pull request")
		require.Equal(t, "ok", st, e)
		require.Contains(t, sum, "created")
		require.ElementsMatch(t, []string{services[0] + ".yml", services[1] + ".yml"}, changed(t, s.PullRequest.Branch))
		md, err := os.ReadFile(filepath.Join(dir, "run.md"))
		require.NoError(t, err)
		require.Contains(t, string(md), "**Proposed alert changes**")
		require.Contains(t, string(md), "| ErrorRatioHigh | "+services[0]+".yml | threshold 0.05 → ")
	})

	t.Run("two shards propose for the files they own, together what the whole run proposed", func(t *testing.T) {
		var union []tuner.Proposal
		var branches []string
		for i := range 2 {
			code, _, stderr := run(t, map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i), "JOB_COMPLETIONS": "2"}, "run", "--config", job(""))
			require.Equal(t, ExitOK, code, stderr)
			s := readSummary(t, filepath.Join(dir, fmt.Sprintf("run.shard-%d-of-2.json", i)))
			st, sum, e := s.stage("tuning")
			require.Equal(t, "ok", st, e)
			require.Contains(t, sum, "2 rules tuned of the files shard "+s.Shard+" owns")
			ps := proposals(t, filepath.Join(dir, fmt.Sprintf("proposals-%d-of-2.json", i)))
			require.Len(t, ps, 1)
			require.Equal(t, services[i]+".yml", ps[0].File, "shard %d owns %s", i, services[i])
			union = append(union, ps...)
			st, sum, e = s.stage("pull request")
			require.Equal(t, "ok", st, e)
			require.Contains(t, sum, "created", "each shard delivers its own files")
			require.Equal(t, []string{services[i] + ".yml"}, changed(t, s.PullRequest.Branch))
			branches = append(branches, s.PullRequest.Branch)
		}
		require.NotEqual(t, branches[0], branches[1], "one branch per shard")
		key := func(p tuner.Proposal) string { return p.File + " " + p.Alert + " " + fmtChanges(p.Changes) }
		var got, want []string
		for _, p := range union {
			got = append(got, key(p))
		}
		for _, p := range whole {
			want = append(want, key(p))
		}
		slices.Sort(got)
		slices.Sort(want)
		require.Equal(t, want, got)
	})

	t.Run("a sharded run that would tune and apply is refused: one ledger needs one process", func(t *testing.T) {
		policy := fmt.Sprintf(`apply:
  mode: direct
  rules_dir: %s
  rules: [{files: ["*.yml"]}]
  changes: [threshold]
  max_step: {threshold: 100%%}
  verify_after: 12h
`, rulesDir)
		code, _, stderr := run(t, nil, "run", "--config", job(policy), "--shard", "1/2")
		require.NotEqual(t, ExitOK, code, stderr)
		require.Contains(t, stderr, "one ledger")
		s := readSummary(t, filepath.Join(dir, "run.shard-1-of-2.json"))
		st, _, _ := s.stage("tuning")
		require.Equal(t, "failed", st)
	})
}

// jsonUnmarshalFile decodes the JSON file at path into v.
func jsonUnmarshalFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w: %s", path, err, b)
	}
	return nil
}
