package pir

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// rootlyIncident is the part of a Rootly API v1 incident resource that pir
// reads (GET /v1/incidents, JSON:API).
type rootlyIncident struct {
	ID         jstr   `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Title          string          `json:"title"`
		Slug           string          `json:"slug"`
		SequentialID   jstr            `json:"sequential_id"`
		Kind           string          `json:"kind"`
		Status         string          `json:"status"`
		Summary        string          `json:"summary"`
		URL            string          `json:"url"`
		CreatedAt      jstr            `json:"created_at"`
		StartedAt      jstr            `json:"started_at"`
		DetectedAt     jstr            `json:"detected_at"`
		AcknowledgedAt jstr            `json:"acknowledged_at"`
		MitigatedAt    jstr            `json:"mitigated_at"`
		ResolvedAt     jstr            `json:"resolved_at"`
		Severity       jname           `json:"severity"`
		Services       []jname         `json:"services"`
		Labels         json.RawMessage `json:"labels"`
	} `json:"attributes"`
}

// jname is the name of a related resource, which JSON:API exports write as
// a string, an object with a name, or {"data": {"attributes": {"name"}}}.
type jname string

func (n *jname) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*n = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = jname(s)
		return nil
	}
	var v struct {
		Name       string `json:"name"`
		Attributes struct {
			Name string `json:"name"`
		} `json:"attributes"`
		Data *struct {
			Attributes struct {
				Name string `json:"name"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch {
	case v.Name != "":
		*n = jname(v.Name)
	case v.Attributes.Name != "":
		*n = jname(v.Attributes.Name)
	case v.Data != nil:
		*n = jname(v.Data.Attributes.Name)
	}
	return nil
}

// parseRootly reads a Rootly API v1 GET /v1/incidents response body, a
// JSON:API document: {"data": [{"id", "type": "incidents", "attributes":
// {...}}]}. The attributes give the title, the severity's name, the times
// (started_at, else created_at, is the start; detected_at,
// acknowledged_at, mitigated_at, resolved_at), the services (label
// service) and labels. Kinds test and example are drills; cancelled
// incidents and scheduled maintenance are skipped.
func parseRootly(data []byte, name string) ([]Incident, []string, error) {
	var (
		out     []Incident
		skipped []string
	)
	err := eachRecord(data, name, "data", func(e jsonElem, r *rootlyIncident) error {
		var err error
		if r.Type != "" && r.Type != "incidents" {
			return parseErr(name, e.line, e.field+".type", "want \"incidents\", not %q", r.Type)
		}
		a := &r.Attributes
		in := Incident{ID: string(r.ID), URL: a.URL, Title: a.Title, Summary: a.Summary, Severity: string(a.Severity)}
		in.addAlias(a.Slug)
		kind := strings.ToLower(a.Kind)
		switch {
		case strings.HasPrefix(kind, "test") || strings.HasPrefix(kind, "example"):
			in.Mode = ModeDrill
		case strings.HasPrefix(kind, "scheduled"):
			skipped = append(skipped, name+": "+in.ID+": scheduled maintenance")
			return nil
		}
		if strings.EqualFold(a.Status, "cancelled") || strings.EqualFold(a.Status, "canceled") {
			skipped = append(skipped, name+": "+in.ID+": cancelled")
			return nil
		}
		times := []struct {
			field string
			v     jstr
			dst   *time.Time
		}{
			{"attributes.started_at", a.StartedAt, &in.StartedAt},
			{"attributes.detected_at", a.DetectedAt, &in.DetectedAt},
			{"attributes.acknowledged_at", a.AcknowledgedAt, &in.AcknowledgedAt},
			{"attributes.mitigated_at", a.MitigatedAt, &in.MitigatedAt},
			{"attributes.resolved_at", a.ResolvedAt, &in.ResolvedAt},
		}
		for _, t := range times {
			if *t.dst, err = jsonTime(name, e, t.field, t.v); err != nil {
				return err
			}
		}
		if in.StartedAt.IsZero() {
			if in.StartedAt, err = jsonTime(name, e, "attributes.created_at", a.CreatedAt); err != nil {
				return err
			}
		}
		var svcs []string
		for _, s := range a.Services {
			svcs = append(svcs, string(s))
		}
		in.setLabel("service", joinNames(svcs))
		if err := jsonLabels(data, name, e, "attributes.labels", a.Labels, &in); err != nil {
			return err
		}
		setTitleMode(&in)
		if err := checkRecord(name, e.line, e.field, &in); err != nil {
			return fixField(err, "start", "attributes.started_at", "end", "attributes.resolved_at")
		}
		out = append(out, in)
		return nil
	})
	return out, skipped, err
}
