package serve

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/apply"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// every is a schedule of short intervals, below what ParseSchedule
// accepts, for tests.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }
func (e every) String() string             { return time.Duration(e).String() }

func newTestServer(t *testing.T, job JobFunc, grace time.Duration) *Server {
	t.Helper()
	s, err := New(Options{
		Listen:     "127.0.0.1:0",
		StateDir:   t.TempDir(),
		LoadConfig: func() (*engine.Config, error) { return &engine.Config{Presets: []string{"disk"}}, nil },
		Job:        job,
		Grace:      grace,
	})
	require.NoError(t, err)
	return s
}

// scrape reads /metrics through the server's handler (a server that is
// not running does not answer on its socket).
func scrape(t *testing.T, s *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func value(body, series string) string {
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

func TestARunStillGoingWhenTheNextIsDueIsSkippedAndCounted(t *testing.T) {
	var started, concurrent, most atomic.Int32
	release := make(chan struct{})
	s := newTestServer(t, func(ctx context.Context, _ *engine.Config) (*Outcome, error) {
		started.Add(1)
		n := concurrent.Add(1)
		defer concurrent.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &Outcome{Report: &engine.Report{AsOf: time.Now()}}, nil
	}, time.Second)
	s.sched = every(20 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	require.Eventually(t, func() bool { n, _ := strconv.Atoi(value(scrape(t, s), MetricRunsSkipped)); return n >= 3 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, int32(1), started.Load(), "no second run while the first is going")
	close(release)
	require.Eventually(t, func() bool { return started.Load() >= 2 }, 5*time.Second, 10*time.Millisecond, "the next due run starts once the first finished")
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, int32(1), most.Load(), "never two runs at once")
}

func TestShutdownLetsARunFinishWithinTheGrace(t *testing.T) {
	inRun := make(chan struct{})
	var sawCancel atomic.Bool
	s := newTestServer(t, func(ctx context.Context, _ *engine.Config) (*Outcome, error) {
		close(inRun)
		select {
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
			sawCancel.Store(true)
			return nil, ctx.Err()
		}
		return &Outcome{Report: &engine.Report{AsOf: time.Now()}}, nil
	}, 5*time.Second)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-inRun
	cancel(errors.New("SIGTERM"))
	require.NoError(t, <-done)
	require.False(t, sawCancel.Load(), "the run finished rather than being abandoned")
	require.True(t, s.ready.Load())
}

func TestShutdownAbandonsARunAfterTheGraceWithItsCause(t *testing.T) {
	inRun := make(chan struct{})
	cause := make(chan error, 1)
	s := newTestServer(t, func(ctx context.Context, _ *engine.Config) (*Outcome, error) {
		close(inRun)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return nil, ctx.Err()
	}, 100*time.Millisecond)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-inRun
	sigterm := errors.New("interrupted (SIGTERM)")
	cancel(sigterm)
	require.NoError(t, <-done)
	require.ErrorIs(t, <-cause, sigterm)
	require.False(t, s.ready.Load())
}

func TestReadyAfterLoadingTheLastResults(t *testing.T) {
	dir := t.TempDir()
	opts := Options{
		Listen: "127.0.0.1:0", StateDir: dir, NoInitialRun: true,
		LoadConfig: func() (*engine.Config, error) { return &engine.Config{Presets: []string{"disk"}}, nil },
		Job: JobFunc(func(context.Context, *engine.Config) (*Outcome, error) {
			return &Outcome{Report: &engine.Report{AsOf: time.Now()}, JSON: []byte(`{"results":[]}`)}, nil
		}),
	}
	s, err := New(opts)
	require.NoError(t, err)
	require.False(t, s.ready.Load())
	s.runOnce(context.Background(), s.Config())
	require.True(t, s.ready.Load())
	s.ln.Close()
	s.alerts.Close()

	again, err := New(opts)
	require.NoError(t, err)
	defer again.ln.Close()
	require.True(t, again.ready.Load(), "ready at once from the stored results")
	require.Equal(t, "1", value(scrape(t, again), MetricReady))
}

func TestAReloadWithABadScheduleKeepsTheConfigInForce(t *testing.T) {
	schedule := "1h"
	s, err := New(Options{
		Listen: "127.0.0.1:0", StateDir: t.TempDir(),
		LoadConfig: func() (*engine.Config, error) {
			return &engine.Config{Presets: []string{"disk"}, Schedule: schedule}, nil
		},
		Job: JobFunc(func(context.Context, *engine.Config) (*Outcome, error) { return &Outcome{}, nil }),
	})
	require.NoError(t, err)
	defer s.ln.Close()
	schedule = "61 * * * *"
	require.ErrorIs(t, s.Reload(), ErrSchedule)
	require.Equal(t, "1h", s.schedule().String())
	require.Equal(t, "1h", s.Config().Schedule)
	body := scrape(t, s)
	require.Equal(t, "1", value(body, `omen_config_reloads_total{result="failure"}`))
	require.Equal(t, "0", value(body, MetricReloadOK))
	schedule = "@daily"
	require.NoError(t, s.Reload())
	require.Equal(t, "@daily", s.schedule().String())
}

func TestEarlierPredictionsAreCheckedAndTheirAccuracyServed(t *testing.T) {
	asOf := mustTime(t, "2026-11-01T00:00:00Z")
	hist := series.Series{}
	for i := 0; i <= 10; i++ {
		hist.Timestamps = append(hist.Timestamps, asOf.Add(time.Duration(i)*time.Hour).UnixMilli())
		hist.Values = append(hist.Values, float64(i))
	}
	runs := []*engine.Report{
		report(asOf, dur(5*time.Hour), series.Series{}),        // predicts exhaustion in 5h (4h–6h)
		report(asOf.Add(10*time.Hour), dur(2*time.Hour), hist), // the limit was reached after 5h
		report(asOf.Add(11*time.Hour), dur(1*time.Hour), series.Series{}),
	}
	var n atomic.Int32
	s, err := New(Options{
		Listen: "127.0.0.1:0", StateDir: t.TempDir(),
		LoadConfig: func() (*engine.Config, error) {
			return &engine.Config{Presets: []string{"disk"}, Horizon: engine.Duration(8 * time.Hour)}, nil
		},
		Job: JobFunc(func(context.Context, *engine.Config) (*Outcome, error) {
			return &Outcome{Report: runs[n.Add(1)-1]}, nil
		}),
	})
	require.NoError(t, err)
	defer s.ln.Close()
	for range runs {
		s.runOnce(context.Background(), s.Config())
	}
	body := scrape(t, s)
	require.Equal(t, "1", value(body, `omen_prediction_interval_coverage{target="disk"}`))
	require.Equal(t, "1", value(body, `omen_predictions_checked_total{outcome="covered",target="disk"}`))
	require.Equal(t, "0", value(body, `omen_prediction_eta_mean_abs_error_seconds{target="disk"}`), "P50 5h, exhausted after 5h")
	require.Equal(t, "1", value(body, `omen_prediction_eta_abs_error_seconds_count{target="disk"}`))
	require.Equal(t, "0", value(body, MetricPending), "one prediction a target a day: the later runs' are not stored")
}

func TestTheAlertHistoryIsCompactedToItsRetentionAtStart(t *testing.T) {
	dir := t.TempDir()
	history := filepath.Join(dir, "alerts.jsonl")
	lines := notification("Old", "a", "2025-01-01T00:00:00Z", "") + "\n" +
		notification("Old", "a", "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z") + "\n" +
		notification("Recent", "b", "2026-11-20T00:00:00Z", "") + "\n"
	require.NoError(t, os.WriteFile(history, []byte(lines), 0o644))
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	opts := Options{
		Listen: "127.0.0.1:0", StateDir: dir, NoInitialRun: true, Now: func() time.Time { return now },
		LoadConfig: func() (*engine.Config, error) { return &engine.Config{Presets: []string{"disk"}}, nil },
		Job:        JobFunc(func(context.Context, *engine.Config) (*Outcome, error) { return &Outcome{}, nil }),
	}
	t.Run("a negative retention keeps everything", func(t *testing.T) {
		o := opts
		o.HistoryRetention = -1
		s, err := New(o)
		require.NoError(t, err)
		s.ln.Close()
		s.alerts.Close()
		b, err := os.ReadFile(history)
		require.NoError(t, err)
		require.Equal(t, lines, string(b))
	})
	t.Run("the default of 400 days forgets the alert over for 700", func(t *testing.T) {
		s, err := New(opts)
		require.NoError(t, err)
		s.ln.Close()
		s.alerts.Close()
		b, err := os.ReadFile(history)
		require.NoError(t, err)
		require.Equal(t, notification("Recent", "b", "2026-11-20T00:00:00Z", "")+"\n", string(b))
	})
}

func TestTheApplyLedgerIsShownOnMetricsAndKeptThroughARestart(t *testing.T) {
	promtool := testrig.RequireBinary(t, "promtool")
	golden, err := os.ReadFile("../apply/testdata/ledger.golden.yaml")
	require.NoError(t, err)
	l, err := apply.ParseLedger(golden, "ledger.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	opts := Options{
		Listen: "127.0.0.1:0", StateDir: dir, NoInitialRun: true,
		LoadConfig: func() (*engine.Config, error) { return &engine.Config{Presets: []string{"disk"}}, nil },
		Job: JobFunc(func(context.Context, *engine.Config) (*Outcome, error) {
			return &Outcome{Report: &engine.Report{AsOf: time.Now()}, JSON: []byte(`{"results":[]}`), Series: l.Series(time.Now().UnixMilli())}, nil
		}),
	}
	s, err := New(opts)
	require.NoError(t, err)
	s.runOnce(context.Background(), s.Config())
	body := scrape(t, s)
	s.ln.Close()
	s.alerts.Close()

	rolled := 0
	for _, e := range l.Entries {
		for _, h := range e.History {
			if h.State == apply.StateRolledBack {
				rolled++
				break
			}
		}
	}
	require.Positive(t, rolled, "the golden ledger has a rollback")
	require.Contains(t, body, "# TYPE omen_apply_rollbacks_total counter")
	require.Equal(t, strconv.Itoa(rolled), value(body, apply.MetricRollbacks))
	require.Contains(t, body, "# TYPE omen_apply_changes gauge")
	applied := 0
	for _, e := range l.Entries {
		if e.State == apply.StateApplied {
			applied++
		}
	}
	require.Equal(t, strconv.Itoa(applied), value(body, apply.MetricChanges+`{state="applied"}`))
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics: %s", out)

	again, err := New(opts)
	require.NoError(t, err)
	defer again.ln.Close()
	defer again.alerts.Close()
	require.Equal(t, strconv.Itoa(rolled), value(scrape(t, again), apply.MetricRollbacks), "kept through a restart, before the next run")
}
