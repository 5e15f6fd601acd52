package capacity

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/omenhq/omen/series"
)

// Target is one resource to predict: a usage series and the limit it must
// not reach.
type Target struct {
	// Labels identify the target in results.
	Labels series.Labels
	// Usage is the value that approaches the limit (bytes used, bytes
	// available, …), in the same unit as the limit. NaN samples are
	// missing scrapes.
	Usage series.Series
	// Limit is the exhaustion threshold over time in Usage's unit: the
	// latest non-NaN sample at or before the as-of instant is the limit.
	// For available bytes falling to zero (Down) the threshold is 0, not
	// the filesystem size: put the size in Capacity.
	Limit series.Series
	// LimitValue is the threshold when Limit has no sample at or before
	// the as-of instant. NaN or ±Inf means the resource has no limit
	// (pattern no-limit). With direction Up a limit ≤ 0 also means no
	// limit, as cAdvisor reports an unlimited container.
	LimitValue float64
	// Capacity is optional: the total size of the resource (e.g.
	// node_filesystem_size_bytes), used only to express the headroom as a
	// fraction in the reason; never the threshold.
	Capacity series.Series
	// Direction says whether exhaustion is value ≥ limit (Up) or
	// value ≤ limit (Down).
	Direction series.Direction
	// Restarts is an optional restart counter
	// (kube_pod_container_status_restarts_total): every change starts a
	// new segment of the usage series.
	Restarts series.Series
}

// Config holds the settings of Predict. The zero value is ready to use;
// every field documents its default.
type Config struct {
	// Horizon is how far ahead a crossing is looked for; 0 means 7 days.
	Horizon time.Duration
	// Critical is the P50 time to exhaustion under which the risk is
	// critical; 0 means 24 hours.
	Critical time.Duration
	// Warning is the P50 time to exhaustion under which the risk is
	// warning; 0 means 7 days.
	Warning time.Duration
	// Window is how much history before the as-of instant is used; 0
	// means 14 days.
	Window time.Duration
	// MaxPoints caps the number of history points analysed: a denser
	// series is subsampled (the last sample of each bucket, as a range
	// query at a coarser step returns it); 0 means 4096.
	MaxPoints int
	// ForecastPoints caps the number of points of Prediction.Forecast (the
	// chart path): its step is the data step times the smallest whole
	// factor that keeps it under the cap; 0 means 512, negative means no
	// forecast path.
	ForecastPoints int
	// Seed seeds the method's random draws: the simulated paths of the
	// daily envelope (simulate.go) resample residual days and draw trend
	// uncertainty. The same seed and data give the same prediction.
	Seed uint64
	// Logger receives debug records of the decisions taken; nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Horizon <= 0 {
		c.Horizon = 7 * day
	}
	if c.Critical <= 0 {
		c.Critical = 24 * time.Hour
	}
	if c.Warning <= 0 {
		c.Warning = 7 * day
	}
	if c.Window <= 0 {
		c.Window = 14 * day
	}
	if c.MaxPoints <= 0 {
		c.MaxPoints = 4096
	}
	if c.ForecastPoints == 0 {
		c.ForecastPoints = 512
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

const day = 24 * time.Hour

// Pattern is the shape of a usage series' recent history.
type Pattern string

// Patterns.
const (
	// PatternSteadyGrowth is growth at a constant rate.
	PatternSteadyGrowth Pattern = "steady-growth"
	// PatternLeak is growth within each run of a process that restarts
	// (out-of-memory kills): the next exhaustion is the next kill.
	PatternLeak Pattern = "leak"
	// PatternAccelerating is growth whose rate rises.
	PatternAccelerating Pattern = "accelerating"
	// PatternSawtooth is repeated slow rises and sudden drops (log
	// rotation, garbage collection, compaction): only its envelope counts.
	PatternSawtooth Pattern = "sawtooth"
	// PatternStep is a sudden lasting shift of level.
	PatternStep Pattern = "step"
	// PatternRampPlateau is a rise after each restart or deploy that
	// levels off (cache warm-up).
	PatternRampPlateau Pattern = "ramp-plateau"
	// PatternSeasonal is a daily (and weekly) cycle.
	PatternSeasonal Pattern = "seasonal"
	// PatternFlat is no material change.
	PatternFlat Pattern = "flat"
	// PatternDecreasing is usage going away from the limit.
	PatternDecreasing Pattern = "decreasing"
	// PatternDailyBatch is a short daily spike (a nightly job) over a
	// flatter base.
	PatternDailyBatch Pattern = "daily-batch"
	// PatternNoLimit is a resource without a limit.
	PatternNoLimit Pattern = "no-limit"
	// PatternInsufficientData is too little history to say anything.
	PatternInsufficientData Pattern = "insufficient-data"
)

// Risk is the urgency of a prediction, ordered: RiskOK < RiskInfo <
// RiskWarning < RiskCritical.
type Risk int

// Risk levels.
const (
	// RiskOK is no plausible exhaustion within the horizon.
	RiskOK Risk = iota
	// RiskInfo is a plausible but unlikely exhaustion: the early (P10)
	// crossing is within the horizon while the median one is not within
	// the warning threshold.
	RiskInfo
	// RiskWarning is a median (P50) exhaustion within Config.Warning.
	RiskWarning
	// RiskCritical is a median exhaustion within Config.Critical, or a
	// resource already exhausted.
	RiskCritical
)

// String returns "ok", "info", "warning" or "critical".
func (r Risk) String() string {
	switch r {
	case RiskOK:
		return "ok"
	case RiskInfo:
		return "info"
	case RiskWarning:
		return "warning"
	case RiskCritical:
		return "critical"
	}
	return fmt.Sprintf("Risk(%d)", int(r))
}

// MarshalText implements encoding.TextMarshaler.
func (r Risk) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Risk) UnmarshalText(b []byte) error {
	for _, x := range []Risk{RiskOK, RiskInfo, RiskWarning, RiskCritical} {
		if x.String() == string(b) {
			*r = x
			return nil
		}
	}
	return fmt.Errorf("capacity: risk %q: want ok, info, warning or critical", b)
}

// ETA is the time from the as-of instant to exhaustion as three quantiles.
// A nil field means that quantile is beyond the horizon. P10 ≤ P50 ≤ P90
// whenever they are set, and a set P50 implies a set P10.
type ETA struct {
	P10, P50, P90 *time.Duration
}

// ForecastPoints is the predicted path over the horizon, in the unit of
// the usage series, for charts. Lower and Upper bound the central 80% of
// the predicted envelope: with direction Up the P10 time to exhaustion is
// where Upper reaches the limit and the P90 where Lower does; with Down
// the other way round.
type ForecastPoints struct {
	// Timestamps are Unix milliseconds after the last sample.
	Timestamps []int64
	// Mean is the central path (its crossing is the P50).
	Mean []float64
	// Lower and Upper are the 10% and 90% quantile paths.
	Lower, Upper []float64
}

// Prediction is the result of Predict for one target.
type Prediction struct {
	// Labels are the target's labels.
	Labels series.Labels
	// AsOf is the instant the prediction is made for: only samples at or
	// before it were used.
	AsOf time.Time
	// Current is the last usage sample at or before AsOf (NaN when none).
	Current float64
	// LastSample is the time of Current (zero when none).
	LastSample time.Time
	// Stale is set when LastSample is older at AsOf than StaleAfter or
	// two steps of the data, whichever is longer: the series stopped
	// reporting, and the prediction is as of its last sample. The Reason
	// then starts with "Stale: last sample … ago".
	Stale bool
	// Limit is the threshold in force at AsOf (NaN when none).
	Limit float64
	// Capacity is the last Target.Capacity sample (NaN when none).
	Capacity float64
	// Direction is the target's direction.
	Direction series.Direction
	// ETA is the time to exhaustion; nil when no quantile crosses within
	// the horizon.
	ETA *ETA
	// Pattern is the shape of the history.
	Pattern Pattern
	// Model names the model that produced the ETA, e.g. "linear+daily".
	Model string
	// Risk is the urgency derived from the ETA and Config thresholds.
	Risk Risk
	// Reason says in one sentence which data, which model and why.
	Reason string
	// Segments is the number of segments the window was cut into at
	// restarts and deploys (1 when none).
	Segments int
	// LastRestart is the start of the current segment when the window
	// was cut; zero otherwise.
	LastRestart time.Time
	// Warnings are data problems met (gaps, stale data, short history).
	Warnings []string
	// Forecast is the predicted path for charts (empty when there is no
	// limit or too little data).
	Forecast ForecastPoints
}

// ErrInvalidSeries is wrapped by the errors Predict returns for a series
// that breaks the series invariants (lengths, sorted timestamps).
var ErrInvalidSeries = errors.New("capacity: invalid series")
