package delivery_test

import (
	"fmt"
	"log"
	"os"

	"github.com/omenhq/omen/internal/delivery"
)

// The branch of a set of proposals depends on which rules and fields
// change, not on the values, so a re-tuned value updates the same pull
// request.
func ExampleBranch() {
	f, err := os.Open("testdata/proposals.json")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	proposals, err := delivery.Decode(f, f.Name())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(delivery.Branch(proposals.Proposals))
	fmt.Println(delivery.Title(proposals.Proposals[:1]))
	// Output:
	// omen/rules-06cda1e639
	// omen: tune HighErrorRate (threshold 0.02 → 0.05, for 1m → 5m)
}
