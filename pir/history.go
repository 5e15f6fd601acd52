package pir

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/series"
)

// AlertsQuery is the expression that reads a server's alert history: the
// ALERTS series Prometheus (and vmalert) write for every firing alert.
const AlertsQuery = `ALERTS{alertstate="firing"}`

// FiringsFromAlerts turns the ALERTS{alertstate="firing"} series of a
// query_range at step into firings. Each series is one alert label set
// (alertname and the alert's labels; alertstate and __name__ dropped).
// Consecutive samples at most step apart are one firing: it fires at its
// first sample and resolves one step after its last — or is still firing
// when its last sample lies within step of end. Samples with a value
// other than 1 (none in Prometheus's ALERTS) are ignored.
func FiringsFromAlerts(ss []series.Series, step time.Duration, end time.Time) []Firing {
	if step <= 0 {
		panic("pir.FiringsFromAlerts: step must be positive")
	}
	stepMs := step.Milliseconds()
	endMs := end.UnixMilli()
	var out []Firing
	for _, s := range ss {
		ls := s.Labels.Without(series.MetricName, "alertstate")
		alert := ls.Get("alertname")
		var start, last int64
		open := false
		flush := func() {
			f := Firing{Alert: alert, Labels: ls, FiringAt: time.UnixMilli(start).UTC()}
			f.ActiveAt = f.FiringAt
			if endMs-last >= stepMs {
				f.ResolvedAt = time.UnixMilli(last + stepMs).UTC()
			}
			out = append(out, f)
		}
		for i, ts := range s.Timestamps {
			if s.Values[i] != 1 {
				continue
			}
			switch {
			case !open:
				start, last, open = ts, ts, true
			case ts-last > stepMs:
				flush()
				start, last = ts, ts
			default:
				last = ts
			}
		}
		if open {
			flush()
		}
	}
	sortFirings(out)
	return out
}

func sortFirings(fs []Firing) {
	slices.SortStableFunc(fs, func(a, b Firing) int {
		if c := strings.Compare(a.Alert, b.Alert); c != 0 {
			return c
		}
		if c := a.Labels.Compare(b.Labels); c != 0 {
			return c
		}
		return a.FiringAt.Compare(b.FiringAt)
	})
}

// amPayload is an Alertmanager webhook payload (version 4).
type amPayload struct {
	Version  string    `json:"version"`
	Status   string    `json:"status"`
	Receiver string    `json:"receiver"`
	Alerts   []amAlert `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	StartsAt    string            `json:"startsAt"`
	EndsAt      string            `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// LoadAlertmanagerLog reads Alertmanager webhook payloads (version 4)
// logged one JSON object a line and returns the firings they tell: one per
// alert (by fingerprint, else label set) and startsAt. A firing fires at
// startsAt and resolves at the endsAt of a payload giving it status
// resolved; without one it is still firing. A firing alert's endsAt is
// Alertmanager's expiry guess, not a resolution, and is ignored. Blank
// lines are skipped; a malformed line is an error naming it.
func LoadAlertmanagerLog(r io.Reader, name string) ([]Firing, error) {
	type key struct {
		id     string
		starts int64
	}
	firings := map[key]*Firing{}
	var order []key
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var p amPayload
		if err := json.Unmarshal(line, &p); err != nil {
			return nil, &ParseError{File: name, Line: lineNo, Msg: "invalid JSON: want one Alertmanager webhook payload a line: " + err.Error(), Err: err}
		}
		if p.Alerts == nil {
			return nil, parseErr(name, lineNo, "alerts", "missing: want an Alertmanager webhook payload (version 4) with alerts")
		}
		if p.Version != "" && p.Version != "4" {
			return nil, parseErr(name, lineNo, "version", "version %q: want 4", p.Version)
		}
		for i, a := range p.Alerts {
			field := fmt.Sprintf("alerts[%d]", i)
			if a.Labels["alertname"] == "" {
				return nil, parseErr(name, lineNo, field+".labels", "missing alertname")
			}
			starts, err := parseTime(a.StartsAt, nil)
			if err != nil {
				return nil, &ParseError{File: name, Line: lineNo, Field: field + ".startsAt", Msg: err.Error(), Err: err}
			}
			ls := series.FromMap(a.Labels)
			id := a.Fingerprint
			if id == "" {
				id = fmt.Sprintf("%016x", ls.Fingerprint())
			}
			k := key{id, starts.UnixNano()}
			f := firings[k]
			if f == nil {
				f = &Firing{Alert: a.Labels["alertname"], Labels: ls, FiringAt: starts}
				firings[k] = f
				order = append(order, k)
			}
			status := a.Status
			if status == "" {
				status = p.Status
			}
			switch status {
			case "resolved":
				ends, err := parseTime(a.EndsAt, nil)
				if err != nil {
					return nil, &ParseError{File: name, Line: lineNo, Field: field + ".endsAt", Msg: err.Error(), Err: err}
				}
				if ends.Before(starts) {
					return nil, parseErr(name, lineNo, field+".endsAt", "resolved (%s) before it started (%s)", ends.Format(time.RFC3339), starts.Format(time.RFC3339))
				}
				if f.ResolvedAt.IsZero() || ends.Before(f.ResolvedAt) {
					f.ResolvedAt = ends
				}
			case "firing":
			default:
				return nil, parseErr(name, lineNo, field+".status", "status %q: want firing or resolved", status)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	out := make([]Firing, 0, len(order))
	for _, k := range order {
		out = append(out, *firings[k])
	}
	sortFirings(out)
	return out, nil
}

// AssignFirings gives each firing of a history (ALERTS, an Alertmanager
// log) to the rules it came from: the rules with its alert name whose own
// labels, where they are not templates, equal the firing's. A firing
// that fits several rules goes to the first; one that fits none is
// returned in unassigned.
func AssignFirings(rules []RuleRef, firings []Firing) (out []RuleFirings, unassigned []Firing) {
	out = make([]RuleFirings, len(rules))
	byName := map[string][]int{}
	for i, r := range rules {
		out[i].Rule = r
		byName[r.Alert] = append(byName[r.Alert], i)
	}
	for _, f := range firings {
		placed := false
		for _, i := range byName[f.Alert] {
			if staticLabelsAgree(rules[i].Labels, f.Labels) {
				out[i].Firings = append(out[i].Firings, f)
				placed = true
				break
			}
		}
		if !placed {
			unassigned = append(unassigned, f)
		}
	}
	return out, unassigned
}

func staticLabelsAgree(rule map[string]string, ls series.Labels) bool {
	for k, v := range rule {
		if strings.Contains(v, "{{") {
			continue
		}
		if ls.Has(k) && ls.Get(k) != v {
			return false
		}
	}
	return true
}

// Similarity compares two alert histories of the same period — a replay
// and what really fired — by the time they spent firing: for each label
// set, the firing time both agree on over the time either fired (a
// Jaccard index of firing instants), summed over label sets. 1 is the
// same history, 0 nothing in common. Label sets are compared on the label
// names both histories use (so external labels one side adds do not
// count). Firings still open end at end.
type Similarity struct {
	// Score is Both / Either; nil when neither fired.
	Score *float64 `json:"score"`
	// Both, OnlyA and OnlyB are seconds of firing: in both histories, only
	// in the first, only in the second.
	Both  float64 `json:"both_seconds"`
	OnlyA float64 `json:"only_a_seconds"`
	OnlyB float64 `json:"only_b_seconds"`
	// FiringsA and FiringsB count the firings compared.
	FiringsA int `json:"firings_a"`
	FiringsB int `json:"firings_b"`
}

// Compare returns the similarity of histories a and b over [start, end]
// (see Similarity).
func Compare(a, b []Firing, start, end time.Time) Similarity {
	names := sharedNames(a, b)
	group := func(fs []Firing) (map[string][]span, int) {
		m := map[string][]span{}
		n := 0
		for _, f := range fs {
			from, to := f.FiringAt, end
			if f.Resolved() && f.ResolvedAt.Before(end) {
				to = f.ResolvedAt
			}
			if from.Before(start) {
				from = start
			}
			if !to.After(from) {
				continue
			}
			n++
			k := keep(f.Labels, names).String()
			m[k] = append(m[k], span{from.UnixMilli(), to.UnixMilli()})
		}
		for k, v := range m {
			m[k] = unionSpans(v)
		}
		return m, n
	}
	ga, na := group(a)
	gb, nb := group(b)
	s := Similarity{FiringsA: na, FiringsB: nb}
	keys := map[string]bool{}
	for k := range ga {
		keys[k] = true
	}
	for k := range gb {
		keys[k] = true
	}
	for k := range keys {
		la, lb := total(ga[k]), total(gb[k])
		both := intersect(ga[k], gb[k])
		s.Both += both
		s.OnlyA += la - both
		s.OnlyB += lb - both
	}
	if either := s.Both + s.OnlyA + s.OnlyB; either > 0 {
		v := s.Both / either
		s.Score = &v
	}
	return s
}

// span is a firing interval in Unix milliseconds, [from, to).
type span struct{ from, to int64 }

// unionSpans sorts v and merges its overlapping spans.
func unionSpans(v []span) []span {
	slices.SortFunc(v, func(x, y span) int { return cmp.Compare(x.from, y.from) })
	out := v[:0]
	for _, s := range v {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			if s.to > out[n-1].to {
				out[n-1].to = s.to
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

func total(v []span) float64 {
	var t int64
	for _, s := range v {
		t += s.to - s.from
	}
	return float64(t) / 1000
}

// intersect returns the seconds two sorted, disjoint span lists share.
func intersect(a, b []span) float64 {
	var t int64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].from, b[j].from), min(a[i].to, b[j].to)
		if hi > lo {
			t += hi - lo
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return float64(t) / 1000
}

// sharedNames returns the label names used by both histories.
func sharedNames(a, b []Firing) map[string]bool {
	na, nb := map[string]bool{}, map[string]bool{}
	for _, f := range a {
		for _, l := range f.Labels {
			na[l.Name] = true
		}
	}
	for _, f := range b {
		for _, l := range f.Labels {
			nb[l.Name] = true
		}
	}
	out := map[string]bool{"alertname": true}
	for n := range na {
		if nb[n] {
			out[n] = true
		}
	}
	return out
}

func keep(ls series.Labels, names map[string]bool) series.Labels {
	out := make(series.Labels, 0, len(ls))
	for _, l := range ls {
		if names[l.Name] {
			out = append(out, l)
		}
	}
	return out
}
