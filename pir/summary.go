package pir

import (
	"cmp"
	"slices"
)

// IncidentSummary sums a set of incidents up, as omen incidents prints it.
type IncidentSummary struct {
	// Incidents counts them.
	Incidents int `json:"incidents"`
	// MTTDSeconds is the mean of detected − started over the Detected
	// incidents that have both; nil when none has.
	MTTDSeconds *float64 `json:"mttd_seconds"`
	Detected    int      `json:"with_detection_time"`
	// MTTRSeconds is the mean of resolved − started over the Resolved
	// incidents that have an end; nil when none has.
	MTTRSeconds *float64 `json:"mttr_seconds"`
	Resolved    int      `json:"with_end"`
	// ByAlert counts the incidents an alert detected, ByPeople those
	// people detected (ByCustomer customers, ByHuman the team), Unknown
	// the rest.
	ByAlert    int `json:"detected_by_alert"`
	ByPeople   int `json:"detected_by_people"`
	ByCustomer int `json:"detected_by_customer"`
	ByHuman    int `json:"detected_by_team"`
	Unknown    int `json:"detection_unknown"`
	// RootCauses counts the incidents per root-cause category, most first
	// (an incident counts once per category).
	RootCauses []CategoryCount `json:"root_cause_categories"`
	// ActionItems counts the action items, and Linked those naming an
	// alert rule or about a threshold, disk, memory or capacity.
	ActionItems int `json:"action_items"`
	Linked      int `json:"action_items_about_alerts_or_capacity"`
}

// CategoryCount is how many incidents have a root cause of a category.
type CategoryCount struct {
	Category string `json:"category"`
	Count    int    `json:"count"`
}

// Summarize sums incidents up: count, mean time to detect and to resolve,
// how they were detected, the root-cause categories.
func Summarize(incs []Incident) IncidentSummary {
	s := IncidentSummary{Incidents: len(incs)}
	var ttd, ttr float64
	cats := map[string]int{}
	for i := range incs {
		in := &incs[i]
		if d, ok := in.DetectionDelay(); ok {
			ttd += d.Seconds()
			s.Detected++
		}
		if d, ok := in.Duration(); ok {
			ttr += d.Seconds()
			s.Resolved++
		}
		switch in.Detection.Method {
		case MethodAlert:
			s.ByAlert++
		case MethodCustomer:
			s.ByPeople++
			s.ByCustomer++
		case MethodHuman:
			s.ByPeople++
			s.ByHuman++
		default:
			s.Unknown++
		}
		seen := map[string]bool{}
		for _, rc := range in.RootCauses {
			if rc.Category != "" && !seen[rc.Category] {
				seen[rc.Category] = true
				cats[rc.Category]++
			}
		}
		for _, it := range in.ActionItems {
			s.ActionItems++
			if len(it.Alerts) > 0 || len(it.Topics) > 0 {
				s.Linked++
			}
		}
	}
	if s.Detected > 0 {
		v := ttd / float64(s.Detected)
		s.MTTDSeconds = &v
	}
	if s.Resolved > 0 {
		v := ttr / float64(s.Resolved)
		s.MTTRSeconds = &v
	}
	for c, n := range cats {
		s.RootCauses = append(s.RootCauses, CategoryCount{c, n})
	}
	slices.SortFunc(s.RootCauses, func(a, b CategoryCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Category, b.Category)
	})
	return s
}
