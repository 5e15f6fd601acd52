package seriesio

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/omenhq/omen/series"
)

// benchSeries returns 100 series of 10,000 samples each (1M samples): 15 s
// apart, realistic label sets, and integral byte counts as
// node_filesystem_avail_bytes has (11–12 significant digits).
var benchSeries = sync.OnceValue(func() []series.Series {
	rng := rand.New(rand.NewPCG(1, 2))
	var ss []series.Series
	for i := range 100 {
		s := series.Series{Labels: series.New(series.MetricName, "node_filesystem_avail_bytes",
			"instance", fmt.Sprintf("host-%02d:9100", i/4), "mountpoint", fmt.Sprintf("/var/lib/data%d", i%4), "fstype", "ext4")}
		v := float64(int64(5e11 * rng.Float64()))
		for k := range 10000 {
			s.Timestamps = append(s.Timestamps, 1700000000000+int64(k)*15000)
			v -= float64(rng.IntN(1 << 20))
			s.Values = append(s.Values, v)
		}
		ss = append(ss, s)
	}
	return ss
})

func benchmarkRead(b *testing.B, write func(*bytes.Buffer, []series.Series) error, read func([]byte, string) ([]series.Series, error)) {
	ss := benchSeries()
	n := 0
	for _, s := range ss {
		n += s.Len()
	}
	var buf bytes.Buffer
	if err := write(&buf, ss); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := read(data, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(ss) {
			b.Fatalf("read %d series, want %d", len(got), len(ss))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkReadCSV(b *testing.B) {
	benchmarkRead(b, formats[0].write, formats[0].read)
}

func BenchmarkReadPromJSON(b *testing.B) {
	benchmarkRead(b, formats[1].write, formats[1].read)
}

func BenchmarkReadOpenMetrics(b *testing.B) {
	benchmarkRead(b, formats[2].write, formats[2].read)
}

func benchmarkWrite(b *testing.B, write func(*bytes.Buffer, []series.Series) error) {
	ss := benchSeries()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := write(&buf, ss); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkWriteCSV(b *testing.B)         { benchmarkWrite(b, formats[0].write) }
func BenchmarkWritePromJSON(b *testing.B)    { benchmarkWrite(b, formats[1].write) }
func BenchmarkWriteOpenMetrics(b *testing.B) { benchmarkWrite(b, formats[2].write) }
