package seriesio_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/omenhq/omen/internal/seriesio"
)

func ExampleRead() {
	text := `# TYPE up gauge
up{job="node"} 1 1700000000
up{job="node"} 0 1700000015.5
# EOF
`
	ss, err := seriesio.Read(strings.NewReader(text), "up.om", seriesio.FormatAuto)
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
	_, err := seriesio.Read(strings.NewReader("timestamp,value\n2023-11-14T22:13:00Z,1\nsoon,2\n"), "free.csv", seriesio.FormatAuto)
	fmt.Println(err)
	// Output:
	// free.csv:3: cannot parse timestamp "soon" in column 1: expected RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, Unix seconds or Unix milliseconds
}

func ExampleWriteOpenMetrics() {
	ss, err := seriesio.ReadCSV(strings.NewReader("timestamp,value,__name__,job\n1700000000.25,1,up,node\n1700000015,NaN,up,node\n"), "up.csv")
	if err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	if err := seriesio.WriteOpenMetrics(&b, ss); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())
	// Output:
	// up{job="node"} 1 1700000000.25
	// # EOF
}
