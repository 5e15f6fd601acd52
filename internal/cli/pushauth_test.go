package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
)

// TestPushToUsesTheSourceCredentials writes predictions back to a real
// VictoriaMetrics that wants basic auth: with the source's credential
// flags the write succeeds (one connection config for reading and
// writing); without them it is refused, never silently dropped.
func TestPushToUsesTheSourceCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "fleet.om")
	code, _, stderr := run(t, nil, "demo", "--format", "openmetrics", "--output", in)
	require.Equal(t, ExitOK, code, stderr)
	vm := testrig.VictoriaMetricsWith(t, nil, "-httpAuth.username=omen", "-httpAuth.password=s3cret")
	pass := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(pass, []byte("s3cret\n"), 0o600))
	at := fixtures.DemoEndTime().Format(time.RFC3339)

	code, _, stderr = run(t, nil, "predict", "--input", in, "--preset", "memory", "--at", at, "--push-to", vm.URL)
	require.Equal(t, ExitFailure, code, "an unauthenticated write-back fails: %s", stderr)
	require.Contains(t, stderr, "401")
	require.NotContains(t, stderr, "s3cret")

	code, _, stderr = run(t, nil, "predict", "--input", in, "--preset", "memory", "--at", at, "--push-to", vm.URL,
		"--basic-auth-user", "omen", "--basic-auth-password-file", pass)
	require.Equal(t, ExitOK, code, stderr)
	require.NotContains(t, stderr, "s3cret")

	c, err := prom.New(prom.Config{URL: vm.URL, BasicAuthUser: "omen", BasicAuthPasswordFile: pass})
	require.NoError(t, err)
	ctx := context.Background()
	require.Eventually(t, func() bool {
		if req, err := http.NewRequestWithContext(ctx, http.MethodGet, vm.URL+"/internal/force_flush", nil); err == nil {
			req.SetBasicAuth("omen", "s3cret")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		res, err := c.QueryRange(ctx, source.Query{Expr: `omen_exhaustion_risk{target="memory"}`, Start: fixtures.DemoEndTime(), End: fixtures.DemoEndTime(), Step: time.Minute})
		return err == nil && len(res.Series) > 0
	}, 15*time.Second, 200*time.Millisecond, "the written predictions are there")
}
