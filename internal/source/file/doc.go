// Package file serves a metric file (or any in-memory set of series) as a
// source.Source, so every command runs on a file as well as on a server.
// Reading and writing the formats (CSV, query_range JSON, OpenMetrics,
// gzip) is internal/seriesio's; Open and ReadSource read a file with it.
//
// A Source answers source.Query with a series selector (name{label="v"},
// with =, !=, =~, !~ and MetricsQL's {a="1" or b="2"}) over its series; it
// evaluates no other PromQL and fails with source.ErrUnsupportedQuery. A
// stepped query is sampled on the grid every source uses (multiples of the
// step, see source.GridStart) by Prometheus's lookback rule; without a step
// the raw samples are returned. QueryRows gives the rows in file order, as
// per-row output needs them.
package file
