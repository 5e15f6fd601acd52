package pir_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
)

func TestFiringsFromAlerts(t *testing.T) {
	t0 := utc("2024-03-01T00:00:00Z")
	ms := func(min int) int64 { return t0.Add(time.Duration(min) * time.Minute).UnixMilli() }
	ls := series.New("__name__", "ALERTS", "alertname", "HighLoad", "alertstate", "firing", "instance", "a", "severity", "critical")
	s := series.Series{Labels: ls}
	// Firing at minutes 10..14, then 20 alone, then 58..59 (the end).
	for _, m := range []int{10, 11, 12, 13, 14, 20, 58, 59} {
		s.Timestamps = append(s.Timestamps, ms(m))
		s.Values = append(s.Values, 1)
	}
	end := t0.Add(59 * time.Minute)
	got := pir.FiringsFromAlerts([]series.Series{s}, time.Minute, end)
	require.Len(t, got, 3)
	want := series.New("alertname", "HighLoad", "instance", "a", "severity", "critical")
	for _, f := range got {
		require.Equal(t, "HighLoad", f.Alert)
		require.Equal(t, want, f.Labels, "alertstate and __name__ dropped")
	}
	require.Equal(t, t0.Add(10*time.Minute), got[0].FiringAt)
	require.Equal(t, t0.Add(15*time.Minute), got[0].ResolvedAt, "resolved one step after the last sample")
	require.Equal(t, t0.Add(20*time.Minute), got[1].FiringAt)
	require.Equal(t, t0.Add(21*time.Minute), got[1].ResolvedAt)
	require.Equal(t, t0.Add(58*time.Minute), got[2].FiringAt)
	require.False(t, got[2].Resolved(), "still firing at the end")
}

func TestLoadAlertmanagerLog(t *testing.T) {
	f, err := os.Open("testdata/alertmanager.jsonl")
	require.NoError(t, err)
	defer f.Close()
	got, err := pir.LoadAlertmanagerLog(f, "alertmanager.jsonl")
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "CheckoutHighLatency", got[0].Alert)
	require.Equal(t, utc("2024-03-04T09:18:00Z"), got[0].FiringAt)
	require.Equal(t, utc("2024-03-04T10:04:00Z"), got[0].ResolvedAt, "the resolved payload's endsAt, not a firing one's expiry")
	require.Equal(t, "DiskWillFillIn4h", got[1].Alert)
	require.False(t, got[1].Resolved())
	require.Equal(t, "search", got[1].Labels.Get("service"))

	bad := []struct{ name, log, want string }{
		{"not JSON", "{\"alerts\": [\n", "am.log:1: invalid JSON"},
		{"no alerts", `{"receiver": "x", "status": "firing"}`, "am.log:1: alerts: missing"},
		{"another version", `{"version": "3", "alerts": []}`, `am.log:1: version: version "3": want 4`},
		{"a bad startsAt", `{"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "A"}, "startsAt": "now"}]}`, `am.log:1: alerts[0].startsAt: cannot parse time "now"`},
		{"no alertname", "\n" + `{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "2024-01-01T00:00:00Z"}]}`, "am.log:2: alerts[0].labels: missing alertname"},
		{"an unknown status", `{"version": "4", "alerts": [{"status": "pending", "labels": {"alertname": "A"}, "startsAt": "2024-01-01T00:00:00Z"}]}`, `am.log:1: alerts[0].status: status "pending": want firing or resolved`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pir.LoadAlertmanagerLog(strings.NewReader(tt.log), "am.log")
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestCompareHistories(t *testing.T) {
	t0 := utc("2024-03-01T00:00:00Z")
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ls := series.New("alertname", "A", "instance", "x")
	replay := []pir.Firing{
		{Alert: "A", Labels: ls, FiringAt: at(0), ResolvedAt: at(30)},
		{Alert: "A", Labels: ls, FiringAt: at(60), ResolvedAt: at(90)},
	}
	// The real history adds an external label and is 10 minutes late on the
	// first firing, and misses the second.
	real := []pir.Firing{
		{Alert: "A", Labels: ls.With("cluster", "prod"), FiringAt: at(10), ResolvedAt: at(30)},
	}
	s := pir.Compare(replay, real, t0, at(120))
	require.InDelta(t, 20*60, s.Both, 1e-9)
	require.InDelta(t, 40*60, s.OnlyA, 1e-9)
	require.InDelta(t, 0, s.OnlyB, 1e-9)
	require.InDelta(t, 20.0/60, *s.Score, 1e-9, "cluster is not a label both histories use")
	require.Equal(t, 2, s.FiringsA)
	require.Equal(t, 1, s.FiringsB)

	same := pir.Compare(replay, replay, t0, at(120))
	require.InDelta(t, 1, *same.Score, 1e-12)
	require.Nil(t, pir.Compare(nil, nil, t0, at(120)).Score)
}

func TestAssignFirings(t *testing.T) {
	rules := []pir.RuleRef{
		{Alert: "DiskFull", Labels: map[string]string{"severity": "warning"}},
		{Alert: "DiskFull", Labels: map[string]string{"severity": "critical"}},
		{Alert: "Templated", Labels: map[string]string{"team": "{{ $labels.team }}"}},
	}
	fs := []pir.Firing{
		{Alert: "DiskFull", Labels: series.New("alertname", "DiskFull", "severity", "critical")},
		{Alert: "DiskFull", Labels: series.New("alertname", "DiskFull", "severity", "warning")},
		{Alert: "Templated", Labels: series.New("alertname", "Templated", "team", "db")},
		{Alert: "Unknown", Labels: series.New("alertname", "Unknown")},
	}
	got, rest := pir.AssignFirings(rules, fs)
	require.Len(t, got[0].Firings, 1)
	require.Equal(t, "warning", got[0].Firings[0].Labels.Get("severity"))
	require.Len(t, got[1].Firings, 1)
	require.Equal(t, "critical", got[1].Firings[0].Labels.Get("severity"))
	require.Len(t, got[2].Firings, 1)
	require.Len(t, rest, 1)
}
