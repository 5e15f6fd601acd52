package apply

import (
	"github.com/omenhq/omen/series"
)

// Metric names of the ledger's series.
const (
	// MetricChanges counts the ledger's entries by state (a gauge).
	MetricChanges = "omen_apply_changes"
	// MetricRollbacks counts the changes ever rolled back (a counter, as
	// long as the ledger keeps its entries).
	MetricRollbacks = "omen_apply_rollbacks_total"
	// MetricVerifications counts the verifications by result, passed or
	// failed (a counter).
	MetricVerifications = "omen_apply_verifications_total"
	// MetricChange is 1 for each entry, labelled with its rule and state.
	MetricChange = "omen_apply_change"
	// MetricVerifyDue is when an applied entry's verification is due, in
	// Unix seconds.
	MetricVerifyDue = "omen_apply_verify_due_timestamp_seconds"
)

// Series turns the ledger into series with one sample at ts (Unix
// milliseconds), for `omen serve`'s /metrics: MetricChanges{state} for
// every state (zeros included), MetricRollbacks, MetricVerifications
// {result}, MetricChange{entry, file, group, alert, state} per entry and
// MetricVerifyDue{entry, file, group, alert} per applied entry.
func (l *Ledger) Series(ts int64) []series.Series {
	byState := map[State]int{}
	rollbacks, passed, failed := 0, 0, 0
	for _, e := range l.Entries {
		byState[e.State]++
		rolled := false
		for _, ev := range e.History {
			rolled = rolled || ev.State == StateRolledBack
		}
		if rolled {
			rollbacks++
		}
		if v := e.Verification; v != nil {
			if v.Passed {
				passed++
			} else {
				failed++
			}
		}
	}
	one := func(v float64, nameValues ...string) series.Series {
		return series.Series{Labels: series.New(nameValues...), Timestamps: []int64{ts}, Values: []float64{v}}
	}
	var out []series.Series
	for _, s := range States {
		out = append(out, one(float64(byState[s]), series.MetricName, MetricChanges, "state", string(s)))
	}
	out = append(out,
		one(float64(rollbacks), series.MetricName, MetricRollbacks),
		one(float64(passed), series.MetricName, MetricVerifications, "result", "passed"),
		one(float64(failed), series.MetricName, MetricVerifications, "result", "failed"))
	for _, e := range l.Entries {
		out = append(out, one(1, series.MetricName, MetricChange, "entry", e.ID, "file", e.File, "group", e.Group, "alert", e.Alert, "state", string(e.State)))
		if e.State == StateApplied {
			out = append(out, one(float64(e.VerifyAt.Unix()), series.MetricName, MetricVerifyDue, "entry", e.ID, "file", e.File, "group", e.Group, "alert", e.Alert))
		}
	}
	return out
}
