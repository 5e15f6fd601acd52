// Package anomaly scores time series for anomalies, causally: the score of
// a sample depends on it and the samples before it only, so the same code
// runs live (one sample at a time, bounded memory per series) and in batch.
//
// Every detector implements Detector, Update(t, v) → score, and Score is the
// batch entry point over slices. The building blocks each document what
// they assume and their cost per sample:
//
//   - Seasonal: a seasonal baseline (rolling median, or the median of the
//     last days at the same phase of the day when that explains the series
//     better) with robust residual scoring (median/MAD, rank surprise among
//     recent residuals);
//   - CUSUM: level-shift detection (two-sided tabular CUSUM on robust z);
//   - RelativeEntropy: distribution shift of the recent values against a
//     longer reference (G-test of their histograms);
//   - Likelihood: Numenta's anomaly likelihood, how unusual the recent raw
//     scores are against their own history, and LogScore;
//   - Rolling: the rolling order statistics kernel (quantiles, median, MAD)
//     under all of them.
//
// Ensemble (NewDefault) combines them into omen's detector: a score in
// [0, 1] calibrated across very different series, with Threshold (0.5) as
// the level at which a sample is called anomalous, each event reported once,
// and Explain saying which evidence fired. Machine scores many metrics of
// one machine together (each in standard deviations of its own past,
// optionally learnt from a training period first, the largest deviations
// averaged) and names the metrics that contributed. Intervals,
// Detect and DetectMachine turn scores into anomalous intervals (start,
// end, peak, contributing metrics) for reports.
//
// Measured on the Numenta Anomaly Benchmark and the Server Machine Dataset
// by bench/nab and bench/smd; figures and commands in bench/RESULTS.md,
// experiments in bench/ANOMALY-NOTES.md. Missing samples are NaN (or ±Inf):
// they are skipped by every detector and score 0.
package anomaly
