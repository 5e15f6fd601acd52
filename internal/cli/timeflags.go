package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// parseTime reads an instant given on the command line: RFC3339
// ("2026-11-01T12:00:00Z"), a date ("2026-11-01", UTC midnight),
// "YYYY-MM-DD HH:MM:SS" (UTC), Unix seconds ("1761955200" or with a
// fraction), "now", or "now-DURATION" / "now+DURATION" with Prometheus
// durations (now-2d).
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, fmt.Errorf("empty time")
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-") || strings.HasPrefix(s, "now+"):
		d, err := parseDuration(s[4:])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		if s[3] == '-' {
			return now.Add(-d), nil
		}
		return now.Add(d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot parse time %q: want RFC3339 (2026-11-01T12:00:00Z), a date, Unix seconds, now or now-2d", s)
}

// parseDuration reads a Prometheus-style duration: 30s, 5m, 1h30m, 2d, 1w, 1y.
func parseDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("cannot parse duration %q: want a number and a unit such as 30s, 5m, 1h30m, 2d, 1w", s)
	}
	return time.Duration(d), nil
}

// durationValue is a pflag.Value for Prometheus-style durations.
type durationValue struct {
	d *time.Duration
	// zeroOK accepts 0, for flags where zero means something (alert for).
	zeroOK bool
}

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return model.Duration(*v.d).String()
}

// Set parses a duration. Zero is refused unless zeroOK: such a flag has a
// default, which leaving it out selects, and a zero window, horizon, step
// or timeout is never what was meant.
func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	if d <= 0 && !v.zeroOK {
		return fmt.Errorf("%q is not a positive duration: want e.g. 30s, 5m, 14d (leave the flag out for its default)", s)
	}
	*v.d = d
	return nil
}

func (v durationValue) Type() string { return "duration" }
