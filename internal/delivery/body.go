package delivery

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/tuner"
)

// maxBody keeps a pull request body under GitHub's 65,536 characters.
const maxBody = 60000

// Title returns the pull request title of a set of proposals.
func Title(ps []Proposal) string {
	switch len(ps) {
	case 0:
		return "omen: no changes"
	case 1:
		return fmt.Sprintf("omen: tune %s (%s)", ps[0].Alert, summaryChanges(ps[0]))
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		if !slices.Contains(names, p.Alert) {
			names = append(names, p.Alert)
		}
	}
	list := strings.Join(names, ", ")
	if len(names) > 3 {
		list = strings.Join(names[:3], ", ") + ", …"
	}
	return fmt.Sprintf("omen: tune %d alert rules (%s)", len(ps), list)
}

// summaryChanges is "threshold 0.02 → 0.05, for 1m → 5m".
func summaryChanges(p Proposal) string {
	parts := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		parts[i] = fmt.Sprintf("%s %s → %s", c.Field, c.From, c.To)
	}
	return strings.Join(parts, ", ")
}

// Message returns the commit message of a set of proposals: a subject,
// one line per proposal, and an Omen-Proposal trailer per proposal.
func Message(ps []Proposal) string {
	var b strings.Builder
	b.WriteString(Title(ps) + "\n\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "- %s %s/%s: %s\n", p.File, p.Group, p.Alert, summaryChanges(p))
	}
	b.WriteString("\nProposed by omen from a replay of the rules over the history and the\nincidents; the evidence is in the pull request.\n\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "Omen-Proposal: %s\n", p.ID())
	}
	return b.String()
}

// Body returns the pull request body: a summary, then per proposal the
// change, the reason, a before/after table on training and validation
// data, the incidents, the windows replayed and a Mermaid chart, and a
// hidden block of state that later runs read back.
// A body too long for the forge drops the charts, incidents and windows,
// then the per-proposal sections (the commit lists every change); when
// even that is too long, it is an error saying to propose fewer rules at
// once.
func Body(f *File, ps []Proposal) (string, error) {
	var b string
	for level := range 3 {
		if b = body(f, ps, level); len(b) <= maxBody {
			return b, nil
		}
	}
	return "", fmt.Errorf("delivery: %d proposals are too many for one pull request: its body would be %d characters, forges take about %d; tune fewer rules at a time", len(ps), len(b), maxBody)
}

// Levels of detail of a body.
const (
	detailFull     = 0 // everything
	detailTables   = 1 // no charts, incidents or windows
	detailSummary  = 2 // the summary table only
	maxSummaryRows = 100
)

func body(f *File, ps []Proposal, level int) string {
	detailed := level == detailFull
	var b strings.Builder
	if len(ps) == 1 {
		b.WriteString("omen replayed this alert rule over the metric history and the incidents, and proposes the change below. ")
	} else {
		fmt.Fprintf(&b, "omen replayed these %d alert rules over the metric history and the incidents, and proposes the changes below. ", len(ps))
	}
	b.WriteString("Every number comes from that replay; **validation** figures are on later data the values were not chosen on.\n\n")
	b.WriteString("| Rule | Change | Pages/week | Incidents caught |\n|---|---|---:|---:|\n")
	for i, p := range ps {
		if level == detailSummary && i == maxSummaryRows {
			fmt.Fprintf(&b, "| … and %d more | | | |\n", len(ps)-i)
			break
		}
		before, after := headline(p)
		fmt.Fprintf(&b, "| `%s` | %s | %s → %s | %s → %s |\n", mdEscape(p.Alert), mdEscape(summaryChanges(p)),
			pagesCell(before, nil), pagesCell(after, nil), caughtCell(before), caughtCell(after))
	}
	if anyValidation(ps) {
		b.WriteString("\nPages/week and incidents caught above are on the validation data where the tuner had it, else on the training window.\n")
	}
	if level == detailSummary {
		fmt.Fprintf(&b, "\n%d proposals are too many to show each here: the commit message lists every change.\n", len(ps))
	}
	catalog := incidentCatalog(f, ps)
	for _, p := range ps {
		if level == detailSummary {
			break
		}
		fmt.Fprintf(&b, "\n### `%s` — %s", mdEscape(p.Alert), mdEscape(p.File))
		if p.Group != "" {
			fmt.Fprintf(&b, ", group `%s`", mdEscape(p.Group))
		}
		for _, k := range sortedKeys(p.Labels) {
			fmt.Fprintf(&b, ", `%s=%s`", mdEscape(k), mdEscape(p.Labels[k]))
		}
		b.WriteString("\n\n")
		for _, c := range p.Changes {
			fmt.Fprintf(&b, "- `%s`: `%s` → `%s`\n", c.Field, mdEscape(c.From.String()), mdEscape(c.To.String()))
		}
		if p.Why != "" {
			fmt.Fprintf(&b, "\n> %s\n", mdEscape(strings.ReplaceAll(p.Why, "\n", " ")))
		}
		b.WriteString("\n")
		writeTable(&b, p)
		if detailed {
			writeIncidents(&b, p, catalog)
			writeWindows(&b, f, p)
			writeChart(&b, p)
		}
	}
	if detailed && len(f.Skipped) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%s not tuned</summary>\n\n", plural(len(f.Skipped), "rule", "rules"))
		for _, s := range f.Skipped {
			name := s.Alert
			if s.File != "" {
				name += " (" + s.File + ")"
			}
			fmt.Fprintf(&b, "- `%s`: %s\n", mdEscape(name), mdEscape(s.Reason))
		}
		b.WriteString("\n</details>\n")
	}
	b.WriteString("\n---\nOpened by omen. A later run updates this pull request in place and says what changed. ")
	b.WriteString("Closing it without merging rejects these changes: omen does not propose them again unless the evidence changes materially ")
	b.WriteString("(other fields, a value more than 10% away, other incidents caught or named, or pages/week after the change more than 25% and 0.5/week away).\n")
	b.WriteString(encodeState(newState(ps)))
	return b.String()
}

// headline returns the before and after metrics to summarise a proposal
// with: validation when given, else training.
func headline(p Proposal) (before, after *Metrics) {
	if vb, va := validationMetrics(p); vb != nil || va != nil {
		return vb, va
	}
	return p.Before, p.After
}

func anyValidation(ps []Proposal) bool {
	for _, p := range ps {
		if vb, va := validationMetrics(p); vb != nil || va != nil {
			return true
		}
	}
	return false
}

// validationMetrics returns the validation metrics over all folds: the
// tuner's own when given, else summed (pages/week averaged, incidents
// added, precision and lead time as the median of the folds').
func validationMetrics(p Proposal) (before, after *Metrics) {
	v := p.Validation
	if v == nil {
		return nil, nil
	}
	before, after = v.Before, v.After
	if before == nil {
		before = summarise(v.Folds, func(f Fold) *Metrics { return f.Before })
	}
	if after == nil {
		after = summarise(v.Folds, func(f Fold) *Metrics { return f.After })
	}
	return before, after
}

func summarise(folds []Fold, pick func(Fold) *Metrics) *Metrics {
	var ms []*Metrics
	for _, f := range folds {
		if m := pick(f); m != nil {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	out := &Metrics{}
	collect := func(get func(*Metrics) *float64) []float64 {
		var xs []float64
		for _, m := range ms {
			if v := get(m); v != nil && !math.IsNaN(*v) {
				xs = append(xs, *v)
			}
		}
		return xs
	}
	if xs := collect(func(m *Metrics) *float64 { return m.PagesPerWeek }); len(xs) > 0 {
		out.PagesPerWeek = ptr(mean(xs))
	}
	if xs := collect(func(m *Metrics) *float64 { return m.Precision }); len(xs) > 0 {
		out.Precision = ptr(median(xs))
	}
	if xs := collect(func(m *Metrics) *float64 { return m.LeadSecondsMedian }); len(xs) > 0 {
		out.LeadSecondsMedian = ptr(median(xs))
	}
	if xs := collect(func(m *Metrics) *float64 { return m.NightPages }); len(xs) > 0 {
		out.NightPages = ptr(sum(xs))
	}
	out.Caught = addIDs(ms, func(m *Metrics) IDs { return m.Caught })
	out.Missed = addIDs(ms, func(m *Metrics) IDs { return m.Missed })
	return out
}

func addIDs(ms []*Metrics, get func(*Metrics) IDs) IDs {
	var out IDs
	total, known, lists := 0, false, true
	for _, m := range ms {
		ids := get(m)
		if n, ok := ids.Count(); ok {
			total += n
			known = true
		}
		if ids.List == nil && !ids.IsZero() {
			lists = false
		}
		out.List = append(out.List, ids.List...)
	}
	if !known {
		return IDs{}
	}
	if !lists {
		return tuner.CountIDs(total)
	}
	slices.Sort(out.List)
	out.List = slices.Compact(out.List)
	if out.List == nil {
		out.List = []string{}
	}
	return out
}

// foldSpread returns the standard deviation of pages/week over the folds.
func foldSpread(p Proposal, pick func(Fold) *Metrics) (float64, int, bool) {
	if p.Validation == nil {
		return 0, 0, false
	}
	var xs []float64
	for _, f := range p.Validation.Folds {
		if m := pick(f); m != nil && m.PagesPerWeek != nil {
			xs = append(xs, *m.PagesPerWeek)
		}
	}
	if len(xs) < 2 {
		return 0, len(xs), false
	}
	mu := mean(xs)
	ss := 0.0
	for _, x := range xs {
		ss += (x - mu) * (x - mu)
	}
	return math.Sqrt(ss / float64(len(xs)-1)), len(xs), true
}

func writeTable(b *strings.Builder, p Proposal) {
	vb, va := validationMetrics(p)
	hasValidation := vb != nil || va != nil
	cols := []*Metrics{p.Before, p.After}
	b.WriteString("| | before (training) | after (training)")
	if hasValidation {
		cols = append(cols, vb, va)
		b.WriteString(" | before (validation) | after (validation)")
	}
	b.WriteString(" |\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	spreadBefore := func(f Fold) *Metrics { return f.Before }
	spreadAfter := func(f Fold) *Metrics { return f.After }
	row := func(name string, cell func(i int, m *Metrics) string) {
		b.WriteString("| " + name)
		for i, m := range cols {
			b.WriteString(" | " + cell(i, m))
		}
		b.WriteString(" |\n")
	}
	row("Pages/week", func(i int, m *Metrics) string {
		if i < 2 {
			return pagesCell(m, nil)
		}
		pick := spreadBefore
		if i == 3 {
			pick = spreadAfter
		}
		if sd, _, ok := foldSpread(p, pick); ok {
			return pagesCell(m, &sd)
		}
		return pagesCell(m, nil)
	})
	row("Incidents caught", func(_ int, m *Metrics) string { return caughtCell(m) })
	row("Lead time (median)", func(_ int, m *Metrics) string {
		if m == nil || m.LeadSecondsMedian == nil {
			return "–"
		}
		return leadText(*m.LeadSecondsMedian)
	})
	row("Precision", func(_ int, m *Metrics) string {
		if m == nil || m.Precision == nil {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", 100**m.Precision)
	})
	if hasNight(cols) {
		row("Night pages", func(_ int, m *Metrics) string {
			if m == nil || m.NightPages == nil {
				return "–"
			}
			return trimFloat(*m.NightPages)
		})
	}
	if hasValidation && p.Validation != nil && len(p.Validation.Folds) > 0 {
		fmt.Fprintf(b, "\nValidation: %d folds; pages/week are the mean ± standard deviation over the folds, incidents are added up.\n", len(p.Validation.Folds))
	}
}

func hasNight(ms []*Metrics) bool {
	for _, m := range ms {
		if m != nil && m.NightPages != nil {
			return true
		}
	}
	return false
}

func pagesCell(m *Metrics, sd *float64) string {
	if m == nil || m.PagesPerWeek == nil {
		return "–"
	}
	if sd != nil {
		return fmt.Sprintf("%.1f ± %.1f", *m.PagesPerWeek, *sd)
	}
	return fmt.Sprintf("%.1f", *m.PagesPerWeek)
}

func caughtCell(m *Metrics) string {
	if m == nil {
		return "–"
	}
	caught, ok := m.Caught.Count()
	if !ok {
		return "–"
	}
	if missed, ok := m.Missed.Count(); ok {
		return fmt.Sprintf("%d of %d", caught, caught+missed)
	}
	return fmt.Sprint(caught)
}

func leadText(seconds float64) string {
	sign := ""
	if seconds < 0 {
		sign, seconds = "−", -seconds
	}
	d := time.Duration(math.Round(seconds)) * time.Second
	if d >= time.Hour {
		d = d.Round(time.Minute)
	}
	return sign + tuner.FormatDuration(d)
}

// incidentCatalog maps incident ids to what the proposals file says of
// them.
func incidentCatalog(f *File, ps []Proposal) map[string]Incident {
	m := map[string]Incident{}
	add := func(list []Incident) {
		for _, i := range list {
			if i.ID == "" {
				continue
			}
			old := m[i.ID]
			if old.Title == "" {
				old.Title = i.Title
			}
			if old.Href() == "" {
				old.URL = i.Href()
			}
			old.ID = i.ID
			m[i.ID] = old
		}
	}
	add(f.Incidents)
	for _, p := range ps {
		add(p.Incidents)
	}
	return m
}

// incidentIDs returns every incident a proposal names, in order of
// appearance.
func incidentIDs(p Proposal) []string {
	var ids []string
	add := func(list []string) {
		for _, id := range list {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, i := range p.Incidents {
		add([]string{i.ID})
	}
	ms := []*Metrics{p.Before, p.After}
	if vb, va := validationMetrics(p); vb != nil || va != nil {
		ms = append(ms, vb, va)
	}
	for _, m := range ms {
		if m != nil {
			add(m.Caught.List)
			add(m.Missed.List)
		}
	}
	return ids
}

func writeIncidents(b *strings.Builder, p Proposal, catalog map[string]Incident) {
	ids := incidentIDs(p)
	if len(ids) == 0 {
		return
	}
	vb, va := validationMetrics(p)
	b.WriteString("\n**Incidents**\n\n| Incident | Title | Caught before | Caught after |\n|---|---|:-:|:-:|\n")
	for _, id := range ids {
		inc := catalog[id]
		name := "`" + mdEscape(id) + "`"
		if href := inc.Href(); href != "" {
			name = "[" + mdEscape(id) + "](" + strings.ReplaceAll(href, ")", "%29") + ")"
		}
		title := inc.Title
		if title == "" {
			title = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, mdEscape(title), caughtMark(id, p.Before, vb), caughtMark(id, p.After, va))
	}
}

// caughtMark says whether an incident was caught in the training or the
// validation metrics.
func caughtMark(id string, ms ...*Metrics) string {
	known := false
	for _, m := range ms {
		if m == nil {
			continue
		}
		if slices.Contains(m.Caught.List, id) {
			return "yes"
		}
		if slices.Contains(m.Missed.List, id) {
			known = true
		}
	}
	if known {
		return "no"
	}
	return "–"
}

func writeWindows(b *strings.Builder, f *File, p Proposal) {
	var parts []string
	start, end := f.Start, f.End
	if p.Before != nil && p.Before.Start != "" {
		start, end = p.Before.Start, p.Before.End
	}
	if start != "" || end != "" {
		parts = append(parts, "training "+windowText(start, end))
	}
	if p.Validation != nil {
		var folds []string
		for _, fold := range p.Validation.Folds {
			if fold.Start != "" || fold.End != "" {
				folds = append(folds, windowText(fold.Start, fold.End))
			}
		}
		if len(folds) > 0 {
			parts = append(parts, fmt.Sprintf("validation folds %s", strings.Join(folds, ", ")))
		}
	}
	if len(parts) == 0 {
		return
	}
	fmt.Fprintf(b, "\n**Windows replayed:** %s.\n", strings.Join(parts, "; "))
}

func windowText(start, end string) string {
	return shortTime(start) + " → " + shortTime(end)
}

func shortTime(s string) string {
	if s == "" {
		return "?"
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}

// writeChart draws pages per week before (bars) and after (line), per
// validation fold when there are folds, else for training and validation,
// as a Mermaid xychart-beta block (GitHub, GitLab and Gitea render it).
func writeChart(b *strings.Builder, p Proposal) {
	var labels []string
	var before, after []float64
	if p.Validation != nil {
		for i, f := range p.Validation.Folds {
			if f.Before == nil || f.After == nil || f.Before.PagesPerWeek == nil || f.After.PagesPerWeek == nil {
				continue
			}
			label := fmt.Sprintf("fold %d", i+1)
			if f.Start != "" {
				label = shortTime(f.Start)
			}
			labels = append(labels, label)
			before = append(before, *f.Before.PagesPerWeek)
			after = append(after, *f.After.PagesPerWeek)
		}
	}
	caption := "Pages per week in each validation fold"
	if len(labels) < 2 {
		labels, before, after = nil, nil, nil
		caption = "Pages per week"
		add := func(name string, bm, am *Metrics) {
			if bm != nil && am != nil && bm.PagesPerWeek != nil && am.PagesPerWeek != nil {
				labels = append(labels, name)
				before = append(before, *bm.PagesPerWeek)
				after = append(after, *am.PagesPerWeek)
			}
		}
		add("training", p.Before, p.After)
		vb, va := validationMetrics(p)
		add("validation", vb, va)
	}
	if len(labels) == 0 {
		return
	}
	top := 1.0
	for _, v := range append(slices.Clone(before), after...) {
		top = math.Max(top, v)
	}
	single := len(labels) == 1 // one window: before and after as two bars
	if single {
		caption = fmt.Sprintf("Pages per week on the %s data, before and after the change.", labels[0])
		labels, before, after = []string{"before", "after"}, []float64{before[0], after[0]}, nil
	} else {
		caption += ": bars before the change, the line after."
	}
	fmt.Fprintf(b, "\n%s\n", caption)
	fmt.Fprintf(b, "\n```mermaid\nxychart-beta\n    title \"%s\"\n", mermaidText(p.Alert))
	quoted := make([]string, len(labels))
	for i, l := range labels {
		quoted[i] = `"` + mermaidText(l) + `"`
	}
	fmt.Fprintf(b, "    x-axis [%s]\n", strings.Join(quoted, ", "))
	fmt.Fprintf(b, "    y-axis \"pages per week\" 0 --> %s\n", trimFloat(math.Ceil(top*1.1)))
	fmt.Fprintf(b, "    bar [%s]\n", floats(before))
	if !single {
		fmt.Fprintf(b, "    line [%s]\n", floats(after))
	}
	b.WriteString("```\n")
}

func floats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = trimFloat(math.Round(x*100) / 100)
	}
	return strings.Join(parts, ", ")
}

func trimFloat(x float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".")
}

// mermaidText drops what would end a quoted Mermaid string.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "'", "\n", " ", "`", "'").Replace(s)
}

// mdEscape keeps text from breaking a Markdown table or starting markup.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "`", "'").Replace(s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func ptr(v float64) *float64 { return &v }

func mean(xs []float64) float64 { return sum(xs) / float64(len(xs)) }

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stateMarker starts the hidden block of state in a pull request body.
const stateMarker = "<!-- omen-state v1: "

// state is what a pull request body records for later runs: which rules
// it changes, to which values, on what evidence.
type state struct {
	Kind      string          `json:"kind"`
	Proposals []stateProposal `json:"proposals"`
	// SupersededBy is the pull request that replaced this one when omen
	// closed it (then its closing is no rejection).
	SupersededBy int `json:"superseded_by,omitempty"`
}

type stateProposal struct {
	Key      string   `json:"key"`
	ID       string   `json:"id"`
	Changes  []Change `json:"changes"`
	Evidence evidence `json:"evidence"`
}

// evidence is what decides whether a rejected proposal may come back.
type evidence struct {
	// PagesPerWeek is after the change, on validation data when given.
	PagesPerWeek *float64 `json:"pages_per_week,omitempty"`
	// Caught are the incidents caught after the change (validation when
	// given), or only their count.
	Caught      []string `json:"caught,omitempty"`
	CaughtCount *int     `json:"caught_count,omitempty"`
	// Incidents are all the incidents the proposal names.
	Incidents []string `json:"incidents,omitempty"`
}

func newEvidence(p Proposal) evidence {
	var e evidence
	_, after := headline(p)
	if after != nil {
		e.PagesPerWeek = after.PagesPerWeek
		e.Caught = after.Caught.List
		if n, ok := after.Caught.Count(); ok {
			e.CaughtCount = &n
		}
	}
	e.Incidents = incidentIDs(p)
	return e
}

func newState(ps []Proposal) state {
	s := state{Kind: Kind}
	for _, p := range ps {
		s.Proposals = append(s.Proposals, stateProposal{Key: p.Key(), ID: p.ID(), Changes: p.Changes, Evidence: newEvidence(p)})
	}
	return s
}

// Title names the proposal's rule as Proposal.Title does.
func (sp stateProposal) Title() string {
	parts := strings.Split(sp.Key, "\x00")
	p := Proposal{File: parts[0]}
	if len(parts) > 1 {
		p.Group = parts[1]
	}
	if len(parts) > 2 {
		p.Alert = parts[2]
	}
	for _, kv := range parts[min(3, len(parts)):] {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if p.Labels == nil {
				p.Labels = map[string]string{}
			}
			p.Labels[k] = v
		}
	}
	return p.Title()
}

// encodeState writes s as an HTML comment (hidden on every forge); JSON
// escapes < and >, so the comment cannot end early.
func encodeState(s state) string {
	data, _ := json.Marshal(s)
	return "\n" + stateMarker + string(data) + " -->\n"
}

// decodeState reads the state block of a pull request body; false when it
// has none (a pull request someone else opened, or a body edited by hand).
func decodeState(body string) (state, bool) {
	i := strings.LastIndex(body, stateMarker)
	if i < 0 {
		return state{}, false
	}
	rest := body[i+len(stateMarker):]
	j := strings.Index(rest, " -->")
	if j < 0 {
		return state{}, false
	}
	var s state
	if err := json.Unmarshal([]byte(rest[:j]), &s); err != nil {
		return state{}, false
	}
	return s, true
}

// withState replaces the state block of a body.
func withState(body string, s state) string {
	if i := strings.LastIndex(body, stateMarker); i >= 0 {
		body = strings.TrimRight(body[:i], "\n") + "\n"
	}
	return body + encodeState(s)
}
