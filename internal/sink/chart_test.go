package sink

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

const gib = 1 << 30

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// line builds a history or forecast path: n points every step from start,
// value f(i).
func line(start time.Time, step time.Duration, n int, f func(i int) float64) ([]int64, []float64) {
	ts, vs := make([]int64, n), make([]float64, n)
	for i := range n {
		ts[i], vs[i] = start.Add(time.Duration(i)*step).UnixMilli(), f(i)
	}
	return ts, vs
}

// freeSpaceChart is a disk of 500 GiB with 15 GiB free losing 12 GiB a
// day: its forecast runs to −400 GiB within the horizon.
func freeSpaceChart() Chart {
	c := Chart{Title: "disk worker-1 /data", Bytes: true, Down: true, Limit: 0, Capacity: 500 * gib, Now: t0, YLabel: "free"}
	c.HistoryT, c.HistoryV = line(t0.Add(-14*24*time.Hour), 5*time.Minute, 14*288+1, func(i int) float64 { return 15*gib + 12*gib*float64(14*288-i)/288 })
	c.ForecastT, c.Mean = line(t0.Add(5*time.Minute), 5*time.Minute, 7*288, func(i int) float64 { return 15*gib - 12*gib*float64(i+1)/288 })
	for _, m := range c.Mean {
		c.Lower, c.Upper = append(c.Lower, m-3*gib), append(c.Upper, m+3*gib)
	}
	c.CrossingEarly, c.Crossing, c.CrossingLate = t0.Add(24*time.Hour), t0.Add(30*time.Hour), t0.Add(36*time.Hour)
	return c
}

// leakChart is a container at 892 MiB of its 1 GiB limit, whose forecast
// runs to five times the limit within the horizon.
func leakChart() Chart {
	c := Chart{Title: "memory shop/checkout", Bytes: true, Limit: gib, Now: t0}
	c.HistoryT, c.HistoryV = line(t0.Add(-14*24*time.Hour), 5*time.Minute, 14*288+1, func(i int) float64 { return 400<<20 + 492<<20*float64(i)/(14*288) })
	c.ForecastT, c.Mean = line(t0.Add(5*time.Minute), 5*time.Minute, 7*288, func(i int) float64 { return 892<<20 + 4*gib*float64(i+1)/(7*288) })
	for _, m := range c.Mean {
		c.Lower, c.Upper = append(c.Lower, m*0.9), append(c.Upper, m*1.1)
	}
	c.Crossing = t0.Add(15 * time.Hour)
	return c
}

// youngPodChart is a pod 10 hours old with a 7-day forecast and no
// crossing.
func youngPodChart() Chart {
	c := Chart{Title: "memory shop/new", Bytes: true, Limit: 4 * gib, Now: t0}
	c.HistoryT, c.HistoryV = line(t0.Add(-10*time.Hour), 5*time.Minute, 121, func(i int) float64 { return gib + 1e6*float64(i) })
	c.ForecastT, c.Mean = line(t0.Add(5*time.Minute), 5*time.Minute, 7*288, func(i int) float64 { return gib + 1e6*float64(121+i) })
	for _, m := range c.Mean {
		c.Lower, c.Upper = append(c.Lower, m-1e8), append(c.Upper, m+1e8)
	}
	return c
}

// requestsChart is a forecast without a limit of a rate in the tens of
// billions, whose lower bound dips below zero.
func requestsChart() Chart {
	c := Chart{Title: `sum(rate(http_requests_total{job="api", handler="/v1/orders/{id}", code=~"2.."}[5m])) by a very long selector`, Limit: math.NaN(), Unit: "req/s"}
	c.HistoryT, c.HistoryV = line(t0.Add(-14*24*time.Hour), time.Hour, 14*24, func(i int) float64 { return 1.1e10 + 3e9*math.Sin(2*math.Pi*float64(i)/24) })
	c.ForecastT, c.Mean = line(t0, time.Hour, 24, func(i int) float64 { return 1.1e10 + 3e9*math.Sin(2*math.Pi*float64(i)/24) })
	for _, m := range c.Mean {
		c.Lower, c.Upper = append(c.Lower, m-1.5e10), append(c.Upper, m+2e9)
	}
	return c
}

func TestChartViewIsTheMeaningfulRange(t *testing.T) {
	t.Run("free space never goes below zero, however far the forecast falls", func(t *testing.T) {
		v := freeSpaceChart().view()
		require.GreaterOrEqual(t, v.y0, 0.0, "the axis goes below zero free space")
		require.Equal(t, "GiB", v.unit)
		require.LessOrEqual(t, v.y1*v.scale, 500.0*gib, "never past the filesystem's size")
	})
	t.Run("memory stops at the limit plus a margin, not at five times the limit", func(t *testing.T) {
		v := leakChart().view()
		require.Equal(t, 0.0, v.y0)
		require.InDelta(t, 1.1, v.y1, 0.05, "GiB")
		require.Equal(t, "GiB", v.unit)
	})
	t.Run("the forecast reaches the crossing and the history is comparable", func(t *testing.T) {
		c := freeSpaceChart()
		v := c.view()
		require.GreaterOrEqual(t, v.x1, float64(c.CrossingLate.Unix()), "the P90 crossing is in the window")
		f, h := v.x1-v.now, v.now-v.x0
		require.LessOrEqual(t, h, 3*f+1, "history at most three times the forecast")
		require.GreaterOrEqual(t, f, h/2-1, "forecast at least half the history")
		v = leakChart().view()
		require.Less(t, v.now-v.x0, 3*24*3600.0, "not 14 days of history before a crossing in 15 hours")
	})
	t.Run("a 10-hour-old pod is not shown against a 7-day forecast", func(t *testing.T) {
		v := youngPodChart().view()
		require.InDelta(t, 10*3600, v.now-v.x0, 1)
		require.LessOrEqual(t, v.x1-v.now, 10*3600.0+1)
	})
	t.Run("without a limit the interval is shown within reason, from zero for a rate", func(t *testing.T) {
		v := requestsChart().view()
		require.Equal(t, 0.0, v.y0, "a rate that was never negative is not drawn below zero")
		require.Less(t, v.y1, 2e10)
	})
}

// svgDoc is what the tests read back from a rendered SVG.
type svgDoc struct {
	paths []svgPath
	texts []svgText
}

type svgPath struct {
	style string
	pts   []vg.Point
}

type svgText struct {
	x, y vg.Length
	s    string
}

var number = regexp.MustCompile(`-?[0-9]*\.?[0-9]+(e-?[0-9]+)?`)

// parseSVG reads gonum's SVG: paths in the page's (y up) coordinates, and
// the horizontal texts (the y axis label, rotated, is left out).
func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	rotated := 0
	var cur *svgText
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch el.Name.Local {
			case "g":
				if strings.Contains(attr["transform"], "rotate") || rotated > 0 {
					rotated++
				}
			case "path":
				p := svgPath{style: attr["style"]}
				nums := number.FindAllString(attr["d"], -1)
				for i := 0; i+1 < len(nums); i += 2 {
					x, _ := strconv.ParseFloat(nums[i], 64)
					y, _ := strconv.ParseFloat(nums[i+1], 64)
					p.pts = append(p.pts, vg.Point{X: vg.Length(x), Y: vg.Length(y)})
				}
				doc.paths = append(doc.paths, p)
			case "text":
				if rotated == 0 {
					x, _ := strconv.ParseFloat(attr["x"], 64)
					y, _ := strconv.ParseFloat(attr["y"], 64)
					cur = &svgText{x: vg.Length(x), y: vg.Length(-y)}
				}
			}
		case xml.CharData:
			if cur != nil {
				cur.s += string(el)
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "g":
				if rotated > 0 {
					rotated--
				}
			case "text":
				if cur != nil {
					doc.texts = append(doc.texts, *cur)
					cur = nil
				}
			}
		}
	}
	return doc
}

// renderSVG draws c as SVG of the given size and returns it with the
// rectangle of its data area.
func renderSVG(t *testing.T, c Chart, w, h vg.Length) ([]byte, vg.Rectangle) {
	t.Helper()
	cv := vgsvg.New(w, h)
	area, err := c.draw(draw.New(cv))
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = cv.WriteTo(&b)
	require.NoError(t, err)
	return b.Bytes(), area.Rectangle
}

// The styles of the data paths (see the colours in chart.go).
const (
	historyStroke  = "stroke:#335599"
	forecastStroke = "stroke:#D06000"
	bandFill       = "fill-opacity" // the only translucent fill: the band
)

func TestChartsKeepEveryPathInsideThePlotBox(t *testing.T) {
	charts := map[string]Chart{"free space": freeSpaceChart(), "leak": leakChart(), "young pod": youngPodChart(), "requests": requestsChart()}
	sizes := map[string][2]vg.Length{"report, wide": wideChart, "report, narrow": narrowChart, "forecast --plot": {16 * vg.Centimeter, 8 * vg.Centimeter}}
	for name, c := range charts {
		for sname, size := range sizes {
			for _, legend := range []bool{false, true} {
				c := c
				c.NoLegend = !legend
				t.Run(name+", "+sname+", legend "+strconv.FormatBool(legend), func(t *testing.T) {
					b, box := renderSVG(t, c, size[0], size[1])
					doc := parseSVG(t, b)
					const eps = 0.6
					kinds := map[string]int{}
					for _, p := range doc.paths {
						kind := ""
						switch {
						case strings.Contains(p.style, historyStroke):
							kind = "history"
						case strings.Contains(p.style, forecastStroke):
							kind = "forecast"
						case strings.Contains(p.style, bandFill):
							kind = "band"
						default:
							continue
						}
						if legend && allAbove(p.pts, box.Max.Y) {
							continue // the legend's swatch, above the plot
						}
						kinds[kind]++
						for _, pt := range p.pts {
							require.True(t, pt.X >= box.Min.X-eps && pt.X <= box.Max.X+eps && pt.Y >= box.Min.Y-eps && pt.Y <= box.Max.Y+eps,
								"a %s point %v is outside the plot box %v", kind, pt, box)
						}
					}
					require.Positive(t, kinds["history"], "the history is drawn")
					require.Positive(t, kinds["forecast"], "the P50 line is drawn")
					require.Positive(t, kinds["band"], "the P10–P90 band is drawn")
					for _, tx := range doc.texts {
						s := strings.TrimSpace(tx.s)
						require.NotRegexp(t, `[0-9]e[+-][0-9]`, s, "no exponent notation on an axis")
						if c.Bytes || name == "requests" {
							require.False(t, strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−"), "a negative tick %q on an axis that starts at zero", s)
						}
					}
					if legend {
						above := 0
						for _, tx := range doc.texts {
							if tx.y > box.Max.Y {
								above++
							}
						}
						require.GreaterOrEqual(t, above, 4, "the title and legend are above the plot box, clear of the data")
					}
				})
			}
		}
	}
}

func allAbove(pts []vg.Point, y vg.Length) bool {
	for _, p := range pts {
		if p.Y <= y {
			return false
		}
	}
	return true
}

func TestTheBandIsVisibleOrSaidToBeThin(t *testing.T) {
	c := leakChart()
	require.Empty(t, c.ThinBand(), "a ±10% band is drawn wide enough to see")
	b, box := renderSVG(t, c, wideChart[0], wideChart[1])
	for _, p := range parseSVG(t, b).paths {
		if !strings.Contains(p.style, bandFill) {
			continue
		}
		lo, hi := vg.Length(math.Inf(1)), vg.Length(math.Inf(-1))
		for _, pt := range p.pts {
			lo, hi = min(lo, pt.Y), max(hi, pt.Y)
		}
		require.Greater(t, float64(hi-lo), 0.05*float64(box.Max.Y-box.Min.Y), "the band spans a visible height")
	}
	for i := range c.Mean {
		c.Lower[i], c.Upper[i] = c.Mean[i]-1<<20, c.Mean[i]+1<<20
	}
	require.Equal(t, "1 MiB", c.ThinBand())
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, Report{Title: "t", Sections: []Section{{Risk: "critical", Title: "x", Chart: c}}}))
	require.Contains(t, buf.String(), "The P10–P90 band stays within ±1 MiB of the P50 forecast")
}

func TestTimeTicksFallOnRoundHoursAndDays(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		max  int
		step time.Duration
	}{
		{10 * time.Hour, 8, 2 * time.Hour},
		{36 * time.Hour, 8, 6 * time.Hour},
		{5 * 24 * time.Hour, 8, 24 * time.Hour},
		{21 * 24 * time.Hour, 8, 3 * 24 * time.Hour},
		{21 * 24 * time.Hour, 4, 7 * 24 * time.Hour},
	} {
		t.Run(c.span.String(), func(t *testing.T) {
			lo := float64(t0.Add(-37*time.Minute).Unix()) + 13
			hi := lo + c.span.Seconds()
			ticks := timeTicks{max: c.max}.Ticks(lo, hi)
			labelled := 0
			for _, tk := range ticks {
				require.GreaterOrEqual(t, tk.Value, lo)
				require.LessOrEqual(t, tk.Value, hi)
				if tk.Label == "" {
					continue
				}
				labelled++
				require.Zero(t, math.Mod(tk.Value, c.step.Seconds()), "%s is not on a round %s", tk.Label, c.step)
				require.Regexp(t, `^([A-Z][a-z]{2} [0-9]{1,2}|[0-9]{2}:00|[A-Z][a-z]{2} [0-9]{1,2} [0-9]{2}:00)$`, tk.Label)
			}
			require.LessOrEqual(t, labelled, c.max)
			require.GreaterOrEqual(t, labelled, 2)
		})
	}
}

func TestValueTicksUseSIPrefixes(t *testing.T) {
	for _, tk := range (valueTicks{}).Ticks(0, 2.4e10) {
		if tk.Label != "" {
			require.Regexp(t, `^[0-9.]+[kMG]?$`, tk.Label)
		}
	}
}

func TestReportIsAPageForAnOnCallLead(t *testing.T) {
	r := Report{
		Title: "omen — capacity predictions", AsOf: t0,
		Summary:  []Count{{"critical", 1}, {"warning", 1}, {"info", 0}, {"ok", 2}},
		Headline: "Soonest exhaustion: memory shop/checkout, full in 15h.",
		Sections: []Section{
			{Risk: "critical", Title: "memory shop/checkout", Facts: []Fact{{"full in", "15h"}}, Reason: "Runs out in about 15h <soon>.", Labels: `{pod="checkout"}`, Chart: leakChart()},
			{Risk: "warning", Title: "disk worker-1 /data", Facts: []Fact{{"full in", "1d6h"}}, Reason: "Runs out in about 30h.", Chart: freeSpaceChart()},
		},
		Columns: []string{"RISK", "TARGET", "SERIES", "PATTERN", "USAGE", "WHY"},
		Rows:    [][]string{{"ok", "disk", "db-1 /", "flat", "56% of 40 GiB", "Does not run out."}, {"ok (stale)", "memory", "a/b/c", "flat", "1 GiB", "Stale."}},
		RowRisk: []string{"ok", "ok (stale)"},
	}
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, r))
	page := b.String()
	summary := strings.Index(page, `class="summary"`)
	first := strings.Index(page, `<section class="target critical"`)
	rest := strings.Index(page, `<table id="results"`)
	require.True(t, summary > 0 && summary < first && first < rest, "summary, then the sections, then the table")
	require.Contains(t, page, "Soonest exhaustion: memory shop/checkout, full in 15h.")
	require.Contains(t, page, `<span class="n">1</span>critical`)
	require.Equal(t, 2, strings.Count(page, "<section class=\"target"))
	require.Equal(t, 4, strings.Count(page, "<svg"), "each chart twice: for wide and for narrow screens")
	require.Contains(t, page, "Runs out in about 15h &lt;soon&gt;.", "the reason is escaped")
	require.Contains(t, page, `<a href="#target-0">memory shop/checkout</a> — full in 15h`)
	require.Contains(t, page, `<tr class="stale">`)
	require.Contains(t, page, "Not at risk (2)")
	offline := regexp.MustCompile(`xmlns(:\w+)?="[^"]*"`).ReplaceAllString(page, "")
	for _, external := range []string{"http://", "https://", "<script", "<link", "@import", "url("} {
		require.NotContains(t, offline, external, "the page works offline")
	}
}
