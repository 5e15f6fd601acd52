// Package tuner treats alert rules as data: it reads Prometheus rule files
// and PrometheusRule manifests exactly as written, edits a rule's
// threshold, `for` or labels in place changing only the bytes of that value,
// replays rules over history as Prometheus would have evaluated them, and
// answers what-if questions (another threshold, another `for`) cheaply.
//
// The package is a library: it never prints and imports nothing of omen's
// internal packages. Data comes in through the small Querier interface.
package tuner
