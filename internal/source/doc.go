// Package source defines how omen reads metric history: one small,
// context-first interface implemented by the Prometheus/VictoriaMetrics HTTP
// adapter (package source/prom), by files (package source/file) and by the
// embedded fixtures, so every command runs on a server as well as on a file.
package source
