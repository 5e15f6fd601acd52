package pir

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Section names of a review, by heading, as in the Google SRE postmortem
// template.
const (
	secOther      = ""
	secSummary    = "summary"
	secImpact     = "impact"
	secRootCauses = "root causes"
	secTrigger    = "trigger"
	secDetection  = "detection"
	secResolution = "resolution"
	secActions    = "action items"
	secLessons    = "lessons learned"
	secTimeline   = "timeline"
)

// sectionOf names the section a heading starts, or secOther.
func sectionOf(heading string) string {
	h := strings.ToLower(strings.TrimSpace(heading))
	h = strings.Trim(h, "*_:. \t")
	h = strings.TrimLeft(h, "0123456789. )")
	h = strings.TrimSpace(h)
	switch {
	case h == "summary" || h == "executive summary" || h == "overview" || h == "tl;dr" || h == "tldr" || h == "incident summary":
		return secSummary
	case strings.HasPrefix(h, "impact") || h == "customer impact":
		return secImpact
	case strings.Contains(h, "root cause") || h == "causes" || h == "cause" || strings.HasPrefix(h, "contributing factor"):
		return secRootCauses
	case strings.HasPrefix(h, "trigger"):
		return secTrigger
	case strings.HasPrefix(h, "detection") || h == "how was it detected" || h == "how we detected it":
		return secDetection
	case strings.HasPrefix(h, "resolution") || strings.HasPrefix(h, "mitigation") || h == "recovery":
		return secResolution
	case strings.Contains(h, "action item") || strings.Contains(h, "follow-up") || strings.Contains(h, "follow up") || strings.Contains(h, "followup") || strings.HasPrefix(h, "corrective action") || strings.HasPrefix(h, "remediation"):
		return secActions
	case strings.HasPrefix(h, "lessons") || strings.HasPrefix(h, "what went well") || strings.HasPrefix(h, "what went wrong") || strings.HasPrefix(h, "where we got lucky"):
		return secLessons
	case strings.HasPrefix(h, "timeline"):
		return secTimeline
	}
	return secOther
}

var (
	headingRe = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	// inlineSectionRe is a paragraph opening with a section's name, as the
	// SRE book's example writes them: "**Root Causes:** text".
	inlineSectionRe = regexp.MustCompile(`^\s*(?:\*\*|__)?([A-Za-z][A-Za-z ()/-]{2,30}?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:|:)\s*(.*)$`)
)

// isMarkdown tells a review from YAML: a front matter that is a mapping
// (not incidents:) with text after it, or no front matter and a first line
// that is a heading with a review's section among the headings.
func isMarkdown(data []byte) bool {
	fm, body, _, ok := splitFrontMatter(data)
	if ok {
		var doc yaml.Node
		if yaml.Unmarshal(fm, &doc) != nil || len(doc.Content) == 0 {
			return len(bytes.TrimSpace(body)) > 0 && hasSectionHeading(body)
		}
		top := doc.Content[0]
		return top.Kind == yaml.MappingNode && mapValue(top, "incidents") == nil
	}
	first := bytes.TrimSpace(firstLine(bytes.TrimLeft(data, " \t\r\n")))
	return headingRe.Match(first) && hasSectionHeading(data)
}

func hasSectionHeading(body []byte) bool {
	for _, l := range strings.Split(string(body), "\n") {
		if m := headingRe.FindStringSubmatch(strings.TrimRight(l, "\r")); m != nil && sectionOf(m[2]) != secOther {
			return true
		}
	}
	return false
}

// looksLikeReview reports whether a Markdown file is a review rather than a
// README: it has a front matter or a Timeline.
func looksLikeReview(data []byte) bool {
	if _, _, _, ok := splitFrontMatter(data); ok {
		return true
	}
	for _, l := range strings.Split(string(data), "\n") {
		if m := headingRe.FindStringSubmatch(strings.TrimRight(l, "\r")); m != nil && sectionOf(m[2]) == secTimeline {
			return true
		}
	}
	return false
}

// splitFrontMatter splits "---\nYAML\n---\nbody"; bodyLine is the 1-based
// line the body starts on.
func splitFrontMatter(data []byte) (fm, body []byte, bodyLine int, ok bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(data, []byte("---")) {
		return nil, data, 1, false
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if strings.TrimSpace(string(lines[0])) != "---" {
		return nil, data, 1, false
	}
	off := len(lines[0])
	for i := 1; i < len(lines); i++ {
		l := strings.TrimSpace(string(lines[i]))
		if l == "---" || l == "..." {
			return data[len(lines[0]):off], data[off+len(lines[i]):], i + 2, true
		}
		off += len(lines[i])
	}
	return nil, data, 1, false
}

// frontMatter is what a review's front matter says.
type frontMatter struct {
	loc     *time.Location
	date    time.Time // midnight of the date: field, in loc
	hasDate bool
}

// parseMarkdown reads a post-incident review: a YAML front matter (id,
// title, severity, started_at, detected_at, acknowledged_at, mitigated_at,
// resolved_at, service or labels, date, timezone, url, aliases, drill,
// detection, alerts, root_causes) and sections by heading as in the Google
// SRE postmortem template (Summary, Impact, Root cause(s), Trigger,
// Detection, Resolution, Action items, Lessons learned, Timeline). Without
// started_at, the start is the Timeline's first entry.
func parseMarkdown(data []byte, name string) (Incident, error) {
	in := Incident{}
	fm, body, bodyLine, ok := splitFrontMatter(data)
	meta := frontMatter{loc: time.UTC}
	var starts map[string]*yaml.Node
	if ok {
		var err error
		if starts, err = readFrontMatter(fm, name, &in, &meta); err != nil {
			return in, err
		}
	} else {
		body, bodyLine = data, 1
	}
	if in.ID == "" {
		base := filepath.Base(name)
		in.ID = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if err := readBody(body, bodyLine, name, &in, &meta); err != nil {
		return in, err
	}
	// Times of the front matter are read once the timezone is known.
	for _, f := range []struct {
		key string
		dst *time.Time
	}{
		{"started_at", &in.StartedAt}, {"detected_at", &in.DetectedAt}, {"acknowledged_at", &in.AcknowledgedAt},
		{"mitigated_at", &in.MitigatedAt}, {"resolved_at", &in.ResolvedAt},
	} {
		n := starts[f.key]
		if n == nil || isNull(n) {
			continue
		}
		t, err := frontMatterTime(name, f.key, n, &meta)
		if err != nil {
			return in, err
		}
		*f.dst = t
	}
	if in.StartedAt.IsZero() {
		if len(in.Timeline) > 0 {
			in.StartedAt = in.Timeline[0].At
		} else {
			return in, parseErr(name, 1, "started_at", "missing: give the front matter started_at, or a Timeline whose first entry is the start (- YYYY-MM-DD HH:MM text)")
		}
	}
	if !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.StartedAt) {
		return in, parseErr(name, 1, "resolved_at", "the incident ends (%s) before it starts (%s)", in.ResolvedAt.Format(time.RFC3339), in.StartedAt.Format(time.RFC3339))
	}
	return in, nil
}

// readFrontMatter reads the front matter's fields into in and meta; it
// returns the nodes of the time fields, read later in the timezone.
func readFrontMatter(fm []byte, name string, in *Incident, meta *frontMatter) (map[string]*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(fm, &doc); err != nil {
		return nil, yamlError(name, 1, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, parseErr(name, top.Line+1, "", "the front matter must be a mapping (id: …, started_at: …)")
	}
	times := map[string]*yaml.Node{}
	var dateNode *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		// The front matter starts on line 2 of the file.
		shift(val)
		var err error
		switch key {
		case "id":
			in.ID, err = scalar(name, key, val)
		case "title":
			in.Title, err = scalar(name, key, val)
		case "severity":
			in.Severity, err = scalar(name, key, val)
		case "url":
			in.URL, err = scalar(name, key, val)
		case "service", "services":
			var v string
			if v, err = labelValue(name, key, val); err == nil {
				in.setLabel("service", v)
			}
		case "labels":
			err = yamlLabels(name, key, val, in)
		case "aliases", "alias":
			var vs []string
			if vs, err = stringList(name, key, val); err == nil {
				for _, a := range vs {
					in.addAlias(a)
				}
			}
		case "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at":
			times[key] = val
		case "start":
			times["started_at"] = val
		case "end":
			times["resolved_at"] = val
		case "date":
			dateNode = val
		case "timezone", "time_zone", "tz":
			var tz string
			if tz, err = scalar(name, key, val); err == nil && tz != "" {
				loc, lerr := time.LoadLocation(tz)
				if lerr != nil || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
					return nil, parseErr(name, val.Line, key, "unknown time zone %q: want an IANA name such as Europe/Paris or UTC", tz)
				}
				meta.loc = loc
			}
		case "drill":
			var d bool
			if d, err = yamlBool(name, key, val); err == nil && d {
				in.Mode = ModeDrill
			}
		case "mode":
			var m string
			if m, err = scalar(name, key, val); err == nil {
				switch strings.ToLower(m) {
				case "drill", "test", "tutorial", "exercise", "game day", "gameday":
					in.Mode = ModeDrill
				}
			}
		case "detection", "detected_by_method":
			var m string
			if m, err = scalar(name, key, val); err == nil {
				if method := parseMethod(m); method != MethodUnknown {
					in.Detection.Method = method
					in.Detection.Evidence = "front matter: " + key + ": " + m
				} else if m != "" {
					return nil, parseErr(name, val.Line, key, "unknown detection %q: want alert, customer, human or unknown", m)
				}
			}
		case "alerts", "detected_by", "alert":
			var vs []string
			if vs, err = stringList(name, key, val); err == nil && len(vs) > 0 {
				in.Detection.Alerts = append(in.Detection.Alerts, vs...)
				if in.Detection.Method == MethodUnknown {
					in.Detection.Method = MethodAlert
					in.Detection.Evidence = "front matter: " + key
				}
			}
		case "root_causes", "root_cause":
			var vs []string
			if vs, err = stringList(name, key, val); err == nil {
				for _, v := range vs {
					in.RootCauses = append(in.RootCauses, RootCause{Text: v})
				}
			}
		case "trigger":
			in.Trigger, err = scalar(name, key, val)
		}
		if err != nil {
			return nil, err
		}
	}
	if dateNode != nil && !isNull(dateNode) {
		s, err := scalar(name, "date", dateNode)
		if err != nil {
			return nil, err
		}
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), meta.loc)
		if err != nil {
			t, terr := parseTime(s, meta.loc)
			if terr != nil {
				return nil, parseErr(name, dateNode.Line, "date", "cannot parse %q: want a date YYYY-MM-DD", s)
			}
			t = t.In(meta.loc)
			d = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, meta.loc)
		}
		meta.date, meta.hasDate = d, true
	}
	return times, nil
}

// shift moves a node's lines (and its children's) one down: the front
// matter's first line is the file's second.
func shift(n *yaml.Node) {
	n.Line++
	for _, c := range n.Content {
		shift(c)
	}
}

func parseMethod(s string) Method {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "alert", "alerting", "monitoring", "page", "paged", "automated", "automatic":
		return MethodAlert
	case "customer", "customers", "customer report", "customer-reported", "user", "users", "support":
		return MethodCustomer
	case "human", "manual", "engineer", "employee", "staff", "people", "internal":
		return MethodHuman
	}
	return MethodUnknown
}

// stringList reads a scalar or a list of scalars.
func stringList(name, field string, n *yaml.Node) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	var nodes []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		nodes = n.Content
	case yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	default:
		return nil, parseErr(name, n.Line, field, "want a value or a list of values")
	}
	var out []string
	for _, c := range nodes {
		s, err := scalar(name, field, c)
		if err != nil {
			return nil, err
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

var clockRe = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$`)

// frontMatterTime reads a time of the front matter: any parseTime layout
// in the review's timezone, or HH:MM on the front matter's date.
func frontMatterTime(name, field string, n *yaml.Node, meta *frontMatter) (time.Time, error) {
	s, err := scalar(name, field, n)
	if err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if m := clockRe.FindStringSubmatch(s); m != nil {
		if !meta.hasDate {
			return time.Time{}, parseErr(name, n.Line, field, "%q has no date: give the front matter a date: YYYY-MM-DD, or write YYYY-MM-DD HH:MM", s)
		}
		t, ok := clockOn(meta.date, m[1], m[2], m[3], m[4], meta.loc)
		if !ok {
			return time.Time{}, parseErr(name, n.Line, field, "cannot parse time %q: %s", s, timeWant)
		}
		return t, nil
	}
	t, err := parseTime(s, meta.loc)
	if err != nil {
		return time.Time{}, &ParseError{File: name, Line: n.Line, Field: field, Msg: err.Error(), Err: err}
	}
	return t, nil
}

// clockOn returns the instant hh:mm[:ss] on day's calendar date, in the
// zone given (Z, UTC, ±HH:MM) or else in loc.
func clockOn(day time.Time, hh, mm, ss, zone string, loc *time.Location) (time.Time, bool) {
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	s := 0
	if ss != "" {
		s, _ = strconv.Atoi(ss)
	}
	if h > 23 || m > 59 || s > 60 {
		return time.Time{}, false
	}
	if zone != "" {
		z, ok := zoneOf(zone)
		if !ok {
			return time.Time{}, false
		}
		loc = z
	}
	y, mo, d := day.Date()
	return time.Date(y, mo, d, h, m, s, 0, loc).UTC(), true
}

// zoneOf reads Z, UTC, ±HH:MM or ±HHMM.
func zoneOf(z string) (*time.Location, bool) {
	z = strings.TrimSpace(z)
	if z == "Z" || z == "UTC" {
		return time.UTC, true
	}
	if len(z) < 5 || (z[0] != '+' && z[0] != '-') {
		return nil, false
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) != 4 {
		return nil, false
	}
	h, err1 := strconv.Atoi(digits[:2])
	m, err2 := strconv.Atoi(digits[2:])
	if err1 != nil || err2 != nil || h > 14 || m > 59 {
		return nil, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone(z, off), true
}

var (
	// timelineEntryRe is a timeline entry: "- YYYY-MM-DD HH:MM text" or
	// "- HH:MM text", the bullet optional, the time optionally on a 12-hour
	// clock (2:05 PM), in bold or backticks and followed by Z, UTC or
	// ±HH:MM, then a separator. A table row "| 14:02 | text |" is an entry
	// too.
	timelineEntryRe = regexp.MustCompile(`^\s*(?:[-*+]\s+|\d+\.\s+|\|\s*)?(?:\*\*|__|` + "`" + `)?(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}:\d{2}(?::\d{2})?)(?:\s?([AaPp][Mm])\b)?(\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?(?:\*\*|__|` + "`" + `)?(?:\s*[-–—:|]\s*|\s+|$)(.*)$`)
	// timelineDateRe is a line giving the date of the entries after it:
	// "2024-03-05 (all times UTC)", "### 2024-03-05", "**2024-03-05**".
	timelineDateRe = regexp.MustCompile(`^\s*(?:#{1,6}\s+|[-*+]\s+)?(?:\*\*|__)?(\d{4}-\d{2}-\d{2})(?:\*\*|__)?\s*(?:\(.*\))?\s*:?\s*$`)
	blankLinesRe   = regexp.MustCompile(`\n(?:[ \t]*\n){2,}`)
	tableSepRe     = regexp.MustCompile(`^\s*\|?\s*:?-{2,}`)
)

// readBody reads the sections of a review's body into in.
func readBody(body []byte, firstLine int, name string, in *Incident, meta *frontMatter) error {
	lines := strings.Split(string(body), "\n")
	var (
		section      = secOther
		sectionLevel = 0
		text         = map[string][]string{}
		inFence      = false
		tl           = timelineState{day: meta.date, hasDay: meta.hasDate, loc: meta.loc}
		actions      []string
	)
	for i, raw := range lines {
		line := strings.TrimRight(raw, "\r")
		lineNo := firstLine + i
		if strings.HasPrefix(strings.TrimSpace(line), "```") || strings.HasPrefix(strings.TrimSpace(line), "~~~") {
			inFence = !inFence
			continue
		}
		if inFence {
			if section != secOther {
				text[section] = append(text[section], line)
			}
			continue
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			level := len(m[1])
			s := sectionOf(m[2])
			switch {
			case s != secOther:
				section, sectionLevel = s, level
			case section != secOther && level > sectionLevel:
				// A subsection (What went well under Lessons learned).
				text[section] = append(text[section], line)
				continue
			default:
				section, sectionLevel = secOther, level
			}
			if level == 1 && in.Title == "" && s == secOther {
				in.Title = strings.TrimSpace(m[2])
			}
			continue
		}
		if m := inlineSectionRe.FindStringSubmatch(line); m != nil && !strings.HasPrefix(strings.TrimSpace(line), "|") {
			if s := sectionOf(m[1]); s != secOther && isInlineLabel(m[1]) {
				section, sectionLevel = s, 7
				line = m[2]
				if strings.TrimSpace(line) == "" {
					continue
				}
			}
		}
		if section == secOther {
			continue
		}
		text[section] = append(text[section], line)
		switch section {
		case secTimeline:
			if err := tl.read(line, lineNo, name, in); err != nil {
				return err
			}
		case secActions:
			actions = append(actions, line)
		}
	}
	get := func(s string) string {
		t := strings.TrimSpace(strings.Join(text[s], "\n"))
		return blankLinesRe.ReplaceAllString(t, "\n\n")
	}
	in.Summary = get(secSummary)
	in.Impact = get(secImpact)
	in.Resolution = get(secResolution)
	in.Lessons = get(secLessons)
	if t := get(secTrigger); t != "" {
		in.Trigger = t
	}
	for _, rc := range splitItems(text[secRootCauses]) {
		in.RootCauses = append(in.RootCauses, RootCause{Text: rc})
	}
	in.detectionText = get(secDetection)
	in.ActionItems = append(in.ActionItems, parseActionItems(actions)...)
	return nil
}

// isInlineLabel reports whether an inline "Name:" is a section's exact
// name (so "Impact: 5% of requests" opens Impact but "Impact on checkout
// was small: …" does not).
func isInlineLabel(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "summary", "impact", "root cause", "root causes", "root cause(s)", "trigger", "detection", "resolution", "action items", "lessons learned", "timeline":
		return true
	}
	return false
}

// timelineState follows the date of timeline entries written without one.
type timelineState struct {
	day     time.Time // midnight of the current date, in loc
	hasDay  bool
	loc     *time.Location
	offset  int // days added after entries went past midnight
	lastTOD time.Duration
	implied bool // the previous entry took its date from day
}

func (s *timelineState) read(line string, lineNo int, name string, in *Incident) error {
	if m := timelineDateRe.FindStringSubmatch(line); m != nil {
		d, err := time.ParseInLocation("2006-01-02", m[1], s.loc)
		if err != nil {
			return parseErr(name, lineNo, "Timeline", "cannot parse date %q: want YYYY-MM-DD", m[1])
		}
		s.day, s.hasDay, s.offset, s.implied = d, true, 0, false
		return nil
	}
	if tableSepRe.MatchString(line) {
		return nil
	}
	m := timelineEntryRe.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	date, clock, ampm, zone, text := m[1], m[2], strings.ToLower(m[3]), strings.TrimSpace(m[4]), cleanEntryText(m[5])
	parts := strings.Split(clock, ":")
	if ampm != "" {
		// A 12-hour clock: 12:30 AM is 00:30, 2:05 PM is 14:05.
		h, _ := strconv.Atoi(parts[0])
		if h < 1 || h > 12 {
			return parseErr(name, lineNo, "Timeline", "cannot parse time %q: a 12-hour clock runs from 1 to 12", clock+" "+m[3])
		}
		h %= 12
		if ampm == "pm" {
			h += 12
		}
		parts[0] = strconv.Itoa(h)
	}
	ss := ""
	if len(parts) == 3 {
		ss = parts[2]
	}
	var day time.Time
	switch {
	case date != "":
		d, err := time.ParseInLocation("2006-01-02", date, s.loc)
		if err != nil {
			return parseErr(name, lineNo, "Timeline", "cannot parse date %q: want YYYY-MM-DD", date)
		}
		day = d
		s.day, s.hasDay, s.offset, s.implied = d, true, 0, false
	case !s.hasDay:
		return parseErr(name, lineNo, "Timeline", "entry %q has no date: give the front matter a date: YYYY-MM-DD, or write - YYYY-MM-DD HH:MM", clock)
	default:
		h, _ := strconv.Atoi(parts[0])
		mi, _ := strconv.Atoi(parts[1])
		tod := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
		if s.implied && tod < s.lastTOD {
			s.offset++ // past midnight
		}
		s.lastTOD, s.implied = tod, true
		day = s.day.AddDate(0, 0, s.offset)
	}
	t, ok := clockOn(day, parts[0], parts[1], ss, zone, s.loc)
	if !ok {
		return parseErr(name, lineNo, "Timeline", "cannot parse time %q: want HH:MM (00:00–23:59), optionally followed by Z, UTC or ±HH:MM", strings.TrimSpace(clock+" "+zone))
	}
	if date != "" {
		h, _ := strconv.Atoi(parts[0])
		mi, _ := strconv.Atoi(parts[1])
		s.lastTOD = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
		s.implied = true
	}
	in.Timeline = append(in.Timeline, TimelineEntry{At: t, Text: text, Line: lineNo})
	return nil
}

// cleanEntryText strips a table row's cells and Markdown emphasis around
// an entry's text.
func cleanEntryText(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "|") {
		var cells []string
		for _, c := range strings.Split(s, "|") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		s = strings.Join(cells, " — ")
	}
	return strings.TrimSpace(s)
}

var (
	listItemRe = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+(.*)$`)
	checkboxRe = regexp.MustCompile(`^\[([ xX])\]\s*(.*)$`)
)

// splitItems returns a section's list items, or its paragraphs when it has
// no list.
func splitItems(lines []string) []string {
	var items []string
	hasList := false
	for _, l := range lines {
		if listItemRe.MatchString(l) {
			hasList = true
			break
		}
	}
	var cur []string
	flush := func() {
		if t := strings.TrimSpace(strings.Join(cur, " ")); t != "" {
			items = append(items, t)
		}
		cur = nil
	}
	for _, l := range lines {
		if hasList {
			if m := listItemRe.FindStringSubmatch(l); m != nil && leadingSpaces(l) < 2 {
				flush()
				cur = append(cur, strings.TrimSpace(m[1]))
			} else if strings.TrimSpace(l) != "" && len(cur) > 0 {
				cur = append(cur, strings.TrimSpace(l))
			}
			continue
		}
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		cur = append(cur, strings.TrimSpace(l))
	}
	flush()
	return items
}

func leadingSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// parseActionItems reads the Action items section: a Markdown table
// (columns found by header: action item, type, owner, status, bug or
// ticket) or a list ("- [ ] text (prevent, @owner, JIRA-12)").
func parseActionItems(lines []string) []ActionItem {
	var out []ActionItem
	var header []string
	cols := map[string]int{}
	inTable := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "|") {
			cells := tableCells(t)
			switch {
			case !inTable:
				inTable, header = true, cells
				cols = actionColumns(header)
			case tableSepRe.MatchString(t):
			default:
				if it, ok := actionFromRow(cells, cols); ok {
					out = append(out, it)
				}
			}
			continue
		}
		inTable = false
	}
	for _, item := range splitItems(nonTableLines(lines)) {
		out = append(out, actionFromText(item))
	}
	return out
}

func nonTableLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "|") {
			out = append(out, l)
		}
	}
	// Only list items are action items; a paragraph of prose is not.
	hasList := false
	for _, l := range out {
		if listItemRe.MatchString(l) {
			hasList = true
		}
	}
	if !hasList {
		return nil
	}
	return out
}

func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	row = strings.TrimSuffix(row, "|")
	cells := strings.Split(row, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// actionColumns finds the columns of an action item table by header.
func actionColumns(header []string) map[string]int {
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.Trim(h, "*_ "))
		var key string
		switch {
		case strings.Contains(h, "action") || h == "item" || h == "description" || h == "task" || h == "what" || h == "title":
			key = "text"
		case h == "type" || h == "kind" || h == "category" || h == "class":
			key = "type"
		case h == "owner" || h == "assignee" || h == "who" || h == "owners" || h == "assigned to":
			key = "owner"
		case h == "status" || h == "state" || h == "done":
			key = "status"
		case strings.Contains(h, "bug") || strings.Contains(h, "ticket") || strings.Contains(h, "issue") || h == "reference" || h == "link" || h == "jira" || h == "tracking":
			key = "reference"
		default:
			continue
		}
		if _, ok := cols[key]; !ok {
			cols[key] = i
		}
	}
	if _, ok := cols["text"]; !ok {
		cols["text"] = 0
	}
	return cols
}

func actionFromRow(cells []string, cols map[string]int) (ActionItem, bool) {
	get := func(k string) string {
		i, ok := cols[k]
		if !ok || i >= len(cells) {
			return ""
		}
		return cells[i]
	}
	text := get("text")
	if text == "" {
		return ActionItem{}, false
	}
	it := actionFromText(text)
	if t := parseActionType(get("type")); t != ActionUnknown {
		it.Type = t
	}
	if o := get("owner"); o != "" {
		it.Owner = o
	}
	if s := get("status"); s != "" {
		it.Status = s
	}
	if r := get("reference"); r != "" {
		it.Reference = r
	}
	return it, true
}

var (
	ownerRe   = regexp.MustCompile(`(?:^|[\s(,])(@[A-Za-z0-9][A-Za-z0-9_.-]*)|(?i:owner:\s*)([A-Za-z][\w.-]*(?: [A-Z][\w.-]*){0,2})`)
	refRe     = regexp.MustCompile(`https?://[^\s)>\]]+|\b[A-Z][A-Z0-9]+-\d+\b`)
	typeTagRe = regexp.MustCompile(`(?i)(?:#|\[|\(|\btype:\s*|^)(prevent(?:ion|ive)?|mitigat(?:e|ion)|process|detect(?:ion)?|repair)\b\]?\)?:?`)
)

// actionFromText reads one list item: a checkbox for the status, a type
// tag (#prevent, [mitigate], (process), type: prevent, or a leading
// "Prevent:"), an @owner or owner: name, and a ticket key or URL.
func actionFromText(s string) ActionItem {
	it := ActionItem{}
	if m := checkboxRe.FindStringSubmatch(s); m != nil {
		s = m[2]
		if m[1] == " " {
			it.Status = "open"
		} else {
			it.Status = "done"
		}
	}
	it.Text = strings.TrimSpace(s)
	if m := typeTagRe.FindStringSubmatch(s); m != nil {
		it.Type = parseActionType(m[1])
	}
	if m := ownerRe.FindStringSubmatch(s); m != nil {
		it.Owner = strings.TrimSpace(m[1] + m[2])
	}
	if m := refRe.FindString(s); m != "" {
		it.Reference = m
	}
	return it
}

// parseActionType maps a written type onto prevent, mitigate or process;
// detect counts as mitigate (it shortens an incident), repair as prevent.
func parseActionType(s string) ActionType {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), "#[]()*_:"))
	switch {
	case strings.HasPrefix(s, "prevent"), strings.HasPrefix(s, "repair"):
		return ActionPrevent
	case strings.HasPrefix(s, "mitigat"), strings.HasPrefix(s, "detect"):
		return ActionMitigate
	case strings.HasPrefix(s, "process"):
		return ActionProcess
	}
	return ActionUnknown
}

// String returns the type's name, "unknown" for the zero value.
func (t ActionType) String() string {
	if t == ActionUnknown {
		return "unknown"
	}
	return string(t)
}

// MarshalText writes the type as String does.
func (t ActionType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
