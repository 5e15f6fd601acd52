package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

// incidentFlags are the incident flags of omen whatif.
type incidentFlags struct {
	Incidents     []string
	LeadWindow    time.Duration
	IncludeDrills bool
}

func (o *incidentFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.Incidents, "incidents", nil, "score every variant against the incidents of `PATH` (a file or a directory; repeatable)")
	f.Var(durationValue{d: &o.LeadWindow}, "lead-window", "with --incidents: how long before an incident's start a firing still matches it (default 6h)")
	f.BoolVar(&o.IncludeDrills, "include-drills", false, "with --incidents: count drills, tests and game days as incidents")
}

// IncidentScore is what a what-if variant did against the incidents, with
// omen quality's definitions.
type IncidentScore struct {
	Caught            []string `json:"caught"`
	Missed            []string `json:"missed"`
	Precision         *float64 `json:"precision"`
	Recall            *float64 `json:"recall"`
	LeadSecondsMedian *float64 `json:"lead_seconds_median"`
}

// whatifScores are the scores of the variants: Before, then After.
type whatifScores struct {
	before IncidentScore
	after  []IncidentScore
}

// score scores every variant of res; nil without --incidents.
func (o *incidentFlags) score(g *globalOptions, res *tuner.WhatIfResult, m tuner.MeasureConfig) (*whatifScores, error) {
	if len(o.Incidents) == 0 {
		return nil, nil
	}
	incs, _, err := loadIncidents(g, o.Incidents, "", "", true)
	if err != nil {
		return nil, err
	}
	cfg := pir.QualityConfig{Start: res.Start, End: res.End, LeadWindow: o.LeadWindow, Location: m.Location, PageSeverities: m.PageSeverities, IncludeDrills: o.IncludeDrills, FlapWindow: m.FlapWindow}
	ref := ruleRef(res.Rule)
	one := func(v tuner.Variant) (IncidentScore, error) {
		rep, err := pir.Quality([]pir.RuleFirings{{Rule: ref, Firings: v.Firings}}, incs, cfg)
		if err != nil {
			return IncidentScore{}, err
		}
		r := rep.Rules[0]
		s := IncidentScore{Caught: r.Caught, Missed: rep.Missed(), Precision: r.Precision, Recall: rep.Summary.Recall, LeadSecondsMedian: r.LeadSecondsMedian}
		if s.Caught == nil {
			s.Caught = []string{}
		}
		if s.Missed == nil {
			s.Missed = []string{}
		}
		return s, nil
	}
	out := &whatifScores{}
	if out.before, err = one(res.Before); err != nil {
		return nil, err
	}
	for _, v := range res.After {
		s, err := one(v)
		if err != nil {
			return nil, err
		}
		out.after = append(out.after, s)
	}
	return out, nil
}

// json fills the incident fields of omen whatif's JSON.
func (s *whatifScores) json(out whatifOut) whatifOut {
	if s == nil {
		return out
	}
	out.Before.IncidentScore = &s.before
	for i := range out.Grid {
		out.Grid[i].IncidentScore = &s.after[i]
	}
	if out.After != nil {
		out.After = &out.Grid[0]
	}
	return out
}

// table adds the incident columns to omen whatif's table.
func (s *whatifScores) table(t tableData) tableData {
	if s == nil {
		return t
	}
	n := len(t.Header)
	t.Header = append(t.Header, "CAUGHT", "MISSED", "PRECISION", "RECALL", "LEAD (MEDIAN)")
	t.Right = append(t.Right, n, n+1, n+2, n+3, n+4)
	scores := append([]IncidentScore{s.before}, s.after...)
	for i := range t.Rows {
		if i >= len(scores) {
			break
		}
		sc := scores[i]
		caught := strconv.Itoa(len(sc.Caught))
		if len(sc.Caught) > 0 && len(sc.Caught) <= 4 {
			caught += " (" + strings.Join(sc.Caught, ", ") + ")"
		}
		t.Rows[i] = append(t.Rows[i], caught, strconv.Itoa(len(sc.Missed)), fmtRatio(sc.Precision), fmtRatio(sc.Recall), fmtLead(sc.LeadSecondsMedian))
	}
	return t
}
