package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/units"
)

// tableData is a rendered result: a header and rows of cells, with what
// the terminal layout may do to fit them in its width.
type tableData struct {
	Title  string
	Header []string
	Rows   [][]string
	// Right lists the column indexes aligned right (numbers).
	Right []int
	// Detail names the column of prose (WHY, NOTE). On a display narrower
	// than the whole table it is written under its row, indented and
	// wrapped to the width, instead of as a column.
	Detail string
	// Optional names the columns left out, in this order, while the table
	// is still wider than the display; a line under the table says which.
	Optional []string
	// Cut names the columns whose cells are shortened in the middle with
	// "…" when the table still does not fit (names, labels).
	Cut []string
	// Risk names the column holding a risk level (critical, warning, info,
	// ok), coloured when the display allows it.
	Risk string
}

// col returns the index of the column named name, or -1.
func (t tableData) col(name string) int {
	if name == "" {
		return -1
	}
	return slices.Index(t.Header, name)
}

// display is how a table is shown where it is written: the width it must
// fit (0: no limit), whether it may use colour, and --wide (every column,
// whole cells, one line per row, whatever the width).
type display struct {
	Width int
	Color bool
	Wide  bool
}

// terminal describes an output stream: whether it is a terminal, and its
// width in columns when known.
type terminal struct {
	TTY   bool
	Width int
}

// detectTerminal asks the operating system whether w is a terminal and how
// wide it is (golang.org/x/term: an ioctl on Unix, the console API on
// Windows).
func detectTerminal(w io.Writer) terminal {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return terminal{}
	}
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return terminal{}
	}
	width, _, err := term.GetSize(fd)
	if err != nil {
		width = 0
	}
	return terminal{TTY: true, Width: width}
}

// terminalOf describes w (the test hook termOf, or the real stream).
func (g *globalOptions) terminalOf(w io.Writer) terminal {
	if g.termOf != nil {
		return g.termOf(w)
	}
	return detectTerminal(w)
}

// display returns how a table written to path ("" or "-" for stdout) is
// shown. A file gets whole lines without colour. On stdout the width is
// $COLUMNS when set, else the terminal's (none when stdout is not a
// terminal); colour needs a terminal, $NO_COLOR unset or empty (see
// no-color.org) and $TERM other than dumb.
func (g *globalOptions) display(path string) display {
	d := display{Wide: g.Wide}
	if path != "" && path != "-" {
		return d
	}
	t := g.terminalOf(g.stdout)
	if t.TTY {
		d.Width = t.Width
	}
	if c, err := strconv.Atoi(strings.TrimSpace(g.getenv("COLUMNS"))); err == nil && c > 0 {
		d.Width = c
	}
	d.Color = t.TTY && g.getenv("NO_COLOR") == "" && g.getenv("TERM") != "dumb"
	return d
}

// writeTable renders t as a table for people, Markdown or CSV. Only the
// table format is fitted to d; Markdown and CSV keep every column whole.
func writeTable(w io.Writer, format string, d display, t tableData) error {
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
	case "markdown":
		tw := table.NewWriter()
		tw.AppendHeader(asRow(t.Header))
		for _, r := range t.Rows {
			tw.AppendRow(asRow(r))
		}
		var cfg []table.ColumnConfig
		for _, c := range t.Right {
			cfg = append(cfg, table.ColumnConfig{Number: c + 1, Align: text.AlignRight})
		}
		tw.SetColumnConfigs(cfg)
		out := ""
		if t.Title != "" {
			out = "### " + t.Title + "\n\n"
		}
		_, err := io.WriteString(w, out+tw.RenderMarkdown()+"\n\n")
		return err
	case "table":
		_, err := io.WriteString(w, renderText(t, d))
		return err
	}
	return fmt.Errorf("cannot render format %q as a table", format)
}

func asRow(cells []string) table.Row {
	row := make(table.Row, len(cells))
	for i, c := range cells {
		row[i] = c
	}
	return row
}

// colSep is what separates two columns of a table for people.
const colSep = "  "

// layout is how a table fits a display: the columns shown, in order, the
// width of each, and whether the detail column goes under the rows.
type layout struct {
	cols    []int
	width   map[int]int
	detail  int // -1: none, or shown as a column
	dropped []string
}

// fit chooses the layout of t on a display of width columns (0: any): the
// whole table when it fits. Otherwise the detail column moves under the
// rows, then as few optional columns as possible are left out (in their
// order) so that the rest fits with the Cut columns shortened to no less
// than softCut columns; when even none left does, the Cut columns and
// then any column but the first are shortened down to the width of their
// header, or 8 columns.
func fit(t tableData, width int, wide bool) layout {
	l := layout{width: map[int]int{}, detail: -1}
	natural := map[int]int{}
	for i := range t.Header {
		l.cols = append(l.cols, i)
		natural[i] = text.StringWidthWithoutEscSequences(t.Header[i])
		for _, r := range t.Rows {
			if i < len(r) {
				natural[i] = max(natural[i], text.StringWidthWithoutEscSequences(r[i]))
			}
		}
		l.width[i] = natural[i]
	}
	total := func(cols []int) int {
		n := len(colSep) * (len(cols) - 1)
		for _, c := range cols {
			n += l.width[c]
		}
		return n
	}
	if width <= 0 || wide || total(l.cols) <= width {
		return l
	}
	if d := t.col(t.Detail); d >= 0 {
		l.detail = d
		l.cols = slices.DeleteFunc(l.cols, func(c int) bool { return c == d })
	}
	header := func(c int) int { return text.StringWidthWithoutEscSequences(t.Header[c]) }
	// shrink shortens the widest of cands, down to floor, until the
	// columns fit; it reports whether they do.
	shrink := func(cols, cands []int, floor func(int) int) bool {
		for total(cols) > width {
			best := -1
			for _, c := range cands {
				if slices.Contains(cols, c) && l.width[c] > floor(c) && (best < 0 || l.width[c] > l.width[best]) {
					best = c
				}
			}
			if best < 0 {
				return false
			}
			// Down to the next widest candidate at most, so that the
			// cut is shared among the widest.
			next := floor(best)
			for _, c := range cands {
				if c != best && slices.Contains(cols, c) && l.width[c] < l.width[best] {
					next = max(next, l.width[c])
				}
			}
			l.width[best] = max(next, l.width[best]-(total(cols)-width), floor(best))
		}
		return true
	}
	var cut []int
	for _, name := range t.Cut {
		if c := t.col(name); c >= 0 {
			cut = append(cut, c)
		}
	}
	soft := func(c int) int { return max(header(c), min(natural[c], softCut)) }
	cols := slices.Clone(l.cols)
	var dropped []string
	for k := 0; ; k++ {
		for _, c := range cut {
			l.width[c] = natural[c]
		}
		if shrink(cols, cut, soft) {
			l.cols, l.dropped = cols, dropped
			return l
		}
		if k >= len(t.Optional) {
			break
		}
		if c := t.col(t.Optional[k]); c >= 0 && slices.Contains(cols, c) && len(cols) > 1 {
			cols = slices.DeleteFunc(cols, func(x int) bool { return x == c })
			dropped = append(dropped, t.Optional[k])
		}
	}
	l.cols, l.dropped = cols, dropped
	hard := func(c int) int { return max(header(c), 8) }
	if !shrink(l.cols, cut, hard) && len(l.cols) > 1 {
		shrink(l.cols, l.cols[1:], hard)
	}
	return l
}

// softCut is the width a Cut column is shortened to before columns are
// left out: enough to tell most names apart.
const softCut = 24

// renderText writes t for people: a title line, the header and one line
// per row, columns separated by two spaces, fitted to d (see fit), the
// risk column coloured when d allows. A detail moved under its row is
// indented to the second column and wrapped.
func renderText(t tableData, d display) string {
	l := fit(t, d.Width, d.Wide)
	tw := table.NewWriter()
	style := table.StyleDefault
	style.Box.PaddingLeft, style.Box.PaddingRight, style.Box.MiddleVertical = "", "", colSep
	style.Options = table.Options{SeparateColumns: true}
	style.Format.Header = text.FormatDefault
	tw.SetStyle(style)
	header := make([]string, len(l.cols))
	for j, c := range l.cols {
		header[j] = t.Header[c]
		if d.Color {
			header[j] = ansiBold + header[j] + ansiReset
		}
	}
	tw.AppendHeader(asRow(header))
	risk := t.col(t.Risk)
	for _, r := range t.Rows {
		row := make([]string, len(l.cols))
		for j, c := range l.cols {
			if c >= len(r) {
				continue
			}
			cell := cutMiddle(r[c], l.width[c])
			if c == risk && d.Color {
				cell = paintRisk(cell)
			}
			row[j] = cell
		}
		tw.AppendRow(asRow(row))
	}
	var cfg []table.ColumnConfig
	for j, c := range l.cols {
		if slices.Contains(t.Right, c) {
			cfg = append(cfg, table.ColumnConfig{Number: j + 1, Align: text.AlignRight})
		}
	}
	tw.SetColumnConfigs(cfg)
	var b strings.Builder
	if t.Title != "" {
		// A title line above the table, so a long title does not stretch
		// the table.
		b.WriteString(t.Title + "\n")
	}
	lines := strings.Split(tw.Render(), "\n")
	indent := 2
	if len(l.cols) > 1 {
		indent = l.width[l.cols[0]] + len(colSep)
	}
	wrap := d.Width - indent
	if wrap < 30 {
		indent, wrap = 2, max(d.Width-2, 30)
	}
	for i, line := range lines {
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		if i == 0 || l.detail < 0 || i-1 >= len(t.Rows) {
			continue
		}
		r := t.Rows[i-1]
		if l.detail >= len(r) || r[l.detail] == "" {
			continue
		}
		for _, dl := range wrapWords(r[l.detail], wrap) {
			b.WriteString(strings.Repeat(" ", indent) + dl + "\n")
		}
	}
	if len(l.dropped) > 0 {
		note := fmt.Sprintf("(%s left out to fit; --wide shows all)", strings.Join(l.dropped, ", "))
		for _, nl := range wrapWords(note, max(d.Width, 30)) {
			b.WriteString(nl + "\n")
		}
	}
	return b.String()
}

// unitWord is a word that is the unit of the number before it: a line
// is not broken between "196" and "MiB/day".
var unitWord = regexp.MustCompile(`^(B|KiB|MiB|GiB|TiB|PiB|EiB|%)([/,.;:)]|$)`)

// wrapWords breaks s into lines of at most width columns at spaces, never
// between a number and its unit; a word longer than a line is cut.
func wrapWords(s string, width int) []string {
	var words []string
	for _, w := range strings.Split(s, " ") {
		if n := len(words); n > 0 && unitWord.MatchString(w) && strings.ContainsAny(words[n-1][len(words[n-1])-1:], "0123456789") {
			words[n-1] += " " + w
			continue
		}
		if w != "" {
			words = append(words, w)
		}
	}
	var lines []string
	line, lw := "", 0
	for _, w := range words {
		ww := text.StringWidthWithoutEscSequences(w)
		switch {
		case lw == 0:
			line, lw = w, ww
		case lw+1+ww <= width:
			line, lw = line+" "+w, lw+1+ww
		default:
			lines = append(lines, line)
			line, lw = w, ww
		}
		for lw > width {
			rs := []rune(line)
			lines = append(lines, string(rs[:width]))
			line = string(rs[width:])
			lw = text.StringWidthWithoutEscSequences(line)
		}
	}
	if lw > 0 {
		lines = append(lines, line)
	}
	return lines
}

// cutMiddle shortens s to width columns by replacing its middle with "…",
// which keeps both ends of a name (the namespace and the container).
func cutMiddle(s string, width int) string {
	if text.StringWidthWithoutEscSequences(s) <= width || width < 3 {
		return s
	}
	rs := []rune(s)
	keep := width - 1
	head, tail := (keep+1)/2, keep/2
	for text.StringWidthWithoutEscSequences(string(rs[:head]))+text.StringWidthWithoutEscSequences(string(rs[len(rs)-tail:]))+1 > width && head > 0 {
		head--
	}
	return string(rs[:head]) + "…" + string(rs[len(rs)-tail:])
}

// ANSI SGR sequences: written only when the display allows colour.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

// paintRisk colours a risk cell by its level: critical bold red, warning
// yellow, info cyan, ok green ("ok (stale)" too: the level comes first).
func paintRisk(cell string) string {
	level, _, _ := strings.Cut(cell, " ")
	code := map[string]string{"critical": ansiRed, "warning": ansiYellow, "info": ansiCyan, "ok": ansiGreen}[level]
	if code == "" {
		return cell
	}
	return code + cell + ansiReset
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeData writes v as JSON, or as YAML when format is yaml: the same
// document (YAML is written from the JSON, so the field names, nulls and
// the order of fields are the same in both).
func writeData(w io.Writer, format string, v any) error {
	if format != "yaml" {
		return writeJSON(w, v)
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return err
	}
	return jsonToYAML(w, buf.Bytes())
}

// jsonToYAML rewrites a JSON document as block-style YAML, keeping the
// order of fields; strings that would read as another type are quoted.
func jsonToYAML(w io.Writer, js []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(js, &n); err != nil {
		return fmt.Errorf("cannot write YAML: %w", err)
	}
	var plain func(*yaml.Node)
	plain = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			plain(c)
		}
	}
	plain(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("cannot write YAML: %w", err)
	}
	return enc.Close()
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

// plural says how many of a noun: "1 target", "2 targets", "3 series".
func plural(n int, noun string) string {
	if n != 1 && !strings.HasSuffix(noun, "s") {
		noun += "s"
	}
	return strconv.Itoa(n) + " " + noun
}

// fmtValue formats a value for people: IEC units when bytes is set,
// SI prefixes otherwise (see package units).
func fmtValue(v float64, bytes bool) string { return units.Value(v, bytes) }
