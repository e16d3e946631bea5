//go:build tools

// Package tools pins Flux source-controller so that `go build` can build its main
// package from this wrapper module (its own go.mod has local replaces).
package tools

import _ "github.com/fluxcd/source-controller"
