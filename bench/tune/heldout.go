package tune

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/stats"
	"github.com/omenhq/omen/tuner"
	"github.com/omenhq/omen/tuner/yamledit"
)

// Querier reads a Prometheus-compatible server for the tuner.
type Querier struct{ c *prom.Client }

// NewQuerier returns a Querier of the server at url.
func NewQuerier(url string) (*Querier, error) {
	c, err := prom.New(prom.Config{URL: url, Timeout: 5 * time.Minute})
	if err != nil {
		return nil, err
	}
	return &Querier{c: c}, nil
}

// QueryRange implements tuner.Querier.
func (q *Querier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Series, error) {
	res, err := q.c.QueryRange(ctx, source.Query{Expr: expr, Start: start, End: end, Step: step})
	if err != nil {
		return nil, err
	}
	return res.Series, nil
}

// Score is a rule set's figures over a window.
type Score struct {
	// Incidents, Caught and Paged count the incidents whose start lies in
	// the window, those some firing matched, those a paging firing did.
	Incidents, Caught, Paged int
	// PagesPerWeek is over all rules; MaxRulePagesPerWeek the largest of
	// one rule, OverBudget the rules above the budget.
	PagesPerWeek        float64
	MaxRulePagesPerWeek float64
	OverBudget          int
	// OverBudgetRules says which rules, with their pages a week and
	// precision.
	OverBudgetRules []string
	// LeadMedian is the median over the caught incidents of the start
	// minus the earliest matching firing (the best rule's warning), in
	// seconds; NaN when none was caught.
	LeadMedian float64
	// Leads are the lead times in seconds by incident id (caught ones).
	Leads map[string]float64
	// Objective is the tuner's objective summed over the rules
	// (tuner.Score per rule), with 10^6 taken off per page a week above
	// the budget: see ObjectiveOf.
	Objective float64
	// ObjectiveRaw is the same without the budget's penalty: what the
	// rules earn in incidents paged, caught, lead and pages alone.
	ObjectiveRaw float64
}

// BudgetPenalty is what ObjectiveOf takes off per page a week a rule is
// above its budget: more than anything below the budget can earn.
const BudgetPenalty = 1e6

// ScoreOf scores the firings of a rule set (by alert name, over rules)
// against the incidents over [start, end].
func ScoreOf(rules []tuner.Rule, firings map[string][]pir.Firing, incs []pir.Incident, start, end time.Time, budget float64, leadWindow time.Duration) (Score, error) {
	var rfs []pir.RuleFirings
	var s Score
	cfg := pir.QualityConfig{Start: start, End: end, LeadWindow: leadWindow}
	for _, r := range rules {
		if !r.IsAlert() {
			continue
		}
		ref := pir.RuleRef{File: r.File, Line: r.Line, Group: r.Group, Alert: r.Alert, Labels: r.Labels}
		rf := pir.RuleFirings{Rule: ref, Firings: firings[r.Alert]}
		rfs = append(rfs, rf)
		one, err := pir.Quality([]pir.RuleFirings{rf}, incs, cfg)
		if err != nil {
			return s, err
		}
		var leads []float64
		for _, in := range one.Incidents {
			if in.LeadSeconds != nil {
				leads = append(leads, *in.LeadSeconds)
			}
		}
		rq := one.Rules[0]
		s.Objective += ObjectiveOf(one.Summary.Paged, one.Summary.Caught, rq.Pages, rq.PagesPerWeek, leads, budget, leadWindow)
		s.ObjectiveRaw += tuner.Score(one.Summary.Paged, one.Summary.Caught, rq.Pages, leads, leadWindow)
		s.MaxRulePagesPerWeek = math.Max(s.MaxRulePagesPerWeek, rq.PagesPerWeek)
		if budget > 0 && rq.PagesPerWeek > budget+1e-9 && !tuner.OptedOut(r) {
			s.OverBudget++
			prec := math.NaN()
			if rq.Precision != nil {
				prec = *rq.Precision
			}
			s.OverBudgetRules = append(s.OverBudgetRules, fmt.Sprintf("%s %.2f/week precision %.2f", r.Alert, rq.PagesPerWeek, prec))
		}
	}
	rep, err := pir.Quality(rfs, incs, cfg)
	if err != nil {
		return s, err
	}
	s.Incidents, s.Caught, s.Paged, s.PagesPerWeek = rep.Summary.Incidents, rep.Summary.Caught, rep.Summary.Paged, rep.Summary.PagesPerWeek
	var leads []float64
	s.Leads = map[string]float64{}
	for _, in := range rep.Incidents {
		if in.LeadSeconds != nil {
			leads = append(leads, *in.LeadSeconds)
			s.Leads[in.ID] = *in.LeadSeconds
		}
	}
	s.LeadMedian = math.NaN()
	if len(leads) > 0 {
		s.LeadMedian = stats.Median(leads)
	}
	return s, nil
}

// ObjectiveOf is one rule's objective over a window: tuner.Score (10^4 per
// incident paged, 10^2 per incident caught, the lead times, a thousandth
// per page) minus BudgetPenalty per page a week over the budget.
func ObjectiveOf(paged, caught, pages int, pagesPerWeek float64, leads []float64, budget float64, leadWindow time.Duration) float64 {
	j := tuner.Score(paged, caught, pages, leads, leadWindow)
	if budget > 0 && pagesPerWeek > budget {
		j -= BudgetPenalty * (pagesPerWeek - budget)
	}
	return j
}

// Fraction is "the fraction of the way from the original rules to the
// hindsight ones": (after − original) / (hindsight − original) on the
// objective; 1 when hindsight does no better than the original.
func Fraction(orig, after, hindsight float64) float64 {
	if hindsight-orig <= 1e-9 {
		return 1
	}
	return (after - orig) / (hindsight - orig)
}

// WriteProposals applies proposals to the rule file at src (whose
// relative name is file) with the minimal editor and writes the result to
// dst (a temporary file renamed).
func WriteProposals(src, file, dst string, ps []tuner.Proposal) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.File != file {
			continue
		}
		out, err := delivery.EditRules(b, file, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Alert, err)
		}
		b = out
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return yamledit.WriteFile(dst, b, 0o644)
}

// Prefixed returns a rule file's text with every alert name prefixed, so
// that several sets replayed into one server can be told apart.
func Prefixed(ruleFile, prefix string) string {
	return strings.ReplaceAll(ruleFile, "- alert: ", "- alert: "+prefix)
}

// SplitByPrefix returns the firings of the alerts named prefix+NAME, by
// NAME.
func SplitByPrefix(fs []pir.Firing, prefix string) map[string][]pir.Firing {
	out := map[string][]pir.Firing{}
	for _, f := range fs {
		name, ok := strings.CutPrefix(f.Alert, prefix)
		if !ok {
			continue
		}
		f.Alert = name
		f.Labels = f.Labels.Without("alertname")
		out[name] = append(out[name], f)
	}
	return out
}

// ByAlert groups a replay's firings by alert name.
func ByAlert(res *tuner.ReplayResult) map[string][]pir.Firing {
	out := map[string][]pir.Firing{}
	for _, rr := range res.Rules {
		out[rr.Rule.Alert] = append(out[rr.Rule.Alert], rr.Firings...)
	}
	return out
}

// Changed lists the alert names a proposals file changes.
func Changed(ps []tuner.Proposal) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Alert)
	}
	slices.Sort(out)
	return out
}
