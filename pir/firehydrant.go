package pir

import (
	"encoding/json"
	"sort"
	"strings"
)

// fhIncident is the part of a FireHydrant API v1 incident that pir reads
// (GET /v1/incidents, IncidentEntity).
type fhIncident struct {
	ID          jstr     `json:"id"`
	Name        string   `json:"name"`
	Number      jstr     `json:"number"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	CreatedAt   jstr     `json:"created_at"`
	StartedAt   jstr     `json:"started_at"`
	Severity    jstr     `json:"severity"`
	Priority    jstr     `json:"priority"`
	IncidentURL string   `json:"incident_url"`
	TagList     []string `json:"tag_list"`
	Milestones  []struct {
		Type       string `json:"type"`
		OccurredAt jstr   `json:"occurred_at"`
	} `json:"milestones"`
	Services []struct {
		Name string `json:"name"`
	} `json:"services"`
	Labels json.RawMessage `json:"labels"`
}

// parseFireHydrant reads a FireHydrant API v1 GET /v1/incidents response
// body: {"data": [...], "pagination": {...}}. Times come from the
// milestones: started (else started_at, else created_at), detected,
// acknowledged, mitigated and resolved (else closed). The services are the
// label service (alternatives joined with "|"); the incident's labels are
// labels too. A tag "drill" (or test, game-day) marks an exercise.
func parseFireHydrant(data []byte, name string) ([]Incident, []string, error) {
	var out []Incident
	err := eachRecord(data, name, "data", func(e jsonElem, r *fhIncident) error {
		var err error
		in := Incident{ID: string(r.ID), URL: r.IncidentURL, Title: r.Name, Summary: r.Summary, Severity: string(r.Severity)}
		if in.Summary == "" {
			in.Summary = r.Description
		}
		if in.Severity == "" {
			in.Severity = string(r.Priority)
		}
		var closed jstr
		for i, m := range r.Milestones {
			t, err := jsonTime(name, e, "milestones["+itoa(i)+"].occurred_at", m.OccurredAt)
			if err != nil {
				return err
			}
			switch strings.ToLower(m.Type) {
			case "started":
				in.StartedAt = t
			case "detected":
				in.DetectedAt = t
			case "acknowledged":
				in.AcknowledgedAt = t
			case "mitigated":
				in.MitigatedAt = t
			case "resolved":
				in.ResolvedAt = t
			case "closed":
				closed = m.OccurredAt
			}
		}
		if in.StartedAt.IsZero() {
			if in.StartedAt, err = jsonTime(name, e, "started_at", r.StartedAt); err != nil {
				return err
			}
		}
		if in.StartedAt.IsZero() {
			if in.StartedAt, err = jsonTime(name, e, "created_at", r.CreatedAt); err != nil {
				return err
			}
		}
		if in.ResolvedAt.IsZero() {
			in.ResolvedAt, _ = jsonTime(name, e, "milestones", closed)
		}
		var svcs []string
		for _, s := range r.Services {
			svcs = append(svcs, s.Name)
		}
		in.setLabel("service", joinNames(svcs))
		if err := jsonLabels(data, name, e, "labels", r.Labels, &in); err != nil {
			return err
		}
		for _, t := range r.TagList {
			switch strings.ToLower(strings.TrimSpace(t)) {
			case "drill", "test", "game-day", "gameday", "game day", "exercise":
				in.Mode = ModeDrill
			}
		}
		setTitleMode(&in)
		if err := checkRecord(name, e.line, e.field, &in); err != nil {
			return fixField(err, "start", "milestones", "end", "milestones")
		}
		out = append(out, in)
		return nil
	})
	return out, nil, err
}

// jsonLabels reads labels given as an object of names to values, or as a
// list of {key, value} (or {name, value}) pairs, into in.
func jsonLabels(data []byte, name string, e jsonElem, field string, raw json.RawMessage, in *Incident) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]jstr
	if err := json.Unmarshal(raw, &m); err == nil {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !validLabelName(k) {
				return parseErr(name, e.line, e.field+"."+field, "invalid label name %q: want letters, digits and underscores", k)
			}
			in.setLabel(k, string(m[k]))
		}
		return nil
	}
	var list []struct {
		Key   string `json:"key"`
		Name  string `json:"name"`
		Value jstr   `json:"value"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return parseErr(name, e.line, e.field+"."+field, "want an object of label names to values, or a list of {key, value}")
	}
	for _, l := range list {
		k := l.Key
		if k == "" {
			k = l.Name
		}
		if !validLabelName(k) {
			return parseErr(name, e.line, e.field+"."+field, "invalid label name %q: want letters, digits and underscores", k)
		}
		in.setLabel(k, string(l.Value))
	}
	return nil
}
