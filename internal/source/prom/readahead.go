package prom

import (
	"io"
)

// Read-ahead of response bodies: at most readAheadChunks chunks of
// readAheadChunk bytes (4 MiB) per body in flight.
const (
	readAheadChunk  = 64 << 10
	readAheadChunks = 64
)

// readAhead reads a response body in a goroutine of its own, up to
// readAheadChunks chunks ahead of the decoder. The connection is then
// drained, and a gzip body inflated, while the body is decoded, instead of
// the server waiting on a full socket whenever the decoder is busy; on two
// cores inflating and decoding run side by side. Chunks are allocated as
// needed and reused, so a small body costs one chunk.
type readAhead struct {
	body io.ReadCloser
	full chan []byte   // chunks read, in order; closed after the last
	free chan []byte   // chunks the decoder is done with
	done chan struct{} // closed by Close
	exit chan struct{} // closed when the goroutine has returned
	err  error         // the body's error (io.EOF at the end), set before full is closed

	cur, last []byte // the unread rest of the current chunk, and the chunk
}

func newReadAhead(body io.ReadCloser) *readAhead {
	a := &readAhead{
		body: body,
		full: make(chan []byte, readAheadChunks),
		free: make(chan []byte, readAheadChunks),
		done: make(chan struct{}),
		exit: make(chan struct{}),
	}
	go a.run()
	return a
}

func (a *readAhead) run() {
	defer close(a.exit)
	defer close(a.full)
	allocated := 0
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		default:
			if allocated < readAheadChunks {
				buf = make([]byte, readAheadChunk)
				allocated++
			} else {
				select {
				case buf = <-a.free:
				case <-a.done:
					return
				}
			}
		}
		n, err := a.body.Read(buf) // what has arrived, not waiting for a full chunk
		if n > 0 {
			select {
			case a.full <- buf[:n]:
			case <-a.done:
				return
			}
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

// Read returns the body's bytes in order, then its error.
func (a *readAhead) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.last != nil {
			a.free <- a.last[:cap(a.last)] // never blocks: free holds every chunk
			a.last = nil
		}
		buf, ok := <-a.full
		if !ok {
			if a.err == nil {
				return 0, io.ErrClosedPipe // read after Close
			}
			return 0, a.err
		}
		a.cur, a.last = buf, buf
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine, closes the body and returns once nothing
// reads the body any more.
func (a *readAhead) Close() error {
	close(a.done)
	err := a.body.Close() // ends a Read in progress
	<-a.exit
	return err
}
