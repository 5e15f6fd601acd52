package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// ErrPayload is wrapped by the errors of AlertLog.Append for a body that
// is not an Alertmanager webhook payload.
var ErrPayload = errors.New("serve: not an Alertmanager webhook payload (version 4)")

// AlertLog is the durable alert history: every Alertmanager webhook
// payload received, compacted to one JSON line, appended and fsynced before
// the request is answered — the format pir.LoadAlertmanagerLog (omen
// quality --history FILE) reads. A process killed in the middle of a write
// leaves at most a torn last line, which OpenAlertLog detects and cuts
// off.
type AlertLog struct {
	mu   sync.Mutex
	f    *os.File
	path string
	size int64
}

// Recovery says what OpenAlertLog found.
type Recovery struct {
	// Lines is the number of complete payloads in the log.
	Lines int
	// DroppedBytes is the size of the torn last line cut off (0 when the
	// log ended cleanly).
	DroppedBytes int64
}

// OpenAlertLog opens (creating it when missing) the log at path for
// appending. A last line without its newline or that is not JSON — a write
// interrupted by a crash — is cut off and reported in Recovery; a bad line
// before the last is an error naming it, since that is not a torn write
// but a damaged file omen will not silently shorten.
func OpenAlertLog(path string) (*AlertLog, Recovery, error) {
	var rec Recovery
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, rec, fmt.Errorf("cannot open the alert history: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, rec, fmt.Errorf("cannot read the alert history %s: %w", path, err)
	}
	good, lines, err := checkLog(data, path)
	if err != nil {
		f.Close()
		return nil, rec, err
	}
	rec.Lines = lines
	if good < int64(len(data)) {
		rec.DroppedBytes = int64(len(data)) - good
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, rec, fmt.Errorf("cannot cut the torn last line of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, rec, fmt.Errorf("cannot sync %s: %w", path, err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, rec, err
	}
	if err := syncDir(path); err != nil {
		f.Close()
		return nil, rec, err
	}
	return &AlertLog{f: f, path: path, size: good}, rec, nil
}

// checkLog returns the length of the good prefix of data (complete JSON
// lines) and the number of lines in it. Only the last line may be bad.
func checkLog(data []byte, path string) (int64, int, error) {
	var off int64
	lines := 0
	for lineNo := 1; len(data) > 0; lineNo++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return off, lines, nil // torn: no newline
		}
		line := data[:i]
		if len(bytes.TrimSpace(line)) > 0 && !json.Valid(line) {
			if i == len(data)-1 {
				return off, lines, nil // torn last line that got a newline
			}
			return 0, 0, fmt.Errorf("alert history %s line %d is not JSON and is not the last line: the file is damaged; move it aside to start a new history", path, lineNo)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			lines++
		}
		off += int64(i) + 1
		data = data[i+1:]
	}
	return off, lines, nil
}

// syncDir fsyncs the directory holding path, so that a new file's entry
// survives a crash.
func syncDir(path string) error {
	d, err := os.Open(dirOf(path))
	if err != nil {
		return fmt.Errorf("cannot sync the directory of %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync the directory of %s: %w", path, err)
	}
	return nil
}

// webhookPayload is what Append checks of a payload.
type webhookPayload struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Alerts  []struct {
		Status   string            `json:"status"`
		Labels   map[string]string `json:"labels"`
		StartsAt string            `json:"startsAt"`
	} `json:"alerts"`
}

// Append checks that body is an Alertmanager webhook payload (version 4,
// alerts with an alertname and a startsAt), writes it as one line and
// fsyncs the file. It returns the number of alerts in it. When it returns
// nil the payload is on disk.
func (l *AlertLog) Append(body []byte) (int, error) {
	var p webhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	if p.Version != "" && p.Version != "4" {
		return 0, fmt.Errorf("%w: version %q", ErrPayload, p.Version)
	}
	if p.Alerts == nil {
		return 0, fmt.Errorf("%w: no alerts field", ErrPayload)
	}
	for i, a := range p.Alerts {
		if a.Labels["alertname"] == "" {
			return 0, fmt.Errorf("%w: alerts[%d] has no alertname label", ErrPayload, i)
		}
		if a.StartsAt == "" {
			return 0, fmt.Errorf("%w: alerts[%d] has no startsAt", ErrPayload, i)
		}
	}
	var line bytes.Buffer
	if err := json.Compact(&line, body); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	line.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, errors.New("serve: the alert history is closed")
	}
	n, err := l.f.Write(line.Bytes())
	if err != nil {
		// Cut what was written of it, so the next line starts clean.
		_ = l.f.Truncate(l.size)
		_, _ = l.f.Seek(l.size, io.SeekStart)
		return 0, fmt.Errorf("cannot append to the alert history %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return 0, fmt.Errorf("cannot sync the alert history %s: %w", l.path, err)
	}
	l.size += int64(n)
	return len(p.Alerts), nil
}

// Path returns the file of the log.
func (l *AlertLog) Path() string { return l.path }

// Close closes the file.
func (l *AlertLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Compact drops from the log the notifications that are only about alerts
// over before cutoff, and returns how many notifications it kept and
// dropped. A notification is kept while any of its alerts started at or
// after cutoff, ended at or after it, or is firing (no end) without a
// resolution in the log that ended before cutoff: an alert still firing is
// never forgotten however old its start. The kept lines are written to a
// temporary file beside the log, fsynced and renamed over it, so a crash
// leaves either the old log or the new one; Append waits meanwhile.
func (l *AlertLog) Compact(cutoff time.Time) (kept, dropped int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, 0, errors.New("serve: the alert history is closed")
	}
	data, err := os.ReadFile(l.path)
	if err != nil {
		return 0, 0, fmt.Errorf("cannot read the alert history %s: %w", l.path, err)
	}
	data = data[:min(int64(len(data)), l.size)]
	type alert struct {
		Labels      map[string]string `json:"labels"`
		StartsAt    time.Time         `json:"startsAt"`
		EndsAt      time.Time         `json:"endsAt"`
		Status      string            `json:"status"`
		Fingerprint string            `json:"fingerprint"`
	}
	key := func(a alert) string {
		if a.Fingerprint != "" {
			return a.Fingerprint
		}
		return fmt.Sprint(a.Labels) + "\x00" + a.StartsAt.String()
	}
	var lines [][]byte
	var payloads [][]alert
	resolved := map[string]time.Time{} // the latest end of each alert resolved in the log
	for rest := data; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i+1]
		rest = rest[i+1:]
		var p struct {
			Alerts []alert `json:"alerts"`
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := json.Unmarshal(line, &p); err != nil {
			return 0, 0, fmt.Errorf("alert history %s line %d: %w", l.path, len(lines)+1, err)
		}
		for _, a := range p.Alerts {
			if a.Status == "resolved" && a.EndsAt.Year() > 1 && a.EndsAt.After(resolved[key(a)]) {
				resolved[key(a)] = a.EndsAt
			}
		}
		lines, payloads = append(lines, line), append(payloads, p.Alerts)
	}
	var out bytes.Buffer
	for i, as := range payloads {
		keep := false
		for _, a := range as {
			ended := a.Status == "resolved" && a.EndsAt.Year() > 1
			switch {
			case !a.StartsAt.Before(cutoff), ended && !a.EndsAt.Before(cutoff):
				keep = true
			case !ended:
				// Firing: kept unless the log holds its resolution, over
				// before cutoff.
				if end, ok := resolved[key(a)]; !ok || !end.Before(cutoff) {
					keep = true
				}
			}
		}
		if keep {
			out.Write(lines[i])
			kept++
		} else {
			dropped++
		}
	}
	if dropped == 0 {
		return kept, 0, nil
	}
	tmp, err := os.CreateTemp(dirOf(l.path), ".alerts-*.jsonl")
	if err != nil {
		return 0, 0, fmt.Errorf("cannot compact the alert history: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if _, err := tmp.Write(out.Bytes()); err != nil {
		tmp.Close()
		return 0, 0, fmt.Errorf("cannot compact the alert history: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, 0, fmt.Errorf("cannot compact the alert history: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return 0, 0, fmt.Errorf("cannot compact the alert history: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, 0, fmt.Errorf("cannot compact the alert history: %w", err)
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		return 0, 0, fmt.Errorf("cannot compact the alert history: %w", err)
	}
	if err := syncDir(l.path); err != nil {
		return 0, 0, err
	}
	f, err := os.OpenFile(l.path, os.O_RDWR, 0)
	if err != nil {
		// The new log is in place but cannot be appended to: closed, so
		// that Append fails loudly rather than writing to the old inode.
		l.f.Close()
		l.f = nil
		return 0, 0, fmt.Errorf("cannot reopen the compacted alert history: %w", err)
	}
	if _, err := f.Seek(int64(out.Len()), io.SeekStart); err != nil {
		f.Close()
		return 0, 0, err
	}
	l.f.Close()
	l.f, l.size = f, int64(out.Len())
	return kept, dropped, nil
}
