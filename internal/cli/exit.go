package cli

import (
	"errors"
	"fmt"
)

// Exit codes returned by Main.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitFindings = 3
)

// usageError marks an error caused by how omen was invoked.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit code 2).
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// findingsError reports that results reached the configured risk level
// (exit code 3). The results were already printed.
type findingsError struct{ msg string }

func (e findingsError) Error() string { return e.msg }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	var f findingsError
	if errors.As(err, &f) {
		return ExitFindings
	}
	return ExitFailure
}
