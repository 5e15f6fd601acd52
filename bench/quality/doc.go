// Package quality measures omen quality at the scale of issue 11: 50
// alerting rules replayed over 12 weeks of 1-minute history in a real
// VictoriaMetrics and scored against 40 incidents, end to end by the omen
// binary as a separate process, timed wall-clock with its CPU time and
// peak resident memory read from the kernel's rusage (bench/scale's
// RunOmen).
//
// The scenario (see Generate) puts each rule on its own metric of two
// series: a daily wave with noise that rises above the rules' thresholds
// from up to 90 minutes before each incident of the metric's service until
// the incident ends, plus about two false alarms a week. The rules mix
// thresholds and max_over_time, for 0s, 2m and 5m, critical and warning.
//
// BenchmarkQuality50Rules12Weeks is the acceptance benchmark (under 30 s
// on two cores); it runs only when asked:
//
//	OMEN_BENCH_QUALITY=1 go test ./bench/quality -run '^$' -bench Quality50Rules12Weeks -benchtime 1x -timeout 30m
//
// OMEN_BENCH_QUALITY_URL uses a VictoriaMetrics already holding the
// scenario's history (Seed 0) instead of starting and loading one;
// OMEN_BENCH_QUALITY_BIN measures a prebuilt omen; OMEN_BENCH_QUALITY_KEEP
// keeps the rule file, the incidents, the report and the log in a
// directory.
//
// TestQualityThroughVictoriaMetrics runs the same path on 5 rules over a
// week, in process, in every make test.
package quality
