// Package anomaly scores time series for anomalies, causally: the score of
// a sample depends on it and the samples before it only, so the same code
// runs live (one sample at a time, bounded memory per series) and in batch.
//
// Every detector implements Detector, Update(t, v) → score, and Score is the
// batch entry point over slices. omen's default detector (NewDefault) is
// Surprise, built from three parts, each documenting what it assumes and
// its cost per sample:
//
//   - Baseline: what the series should look like now — the rolling median
//     of the last day, or the daily or weekly profile when it explains the
//     series better — and how far the sample is from it in robust standard
//     deviations. Its windows follow from the sampling step learnt from the
//     timestamps; nothing is set per series.
//   - Tail: how unusual a value is against the same stream's recent values
//     — the empirical frequency within the range seen, an exponential tail
//     beyond the extreme (peaks over threshold, with a robust scale, taken
//     as its posterior predictive so that a young tail is not overconfident).
//   - Surprise: six statistics of the residuals and the values (the
//     sample, the recent average residual, how flat the recent residuals
//     are, the value, the recent average value, how far the shape of the
//     recent values is from every earlier one), each judged by its own
//     Tail, combined with a Bonferroni correction into a score in [0, 1]
//     where 0.5 (Threshold) is a tail probability of 10⁻⁵; episodes of
//     unusual samples are reported once and flagged while they last.
//
// Rolling is the rolling order statistics kernel under Baseline and Tail.
// Detect scores a series and derives its anomalous intervals from the same
// per-sample scores and flags (an interval is a run of anomalous samples,
// its peak the largest score among them), so a per-row listing and an
// interval listing cannot disagree. Machine scores many metrics of one
// machine together (each in standard deviations of its own past, the
// largest deviations averaged) and names the metrics that contributed;
// DetectMachine does the same for a matrix of rows.
//
// Measured on NAB (by category folds, on a held-out split of its files and
// on the files kept from the project), on the Server Machine Dataset and on
// a seeded corpus of synthetic infrastructure anomalies by bench/nab and
// bench/smd; figures and commands in bench/RESULTS.md, the protocol and
// every variant tried in bench/ANOMALY-NOTES.md. Missing samples are NaN
// (or ±Inf): they are skipped by every detector and score 0.
package anomaly
