// Package engine is omen's pipeline: it turns a job — presets or custom
// capacity targets — into queries against a source.Source, joins the usage,
// limit and restart series of each target client-side (so the same job runs
// on a file as on a server), runs the analyses and returns results ordered
// for people. It never prints; the CLI renders what it returns.
package engine
