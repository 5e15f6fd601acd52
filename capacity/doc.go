// Package capacity predicts when a resource runs out — a filesystem fills,
// a container reaches its memory limit, any series reaches a threshold — as
// a time to exhaustion with an interval (P10/P50/P90), a pattern label, a
// risk level and a one-sentence reason. It is a library: it never prints,
// and logs decisions only to the slog.Logger of its Config.
//
// # Input
//
// A Target is a usage series, the threshold it must not reach (a series
// or a constant) and a Direction: Up is exhausted when usage ≥ limit
// (working set against the memory limit), Down when usage ≤ limit
// (available bytes against 0 — the threshold of a disk is 0, its size goes
// in Target.Capacity). An optional restart counter cuts the series into
// runs. Predict uses only the samples at or before its as-of instant and
// within Config.Window (default 14 days), so a prediction can be replayed
// as of any past instant.
//
// # Method
//
// Values are put on a regular grid at the median sampling interval (a
// denser series is subsampled to at most Config.MaxPoints, the last sample
// of each bucket, as a range query at a coarser step returns it) and
// oriented so that exhaustion is always upwards.
//
//  1. Segments. Every change of the restart counter starts a new run, and
//     so does a large persistent drop — at least max(20% of the range,
//     8·σ) between consecutive samples, σ the noise scale from the median
//     absolute first difference — unless drops (counted from half that
//     size, never below 8·σ) come more than 0.75 times a day and at least
//     twice: then they are a sawtooth (log rotation, garbage collection,
//     a nightly clean-up), not restarts. So are two or more large drops
//     without a restart counter whose peaks (the highest value of the hour
//     before each) lie below the limit by more than 3 times their spread
//     plus 8·σ: a resource reset when it runs out peaks at the limit each
//     time, a clean-up deletes at a level of its own.
//
//  2. Runs. A series cut into runs is fitted with one intercept per run and
//     a shape of the run's age shared by all complete runs and the current
//     one: leak growth b·age^p (p from 1 to 3, by grid then golden-section
//     search on the residual sum of squares), or a warm-up b·(1−e^{−age/τ})
//     that levels off, accepted only when τ is at most a third of a typical
//     run (the plateau is in the data). The exhaustion is then the next
//     kill of the current run. A current run younger than a day with no
//     complete run before it takes the slope of the end of the run before
//     (its own last hour gives only the level: a warm-up seen for a few
//     hours is not a leak) — from the data after 3τ when a warm-up
//     b·(1−e^{−age/τ}), τ at most a third of the run seen, fits the run
//     before better than a line (it levelled off; its ramp is not the
//     rate) — and without a material slope only its P10 is given; nor
//     when the run before ended below the limit by more than 3 residual
//     standard deviations (the highest value of its last hour: a deploy
//     or a clean-up, not a kill at the limit), as no run in the window was
//     seen to run out and a warm-up cut by a deploy looks like a leak
//     there: the late side is unbounded and the median undetermined.
//
//  3. Continuous series. A straight line and a daily profile (288 bins at
//     5 minutes; separate Saturday–Sunday bins when they differ, UTC) are
//     fitted by backfitting; the profile is kept when its F statistic
//     exceeds 4. A shift of level is looked for on hourly medians of the
//     deseasonalised series: two independent lines broken at each hour
//     against one quadratic, accepted at F > 40 with the lines 6 residual
//     standard deviations apart at the break; the trend is then refitted
//     on the data after the break (after a day, or after 12 hours when the
//     new slope differs significantly), otherwise the window's slope is
//     kept from the new level. Without a shift, a change of rate is looked
//     for on the same hourly medians: a broken line a + b·x + c·(x−x_j)₊
//     at every hour j leaving 12 hours after it, accepted when it fits
//     better than the quadratic (as many parameters: a bend of the whole
//     window is the quadratic's, a rate that changed at one instant the
//     broken line's) and beats the straight line at F > 40 after the F
//     statistic is deflated by (1+ρ)/(1−ρ), ρ the lag-1 autocorrelation
//     of its residuals, with at most 4 times the mean square after the
//     break as before it (an import written and deleted is not a new
//     rate), and fits better than the power curve below (as many
//     parameters again: a convex curve of exponent 1.5–3 under wandering
//     noise passes the other tests); the trend is then refitted on the
//     data after the break, and
//     a bend in them is still acceleration (the history is short only
//     when the window is). Growth is accelerating when the quadratic
//     term has a HAC t statistic above 4 and adds at least 5% to the
//     linear projection over the horizon: the better of the quadratic and
//     a + b·e^{ρx} (ρ refined) is used — or the power curve
//     a + b·(x − x₀)^p, x₀ an origin before the window (p from 1 to 8 and
//     x₀ searched on the pooled hourly medians, power.go), which contains
//     both, when its fourth parameter pays for itself by the Schwarz
//     criterion on the effective sample size n·(1−φ)/(1+φ). The ETA of a
//     curve steeper than the quadratic is an extrapolation the data can
//     hardly check, so the late side of its band (step 5) reaches the
//     quadratic's path; in a short history, where the line of the recent
//     half is used, the early side reaches the quadratic's. Significant
//     deceleration uses the line of the recent half.
//
//  4. Level and envelope. The median residual of the last 3 days corrects
//     the level — of the last day or 6 hours instead when the residuals
//     are not part of the signal and the backtests of step 6 erred less
//     with that window (the level of a wandering series moves). Their distribution is split into a uniform part of width
//     A — a ramp sampled at random phases, the signature of a fast
//     sawtooth — and Gaussian measurement noise σ, from the ratio of the
//     central 95% range to the interquartile range (2.906 for a Gaussian,
//     1.9 for a uniform distribution). A counts when A ≥ 3σ over at least
//     200 residuals — effective residuals n·(1−φ)/(1+φ) unless drops are
//     frequent, as strongly autocorrelated noise has few independent
//     values in 3 days and a ragged distribution: the resource runs out
//     when the top of the sawtooth, not its middle, reaches the limit.
//
//  5. ETA. The mean path is the trend plus the profile plus the level
//     correction; its standard deviation combines the parameter variance
//     (inflated by the larger of the AR(1) factor (1+φ)/(1−φ) and the
//     batch-means long-run variance ratio of the residuals over 6-hour
//     blocks, which also sees noise that wanders for hours), the variance
//     of the profile bin, of the level correction and of the shape
//     parameter (from the curvature of the residual sum of squares). P10,
//     P50 and P90 are the first crossings of the limit by the paths mean ±
//     1.2816 standard deviations — or, when wider, the band the backtests
//     of step 6 give, or the quadratic's path of step 3. For a power curve
//     the shape variance is that of p and x₀ together (the two lie on a
//     ridge: given x₀, p is far too sure). When the residuals are part of the
//     signal (a significant sawtooth, or frequent drops under a daily
//     profile), 200 futures are simulated instead — a draw of the trend
//     plus, for each future UTC day, the residuals of a random history day
//     (a residual day-block bootstrap, seeded by Config.Seed and the
//     labels) — and the ETA quantiles are those of their first crossings.
//     Residuals that repeat weekly (hour-of-week means differing between
//     hours more than between weeks, F > 4, from 8 days of history) make
//     the series structured too, and each simulated day then takes the
//     residuals of the same weekday of a past week: the weekly envelope,
//     so that a disk filling during a weekly import is caught. A job seen
//     once — a window of 7 days or more whose hourly residual means rise 8
//     robust standard deviations above their median for 2 hours or more —
//     is simulated so as well (a seasonal naive forecast of the residuals:
//     last week's job comes back at its time of week).
//     A quantile beyond Config.Horizon (default 7 days) is nil.
//
//  6. Calibration (calibrate.go). The model's variance is right only for
//     the right shape. Eight backtest origins from 40% of the fitted span
//     to its end refit the chosen model on the rows before them and
//     predict the hourly means after them within their run; the 10% and
//     90% quantiles of the errors, by horizon (groups doubling from 6
//     hours, non-decreasing), widen the band where they exceed the
//     model's. The errors are of hourly means of the observed series,
//     which carry measurement noise the resource's path does not: for a
//     continuous series whose residuals are not part of the signal, each
//     quantile's distance from the errors' median is reduced in
//     quadrature by 1.2816 times the noise of an hourly mean — the
//     smaller of two estimates, each of which can take some signal for
//     noise and neither of which misses the noise: the scale of the
//     hour-to-hour differences of the hourly mean residuals (sees the
//     steps of a staircase), and the mean of an hour of AR(1) noise whose
//     variogram at lags of one and two samples is the series' (sees a
//     random walk). Not for runs cut at restarts: there the backtests see
//     the current and earlier runs only, and the error of the next kill
//     (a staircase's step at the limit, a deploy after the as-of instant)
//     is larger than they show; the noise keeps their band wide enough.
//     Beyond the longest horizon checked they grow as the errors did
//     between the last two groups (as h to h², clamped) — so a
//     short window, which backtests only a few hours ahead, widens its
//     interval. A curve steeper than the quadratic keeps its shape
//     parameters (ρ, or p and x₀) from the whole window in the backtests,
//     which flatters it: its band is at least the quadratic's backtest
//     band. Split-conformal prediction with rolling origins (Lei et
//     al. 2018; Tashman 2000).
//
//  7. Risk. Critical when P50 < Config.Critical (default 24h) or the
//     resource is already exhausted; warning when P50 < Config.Warning
//     (default 7 days); info when only P10 is within the horizon; ok
//     otherwise.
//
// The pattern names what was found: leak and ramp-plateau for runs that
// grow or level off, step, accelerating, decreasing, steady-growth, then
// the structure of a series without material growth — daily-batch (a
// daily profile with a sharp fall that spends less than 22% of the day
// above the middle of its range), sawtooth, seasonal — and flat; no-limit
// and insufficient-data (under 12 samples or 2 hours) say why there is no
// ETA. A trend is material when it covers 2% of the headroom over the
// horizon with a HAC t statistic of 3.
//
// Every setting is a documented constant of the method, the same for
// every series; bench/capacity measures the method on the fixtures
// capacity suite beside the node-exporter predict_linear alert, and
// bench/RESULTS.md holds the figures.
package capacity
