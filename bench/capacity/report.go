package capacity

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the report as Markdown tables: the predictors side by
// side, then omen per template.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d scenarios (seed %d) × %d as-of instants = %d scored pairs; %.0f trap series-days; \"full within %s\", horizon %s.\n\n",
		r.Scenarios, r.Seed, r.AsOfs, r.Pairs, r.TrapDays, fmtD(r.Within), fmtD(r.Horizon))
	b.WriteString("| predictor | precision | recall | F1 | false alarms on traps | per trap series-day | trap time alarmed |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range append([]Score{r.Omen}, r.Rules...) {
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.3f | %d | %.3f | %.2f%% |\n", s.Name, s.Precision, s.Recall, s.F1, s.Alarms, s.FalseAlarms, 100*s.AlarmedFraction)
	}
	fmt.Fprintf(&b, "\nomen ETA where the truth is within the horizon (%d pairs): median relative error %.1f%%, P90 %.1f%%, P10–P90 coverage %.1f%%, P50 beyond the horizon %d.\n",
		r.Omen.ETAPairs, 100*r.Omen.MedianRelErr, 100*r.Omen.P90RelErr, 100*r.Omen.Coverage, r.Omen.MissedInRange)
	fmt.Fprintf(&b, "\n%d predictions, %s each on average, %s in all.\n\n", r.Predictions, r.PerPrediction.Round(time.Microsecond), r.Elapsed.Round(time.Millisecond))
	b.WriteString("omen per template; the last columns are the F1 (fills) or false alarms per series-day (traps) of the first two rules.\n\n")
	b.WriteString("| template | trap | n | TP | FP | FN | false alarms/day | median rel. err | P90 rel. err | coverage | ETA pairs | rule 1 | rule 2 |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range r.Templates {
		fmt.Fprintf(&b, "| %s | %v | %d | %d | %d | %d | %.3f | %.1f%% | %.1f%% | %.1f%% | %d |", t.Template, t.Trap, t.Scenarios,
			t.TP, t.FP, t.FN, t.FalseAlarms, 100*t.MedianRelErr, 100*t.P90RelErr, 100*t.Coverage, t.ETAPairs)
		for k := range 2 {
			switch {
			case k >= len(t.Rules):
				b.WriteString(" |")
			case t.Trap:
				fmt.Fprintf(&b, " %.3f/day |", t.Rules[k].FalseAlarms)
			default:
				fmt.Fprintf(&b, " F1 %.2f |", t.Rules[k].F1)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fmtD(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
