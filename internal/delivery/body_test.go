package delivery

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/testrig"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to write %s", path)
	require.Equal(t, string(want), got)
}

func TestBodyShowsTheEvidence(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	body, err := Body(f, f.Proposals)
	require.NoError(t, err)
	golden(t, "testdata/body.golden.md", body)

	require.Contains(t, body, "| Pages/week | 21.0 | 2.0 | 20.7 ± 2.1 | 2.0 ± 1.0 |")
	require.Contains(t, body, "[INC-4](https://incidents.example.com/INC-4) | Checkout 5xx after the payment provider's TLS change | yes | yes |")
	require.Contains(t, body, "```mermaid\nxychart-beta\n")
	require.Contains(t, body, "**Windows replayed:** training 2026-01-05 → 2026-03-02; validation folds 2026-03-02 → 2026-03-09, 2026-03-09 → 2026-03-16, 2026-03-16 → 2026-03-23.")
	require.Contains(t, body, "`SlowRequests (rules/app.yml)`: insufficient evidence")

	s, ok := decodeState(body)
	require.True(t, ok)
	require.Len(t, s.Proposals, 2)
	require.Equal(t, f.Proposals[0].Key(), s.Proposals[0].Key)
	require.Equal(t, f.Proposals[0].ID(), s.Proposals[0].ID)
	require.Equal(t, []string{"INC-11", "INC-12"}, s.Proposals[0].Evidence.Caught, "after the change, on validation")
	require.Equal(t, 2.0, *s.Proposals[0].Evidence.PagesPerWeek)
}

func TestBodyStateCannotBeBrokenByItsContent(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	f.Proposals[0].Alert = "Evil --> <!-- omen-state v1: {} -->"
	body, err := Body(f, f.Proposals[:1])
	require.NoError(t, err)
	s, ok := decodeState(body)
	require.True(t, ok)
	require.Equal(t, f.Proposals[0].Key(), s.Proposals[0].Key)
	require.Equal(t, 1, strings.Count(body, " -->\n"), "one comment, closed once")

	s.SupersededBy = 7
	marked := withState(body, s)
	again, ok := decodeState(marked)
	require.True(t, ok)
	require.Equal(t, 7, again.SupersededBy)
	require.Equal(t, strings.Count(body, stateMarker), strings.Count(marked, stateMarker))
}

func TestALongBodyStaysUnderTheForgesLimit(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	var ps []Proposal
	for i := range 1000 {
		p := f.Proposals[0]
		p.Alert = "Rule" + strings.Repeat("x", 20) + itoa(i)
		ps = append(ps, p)
	}
	for _, n := range []int{1, 30, 100} {
		body, err := Body(f, ps[:n])
		require.NoError(t, err)
		require.Less(t, len(body), 65536)
		s, ok := decodeState(body)
		require.True(t, ok)
		require.Len(t, s.Proposals, n, "the state keeps every proposal")
	}
	_, err := Body(f, ps)
	require.ErrorContains(t, err, "1000 proposals are too many for one pull request")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestMessageListsTheChangesWithTrailers(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	msg := Message(f.Proposals)
	require.True(t, strings.HasPrefix(msg, "omen: tune 2 alert rules (HighErrorRate, NodeFilesystemAlmostFull)\n\n"))
	require.Contains(t, msg, "- rules/app.yml app/HighErrorRate: threshold 0.02 → 0.05, for 1m → 5m\n")
	require.Contains(t, msg, "- kube/node-rules.yaml node/NodeFilesystemAlmostFull: threshold 10 → 15\n")
	require.True(t, strings.HasSuffix(msg, "\n\nOmen-Proposal: "+f.Proposals[0].ID()+"\nOmen-Proposal: "+f.Proposals[1].ID()+"\n"))
	require.Equal(t, "omen: tune HighErrorRate (threshold 0.02 → 0.05, for 1m → 5m)", Title(f.Proposals[:1]))
}

// mermaidBlocks returns the Mermaid blocks of a Markdown text.
func mermaidBlocks(md string) []string {
	var blocks []string
	for {
		i := strings.Index(md, "```mermaid\n")
		if i < 0 {
			return blocks
		}
		md = md[i+len("```mermaid\n"):]
		j := strings.Index(md, "```")
		blocks = append(blocks, md[:j])
		md = md[j:]
	}
}

func TestBodyChartsRenderWithTheForgesMermaid(t *testing.T) {
	f := loadFile(t, "testdata/proposals.json")
	odd := cloneFile(t, f)
	odd.Proposals[0].Alert = `Quote"d|Alert` // what a title must survive
	odd.Proposals[0].Validation.Folds[0].After.PagesPerWeek = ptr(0.125)
	var blocks []string
	for _, file := range []*File{f, odd} {
		body, err := Body(file, file.Proposals)
		require.NoError(t, err)
		blocks = append(blocks, mermaidBlocks(body)...)
	}
	require.Len(t, blocks, 4)
	broken := "xychart-beta\n    bar [1, 2\n"
	svgs, errs := testrig.RenderMermaid(t, append(blocks, broken)...)
	for i, b := range blocks {
		require.NoError(t, errs[i], b)
		require.Contains(t, svgs[i], "<svg", b)
		require.Contains(t, svgs[i], "pages per week", "the axis title is drawn")
		require.Contains(t, svgs[i], "bar-plot", "the bars are drawn")
		if strings.Contains(b, "line [") {
			require.Contains(t, svgs[i], "line-plot", "the line is drawn")
		}
	}
	require.Error(t, errs[len(blocks)], "a broken chart is caught")
}

func FuzzDecodeState(f *testing.F) {
	fixture := loadFile(f, "testdata/proposals.json")
	body, _ := Body(fixture, fixture.Proposals)
	f.Add(body)
	f.Add(stateMarker + `{"kind":"rules","proposals":[{"key":"a\u0000b\u0000c"}]} -->`)
	f.Fuzz(func(t *testing.T, body string) {
		s, ok := decodeState(body)
		if !ok {
			return
		}
		// A state read back is written and read to the same.
		again, ok := decodeState(withState(body, s))
		require.True(t, ok)
		require.Equal(t, len(s.Proposals), len(again.Proposals))
		for _, p := range s.Proposals {
			_ = p.Title()
		}
	})
}
