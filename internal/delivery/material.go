package delivery

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Thresholds of a material change: what makes a proposal rejected once
// (its pull request closed without merging) worth proposing again.
const (
	// ValueTolerance is the relative distance between a new value and the
	// rejected one beyond which the value is new.
	ValueTolerance = 0.10
	// PagesTolerance and PagesFloor: pages per week after the change that
	// differ from the rejected proposal's by more than 25% and by at least
	// 0.5 a week are new evidence.
	PagesTolerance = 0.25
	PagesFloor     = 0.5
)

// materialChange reports whether proposal p differs materially from old,
// a proposal for the same rule whose pull request was closed without
// merging, and says how. It is material when p changes other fields; when
// a value is more than ValueTolerance away from the rejected one (a label
// value: any difference); when other incidents are caught after the change
// (the ids, or their count when only counts are known) or the proposal
// names an incident the rejected one did not (new incidents since); when
// pages per week after the change moved by more than PagesTolerance and
// PagesFloor. Otherwise the same change on the same evidence is not
// proposed again.
func materialChange(old stateProposal, p Proposal) (bool, string) {
	oldFields := make([]string, len(old.Changes))
	for i, c := range old.Changes {
		oldFields[i] = c.Field
	}
	slices.Sort(oldFields)
	if !slices.Equal(oldFields, p.Fields()) {
		return true, fmt.Sprintf("it changes %s where the rejected one changed %s", strings.Join(p.Fields(), ", "), strings.Join(oldFields, ", "))
	}
	for _, c := range p.Changes {
		var oc Change
		for _, o := range old.Changes {
			if o.Field == c.Field {
				oc = o
			}
		}
		nv, ok1 := c.Magnitude(c.To)
		ov, ok2 := oc.Magnitude(oc.To)
		if !ok1 || !ok2 {
			if c.To.String() != oc.To.String() {
				return true, fmt.Sprintf("%s is now %s, the rejected proposal had %s", c.Field, c.To, oc.To)
			}
			continue
		}
		if relDiff(nv, ov) > ValueTolerance {
			return true, fmt.Sprintf("%s is now %s, more than %.0f%% from the rejected %s", c.Field, c.To, 100*ValueTolerance, oc.To)
		}
	}
	e := newEvidence(p)
	o := old.Evidence
	switch {
	case e.Caught != nil && o.Caught != nil && !sameSet(e.Caught, o.Caught):
		return true, fmt.Sprintf("it now catches %s, the rejected proposal %s", idList(e.Caught), idList(o.Caught))
	case e.CaughtCount != nil && o.CaughtCount != nil && *e.CaughtCount != *o.CaughtCount:
		return true, fmt.Sprintf("it now catches %d incidents, the rejected proposal %d", *e.CaughtCount, *o.CaughtCount)
	}
	for _, id := range e.Incidents {
		if !slices.Contains(o.Incidents, id) {
			return true, fmt.Sprintf("incident %s is new since the rejection", id)
		}
	}
	if e.PagesPerWeek != nil && o.PagesPerWeek != nil {
		d := math.Abs(*e.PagesPerWeek - *o.PagesPerWeek)
		if d >= PagesFloor && relDiff(*e.PagesPerWeek, *o.PagesPerWeek) > PagesTolerance {
			return true, fmt.Sprintf("pages per week after the change are now %.1f, the rejected proposal had %.1f", *e.PagesPerWeek, *o.PagesPerWeek)
		}
	}
	return false, "the same change on the same evidence"
}

// relDiff is |a − b| relative to the larger magnitude (0 when both are 0).
func relDiff(a, b float64) float64 {
	m := math.Max(math.Abs(a), math.Abs(b))
	if m == 0 {
		return 0
	}
	return math.Abs(a-b) / m
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func idList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// changeComment says what changed between the proposals a pull request
// recorded (old) and the new ones; "" when nothing a reviewer cares about
// did (same rules, same values, same evidence).
func changeComment(old state, ps []Proposal, rebasedOn string) string {
	var lines []string
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Key()] = true
		var prev *stateProposal
		for i := range old.Proposals {
			if old.Proposals[i].Key == p.Key() {
				prev = &old.Proposals[i]
			}
		}
		if prev == nil {
			lines = append(lines, fmt.Sprintf("- added `%s`: %s", p.Title(), summaryChanges(p)))
			continue
		}
		var diffs []string
		for _, c := range p.Changes {
			was := ""
			for _, o := range prev.Changes {
				if o.Field == c.Field {
					was = o.To.String()
				}
			}
			switch {
			case was == "":
				diffs = append(diffs, fmt.Sprintf("now also %s %s → %s", c.Field, c.From, c.To))
			case was != c.To.String():
				diffs = append(diffs, fmt.Sprintf("%s → %s (was → %s)", c.Field, c.To, was))
			}
		}
		e, o := newEvidence(p), prev.Evidence
		if e.PagesPerWeek != nil && o.PagesPerWeek != nil && math.Abs(*e.PagesPerWeek-*o.PagesPerWeek) >= 0.05 {
			diffs = append(diffs, fmt.Sprintf("pages/week after %.1f (was %.1f)", *e.PagesPerWeek, *o.PagesPerWeek))
		}
		if e.Caught != nil && o.Caught != nil && !sameSet(e.Caught, o.Caught) {
			diffs = append(diffs, fmt.Sprintf("catches %s (was %s)", idList(e.Caught), idList(o.Caught)))
		} else if e.CaughtCount != nil && o.CaughtCount != nil && *e.CaughtCount != *o.CaughtCount {
			diffs = append(diffs, fmt.Sprintf("catches %d incidents (was %d)", *e.CaughtCount, *o.CaughtCount))
		}
		for _, id := range e.Incidents {
			if !slices.Contains(o.Incidents, id) {
				diffs = append(diffs, "new incident "+id)
			}
		}
		if len(diffs) > 0 {
			lines = append(lines, fmt.Sprintf("- `%s`: %s", p.Title(), strings.Join(diffs, "; ")))
		}
	}
	for _, o := range old.Proposals {
		if !seen[o.Key] {
			lines = append(lines, fmt.Sprintf("- dropped `%s`: the tuner no longer proposes it", o.Title()))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	head := "omen updated this pull request:"
	if rebasedOn != "" {
		head = fmt.Sprintf("omen updated this pull request (one commit, now on top of %s):", rebasedOn)
	}
	return head + "\n\n" + strings.Join(lines, "\n") + "\n"
}
