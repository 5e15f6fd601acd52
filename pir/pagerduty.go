package pir

import (
	"strings"
)

// pdIncident is the part of a PagerDuty REST API v2 incident that pir
// reads (GET /incidents, https://developer.pagerduty.com/api-reference).
type pdIncident struct {
	ID                 jstr   `json:"id"`
	Type               string `json:"type"`
	IncidentNumber     jstr   `json:"incident_number"`
	Title              string `json:"title"`
	Summary            string `json:"summary"`
	HTMLURL            string `json:"html_url"`
	Status             string `json:"status"`
	CreatedAt          jstr   `json:"created_at"`
	ResolvedAt         jstr   `json:"resolved_at"`
	LastStatusChangeAt jstr   `json:"last_status_change_at"`
	Urgency            string `json:"urgency"`
	Priority           *struct {
		Summary string `json:"summary"`
		Name    string `json:"name"`
	} `json:"priority"`
	Service *struct {
		Summary string `json:"summary"`
		Name    string `json:"name"`
	} `json:"service"`
	Acknowledgements []struct {
		At jstr `json:"at"`
	} `json:"acknowledgements"`
	FirstTriggerLogEntry *struct {
		Summary string `json:"summary"`
	} `json:"first_trigger_log_entry"`
}

// parsePagerDuty reads a PagerDuty REST API v2 GET /incidents response
// body: {"incidents": [...]}. The id is the incident's id, with
// incident_number and #N as aliases; created_at (the trigger time) is the
// start and the detection time; the end is resolved_at, or
// last_status_change_at when the status is resolved; the severity is
// priority.summary, else the urgency; service.summary is the label
// service. A title written by Alertmanager ("[FIRING:1] HighErrorRate …")
// names the alert that detected it.
func parsePagerDuty(data []byte, name string) ([]Incident, []string, error) {
	var out []Incident
	err := eachRecord(data, name, "incidents", func(e jsonElem, pd *pdIncident) error {
		var err error
		in := Incident{ID: string(pd.ID), URL: pd.HTMLURL, Title: pd.Title}
		if in.Title == "" {
			in.Title = pd.Summary
		}
		if n := strings.TrimSpace(string(pd.IncidentNumber)); n != "" {
			in.addAlias(n)
			in.addAlias("#" + n)
		}
		if in.StartedAt, err = jsonTime(name, e, "created_at", pd.CreatedAt); err != nil {
			return err
		}
		in.DetectedAt = in.StartedAt
		if in.ResolvedAt, err = jsonTime(name, e, "resolved_at", pd.ResolvedAt); err != nil {
			return err
		}
		if in.ResolvedAt.IsZero() && pd.Status == "resolved" {
			if in.ResolvedAt, err = jsonTime(name, e, "last_status_change_at", pd.LastStatusChangeAt); err != nil {
				return err
			}
		}
		for i, a := range pd.Acknowledgements {
			t, err := jsonTime(name, e, "acknowledgements["+itoa(i)+"].at", a.At)
			if err != nil {
				return err
			}
			if !t.IsZero() && (in.AcknowledgedAt.IsZero() || t.Before(in.AcknowledgedAt)) {
				in.AcknowledgedAt = t
			}
		}
		switch {
		case pd.Priority != nil && pd.Priority.Summary != "":
			in.Severity = pd.Priority.Summary
		case pd.Priority != nil && pd.Priority.Name != "":
			in.Severity = pd.Priority.Name
		default:
			in.Severity = pd.Urgency
		}
		if pd.Service != nil {
			s := pd.Service.Summary
			if s == "" {
				s = pd.Service.Name
			}
			in.setLabel("service", s)
		}
		if a := alertFromTitle(in.Title); a != "" {
			in.Detection = Detection{Method: MethodAlert, Alerts: []string{a}, Evidence: "title: " + in.Title}
		} else if pd.FirstTriggerLogEntry != nil {
			s := strings.ToLower(pd.FirstTriggerLogEntry.Summary)
			switch {
			case strings.Contains(s, "through the api") || strings.Contains(s, "integration") || strings.Contains(s, "email"):
				in.Detection = Detection{Method: MethodAlert, Evidence: "first trigger: " + pd.FirstTriggerLogEntry.Summary}
			case strings.Contains(s, "website") || strings.Contains(s, "mobile") || strings.Contains(s, "slack"):
				in.Detection = Detection{Method: MethodHuman, Evidence: "first trigger: " + pd.FirstTriggerLogEntry.Summary}
			}
		}
		setTitleMode(&in)
		if err := checkRecord(name, e.line, e.field, &in); err != nil {
			return fixField(err, "start", "created_at", "end", "resolved_at")
		}
		out = append(out, in)
		return nil
	})
	return out, nil, err
}

// fixField renames the field of a checkRecord error to the source's own
// name for it: pairs of from, to (start, created_at).
func fixField(err error, pairs ...string) error {
	pe, ok := err.(*ParseError)
	if !ok {
		return err
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.HasSuffix(pe.Field, "."+pairs[i]) {
			pe.Field = strings.TrimSuffix(pe.Field, pairs[i]) + pairs[i+1]
			break
		}
	}
	return err
}
