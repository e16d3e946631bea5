#!/usr/bin/env bash
# Regenerates imports/ (the typed HelmRepository class) with `cdk8s import` from the CRD of the
# source-controller release pinned in test/controlplane/versions.env. The CRD comes from that Go
# module through the Go module proxy, so the classes match the controller the e2e suite runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/controlplane/versions.env
module_dir=$(cd test/controlplane/flux &&
  go mod download -json "github.com/fluxcd/source-controller@$SOURCE_CONTROLLER_VERSION" |
  node -e 'console.log(JSON.parse(require("node:fs").readFileSync(0, "utf8")).Dir)')
mkdir -p .crds
install -m 0644 "$module_dir/config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml" .crds/
npx cdk8s import --language typescript --output imports
# The generator imports types as values; this project compiles with verbatimModuleSyntax.
sed -i "s/^import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';/import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';/" imports/source.toolkit.fluxcd.io.ts
