#!/usr/bin/env bash
# Regenerates imports/ (the typed Flux classes) with `cdk8s import` from the CRDs of the Flux
# controllers pinned in test/controlplane/versions.env (one Flux release). The CRDs come from those
# Go modules through the Go module proxy, so the classes match the controllers the e2e suite runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/controlplane/versions.env
module_dir() { # module version
  (cd test/controlplane/flux && go mod download -json "$1@$2" |
    node -e 'console.log(JSON.parse(require("node:fs").readFileSync(0, "utf8")).Dir)')
}
source_crds=$(module_dir github.com/fluxcd/source-controller "$SOURCE_CONTROLLER_VERSION")/config/crd/bases
kustomize_crds=$(module_dir github.com/fluxcd/kustomize-controller "$KUSTOMIZE_CONTROLLER_VERSION")/config/crd/bases
helm_crds=$(module_dir github.com/fluxcd/helm-controller "$HELM_CONTROLLER_VERSION")/config/crd/bases
rm -rf .crds && mkdir -p .crds
cat "$source_crds"/source.toolkit.fluxcd.io_{gitrepositories,helmrepositories}.yaml >.crds/source.toolkit.fluxcd.io.yaml
install -m 0644 "$kustomize_crds"/kustomize.toolkit.fluxcd.io_kustomizations.yaml \
  "$helm_crds"/helm.toolkit.fluxcd.io_helmreleases.yaml .crds/
npx cdk8s import --language typescript --output imports
# The generator imports types as values; this project compiles with verbatimModuleSyntax.
sed -i "s/^import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';/import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';/" imports/*.toolkit.fluxcd.io.ts
