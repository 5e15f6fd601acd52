// Package series is the small domain model every other omen package imports:
// a time series with a stable label set, millisecond timestamps and float64
// values, plus the operations on it that do not depend on any data source —
// ranges, as-of cut-offs, alignment to a regular grid and gap detection.
//
// A missing sample is represented by NaN. Timestamps are Unix milliseconds,
// strictly increasing within a Series.
//
// The package uses the standard library only.
package series
