package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
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

// noArgs is cobra.NoArgs as a usage error: a word after a command that
// takes none is an unknown subcommand or a misplaced value.
func noArgs(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case cmd.HasSubCommands():
		return usagef("unknown command %q for %q%s", args[0], cmd.CommandPath(), suggest(cmd, args[0]))
	}
	return usagef("unexpected argument %q: %q takes only flags (is a flag name missing before it, or a value quoted apart?)", args[0], cmd.CommandPath())
}

// asGroup makes cmd, a command that only holds subcommands, print its help
// when run alone and report an unknown subcommand as a usage error (cobra
// would print the help and exit 0, or fail with exit code 1).
func asGroup(cmd *cobra.Command) *cobra.Command {
	cmd.Args = noArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	return cmd
}

func suggest(cmd *cobra.Command, arg string) string {
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		return "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return ""
}
