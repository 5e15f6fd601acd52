// Package smd scores multivariate anomaly detectors on the Server Machine
// Dataset (SMD, Su et al., KDD 2019, https://github.com/NetManAIOps/OmniAnomaly)
// in its published layout: train/<machine>.txt and test/<machine>.txt (one
// row per minute, comma-separated metrics, no header), test_label/<machine>.txt
// (0 or 1 per test row) and interpretation_label/<machine>.txt
// ("start-end:d1,d2,..." with 0-based test rows, end exclusive, 1-based
// metric columns).
//
// Evaluation is event-level. A labelled event is a maximal run of test rows
// labelled 1; it is caught when any of its rows is flagged. Flagged rows
// that lie within MergeGap rows of each other form one predicted event; a
// predicted event is a true positive when it overlaps a labelled event.
//
//	recall    = caught labelled events / labelled events
//	precision = true-positive predicted events / predicted events
//	F1        = 2·P·R/(P+R)
//
// Precision is row-wise: flagged rows inside labelled events over all
// flagged rows, so flagging everything does not pay; F1 combines it with
// the event recall (the composite F-score of Garg et al. 2021, "An
// evaluation of anomaly detection and diagnosis in multivariate time
// series", IEEE TNNLS). The number of alarms (flagged rows at most MergeGap
// rows apart) and of false alarms is reported too, and for reference the
// point-wise F1 and the point-adjusted F1 of the SMD literature (a labelled
// event counts as fully detected when any of its rows is flagged).
//
// Two detectors are compared on each machine: omen's anomaly.Machine and a
// plain per-metric z-score baseline (score = max_j |x_j − μ_j|/σ_j with μ,
// σ from the train rows, σ floored at 1e−3). Both get the train rows. omen
// learns them (anomaly.MachineOptions.Train) and then scores the test rows
// causally, learning from each as it goes; its score is the unsuppressed
// machine score, which its intervals are built from. Its train scores are
// in-sample like the baseline's: the train rows scored against what was
// learnt from them, frozen (MachineOptions.Freeze). Thresholds are chosen
// two ways, both reported:
//
//   - a priori, without labels, the same rule for both: the 99.9th
//     percentile of the detector's own scores on all the train rows;
//   - oracle: the threshold with the best F1 on the test labels (an upper
//     bound, as in much of the SMD literature).
package smd
