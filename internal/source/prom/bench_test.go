package prom

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/omenhq/omen/internal/source"
)

// matrix43200 is one series of 43,200 one-minute points, 30 days.
func matrix43200(series int) model.Matrix {
	m := make(model.Matrix, series)
	for s := range m {
		vals := make([]model.SamplePair, 43200)
		for i := range vals {
			vals[i] = model.SamplePair{Timestamp: model.Time(t0.UnixMilli() + int64(i)*60_000), Value: model.SampleValue(i)}
		}
		m[s] = &model.SampleStream{
			Metric: model.Metric{"__name__": "node_filesystem_avail_bytes", "instance": model.LabelValue(rune('a' + s)), "mountpoint": "/", "job": "node"},
			Values: vals,
		}
	}
	return m
}

// BenchmarkConvertMatrix measures the conversion of a decoded 43,200-point
// series into a series.Series: two allocations for the samples, one for
// the labels.
func BenchmarkConvertMatrix(b *testing.B) {
	m := matrix43200(1)
	lo, hi := int64(m[0].Values[0].Timestamp), int64(m[0].Values[len(m[0].Values)-1].Timestamp)
	b.ReportAllocs()
	for b.Loop() {
		ss, _ := convertMatrix(nil, m, lo, hi)
		if ss[0].Len() != 43200 {
			b.Fatal(ss[0].Len())
		}
	}
}

// BenchmarkQueryRange30Days1m measures a whole 30-day, 1-minute query of one
// series (4 windows) against a loopback server: encoding on the server side,
// HTTP, decoding by client_golang, conversion and merging.
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
