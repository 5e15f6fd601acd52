package nab

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// nabSweep is NAB's calcSweepScore (nab/sweeper.py) transliterated: it
// walks the rows in file order and returns each row's unweighted value
// (inside a window already divided by S(−1), as fileWeights keeps it) and
// its window number (-1 outside, -2 in probation). Limits are looked up
// with the semantics of Python's list.index.
func nabSweep(ts []int64, lims [][2]int64) ([]float64, []int) {
	index := func(t int64) int { return slices.Index(ts, t) }
	maxTP := ScaledSigmoid(-1)
	prob := math.Min(math.Floor(0.15*float64(len(ts))), 0.15*5000)
	lims = slices.Clone(lims)
	s := make([]float64, len(ts))
	kind := make([]int, len(ts))
	var cur *[2]int64
	curName := -1
	var curWidth, prevWidth float64
	curRight, prevRight := 0, -1
	entered := 0
	for i, t := range ts {
		if len(lims) > 0 && t == lims[0][0] {
			l := lims[0]
			lims = lims[1:]
			cur, curName = &l, entered
			entered++
			curRight = index(l[1])
			curWidth = float64(curRight - index(l[0]) + 1)
		}
		if cur != nil {
			s[i] = ScaledSigmoid(-float64(curRight-i+1)/curWidth) / maxTP
			kind[i] = curName
		} else {
			pos := 3.0
			if prevRight >= 0 {
				pos = math.Abs(float64(prevRight-i)) / (prevWidth - 1)
			}
			s[i] = ScaledSigmoid(pos)
			kind[i] = kindOutside
		}
		if float64(i) < prob {
			kind[i] = kindProbation
		}
		if cur != nil && t == cur[1] {
			prevRight, prevWidth = i, curWidth
			cur = nil
		}
	}
	return s, kind
}

func requireSameSweep(t *testing.T, f *File, lims [][2]int64) {
	t.Helper()
	want, wantKind := nabSweep(f.Timestamps, lims)
	w := fileWeights(f)
	for i := range want {
		require.Equalf(t, wantKind[i], int(w.kind[i]), "window of row %d", i)
		require.InDeltaf(t, want[i], w.s[i], 1e-12, "weight of row %d", i)
	}
}

// TestUnorderedFilesAreScoredInFileOrderAsNABDoes loads a corpus whose file
// has rows written late, out of time order, and an hour repeated, and
// checks every row's weight against NAB's own loop.
func TestUnorderedFilesAreScoredInFileOrderAsNABDoes(t *testing.T) {
	dir := filepath.Join("testdata", "unordered")
	c, err := LoadCorpus(dir)
	require.NoError(t, err, "a file out of time order is read as NAB reads it")
	f := c.File("synthetic/unordered.csv")
	require.NotNil(t, f)
	require.Equal(t, 1212, f.Len(), "every row kept, repeats included")
	require.False(t, slices.IsSorted(f.Timestamps))
	lf, err := os.Open(filepath.Join(dir, "labels", "combined_windows.json"))
	require.NoError(t, err)
	defer lf.Close()
	lims, err := ReadWindows(lf, "w.json")
	require.NoError(t, err)
	requireSameSweep(t, f, lims["synthetic/unordered.csv"])

	rep, err := Run(context.Background(), Options{DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, 1212, rep.Rows)
	require.GreaterOrEqual(t, rep.Result("standard").Detected, 1, "the spike in the second window is found")
}

func TestWindowRowsFollowsNABOnOddFiles(t *testing.T) {
	ms := func(v ...int64) []int64 {
		for i := range v {
			v[i] *= 60000
		}
		return v
	}
	cases := []struct {
		name string
		ts   []int64
		lims [][2]int64
	}{
		{"in order", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), [][2]int64{{3 * 60000, 5 * 60000}}},
		{"a repeated end", ms(1, 2, 3, 4, 5, 5, 5, 6, 7, 8), [][2]int64{{3 * 60000, 5 * 60000}}},
		{"rows written late inside a window", ms(1, 2, 3, 6, 7, 4, 5, 8, 9, 10), [][2]int64{{3 * 60000, 7 * 60000}}},
		{"a start written after the end", ms(1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 11, 12), [][2]int64{{3 * 60000, 5 * 60000}, {9 * 60000, 10 * 60000}}},
		{"a window starting before the last one ends", ms(1, 2, 3, 8, 4, 9, 10, 5, 11, 12), [][2]int64{{3 * 60000, 5 * 60000}, {8 * 60000, 10 * 60000}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws, err := windowRows(c.ts, c.lims, "x.csv")
			require.NoError(t, err)
			f := &File{Name: "x.csv", Timestamps: c.ts, Values: make([]float64, len(c.ts)), Windows: ws}
			requireSameSweep(t, f, c.lims)
			ScoreFile(f, make([]float64, len(c.ts)), Standard, 0.5) // must not panic
		})
	}
	t.Run("a window NAB would divide by a zero width is an error", func(t *testing.T) {
		_, err := windowRows(ms(1, 2, 4, 3, 5), [][2]int64{{3 * 60000, 4 * 60000}}, "x.csv")
		require.ErrorIs(t, err, ErrLabels)
		require.ErrorContains(t, err, "width is 0")
	})
}

// TestNABFilesWithARepeatedTimestampKeepEveryRow uses the public corpus:
// realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv repeats 2014-03-09
// 03:00:00 from line 2121 (daylight saving time), and NAB scores each row.
func TestNABFilesWithARepeatedTimestampKeepEveryRow(t *testing.T) {
	dir := dataDir(t)
	name := "realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv"
	raw, err := os.ReadFile(filepath.Join(dir, "data", filepath.FromSlash(name)))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.True(t, strings.HasPrefix(lines[2120], "2014-03-09 03:00:00,"), lines[2120])
	require.True(t, strings.HasPrefix(lines[2121], "2014-03-09 03:00:00,"), lines[2121])
	c, err := LoadCorpus(dir)
	require.NoError(t, err)
	f := c.File(name)
	require.NotNil(t, f)
	require.Equal(t, len(lines)-1, f.Len(), "one row per data line, repeats kept")
	lf, err := os.Open(filepath.Join(dir, "labels", "combined_windows.json"))
	require.NoError(t, err)
	defer lf.Close()
	lims, err := ReadWindows(lf, "combined_windows.json")
	require.NoError(t, err)
	requireSameSweep(t, f, lims[name])
}
