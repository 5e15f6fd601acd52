package scale

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/omenhq/omen/internal/seriesio"
)

// errAbandoned is what the encoder of a request sees when the request
// ended before it read the whole body.
var errAbandoned = errors.New("scale: import request ended before its body was sent")

// ImportStats says what Import sent and how long it took.
type ImportStats struct {
	// Resources, Series and Samples count what was sent.
	Resources, Series, Samples int
	// Bytes is the size of the request bodies; Requests their number.
	Bytes    int64
	Requests int
	// Took is the wall time from the first sample generated to the flush,
	// generation included.
	Took time.Duration
}

// Import generates the fleet of cfg (see Generate) and sends it to the
// VictoriaMetrics at url, one request per batch (see ImportBatch), then
// flushes it so that queries see all of it. seen, when not nil, is called
// with every batch after it was accepted.
func Import(ctx context.Context, url string, cfg Config, seen func([]Resource)) (ImportStats, error) {
	began := time.Now()
	var st ImportStats
	err := Generate(cfg, func(rs []Resource) error {
		n, err := ImportBatch(ctx, url, rs)
		if err != nil {
			return err
		}
		st.Requests++
		st.Bytes += n
		st.Resources += len(rs)
		for _, r := range rs {
			st.Series += len(r.Series)
			for _, s := range r.Series {
				st.Samples += s.Len()
			}
		}
		if seen != nil {
			seen(rs)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if err := Flush(ctx, url); err != nil {
		return st, err
	}
	st.Took = time.Since(began)
	return st, nil
}

// ImportBatch sends the series of rs to the VictoriaMetrics at url in one
// request to /api/v1/import, VictoriaMetrics' JSON-lines format (one line
// per series: its labels, values and millisecond timestamps). The body is
// encoded while it is sent, so only one line is held at a time. It returns
// the body's size. The data is visible to queries after Flush, or after
// the server's own flush within seconds.
func ImportBatch(ctx context.Context, url string, rs []Resource) (int64, error) {
	pr, pw := io.Pipe()
	var (
		n      int64
		encErr error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		n, encErr = writeImportLines(pw, rs)
		pw.CloseWithError(encErr) // nil closes normally
	}()
	wait := func(err error) (int64, error) {
		pr.CloseWithError(errAbandoned) // unblock the encoder
		<-done
		if encErr != nil && !errors.Is(encErr, errAbandoned) {
			return 0, fmt.Errorf("cannot import %d resources into %s: %w", len(rs), url, encErr)
		}
		return n, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/import", pr)
	if err != nil {
		return wait(fmt.Errorf("cannot import into %s: %w", url, err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return wait(fmt.Errorf("cannot import %d resources into %s: %w", len(rs), url, err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return wait(fmt.Errorf("cannot import %d resources into %s: %s: %s", len(rs), url, resp.Status, bytes.TrimSpace(msg)))
	}
	return wait(nil)
}

// writeImportLines writes the series of rs to w as JSON lines (see
// seriesio.AppendVMImport) and returns the bytes written.
func writeImportLines(w io.Writer, rs []Resource) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 256<<10)
	var line []byte
	var err error
	for _, r := range rs {
		for _, s := range r.Series {
			if line, err = seriesio.AppendVMImport(line[:0], s); err != nil {
				return cw.n, err
			}
			if _, err = bw.Write(line); err != nil {
				return cw.n, err
			}
		}
	}
	err = bw.Flush()
	return cw.n, err
}

// Flush makes what the VictoriaMetrics at url received visible to queries
// at once (/internal/force_flush).
func Flush(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/internal/force_flush", nil)
	if err != nil {
		return fmt.Errorf("cannot flush %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot flush %s: %w", url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("cannot flush %s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
