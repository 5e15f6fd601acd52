package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
)

// tableData is a rendered result: a header and rows of cells.
type tableData struct {
	Title  string
	Header []string
	Rows   [][]string
	// Right lists the column indexes aligned right (numbers).
	Right []int
}

// writeTable renders t as a go-pretty table, Markdown or CSV.
func writeTable(w io.Writer, format string, t tableData) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Header); err != nil {
			return err
		}
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "table", "markdown":
		tw := table.NewWriter()
		hdr := make(table.Row, len(t.Header))
		for i, h := range t.Header {
			hdr[i] = h
		}
		tw.AppendHeader(hdr)
		for _, r := range t.Rows {
			row := make(table.Row, len(r))
			for i, c := range r {
				row[i] = c
			}
			tw.AppendRow(row)
		}
		var cfg []table.ColumnConfig
		for _, c := range t.Right {
			cfg = append(cfg, table.ColumnConfig{Number: c + 1, Align: text.AlignRight})
		}
		tw.SetColumnConfigs(cfg)
		var out string
		if format == "markdown" {
			if t.Title != "" {
				out = "### " + t.Title + "\n\n"
			}
			out += tw.RenderMarkdown() + "\n"
		} else {
			tw.SetStyle(table.StyleLight)
			tw.Style().Format.Header = text.FormatDefault
			if t.Title != "" {
				// A title line above the table, so a long title does not
				// stretch the table.
				out = t.Title + "\n"
			}
			out += tw.Render()
		}
		_, err := io.WriteString(w, out+"\n")
		return err
	}
	return fmt.Errorf("cannot render format %q as a table", format)
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeOutput runs write on stdout when path is "" or "-", otherwise on a
// temporary file beside path that is renamed into place only when write
// succeeded, so a failed run never leaves a half-written file behind.
//
// Writing stops when ctx is done (a signal): the temporary file is removed
// and the error says the output was not written.
func writeOutput(ctx context.Context, path string, stdout io.Writer, write func(io.Writer) error) (err error) {
	if path == "" || path == "-" {
		return write(ctxWriter{ctx, stdout})
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(ctxWriter{ctx, f}); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s not written: %w", path, context.Cause(ctx))
	}
	// CreateTemp makes the file private; a report is as readable as any
	// file the user creates (the umask still applies to the directory).
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// fmtTime formats a Unix-millisecond instant for people, in UTC.
func fmtTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04")
}

// fmtDuration formats a duration for people: 3d4h, 5h20m, 45s.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDuration(-d)
	}
	switch {
	case d == 0:
		return "0"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// fmtValue formats a sample value compactly.
func fmtValue(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// fmtBytes formats a byte count with binary units: 1.5 GiB.
func fmtBytes(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmtValue(v)
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	a, i := math.Abs(v), 0
	for a >= 1024 && i < len(units)-1 {
		a /= 1024
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}
