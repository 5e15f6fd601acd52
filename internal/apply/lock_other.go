//go:build !unix

package apply

import (
	"errors"
	"fmt"
	"os"
)

// lockFile makes path exclusively and returns its removal: a file another
// run made is an error (removed by hand after a crash).
func lockFile(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("another omen apply holds %s (remove it if no run is going on)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot lock the ledger: %w", err)
	}
	f.Close()
	return func() error { return os.Remove(path) }, nil
}
