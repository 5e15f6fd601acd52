package file

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

func TestOpenAndReadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing.csv"))
	require.ErrorContains(t, err, "missing.csv")
	require.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(dir, "bad.csv.gz")
	require.NoError(t, os.WriteFile(path, []byte{0x1f, 0x8b, 0, 0}, 0o644))
	_, err = Open(path)
	require.ErrorContains(t, err, "cannot decompress "+path)

	path = filepath.Join(dir, "bad.om")
	require.NoError(t, os.WriteFile(path, []byte("up 1\n"), 0o644))
	_, err = Open(path)
	require.ErrorContains(t, err, path+":1:")

	_, err = seriesio.Read(strings.NewReader("hello"), "mystery", seriesio.FormatAuto)
	require.ErrorContains(t, err, "cannot tell the format of mystery")
}

func TestOpenReadsStandardInputForADash(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdin := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = stdin; r.Close() })
	go func() {
		_, _ = w.Write([]byte("# HELP up x\nup 1 1700000000\n# EOF\n"))
		w.Close()
	}()
	src, err := Open("-")
	require.NoError(t, err)
	requireSameSeries(t, []series.Series{{Labels: series.New("__name__", "up"), Timestamps: []int64{1700000000000}, Values: []float64{1}}}, src.Series())

	r2, w2, err := os.Pipe()
	require.NoError(t, err)
	os.Stdin = r2
	t.Cleanup(func() { r2.Close() })
	go func() {
		_, _ = w2.Write([]byte("up 1\n"))
		w2.Close()
	}()
	_, err = Open("-")
	require.ErrorContains(t, err, "stdin:1:")
}

func TestGzipIsRecognisedByItsContentOnEveryInput(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte("timestamp,value\n1,1\n2,2\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	for _, name := range []string{"<stdin>", "data.csv"} {
		t.Run(name, func(t *testing.T) {
			src, err := ReadSource(bytes.NewReader(buf.Bytes()), name)
			require.NoError(t, err)
			require.Len(t, src.Series(), 1)
			require.Equal(t, []float64{1, 2}, src.Series()[0].Values)
		})
	}
}

func TestQueryRowsReturnsTheRowsInFileOrder(t *testing.T) {
	src, err := ReadSource(strings.NewReader("timestamp,value,h\n3,30,a\n1,10,a\n3,31,a\n9,90,a\n5,50,b\n"), "r.csv")
	require.NoError(t, err)
	q := source.Query{Start: time.UnixMilli(1000), End: time.UnixMilli(5000)}
	rows, err := src.QueryRows(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, series.New("h", "a"), rows[0].Labels)
	require.Equal(t, []int64{3000, 1000, 3000}, rows[0].Timestamps, "file order, the repeat kept, the row after the range left out")
	require.Equal(t, []float64{30, 10, 31}, rows[0].Values)
	require.Equal(t, []float64{50}, rows[1].Values)

	q.Expr = `{h="b"}`
	rows, err = src.QueryRows(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, rows, 1)

	q.Step = time.Second
	_, err = src.QueryRows(context.Background(), q)
	require.ErrorContains(t, err, "rows have no step")
}
