package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

// incidentsOptions are the flags of omen incidents.
type incidentsOptions struct {
	Incidents     []string
	Start, End    string
	IncludeDrills bool
	Rules         string
	Output        string
}

const incidentsFormatsHelp = `Formats, told by content (a file, or a directory read recursively):
  - minimal YAML (Lapilli): a list, or incidents: holding one, of {id, start, end, title, labels}
  - PagerDuty REST API v2 GET /incidents bodies: created_at is the start, resolved_at (or
    last_status_change_at when resolved) the end, service.summary the label service,
    incident_number and #N aliases of the id
  - incident.io API v2 GET /v2/incidents (timestamps, severity; the reference is the id)
  - FireHydrant GET /v1/incidents (milestones), Rootly GET /v1/incidents (JSON:API)
  - Opsgenie alert lists (GET /v2/alerts): each alert one incident
  - CSV: id,start,end,title then label columns
  - Markdown reviews: a YAML front matter (id, title, severity, started_at, detected_at,
    resolved_at, service or labels, date, timezone) and the Google SRE template's sections
    (Summary, Impact, Root causes, Trigger, Detection, Resolution, Action items, Lessons
    learned, Timeline). Without started_at the start is the Timeline's first entry
    ("- YYYY-MM-DD HH:MM text", or "- HH:MM text" dated by the front matter's date), in UTC
    unless the time ends with Z, UTC or ±HH:MM or the front matter has timezone: <IANA name>.
Records of several files with the same id or alias are merged: a review's fields win over
an incident tool's, which win over a YAML or CSV list; labels are joined.`

func newIncidentsCmd(g *globalOptions) *cobra.Command {
	o := &incidentsOptions{}
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "List incidents from post-incident reviews and incident tool exports, with MTTD and MTTR",
		Long: `incidents reads incidents from post-incident reviews and incident tools' exports and lists
them with what their content tells: when each started, was detected and resolved, how it was
detected (by an alert, naming it, by a customer, by the team), its root-cause categories
and its action items (those naming an alert rule, a threshold, disk, memory or capacity).
A summary follows: count, mean time to detect (detected − started) and to resolve
(resolved − started), detected by alert against by people, the top root-cause categories.

Detection is read from the front matter (detected_at, detection, alerts), else from the
Detection section, else from the first Timeline entry that tells ("paged by HighErrorRate",
"customer reported"); that entry's time is the detection time when none is given.
--rules links the action items to the alerting rules they are about: an item naming a rule
word for word, and an item about disk, memory or capacity naming none to the rules whose names
hold that topic's words (DiskAlmostFull, ContainerOOMKilled).

Drills (incident.io test and tutorial modes, Rootly test kinds, drill: true, a "[DRILL]"
title) are left out unless --include-drills.

` + incidentsFormatsHelp,
		Example: `  omen incidents --incidents pirs/
  omen incidents --incidents pagerduty-export.json --incidents pirs/ --start 2024-01-01 --format markdown
  omen incidents --incidents pirs/ --format json > incidents.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runIncidents(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Incidents, "incidents", nil, "incident `PATH`: a file or a directory of mixed files (repeatable)")
	f.StringVar(&o.Start, "start", "", "only incidents starting at or after `TIME`")
	f.StringVar(&o.End, "end", "", "only incidents starting at or before `TIME`")
	f.BoolVar(&o.IncludeDrills, "include-drills", false, "count drills, tests and game days as incidents")
	f.StringVar(&o.Rules, "rules", "", "link action items to the alerting rules of `PATH` (a rule file, a PrometheusRule manifest or a directory)")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	return cmd
}

func runIncidents(ctx context.Context, g *globalOptions, o *incidentsOptions) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	incs, skipped, err := loadIncidents(g, o.Incidents, o.Start, o.End, o.IncludeDrills)
	if err != nil {
		return err
	}
	if o.Rules != "" {
		rules, err := tuner.Load(o.Rules, tuner.LoadOptions{OnSkip: func(path string, err error) {
			g.logger.Info("skipped", "file", path, "reason", err)
		}})
		if err != nil {
			return err
		}
		var names []string
		for _, r := range rules {
			if r.IsAlert() && !slices.Contains(names, r.Alert) {
				names = append(names, r.Alert)
			}
		}
		n := pir.LinkRules(incs, names)
		g.logger.Info("action items linked to rules", "rules", len(names), "items", n)
	}
	sum := pir.Summarize(incs)
	return writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error {
		if g.Format == "json" || g.Format == "yaml" {
			if incs == nil {
				incs = []pir.Incident{}
			}
			return writeData(w, g.Format, struct {
				Incidents []pir.Incident      `json:"incidents"`
				Summary   pir.IncidentSummary `json:"summary"`
				Skipped   []string            `json:"skipped,omitempty"`
			}{incs, sum, skipped})
		}
		if err := writeTable(w, g.Format, g.display(o.Output), incidentsTable(incs)); err != nil {
			return err
		}
		if g.Format == "csv" {
			return nil
		}
		return writeTable(w, g.Format, g.display(o.Output), incidentSummaryTable(sum))
	})
}

// loadIncidents reads the incident paths and keeps those starting in
// [start, end] (either may be empty), drills left out unless asked.
func loadIncidents(g *globalOptions, paths []string, start, end string, drills bool) ([]pir.Incident, []string, error) {
	if len(paths) == 0 {
		return nil, nil, usagef("--incidents is required: a file or a directory of reviews and exports")
	}
	l, err := pir.Load(paths...)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range l.Skipped {
		g.logger.Info("skipped", "what", s)
	}
	var from, to time.Time
	if start != "" {
		if from, err = parseTime(start, g.now()); err != nil {
			return nil, nil, usagef("invalid --start: %v", err)
		}
	}
	if end != "" {
		if to, err = parseTime(end, g.now()); err != nil {
			return nil, nil, usagef("invalid --end: %v", err)
		}
	}
	var out []pir.Incident
	for _, in := range l.Incidents {
		if in.Mode.IsDrill() && !drills {
			continue
		}
		if (!from.IsZero() && in.StartedAt.Before(from)) || (!to.IsZero() && in.StartedAt.After(to)) {
			continue
		}
		out = append(out, in)
	}
	g.logger.Info("incidents read", "files", l.Files, "incidents", len(out))
	return out, l.Skipped, nil
}

func incidentsTable(incs []pir.Incident) tableData {
	t := tableData{
		Title:    plural(len(incs), "incident"),
		Header:   []string{"ID", "STARTED", "SEVERITY", "DETECTED BY", "TTD", "TTR", "ROOT CAUSE", "ACTION ITEMS", "TITLE"},
		Right:    []int{4, 5},
		Detail:   "TITLE",
		Optional: []string{"ACTION ITEMS", "TTR", "DETECTED BY"},
		Cut:      []string{"ID", "ROOT CAUSE", "DETECTED BY"},
	}
	for _, in := range incs {
		det := in.Detection.Method.String()
		if len(in.Detection.Alerts) > 0 {
			det += " (" + strings.Join(in.Detection.Alerts, ", ") + ")"
		}
		ttd, ttr := "-", "-"
		if d, ok := in.DetectionDelay(); ok {
			ttd = fmtDuration(d)
		}
		if d, ok := in.Duration(); ok {
			ttr = fmtDuration(d)
		}
		var cats []string
		for _, rc := range in.RootCauses {
			if rc.Category != "" && !slices.Contains(cats, rc.Category) {
				cats = append(cats, rc.Category)
			}
		}
		rootCause := strings.Join(cats, ", ")
		if rootCause == "" {
			rootCause = "-"
		}
		t.Rows = append(t.Rows, []string{in.ID, in.StartedAt.UTC().Format("2006-01-02 15:04"), orDash(in.Severity), det, ttd, ttr, rootCause, actionSummary(in.ActionItems), in.Title})
	}
	return t
}

// actionSummary says how many action items there are and what the ones
// about alerts and capacity name.
func actionSummary(items []pir.ActionItem) string {
	if len(items) == 0 {
		return "-"
	}
	var about []string
	for _, it := range items {
		for _, a := range it.Alerts {
			if !slices.Contains(about, a) {
				about = append(about, a)
			}
		}
		for _, tp := range it.Topics {
			if tp != "alert" && !slices.Contains(about, tp) {
				about = append(about, tp)
			}
		}
	}
	s := strconv.Itoa(len(items))
	if len(about) > 0 {
		s += ": " + strings.Join(about, ", ")
	}
	return s
}

func incidentSummaryTable(s pir.IncidentSummary) tableData {
	secs := func(p *float64, n int) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%s (over %d)", fmtDuration(time.Duration(*p*float64(time.Second)).Round(time.Second)), n)
	}
	var cats []string
	for i, c := range s.RootCauses {
		if i == 5 {
			break
		}
		cats = append(cats, fmt.Sprintf("%s %d", c.Category, c.Count))
	}
	return tableData{
		Title:  "Summary",
		Header: []string{"INCIDENTS", "MTTD", "MTTR", "BY ALERT", "BY PEOPLE", "UNKNOWN", "TOP ROOT CAUSES"},
		Rows: [][]string{{
			strconv.Itoa(s.Incidents), secs(s.MTTDSeconds, s.Detected), secs(s.MTTRSeconds, s.Resolved),
			strconv.Itoa(s.ByAlert), fmt.Sprintf("%d (customer %d, team %d)", s.ByPeople, s.ByCustomer, s.ByHuman),
			strconv.Itoa(s.Unknown), orDash(strings.Join(cats, ", ")),
		}},
		Right: []int{0, 3, 5},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
