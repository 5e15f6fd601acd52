// Package benchcap scores omen's capacity predictions (package capacity)
// against the ground truth of the fixtures capacity suite, side by side
// with the node-exporter mixin's NodeFilesystemSpaceFillingUp alert
// evaluated exactly as Prometheus evaluates it.
//
// Every scenario of fixtures.CapacitySuite(Seed, N) is predicted at every
// as-of instant of Options.AsOfs (default: every 6 hours from 5 days before
// fixtures.SuiteAt to 5 days after), with its series cut at the instant.
// The truth is Scenario.TimeToFull: the first crossing of the noiseless
// signal. Pairs already exhausted, and pairs past the first crossing of a
// scenario that is not a leak (whose signal keeps its course beyond the
// limit), are left out.
//
// Scores (Score):
//
//   - precision, recall and F1 of "full within 24 hours": omen says so when
//     its P50 is at most 24 hours, a rule when it is firing at the instant;
//   - false alarms per series-day on the traps: alarms started (a positive
//     decision after a negative one) over the as-of span, omen checked
//     every TrapStep (1 hour), a rule at every evaluation (1 minute), and
//     the fraction of checks alarmed;
//   - for omen, where the true time to full is within the horizon: the
//     median and 90th percentile of |P50 − truth|/truth (a P50 beyond the
//     horizon counts as the horizon) and the P10–P90 coverage (an absent
//     P90 is unbounded, an absent P10 a miss).
//
// The rules (Rules) run on the headroom — available bytes for a disk,
// limit − working set for a container: predict_linear(h[6h], 24h) < 0 and
// the 24-hour-window variant, bare and with the mixin's `h/size*100 < 40`,
// all held `for: 1h` at a 1-minute evaluation interval. tuner.PredictLinear is
// promql's linearRegression with Kahan–Neumaier sums and the intercept at
// the evaluation time, over the samples evalT−range ≤ t ≤ evalT of
// Prometheus 2 (the packaged 2.42); a test checks it bit for bit against a
// real Prometheus. A rule fires at an evaluation when its condition held at
// every evaluation of the last Hold, as Prometheus's pending → firing
// state machine does.
package benchcap
