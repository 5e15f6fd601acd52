// Package cli holds omen's command-line interface: cobra commands that parse
// flags into options structs and call the library packages, rendering of
// results (go-pretty tables, JSON, CSV, Markdown) and exit codes. It is the
// only package that knows about cobra, go-pretty or the terminal.
//
// Exit codes:
//
//	0  success
//	1  failure (I/O, server, bad data)
//	2  usage error (unknown flag, bad flag value, missing argument)
//	3  findings at or above the configured risk level (for CronJobs that page)
package cli
