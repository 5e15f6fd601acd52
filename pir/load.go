package pir

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Format is an incident file format.
type Format string

// Formats pir reads. FormatAuto tells the format from the content.
const (
	FormatAuto        Format = ""
	FormatYAML        Format = "yaml"
	FormatCSV         Format = "csv"
	FormatPagerDuty   Format = "pagerduty"
	FormatIncidentIO  Format = "incidentio"
	FormatFireHydrant Format = "firehydrant"
	FormatRootly      Format = "rootly"
	FormatOpsgenie    Format = "opsgenie"
	FormatMarkdown    Format = "markdown"
	// FormatAlertmanager is an Alertmanager webhook log (JSON lines): alert
	// history, read by LoadAlertmanagerLog, not incidents.
	FormatAlertmanager Format = "alertmanager"
)

// Formats lists the incident formats, in the order DetectFormat tries them.
var Formats = []Format{FormatMarkdown, FormatPagerDuty, FormatIncidentIO, FormatFireHydrant, FormatRootly, FormatOpsgenie, FormatCSV, FormatYAML}

// rank orders sources when records of one incident are merged: a review
// first, then an incident tool's export, then a plain list.
func (f Format) rank() int {
	switch f {
	case FormatMarkdown:
		return 0
	case FormatYAML, FormatCSV:
		return 2
	}
	return 1
}

// Parsed is what one file held.
type Parsed struct {
	// Format is the format the file was read as.
	Format Format
	// Incidents are its records, in file order.
	Incidents []Incident
	// Skipped says which records were left out and why (a declined or
	// cancelled incident, scheduled maintenance).
	Skipped []string
}

// Parse reads the incidents of one file's content. name is used in errors
// and recorded in Incident.Files. FormatAuto tells the format from the
// content (see DetectFormat).
func Parse(data []byte, name string, f Format) (*Parsed, error) {
	if f == FormatAuto {
		var err error
		if f, err = DetectFormat(data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if f == FormatYAML {
		if err := checkJSON(data, name); err != nil {
			return nil, err
		}
	}
	var (
		p   = &Parsed{Format: f}
		err error
	)
	switch f {
	case FormatYAML:
		p.Incidents, err = parseMinimal(data, name)
	case FormatCSV:
		p.Incidents, err = parseCSV(data, name)
	case FormatPagerDuty:
		p.Incidents, p.Skipped, err = parsePagerDuty(data, name)
	case FormatIncidentIO:
		p.Incidents, p.Skipped, err = parseIncidentIO(data, name)
	case FormatFireHydrant:
		p.Incidents, p.Skipped, err = parseFireHydrant(data, name)
	case FormatRootly:
		p.Incidents, p.Skipped, err = parseRootly(data, name)
	case FormatOpsgenie:
		p.Incidents, p.Skipped, err = parseOpsgenie(data, name)
	case FormatMarkdown:
		var in Incident
		in, err = parseMarkdown(data, name)
		p.Incidents = []Incident{in}
	case FormatAlertmanager:
		return nil, fmt.Errorf("%s: %w: it is an Alertmanager webhook log (alert history): give it as --history", name, ErrNotIncidents)
	default:
		return nil, fmt.Errorf("%s: %w %q", name, ErrUnknownFormat, f)
	}
	if err != nil {
		return nil, err
	}
	for i := range p.Incidents {
		in := &p.Incidents[i]
		in.Source = string(f)
		in.Files = []string{name}
		mine(in)
	}
	return p, nil
}

// DetectFormat tells an incident file's format from its content:
//
//   - JSON with "incidents" holding PagerDuty incidents (incident_number,
//     urgency, or type "incident") or incident.io incidents (reference,
//     incident_status, incident_timestamp_values);
//   - JSON with "data" holding Rootly resources (type "incidents" with
//     attributes), FireHydrant incidents (milestones, incident_url,
//     current_milestone) or Opsgenie alerts (tinyId, message);
//   - JSON lines of Alertmanager webhook payloads (version, alerts,
//     receiver): alert history, not incidents;
//   - Markdown: a YAML front matter followed by text, or a first line that
//     is a heading;
//   - CSV: a comma-separated header line naming id or start;
//   - otherwise YAML (JSON included): a list of incidents, or a mapping
//     with incidents: holding one.
func DetectFormat(data []byte) (Format, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return "", fmt.Errorf("%w: the file is empty", ErrUnknownFormat)
	}
	if isMarkdown(data) {
		return FormatMarkdown, nil
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if f, ok := detectJSON(trimmed); ok {
			return f, nil
		}
	}
	if isCSVHeader(firstLine(trimmed)) {
		return FormatCSV, nil
	}
	return FormatYAML, nil
}

// checkJSON reports the syntax error of a file that starts as JSON but is
// not, rather than letting the YAML reader misread it.
func checkJSON(data []byte, name string) error {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || json.Valid(t) {
		return nil
	}
	var v any
	err := json.Unmarshal(t, &v)
	return jsonError(data, name, "", 0, err)
}

// detectJSON recognises the JSON bodies of the incident tools' APIs and
// Alertmanager logs.
func detectJSON(data []byte) (Format, bool) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		// Several JSON objects, one a line: an Alertmanager log?
		line := firstLine(data)
		if json.Unmarshal(line, &top) != nil || !isAlertmanagerPayload(top) {
			return "", false
		}
		return FormatAlertmanager, true
	}
	if isAlertmanagerPayload(top) {
		return FormatAlertmanager, true
	}
	if raw, ok := top["incidents"]; ok {
		first := firstElement(raw)
		switch {
		case hasAny(first, "incident_number", "urgency", "html_url", "last_status_change_at", "escalation_policy") || stringField(first, "type") == "incident":
			return FormatPagerDuty, true
		case hasAny(first, "reference", "incident_status", "incident_timestamp_values", "permalink", "slack_channel_id"):
			return FormatIncidentIO, true
		}
		if _, ok := top["pagination_meta"]; ok {
			return FormatIncidentIO, true
		}
		if hasAny(top, "limit", "offset", "more") {
			return FormatPagerDuty, true
		}
		return "", false
	}
	if raw, ok := top["data"]; ok {
		first := firstElement(raw)
		switch {
		case hasAny(first, "attributes") && stringField(first, "type") == "incidents":
			return FormatRootly, true
		case hasAny(first, "milestones", "incident_url", "current_milestone", "lifecycle_phases"):
			return FormatFireHydrant, true
		case hasAny(first, "tinyId", "message", "acknowledged", "isSeen"):
			return FormatOpsgenie, true
		}
		switch {
		case hasAny(top, "paging", "took", "requestId"):
			return FormatOpsgenie, true
		case hasAny(top, "links", "meta") && !hasAny(top, "pagination"):
			return FormatRootly, true
		case hasAny(top, "pagination"):
			return FormatFireHydrant, true
		}
	}
	return "", false
}

func isAlertmanagerPayload(top map[string]json.RawMessage) bool {
	return hasAny(top, "alerts") && hasAny(top, "receiver", "groupKey", "version")
}

// firstElement returns the first object of a JSON array, or nil.
func firstElement(raw json.RawMessage) map[string]json.RawMessage {
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil || len(arr) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(arr[0], &m)
	return m
}

func hasAny(m map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

func stringField(m map[string]json.RawMessage, key string) string {
	var s string
	_ = json.Unmarshal(m[key], &s)
	return s
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return bytes.TrimRight(b[:i], "\r")
	}
	return b
}

// Loaded is what Load read.
type Loaded struct {
	// Incidents are the incidents, records of one incident merged (see
	// Merge), ordered by start then ID. Drills are included: filter with
	// Mode.IsDrill.
	Incidents []Incident `json:"incidents"`
	// Files is how many files were read.
	Files int `json:"files"`
	// Skipped lists what was left out and why: files of a directory that
	// hold no review, and records that are not incidents.
	Skipped []string `json:"skipped,omitempty"`
}

// incidentExts are the extensions of the files Load reads in a directory.
var incidentExts = []string{".yaml", ".yml", ".json", ".md", ".markdown", ".csv"}

// Load reads the incidents of each path: a file in any format Parse reads
// (told by content), or a directory whose files with an extension among
// .yaml, .yml, .json, .md, .markdown and .csv are read, recursively,
// hidden files and directories skipped. A Markdown file of a directory
// with neither front matter nor a Timeline (a README) is skipped and
// listed in Skipped. Records of the same incident from several files are
// merged (see Merge).
func Load(paths ...string) (*Loaded, error) {
	out := &Loaded{}
	var records []Incident
	for _, root := range paths {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("cannot read incidents: %w", err)
		}
		if !fi.IsDir() {
			p, err := loadFile(root)
			if err != nil {
				return nil, err
			}
			out.Files++
			records = append(records, p.Incidents...)
			out.Skipped = append(out.Skipped, p.Skipped...)
			continue
		}
		var files []string
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && slices.Contains(incidentExts, strings.ToLower(filepath.Ext(path))) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("cannot read incidents: %w", err)
		}
		slices.Sort(files)
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("cannot read incidents: %w", err)
			}
			f := formatFor(path, data)
			if f == FormatMarkdown && !looksLikeReview(data) {
				out.Skipped = append(out.Skipped, path+": not a review (no front matter and no Timeline)")
				continue
			}
			p, err := Parse(data, path, f)
			if err != nil {
				return nil, err
			}
			out.Files++
			records = append(records, p.Incidents...)
			out.Skipped = append(out.Skipped, p.Skipped...)
		}
	}
	out.Incidents = Merge(records)
	return out, nil
}

func loadFile(path string) (*Parsed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read incidents: %w", err)
	}
	return Parse(data, path, formatFor(path, data))
}

// formatFor tells a file's format from its content; a .md or .markdown
// file whose content is not recognised otherwise is Markdown (a review
// without front matter whose first line is not a heading).
func formatFor(path string, data []byte) Format {
	f, err := DetectFormat(data)
	if err != nil {
		return FormatAuto // Parse reports the error
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		if f == FormatYAML {
			return FormatMarkdown
		}
	}
	return f
}

// Merge joins the records of the same incident — records sharing an ID or
// an alias, transitively — into one, and returns the incidents ordered by
// start, then ID. The merge rule:
//
//   - records are ranked: a Markdown review first, then an incident tool's
//     export (PagerDuty, incident.io, FireHydrant, Rootly, Opsgenie), then
//     a minimal YAML or CSV list; records of the same rank keep the order
//     they were given in (Load: files in lexical order);
//   - every single-valued field (ID, URL, title, severity, each time,
//     detection method, trigger, sections) takes the value of the
//     best-ranked record that has one, so a review's started_at wins over
//     PagerDuty's created_at while PagerDuty fills what the review left out;
//     the detecting alerts of records agreeing on the method are joined;
//     a record saying drill makes the incident a drill;
//   - labels are the union, the best-ranked record's value winning on a
//     name both give;
//   - aliases, files, root causes, action items and timeline entries are
//     concatenated in rank order, duplicates dropped;
//   - Source joins the records' sources with "+".
func Merge(records []Incident) []Incident {
	// Union-find over the records, joined by a shared name.
	parent := make([]int, len(records))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	byName := map[string]int{}
	for i := range records {
		for _, n := range records[i].Names() {
			if n == "" {
				continue
			}
			if j, ok := byName[n]; ok {
				a, b := find(i), find(j)
				if a != b {
					parent[max(a, b)] = min(a, b)
				}
			} else {
				byName[n] = i
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range records {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([]Incident, 0, len(roots))
	for _, r := range roots {
		idx := groups[r]
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Compare(Format(records[a].Source).rank(), Format(records[b].Source).rank())
		})
		merged := records[idx[0]].clone()
		for _, j := range idx[1:] {
			mergeInto(&merged, &records[j])
		}
		out = append(out, merged)
	}
	slices.SortStableFunc(out, func(a, b Incident) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// mergeInto fills dst's missing fields from src, which ranks after it.
func mergeInto(dst, src *Incident) {
	for _, n := range src.Names() {
		dst.addAlias(n)
	}
	for _, f := range src.Files {
		if !slices.Contains(dst.Files, f) {
			dst.Files = append(dst.Files, f)
		}
	}
	if !slices.Contains(strings.Split(dst.Source, "+"), src.Source) {
		dst.Source += "+" + src.Source
	}
	fill := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	fill(&dst.URL, src.URL)
	fill(&dst.Title, src.Title)
	fill(&dst.Severity, src.Severity)
	fill(&dst.Trigger, src.Trigger)
	fill(&dst.Summary, src.Summary)
	fill(&dst.Impact, src.Impact)
	fill(&dst.Resolution, src.Resolution)
	fill(&dst.Lessons, src.Lessons)
	for k, v := range src.Labels {
		if _, ok := dst.Labels[k]; !ok {
			dst.setLabel(k, v)
		}
	}
	for _, p := range []struct{ d, s *time.Time }{
		{&dst.StartedAt, &src.StartedAt},
		{&dst.DetectedAt, &src.DetectedAt},
		{&dst.AcknowledgedAt, &src.AcknowledgedAt},
		{&dst.MitigatedAt, &src.MitigatedAt},
		{&dst.ResolvedAt, &src.ResolvedAt},
	} {
		if p.d.IsZero() {
			*p.d = *p.s
		}
	}
	if dst.Detection.Method == MethodUnknown {
		dst.Detection = Detection{Method: src.Detection.Method, Evidence: src.Detection.Evidence, Alerts: slices.Clone(dst.Detection.Alerts)}
	}
	if dst.Detection.Method == src.Detection.Method {
		dst.Detection.Alerts = appendNew(dst.Detection.Alerts, src.Detection.Alerts...)
	}
	if dst.Mode == ModeReal {
		dst.Mode = src.Mode
	}
	for _, rc := range src.RootCauses {
		if !slices.Contains(dst.RootCauses, rc) {
			dst.RootCauses = append(dst.RootCauses, rc)
		}
	}
	for _, it := range src.ActionItems {
		if !slices.ContainsFunc(dst.ActionItems, func(d ActionItem) bool { return d.Text == it.Text }) {
			dst.ActionItems = append(dst.ActionItems, it)
		}
	}
	for _, e := range src.Timeline {
		if !slices.ContainsFunc(dst.Timeline, func(d TimelineEntry) bool { return d.At.Equal(e.At) && d.Text == e.Text }) {
			dst.Timeline = append(dst.Timeline, e)
		}
	}
}
