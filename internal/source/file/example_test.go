package file_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/internal/source/file"
)

func ExampleOpen() {
	src, err := file.Open("testdata/disk.csv")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range src.Series() {
		fmt.Println(s.Labels, s.Len(), "samples")
	}
	// Output:
	// node_filesystem_avail_bytes{instance="db-1", mountpoint="/var/lib"} 3 samples
	// node_filesystem_avail_bytes{instance="web-1", mountpoint="/"} 2 samples
}

func ExampleSource_QueryRange() {
	src, err := file.Open("testdata/disk.csv")
	if err != nil {
		log.Fatal(err)
	}
	// A stepped query is sampled on multiples of the step, as on a server;
	// 22:12 has no sample at or before it and is left out.
	start := time.Date(2023, 11, 14, 22, 12, 0, 0, time.UTC)
	res, err := src.QueryRange(context.Background(), source.Query{
		Expr:  `node_filesystem_avail_bytes{mountpoint=~"/var/.*"}`,
		Start: start,
		End:   start.Add(10 * time.Minute),
		Step:  2 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range res.Series {
		for i, t := range s.Timestamps {
			fmt.Println(time.UnixMilli(t).UTC().Format("15:04"), s.Values[i])
		}
	}
	// Output:
	// 22:14 4.9e+09
	// 22:16 4.8e+09
	// 22:18 4.8e+09
	// 22:20 4.8e+09
}
