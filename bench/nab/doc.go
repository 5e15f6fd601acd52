// Package nab runs anomaly detectors on the Numenta Anomaly Benchmark (NAB,
// https://github.com/numenta/NAB, corpus v1.1) and scores them exactly as
// NAB's own scorer does (nab/sweeper.py, nab/optimizer.py and
// nab/runner.py at the MIT-licensed commit ea702d7):
//
//   - Probation: rows i < min(⌊0.15·n⌋, 750) of a file of n rows are not
//     scored (Probation).
//   - Row weights: a row i inside window [a, b] (inclusive row indices,
//     w = b−a+1) is worth tpWeight·S(−(b−i+1)/w)/S(−1); a row after window
//     [a, b] and before the next window is worth fpWeight·S((i−b)/(w−1));
//     a row before any window is worth −fpWeight; with the scaled sigmoid
//     S(y) = 2/(1+e^{5y}) − 1, and S(y) = −1 for y ≥ 3 (ScaledSigmoid).
//   - At a threshold θ a row is a detection when its score ≥ θ. Each window
//     contributes the largest weight among its detected rows (its earliest
//     detection), or −fnWeight when none is detected; every detected row
//     outside the windows adds its (negative) weight.
//   - The threshold of each profile is the one that maximises the raw score
//     summed over the corpus, found by sweeping every distinct score value
//     (ties go to the highest threshold, as NAB's stable sort does).
//   - The NAB score is 100·(raw − null)/(perfect − null) with
//     null = −fnWeight·N_windows (no detection) and perfect = tpWeight·N_windows.
//   - Rows are read, scored and weighted in file order, as NAB does: a
//     repeated timestamp (daylight saving time) is a row of its own, and a
//     file with rows out of time order is accepted; its windows are met as
//     NAB's loop meets them (see Window), limits looked up as the first row
//     with their timestamp.
//
// Three application profiles are built in (Standard, RewardLowFP,
// RewardLowFN) and ReadProfiles reads NAB's config/profiles.json.
//
// The corpus layout is NAB's: data/<category>/<name>.csv with a
// timestamp,value header, labels/combined_windows.json, and optionally
// config/profiles.json and results/<detector>/<category>/<detector>_<name>.csv
// with per-row anomaly scores (ReadResults) for scoring published detectors.
//
// Run runs a detector of package anomaly over every file in parallel,
// optimises the thresholds (on the same corpus, or on another one given by
// Options.ThresholdsFrom) and returns a Report with the per-profile,
// per-category and per-file figures.
//
// For measuring on data a detector was not tuned on: CategoryFolds scores
// each category at the thresholds optimised on the others; Holdout and
// SplitHoldout give omen's fixed held-out split of the files (a seeded hash
// of their names); SyntheticCorpus turns fixtures.AnomalyCorpus (synthetic
// infrastructure anomalies with known onsets) into a Corpus, and Events
// counts caught anomalies and false intervals per category.
package nab
