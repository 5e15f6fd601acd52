package serve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestCronNext(t *testing.T) {
	for _, tt := range []struct {
		name, expr, from string
		want             []string
	}{
		{"every minute is the next minute", "* * * * *", "2026-12-02T04:00:30Z", []string{"2026-12-02T04:01:00Z", "2026-12-02T04:02:00Z"}},
		{"a time exactly on the schedule is not its own next", "0 * * * *", "2026-12-02T04:00:00Z", []string{"2026-12-02T05:00:00Z"}},
		{"every six hours", "0 */6 * * *", "2026-12-02T04:10:00Z", []string{"2026-12-02T06:00:00Z", "2026-12-02T12:00:00Z", "2026-12-02T18:00:00Z", "2026-12-03T00:00:00Z"}},
		{"a list and a range of minutes", "5,10-12 3 * * *", "2026-12-02T03:06:00Z", []string{"2026-12-02T03:10:00Z", "2026-12-02T03:11:00Z", "2026-12-02T03:12:00Z", "2026-12-03T03:05:00Z"}},
		{"a stepped range", "0-30/15 1 * * *", "2026-12-02T00:00:00Z", []string{"2026-12-02T01:00:00Z", "2026-12-02T01:15:00Z", "2026-12-02T01:30:00Z", "2026-12-03T01:00:00Z"}},
		{"a start with a step runs to the end", "50/5 * * * *", "2026-12-02T00:00:00Z", []string{"2026-12-02T00:50:00Z", "2026-12-02T00:55:00Z", "2026-12-02T01:50:00Z"}},
		{"week days by name, Monday to Friday", "30 9 * * mon-fri", "2026-12-04T10:00:00Z", []string{"2026-12-07T09:30:00Z", "2026-12-08T09:30:00Z"}},
		{"7 is Sunday", "0 0 * * 7", "2026-12-02T00:00:00Z", []string{"2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z"}},
		{"months by name roll over the year", "0 0 1 jan,jul *", "2026-12-02T00:00:00Z", []string{"2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"}},
		{"day 31 skips the short months", "0 12 31 * *", "2026-12-31T13:00:00Z", []string{"2027-01-31T12:00:00Z", "2027-03-31T12:00:00Z"}},
		{"29 February waits for a leap year", "0 0 29 2 *", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"both day fields restricted match on either (Vixie cron)", "0 0 13 * fri", "2026-11-01T00:00:00Z", []string{"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z"}},
		{"@daily is midnight", "@daily", "2026-12-02T04:00:00Z", []string{"2026-12-03T00:00:00Z"}},
		{"@hourly is minute 0", "@hourly", "2026-12-02T04:59:59Z", []string{"2026-12-02T05:00:00Z"}},
		{"@weekly is Sunday midnight", "@weekly", "2026-12-02T04:00:00Z", []string{"2026-12-06T00:00:00Z"}},
		{"a question mark is a star", "0 0 ? * *", "2026-12-02T04:00:00Z", []string{"2026-12-03T00:00:00Z"}},
		{"a non-UTC instant is read in UTC", "0 6 * * *", "2026-12-02T07:00:00+02:00", []string{"2026-12-02T06:00:00Z"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			require.NoError(t, err)
			at := mustTime(t, tt.from)
			for _, w := range tt.want {
				at = c.Next(at)
				require.Equal(t, mustTime(t, w).UTC(), at, "after %s", tt.from)
			}
		})
	}
}

func TestParseScheduleRefusesBadExpressions(t *testing.T) {
	for _, tt := range []struct{ name, expr, says string }{
		{"four fields", "0 * * *", "want five fields"},
		{"six fields", "0 0 * * * *", "want five fields"},
		{"minute 60", "60 * * * *", "minute field"},
		{"hour 24", "0 24 * * *", "hour field"},
		{"day 0", "0 0 0 * *", "day of month field"},
		{"month 13", "0 0 1 13 *", "month field"},
		{"week day 8", "0 0 * * 8", "day of week field"},
		{"a backwards range", "0 5-2 * * *", "runs backwards"},
		{"a zero step", "*/0 * * * *", "step"},
		{"an empty list item", "1,,2 * * * *", "empty list item"},
		{"an unknown name", "0 0 * foo *", "month field"},
		{"an unknown macro", "@sometimes", "unknown macro"},
		{"30 February never comes", "0 0 30 2 *", "no month"},
		{"a duration below a minute", "30s", "at least 1m"},
		{"not a duration", "soon", "want a duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSchedule(tt.expr, time.Now())
			require.ErrorIs(t, err, ErrSchedule)
			require.ErrorContains(t, err, tt.says)
		})
	}
}

func TestEveryCountsFromItsOrigin(t *testing.T) {
	origin := mustTime(t, "2026-12-02T04:00:17Z")
	s, err := ParseSchedule("1h", origin)
	require.NoError(t, err)
	require.Equal(t, "1h", s.String())
	require.Equal(t, mustTime(t, "2026-12-02T05:00:17Z"), s.Next(origin))
	require.Equal(t, mustTime(t, "2026-12-02T05:00:17Z"), s.Next(origin.Add(-time.Hour)), "before the origin: the first tick")
	require.Equal(t, mustTime(t, "2026-12-02T07:00:17Z"), s.Next(mustTime(t, "2026-12-02T06:30:00Z")))
	require.Equal(t, mustTime(t, "2026-12-02T07:00:17Z"), s.Next(mustTime(t, "2026-12-02T06:00:17Z")), "a tick is not its own next")

	empty, err := ParseSchedule("", origin)
	require.NoError(t, err)
	require.Equal(t, "1h", empty.String(), "the default")
}

// matches is the definition Next must agree with, minute by minute.
func (c *Cron) matches(t time.Time) bool {
	return c.minute&(1<<t.Minute()) != 0 && c.hour&(1<<t.Hour()) != 0 && c.month&(1<<int(t.Month())) != 0 && c.dayMatches(t)
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"* * * * *", "0 */6 * * *", "5,10-12 3 * * *", "0-30/15 1 * * mon-fri", "0 0 13 * fri", "0 0 29 2 *", "@daily", "50/5 * * * *", "0 0 31 4,6 *"} {
		f.Add(s, int64(1764648000))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		c, err := ParseCron(expr)
		if err != nil {
			return
		}
		from := time.Unix(unix%(200*365*86400), 0).UTC()
		next := c.Next(from)
		if next.IsZero() {
			// Only when both day fields are restricted may a year pass
			// without a match; then both must be restricted.
			if c.domStar || c.dowStar {
				t.Fatalf("%q: no next after %s", expr, from)
			}
			return
		}
		if !next.After(from) {
			t.Fatalf("%q: next %s not after %s", expr, next, from)
		}
		if !c.matches(next) {
			t.Fatalf("%q: next %s does not match", expr, next)
		}
		if next.Sub(from) <= 3*24*time.Hour {
			for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(next); m = m.Add(time.Minute) {
				if c.matches(m) {
					t.Fatalf("%q: %s matches before next %s", expr, m, next)
				}
			}
		}
		// The expression as printed parses to the same schedule.
		again, err := ParseCron(c.String())
		if err != nil || again.Next(from) != next {
			t.Fatalf("%q: String %q does not round trip: %v", expr, c.String(), err)
		}
	})
}
