// Package forecast holds omen's forecasting models. They work on a plain
// []float64 sampled at a fixed step (NaN for a missing sample) and return a
// Forecast: the mean path and a prediction interval at a chosen level.
//
// Models: seasonal naive, naive and drift (Hyndman & Athanasopoulos,
// "Forecasting: Principles and Practice", 3rd ed., §5.2), OLS and Theil–Sen
// linear trend, exponential smoothing — simple, Holt (optionally damped) and
// Holt-Winters with additive or multiplicative seasonality (Hyndman, Koehler,
// Ord & Snyder, "Forecasting with Exponential Smoothing", Springer 2008) —
// with parameters fitted through gonum.org/v1/gonum/optimize, STL (Cleveland
// et al. 1990) and MSTL (Bandara, Hyndman & Bergmeir 2021) decompositions
// with a model on the seasonally adjusted part, and Theta (Assimakopoulos &
// Nikolopoulos 2000, in the form of Hyndman & Billah 2003).
//
// Auto detects the seasonal periods among candidates derived from the
// sampling step, validates a few strong and diverse members on the end of
// the history (rolling origin), and forecasts with the best member or a
// combination of them; the Forecast says which and why. Intervals are
// analytical where the model has a formula; Auto's are empirical, from its
// rolling-origin validation errors (split-conformal), and Conformal gives
// any model such intervals. Their calibration is measured in bench/m4 (see
// bench/RESULTS.md). ForStep sets a model up from a sampling step and a
// horizon, as a command line needs.
//
// ETA turns a Forecast into the time to the first crossing of a limit as
// P10/P50/P90.
//
// Missing values are imputed by seasonal interpolation before fitting so the
// seasonal phase is kept (Impute); the Forecast records it as a warning.
// Histories too short for a model make it fall back to a simpler one with a
// warning; a history with no usable value fails with ErrNoData. No input
// makes a model panic.
package forecast
