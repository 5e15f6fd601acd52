package pir

import (
	"time"

	"github.com/omenhq/omen/series"
)

// Firing is one period during which one label set of an alerting rule
// fired: the interval [FiringAt, ResolvedAt). It is what a replay of a rule
// (tuner.Replay), the server's ALERTS series or an Alertmanager webhook log
// gives, and what incidents are matched against.
type Firing struct {
	// Alert is the alerting rule's name (the alertname label).
	Alert string
	// Labels are the alert's labels, alertname included.
	Labels series.Labels
	// ActiveAt is the first evaluation of the pending period that led to
	// the firing (equal to FiringAt for a rule without `for`). Zero when the
	// history does not tell (an Alertmanager log).
	ActiveAt time.Time
	// FiringAt is the first evaluation at which the alert was firing.
	FiringAt time.Time
	// ResolvedAt is the first evaluation at which it no longer fired; zero
	// when it was still firing at the end of the period looked at.
	ResolvedAt time.Time
}

// Resolved reports whether the firing ended within the period looked at.
func (f Firing) Resolved() bool { return !f.ResolvedAt.IsZero() }

// Duration returns how long the firing lasted, counting a firing still
// active at end as lasting until end.
func (f Firing) Duration(end time.Time) time.Duration {
	if f.Resolved() {
		return f.ResolvedAt.Sub(f.FiringAt)
	}
	return end.Sub(f.FiringAt)
}
