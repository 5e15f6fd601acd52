// Package replay benchmarks omen replay and omen whatif against a real
// VictoriaMetrics: 50 alerting rules in the styles of the node-exporter
// mixin and awesome-prometheus-alerts over 30 days of 1-minute history
// (BenchmarkReplay50Rules30Days), and a 100-point threshold sweep against
// one replay of the same rule (BenchmarkSweep100). Both run omen as a
// separate process built from this module and report wall time, CPU
// time, peak memory, the requests made and the machine's load.
//
// The heavy benchmarks run only with OMEN_BENCH_REPLAY=1, never in make
// test; TestReplayPathSmall runs the same path on one day in every test
// run:
//
//	OMEN_BENCH_REPLAY=1 go test ./bench/replay -run '^$' -bench . -benchtime 1x -timeout 30m
package replay
