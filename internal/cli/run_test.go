package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// runSummaryJSON is the part of omen run's JSON summary the tests read.
type runSummaryJSON struct {
	AsOf   string `json:"as_of"`
	Shard  string `json:"shard"`
	Status string `json:"status"`
	Stages []struct {
		Name, Status, Summary, Error string
	} `json:"stages"`
	Predictions *struct {
		Targets int            `json:"targets"`
		ByRisk  map[string]int `json:"by_risk"`
	} `json:"predictions"`
	Anomalies *struct {
		Series int `json:"series"`
	} `json:"anomalies"`
	Quality *struct {
		Incidents int `json:"incidents"`
		Caught    int `json:"caught"`
	} `json:"quality"`
	PullRequest *struct {
		Branch string `json:"branch"`
	} `json:"pull_request"`
	WriteBack *struct {
		Series int `json:"series"`
	} `json:"write_back"`
}

func (s runSummaryJSON) stage(name string) (status, summary, errText string) {
	for _, st := range s.Stages {
		if st.Name == name {
			return st.Status, st.Summary, st.Error
		}
	}
	return "", "", ""
}

// TestRunDoesTheWholeJob runs one job file through every stage against a
// real VictoriaMetrics holding the demo fleet and the alert-quality world,
// with a real git repository for the pull request: predictions, anomaly
// scores, alert quality, tuning (not configured), the pull request,
// write-back into the same server and the three summary files.
func TestRunDoesTheWholeJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	w := newQualityWorld()
	demo, err := fixtures.DemoSeries()
	require.NoError(t, err)
	// The demo fleet, moved to end where the quality world ends: one
	// instant for every stage.
	shift := w.end.Sub(fixtures.DemoEndTime())
	for i := range demo {
		ts := make([]int64, len(demo[i].Timestamps))
		for k, v := range demo[i].Timestamps {
			ts[k] = v + shift.Milliseconds()
		}
		demo[i].Timestamps = ts
	}
	vm := testrig.VictoriaMetrics(t, append(demo, w.series...))
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rules, []byte(w.rules), 0o644))
	incidents, _ := w.writeIncidents(t, t.TempDir(), "yaml")
	bare := testrig.BareRepo(t, t.TempDir(), "rules", prRepoFiles(t))
	proposals, err := filepath.Abs(filepath.Join(prFixture, "proposals.json"))
	require.NoError(t, err)

	job := func(extra string) string {
		path := filepath.Join(t.TempDir(), "omen.yaml")
		require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`
source: {prometheus: %q}
at: %s
presets: [disk, memory]
push_to: %q
outputs:
  - {format: json, path: %q}
anomalies: {queries: ['container_memory_working_set_bytes{container!=""}'], window: 1d}
quality: {rules: %q, incidents: [%q], window: %s}
proposals: %q
pull_request: {repo: %q}
report: {html: %q, markdown: %q, json: %q}
%s`, vm.URL, w.end.Format(time.RFC3339), vm.URL, filepath.Join(dir, "predictions-{shard}.json"),
			rules, incidents, fmtDuration(w.end.Sub(w.start)), proposals, bare,
			filepath.Join(dir, "run.html"), filepath.Join(dir, "run.md"), filepath.Join(dir, "run.json"), extra)), 0o644))
		return path
	}
	readSummary := func(t *testing.T, path string) runSummaryJSON {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var s runSummaryJSON
		require.NoError(t, json.Unmarshal(b, &s), string(b))
		return s
	}

	t.Run("every stage runs and the critical target makes the exit code 3", func(t *testing.T) {
		code, _, stderr := run(t, nil, "run", "--config", job(""))
		require.Equal(t, ExitFindings, code, stderr)
		s := readSummary(t, filepath.Join(dir, "run.json"))
		require.Equal(t, "findings", s.Status)
		st, sum, _ := s.stage("predictions")
		require.Equal(t, "findings", st, sum)
		require.Equal(t, 21, s.Predictions.Targets)
		require.Equal(t, 1, s.Predictions.ByRisk["critical"])
		st, _, _ = s.stage("anomalies")
		require.Equal(t, "ok", st)
		require.Positive(t, s.Anomalies.Series)
		st, sum, e := s.stage("quality")
		require.Equal(t, "ok", st, e)
		require.Contains(t, sum, "3 rules")
		require.Equal(t, 8, s.Quality.Incidents)
		st, _, _ = s.stage("tuning")
		require.Equal(t, "not configured", st)
		st, _, _ = s.stage("apply")
		require.Equal(t, "not configured", st)
		st, sum, e = s.stage("pull request")
		require.Equal(t, "ok", st, e)
		require.Contains(t, sum, "branch omen/rules-")
		require.Equal(t, strings.TrimSpace(testrig.Git(t, bare, "branch", "--list", s.PullRequest.Branch, "--format", "%(refname:short)")), s.PullRequest.Branch)
		st, _, e = s.stage("write-back")
		require.Equal(t, "ok", st, e)
		require.Greater(t, s.WriteBack.Series, 21, "a risk series per target, and the anomaly scores")
		st, _, _ = s.stage("report")
		require.Empty(t, st, "the report's own outcome is in the log and the exit code, not in its files")

		md, err := os.ReadFile(filepath.Join(dir, "run.md"))
		require.NoError(t, err)
		require.Contains(t, string(md), "| predictions | findings |")
		require.Contains(t, string(md), "| quality | ok |")
		html, err := os.ReadFile(filepath.Join(dir, "run.html"))
		require.NoError(t, err)
		require.Contains(t, string(html), "<svg", "charts for people")
		require.Contains(t, string(html), "Stage quality")
		_, err = os.Stat(filepath.Join(dir, "predictions-all.json"))
		require.NoError(t, err, "{shard} is all in an unsharded run")

		// The predictions were written back into the server; it makes
		// written samples searchable within seconds, at once after a flush.
		require.NoError(t, testrig.FlushVictoriaMetrics(context.Background(), vm.URL))
		code, stdout, stderr := run(t, nil, "fetch", "--prometheus", vm.URL, "--query", `omen_exhaustion_risk`,
			"--start", w.end.Format(time.RFC3339), "--end", w.end.Format(time.RFC3339), "--step", "1m", "--format", "csv")
		require.Equal(t, ExitOK, code, stderr)
		require.Equal(t, 22, strings.Count(strings.TrimSpace(stdout), "\n")+1, "a header and a risk per target: %s", stdout)
	})

	t.Run("a failed stage is reported and does not stop the others", func(t *testing.T) {
		path := job("")
		b, _ := os.ReadFile(path)
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), rules, filepath.Join(dir, "missing.yml"), 1)), 0o644))
		code, _, stderr := run(t, nil, "run", "--config", path)
		require.Equal(t, ExitFailure, code, stderr)
		require.Contains(t, stderr, "stage quality")
		require.Contains(t, stderr, "missing.yml")
		s := readSummary(t, filepath.Join(dir, "run.json"))
		require.Equal(t, "failed", s.Status)
		st, _, e := s.stage("quality")
		require.Equal(t, "failed", st)
		require.Contains(t, e, "missing.yml")
		for _, name := range []string{"predictions", "anomalies", "pull request", "write-back", "report"} {
			st, _, e := s.stage(name)
			require.NotEqual(t, "failed", st, "%s: %s", name, e)
		}
	})

	t.Run("a shard writes its own files and leaves the pull request to shard 0", func(t *testing.T) {
		var whole, union []string
		code, _, stderr := run(t, nil, "run", "--config", job(""))
		require.Equal(t, ExitFindings, code, stderr)
		whole = targetsOf(t, filepath.Join(dir, "predictions-all.json"))
		for i := range 2 {
			code, _, stderr := run(t, map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i), "JOB_COMPLETIONS": "2"}, "run", "--config", job(""))
			require.Contains(t, []int{ExitOK, ExitFindings}, code, stderr)
			s := readSummary(t, filepath.Join(dir, fmt.Sprintf("run.shard-%d-of-2.json", i)))
			require.Equal(t, fmt.Sprintf("%d/2", i), s.Shard)
			st, sum, _ := s.stage("pull request")
			if i == 0 {
				require.Equal(t, "ok", st, sum)
			} else {
				require.Equal(t, "skipped", st)
				require.Contains(t, sum, "shard 0 makes the pull request")
			}
			union = append(union, targetsOf(t, filepath.Join(dir, fmt.Sprintf("predictions-%d-of-2.json", i)))...)
		}
		require.ElementsMatch(t, whole, union, "two shards predict the whole fleet, each target once")
	})
}

// targetsOf lists the targets of a predictions JSON file.
func targetsOf(t *testing.T, path string) []string {
	t.Helper()
	var rep contractJSON
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	var out []string
	for _, r := range rep.Results {
		out = append(out, series.FromMap(r.Labels).String())
	}
	return out
}
