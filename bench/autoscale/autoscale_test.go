package autoscale

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The suite's misconfigured HPAs are fixed on their held-out weeks, and a
// leaking container gets no bigger limit: the acceptance, on a few
// workloads of a seed the method was not developed on.
func TestRunFixesMisconfiguredHPAs(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 5 weeks of several workloads")
	}
	rep, err := Run(context.Background(), Options{Seed: 99, N: 10, Only: []int{4, 6, 8}})
	require.NoError(t, err)
	require.Len(t, rep.Rows, 3)
	for _, r := range rep.Rows {
		switch r.Kind {
		case "tight-max":
			require.Equal(t, "halved", r.Verdict, "%+v", r)
		case "loose-target":
			require.Equal(t, "cheaper", r.Verdict, "%+v", r)
		case "leak":
			require.NotNil(t, r.Sizing)
			require.True(t, r.Sizing.Leak)
			require.False(t, r.Sizing.BiggerLimitOnly)
			require.False(t, strings.HasPrefix(r.Verdict, "fail"), r.Verdict)
		}
		require.Positive(t, r.Written)
	}
	require.Contains(t, rep.Markdown(), "| **total** |")
}
