// Package scale measures omen predict on a fleet: thousands of disks and
// containers with 14 days of 5-minute history in a real VictoriaMetrics,
// predicted end to end by the omen binary as a separate process, timed
// wall-clock with its peak resident memory read from the kernel's rusage.
//
// The fleet is the capacity suite of package fixtures (true fills and
// traps in node-exporter, cAdvisor and kube-state-metrics shape), drawn in
// chunks with their own seeds, half disks and half containers, with the
// identifying labels rewritten from each resource's index so that every
// label set of a fleet of any size is unique (see Generate). It is imported
// in streaming batches through VictoriaMetrics' JSON-lines import (see
// Import), so neither the generator nor the server request ever holds the
// whole fleet.
//
// BenchmarkFleet10k is the acceptance benchmark of issue 4 (10,000 series
// in under 3 minutes and 2 GiB on two cores); it runs only when asked:
//
//	OMEN_BENCH_SCALE=1 go test ./bench/scale -run '^$' -bench Fleet10k -benchtime 1x -timeout 30m
//
// Other environment variables: OMEN_BENCH_SCALE_URL uses a
// VictoriaMetrics already holding the fleet instead of starting and loading
// one; OMEN_BENCH_SCALE_BIN measures a prebuilt omen instead of building
// this module's; OMEN_BENCH_SCALE_SIZE, OMEN_BENCH_SCALE_PER_NAMESPACE and
// OMEN_BENCH_SCALE_CLOUD_NAMES=1 change the fleet (Config);
// OMEN_BENCH_SCALE_ARGS adds arguments to omen predict;
// OMEN_BENCH_SCALE_KEEP keeps the report and the logs in a directory.
// BenchmarkProfileFleet runs the same prediction in-process for profiles.
//
// TestFleetThroughVictoriaMetrics runs the same path on 200 series in every
// `make test`.
package scale
