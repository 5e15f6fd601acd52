package pir

import (
	"fmt"
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
	ID string `json:"id"`
	// Aliases are the other names the incident is known by (PagerDuty's
	// incident_number and #N, incident.io's ULID); records of two sources
	// sharing an ID or an alias are the same incident.
	Aliases []string `json:"aliases,omitempty"`
	// Source names the format the record was read from: yaml, csv,
	// pagerduty, incidentio, firehydrant, rootly, opsgenie or markdown;
	// merged records join them with "+" (markdown+pagerduty).
	Source string `json:"source"`
	// Files are the files the record was read from, in the order merged.
	Files []string `json:"files,omitempty"`
	// URL links to the incident in its tool or to its review.
	URL string `json:"url,omitempty"`
	// Title is the incident's one-line description.
	Title string `json:"title,omitempty"`
	// Severity is the severity as the source spells it (SEV1, critical,
	// P1, high).
	Severity string `json:"severity,omitempty"`
	// Labels are matched with the alerts' labels (service, team, cluster).
	// A value holding "|" lists alternatives, as a Prometheus regular
	// expression matcher would: "checkout|payments".
	Labels map[string]string `json:"labels,omitempty"`

	// StartedAt is when the incident began (impact started). It is the
	// start every quality figure uses.
	StartedAt time.Time `json:"started_at"`
	// DetectedAt is when someone or something first noticed it; zero when
	// unknown.
	DetectedAt time.Time `json:"detected_at,omitzero"`
	// AcknowledgedAt is when a responder took it; zero when unknown.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	// MitigatedAt is when impact stopped; zero when unknown.
	MitigatedAt time.Time `json:"mitigated_at,omitzero"`
	// ResolvedAt is when the incident was over: its end. Zero when the
	// source gave no end (the incident is then taken to last
	// DefaultDuration).
	ResolvedAt time.Time `json:"resolved_at,omitzero"`

	// Detection is how the incident was detected.
	Detection Detection `json:"detection"`
	// RootCauses are the causes the review names, each with a category.
	RootCauses []RootCause `json:"root_causes,omitempty"`
	// Trigger is what set the incident off (a deploy, a traffic spike), as
	// written.
	Trigger string `json:"trigger,omitempty"`
	// Summary, Impact, Resolution and Lessons are the review's sections of
	// those names, as written (Markdown).
	Summary    string `json:"summary,omitempty"`
	Impact     string `json:"impact,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	Lessons    string `json:"lessons,omitempty"`
	// ActionItems are the follow-ups the review lists.
	ActionItems []ActionItem `json:"action_items,omitempty"`
	// Timeline is the review's timeline, in the order written.
	Timeline []TimelineEntry `json:"timeline,omitempty"`
	// Mode tells a real incident from a drill, test or game day.
	Mode Mode `json:"mode"`

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

// MarshalText writes the mode as String does.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads "real", "drill" or "".
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "", "real":
		*m = ModeReal
	case "drill":
		*m = ModeDrill
	default:
		return fmt.Errorf("pir: unknown mode %q: want real or drill", b)
	}
	return nil
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

// MarshalText writes the method as String does.
func (m Method) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a method's name; "unknown" and "" are the zero value.
func (m *Method) UnmarshalText(b []byte) error {
	switch s := Method(b); s {
	case "", "unknown":
		*m = MethodUnknown
	case MethodAlert, MethodCustomer, MethodHuman:
		*m = s
	default:
		return fmt.Errorf("pir: unknown detection method %q: want alert, customer, human or unknown", b)
	}
	return nil
}

// ByPeople reports whether people, not an alert, detected the incident
// (a customer or someone in the team).
func (m Method) ByPeople() bool { return m == MethodCustomer || m == MethodHuman }

// Detection is how an incident was detected.
type Detection struct {
	// Method is alert, customer, human or unknown.
	Method Method `json:"method"`
	// Alerts are the alert names that detected it (paged by
	// HighErrorRate), in the order found.
	Alerts []string `json:"alerts,omitempty"`
	// Evidence is the text the method was read from (a front matter field,
	// a timeline entry, a section's sentence).
	Evidence string `json:"evidence,omitempty"`
}

// RootCause is one cause a review names.
type RootCause struct {
	// Text is the cause as written.
	Text string `json:"text"`
	// Category is the kind of cause (see Categories); "" when none of the
	// categories' words appear.
	Category string `json:"category,omitempty"`
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
	Text string `json:"text"`
	// Type is prevent, mitigate, process or unknown.
	Type ActionType `json:"type"`
	// Owner is who owns it (@alice, team-sre); "" when not said.
	Owner string `json:"owner,omitempty"`
	// Status is the item's status as written (open, done, TODO), "done"
	// for a ticked checkbox and "open" for an empty one.
	Status string `json:"status,omitempty"`
	// Reference is the ticket or link tracking it (JIRA-123, a URL).
	Reference string `json:"reference,omitempty"`
	// Alerts are the alert rule names the item names.
	Alerts []string `json:"alerts,omitempty"`
	// Topics are what the item is about among threshold, disk, memory,
	// capacity and alert, in that order.
	Topics []string `json:"topics,omitempty"`
}

// TimelineEntry is one line of a review's timeline.
type TimelineEntry struct {
	// At is the instant of the entry.
	At time.Time `json:"at"`
	// Text is what happened, as written.
	Text string `json:"text"`
	// Line is the 1-based line of the entry in its file.
	Line int `json:"line,omitempty"`
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
