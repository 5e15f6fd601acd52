package seriesio

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
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
			got, err := readFile(path)
			require.NoError(t, err)
			requireSameSeries(t, exp, got)
		})
		t.Run(f.name+" opened gzipped without an extension", func(t *testing.T) {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, err := zw.Write(buf.Bytes())
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			path := filepath.Join(dir, "compressed-"+f.name)
			require.NoError(t, os.WriteFile(path, gz.Bytes(), 0o644))
			got, err := readFile(path)
			require.NoError(t, err)
			requireSameSeries(t, exp, got)
		})
	}
}

// readFile reads the file at path with format detection, as a file source
// opens it.
func readFile(path string) ([]series.Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, FormatAuto)
}
