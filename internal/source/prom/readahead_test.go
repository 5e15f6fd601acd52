package prom

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadAheadPassesTheBodyThenItsError(t *testing.T) {
	data := make([]byte, 3*readAheadChunk*readAheadChunks+12345) // more chunks than are ever in flight
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	tests := []struct {
		name string
		body io.Reader
		err  error
	}{
		{"a whole body ends with io.EOF", bytes.NewReader(data), io.EOF},
		{"a body read a byte at a time", iotest.OneByteReader(bytes.NewReader(data[:20_000])), io.EOF},
		{"a truncated body ends with its error", io.MultiReader(bytes.NewReader(data), iotest.ErrReader(io.ErrUnexpectedEOF)), io.ErrUnexpectedEOF},
		{"an empty body", bytes.NewReader(nil), io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newReadAhead(io.NopCloser(tt.body))
			var got bytes.Buffer
			buf := make([]byte, 1000) // smaller than a chunk
			var err error
			for {
				var n int
				n, err = a.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					break
				}
			}
			require.ErrorIs(t, err, tt.err)
			want := data
			if tt.name == "a body read a byte at a time" {
				want = data[:20_000]
			} else if tt.name == "an empty body" {
				want = nil
			}
			require.True(t, bytes.Equal(want, got.Bytes()), "%d bytes read, %d sent", got.Len(), len(want))
			require.NoError(t, a.Close())
		})
	}
}

func TestReadAheadCloseStopsAReadInProgress(t *testing.T) {
	r, w := io.Pipe()
	a := newReadAhead(r)
	_, err := w.Write([]byte("partial"))
	require.NoError(t, err)
	buf := make([]byte, 100)
	n, err := a.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "partial", string(buf[:n]), "a chunk is passed on before it is full")
	done := make(chan struct{})
	go func() {
		require.NoError(t, a.Close()) // the goroutine is blocked reading the pipe
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, io.ErrClosedPipe, "the body was closed")
}
