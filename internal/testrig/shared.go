package testrig

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvSharedData names the environment variable that points at the
// project's benchmark data (the folder holding m4-hourly, nab, smd and
// synth-5min) when it is not at ../shared/data beside the checkout.
const EnvSharedData = "OMEN_SHARED_DATA"

// SharedData returns the path of the named data set (m4-hourly, nab, smd,
// synth-5min) of the project's benchmark data: $OMEN_SHARED_DATA/name, or
// else shared/data/name beside the checkout (found from the module root).
// When it is missing the test is skipped with a message saying where the
// data goes, or fails when the environment variable CI is "true", since CI
// must run every test that needs it.
func SharedData(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv(EnvSharedData)
	if dir == "" {
		dir = filepath.Join(moduleRoot(), "..", "shared", "data")
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		msg := "benchmark data %q not found at %s: put the project's shared data (m4-hourly, nab, smd, synth-5min) " +
			"in ../shared/data beside the checkout, or set $" + EnvSharedData + " to its folder"
		if os.Getenv("CI") == "true" {
			t.Fatalf(msg+" (CI=true: tests that need it must run)", name, path)
		}
		t.Skipf(msg, name, path)
	}
	return path
}

// moduleRoot returns the directory holding go.mod above the working
// directory (a test runs in its package's folder), or "." when none is.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return "."
		}
	}
}
