package tuner

import (
	"slices"
	"time"

	"github.com/omenhq/omen/pir"
)

// DefaultFlapWindow is the default MeasureConfig.FlapWindow.
const DefaultFlapWindow = 30 * time.Minute

// MeasureConfig configures Measure. The zero value is useful.
type MeasureConfig struct {
	// PageSeverities are the severity label values that page. Default
	// ["critical"].
	PageSeverities []string
	// Location is the time zone in which night is [22:00, 07:00). Default
	// UTC.
	Location *time.Location
	// FlapWindow: a firing that begins less than FlapWindow after the same
	// label set's previous firing was resolved is a flap. Default
	// DefaultFlapWindow (30m).
	FlapWindow time.Duration
}

// Metrics summarises a rule's firings over a period.
type Metrics struct {
	// Firings is the number of firings.
	Firings int
	// Pages is the number of firings that page: those whose severity
	// label is one of MeasureConfig.PageSeverities, or every firing when
	// the rule has no severity label.
	Pages int
	// PagesPerWeek is Pages / ((end − start) / 7 days).
	PagesPerWeek float64
	// NightPages is the number of pages whose FiringAt falls in [22:00,
	// 07:00) in MeasureConfig.Location.
	NightPages int
	// FiringSeconds is the sum over firings of (ResolvedAt, or end when
	// still firing) − FiringAt, in seconds.
	FiringSeconds float64
	// Flaps is the number of firings that began less than
	// MeasureConfig.FlapWindow after the same label set's previous firing
	// was resolved.
	Flaps int
	// First and Last are the earliest and latest FiringAt; zero without
	// firings.
	First, Last time.Time
}

// Measure computes the metrics of rule r's firings fs over [start, end],
// with the definitions of `omen quality` (see Metrics).
func Measure(r Rule, fs []pir.Firing, start, end time.Time, cfg MeasureConfig) Metrics {
	if len(cfg.PageSeverities) == 0 {
		cfg.PageSeverities = []string{"critical"}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.FlapWindow <= 0 {
		cfg.FlapWindow = DefaultFlapWindow
	}
	_, hasSeverity := r.Labels["severity"]
	m := Metrics{Firings: len(fs)}
	lastResolved := map[string]time.Time{}
	for _, f := range fs {
		if !hasSeverity || slices.Contains(cfg.PageSeverities, f.Labels.Get("severity")) {
			m.Pages++
			if h := f.FiringAt.In(cfg.Location).Hour(); h >= 22 || h < 7 {
				m.NightPages++
			}
		}
		m.FiringSeconds += f.Duration(end).Seconds()
		if m.First.IsZero() || f.FiringAt.Before(m.First) {
			m.First = f.FiringAt
		}
		if f.FiringAt.After(m.Last) {
			m.Last = f.FiringAt
		}
	}
	// Flaps need each label set's firings in time order.
	order := slices.Clone(fs)
	slices.SortStableFunc(order, func(a, b pir.Firing) int { return a.FiringAt.Compare(b.FiringAt) })
	for _, f := range order {
		key := f.Labels.String()
		if prev, ok := lastResolved[key]; ok && f.FiringAt.Sub(prev) < cfg.FlapWindow {
			m.Flaps++
		}
		if f.Resolved() {
			lastResolved[key] = f.ResolvedAt
		} else {
			delete(lastResolved, key)
		}
	}
	if weeks := end.Sub(start).Hours() / (7 * 24); weeks > 0 {
		m.PagesPerWeek = float64(m.Pages) / weeks
	}
	return m
}
