// Package stats holds the numeric kernels the analysis packages share, each
// once: selection, quantiles and the median (reordering their input,
// allocating nothing), the sample autocorrelation function, the M4
// seasonality test and classical seasonal decomposition. Kernels take plain
// slices, destination first (nil allocates); each doc comment gives the
// formula, its source and what NaN and ±Inf do.
//
// It imports only the standard library, so that forecast, capacity,
// anomaly and the benchmarks can all use it.
package stats
