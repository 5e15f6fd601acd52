// Package benchcap scores omen's capacity predictions against the ground
// truth of the fixtures capacity suite, side by side with the
// node-exporter mixin's predict_linear alert evaluated exactly as
// Prometheus evaluates it.
package benchcap
