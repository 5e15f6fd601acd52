package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hungServer accepts requests and answers none until the test ends.
func hungServer(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

func TestADeadlineBoundsAHungRun(t *testing.T) {
	url := hungServer(t)
	t.Run("--deadline stops the run and says so", func(t *testing.T) {
		began := time.Now()
		code, _, stderr := run(t, nil, "fetch", "--prometheus", url, "--query", "up", "--range", "1h", "--deadline", "500ms")
		require.Equal(t, ExitFailure, code, stderr)
		require.Less(t, time.Since(began), 5*time.Second)
		require.Contains(t, stderr, "the run took longer than its deadline of 500ms (--deadline")
	})
	t.Run("deadline: in omen.yaml does the same for a job", func(t *testing.T) {
		job := filepath.Join(t.TempDir(), "omen.yaml")
		require.NoError(t, os.WriteFile(job, []byte(fmt.Sprintf("source: {prometheus: %q}\npresets: [disk]\ndeadline: 500ms\n", url)), 0o644))
		began := time.Now()
		code, _, stderr := run(t, nil, "run", "--config", job)
		require.Equal(t, ExitFailure, code, stderr)
		require.Less(t, time.Since(began), 5*time.Second)
		require.Contains(t, stderr, "deadline of 500ms")
	})
}

func TestAPlanAboveTheQueryBudgetIsAUsageErrorSayingWhatToChange(t *testing.T) {
	// Nothing is sent, so no server is needed: the plan is refused first.
	code, _, stderr := run(t, nil, "fetch", "--prometheus", "http://127.0.0.1:1", "--query", "up", "--range", "3650d", "--step", "1s")
	require.Equal(t, ExitUsage, code, stderr)
	require.Contains(t, stderr, "more than the 5000000 allowed (--max-points): use --step 2m or more")
	code, _, stderr = run(t, nil, "fetch", "--prometheus", "http://127.0.0.1:1", "--query", "up", "--range", "30d", "--step", "1m", "--max-requests", "3")
	require.Equal(t, ExitUsage, code, stderr)
	require.Contains(t, stderr, "needs 4 requests and this run has 3 of its 3 left (--max-requests)")
}
