package sink

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// QualityPage is what the alert quality page shows: a table of the rules
// and, per rule, a timeline of its firings over the period with the
// incidents shaded.
type QualityPage struct {
	Title, Subtitle string
	Start, End      time.Time
	// Summary lines are shown above the table.
	Summary []string
	// Columns and Rows are the rules' table; RowClass gives each row's
	// verdict (good, noisy, late, dead, never-caught) for colouring.
	Columns  []string
	Rows     [][]string
	RowClass []string
	// Incidents are shaded on every timeline.
	Incidents []QualityIncident
	// Lanes are the rules' timelines, in table order.
	Lanes []QualityLane
	// Notes are shown at the end.
	Notes []string
}

// QualityIncident is one incident window [From, To).
type QualityIncident struct {
	ID, Title string
	From, To  time.Time
	// Caught reports whether some rule caught it.
	Caught bool
}

// QualityLane is one rule's timeline.
type QualityLane struct {
	Name, Verdict, Reason string
	Firings               []QualityFiring
	// Caught are the IDs of the incidents this rule caught.
	Caught []string
}

// QualityFiring is one firing [From, To); a zero To is still firing at
// the end.
type QualityFiring struct {
	From, To time.Time
	// Page reports whether it paged; Matched whether it matched an
	// incident.
	Page, Matched bool
	Labels        string
}

var qualityTemplate = template.Must(template.New("quality").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 .3rem; }
.asof { color: #666; margin-top: 0; }
.summary span { display: inline-block; margin: 0 .8rem .4rem 0; padding: .3rem .7rem; border-radius: .3rem; background: #eee; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
tr.good td:first-child { border-left: 4px solid #2a9d4b; }
tr.noisy td:first-child { border-left: 4px solid #e90; }
tr.late td:first-child { border-left: 4px solid #d35400; }
tr.never-caught td:first-child { border-left: 4px solid #c22; }
tr.dead td:first-child { border-left: 4px solid #999; }
figure { margin: .6rem 0 1.2rem; }
figcaption { font-size: .85rem; color: #444; margin-bottom: .2rem; }
figcaption b { font-family: ui-monospace, monospace; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 11px; fill: #555; }
.legend span { margin-right: 1rem; font-size: .85rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: .15rem; vertical-align: middle; margin-right: .3rem; }
.notes { color: #666; font-size: .85rem; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="asof">{{.Subtitle}}</p>
<p class="summary">{{range .Summary}}<span>{{.}}</span>{{end}}</p>
<table id="rules">
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $i, $r := .Rows}}<tr class="{{index $.RowClass $i}}">{{range $r}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
<p class="legend"><span><i class="swatch" style="background:#c0392b"></i>page</span><span><i class="swatch" style="background:#e6a23c"></i>firing that does not page</span><span><i class="swatch" style="background:rgba(42,157,75,.28)"></i>incident caught by this rule</span><span><i class="swatch" style="background:rgba(90,90,90,.16)"></i>incident caught by another rule</span><span><i class="swatch" style="background:rgba(204,34,34,.22)"></i>incident no rule caught</span></p>
{{range .Lanes}}<figure>
<figcaption><b>{{.Name}}</b> — {{.Verdict}}: {{.Reason}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{$.Width}}" height="{{$.Height}}" viewBox="0 0 {{$.Width}} {{$.Height}}" role="img">
<rect x="0" y="0" width="{{$.Width}}" height="{{$.BarBottom}}" fill="#fafafa" stroke="#ddd"/>
{{range $.Ticks}}<line x1="{{.X}}" y1="0" x2="{{.X}}" y2="{{$.BarBottom}}" stroke="#eee"/>{{end}}
{{range .Shades}}<rect x="{{.X}}" y="0" width="{{.W}}" height="{{$.BarBottom}}" fill="{{.Color}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"><title>{{.Tip}}</title></rect>
{{end}}{{range $.Labels}}<text x="{{.X}}" y="{{$.AxisY}}" text-anchor="middle">{{.Label}}</text>{{end}}
</svg>
</figure>
{{end}}
{{if .Notes}}<div class="notes">{{range .Notes}}<p>{{.}}</p>{{end}}</div>{{end}}
</body>
</html>
`))

type qualityRect struct {
	X, Y, W, H float64
	Color, Tip string
}

type qualityLaneView struct {
	QualityLane
	Shades, Bars []qualityRect
}

// WriteQualityHTML writes p as a self-contained HTML page (no script, no
// external style sheet, font or image; the timelines are inline SVG).
func WriteQualityHTML(w io.Writer, p QualityPage) error {
	const (
		width     = 1000.0
		barTop    = 6.0
		barH      = 16.0
		barBottom = barTop + barH + 6
		height    = barBottom + 16
	)
	span := p.End.Sub(p.Start).Seconds()
	if span <= 0 {
		span = 1
	}
	x := func(at time.Time) float64 {
		f := at.Sub(p.Start).Seconds() / span
		return width * min(max(f, 0), 1)
	}
	lanes := make([]qualityLaneView, len(p.Lanes))
	for i, l := range p.Lanes {
		v := qualityLaneView{QualityLane: l}
		caught := map[string]bool{}
		for _, id := range l.Caught {
			caught[id] = true
		}
		for _, in := range p.Incidents {
			color := "rgba(204,34,34,.22)"
			switch {
			case caught[in.ID]:
				color = "rgba(42,157,75,.28)"
			case in.Caught:
				color = "rgba(90,90,90,.16)"
			}
			x0 := x(in.From)
			v.Shades = append(v.Shades, qualityRect{X: round1(x0), W: round1(max(x(in.To)-x0, 2)), Color: color,
				Tip: fmt.Sprintf("%s %s: %s – %s", in.ID, in.Title, in.From.UTC().Format("2006-01-02 15:04"), in.To.UTC().Format("2006-01-02 15:04"))})
		}
		for _, f := range l.Firings {
			to := f.To
			tip := fmt.Sprintf("%s %s – ", f.Labels, f.From.UTC().Format("2006-01-02 15:04"))
			if to.IsZero() {
				to = p.End
				tip += "still firing at the end"
			} else {
				tip += to.UTC().Format("2006-01-02 15:04")
			}
			if f.Matched {
				tip += " (matched an incident)"
			}
			color := "#e6a23c"
			if f.Page {
				color = "#c0392b"
			}
			x0 := x(f.From)
			v.Bars = append(v.Bars, qualityRect{X: round1(x0), Y: barTop, W: round1(max(x(to)-x0, 1)), H: barH, Color: color, Tip: tip})
		}
		lanes[i] = v
	}
	// Grid lines at the ticks; their labels kept inside the drawing.
	var ticks, labels []timelineTick
	const nTicks = 6
	for i := 0; i <= nTicks; i++ {
		at := p.Start.Add(time.Duration(float64(p.End.Sub(p.Start)) * float64(i) / nTicks))
		layout := "01-02 15:04"
		if p.End.Sub(p.Start) > 3*24*time.Hour {
			layout = "2006-01-02"
		}
		ticks = append(ticks, timelineTick{X: round1(x(at)), Label: at.UTC().Format(layout)})
		labels = append(labels, timelineTick{X: round1(min(max(x(at), 32), width-32)), Label: at.UTC().Format(layout)})
	}
	view := struct {
		QualityPage
		Lanes                           []qualityLaneView
		Ticks, Labels                   []timelineTick
		Width, Height, BarBottom, AxisY float64
	}{QualityPage: p, Lanes: lanes, Ticks: ticks, Labels: labels, Width: width, Height: height, BarBottom: barBottom, AxisY: height - 3}
	if err := qualityTemplate.Execute(w, view); err != nil {
		return fmt.Errorf("cannot render the quality page: %w", err)
	}
	return nil
}
