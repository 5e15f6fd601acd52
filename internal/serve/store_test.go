package serve

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

const payload = `{"version":"4","status":"firing","receiver":"omen","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"a"},"startsAt":"2026-11-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f1"}]}`

func TestAlertLogKeepsEveryPayloadAsOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	l, rec, err := OpenAlertLog(path)
	require.NoError(t, err)
	require.Zero(t, rec)
	pretty := strings.ReplaceAll(payload, ",", ",\n  ")
	n, err := l.Append([]byte(pretty))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	resolved := strings.ReplaceAll(strings.ReplaceAll(payload, `"status":"firing"`, `"status":"resolved"`), "0001-01-01T00:00:00Z", "2026-11-01T01:00:00Z")
	_, err = l.Append([]byte(resolved))
	require.NoError(t, err)
	require.NoError(t, l.Close())

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, 2, bytes.Count(b, []byte("\n")), "one line a payload, compacted")
	fs, err := pir.LoadAlertmanagerLog(bytes.NewReader(b), path)
	require.NoError(t, err, "omen quality --history reads it")
	require.Len(t, fs, 1)
	require.Equal(t, "DiskFull", fs[0].Alert)
	require.Equal(t, time.Hour, fs[0].ResolvedAt.Sub(fs[0].FiringAt))
}

// notification is a webhook payload of one alert: firing when ends is
// empty, else resolved at ends.
func notification(name, fingerprint, starts, ends string) string {
	status, end := "firing", "0001-01-01T00:00:00Z"
	if ends != "" {
		status, end = "resolved", ends
	}
	return fmt.Sprintf(`{"version":"4","status":%q,"receiver":"omen","alerts":[{"status":%q,"labels":{"alertname":%q},"startsAt":%q,"endsAt":%q,"fingerprint":%q}]}`,
		status, status, name, starts, end, fingerprint)
}

func TestAlertLogCompactForgetsOnlyAlertsOverBeforeTheCutoff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	l, _, err := OpenAlertLog(path)
	require.NoError(t, err)
	defer l.Close()
	for _, p := range []string{
		notification("OldResolved", "a", "2025-01-01T00:00:00Z", ""),
		notification("OldResolved", "a", "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z"),
		notification("StillFiring", "b", "2025-01-02T00:00:00Z", ""),
		notification("EndedAfterTheCutoff", "c", "2025-05-30T00:00:00Z", ""),
		notification("EndedAfterTheCutoff", "c", "2025-05-30T00:00:00Z", "2025-06-02T00:00:00Z"),
		notification("Recent", "d", "2026-11-01T00:00:00Z", ""),
	} {
		_, err := l.Append([]byte(p))
		require.NoError(t, err)
	}
	kept, dropped, err := l.Compact(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, 4, kept)
	require.Equal(t, 2, dropped, "both notifications of the alert resolved before the cutoff")

	// The log appends where the compacted file ends, and reads as omen
	// quality --history reads it.
	_, err = l.Append([]byte(notification("AfterCompaction", "e", "2026-11-02T00:00:00Z", "")))
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, 5, bytes.Count(b, []byte("\n")))
	fs, err := pir.LoadAlertmanagerLog(bytes.NewReader(b), path)
	require.NoError(t, err)
	var names []string
	for _, f := range fs {
		names = append(names, f.Alert)
	}
	require.ElementsMatch(t, []string{"StillFiring", "EndedAfterTheCutoff", "Recent", "AfterCompaction"}, names)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	kept, dropped, err = l.Compact(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, 5, kept)
	require.Zero(t, dropped, "compacting again drops nothing")

	l2, rec, err := OpenAlertLog(path)
	require.NoError(t, err, "the compacted log opens cleanly")
	require.Equal(t, 5, rec.Lines)
	require.Zero(t, rec.DroppedBytes)
	require.NoError(t, l2.Close())
}

func TestAlertLogRefusesWhatIsNotAWebhookPayload(t *testing.T) {
	l, _, err := OpenAlertLog(filepath.Join(t.TempDir(), "alerts.jsonl"))
	require.NoError(t, err)
	defer l.Close()
	for _, tt := range []struct{ name, body string }{
		{"not JSON", "hello"},
		{"no alerts", `{"version":"4"}`},
		{"another version", `{"version":"3","alerts":[]}`},
		{"an alert without a name", `{"version":"4","alerts":[{"labels":{},"startsAt":"2026-11-01T00:00:00Z"}]}`},
		{"an alert without startsAt", `{"version":"4","alerts":[{"labels":{"alertname":"X"}}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Append([]byte(tt.body))
			require.ErrorIs(t, err, ErrPayload)
		})
	}
}

func TestAlertLogCutsATornLastLine(t *testing.T) {
	for _, tt := range []struct{ name, tail string }{
		{"a line without its newline", `{"version":"4","alerts":[{"labe`},
		{"a last line that is not JSON", "{\"version\":\"4\",\"al\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "alerts.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(payload+"\n"+payload+"\n"+tt.tail), 0o644))
			l, rec, err := OpenAlertLog(path)
			require.NoError(t, err)
			require.Equal(t, 2, rec.Lines)
			require.Equal(t, int64(len(tt.tail)), rec.DroppedBytes)
			_, err = l.Append([]byte(payload))
			require.NoError(t, err)
			require.NoError(t, l.Close())
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, strings.Repeat(payload+"\n", 3), string(b), "the next payload starts on a clean line")
		})
	}
}

func TestAlertLogRefusesADamagedMiddle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(payload+"\nnot json\n"+payload+"\n"), 0o644))
	_, _, err := OpenAlertLog(path)
	require.ErrorContains(t, err, "line 2 is not JSON and is not the last line")
}

func FuzzAlertLogRecovery(f *testing.F) {
	f.Add([]byte(payload+"\n"), []byte(`{"ver`))
	f.Add([]byte(""), []byte("\n\n"))
	f.Fuzz(func(t *testing.T, good, tail []byte) {
		path := filepath.Join(t.TempDir(), "alerts.jsonl")
		require.NoError(t, os.WriteFile(path, append(append([]byte{}, good...), tail...), 0o644))
		l, _, err := OpenAlertLog(path)
		if err != nil {
			return // a damaged middle is refused, never shortened
		}
		_, err = l.Append([]byte(payload))
		require.NoError(t, err)
		require.NoError(t, l.Close())
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.True(t, bytes.HasSuffix(b, []byte("\n"+payload+"\n")) || bytes.Equal(b, []byte(payload+"\n")), "the appended payload is a line of its own")
		// Reopening finds nothing torn.
		l, rec, err := OpenAlertLog(path)
		require.NoError(t, err)
		require.Zero(t, rec.DroppedBytes)
		l.Close()
	})
}

func dur(d time.Duration) *time.Duration { return &d }

func sec(s float64) *Seconds { v := Seconds(s); return &v }

func TestCheckPrediction(t *testing.T) {
	asOf := mustTime(t, "2026-11-01T00:00:00Z")
	const h = 3600.0
	// Usage rising by 1 an hour from 0 for 10 hours, limit 5: exhausted
	// after 5 hours.
	hist := series.Series{}
	for i := 0; i <= 10; i++ {
		hist.Timestamps = append(hist.Timestamps, asOf.Add(time.Duration(i)*time.Hour).UnixMilli())
		hist.Values = append(hist.Values, float64(i))
	}
	base := StoredPrediction{Key: "k", Target: "disk", AsOf: asOf, Horizon: 8 * h, Limit: 5, Direction: "up"}
	for _, tt := range []struct {
		name          string
		p10, p50, p90 *Seconds
		limit         float64
		exhausted     bool
		covered       bool
		absErr        *Seconds
	}{
		{"an interval holding the crossing covers it", sec(4 * h), sec(6 * h), sec(7 * h), 5, true, true, sec(h)},
		{"an interval after the crossing misses it", sec(6 * h), sec(7 * h), sec(7.5 * h), 5, true, false, sec(2 * h)},
		{"a P90 beyond the horizon is open-ended", sec(3 * h), sec(5 * h), nil, 5, true, true, sec(0)},
		{"no crossing within the horizon is covered by an open interval", sec(7 * h), nil, nil, 20, false, true, nil},
		{"no crossing within the horizon is missed by a closed interval", sec(2 * h), sec(3 * h), sec(4 * h), 20, false, false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			p.P10, p.P50, p.P90, p.Limit = tt.p10, tt.p50, tt.p90, tt.limit
			c, ok := CheckPrediction(p, hist)
			require.True(t, ok)
			require.Equal(t, tt.exhausted, c.Exhausted)
			require.Equal(t, tt.covered, c.Covered)
			require.Equal(t, tt.absErr, c.AbsError)
			if tt.exhausted {
				require.Equal(t, Seconds(5*h), *c.Actual)
			}
		})
	}
	t.Run("a history short of the due instant cannot check it", func(t *testing.T) {
		p := base
		p.Horizon = 20 * h
		_, ok := CheckPrediction(p, hist)
		require.False(t, ok)
	})
	t.Run("direction down crosses at or below the limit", func(t *testing.T) {
		p := base
		p.Direction, p.Limit = "down", 0
		down := series.Series{Timestamps: hist.Timestamps, Values: make([]float64, len(hist.Values))}
		for i, v := range hist.Values {
			down.Values[i] = 3 - v
		}
		c, ok := CheckPrediction(p, down)
		require.True(t, ok)
		require.True(t, c.Exhausted)
		require.Equal(t, Seconds(3*h), *c.Actual)
	})
}

func report(asOf time.Time, p50 *time.Duration, hist series.Series) *engine.Report {
	ls := series.FromMap(map[string]string{"__name__": "used", "instance": "a"})
	r := engine.Result{Spec: "disk", History: hist, Prediction: capacity.Prediction{Labels: ls, AsOf: asOf, Limit: 5, Direction: series.Up}}
	if p50 != nil {
		r.ETA = &capacity.ETA{P10: dur(*p50 - time.Hour), P50: p50, P90: dur(*p50 + time.Hour)}
	}
	return &engine.Report{AsOf: asOf, Results: []engine.Result{r}}
}

func TestAccuracyChecksAPredictionWhenItsHorizonArrivesAndSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "predictions.jsonl")
	asOf := mustTime(t, "2026-11-01T00:00:00Z")
	horizon := 8 * time.Hour
	a, err := OpenAccuracy(path, 0)
	require.NoError(t, err)
	checks, err := a.Update(report(asOf, dur(5*time.Hour), series.Series{}), horizon, asOf)
	require.NoError(t, err)
	require.Empty(t, checks)
	_, err = a.Update(report(asOf.Add(time.Hour), dur(4*time.Hour), series.Series{}), horizon, asOf.Add(time.Hour))
	require.NoError(t, err)
	pending, _, _ := a.Stats()
	require.Equal(t, 1, pending, "one prediction a target a day")

	// Restart: the pending prediction is still there.
	a, err = OpenAccuracy(path, 0)
	require.NoError(t, err)
	pending, _, _ = a.Stats()
	require.Equal(t, 1, pending)

	hist := series.Series{}
	for i := 0; i <= 10; i++ {
		hist.Timestamps = append(hist.Timestamps, asOf.Add(time.Duration(i)*time.Hour).UnixMilli())
		hist.Values = append(hist.Values, float64(i))
	}
	now := asOf.Add(10 * time.Hour)
	checks, err = a.Update(report(now, nil, hist), horizon, now)
	require.NoError(t, err)
	require.Len(t, checks, 1)
	require.True(t, checks[0].Covered)
	require.Equal(t, Seconds(0), *checks[0].AbsError)

	a, err = OpenAccuracy(path, 0)
	require.NoError(t, err)
	pending, done, dropped := a.Stats()
	require.Zero(t, pending)
	require.Len(t, done, 1, "the check survives a restart")
	require.Zero(t, dropped)
}

func TestAccuracyDropsAPredictionWhoseTargetIsGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "predictions.jsonl")
	asOf := mustTime(t, "2026-11-01T00:00:00Z")
	a, err := OpenAccuracy(path, 0)
	require.NoError(t, err)
	_, err = a.Update(report(asOf, dur(5*time.Hour), series.Series{}), 8*time.Hour, asOf)
	require.NoError(t, err)
	empty := &engine.Report{AsOf: asOf.Add(9 * time.Hour)}
	_, err = a.Update(empty, 8*time.Hour, asOf.Add(9*time.Hour))
	require.NoError(t, err)
	pending, _, _ := a.Stats()
	require.Equal(t, 1, pending, "waits for a later run")
	_, err = a.Update(empty, 8*time.Hour, asOf.Add(17*time.Hour))
	require.NoError(t, err)
	pending, _, dropped := a.Stats()
	require.Zero(t, pending)
	require.Equal(t, 1, dropped)
}
