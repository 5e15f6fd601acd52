package sink

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

// Timeline is what the what-if page shows: the firings of an alert per
// label set over time, one lane per variant of the rule.
type Timeline struct {
	Title, Subtitle string
	// Expr is the rule's expression, shown as written.
	Expr       string
	Start, End time.Time
	// Variants are the lanes, the rule as written first.
	Variants []TimelineVariant
	// Notes are shown under the timelines.
	Notes []string
}

// TimelineVariant is one version of the rule and its firings.
type TimelineVariant struct {
	Name, Summary string
	Spans         []TimelineSpan
}

// TimelineSpan is one firing: the label set (Key) fired over [From, To);
// a zero To means still firing at the end.
type TimelineSpan struct {
	Key      string
	From, To time.Time
}

// maxTimelineRows bounds the label sets drawn on one page.
const maxTimelineRows = 200

// laneColors tell the variants apart: the rule as written in grey-blue,
// the variants in distinct hues.
var laneColors = []string{"#5577aa", "#dd7700", "#2a9d4b", "#c0392b", "#8e44ad", "#16a085", "#d35400", "#7f8c8d", "#b7950b", "#1f618d", "#a93226", "#117864", "#6c3483"}

var timelineTemplate = template.Must(template.New("timeline").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
.asof { color: #666; margin-top: 0; }
pre { background: #f5f5f5; padding: .5rem .8rem; border-radius: .3rem; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: .15rem; vertical-align: middle; margin-right: .4rem; }
figure { margin: 1.2rem 0; }
figcaption { font-size: .85rem; color: #444; margin-bottom: .2rem; font-family: ui-monospace, monospace; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 11px; fill: #555; }
.notes { color: #666; font-size: .85rem; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="asof">{{.Subtitle}}</p>
<pre>{{.Expr}}</pre>
<table>
<thead><tr><th></th><th>Variant</th><th>Result</th></tr></thead>
<tbody>
{{range $i, $v := .Variants}}<tr><td><span class="swatch" style="background:{{index $.Colors $i}}"></span></td><td>{{$v.Name}}</td><td>{{$v.Summary}}</td></tr>
{{end}}</tbody>
</table>
{{if not .Rows}}<p>No label set fired in any variant.</p>{{end}}
{{range .Rows}}<figure>
<figcaption>{{.Key}}</figcaption>
<svg width="{{$.Width}}" height="{{.Height}}" viewBox="0 0 {{$.Width}} {{.Height}}" role="img">
<rect x="{{$.Left}}" y="0" width="{{$.Plot}}" height="{{.Height}}" fill="#fafafa" stroke="#ddd"/>
{{range $.Ticks}}<line x1="{{.X}}" y1="0" x2="{{.X}}" y2="{{$.LaneBottom}}" stroke="#eee"/>{{end}}
{{range .Lanes}}<text x="4" y="{{.TextY}}">{{.Name}}</text>
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{$.LaneH}}" fill="{{.Color}}"><title>{{.Tip}}</title></rect>
{{end}}{{end}}{{range $.Ticks}}<text x="{{.X}}" y="{{$.AxisY}}" text-anchor="middle">{{.Label}}</text>{{end}}
</svg>
</figure>
{{end}}
{{if .Notes}}<div class="notes">{{range .Notes}}<p>{{.}}</p>{{end}}</div>{{end}}
</body>
</html>
`))

type timelineBar struct {
	X, Y, W    float64
	Color, Tip string
}

type timelineLane struct {
	Name  string
	TextY float64
	Bars  []timelineBar
}

type timelineRow struct {
	Key    string
	Height float64
	Lanes  []timelineLane
}

type timelineTick struct {
	X     float64
	Label string
}

// WriteTimelineHTML writes t as a self-contained HTML page (no script, no
// external style sheet, font or image; the timelines are inline SVG): one
// figure per label set that fired in some variant, one lane per variant.
func WriteTimelineHTML(w io.Writer, t Timeline) error {
	const (
		width, left = 1000.0, 70.0
		laneH, gap  = 12.0, 4.0
	)
	plotW := width - left - 40 // room for the last tick's label
	span := t.End.Sub(t.Start).Seconds()
	if span <= 0 {
		span = 1
	}
	x := func(at time.Time) float64 {
		f := at.Sub(t.Start).Seconds() / span
		return left + plotW*min(max(f, 0), 1)
	}
	var keys []string
	seen := map[string]bool{}
	for _, v := range t.Variants {
		for _, s := range v.Spans {
			if !seen[s.Key] {
				seen[s.Key] = true
				keys = append(keys, s.Key)
			}
		}
	}
	slices.Sort(keys)
	notes := t.Notes
	if len(keys) > maxTimelineRows {
		notes = append([]string{fmt.Sprintf("%d of %d label sets drawn.", maxTimelineRows, len(keys))}, notes...)
		keys = keys[:maxTimelineRows]
	}
	laneBottom := float64(len(t.Variants)) * (laneH + gap)
	height := laneBottom + 16
	rows := make([]timelineRow, len(keys))
	index := map[string]int{}
	for i, k := range keys {
		index[k] = i
		rows[i] = timelineRow{Key: k, Height: height}
		for j := range t.Variants {
			name := "before"
			switch {
			case j > 0 && len(t.Variants) == 2:
				name = "after"
			case j > 0:
				name = fmt.Sprintf("after %d", j)
			}
			rows[i].Lanes = append(rows[i].Lanes, timelineLane{Name: name, TextY: float64(j)*(laneH+gap) + laneH - 1})
		}
	}
	colors := make([]string, len(t.Variants))
	for j, v := range t.Variants {
		colors[j] = laneColors[j%len(laneColors)]
		for _, s := range v.Spans {
			i, ok := index[s.Key]
			if !ok {
				continue
			}
			to, tip := s.To, ""
			if to.IsZero() {
				to = t.End
				tip = fmt.Sprintf("%s – still firing at the end", s.From.UTC().Format("2006-01-02 15:04"))
			} else {
				tip = fmt.Sprintf("%s – %s (%s)", s.From.UTC().Format("2006-01-02 15:04"), to.UTC().Format("2006-01-02 15:04"), to.Sub(s.From))
			}
			x0 := x(s.From)
			rows[i].Lanes[j].Bars = append(rows[i].Lanes[j].Bars, timelineBar{
				X: round1(x0), Y: float64(j) * (laneH + gap), W: round1(max(x(to)-x0, 1)), Color: colors[j], Tip: tip,
			})
		}
	}
	var ticks []timelineTick
	const nTicks = 6
	for i := 0; i <= nTicks; i++ {
		at := t.Start.Add(time.Duration(float64(t.End.Sub(t.Start)) * float64(i) / nTicks))
		layout := "01-02 15:04"
		if t.End.Sub(t.Start) > 3*24*time.Hour {
			layout = "2006-01-02"
		}
		ticks = append(ticks, timelineTick{X: round1(x(at)), Label: at.UTC().Format(layout)})
	}
	view := struct {
		Timeline
		Rows                                        []timelineRow
		Colors                                      []string
		Ticks                                       []timelineTick
		Width, Left, Plot, LaneH, LaneBottom, AxisY float64
		Notes                                       []string
	}{Timeline: t, Rows: rows, Colors: colors, Ticks: ticks, Width: width, Left: left, Plot: plotW, LaneH: laneH, LaneBottom: laneBottom, AxisY: height - 3, Notes: notes}
	view.Expr = strings.TrimSpace(t.Expr)
	if err := timelineTemplate.Execute(w, view); err != nil {
		return fmt.Errorf("cannot render the timeline page: %w", err)
	}
	return nil
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }
