package prom

import (
	"context"
	"testing"
	"time"

	"github.com/omenhq/omen/internal/source"
)

// BenchmarkQueryRange30Days1m measures a whole 30-day, 1-minute query of one
// series (4 windows) against a loopback server: encoding on the server side,
// HTTP, streaming decoding and merging.
func BenchmarkQueryRange30Days1m(b *testing.B) {
	srv := startFake(b, &fakeProm{})
	c := newClient(b, Config{URL: srv.URL})
	q := source.Query{Expr: "m", Start: t0, End: t0.Add(30 * 24 * time.Hour), Step: time.Minute}
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.QueryRange(context.Background(), q)
		if err != nil || res.Series[0].Len() != 43201 {
			b.Fatal(err)
		}
	}
}
