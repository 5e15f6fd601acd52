package cputime

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestProcessGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the CPU time is not read on " + runtime.GOOS)
	}
	before := Process()
	x := 0.0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		for i := range 1000 {
			x += float64(i)
		}
	}
	require.Greater(t, x, 0.0)
	require.Greater(t, Process(), before, "a busy loop of 50ms must use CPU time")
}
