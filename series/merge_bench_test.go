package series_test

import (
	"fmt"
	"testing"

	"github.com/omenhq/omen/series"
)

// fetched returns what a range query of n filesystem series cut into
// windows returns before merging: every series of the first window, then
// every series of the next, each window sorted by labels as servers answer
// and sharing its border sample with the one before, points samples per
// window.
func fetched(n, windows, points int) []series.Series {
	ss := make([]series.Series, 0, n*windows)
	for w := range windows {
		first := len(ss)
		for i := range n {
			ts := make([]int64, points)
			vs := make([]float64, points)
			for k := range ts {
				ts[k] = int64(w*(points-1)+k) * 15_000
				vs[k] = float64(i + k)
			}
			ss = append(ss, series.Series{
				Labels: series.New("__name__", "node_filesystem_avail_bytes",
					"instance", fmt.Sprintf("node-%05d:9100", i/5), "job", "node",
					"mountpoint", fmt.Sprintf("/data%d", i%5), "device", fmt.Sprintf("/dev/sd%c", 'a'+i%5), "fstype", "ext4"),
				Timestamps: ts,
				Values:     vs,
			})
		}
		series.Sort(ss[first:])
	}
	return ss
}

// BenchmarkMerge is the ladder of issue 8: the time per series stays flat
// from 1,000 to 100,000 series, for a query in one window and for one split
// into two windows. (Input that is not sorted by labels adds the sort's
// log factor.) cpu-ns/series is the process's CPU time (GC included), which
// a shared machine distorts less than the wall time.
func BenchmarkMerge(b *testing.B) {
	for _, windows := range []int{1, 2} {
		for _, n := range []int{1_000, 10_000, 50_000, 100_000} {
			ss := fetched(n, windows, 60)
			b.Run(fmt.Sprintf("windows=%d/series=%d", windows, n), func(b *testing.B) {
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if out := series.Merge(ss); len(out) != n {
						b.Fatal(len(out))
					}
				}
				per := float64(b.N) * float64(n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/series")
				if cpu := cpuTime() - cpu; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/series")
				}
			})
		}
	}
}
