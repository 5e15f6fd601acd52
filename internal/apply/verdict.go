package apply

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Observation is what the verification window showed of a change: the
// rule as applied (realised, or replayed) and the old rule replayed over
// the same window, scored against the incidents with the definitions of
// omen quality.
type Observation struct {
	// Start and End bound the window.
	Start, End time.Time
	// Pages are the rule's pages in the window.
	Pages int
	// Incidents are those that started in the window; Caught those the
	// rule caught, OldCaught those the old rule caught.
	Incidents []string
	Caught    []string
	OldCaught []string
	// OldPages are the old rule's pages in the window.
	OldPages int
	// Health is the rule's health on the server ("" when no server was
	// asked or it does not evaluate the rule) and HealthError its last
	// error.
	Health, HealthError string
}

// Criteria are the tolerances of a verification (see VerifyPolicy).
type Criteria struct {
	PagesTolerance  float64
	PagesSlack      float64
	RecallTolerance float64
	MinIncidents    int
}

// criteria returns the policy's tolerances with their defaults.
func (v VerifyPolicy) criteria() Criteria {
	c := Criteria{PagesTolerance: DefaultPagesTolerance, PagesSlack: DefaultPagesSlack, RecallTolerance: DefaultRecallTolerance, MinIncidents: v.MinIncidents}
	if v.PagesTolerance != nil {
		c.PagesTolerance = float64(*v.PagesTolerance)
	}
	if v.PagesSlack != nil {
		c.PagesSlack = *v.PagesSlack
	}
	if v.RecallTolerance != nil {
		c.RecallTolerance = float64(*v.RecallTolerance)
	}
	if c.MinIncidents == 0 {
		c.MinIncidents = 1
	}
	return c
}

// weeks returns the window's length in weeks.
func (o Observation) weeks() float64 { return o.End.Sub(o.Start).Hours() / (7 * 24) }

// Judge decides a verification: it fails when the rule's health is err,
// when an incident the old rule caught was missed, when the pages exceed
// the promise (more than promised pages per week × window × (1 +
// PagesTolerance) + PagesSlack), or when at least MinIncidents incidents
// started in the window and the share caught is below the promised
// recall by more than RecallTolerance. It returns the verdict and the
// reasons: the failures, or, when it passed, what was checked.
func Judge(p Promise, o Observation, c Criteria) (passed bool, reasons []string) {
	var fails, checks []string
	switch o.Health {
	case "err":
		msg := "the rule's health is err on the server"
		if o.HealthError != "" {
			msg += ": " + o.HealthError
		}
		fails = append(fails, msg)
	case "ok":
		checks = append(checks, "health ok")
	}
	var lost []string
	for _, id := range o.OldCaught {
		if !slices.Contains(o.Caught, id) {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		fails = append(fails, fmt.Sprintf("the old rule would have caught %s, the new one missed %s", list(lost), them(len(lost))))
	} else if len(o.OldCaught) > 0 {
		checks = append(checks, fmt.Sprintf("caught every incident the old rule would have (%s)", list(o.OldCaught)))
	}
	if p.PagesPerWeek != nil {
		expected := *p.PagesPerWeek * o.weeks()
		allowed := expected*(1+c.PagesTolerance) + c.PagesSlack
		if float64(o.Pages) > allowed+1e-9 {
			fails = append(fails, fmt.Sprintf("%d pages in the window, more than the %s allowed by the promise of %s a week (%s expected, +%s, +%s)",
				o.Pages, num(allowed), num(*p.PagesPerWeek), num(expected), percent(c.PagesTolerance), num(c.PagesSlack)))
		} else {
			checks = append(checks, fmt.Sprintf("%d pages, within the %s allowed by the promise of %s a week (the old rule: %d)", o.Pages, num(allowed), num(*p.PagesPerWeek), o.OldPages))
		}
	}
	if p.Recall != nil && len(o.Incidents) >= c.MinIncidents && len(o.Incidents) > 0 {
		recall := float64(len(o.Caught)) / float64(len(o.Incidents))
		if recall < *p.Recall-c.RecallTolerance-1e-9 {
			fails = append(fails, fmt.Sprintf("caught %d of %d incidents (%s), below the promised %s by more than %s",
				len(o.Caught), len(o.Incidents), percent(recall), percent(*p.Recall), percent(c.RecallTolerance)))
		} else {
			checks = append(checks, fmt.Sprintf("caught %d of %d incidents (promised %s)", len(o.Caught), len(o.Incidents), percent(*p.Recall)))
		}
	}
	if len(fails) > 0 {
		return false, fails
	}
	return true, checks
}

func list(ids []string) string { return strings.Join(ids, ", ") }

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func num(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}
