package source_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/seriesio"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/file"
	"github.com/omenhq/omen/internal/source/prom"
	"github.com/omenhq/omen/internal/testrig"
	"github.com/omenhq/omen/series"
)

// contractStart is the first sample of the contract data set.
var contractStart = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

const contractDays = 30

// contractData returns 30 days of 1-minute samples for several series with
// realistic values: byte counts near 4 TiB (13 significant digits), ratios
// with three decimals, a counter, and label values with characters that
// need escaping.
func contractData() []series.Series {
	n := contractDays*24*60 + 1
	mk := func(ls series.Labels, f func(i int) float64) series.Series {
		s := series.Series{Labels: ls, Timestamps: make([]int64, n), Values: make([]float64, n)}
		for i := range n {
			s.Timestamps[i] = contractStart.Add(time.Duration(i) * time.Minute).UnixMilli()
			s.Values[i] = f(i)
		}
		return s
	}
	return []series.Series{
		mk(series.New("__name__", "node_filesystem_avail_bytes", "instance", "db-1:9100", "mountpoint", "/var/lib/postgresql", "device", "/dev/nvme0n1p1", "fstype", "ext4"),
			func(i int) float64 { return 4398046511104 - float64(i)*7919 - float64(i%1440)*104729 }),
		mk(series.New("__name__", "node_filesystem_avail_bytes", "instance", "web-1:9100", "mountpoint", "/", "device", "/dev/sda1", "fstype", "xfs"),
			func(i int) float64 { return 53687091200 - float64(i%720)*1048576 }),
		mk(series.New("__name__", "node_load1", "instance", "web-1:9100", "comment", `quote " and \ backslash`),
			// Written as decimals with three places, as an exporter prints
			// them: VictoriaMetrics stores values as decimals, so binary
			// noise such as 0.28200000000000003 comes back as 0.282.
			func(i int) float64 {
				v, _ := strconv.ParseFloat(fmt.Sprintf("%.3f", float64(i%4000)/1000+0.25), 64)
				return v
			}),
		mk(series.New("__name__", "http_requests_total", "instance", "web-1:9100", "path", "/api/v1/query_range", "code", "200"),
			func(i int) float64 { return float64(i) * 17 }),
	}
}

// contractSources returns the sources the contract is checked on: files in
// each format, and the real Prometheus and VictoriaMetrics loaded with the
// same data.
func contractSources(t *testing.T, data []series.Series) map[string]source.Source {
	t.Helper()
	srcs := map[string]source.Source{}
	for name, write := range map[string]func(*bytes.Buffer, []series.Series) error{
		"csv file":              func(b *bytes.Buffer, ss []series.Series) error { return seriesio.WriteCSV(b, ss) },
		"query_range JSON file": func(b *bytes.Buffer, ss []series.Series) error { return seriesio.WritePromJSON(b, ss) },
		"OpenMetrics file":      func(b *bytes.Buffer, ss []series.Series) error { return seriesio.WriteOpenMetrics(b, ss) },
	} {
		var buf bytes.Buffer
		require.NoError(t, write(&buf, data), name)
		ss, err := seriesio.Read(&buf, name, seriesio.FormatAuto)
		require.NoError(t, err, name)
		srcs[name] = file.New(ss)
	}
	promSrv := testrig.Prometheus(t, data)
	vmSrv := testrig.VictoriaMetrics(t, data)
	for name, url := range map[string]string{"prometheus": promSrv.URL, "victoria-metrics": vmSrv.URL} {
		c, err := prom.New(prom.Config{URL: url})
		require.NoError(t, err)
		srcs[name] = c
	}
	return srcs
}

// TestSourceContract runs the same assertions on every source: 30 days of
// 1-minute samples come back exactly, across window borders, with as-of
// cut-offs and labels intact.
func TestSourceContract(t *testing.T) {
	if testing.Short() {
		t.Skip("the source contract starts real servers; run without -short")
	}
	data := contractData()
	end := contractStart.Add(contractDays * 24 * time.Hour)
	ctx := context.Background()
	for name, src := range contractSources(t, data) {
		t.Run(name, func(t *testing.T) {
			t.Run("30 days at 1-minute step come back exactly in one call", func(t *testing.T) {
				res, err := src.QueryRange(ctx, source.Query{Expr: `{__name__=~"node_.*|http_.*"}`, Start: contractStart, End: end, Step: time.Minute})
				require.NoError(t, err)
				requireSeriesEqual(t, data, res.Series)
			})
			t.Run("a range starting and ending between window borders loses and repeats nothing", func(t *testing.T) {
				from := contractStart.Add(7*time.Hour + 13*time.Minute)
				to := from.Add(11_000*time.Minute*2 + 17*time.Minute)
				res, err := src.QueryRange(ctx, source.Query{Expr: `node_filesystem_avail_bytes`, Start: from, End: to, Step: time.Minute})
				require.NoError(t, err)
				want := []series.Series{data[0].Slice(from.UnixMilli(), to.UnixMilli()), data[1].Slice(from.UnixMilli(), to.UnixMilli())}
				requireSeriesEqual(t, want, res.Series)
			})
			t.Run("as of an instant nothing later is returned", func(t *testing.T) {
				at := contractStart.Add(20*24*time.Hour + 30*time.Second)
				res, err := source.AsOf(src, at).QueryRange(ctx, source.Query{Expr: `node_load1`, Start: contractStart, End: end, Step: time.Minute})
				require.NoError(t, err)
				requireSeriesEqual(t, []series.Series{data[2].AsOf(at.UnixMilli())}, res.Series)
			})
			t.Run("a range of a single instant returns that sample", func(t *testing.T) {
				at := contractStart.Add(10 * 24 * time.Hour)
				res, err := src.QueryRange(ctx, source.Query{Expr: `http_requests_total`, Start: at, End: at, Step: time.Minute})
				require.NoError(t, err)
				requireSeriesEqual(t, []series.Series{data[3].Slice(at.UnixMilli(), at.UnixMilli())}, res.Series)
			})
			t.Run("a lookup at an instant off the step grid is evaluated at that instant", func(t *testing.T) {
				if !isServer(name) {
					t.Skip("files return raw samples: a lookup is a range over them")
				}
				// The instant of a live run: never a whole minute.
				at := contractStart.Add(10*24*time.Hour + 37*time.Second + 250*time.Millisecond)
				res, err := src.QueryRange(ctx, source.Query{Expr: `last_over_time(http_requests_total[1h])`, Start: at, End: at, Step: time.Minute})
				require.NoError(t, err)
				require.Len(t, res.Series, 1, "the lookup must not come back empty")
				s := res.Series[0]
				require.Equal(t, []int64{at.UnixMilli()}, s.Timestamps)
				last := data[3].AsOf(at.UnixMilli())
				require.Equal(t, last.Values[last.Len()-1], s.Values[0], "the value in force at the instant")
			})
			t.Run("a range shorter than a step between grid points is evaluated at its end", func(t *testing.T) {
				if !isServer(name) {
					t.Skip("files return raw samples")
				}
				from := contractStart.Add(5*24*time.Hour + 10*time.Second)
				to := from.Add(20 * time.Second)
				res, err := src.QueryRange(ctx, source.Query{Expr: `http_requests_total`, Start: from, End: to, Step: time.Minute})
				require.NoError(t, err)
				require.Len(t, res.Series, 1)
				require.Equal(t, []int64{to.UnixMilli()}, res.Series[0].Timestamps)
			})
			t.Run("a range after the as-of instant is an error, not empty data", func(t *testing.T) {
				at := contractStart.Add(24 * time.Hour)
				_, err := source.AsOf(src, at).QueryRange(ctx, source.Query{Expr: `http_requests_total`, Start: at.Add(time.Hour), End: end, Step: time.Minute})
				require.ErrorIs(t, err, source.ErrAfterAsOf)
			})
			t.Run("label matchers select series with their labels intact", func(t *testing.T) {
				res, err := src.QueryRange(ctx, source.Query{Expr: `node_filesystem_avail_bytes{mountpoint=~"/var/.*",fstype!="xfs"}`, Start: end.Add(-time.Hour), End: end, Step: time.Minute})
				require.NoError(t, err)
				require.Len(t, res.Series, 1)
				require.Equal(t, data[0].Labels, res.Series[0].Labels)
				require.Equal(t, 61, res.Series[0].Len())
			})
		})
	}
}

// isServer reports whether the contract source named name is a real server.
func isServer(name string) bool { return name == "prometheus" || name == "victoria-metrics" }

// requireSeriesEqual checks that got holds exactly the series of want, with
// every timestamp and value equal.
func requireSeriesEqual(t *testing.T, want, got []series.Series) {
	t.Helper()
	want = append([]series.Series(nil), want...)
	series.Sort(want)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Labels, got[i].Labels)
		require.Equalf(t, want[i].Len(), got[i].Len(), "%s: number of samples", want[i].Labels)
		for j := range want[i].Timestamps {
			if want[i].Timestamps[j] != got[i].Timestamps[j] || !sameFloat(want[i].Values[j], got[i].Values[j]) {
				t.Fatalf("%s: sample %d: want %v@%d, got %v@%d", want[i].Labels, j, want[i].Values[j], want[i].Timestamps[j], got[i].Values[j], got[i].Timestamps[j])
			}
		}
	}
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}
