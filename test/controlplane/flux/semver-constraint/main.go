// Command semver-constraint reads a JSON array of version ranges on stdin and writes a JSON array
// of the same length: for each range, the error of Masterminds/semver's NewConstraint, or null.
// It links the library version of this Flux release's graph, the one source-controller resolves
// a HelmChart's version with, so the e2e suite can hold src/contract/semver-range.ts to it.
package main

import (
	"encoding/json"
	"os"

	"github.com/Masterminds/semver/v3"
)

func main() {
	var ranges []string
	if err := json.NewDecoder(os.Stdin).Decode(&ranges); err != nil {
		os.Stderr.WriteString("semver-constraint: stdin must be a JSON array of strings: " + err.Error() + "\n")
		os.Exit(2)
	}
	errors := make([]*string, len(ranges))
	for i, r := range ranges {
		if _, err := semver.NewConstraint(r); err != nil {
			message := err.Error()
			errors[i] = &message
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(errors); err != nil {
		os.Exit(1)
	}
}
