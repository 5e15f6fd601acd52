package testrig

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MermaidVersion is the Mermaid Gitea v1.26.0 bundles (its package.json),
// fetched by `make tools`.
const MermaidVersion = "11.14.0"

// EnvMermaidDir names the directory holding mermaid.min.js; default
// MermaidDir().
const EnvMermaidDir = "OMEN_MERMAID_DIR"

// MermaidDir returns where `make tools` puts Mermaid's browser bundle.
func MermaidDir() string {
	if d := os.Getenv(EnvMermaidDir); d != "" {
		return d
	}
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	return filepath.Join(root, "omen", "tools", "mermaid-"+MermaidVersion)
}

var mermaidResult = regexp.MustCompile(`data-result-(\d+)="([^"]*)"`)

// RenderMermaid renders Mermaid diagrams as a forge's browser does: the
// real Mermaid bundle in headless Chromium, one browser for all of them.
// For each diagram it returns the SVG, or the error Mermaid reported (a
// syntax error, an unknown diagram type). The test is skipped (failed
// under CI=true) when Chromium or the bundle is missing.
func RenderMermaid(t testing.TB, codes ...string) ([]string, []error) {
	t.Helper()
	chromium := RequireBinary(t, "chromium")
	bundle := filepath.Join(MermaidDir(), "mermaid.min.js")
	if _, err := os.Stat(bundle); err != nil {
		msg := fmt.Sprintf("Mermaid %s not in %s; fetch it once with: make tools", MermaidVersion, MermaidDir())
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the real-renderer tests: %s", msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	js, _ := json.Marshal(codes)
	page := `<!doctype html><html><head><meta charset="utf-8"></head><body>
<script src="file://` + bundle + `"></script>
<script>
(async () => {
  mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
  const codes = ` + string(js) + `;
  for (let i = 0; i < codes.length; i++) {
    const out = document.createElement("div");
    out.id = "out-" + i;
    document.body.appendChild(out);
    try {
      const {svg} = await mermaid.render("chart" + i, codes[i]);
      out.innerHTML = svg;
      document.body.setAttribute("data-result-" + i, "ok");
    } catch (e) {
      document.body.setAttribute("data-result-" + i, "error: " + (e && e.message ? e.message : String(e)));
    }
  }
})();
</script></body></html>`
	path := filepath.Join(dir, "chart.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--allow-file-access-from-files", "--virtual-time-budget=10000",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--dump-dom", "file://" + path}
	dom, err := exec.CommandContext(ctx, chromium, args...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	svgs, errs := make([]string, len(codes)), make([]error, len(codes))
	done := 0
	for _, m := range mermaidResult.FindAllSubmatch(dom, -1) {
		i, _ := strconv.Atoi(string(m[1]))
		if i >= len(codes) {
			continue
		}
		done++
		if result := html.UnescapeString(string(m[2])); result != "ok" {
			errs[i] = fmt.Errorf("mermaid: %s", result)
			continue
		}
		svgs[i] = svgOf(string(dom), i)
	}
	if done != len(codes) {
		t.Fatalf("Mermaid rendered %d of %d diagrams:\n%s", done, len(codes), tail(string(dom), 2000))
	}
	return svgs, errs
}

// svgOf returns the SVG rendered into the i-th output element.
func svgOf(dom string, i int) string {
	start := strings.Index(dom, fmt.Sprintf(`<div id="out-%d">`, i))
	if start < 0 {
		return ""
	}
	rest := dom[start:]
	end := strings.Index(rest, "</svg>")
	if end < 0 {
		return ""
	}
	return rest[:end+len("</svg>")]
}
