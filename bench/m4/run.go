package m4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omenhq/omen/forecast"
)

// ErrMismatch is returned when the train and test files do not describe the
// same series.
var ErrMismatch = errors.New("m4: train and test files do not match")

// Options configures Run. The zero value of every field but the paths has a
// documented default.
type Options struct {
	// TrainPath and TestPath are the wide CSV files (see Read); rows are
	// matched by id.
	TrainPath, TestPath string
	// Model is a name accepted by forecast.ByName; default "auto".
	Model string
	// Period is the seasonal period used by MASE, Naive2 and the models;
	// default 24 (M4 hourly).
	Period int
	// Horizon is the number of steps forecast and scored; default 48. Test
	// rows must hold at least Horizon values.
	Horizon int
	// Step is the sampling step, from which Auto derives its candidate
	// periods (for example 1h → 24 and 168). Default 24h/Period: M4's
	// hourly files carry no timestamps and their period is the daily cycle.
	Step time.Duration
	// Level is the nominal level of the prediction intervals scored;
	// default 0.8.
	Level float64
	// Workers is the number of series forecast in parallel; default
	// runtime.GOMAXPROCS(0).
	Workers int
	// Conformal replaces the model's intervals by empirical ones from
	// rolling-origin validation over Horizon steps (forecast.Conformal);
	// Auto's intervals are empirical already.
	Conformal bool
	// Limit, when positive, scores only the first Limit series.
	Limit int
	// HoldOut scores on the last Horizon values of each training series
	// (fitting on the values before them) and ignores TestPath: the way to
	// study a setting without looking at the test set.
	HoldOut bool
	// ForecastsOut, when set, receives the point forecasts as id,F1,…,FH
	// in the order of the train file.
	ForecastsOut io.Writer
	// Logger receives one debug record per series; nil discards them.
	Logger *slog.Logger
}

// SeriesScore is the outcome for one series.
type SeriesScore struct {
	ID string
	// SMAPE and MASE of the model, and of Naive2 on the same series.
	SMAPE, MASE             float64
	Naive2SMAPE, Naive2MASE float64
	// Coverage is the fraction of the test values inside the interval.
	Coverage float64
	// MSIS is M4's mean scaled interval score at Report.Level.
	MSIS float64
	// Model and Reason are what the forecaster reported (Auto's choice).
	Model, Reason string
	// Warnings are the forecaster's warnings.
	Warnings []string
	// Time is the fit and forecast time of this series on one core.
	Time time.Duration
}

// Report is the outcome of Run. Averages are over series, as M4 computes
// them.
type Report struct {
	// Model, Period, Horizon, Level and Workers are the settings used.
	Model   string
	Period  int
	Horizon int
	Level   float64
	Workers int
	// Series is the number of series scored.
	Series int
	// SMAPE and MASE are the model's averages; OWA relates them to Naive2's
	// averages Naive2SMAPE and Naive2MASE on the same series.
	SMAPE, MASE             float64
	OWA                     float64
	Naive2SMAPE, Naive2MASE float64
	// Coverage is the mean fraction of test values inside the intervals at
	// Level; MSIS is M4's mean scaled interval score at Level.
	Coverage float64
	MSIS     float64
	// WallTime is the duration of the whole run (reading excluded);
	// FitTime sums the fit and forecast time of every series on its core
	// and TimePerSeries is FitTime/Series.
	WallTime      time.Duration
	FitTime       time.Duration
	TimePerSeries time.Duration
	// Choices counts the forecasters' Forecast.Model values (Auto's
	// combinations).
	Choices map[string]int
	// WarnedSeries counts the series whose forecast carried warnings.
	WarnedSeries int
	// PerSeries holds the scores of each series in the order of the train
	// file.
	PerSeries []SeriesScore
}

// Run fits opts.Model to every training series, forecasts opts.Horizon
// steps at opts.Level and scores them against the test file with sMAPE,
// MASE and OWA relative to Naive2 (computed here, as M4 does), interval
// coverage and MSIS, timing each series. Series are processed in parallel by
// opts.Workers goroutines; the report does not depend on the worker count.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Model == "" {
		opts.Model = "auto"
	}
	if opts.Period <= 0 {
		opts.Period = 24
	}
	if opts.Horizon <= 0 {
		opts.Horizon = 48
	}
	if opts.Step <= 0 {
		opts.Step = 24 * time.Hour / time.Duration(opts.Period)
	}
	if !(opts.Level > 0 && opts.Level < 1) {
		opts.Level = forecast.DefaultLevel
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	model, err := forecast.ByName(opts.Model)
	if err != nil {
		return nil, err
	}
	if a, ok := model.(forecast.AutoModel); ok {
		a.Options.Step = opts.Step
		a.Options.Horizon = opts.Horizon
		a.Options.Level = opts.Level
		model = a
	} else if opts.Conformal {
		model = forecast.Conformal{Model: model, Horizon: opts.Horizon}
	}
	train, err := ReadFile(opts.TrainPath)
	if err != nil {
		return nil, err
	}
	if opts.Limit > 0 && opts.Limit < len(train) {
		train = train[:opts.Limit]
	}
	var test []Series
	if opts.HoldOut {
		for i, s := range train {
			if len(s.Values) <= 2*opts.Horizon {
				return nil, fmt.Errorf("series %q in %s: %d values, too few to hold out %d", s.ID, opts.TrainPath, len(s.Values), opts.Horizon)
			}
			k := len(s.Values) - opts.Horizon
			test = append(test, Series{ID: s.ID, Values: s.Values[k:]})
			train[i].Values = s.Values[:k]
		}
	} else if test, err = ReadFile(opts.TestPath); err != nil {
		return nil, err
	}
	byID := make(map[string][]float64, len(test))
	for _, s := range test {
		byID[s.ID] = s.Values
	}
	actual := make([][]float64, len(train))
	for i, s := range train {
		a, ok := byID[s.ID]
		if !ok {
			return nil, fmt.Errorf("%w: series %q of %s is not in %s", ErrMismatch, s.ID, opts.TrainPath, opts.TestPath)
		}
		if len(a) < opts.Horizon {
			return nil, fmt.Errorf("%w: series %q has %d test values in %s, expected at least the horizon %d", ErrMismatch, s.ID, len(a), opts.TestPath, opts.Horizon)
		}
		for j, v := range a[:opts.Horizon] {
			if !finite(v) {
				return nil, fmt.Errorf("%w: series %q test value %d in %s is missing", ErrMismatch, s.ID, j+1, opts.TestPath)
			}
		}
		if sc := MASEScale(s.Values, opts.Period); !(sc > 0) || math.IsInf(sc, 0) {
			return nil, fmt.Errorf("series %q in %s: MASE scale at period %d is %v, expected a positive number (need more than %d values that are not all repeating)", s.ID, opts.TrainPath, opts.Period, sc, opts.Period)
		}
		actual[i] = a[:opts.Horizon]
	}

	periods := []int{opts.Period}
	for _, p := range forecast.CandidatePeriods(opts.Step) {
		if p != opts.Period {
			periods = append(periods, p)
		}
	}
	cfg := forecast.FitConfig{Periods: periods, Logger: opts.Logger}
	scores := make([]SeriesScore, len(train))
	means := make([][]float64, len(train))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, opts.Workers)
	start := time.Now()
	for w := range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fc forecast.Forecast
			n2 := make([]float64, opts.Horizon)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(train) || ctx.Err() != nil {
					return
				}
				s := train[i]
				t0 := time.Now()
				f, err := model.Fit(s.Values, cfg)
				if err != nil {
					errs[w] = fmt.Errorf("cannot fit %s to series %q: %w", opts.Model, s.ID, err)
					return
				}
				f.Forecast(&fc, opts.Horizon, opts.Level)
				el := time.Since(t0)
				y := actual[i]
				Naive2(n2, s.Values, opts.Period, opts.Horizon)
				sc := SeriesScore{
					ID:          s.ID,
					SMAPE:       SMAPE(y, fc.Mean),
					MASE:        MASE(s.Values, y, fc.Mean, opts.Period),
					Naive2SMAPE: SMAPE(y, n2),
					Naive2MASE:  MASE(s.Values, y, n2, opts.Period),
					Coverage:    Coverage(y, fc.Lower, fc.Upper),
					MSIS:        MSIS(s.Values, y, fc.Lower, fc.Upper, opts.Period, 1-opts.Level),
					Model:       fc.Model,
					Reason:      fc.Reason,
					Warnings:    append([]string(nil), fc.Warnings...),
					Time:        el,
				}
				scores[i] = sc
				means[i] = append([]float64(nil), fc.Mean...)
				log.Debug("forecast", "series", s.ID, "model", fc.Model, "smape", sc.SMAPE, "mase", sc.MASE, "time", el)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("m4 run interrupted: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	rep := &Report{
		Model: opts.Model, Period: opts.Period, Horizon: opts.Horizon, Level: opts.Level,
		Workers: opts.Workers, Series: len(train), WallTime: wall,
		Choices: map[string]int{}, PerSeries: scores,
	}
	for _, sc := range scores {
		rep.SMAPE += sc.SMAPE
		rep.MASE += sc.MASE
		rep.Naive2SMAPE += sc.Naive2SMAPE
		rep.Naive2MASE += sc.Naive2MASE
		rep.Coverage += sc.Coverage
		rep.MSIS += sc.MSIS
		rep.FitTime += sc.Time
		rep.Choices[sc.Model]++
		if len(sc.Warnings) > 0 {
			rep.WarnedSeries++
		}
	}
	n := float64(len(train))
	if n > 0 {
		rep.SMAPE /= n
		rep.MASE /= n
		rep.Naive2SMAPE /= n
		rep.Naive2MASE /= n
		rep.Coverage /= n
		rep.MSIS /= n
		rep.OWA = OWA(rep.SMAPE, rep.MASE, rep.Naive2SMAPE, rep.Naive2MASE)
		rep.TimePerSeries = rep.FitTime / time.Duration(len(train))
	}
	if opts.ForecastsOut != nil {
		rows := make([]Series, len(train))
		for i, s := range train {
			rows[i] = Series{ID: s.ID, Values: means[i]}
		}
		if err := WriteForecasts(opts.ForecastsOut, rows); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// ChoiceList returns the Choices as "model×count" pairs, most frequent first.
func (r *Report) ChoiceList() []string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range r.Choices {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].v != kvs[j].v {
			return kvs[i].v > kvs[j].v
		}
		return kvs[i].k < kvs[j].k
	})
	out := make([]string, len(kvs))
	for i, e := range kvs {
		out[i] = fmt.Sprintf("%s×%d", e.k, e.v)
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
