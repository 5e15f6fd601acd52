package serve

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// ErrSchedule is wrapped by the errors of ParseSchedule.
var ErrSchedule = errors.New("serve: invalid schedule")

// Schedule tells when the job runs next.
type Schedule interface {
	// Next returns the first instant strictly after t at which the job is
	// due, or the zero time when there is none (a cron expression naming a
	// day that never comes, such as 30 February).
	Next(t time.Time) time.Time
	// String returns the schedule as written.
	String() string
}

// Every is a schedule of fixed intervals counted from an origin (the
// process start): 1h runs at origin+1h, origin+2h, …
type Every struct {
	Interval time.Duration
	Origin   time.Time
}

// Next returns the first origin + k·Interval (k ≥ 1) after t.
func (e Every) Next(t time.Time) time.Time {
	if !t.After(e.Origin) {
		return e.Origin.Add(e.Interval)
	}
	k := t.Sub(e.Origin)/e.Interval + 1
	return e.Origin.Add(k * e.Interval)
}

func (e Every) String() string { return model.Duration(e.Interval).String() }

// Cron is a parsed 5-field cron expression, evaluated in UTC. Each field
// is a bit set of the values it allows.
type Cron struct {
	expr                         string
	minute, hour, dom, month, dw uint64
	// domStar and dowStar are set when the field was "*" (or "?"): as in
	// Vixie cron, when both day fields are restricted a day matches when
	// either does.
	domStar, dowStar bool
}

func (c *Cron) String() string { return c.expr }

// cronField describes one field of a cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names for min, min+1, … (months, week days)
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	// 7 is Sunday too, as in most crons; it is folded onto 0.
	{name: "day of week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseSchedule reads a schedule: a duration such as 30m, 1h or 1d (runs
// at that interval from origin), or a cron expression of five fields
// (minute hour day-of-month month day-of-week) with *, lists (1,15),
// ranges (1-5), steps (*/15, 0-30/10), month and day names (jan, mon)
// and the macros @hourly, @daily, @weekly, @monthly and @yearly. An
// empty schedule is 1h.
func ParseSchedule(s string, origin time.Time) (Schedule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "1h"
	}
	if !strings.ContainsAny(s, " \t") && !strings.HasPrefix(s, "@") {
		d, err := model.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%w %q: want a duration such as 1h or a cron expression of five fields such as \"0 */6 * * *\"", ErrSchedule, s)
		}
		if time.Duration(d) < time.Minute {
			return nil, fmt.Errorf("%w %q: the interval must be at least 1m", ErrSchedule, s)
		}
		return Every{Interval: time.Duration(d), Origin: origin}, nil
	}
	return ParseCron(s)
}

// ParseCron reads a 5-field cron expression (see ParseSchedule).
func ParseCron(expr string) (*Cron, error) {
	src := strings.TrimSpace(expr)
	if m, ok := cronMacros[strings.ToLower(src)]; ok {
		src = m
	} else if strings.HasPrefix(src, "@") {
		return nil, fmt.Errorf("%w %q: unknown macro: want @hourly, @daily, @weekly, @monthly or @yearly", ErrSchedule, expr)
	}
	fields := strings.Fields(src)
	if len(fields) != 5 {
		return nil, fmt.Errorf("%w %q: want five fields (minute hour day-of-month month day-of-week), got %d", ErrSchedule, expr, len(fields))
	}
	c := &Cron{expr: strings.Join(strings.Fields(expr), " ")}
	dst := [5]*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dw}
	for i, f := range fields {
		set, err := parseCronField(f, cronFields[i])
		if err != nil {
			return nil, fmt.Errorf("%w %q: %s field %q: %w", ErrSchedule, expr, cronFields[i].name, f, err)
		}
		*dst[i] = set
	}
	if c.dw&(1<<7) != 0 {
		c.dw = c.dw&^(1<<7) | 1
	}
	c.domStar = fields[2] == "*" || fields[2] == "?"
	c.dowStar = fields[4] == "*" || fields[4] == "?"
	if c.dowStar && !c.domStar && !c.anyDayExists() {
		return nil, fmt.Errorf("%w %q: no month of the expression has the days it names", ErrSchedule, expr)
	}
	return c, nil
}

// anyDayExists reports whether some allowed month has some allowed day of
// month (30 February never comes).
func (c *Cron) anyDayExists() bool {
	longest := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if c.month&(1<<m) == 0 {
			continue
		}
		if c.dom&((1<<(longest[m]+1))-2) != 0 {
			return true
		}
	}
	return false
}

func parseCronField(f string, spec cronField) (uint64, error) {
	var set uint64
	for part := range strings.SplitSeq(f, ",") {
		if part == "" {
			return 0, errors.New("empty list item")
		}
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > spec.max {
				return 0, fmt.Errorf("step %q: want a whole number from 1 to %d", stepText, spec.max)
			}
			step = n
		}
		lo, hi := spec.min, spec.max
		switch {
		case rng == "*" || rng == "?":
			if spec.name == "day of week" {
				hi = 6
			}
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(a, spec); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = cronValue(b, spec); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("range %q runs backwards", rng)
				}
			} else if hasStep {
				hi = spec.max // 5/15: from 5 to the end, every 15
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func cronValue(s string, spec cronField) (int, error) {
	for i, n := range spec.names {
		if strings.EqualFold(s, n) {
			return spec.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < spec.min || v > spec.max {
		if len(spec.names) > 0 {
			return 0, fmt.Errorf("value %q: want %d to %d or a name such as %s", s, spec.min, spec.max, spec.names[0])
		}
		return 0, fmt.Errorf("value %q: want a whole number from %d to %d", s, spec.min, spec.max)
	}
	return v, nil
}

// dayMatches reports whether the date of t is allowed.
func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<t.Day()) != 0
	dow := c.dw&(1<<int(t.Weekday())) != 0
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}

// Next returns the first matching minute strictly after t, in UTC, or the
// zero time when none comes within eight years (every valid expression
// matches within that: 29 February on a Sunday comes every 28 years only
// when both day fields are restricted, which then match on either).
func (c *Cron) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(8, 0, 0)
	for t.Before(limit) {
		if c.month&(1<<int(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if c.hour&(1<<t.Hour()) == 0 {
			next, ok := nextBit(c.hour, t.Hour()+1, 23)
			if !ok {
				t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
				continue
			}
			t = time.Date(t.Year(), t.Month(), t.Day(), next, 0, 0, 0, time.UTC)
			continue
		}
		if c.minute&(1<<t.Minute()) == 0 {
			next, ok := nextBit(c.minute, t.Minute()+1, 59)
			if !ok {
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
				continue
			}
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), next, 0, 0, time.UTC)
			continue
		}
		return t
	}
	return time.Time{}
}

// nextBit returns the lowest set bit of set in [from, max].
func nextBit(set uint64, from, max int) (int, bool) {
	if from > max {
		return 0, false
	}
	rest := set >> from << from
	if rest == 0 {
		return 0, false
	}
	b := bits.TrailingZeros64(rest)
	return b, b <= max
}
