//go:build tools

// Pins actionlint, which test/workflows/actionlint.test.ts runs with `go run` from this module.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
