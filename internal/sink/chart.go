package sink

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/omenhq/omen/units"
)

// Chart is one series' history and forecast, ready to draw.
//
// What is drawn is chosen to read at a glance: the time axis shows a
// forecast long enough to reach the predicted crossing and a history of
// comparable length (a 10-hour-old pod is not shown against a 7-day
// forecast, nor 14 days of history against 15 hours); the value axis runs
// over the meaningful range (from zero for quantities that cannot be
// negative, to the limit plus a margin, or for free space to the space
// shown plus a margin), so a forecast running far past the limit is cut
// at the edge rather than squashing the history; ticks fall on round
// hours or days; bytes are in IEC units and other values in SI.
type Chart struct {
	Title string
	// YLabel names what the values are ("free space"); the unit is added.
	YLabel string
	// Unit is the unit of values that are not bytes ("req/s"), if any.
	Unit string
	// Bytes says the values are bytes: the axis is in KiB, MiB, GiB or TiB.
	Bytes bool
	// History is the observed series (Unix ms, values; NaN gaps break the
	// line).
	HistoryT []int64
	HistoryV []float64
	// ForecastT are the forecast instants; Mean (P50), Lower (P10) and
	// Upper (P90) the paths.
	ForecastT          []int64
	Mean, Lower, Upper []float64
	// Limit, when not NaN, is drawn as a labelled horizontal line.
	Limit float64
	// Down says the limit is reached from above: free space falling to it.
	Down bool
	// Capacity, when positive, is the largest value that means something
	// (a filesystem's size): the axis never runs past it.
	Capacity float64
	// Now is the instant the forecast starts from (zero: the last sample
	// of the history), marked by a line.
	Now time.Time
	// Crossing, when not zero, is the predicted (P50) crossing of the
	// limit; CrossingEarly and CrossingLate, when not zero, its P10 and P90.
	Crossing, CrossingEarly, CrossingLate time.Time
	// NoLegend leaves out the title and the legend (the HTML report shows
	// them once, around the chart).
	NoLegend bool
}

// Colours of the chart elements (the HTML report's legend uses the same).
var (
	historyColor  = color.NRGBA{R: 0x33, G: 0x55, B: 0x99, A: 0xff}
	forecastColor = color.NRGBA{R: 0xd0, G: 0x60, B: 0x00, A: 0xff}
	bandColor     = color.NRGBA{R: 0xf0, G: 0x90, B: 0x30, A: 0x66}
	limitColor    = color.NRGBA{R: 0xcc, G: 0x22, B: 0x22, A: 0xff}
	crossColor    = color.NRGBA{R: 0xcc, G: 0x22, B: 0x22, A: 0x55}
	nowColor      = color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
)

// Render draws c as "svg" or "png" of the given size (zero means 16×8 cm).
func (c Chart) Render(w io.Writer, format string, width, height vg.Length) error {
	if width == 0 {
		width = 16 * vg.Centimeter
	}
	if height == 0 {
		height = 8 * vg.Centimeter
	}
	cv, err := draw.NewFormattedCanvas(width, height, format)
	if err != nil {
		return fmt.Errorf("cannot draw chart %q as %s: %w", c.Title, format, err)
	}
	if _, err := c.draw(draw.New(cv)); err != nil {
		return err
	}
	if _, err := cv.WriteTo(w); err != nil {
		return fmt.Errorf("cannot write chart %q: %w", c.Title, err)
	}
	return nil
}

// view is what a chart shows: the time window (Unix seconds), the value
// range (in the axis unit) and the axis unit.
type view struct {
	x0, now, x1 float64
	y0, y1      float64
	scale       float64 // values are divided by it
	unit        string
}

// view chooses the window and the value range of c (see Chart).
func (c Chart) view() view {
	v := view{scale: 1, unit: c.Unit}
	now := float64(0)
	switch {
	case !c.Now.IsZero():
		now = float64(c.Now.UnixMilli()) / 1000
	case len(c.HistoryT) > 0:
		now = float64(c.HistoryT[len(c.HistoryT)-1]) / 1000
	case len(c.ForecastT) > 0:
		now = float64(c.ForecastT[0]) / 1000
	}
	histAvail := 0.0
	if len(c.HistoryT) > 0 {
		histAvail = max(0, now-float64(c.HistoryT[0])/1000)
	}
	fcLen := 0.0
	if len(c.ForecastT) > 0 {
		fcLen = max(0, float64(c.ForecastT[len(c.ForecastT)-1])/1000-now)
	}
	// The forecast reaches the latest crossing shown, with a margin;
	// without one it is as long as the history.
	need := 0.0
	for _, t := range []time.Time{c.CrossingEarly, c.Crossing, c.CrossingLate} {
		if !t.IsZero() {
			need = max(need, 1.15*(float64(t.UnixMilli())/1000-now))
		}
	}
	f := need
	if f <= 0 {
		f = histAvail
	}
	f = min(f, fcLen)
	// History up to three times the forecast, at least a day (one daily
	// cycle); the forecast at least half of the history shown.
	h := min(histAvail, max(3*f, 86400))
	f = max(f, min(fcLen, h/2))
	v.x0, v.now, v.x1 = now-h, now, now+f
	if v.x1 <= v.x0 {
		v.x0, v.x1 = now-3600, now+3600
	}

	// Values in the window.
	inf := math.Inf(1)
	hLo, hHi, fLo, fHi := inf, -inf, inf, -inf
	each := func(ts []int64, vs []float64, fn func(float64)) {
		for i, t := range ts {
			x := float64(t) / 1000
			if i < len(vs) && x >= v.x0 && x <= v.x1 && !math.IsNaN(vs[i]) && !math.IsInf(vs[i], 0) {
				fn(vs[i])
			}
		}
	}
	each(c.HistoryT, c.HistoryV, func(y float64) { hLo, hHi = min(hLo, y), max(hHi, y) })
	for _, p := range [][]float64{c.Mean, c.Lower, c.Upper} {
		each(c.ForecastT, p, func(y float64) { fLo, fHi = min(fLo, y), max(fHi, y) })
	}
	if math.IsInf(hLo, 1) {
		hLo, hHi = fLo, fHi
	}
	if math.IsInf(hLo, 1) {
		hLo, hHi = 0, 1
	}
	nonNeg := c.Bytes || hLo >= 0
	limit := !math.IsNaN(c.Limit) && !math.IsInf(c.Limit, 0)
	span := max(hHi-hLo, math.Abs(hHi)*0.1, 1e-9)
	var lo, hi float64
	switch {
	case limit && !c.Down:
		// Rising to a limit: up to the limit, the forecast beyond cut.
		lo, hi = min(hLo, fLo), max(c.Limit, hHi)
		lo = max(lo, hLo-span)
	case limit && c.Down:
		// Free space falling to a limit: from the limit up to the space
		// shown, the forecast under the limit cut.
		lo, hi = min(c.Limit, hLo), max(hHi, min(fHi, hHi+span))
	default:
		// No limit: the forecast and its interval, within one more
		// history range of the history.
		lo, hi = max(min(hLo, fLo), hLo-span), min(max(hHi, fHi), hHi+span)
	}
	if c.Capacity > 0 {
		hi = min(hi, c.Capacity)
	}
	if nonNeg {
		lo = 0
	}
	if hi <= lo {
		hi = lo + max(math.Abs(lo)*0.1, 1)
	}
	pad := 0.1 * (hi - lo)
	hi += pad
	if !nonNeg && !(limit && c.Down && lo == c.Limit) {
		lo -= pad
	}
	if c.Bytes {
		v.scale, v.unit = bytesUnit(max(math.Abs(hi), math.Abs(lo)))
	}
	v.y0, v.y1 = lo/v.scale, hi/v.scale
	return v
}

// ThinBand says how far the P10–P90 band strays from the P50 in the
// window shown ("892 KiB") when that is too thin to see on the chart (under
// 1.2% of the value axis), and "" otherwise: the legend and the report
// say it in words instead.
func (c Chart) ThinBand() string {
	v := c.view()
	half := -1.0
	for i, t := range c.ForecastT {
		x := float64(t) / 1000
		if x < v.x0 || x > v.x1 || i >= len(c.Lower) || i >= len(c.Upper) || math.IsNaN(c.Lower[i]) || math.IsNaN(c.Upper[i]) {
			continue
		}
		half = max(half, (c.Upper[i]-c.Lower[i])/2)
	}
	if half < 0 || half >= 0.012*(v.y1-v.y0)*v.scale {
		return ""
	}
	return c.fmtValue(half)
}

// bytesUnit is the IEC unit in which the axis up to max reads best.
func bytesUnit(max float64) (float64, string) {
	scale, unit := 1.0, "B"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		if max < scale*1024 {
			break
		}
		scale *= 1024
		unit = u
	}
	return scale, unit
}

// Text styles of the chart.
var (
	chartFont  = font.Font{Typeface: "Liberation", Variant: "Sans"}
	titleStyle = text.Style{Color: color.Black, Font: font.From(chartFont, 12), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YTop}
	noteStyle  = text.Style{Color: color.Black, Font: font.From(chartFont, 10), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YCenter}
)

// header is the title and legend above the plot, in rows.
const headerPad = 4 * vg.Millimeter

// draw draws c on dc and returns the canvas of its data area.
func (c Chart) draw(dc draw.Canvas) (draw.Canvas, error) {
	v := c.view()
	plotArea := dc
	if !c.NoLegend {
		top := c.drawHeader(dc, v)
		plotArea = draw.Crop(dc, 0, 0, 0, -top)
	}
	p, err := c.plot(v, dc.Size().X)
	if err != nil {
		return draw.Canvas{}, err
	}
	p.Draw(plotArea)
	return p.DataCanvas(plotArea), nil
}

// legendEntry is one swatch and its words.
type legendEntry struct {
	name string
	draw func(c draw.Canvas, x, y vg.Length)
}

// drawHeader writes the title (cut with … to the width) and the legend,
// wrapped in rows, at the top of dc, and returns their height.
func (c Chart) drawHeader(dc draw.Canvas, v view) vg.Length {
	// Text is measured in Liberation Sans; a viewer without it draws the
	// SVG in a wider face (DejaVu Sans is about 12% wider): keep room.
	width := 0.85 * (dc.Size().X - 2*headerPad)
	y := dc.Max.Y - headerPad/2
	if c.Title != "" {
		title := c.Title
		for titleStyle.Width(title) > width && len([]rune(title)) > 4 {
			r := []rune(strings.TrimSuffix(title, "…"))
			title = string(r[:len(r)-2]) + "…"
		}
		dc.FillText(titleStyle, vg.Point{X: dc.Min.X + headerPad, Y: y}, title)
		y -= titleStyle.Height(title) + vg.Millimeter
	}
	line := func(col color.Color, dashes []vg.Length, w vg.Length) func(draw.Canvas, vg.Length, vg.Length) {
		return func(cv draw.Canvas, x, y vg.Length) {
			cv.StrokeLine2(draw.LineStyle{Color: col, Width: w, Dashes: dashes}, x, y, x+6*vg.Millimeter, y)
		}
	}
	entries := []legendEntry{{"history", line(historyColor, nil, vg.Points(1.5))}}
	if len(c.Mean) > 0 {
		entries = append(entries,
			legendEntry{"forecast (P50)", line(forecastColor, []vg.Length{vg.Points(4), vg.Points(2)}, vg.Points(1.5))},
			legendEntry{bandName(c), func(cv draw.Canvas, x, y vg.Length) {
				h := 1.5 * vg.Millimeter
				cv.FillPolygon(bandColor, []vg.Point{{X: x, Y: y - h}, {X: x + 6*vg.Millimeter, Y: y - h}, {X: x + 6*vg.Millimeter, Y: y + h}, {X: x, Y: y + h}})
			}})
	}
	if !math.IsNaN(c.Limit) && !math.IsInf(c.Limit, 0) {
		entries = append(entries, legendEntry{limitText(c, v), line(limitColor, nil, vg.Points(1))})
		if !c.Crossing.IsZero() {
			entries = append(entries, legendEntry{"predicted crossing", func(cv draw.Canvas, x, y vg.Length) {
				cv.DrawGlyph(draw.GlyphStyle{Color: limitColor, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}, vg.Point{X: x + 3*vg.Millimeter, Y: y})
			}})
		}
	}
	rowH := noteStyle.Height("Mg") + vg.Millimeter
	y -= rowH / 2
	x := dc.Min.X + headerPad
	for _, e := range entries {
		w := 7*vg.Millimeter + noteStyle.Width(e.name) + 5*vg.Millimeter
		if x+w > dc.Min.X+headerPad+width && x > dc.Min.X+headerPad {
			x, y = dc.Min.X+headerPad, y-rowH
		}
		e.draw(dc, x, y)
		dc.FillText(noteStyle, vg.Point{X: x + 7*vg.Millimeter, Y: y}, e.name)
		x += w
	}
	return dc.Max.Y - y + rowH/2 + vg.Millimeter
}

// bandName is the legend's name of the interval band.
func bandName(c Chart) string {
	if t := c.ThinBand(); t != "" {
		return "P10–P90 (within ±" + t + ", thinner than the line)"
	}
	return "P10–P90"
}

// limitText labels the limit line: "limit 1 GiB", or for free space
// falling to zero "full".
func limitText(c Chart, v view) string {
	if c.Down && c.Limit == 0 {
		return "full (no space left)"
	}
	return "limit " + c.fmtValue(c.Limit)
}

func (c Chart) fmtValue(x float64) string {
	s := units.Value(x, c.Bytes)
	if !c.Bytes && c.Unit != "" {
		s += " " + c.Unit
	}
	return s
}

// plot builds the plot of c in view v for a canvas width wide.
func (c Chart) plot(v view, wide vg.Length) (*plot.Plot, error) {
	p := plot.New()
	// The view, set again once every plotter is added: Add widens the
	// axes to the data, and the view is meant to cut it.
	defer func() { p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = v.x0, v.x1, v.y0, v.y1 }()
	// A time label is about 1.6 cm wide: at most one per 2.4 cm, none
	// closer to an end than half its width (the canvas would cut it).
	p.X.Tick.Marker = timeTicks{max: max(3, int(wide/(2.4*vg.Centimeter))), edge: min(0.2, float64(0.9*vg.Centimeter/max(wide-2*vg.Centimeter, vg.Centimeter)))}
	p.Y.Tick.Marker = valueTicks{}
	p.Y.Label.Text = strings.TrimSpace(c.YLabel + " " + v.unit)
	if c.YLabel != "" && v.unit != "" {
		p.Y.Label.Text = c.YLabel + ", " + v.unit
	}
	// Sans-serif throughout (gonum's default is a serif), and the sizes
	// of the page's small print.
	for _, st := range []*text.Style{&p.X.Tick.Label, &p.Y.Tick.Label, &p.Y.Label.TextStyle, &p.X.Label.TextStyle} {
		st.Font.Typeface, st.Font.Variant = chartFont.Typeface, chartFont.Variant
		st.Font.Size = 10
	}
	p.X.Padding, p.Y.Padding = 0, 0
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{Y: 0xe4}, color.Gray{Y: 0xe4}
	p.Add(grid)

	xy := func(ts []int64, vs []float64) []plotter.XYs {
		var out []plotter.XYs
		var cur plotter.XYs
		for i, t := range ts {
			x := float64(t) / 1000
			if i >= len(vs) || x < v.x0-1 || x > v.x1+1 {
				continue
			}
			if math.IsNaN(vs[i]) || math.IsInf(vs[i], 0) {
				if len(cur) > 0 {
					out, cur = append(out, cur), nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: x, Y: vs[i] / v.scale})
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
		return out
	}
	if len(c.ForecastT) > 0 && len(c.Lower) == len(c.ForecastT) && len(c.Upper) == len(c.ForecastT) {
		lo, hi := xy(c.ForecastT, c.Lower), xy(c.ForecastT, c.Upper)
		if len(lo) == 1 && len(hi) == 1 && len(lo[0]) > 1 && len(lo[0]) == len(hi[0]) {
			band := make(plotter.XYs, 0, 2*len(lo[0]))
			band = append(band, lo[0]...)
			for i := len(hi[0]) - 1; i >= 0; i-- {
				band = append(band, hi[0][i])
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, fmt.Errorf("cannot draw the interval of %q: %w", c.Title, err)
			}
			poly.Color = bandColor
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	for _, h := range xy(c.HistoryT, c.HistoryV) {
		l, err := plotter.NewLine(h)
		if err != nil {
			return nil, fmt.Errorf("cannot draw the history of %q: %w", c.Title, err)
		}
		l.Color, l.Width = historyColor, vg.Points(1.2)
		p.Add(l)
	}
	for _, m := range xy(c.ForecastT, c.Mean) {
		l, err := plotter.NewLine(m)
		if err != nil {
			return nil, fmt.Errorf("cannot draw the forecast of %q: %w", c.Title, err)
		}
		l.Color, l.Width = forecastColor, vg.Points(1.6)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l)
	}
	if len(c.ForecastT) > 0 {
		l, _ := plotter.NewLine(plotter.XYs{{X: v.now, Y: v.y0}, {X: v.now, Y: v.y1}})
		l.Color, l.Width, l.Dashes = nowColor, vg.Points(0.8), []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
		p.Add(label(v.now, v.y1, "now ", nowColor, draw.XRight, draw.YTop))
	}
	if !math.IsNaN(c.Limit) && !math.IsInf(c.Limit, 0) {
		y := c.Limit / v.scale
		if !c.CrossingEarly.IsZero() || !c.CrossingLate.IsZero() {
			// The P10–P90 window of the crossing, on the limit line.
			a, b := v.now, v.x1
			if !c.CrossingEarly.IsZero() {
				a = float64(c.CrossingEarly.UnixMilli()) / 1000
			}
			if !c.CrossingLate.IsZero() {
				b = float64(c.CrossingLate.UnixMilli()) / 1000
			}
			l, _ := plotter.NewLine(plotter.XYs{{X: max(a, v.x0), Y: y}, {X: min(b, v.x1), Y: y}})
			l.Color, l.Width = crossColor, vg.Points(6)
			p.Add(l)
		}
		l, _ := plotter.NewLine(plotter.XYs{{X: v.x0, Y: y}, {X: v.x1, Y: y}})
		l.Color, l.Width = limitColor, vg.Points(1.2)
		p.Add(l)
		// The label sits above the line at the left, over the history
		// side: a rising series is under its limit there, and free space
		// above its zero.
		p.Add(label(v.x0, y, " "+limitText(c, v), limitColor, draw.XLeft, 0))
		if !c.Crossing.IsZero() {
			x := float64(c.Crossing.UnixMilli()) / 1000
			if x >= v.x0 && x <= v.x1 {
				s, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
				if err == nil {
					s.GlyphStyle = draw.GlyphStyle{Color: limitColor, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
					p.Add(s)
				}
			}
		}
	}
	return p, nil
}

// label is a text at (x, y) in data coordinates, aligned by xa and ya (0:
// above the point).
func label(x, y float64, s string, col color.Color, xa text.XAlignment, ya text.YAlignment) plot.Plotter {
	l, _ := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{s}})
	st := noteStyle
	st.Color, st.XAlign, st.YAlign = col, xa, ya
	if ya == 0 {
		st.YAlign = draw.YBottom
		l.Offset = vg.Point{Y: vg.Points(2)}
	}
	st.Font.Size = 9
	l.TextStyle = []text.Style{st}
	return labelsNoPad{l}
}

// labelsNoPad draws labels without widening the plot's padding for them
// (they are placed inside the data area on purpose).
type labelsNoPad struct{ *plotter.Labels }

func (labelsNoPad) GlyphBoxes(*plot.Plot) []plot.GlyphBox { return nil }

// timeTicks puts the time axis's ticks on round hours or days, UTC, at
// most max of them: "Oct 19" at midnight, "06:00" in between.
type timeTicks struct {
	max  int
	edge float64 // fraction of the range near each end without labels
}

var tickSteps = []float64{3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

func (t timeTicks) Ticks(lo, hi float64) []plot.Tick {
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if (hi-lo)/s <= float64(t.max) {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	dated := false
	for x := math.Ceil(lo/step) * step; x <= hi; x += step {
		tm := time.Unix(int64(x), 0).UTC()
		label := tm.Format("15:04")
		if step >= 86400 || tm.Hour() == 0 && tm.Minute() == 0 {
			label, dated = tm.Format("Jan 2"), true
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: label})
	}
	// A label at the very edge would be cut by the canvas: keep its tick,
	// drop its words.
	for i := range ticks {
		if ticks[i].Value-lo < t.edge*(hi-lo) || hi-ticks[i].Value < t.edge*(hi-lo) {
			ticks[i].Label = ""
		}
	}
	if !dated {
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = time.Unix(int64(ticks[i].Value), 0).UTC().Format("Jan 2 15:04")
				break
			}
		}
	}
	// Unlabelled minor ticks halfway, for the eye.
	n := len(ticks)
	for i := 0; i < n; i++ {
		if m := ticks[i].Value - step/2; m >= lo {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	return ticks
}

// valueTicks are gonum's round ticks written with SI prefixes, never in
// exponent notation.
type valueTicks struct{}

func (valueTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = units.SI(ticks[i].Value)
		}
	}
	return ticks
}
