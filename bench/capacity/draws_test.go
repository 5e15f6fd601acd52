package benchcap_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	benchcap "github.com/omenhq/omen/bench/capacity"
	"github.com/omenhq/omen/fixtures"
)

// TestDrawsReport prints the benchmark on the independent draws when
// OMEN_CAPACITY_DRAWS is "dev" (fixtures.DrawsDevSeed) or "heldout"
// (fixtures.DrawsHeldOutSeed), OMEN_CAPACITY_DRAWS_N draws (default 120):
//
//	OMEN_CAPACITY_DRAWS=dev go test ./bench/capacity -run TestDrawsReport -v
func TestDrawsReport(t *testing.T) {
	which := os.Getenv("OMEN_CAPACITY_DRAWS")
	if which == "" {
		t.Skip("set OMEN_CAPACITY_DRAWS=dev or heldout to run the independent draws")
	}
	seed := uint64(fixtures.DrawsDevSeed)
	if which == "heldout" {
		seed = fixtures.DrawsHeldOutSeed
	}
	n := 120
	if v := os.Getenv("OMEN_CAPACITY_DRAWS_N"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	o := benchcap.DrawOptions(seed, n)
	rep, err := benchcap.Run(context.Background(), o)
	require.NoError(t, err)
	t.Log("\n" + rep.Markdown())
}
