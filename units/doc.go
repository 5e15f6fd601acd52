// Package units formats the numbers omen shows to people: byte counts in
// IEC units (1.5 GiB), other quantities with SI prefixes (12.9k, 1.09G),
// three significant digits, never in exponent notation.
//
// Every message, table cell, chart axis and reason sentence that shows a
// value goes through this package, so that a number reads the same in
// `omen predict`, `omen forecast` and the HTML report.
//
// The package uses the standard library only.
package units
