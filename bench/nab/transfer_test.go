package nab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fourteenFiles writes a corpus of 14 files in NAB's layout, copies of the
// mini corpus's spike (with its window) and quiet files in two categories,
// so that omen's fixed hold-out split leaves two development files.
func fourteenFiles(t *testing.T) string {
	t.Helper()
	mini := filepath.Join("testdata", "mini", "data", "synthetic")
	spike, err := os.ReadFile(filepath.Join(mini, "spike.csv"))
	require.NoError(t, err)
	quiet, err := os.ReadFile(filepath.Join(mini, "quiet.csv"))
	require.NoError(t, err)
	dir := t.TempDir()
	windows := map[string][][2]string{}
	for i := range 14 {
		cat, body := "spikes", spike
		if i%2 == 1 {
			cat, body = "quiet", quiet
		}
		name := fmt.Sprintf("%s/f%02d.csv", cat, i)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "data", cat), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "data", filepath.FromSlash(name)), body, 0o644))
		windows[name] = [][2]string{}
		if cat == "spikes" {
			windows[name] = [][2]string{{"2024-01-04 06:20:00.000000", "2024-01-04 16:20:00.000000"}}
		}
	}
	b, err := json.Marshal(windows)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "labels"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "labels", "combined_windows.json"), b, 0o644))
	return dir
}

func TestRunSplitsTheCorpusAsTheProtocolSays(t *testing.T) {
	dir := fourteenFiles(t)
	ctx := context.Background()
	t.Run("dev scores every file but the held-out ones", func(t *testing.T) {
		rep, err := Run(ctx, Options{DataDir: dir, Split: SplitDevFiles})
		require.NoError(t, err)
		require.Equal(t, 14-HoldoutSize, rep.Files)
		require.Equal(t, "optimised on the 2 development files", rep.ThresholdsFrom)
	})
	t.Run("holdout scores the held-out files at the development files' thresholds", func(t *testing.T) {
		dev, err := Run(ctx, Options{DataDir: dir, Split: SplitDevFiles})
		require.NoError(t, err)
		rep, err := Run(ctx, Options{DataDir: dir, Split: SplitHeldOutFiles})
		require.NoError(t, err)
		require.Equal(t, HoldoutSize, rep.Files)
		require.Equal(t, dev.Result("standard").Threshold, rep.Result("standard").Threshold)
		for _, f := range rep.Corpus.Files {
			require.Contains(t, Holdout(fileNames(t, dir)), f.Name)
		}
	})
	t.Run("all is every file", func(t *testing.T) {
		rep, err := Run(ctx, Options{DataDir: dir, Split: SplitAllFiles})
		require.NoError(t, err)
		require.Equal(t, 14, rep.Files)
	})
	t.Run("holdout with thresholds from elsewhere is refused", func(t *testing.T) {
		_, err := Run(ctx, Options{DataDir: dir, Split: SplitHeldOutFiles, ThresholdsFrom: dir})
		require.ErrorContains(t, err, "development files")
	})
	t.Run("an unknown split is refused", func(t *testing.T) {
		_, err := Run(ctx, Options{DataDir: dir, Split: "train"})
		require.ErrorContains(t, err, `split "train"`)
	})
}

func fileNames(t *testing.T, dir string) []string {
	c, err := LoadCorpus(dir)
	require.NoError(t, err)
	var names []string
	for _, f := range c.Files {
		names = append(names, f.Name)
	}
	return names
}

func TestTransferScoresACorpusAtThresholdsChosenElsewhere(t *testing.T) {
	ctx := context.Background()
	rep, err := Run(ctx, Options{DataDir: fourteenFiles(t)})
	require.NoError(t, err)
	mini, err := LoadCorpus(filepath.Join("testdata", "mini"))
	require.NoError(t, err)
	tr, err := Transfer(ctx, mini, rep.Optima, nil, 1)
	require.NoError(t, err)
	require.Equal(t, 2, tr.Files)
	require.Len(t, tr.Results, len(Profiles()))
	require.Len(t, tr.Own, len(Profiles()))
	for i, r := range tr.Results {
		require.Equal(t, rep.Optima[i].Threshold, r.Threshold, "profile %s is scored at the threshold given", r.Profile.Name)
		require.GreaterOrEqual(t, tr.Own[i].Score, r.Score-1e-9, "the corpus's own optimum is at least as good")
	}
	require.Len(t, tr.Events, 1)
	require.Equal(t, 1, tr.Events[0].Windows)

	_, err = Transfer(ctx, mini, []Optimum{{Profile: "nope", Threshold: 0.5}}, nil, 1)
	require.ErrorIs(t, err, ErrFormat)
}
