// Command fleetimport generates a benchmark fleet (see scale.Generate) and
// imports it into a VictoriaMetrics that is already running, so that the
// fleet benchmarks can be run against it several times
// (OMEN_BENCH_SCALE_URL) without importing again:
//
//	victoria-metrics -storageDataPath /tmp/fleet-vm -retentionPeriod 100y \
//	    -httpListenAddr 127.0.0.1:18428 -search.disableCache -search.latencyOffset 0s &
//	go run ./bench/scale/cmd/fleetimport -url http://127.0.0.1:18428 -size 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/omenhq/omen/bench/scale"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18428", "VictoriaMetrics base URL")
	size := flag.Int("size", scale.DefaultSize, "resources (usage series): half disks, half containers")
	seed := flag.Uint64("seed", 0, "seed of the fleet")
	perNS := flag.Int("per-namespace", 0, "containers per namespace (0: the default)")
	cloud := flag.Bool("cloud-names", false, "EC2-style host names")
	flag.Parse()
	cfg := scale.Config{Size: *size, Seed: *seed, PerNamespace: *perNS, CloudNames: *cloud}
	began := time.Now()
	n := 0
	st, err := scale.Import(context.Background(), *url, cfg, func(rs []scale.Resource) {
		n += len(rs)
		if n%10000 == 0 {
			fmt.Fprintf(os.Stderr, "%d resources in %s\n", n, time.Since(began).Round(time.Second))
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetimport:", err)
		os.Exit(1)
	}
	fmt.Printf("imported %d resources: %d series, %d samples, %.0f MB in %d requests, in %s\n",
		st.Resources, st.Series, st.Samples, float64(st.Bytes)/1e6, st.Requests, st.Took.Round(time.Millisecond))
}
