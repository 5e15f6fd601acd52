package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/omenhq/omen/internal/source/prom"
)

// Exit codes returned by Main.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitFindings = 3
)

// Interrupted is the cancellation cause of a run stopped by a signal. A
// command that sees it stops its loops, removes its temporary files and
// returns an error saying what was not done; the process exits 128 + the
// signal's number (130 for SIGINT, 143 for SIGTERM), as shells report it.
type Interrupted struct{ Signal os.Signal }

// Error names the signal.
func (e Interrupted) Error() string {
	switch e.Signal {
	case os.Interrupt:
		return "interrupted (SIGINT)"
	case syscall.SIGTERM:
		return "interrupted (SIGTERM)"
	}
	return "interrupted (" + e.Signal.String() + ")"
}

// ExitCode returns 128 + the signal's number, or 130 when it has none.
func (e Interrupted) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// stopped returns nil while ctx runs, and otherwise an error saying what
// was done and what was not, wrapping the cancellation's cause (an
// Interrupted for a signal): "forecast stopped after 12 of 40 series:
// interrupted (SIGTERM)".
func stopped(ctx context.Context, what string, done, total int, unit string) error {
	if ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("%s stopped after %d of %d %s: %w", what, done, total, unit, context.Cause(ctx))
}

// ctxWriter fails every write once its context is done, so that output
// being written when a signal arrives stops there and the half-written
// temporary file is removed.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.w.Write(p)
}

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
	if errors.As(err, &u) || errors.Is(err, prom.ErrBudget) {
		return ExitUsage // a plan above the query budget: change the flags
	}
	var f findingsError
	if errors.As(err, &f) {
		return ExitFindings
	}
	var in Interrupted
	if errors.As(err, &in) {
		return in.ExitCode()
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
