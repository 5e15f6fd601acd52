package file

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/series"
)

func TestDetectFormatUsesTheExtensionThenTheContent(t *testing.T) {
	cases := []struct {
		name, file, head string
		want             Format
	}{
		{"a .csv extension", "x.csv", `{"status":1}`, FormatCSV},
		{"a .json extension", "x.JSON", "a,b", FormatPromJSON},
		{"a .om extension", "dir.d/x.om", "", FormatOpenMetrics},
		{"a .prom extension", "x.prom", "", FormatOpenMetrics},
		{"a .txt extension", "x.txt", "", FormatOpenMetrics},
		{"a .csv.gz extension", "x.csv.gz", "", FormatCSV},
		{"JSON content", "stdin", "\ufeff  \n{\"status\"", FormatPromJSON},
		{"OpenMetrics with HELP", "data", "# HELP up x\nup 1 1\n", FormatOpenMetrics},
		{"a sample line with labels", "data", "up{job=\"a,b\"} 1 1\n", FormatOpenMetrics},
		{"a sample line without labels", "data", "up 1 1700000000000\n", FormatOpenMetrics},
		{"a sample line cut short by the head", "data", "up{job=\"a,b\",instance=\"very lo", FormatOpenMetrics},
		{"CSV after a comment", "data", "# exported\ntimestamp,value\n", FormatCSV},
		{"headerless CSV", "data", "1700000000,1\n", FormatCSV},
		{"wide CSV", "data.gz", "time,cpu,mem\n", FormatCSV},
		{"nothing recognisable", "data", "hello world\n", FormatAuto},
		{"empty content", "data", "", FormatAuto},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, DetectFormat(c.file, []byte(c.head)))
		})
	}
}

func TestParseFormatReadsWhatStringWrites(t *testing.T) {
	for _, f := range []Format{FormatAuto, FormatCSV, FormatPromJSON, FormatOpenMetrics} {
		got, err := ParseFormat(f.String())
		require.NoError(t, err)
		require.Equal(t, f, got)
	}
	_, err := ParseFormat("xml")
	require.ErrorContains(t, err, `unknown file format "xml"`)
	require.Equal(t, "Format(9)", Format(9).String())
}

func TestReadAndOpenAcceptEveryFormatPlainOrCompressed(t *testing.T) {
	want := testSeries()
	series.Sort(want)
	dir := t.TempDir()
	for _, f := range formats {
		var buf bytes.Buffer
		require.NoError(t, f.write(&buf, want))
		exp := want
		if f.name == "OpenMetrics" {
			exp = withoutNaN(want)
		}
		t.Run(f.name+" read with format detection from content", func(t *testing.T) {
			got, err := Read(bytes.NewReader(buf.Bytes()), "no-extension", FormatAuto)
			require.NoError(t, err)
			requireSameSeries(t, exp, got)
		})
		t.Run(f.name+" opened by extension", func(t *testing.T) {
			path := filepath.Join(dir, "plain"+f.ext)
			require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			src, err := Open(path)
			require.NoError(t, err)
			requireSameSeries(t, exp, src.Series())
		})
		t.Run(f.name+" opened gzipped without an extension", func(t *testing.T) {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, err := zw.Write(buf.Bytes())
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			path := filepath.Join(dir, "compressed-"+f.name)
			require.NoError(t, os.WriteFile(path, gz.Bytes(), 0o644))
			src, err := Open(path)
			require.NoError(t, err)
			requireSameSeries(t, exp, src.Series())
		})
	}
}

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

	_, err = Read(strings.NewReader("hello"), "mystery", FormatAuto)
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
