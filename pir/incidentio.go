package pir

import (
	"strings"
	"time"
)

// iioIncident is the part of an incident.io API v2 incident that pir reads
// (GET /v2/incidents, https://api-docs.incident.io).
type iioIncident struct {
	ID        jstr   `json:"id"`
	Reference string `json:"reference"`
	Name      string `json:"name"`
	Summary   string `json:"summary"`
	Permalink string `json:"permalink"`
	Mode      string `json:"mode"`
	CreatedAt jstr   `json:"created_at"`
	Severity  *struct {
		Name string `json:"name"`
	} `json:"severity"`
	IncidentStatus *struct {
		Category string `json:"category"`
		Name     string `json:"name"`
	} `json:"incident_status"`
	IncidentTimestampValues []struct {
		IncidentTimestamp struct {
			Name string `json:"name"`
		} `json:"incident_timestamp"`
		Value *struct {
			Value jstr `json:"value"`
		} `json:"value"`
	} `json:"incident_timestamp_values"`
	CustomFieldEntries []struct {
		CustomField struct {
			Name string `json:"name"`
		} `json:"custom_field"`
		Values []struct {
			ValueText   string `json:"value_text"`
			ValueOption *struct {
				Value string `json:"value"`
			} `json:"value_option"`
			ValueCatalogEntry *struct {
				Name string `json:"name"`
			} `json:"value_catalog_entry"`
		} `json:"values"`
	} `json:"custom_field_entries"`
}

// parseIncidentIO reads an incident.io API v2 GET /v2/incidents response
// body: {"incidents": [...]}. The id is the reference (INC-123), with the
// ULID as alias. Times come from incident_timestamp_values by name:
// "Impact started" (else created_at) is the start, "Reported" or
// "Detected" the detection (else created_at), "Accepted" or
// "Acknowledged", "Fixed" or "Mitigated", and "Resolved" (else "Closed")
// the end. Mode test and tutorial are drills; declined, merged and
// canceled incidents are skipped. Custom fields named like "Affected
// services" or "Team" become the labels service and team.
func parseIncidentIO(data []byte, name string) ([]Incident, []string, error) {
	var (
		out     []Incident
		skipped []string
	)
	err := eachRecord(data, name, "incidents", func(e jsonElem, r *iioIncident) error {
		in := Incident{ID: r.Reference, URL: r.Permalink, Title: r.Name, Summary: r.Summary}
		if in.ID == "" {
			in.ID = string(r.ID)
		} else {
			in.addAlias(string(r.ID))
		}
		if r.Severity != nil {
			in.Severity = r.Severity.Name
		}
		switch strings.ToLower(r.Mode) {
		case "test", "tutorial":
			in.Mode = ModeDrill
		}
		if r.IncidentStatus != nil {
			switch c := strings.ToLower(r.IncidentStatus.Category); c {
			case "declined", "merged", "canceled", "cancelled":
				skipped = append(skipped, name+": "+in.ID+": "+c)
				return nil
			}
		}
		created, err := jsonTime(name, e, "created_at", r.CreatedAt)
		if err != nil {
			return err
		}
		var closed time.Time
		for i, tv := range r.IncidentTimestampValues {
			if tv.Value == nil {
				continue
			}
			t, err := jsonTime(name, e, "incident_timestamp_values["+itoa(i)+"].value.value", tv.Value.Value)
			if err != nil {
				return err
			}
			if t.IsZero() {
				continue
			}
			n := strings.ToLower(tv.IncidentTimestamp.Name)
			switch {
			case strings.Contains(n, "impact start") || n == "started at" || n == "started":
				in.StartedAt = t
			case strings.Contains(n, "reported") || strings.Contains(n, "detected"):
				in.DetectedAt = t
			case strings.Contains(n, "accepted") || strings.Contains(n, "acknowledged"):
				in.AcknowledgedAt = t
			case strings.Contains(n, "fixed") || strings.Contains(n, "mitigated") || strings.Contains(n, "stabilised") || strings.Contains(n, "stabilized"):
				in.MitigatedAt = t
			case strings.Contains(n, "resolved"):
				in.ResolvedAt = t
			case strings.Contains(n, "closed"):
				closed = t
			}
		}
		if in.StartedAt.IsZero() {
			in.StartedAt = created
		}
		if in.DetectedAt.IsZero() {
			in.DetectedAt = created
		}
		if in.ResolvedAt.IsZero() {
			in.ResolvedAt = closed
		}
		for _, cf := range r.CustomFieldEntries {
			n := strings.ToLower(cf.CustomField.Name)
			label := ""
			switch {
			case strings.Contains(n, "service"):
				label = "service"
			case strings.Contains(n, "team"):
				label = "team"
			default:
				continue
			}
			var vals []string
			for _, v := range cf.Values {
				switch {
				case v.ValueCatalogEntry != nil:
					vals = append(vals, v.ValueCatalogEntry.Name)
				case v.ValueOption != nil:
					vals = append(vals, v.ValueOption.Value)
				case v.ValueText != "":
					vals = append(vals, v.ValueText)
				}
			}
			in.setLabel(label, joinNames(vals))
		}
		setTitleMode(&in)
		if err := checkRecord(name, e.line, e.field, &in); err != nil {
			return fixField(err, "id", "reference", "start", "created_at", "end", "incident_timestamp_values")
		}
		out = append(out, in)
		return nil
	})
	return out, skipped, err
}
