//go:build tools

// Package tools pins what the e2e plane builds from Flux's dependency graph: source-controller
// (its own go.mod has local replaces, so `go build` needs this wrapper module) and the helm CLI
// of the helm v4 library source-controller itself links, so both share one build.
package tools

import (
	_ "github.com/fluxcd/source-controller"
	_ "helm.sh/helm/v4/cmd/helm"
)
