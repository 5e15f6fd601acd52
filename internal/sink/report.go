package sink

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
)

// Report is what the HTML report shows an on-call lead: a summary (how
// many targets at each risk, the soonest exhaustion), a section per target
// at risk with its chart and the reason in words, and the other targets in
// a compact table.
type Report struct {
	Title string
	AsOf  time.Time
	// Summary counts targets per risk level, most urgent first.
	Summary []Count
	// Headline is the one sentence under the counts (the soonest
	// exhaustion).
	Headline string
	// Sections are the targets at risk, most urgent first.
	Sections []Section
	// Columns and Rows are the table of the other targets; RowRisk gives
	// each row's risk level (ok, or ok (stale)) for colouring.
	Columns []string
	Rows    [][]string
	RowRisk []string
	// Notes are shown at the end (skipped targets, warnings).
	Notes []string
}

// Count is one badge of the summary.
type Count struct {
	Label string
	N     int
}

// Section is one target at risk: a heading, the facts in a line, the
// reason, the chart and the full label set.
type Section struct {
	// Risk is critical, warning or info.
	Risk  string
	Title string
	Facts []Fact
	// Reason says why, in words.
	Reason string
	// Labels is the series' whole label set.
	Labels string
	Chart  Chart
}

// Fact is one labelled value of a section ("full in", "14h54m").
type Fact struct {
	Label, Value string
}

// Chart sizes of the report: one for desktops, one for phones (the page
// shows the one that fits), so that the text of the chart stays readable.
var (
	wideChart   = [2]vg.Length{24 * vg.Centimeter, 8 * vg.Centimeter}
	narrowChart = [2]vg.Length{10.5 * vg.Centimeter, 7.5 * vg.Centimeter}
)

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1.5rem; max-width: 72rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.5rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 0 0 .4rem; overflow-wrap: anywhere; }
.asof { color: #666; margin: 0 0 1rem; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 .6rem; padding: 0; list-style: none; }
.summary li { padding: .4rem .8rem; border-radius: .4rem; background: #eee; font-weight: 600; }
.summary .n { font-size: 1.3rem; margin-right: .3rem; }
.critical-badge { background: #fbd5d5 !important; color: #8a1010; }
.warning-badge { background: #ffe7c2 !important; color: #7a4a00; }
.info-badge { background: #d8ecf8 !important; color: #0b4d75; }
.headline { font-size: 1.05rem; margin: .4rem 0 1.2rem; }
.index { margin: 0 0 1.5rem; padding-left: 1.2rem; }
.index li { margin: .15rem 0; overflow-wrap: anywhere; }
.tag { display: inline-block; min-width: 4.2rem; text-align: center; font-size: .8rem; font-weight: 600; padding: .05rem .4rem; border-radius: .3rem; margin-right: .4rem; background: #eee; }
.tag.critical { background: #c22; color: #fff; }
.tag.warning { background: #e90; color: #fff; }
.tag.info { background: #39c; color: #fff; }
section.target { border-left: 5px solid #ccc; padding: .6rem 0 .6rem 1rem; margin: 0 0 2rem; }
section.target.critical { border-color: #c22; }
section.target.warning { border-color: #e90; }
section.target.info { border-color: #39c; }
.facts { display: flex; flex-wrap: wrap; gap: .3rem 1.6rem; margin: 0 0 .5rem; padding: 0; }
.facts div { margin: 0; }
.facts dt { font-size: .75rem; color: #666; text-transform: uppercase; letter-spacing: .03em; }
.facts dd { margin: 0; font-weight: 600; }
.reason { margin: .3rem 0 .6rem; max-width: 60rem; }
.labels { font-family: ui-monospace, monospace; font-size: .75rem; color: #666; overflow-wrap: anywhere; margin: .2rem 0 0; }
figure { margin: 0; }
.chart svg { display: block; width: 100%; height: auto; }
.chart .wide svg { max-width: 907px; }
.chart .narrow { display: none; }
@media (max-width: 640px) {
  body { padding: .8rem; }
  .chart .wide { display: none; }
  .chart .narrow { display: block; }
  section.target { padding-left: .6rem; }
  /* The table becomes a list: name and usage on a line, the reason under it. */
  .rest thead, .rest .pattern, .rest .target { display: none; }
  .rest tr { display: block; border-bottom: 1px solid #ddd; padding: .4rem 0; }
  .rest td { display: inline; border: none; padding: 0 .5rem 0 0; }
  .rest td.name { font-weight: 600; }
  .rest td.why { display: block; min-width: 0; padding-top: .15rem; }
}
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .85rem; margin: 0 0 1rem; }
.legend .swatch { display: inline-block; width: 1.6rem; height: .7rem; vertical-align: middle; margin-right: .35rem; }
h3 { font-size: 1.05rem; margin: 2rem 0 .4rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; white-space: nowrap; }
td.why { color: #444; min-width: 14rem; }
td.name { overflow-wrap: anywhere; min-width: 8rem; }
tr.stale td:first-child { color: #a60; font-weight: 600; }
.notes { color: #666; font-size: .85rem; }
figcaption.thin { font-size: .8rem; color: #a04a00; margin: .2rem 0 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="asof">as of {{.AsOf.UTC.Format "2006-01-02 15:04 MST"}}</p>
<ul class="summary">{{range .Summary}}<li class="{{.Label}}-badge"><span class="n">{{.N}}</span>{{.Label}}</li>{{end}}</ul>
{{if .Headline}}<p class="headline">{{.Headline}}</p>{{end}}
{{if .Sections}}<ol class="index">{{range $i, $s := .Sections}}<li><span class="tag {{$s.Risk}}">{{$s.Risk}}</span><a href="#target-{{$i}}">{{$s.Title}}</a>{{range $s.Facts}}{{if eq .Label "full in"}} — full in {{.Value}}{{end}}{{end}}</li>{{end}}</ol>
<div class="legend"><span><span class="swatch" style="border-top:3px solid #335599;height:0"></span>history</span><span><span class="swatch" style="border-top:3px dashed #d06000;height:0"></span>forecast (P50)</span><span><span class="swatch" style="background:rgba(240,144,48,.4)"></span>P10–P90 interval</span><span><span class="swatch" style="border-top:2px solid #cc2222;height:0"></span>limit, ✕ predicted crossing (band: its P10–P90)</span><span><span class="swatch" style="border-top:2px dotted #888;height:0"></span>now</span></div>
{{end}}
{{range $i, $s := .Sections}}<section class="target {{$s.Risk}}" id="target-{{$i}}">
<h2><span class="tag {{$s.Risk}}">{{$s.Risk}}</span>{{$s.Title}}</h2>
<dl class="facts">{{range $s.Facts}}<div><dt>{{.Label}}</dt><dd>{{.Value}}</dd></div>{{end}}</dl>
<p class="reason">{{$s.Reason}}</p>
<figure class="chart"><div class="wide">{{$s.Wide}}</div><div class="narrow">{{$s.Narrow}}</div>{{with $s.Chart.ThinBand}}<figcaption class="thin">The P10–P90 band stays within ±{{.}} of the P50 forecast: too narrow to see at this scale.</figcaption>{{end}}</figure>
<p class="labels">{{$s.Labels}}</p>
</section>
{{end}}
{{if .Rows}}<h3>{{if .Sections}}Not at risk{{else}}Every target{{end}} ({{len .Rows}})</h3>
<div class="scroll"><table id="results" class="rest">
<thead><tr>{{range .Head}}<th class="{{.Class}}">{{.Name}}</th>{{end}}</tr></thead>
<tbody>
{{range $i, $r := .Rows}}<tr class="{{index $.RowClass $i}}">{{range $j, $c := $r}}<td class="{{index $.Classes $j}}">{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>{{end}}
{{if .Notes}}<div class="notes">{{range .Notes}}<p>{{.}}</p>{{end}}</div>{{end}}
</body>
</html>
`))

// WriteHTML writes r as a self-contained HTML page: no script, no external
// style sheet, font or image; the charts are inline SVG, each twice (for a
// wide and a narrow screen, one shown by the page's style).
func WriteHTML(w io.Writer, r Report) error {
	type sectionView struct {
		Section
		Wide, Narrow template.HTML
	}
	type column struct{ Name, Class string }
	view := struct {
		Report
		Sections []sectionView
		Head     []column
		Classes  []string
		RowClass []string
	}{Report: r}
	for _, s := range r.Sections {
		sv := sectionView{Section: s}
		var err error
		if sv.Wide, err = inlineSVG(s.Chart, wideChart); err != nil {
			return err
		}
		if sv.Narrow, err = inlineSVG(s.Chart, narrowChart); err != nil {
			return err
		}
		view.Sections = append(view.Sections, sv)
	}
	for _, c := range r.Columns {
		class := strings.ToLower(strings.Fields(c + " x")[0])
		switch class {
		case "why":
		case "series":
			class = "name"
		}
		view.Head = append(view.Head, column{c, class})
		view.Classes = append(view.Classes, class)
	}
	for i := range r.Rows {
		class := ""
		if i < len(r.RowRisk) && strings.Contains(r.RowRisk[i], "stale") {
			class = "stale"
		}
		view.RowClass = append(view.RowClass, class)
	}
	if err := reportTemplate.Execute(w, view); err != nil {
		return fmt.Errorf("cannot render the HTML report: %w", err)
	}
	return nil
}

// inlineSVG draws c without its own title and legend (the page has them)
// at size, as an SVG element to put in the page.
func inlineSVG(c Chart, size [2]vg.Length) (template.HTML, error) {
	var buf bytes.Buffer
	c.NoLegend = true
	if err := c.Render(&buf, "svg", size[0], size[1]); err != nil {
		return "", err
	}
	svg := buf.String()
	// Inline SVG starts at the <svg> element: drop the XML prolog.
	if i := strings.Index(svg, "<svg"); i > 0 {
		svg = svg[i:]
	}
	// The SVG comes from gonum/plot, which escapes the text it draws.
	return template.HTML(svg), nil //nolint:gosec
}
