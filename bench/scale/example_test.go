package scale_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/omenhq/omen/bench/scale"
)

// Generate hands a fleet over in batches: here 6 resources, 4 at a time,
// alternately disks and containers, each with its usage, limit and
// readonly or restart series as of scale.At().
func ExampleGenerate() {
	err := scale.Generate(scale.Config{Size: 6, Batch: 4}, func(rs []scale.Resource) error {
		for _, r := range rs {
			fmt.Printf("%d %s %s: %d series\n", r.Index, r.Kind, r.Usage.Name(), len(r.Series))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 0 disk node_filesystem_avail_bytes: 3 series
	// 1 memory container_memory_working_set_bytes: 3 series
	// 2 disk node_filesystem_avail_bytes: 3 series
	// 3 memory container_memory_working_set_bytes: 3 series
	// 4 disk node_filesystem_avail_bytes: 3 series
	// 5 memory container_memory_working_set_bytes: 3 series
}

// Import loads a fleet into a VictoriaMetrics, and RunOmen measures omen
// predict over it: wall time, CPU time and peak memory.
func ExampleRunOmen() {
	ctx := context.Background()
	url := "http://127.0.0.1:8428" // a running VictoriaMetrics
	if _, err := scale.Import(ctx, url, scale.Config{Size: 1000}, nil); err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "fleet")
	defer os.RemoveAll(dir)
	bin, err := scale.BuildOmen(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	out := filepath.Join(dir, "report.json")
	run, err := scale.RunOmen(ctx, bin, filepath.Join(dir, "omen.log"), scale.PredictArgs(url, out)...)
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := scale.ReadReport(out)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d series in %s, peak %d MiB\n", len(rep.Results), run.Wall, run.MaxRSS>>20)
}
