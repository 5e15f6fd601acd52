package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/omenhq/omen/forecast"
	"github.com/omenhq/omen/series"
)

// ForecastOptions configure Forecast. The zero value of every field is a
// documented default.
type ForecastOptions struct {
	// Model is "auto" (the default) or the name of one model
	// (forecast.ModelNames).
	Model string
	// Horizon is how far ahead to forecast; default 24h.
	Horizon time.Duration
	// Level is the nominal coverage of the interval; default
	// forecast.DefaultLevel.
	Level float64
	// Progress, when set, is called after each series with the number
	// forecast and the number of series.
	Progress func(done, total int)
}

// SeriesForecast is the forecast of one series with the regular history it
// was fitted on.
type SeriesForecast struct {
	// Labels are the series' labels.
	Labels series.Labels
	// Step is the grid's step.
	Step time.Duration
	// History is the series aligned on the grid (NaN where it had no
	// sample): what the model saw.
	History series.Series
	// Forecast holds the mean and the interval, one value per step after
	// the last point of History.
	*forecast.Forecast
}

// Timestamp returns the instant (Unix ms) of forecast point i.
func (f SeriesForecast) Timestamp(i int) int64 {
	return f.History.Last() + int64(i+1)*f.Step.Milliseconds()
}

// Forecast fits and forecasts every series of ss, in order: each is
// aligned on a regular grid of step (its own median step when step is 0),
// then forecast by opts.Model. It stops when ctx is done, saying how many
// series were done.
func Forecast(ctx context.Context, ss []series.Series, step time.Duration, opts ForecastOptions) ([]SeriesForecast, error) {
	if opts.Model == "" {
		opts.Model = "auto"
	}
	if opts.Horizon <= 0 {
		opts.Horizon = 24 * time.Hour
	}
	model, err := forecast.ByName(opts.Model)
	if err != nil {
		return nil, err
	}
	out := make([]SeriesForecast, 0, len(ss))
	for i, s := range ss {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("forecast stopped after %d of %d series: %w", i, len(ss), context.Cause(ctx))
		}
		fc, err := forecastOne(s, step, model, opts)
		if err != nil {
			return nil, fmt.Errorf("cannot forecast %s: %w", s.Labels, err)
		}
		out = append(out, fc)
		if opts.Progress != nil {
			opts.Progress(i+1, len(ss))
		}
	}
	return out, nil
}

// forecastOne resamples s on a regular grid and forecasts it.
func forecastOne(s series.Series, step time.Duration, model forecast.Model, opts ForecastOptions) (SeriesForecast, error) {
	st := step.Milliseconds()
	if st <= 0 {
		st = series.Step(s)
	}
	if st <= 0 {
		return SeriesForecast{}, fmt.Errorf("%d samples: need at least two to know the step", s.Len())
	}
	r := series.Range{Start: s.First(), End: s.Last(), Step: st}
	y := series.Align(nil, s, r, st)
	h := int(opts.Horizon.Milliseconds() / st)
	stepDur := time.Duration(st) * time.Millisecond
	if h < 1 {
		return SeriesForecast{}, fmt.Errorf("the horizon %s is shorter than the step %s", opts.Horizon, stepDur)
	}
	var fc *forecast.Forecast
	var err error
	if opts.Model == "auto" {
		fc, err = forecast.Auto(y, forecast.AutoOptions{Step: stepDur, Horizon: h, Level: opts.Level})
	} else {
		fc, err = forecast.Predict(model, y, forecast.FitConfig{Periods: forecast.CandidatePeriods(stepDur)}, h, opts.Level)
	}
	if err != nil {
		return SeriesForecast{}, err
	}
	return SeriesForecast{
		Labels: s.Labels, Step: stepDur, Forecast: fc,
		History: series.Series{Labels: s.Labels, Timestamps: r.Timestamps(nil), Values: y},
	}, nil
}
