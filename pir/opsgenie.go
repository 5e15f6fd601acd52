package pir

import (
	"strconv"
	"strings"
	"time"
)

// ogAlert is the part of an Opsgenie alert that pir reads (GET /v2/alerts
// and GET /v2/alerts/{id}).
type ogAlert struct {
	ID        jstr     `json:"id"`
	TinyID    jstr     `json:"tinyId"`
	Message   string   `json:"message"`
	Status    string   `json:"status"`
	Tags      []string `json:"tags"`
	CreatedAt jstr     `json:"createdAt"`
	UpdatedAt jstr     `json:"updatedAt"`
	Priority  string   `json:"priority"`
	Report    *struct {
		AckTime   jstr `json:"ackTime"`
		CloseTime jstr `json:"closeTime"`
	} `json:"report"`
}

// parseOpsgenie reads an Opsgenie alert list, the body of GET /v2/alerts:
// {"data": [...], "paging": {...}}. Each alert is one incident detected by
// an alert: the id is the alert's id, with tinyId as alias; the start is
// createdAt; report.ackTime and report.closeTime (milliseconds after
// createdAt) give the acknowledgement and the end, else updatedAt when the
// status is closed; the severity is the priority (P1…P5); tags written
// key:value (or key=value) are labels. A message written by Alertmanager
// ("[FIRING:1] KubePodCrashLooping …") names the alert.
func parseOpsgenie(data []byte, name string) ([]Incident, []string, error) {
	var out []Incident
	err := eachRecord(data, name, "data", func(e jsonElem, r *ogAlert) error {
		var err error
		in := Incident{ID: string(r.ID), Title: r.Message, Severity: r.Priority}
		in.addAlias(string(r.TinyID))
		if in.StartedAt, err = jsonTime(name, e, "createdAt", r.CreatedAt); err != nil {
			return err
		}
		in.DetectedAt = in.StartedAt
		if r.Report != nil {
			ack, err := millis(name, e, "report.ackTime", r.Report.AckTime)
			if err != nil {
				return err
			}
			if ack > 0 {
				in.AcknowledgedAt = in.StartedAt.Add(ack)
			}
			cl, err := millis(name, e, "report.closeTime", r.Report.CloseTime)
			if err != nil {
				return err
			}
			if cl > 0 {
				in.ResolvedAt = in.StartedAt.Add(cl)
			}
		}
		if in.ResolvedAt.IsZero() && strings.EqualFold(r.Status, "closed") {
			if in.ResolvedAt, err = jsonTime(name, e, "updatedAt", r.UpdatedAt); err != nil {
				return err
			}
		}
		for _, t := range r.Tags {
			k, v, ok := strings.Cut(t, ":")
			if !ok {
				k, v, ok = strings.Cut(t, "=")
			}
			if ok && validLabelName(strings.TrimSpace(k)) {
				in.setLabel(k, v)
			}
		}
		alert := alertFromTitle(r.Message)
		in.Detection = Detection{Method: MethodAlert, Evidence: "Opsgenie alert: " + r.Message}
		if alert != "" {
			in.Detection.Alerts = []string{alert}
		}
		setTitleMode(&in)
		if err := checkRecord(name, e.line, e.field, &in); err != nil {
			return fixField(err, "start", "createdAt", "end", "report.closeTime")
		}
		out = append(out, in)
		return nil
	})
	return out, nil, err
}

// millis reads a duration in milliseconds.
func millis(name string, e jsonElem, field string, s jstr) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f < 0 || f > 1e15 {
		return 0, parseErr(name, e.line, e.field+"."+field, "cannot parse %q: want milliseconds", string(s))
	}
	return time.Duration(f * float64(time.Millisecond)), nil
}
