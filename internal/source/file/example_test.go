package file_test

import (
	"context"
	"fmt"
	"log"
	"strings"
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

func ExampleRead() {
	text := `# TYPE up gauge
up{job="node"} 1 1700000000
up{job="node"} 0 1700000015.5
# EOF
`
	ss, err := file.Read(strings.NewReader(text), "up.om", file.FormatAuto)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range ss {
		fmt.Println(s.Labels, s.Timestamps, s.Values)
	}
	// Output:
	// up{job="node"} [1700000000000 1700000015500] [1 0]
}

func ExampleRead_error() {
	_, err := file.Read(strings.NewReader("timestamp,value\n2023-11-14T22:13:00Z,1\nsoon,2\n"), "free.csv", file.FormatAuto)
	fmt.Println(err)
	// Output:
	// free.csv:3: cannot parse timestamp "soon" in column 1: expected RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, Unix seconds or Unix milliseconds
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

func ExampleWriteOpenMetrics() {
	ss, err := file.ReadCSV(strings.NewReader("timestamp,value,__name__,job\n1700000000.25,1,up,node\n1700000015,NaN,up,node\n"), "up.csv")
	if err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	if err := file.WriteOpenMetrics(&b, ss); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())
	// Output:
	// up{job="node"} 1 1700000000.25
	// # EOF
}
