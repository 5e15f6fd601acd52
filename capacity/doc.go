// Package capacity predicts when a resource runs out — a filesystem fills,
// a container reaches its memory limit — as a time to exhaustion with an
// interval (P10/P50/P90), a pattern label and a one-sentence reason.
package capacity
