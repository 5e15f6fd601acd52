package pir

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultDuration is how long an incident without an end is taken to last
// when it is matched with firings.
const DefaultDuration = time.Hour

// Incident is one incident as a team recorded it: in a post-incident review,
// an incident tool's export or a plain list of windows. Only ID and
// StartedAt are always set; every other field is what the source told.
type Incident struct {
	// ID identifies the incident (PagerDuty's id, incident.io's reference
	// INC-123, a review's front matter id).
	ID string
	// Aliases are the other names the incident is known by (PagerDuty's
	// incident_number and #N, incident.io's ULID); records of two sources
	// sharing an ID or an alias are the same incident.
	Aliases []string
	// Source names the format the record was read from: yaml, csv,
	// pagerduty, incidentio, firehydrant, rootly, opsgenie or markdown;
	// merged records join them with "+" (markdown+pagerduty).
	Source string
	// Files are the files the record was read from, in the order merged.
	Files []string
	// URL links to the incident in its tool or to its review.
	URL string
	// Title is the incident's one-line description.
	Title string
	// Severity is the severity as the source spells it (SEV1, critical,
	// P1, high).
	Severity string
	// Labels are matched with the alerts' labels (service, team, cluster).
	// A value holding "|" lists alternatives, as a Prometheus regular
	// expression matcher would: "checkout|payments".
	Labels map[string]string

	// StartedAt is when the incident began (impact started). It is the
	// start every quality figure uses.
	StartedAt time.Time
	// DetectedAt is when someone or something first noticed it; zero when
	// unknown.
	DetectedAt time.Time
	// AcknowledgedAt is when a responder took it; zero when unknown.
	AcknowledgedAt time.Time
	// MitigatedAt is when impact stopped; zero when unknown.
	MitigatedAt time.Time
	// ResolvedAt is when the incident was over: its end. Zero when the
	// source gave no end (the incident is then taken to last
	// DefaultDuration).
	ResolvedAt time.Time

	// Detection is how the incident was detected.
	Detection Detection
	// RootCauses are the causes the review names, each with a category.
	RootCauses []RootCause
	// Trigger is what set the incident off (a deploy, a traffic spike), as
	// written.
	Trigger string
	// Summary, Impact, Resolution and Lessons are the review's sections of
	// those names, as written (Markdown).
	Summary, Impact, Resolution, Lessons string
	// ActionItems are the follow-ups the review lists.
	ActionItems []ActionItem
	// Timeline is the review's timeline, in the order written.
	Timeline []TimelineEntry
	// Mode tells a real incident from a drill, test or game day.
	Mode Mode

	// detectionText is a review's Detection section, mined for the method.
	detectionText string
}

// End returns when the incident ended: ResolvedAt, or StartedAt plus
// DefaultDuration when the source gave no end.
func (in *Incident) End() time.Time {
	if !in.ResolvedAt.IsZero() {
		return in.ResolvedAt
	}
	return in.StartedAt.Add(DefaultDuration)
}

// DetectionDelay returns DetectedAt − StartedAt and whether both are
// known.
func (in *Incident) DetectionDelay() (time.Duration, bool) {
	if in.DetectedAt.IsZero() || in.StartedAt.IsZero() {
		return 0, false
	}
	return in.DetectedAt.Sub(in.StartedAt), true
}

// Duration returns ResolvedAt − StartedAt (time to resolve) and whether
// the end is known.
func (in *Incident) Duration() (time.Duration, bool) {
	if in.ResolvedAt.IsZero() || in.StartedAt.IsZero() {
		return 0, false
	}
	return in.ResolvedAt.Sub(in.StartedAt), true
}

// Names returns the ID followed by the aliases.
func (in *Incident) Names() []string {
	return append([]string{in.ID}, in.Aliases...)
}

// Mode tells a real incident from an exercise.
type Mode string

// Modes. The zero value is a real incident.
const (
	ModeReal  Mode = ""
	ModeDrill Mode = "drill"
)

// IsDrill reports whether m is a drill, test, tutorial or game day, which
// quality figures leave out unless asked.
func (m Mode) IsDrill() bool { return m == ModeDrill }

// String returns "real" or "drill".
func (m Mode) String() string {
	if m == ModeDrill {
		return "drill"
	}
	return "real"
}

// Method is how an incident was detected.
type Method string

// Detection methods. The zero value is unknown.
const (
	MethodUnknown  Method = ""
	MethodAlert    Method = "alert"
	MethodCustomer Method = "customer"
	MethodHuman    Method = "human"
)

// String returns the method's name, "unknown" for the zero value.
func (m Method) String() string {
	if m == MethodUnknown {
		return "unknown"
	}
	return string(m)
}

// ByPeople reports whether people, not an alert, detected the incident
// (a customer or someone in the team).
func (m Method) ByPeople() bool { return m == MethodCustomer || m == MethodHuman }

// Detection is how an incident was detected.
type Detection struct {
	// Method is alert, customer, human or unknown.
	Method Method
	// Alerts are the alert names that detected it (paged by
	// HighErrorRate), in the order found.
	Alerts []string
	// Evidence is the text the method was read from (a front matter field,
	// a timeline entry, a section's sentence).
	Evidence string
}

// RootCause is one cause a review names.
type RootCause struct {
	// Text is the cause as written.
	Text string
	// Category is the kind of cause (see Categories); "" when none of the
	// categories' words appear.
	Category string
}

// ActionType is the kind of follow-up an action item is, as in the Google
// SRE postmortem template.
type ActionType string

// Action item types. The zero value is unknown.
const (
	ActionUnknown  ActionType = ""
	ActionPrevent  ActionType = "prevent"
	ActionMitigate ActionType = "mitigate"
	ActionProcess  ActionType = "process"
)

// ActionItem is one follow-up of a review.
type ActionItem struct {
	// Text is the item as written.
	Text string
	// Type is prevent, mitigate, process or unknown.
	Type ActionType
	// Owner is who owns it (@alice, team-sre); "" when not said.
	Owner string
	// Status is the item's status as written (open, done, TODO), "done"
	// for a ticked checkbox and "open" for an empty one.
	Status string
	// Reference is the ticket or link tracking it (JIRA-123, a URL).
	Reference string
	// Alerts are the alert rule names the item names.
	Alerts []string
	// Topics are what the item is about among threshold, disk, memory,
	// capacity and alert, in that order.
	Topics []string
}

// TimelineEntry is one line of a review's timeline.
type TimelineEntry struct {
	// At is the instant of the entry.
	At time.Time
	// Text is what happened, as written.
	Text string
	// Line is the 1-based line of the entry in its file.
	Line int
}

// clone returns a deep copy of in.
func (in Incident) clone() Incident {
	out := in
	out.Aliases = slices.Clone(in.Aliases)
	out.Files = slices.Clone(in.Files)
	out.Labels = maps.Clone(in.Labels)
	out.Detection.Alerts = slices.Clone(in.Detection.Alerts)
	out.RootCauses = slices.Clone(in.RootCauses)
	out.ActionItems = slices.Clone(in.ActionItems)
	for i := range out.ActionItems {
		out.ActionItems[i].Alerts = slices.Clone(out.ActionItems[i].Alerts)
		out.ActionItems[i].Topics = slices.Clone(out.ActionItems[i].Topics)
	}
	out.Timeline = slices.Clone(in.Timeline)
	return out
}

// addAlias appends a non-empty alias not yet among the incident's names.
func (in *Incident) addAlias(a string) {
	a = strings.TrimSpace(a)
	if a == "" || a == in.ID || slices.Contains(in.Aliases, a) {
		return
	}
	in.Aliases = append(in.Aliases, a)
}

// setLabel sets a non-empty label.
func (in *Incident) setLabel(name, value string) {
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if name == "" || value == "" {
		return
	}
	if in.Labels == nil {
		in.Labels = map[string]string{}
	}
	in.Labels[name] = value
}
