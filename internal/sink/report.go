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

// Report is what the HTML report shows: a fleet summary, a table of every
// target and a chart for each target at risk.
type Report struct {
	Title string
	AsOf  time.Time
	// Summary counts targets per risk level, most urgent first.
	Summary []Count
	// Columns and Rows are the table; RowRisk gives each row's risk level
	// (critical, warning, info, ok) for colouring.
	Columns []string
	Rows    [][]string
	RowRisk []string
	// Charts are drawn for the targets at risk, in order.
	Charts []ReportChart
	// Notes are shown under the table (skipped targets, warnings).
	Notes []string
}

// Count is one line of the summary.
type Count struct {
	Label string
	N     int
}

// ReportChart is one chart with its caption.
type ReportChart struct {
	Caption string
	Risk    string
	Chart   Chart
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
.asof { color: #666; margin-top: 0; }
.summary span { display: inline-block; margin-right: 1.2rem; padding: .3rem .7rem; border-radius: .3rem; background: #eee; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
tr.critical td:first-child { border-left: 4px solid #c22; }
tr.warning td:first-child { border-left: 4px solid #e90; }
tr.info td:first-child { border-left: 4px solid #39c; }
tr.ok td:first-child { border-left: 4px solid #8c8; }
.critical-badge { background: #fdd !important; }
.warning-badge { background: #ffe7c2 !important; }
figure { margin: 1.5rem 0; }
figcaption { font-size: .9rem; color: #444; margin-bottom: .3rem; }
.chart svg { max-width: 100%; height: auto; }
.notes { color: #666; font-size: .85rem; }
.legend span { margin-right: 1rem; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="asof">as of {{.AsOf.UTC.Format "2006-01-02 15:04 MST"}}</p>
<p class="summary">{{range .Summary}}<span class="{{.Label}}-badge">{{.N}} {{.Label}}</span>{{end}}</p>
<table id="results">
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $i, $r := .Rows}}<tr class="{{index $.RowRisk $i}}">{{range $r}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{if .Notes}}<div class="notes">{{range .Notes}}<p>{{.}}</p>{{end}}</div>{{end}}
{{if .Charts}}<p class="legend"><span style="color:#335599">━ history</span> <span style="color:#dd7700">╍ forecast</span> <span style="background:rgba(221,119,0,.25)">&nbsp;P10–P90&nbsp;</span> <span style="color:#cc2222">━ limit ✕ predicted crossing (P50)</span></p>{{end}}
{{range .Charts}}<figure class="chart {{.Risk}}">
<figcaption>{{.Caption}}</figcaption>
{{.SVG}}
</figure>
{{end}}
</body>
</html>
`))

// WriteHTML writes r as a self-contained HTML page: no script, no external
// style sheet, font or image; the charts are inline SVG.
func WriteHTML(w io.Writer, r Report) error {
	type chartView struct {
		Caption, Risk string
		SVG           template.HTML
	}
	view := struct {
		Report
		Charts []chartView
	}{Report: r}
	for _, c := range r.Charts {
		var buf bytes.Buffer
		ch := c.Chart
		ch.NoLegend = true
		if err := ch.Render(&buf, "svg", 24*vg.Centimeter, 9*vg.Centimeter); err != nil {
			return err
		}
		svg := buf.String()
		// Inline SVG starts at the <svg> element: drop the XML prolog.
		if i := strings.Index(svg, "<svg"); i > 0 {
			svg = svg[i:]
		}
		// The SVG comes from gonum/plot, which escapes the text it draws.
		view.Charts = append(view.Charts, chartView{Caption: c.Caption, Risk: c.Risk, SVG: template.HTML(svg)}) //nolint:gosec
	}
	if err := reportTemplate.Execute(w, view); err != nil {
		return fmt.Errorf("cannot render the HTML report: %w", err)
	}
	return nil
}
