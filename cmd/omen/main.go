// Command omen predicts incidents before they happen and tunes the alerts
// that catch them. See internal/cli for the commands and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/omenhq/omen/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM cancels the run: every long loop stops,
	// temporary files are removed and omen says what was not done, exiting
	// 130 or 143. A second one stops at once.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cancel(cli.Interrupted{Signal: s})
		s = <-sigs
		os.Exit(cli.Interrupted{Signal: s}.ExitCode())
	}()
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel(nil)
	os.Exit(code)
}
