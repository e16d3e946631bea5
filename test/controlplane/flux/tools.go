//go:build tools

// Package tools pins what the e2e plane builds from Flux's dependency graph: the source-,
// kustomize- and helm-controller of one Flux release (their own go.mod files have local
// replaces, so `go build` needs this wrapper module) and the helm CLI of the helm v4 library the
// controllers link, so all four share one build.
package tools

import (
	_ "github.com/fluxcd/helm-controller"
	_ "github.com/fluxcd/kustomize-controller"
	_ "github.com/fluxcd/source-controller"
	_ "helm.sh/helm/v4/cmd/helm"
)
