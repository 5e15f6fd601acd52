package yamledit_test

import (
	"fmt"

	"github.com/omenhq/omen/tuner/yamledit"
)

// Edits keep every other byte: comments, quotes, indentation.
func ExampleFile_Bytes() {
	src := []byte("spec:\n  minReplicas: 2   # nights\n  maxReplicas: \"4\"\n")
	f, err := yamledit.Parse(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, _ := yamledit.Get(f.Docs()[0].Content[0], "spec")
	minR, _ := yamledit.Get(spec, "minReplicas")
	maxR, _ := yamledit.Get(spec, "maxReplicas")
	_ = f.SetScalar(minR, "3")
	_ = f.SetScalar(maxR, "10")
	_ = f.Insert(spec, "maxReplicas", yamledit.Pair{Key: "behavior", Pairs: []yamledit.Pair{{Key: "scaleDown", Value: "slow"}}})
	out, err := f.Bytes()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// spec:
	//   minReplicas: 3   # nights
	//   maxReplicas: "10"
	//   behavior:
	//     scaleDown: slow
}
