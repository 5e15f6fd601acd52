package testrig

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// HelmVersion is the helm the tests run, built from the Go module proxy
// (helm.sh/helm/v3/cmd/helm) by `make tools` (scripts/build-helm.sh).
const HelmVersion = "v3.19.5"

// EnvHelm names a helm binary to use instead of the one `make tools`
// builds.
const EnvHelm = "OMEN_HELM"

// HelmPath returns where `make tools` builds helm: the user cache
// directory's omen/tools/helm-VERSION/helm, outside any checkout — or
// $OMEN_HELM when set.
func HelmPath() string {
	if p := os.Getenv(EnvHelm); p != "" {
		return p
	}
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	return filepath.Join(root, "omen", "tools", "helm-"+HelmVersion, "helm")
}

// Helm returns the path of the helm binary, skipping the test (failing it
// under CI=true) when it has not been built.
func Helm(t testing.TB) string {
	t.Helper()
	p := HelmPath()
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p
	}
	msg := fmt.Sprintf("helm %s not found at %s; build it once with: make tools (or set $%s to a helm binary)", HelmVersion, p, EnvHelm)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the deploy tests: %s", msg)
	}
	t.Skip(msg)
	return ""
}
