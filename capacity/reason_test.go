package capacity

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

// TestReasonsWriteEveryNumberForPeople: a custom target in raw units (no
// _bytes suffix) of tens of billions reads "12.9G left", not "1.29e+10
// left"; bytes read in IEC units.
func TestReasonsWriteEveryNumberForPeople(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name string) Target {
		s := series.Series{Labels: series.New(series.MetricName, name)}
		for i := range 14 * 288 {
			s.Timestamps = append(s.Timestamps, end.Add(-time.Duration(14*288-1-i)*5*time.Minute).UnixMilli())
			s.Values = append(s.Values, 5e10+1e7*float64(i))
		}
		return Target{Labels: s.Labels, Usage: s, LimitValue: 1.1e11, Direction: series.Up}
	}
	exp := regexp.MustCompile(`[0-9]e[+-]?[0-9]`)
	p, err := Predict(mk("queue_messages"), end, Config{})
	require.NoError(t, err)
	require.NotRegexp(t, exp, p.Reason)
	require.Regexp(t, `[0-9.]+G left`, p.Reason)
	p, err = Predict(mk("queue_size_bytes"), end, Config{})
	require.NoError(t, err)
	require.NotRegexp(t, exp, p.Reason)
	require.Regexp(t, `[0-9.]+ GiB left`, p.Reason)
}
