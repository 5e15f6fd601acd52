package sink

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart is one series' history and forecast, ready to draw.
type Chart struct {
	Title string
	// YLabel names the unit of the values.
	YLabel string
	// History is the observed series (Unix ms, values; NaN gaps are skipped).
	HistoryT []int64
	HistoryV []float64
	// ForecastT are the forecast instants; Mean, Lower and Upper the paths.
	ForecastT          []int64
	Mean, Lower, Upper []float64
	// Limit, when not NaN, is drawn as a horizontal line.
	Limit float64
	// Crossing, when not zero, marks the predicted crossing of the limit.
	Crossing time.Time
	// Scale divides every value before drawing (e.g. 1<<30 for GiB).
	Scale float64
	// NoLegend leaves the legend out (the HTML report explains the
	// colours once, under its table).
	NoLegend bool
}

// Colours of the chart elements.
var (
	historyColor  = color.NRGBA{R: 0x33, G: 0x55, B: 0x99, A: 0xff}
	forecastColor = color.NRGBA{R: 0xdd, G: 0x77, B: 0x00, A: 0xff}
	bandColor     = color.NRGBA{R: 0xdd, G: 0x77, B: 0x00, A: 0x40}
	limitColor    = color.NRGBA{R: 0xcc, G: 0x22, B: 0x22, A: 0xff}
)

// Render draws c as "svg" or "png" of the given size (zero means 16×8 cm).
func (c Chart) Render(w io.Writer, format string, width, height vg.Length) error {
	if width == 0 {
		width = 16 * vg.Centimeter
	}
	if height == 0 {
		height = 8 * vg.Centimeter
	}
	p, err := c.plot()
	if err != nil {
		return err
	}
	if c.NoLegend {
		p.Legend = plot.NewLegend()
	}
	wt, err := p.WriterTo(width, height, format)
	if err != nil {
		return fmt.Errorf("cannot draw chart %q as %s: %w", c.Title, format, err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("cannot write chart %q: %w", c.Title, err)
	}
	return nil
}

func (c Chart) plot() (*plot.Plot, error) {
	scale := c.Scale
	if scale == 0 {
		scale = 1
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.Y.Label.Text = c.YLabel
	p.X.Tick.Marker = plot.TimeTicks{Format: "Jan 02\n15:04", Time: func(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())

	xy := func(ts []int64, vs []float64) plotter.XYs {
		pts := make(plotter.XYs, 0, len(ts))
		for i, t := range ts {
			if i >= len(vs) || math.IsNaN(vs[i]) || math.IsInf(vs[i], 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: float64(t) / 1000, Y: vs[i] / scale})
		}
		return pts
	}
	if len(c.ForecastT) > 0 && len(c.Lower) == len(c.ForecastT) && len(c.Upper) == len(c.ForecastT) {
		lo, hi := xy(c.ForecastT, c.Lower), xy(c.ForecastT, c.Upper)
		if len(lo) > 1 && len(lo) == len(hi) {
			band := make(plotter.XYs, 0, 2*len(lo))
			band = append(band, lo...)
			for i := len(hi) - 1; i >= 0; i-- {
				band = append(band, hi[i])
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, fmt.Errorf("cannot draw the interval of %q: %w", c.Title, err)
			}
			poly.Color = bandColor
			poly.LineStyle.Width = 0
			p.Add(poly)
			p.Legend.Add("P10–P90", poly)
		}
	}
	if h := xy(c.HistoryT, c.HistoryV); len(h) > 0 {
		l, err := plotter.NewLine(h)
		if err != nil {
			return nil, fmt.Errorf("cannot draw the history of %q: %w", c.Title, err)
		}
		l.Color = historyColor
		l.Width = vg.Points(1)
		p.Add(l)
		p.Legend.Add("history", l)
	}
	if m := xy(c.ForecastT, c.Mean); len(m) > 0 {
		l, err := plotter.NewLine(m)
		if err != nil {
			return nil, fmt.Errorf("cannot draw the forecast of %q: %w", c.Title, err)
		}
		l.Color = forecastColor
		l.Width = vg.Points(1.5)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l)
		p.Legend.Add("forecast", l)
	}
	if !math.IsNaN(c.Limit) && !math.IsInf(c.Limit, 0) {
		x0, x1 := xRange(c)
		l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: c.Limit / scale}, {X: x1, Y: c.Limit / scale}})
		if err == nil {
			l.Color = limitColor
			l.Width = vg.Points(1)
			p.Add(l)
			p.Legend.Add("limit", l)
		}
	}
	if !c.Crossing.IsZero() && !math.IsNaN(c.Limit) {
		s, err := plotter.NewScatter(plotter.XYs{{X: float64(c.Crossing.Unix()), Y: c.Limit / scale}})
		if err == nil {
			s.GlyphStyle.Color = limitColor
			s.GlyphStyle.Radius = vg.Points(4)
			s.GlyphStyle.Shape = draw.CrossGlyph{}
			p.Add(s)
			p.Legend.Add("predicted crossing (P50)", s)
		}
	}
	return p, nil
}

// xRange returns the first and last instant drawn, in seconds.
func xRange(c Chart) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ts := range [][]int64{c.HistoryT, c.ForecastT} {
		if len(ts) > 0 {
			lo = math.Min(lo, float64(ts[0])/1000)
			hi = math.Max(hi, float64(ts[len(ts)-1])/1000)
		}
	}
	if math.IsInf(lo, 0) {
		return 0, 1
	}
	return lo, hi
}
