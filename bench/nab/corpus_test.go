package nab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		rows     int
		err      string
	}{
		{"a header and two rows", "timestamp,value\n2015-01-01 00:00:00,1\n2015-01-01 00:05:00,2.5\n", 2, ""},
		{"columns in another order with CRLF", "value,timestamp\r\n1,2015-01-01 00:00:00\r\n", 1, ""},
		{"a repeated timestamp is kept", "timestamp,value\n2015-01-01 00:00:00,1\n2015-01-01 00:00:00,2\n", 2, ""},
		{"an empty file", "", 0, "empty file"},
		{"a header without value", "timestamp,x\n", 0, "lacks columns"},
		{"a value that is not a number", "timestamp,value\n2015-01-01 00:00:00,abc\n", 0, "x.csv:2"},
		{"a bad timestamp", "timestamp,value\n2015/01/01,1\n", 0, "want YYYY-MM-DD"},
		{"time going backwards is kept in file order", "timestamp,value\n2015-01-02 00:00:00,1\n2015-01-01 00:00:00,1\n", 2, ""},
		{"a short row", "timestamp,value\n2015-01-01 00:00:00\n", 0, "1 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, vs, err := ReadCSV(strings.NewReader(tc.in), "x.csv")
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.True(t, errors.Is(err, ErrFormat))
				return
			}
			require.NoError(t, err)
			require.Len(t, ts, tc.rows)
			require.Len(t, vs, tc.rows)
		})
	}
}

func TestReadWindows(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		err      string
	}{
		{"windows with microseconds", `{"a/b.csv": [["2015-01-01 00:00:00.000000", "2015-01-01 01:00:00.000000"]], "a/c.csv": []}`, ""},
		{"not JSON", `[`, "want {"},
		{"one limit only", `{"a.csv": [["2015-01-01 00:00:00"]]}`, "has 1 limits"},
		{"an end before the start", `{"a.csv": [["2015-01-02 00:00:00", "2015-01-01 00:00:00"]]}`, "ends before"},
		{"overlapping windows", `{"a.csv": [["2015-01-01 00:00:00", "2015-01-03 00:00:00"], ["2015-01-02 00:00:00", "2015-01-04 00:00:00"]]}`, "overlap"},
		{"a bad start", `{"a.csv": [["yesterday", "2015-01-01 00:00:00"]]}`, "bad start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := ReadWindows(strings.NewReader(tc.in), "w.json")
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Len(t, w["a/b.csv"], 1)
			require.Equal(t, int64(3600_000), w["a/b.csv"][0][1]-w["a/b.csv"][0][0])
		})
	}
}

func TestThresholdsRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := []Optimum{{Profile: "standard", Threshold: 0.5123, Raw: 12.5}, {Profile: "reward_low_FN_rate", Threshold: 0.49, Raw: 3}}
	require.NoError(t, WriteThresholds(&buf, "omen", in))
	th, err := ReadThresholds(&buf, "t.json", "omen")
	require.NoError(t, err)
	require.Equal(t, Thresholds{"standard": 0.5123, "reward_low_FN_rate": 0.49}, th)
	_, err = ReadThresholds(strings.NewReader(`{"other": {}}`), "t.json", "omen")
	require.ErrorContains(t, err, `no thresholds for detector "omen"`)
}

func TestReadProfilesReadsNABsFile(t *testing.T) {
	dir := dataDir(t)
	f, err := os.Open(filepath.Join(dir, "config", "profiles.json"))
	require.NoError(t, err)
	defer f.Close()
	ps, err := ReadProfiles(f, "profiles.json")
	require.NoError(t, err)
	require.ElementsMatch(t, Profiles(), ps)
}

func TestScaledSigmoidAndProbation(t *testing.T) {
	require.InDelta(t, 0.98661, ScaledSigmoid(-1), 1e-5)
	require.InDelta(t, 0, ScaledSigmoid(0), 1e-12)
	require.Equal(t, -1.0, ScaledSigmoid(3))
	require.Equal(t, 604, Probation(4032))
	require.Equal(t, 750, Probation(15902))
	require.True(t, math.IsNaN(Normalize(1, 0, Standard)))
}

func TestLoadCorpusErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadCorpus(dir)
	require.ErrorContains(t, err, "cannot open NAB labels")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "labels"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data", "c"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "labels", "combined_windows.json"), []byte(`{"c/a.csv": [["2015-01-01 00:00:00", "2015-01-01 00:10:00"]]}`), 0o644))
	_, err = LoadCorpus(dir)
	require.ErrorIs(t, err, ErrLabels)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "c", "a.csv"), []byte("timestamp,value\n2015-01-01 00:00:00,1\n2015-01-01 00:05:00,1\n"), 0o644))
	_, err = LoadCorpus(dir)
	require.ErrorContains(t, err, "not both rows of the file")
}

func TestRunOnTheMiniCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "mini")
	out := t.TempDir()
	rep, err := Run(context.Background(), Options{DataDir: dir, ResultsDir: out})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Files)
	std := rep.Result("standard")
	require.NotNil(t, std)
	require.Equal(t, 1, std.Detected)
	require.Equal(t, 0, std.FP)
	b, err := os.ReadFile(filepath.Join(out, "synthetic", "omen_spike.csv"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "timestamp,value,anomaly_score,label\n2024-01-01 00:00:00,"))

	t.Run("thresholds can come from another corpus or a file", func(t *testing.T) {
		r2, err := Run(context.Background(), Options{DataDir: dir, ThresholdsFrom: dir})
		require.NoError(t, err)
		require.Equal(t, std.Threshold, r2.Result("standard").Threshold)
		f := filepath.Join(t.TempDir(), "t.json")
		var buf bytes.Buffer
		require.NoError(t, WriteThresholds(&buf, "omen", rep.Optima))
		require.NoError(t, os.WriteFile(f, buf.Bytes(), 0o644))
		r3, err := Run(context.Background(), Options{DataDir: dir, ThresholdsFrom: f})
		require.NoError(t, err)
		require.Equal(t, std.Score, r3.Result("standard").Score)
		_, err = Run(context.Background(), Options{DataDir: dir, ThresholdsFrom: filepath.Join(dir, "nope")})
		require.Error(t, err)
	})
	t.Run("a cancelled context stops the run", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Run(ctx, Options{DataDir: dir})
		require.ErrorIs(t, err, context.Canceled)
	})
}

// TestOmenOnThePublicCorpus runs omen's default detector on the 51 public
// files within 30 seconds of CPU (about 11 s on the machine of
// bench/RESULTS.md; CPU rather than wall time, because the machine is
// shared) and checks its standard score against the figure bench/RESULTS.md
// reports (66.92): at least 65. Issue 5 asked for 70 on these files; the
// detector of issue 16, chosen for files it was not tuned on, does not
// reach it (see bench/ANOMALY-NOTES.md, rounds 3 and 4).
func TestOmenOnThePublicCorpus(t *testing.T) {
	dir := dataDir(t)
	if testing.Short() {
		t.Skip("full NAB run skipped in -short mode")
	}
	start, cpu0 := time.Now(), processCPU()
	rep, err := Run(context.Background(), Options{DataDir: dir})
	require.NoError(t, err)
	took, cpu := time.Since(start), processCPU()-cpu0
	std := rep.Result("standard")
	t.Logf("NAB standard %.2f, low FP %.2f, low FN %.2f at thresholds %.4f/%.4f/%.4f; %d rows in %v (%v CPU)",
		std.Score, rep.Result("reward_low_FP_rate").Score, rep.Result("reward_low_FN_rate").Score,
		std.Threshold, rep.Result("reward_low_FP_rate").Threshold, rep.Result("reward_low_FN_rate").Threshold, rep.Rows, took, cpu)
	require.GreaterOrEqual(t, std.Score, 65.0)
	require.Less(t, cpu, 30*time.Second)
}

func FuzzReadCSV(f *testing.F) {
	f.Add("timestamp,value\n2015-01-01 00:00:00,1\n2015-01-01 00:05:00,2.5\n")
	f.Add("value,timestamp\r\n1e3,2015-01-01 00:00:00.5\r\n")
	f.Add("timestamp,value\n2015-01-01 00:00:00,NaN\n")
	f.Fuzz(func(t *testing.T, in string) {
		ts, vs, err := ReadCSV(strings.NewReader(in), "f.csv")
		if err != nil {
			require.Nil(t, ts)
			return
		}
		require.Equal(t, len(ts), len(vs))
	})
}

func FuzzReadWindows(f *testing.F) {
	f.Add(`{"a/b.csv": [["2015-01-01 00:00:00.000000", "2015-01-01 01:00:00.000000"]]}`)
	f.Add(`{"a.csv": []}`)
	f.Fuzz(func(t *testing.T, in string) {
		w, err := ReadWindows(strings.NewReader(in), "w.json")
		if err != nil {
			return
		}
		for _, lims := range w {
			for k, l := range lims {
				require.LessOrEqual(t, l[0], l[1])
				if k > 0 {
					require.Greater(t, l[0], lims[k-1][1])
				}
			}
		}
	})
}

func FuzzThresholdsRoundTrip(f *testing.F) {
	f.Add("standard", 0.5, 12.0)
	f.Add("reward_low_FP_rate", 1.1, -3.0)
	f.Fuzz(func(t *testing.T, profile string, thr, raw float64) {
		// JSON holds finite numbers and UTF-8 names only.
		if math.IsNaN(thr) || math.IsInf(thr, 0) || math.IsNaN(raw) || math.IsInf(raw, 0) || !utf8.ValidString(profile) {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, WriteThresholds(&buf, "omen", []Optimum{{Profile: profile, Threshold: thr, Raw: raw}}))
		th, err := ReadThresholds(&buf, "t.json", "omen")
		require.NoError(t, err)
		require.Equal(t, thr, th[profile])
	})
}

func TestReportMarshalsToJSON(t *testing.T) {
	rep, err := Run(context.Background(), Options{DataDir: filepath.Join("testdata", "mini")})
	require.NoError(t, err)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.Contains(t, string(b), `"Category":"synthetic"`)
}
