package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/forecast"
	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/series"
	"github.com/omenhq/omen/units"
)

// forecastOptions are the flags of omen forecast.
type forecastOptions struct {
	fetchOptions
	Horizon time.Duration
	Model   string
	Level   float64
	Plot    string
}

func newForecastCmd(g *globalOptions) *cobra.Command {
	o := &forecastOptions{}
	cmd := &cobra.Command{
		Use:   "forecast",
		Short: "Forecast series with seasonal models and prediction intervals",
		Long: `forecast reads the history of a query (or a file), resamples each series on a regular
grid, and forecasts it --horizon ahead with a prediction interval (80% by default).

--model auto (the default) detects daily and weekly seasonality from the step, validates
several models on the end of the history and combines the best; the table says which
and why. Other models: ` + strings.Join(forecast.ModelNames(), ", ") + `.

The history is --range (default 14d) ending at --at or now; with --input and no range,
the whole file up to --at.`,
		Example: `  omen forecast --input requests.csv --horizon 1d
  omen forecast --prometheus http://localhost:9090 --query 'sum(rate(http_requests_total[5m]))' \
      --range 14d --step 5m --horizon 1d --format csv
  omen forecast --input disk.csv --at 2026-11-01T00:00:00Z --model hw --plot disk.svg`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runForecast(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Query, "query", "q", "", "PromQL/MetricsQL expression (with --input: a series selector; empty = every series)")
	f.StringVar(&o.Start, "start", "", "start `TIME` of the history")
	f.StringVar(&o.End, "end", "", "end `TIME` of the history (default --at, or now)")
	f.Var(durationValue{d: &o.Range}, "range", "length of the history, e.g. 14d (default 14d for servers)")
	f.Var(durationValue{d: &o.Step}, "step", "resolution of the history (default: chosen from the range, or the file's own step)")
	f.Var(durationValue{d: &o.Horizon}, "horizon", "how far ahead to forecast, e.g. 1d (default 1d)")
	excludeFlag(f, &o.Exclude)
	f.StringVar(&o.Model, "model", "auto", "model: "+strings.Join(forecast.ModelNames(), ", "))
	f.Float64Var(&o.Level, "level", forecast.DefaultLevel, "nominal coverage of the prediction interval, in (0,1)")
	f.StringVar(&o.Plot, "plot", "", "draw history, forecast and interval to `FILE` (.svg or .png; one file per series, numbered when several)")
	f.StringVar(&o.Output, "output", "", "write to `FILE` instead of stdout (atomically)")
	_ = cmd.RegisterFlagCompletionFunc("model", cobra.FixedCompletions(forecast.ModelNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// seriesForecast is one series' forecast, as rendered.
type seriesForecast struct {
	Labels   map[string]string `json:"labels"`
	Step     string            `json:"step"`
	Model    string            `json:"model"`
	Reason   string            `json:"reason"`
	Level    float64           `json:"level"`
	Warnings []string          `json:"warnings,omitempty"`
	Points   []forecastPoint   `json:"points"`

	labels  series.Labels
	history series.Series
}

type forecastPoint struct {
	Timestamp time.Time `json:"timestamp"`
	Mean      float64   `json:"mean"`
	Lower     float64   `json:"lower"`
	Upper     float64   `json:"upper"`
}

func runForecast(ctx context.Context, g *globalOptions, o *forecastOptions) error {
	if err := g.checkFormat(tableFormats...); err != nil {
		return err
	}
	if o.Level <= 0 || o.Level >= 1 {
		return usagef("invalid --level %v: want a number between 0 and 1, e.g. 0.8", o.Level)
	}
	if _, err := forecast.ByName(o.Model); err != nil {
		return usagef("invalid --model %q: want one of %s", o.Model, strings.Join(forecast.ModelNames(), ", "))
	}
	if o.Horizon == 0 {
		o.Horizon = 24 * time.Hour
	}
	if o.Plot != "" {
		if ext := strings.ToLower(filepath.Ext(o.Plot)); ext != ".svg" && ext != ".png" {
			return usagef("invalid --plot %q: want a file ending in .svg or .png", o.Plot)
		}
	}
	res, _, err := g.query(ctx, &o.fetchOptions, 14*24*time.Hour, true)
	if err != nil {
		return err
	}
	p := g.startProgress("forecasting")
	defer p.Finish("")
	fcs, err := engine.Forecast(ctx, res.Series, res.Step, engine.ForecastOptions{Model: o.Model, Horizon: o.Horizon, Level: o.Level, Progress: p.Counter("series")})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("nothing written: %w", err)
		}
		return err
	}
	out := make([]seriesForecast, len(fcs))
	for i, fc := range fcs {
		for _, w := range fc.Warnings {
			g.logger.Warn("forecast warning", "series", fc.Labels.String(), "warning", w)
		}
		out[i] = toSeriesForecast(fc)
	}
	p.Finish("forecast", "series", len(out))
	if o.Plot != "" {
		if err := plotForecasts(ctx, o.Plot, out); err != nil {
			return err
		}
	}
	return writeOutput(ctx, o.Output, g.stdout, func(w io.Writer) error { return renderForecasts(w, g.Format, g.display(o.Output), out) })
}

// toSeriesForecast is the rendered form of an engine forecast.
func toSeriesForecast(fc engine.SeriesForecast) seriesForecast {
	sf := seriesForecast{
		Labels: fc.Labels.Map(), Step: fmtDuration(fc.Step), Model: fc.Model, Reason: fc.Reason, Level: fc.Level,
		Warnings: fc.Warnings, labels: fc.Labels, history: fc.History,
	}
	for i := range fc.Mean {
		sf.Points = append(sf.Points, forecastPoint{
			Timestamp: time.UnixMilli(fc.Timestamp(i)).UTC(),
			Mean:      fc.Mean[i], Lower: fc.Lower[i], Upper: fc.Upper[i],
		})
	}
	return sf
}

func renderForecasts(w io.Writer, format string, d display, fcs []seriesForecast) error {
	switch format {
	case "json", "yaml":
		return writeData(w, format, map[string]any{"forecasts": fcs})
	case "csv":
		t := tableData{Header: []string{"series", "timestamp", "mean", "lower", "upper", "model"}}
		for _, f := range fcs {
			for _, p := range f.Points {
				t.Rows = append(t.Rows, []string{f.labels.String(), p.Timestamp.Format(time.RFC3339), num(p.Mean), num(p.Lower), num(p.Upper), f.Model})
			}
		}
		return writeTable(w, format, d, t)
	}
	t := tableData{
		Header:   []string{"SERIES", "STEP", "MODEL", "LAST", "AT HORIZON", "LOWER", "UPPER", "WHY"},
		Right:    []int{3, 4, 5, 6},
		Detail:   "WHY",
		Optional: []string{"STEP"},
		Cut:      []string{"SERIES", "MODEL"},
	}
	for _, f := range fcs {
		last := math.NaN()
		for i := f.history.Len() - 1; i >= 0; i-- {
			if !math.IsNaN(f.history.Values[i]) {
				last = f.history.Values[i]
				break
			}
		}
		p := f.Points[len(f.Points)-1]
		b := units.IsBytes(f.labels.Name())
		t.Rows = append(t.Rows, []string{f.labels.String(), f.Step, f.Model, fmtValue(last, b), fmtValue(p.Mean, b), fmtValue(p.Lower, b), fmtValue(p.Upper, b), f.Reason})
	}
	return writeTable(w, format, d, t)
}

// num formats a value exactly, for machines.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// plotForecasts draws one chart per forecast; with several, the files are
// numbered: disk.svg → disk-1.svg, disk-2.svg, …
func plotForecasts(ctx context.Context, path string, fcs []seriesForecast) error {
	ext := filepath.Ext(path)
	for i, f := range fcs {
		p := path
		if len(fcs) > 1 {
			p = strings.TrimSuffix(path, ext) + "-" + strconv.Itoa(i+1) + ext
		}
		c := sink.Chart{
			Title:    f.labels.String(),
			HistoryT: f.history.Timestamps, HistoryV: f.history.Values,
			Limit: math.NaN(), Bytes: units.IsBytes(f.labels.Name()),
		}
		for _, pt := range f.Points {
			c.ForecastT = append(c.ForecastT, pt.Timestamp.UnixMilli())
			c.Mean = append(c.Mean, pt.Mean)
			c.Lower = append(c.Lower, pt.Lower)
			c.Upper = append(c.Upper, pt.Upper)
		}
		err := writeOutput(ctx, p, nil, func(w io.Writer) error { return c.Render(w, strings.TrimPrefix(strings.ToLower(ext), "."), 0, 0) })
		if err != nil {
			return err
		}
	}
	return nil
}
