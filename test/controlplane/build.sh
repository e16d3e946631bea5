#!/usr/bin/env bash
# Builds the e2e plane's real binaries (etcd, kube-apiserver, kube-controller-manager and kubectl
# as one `kubeplane` binary; Flux source-controller; helm) from Go modules through the module
# proxy, into a cache outside the repo keyed by the pinned versions. A warm cache builds nothing.
# Prints the bin folder on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"

key=$(cat "$here/versions.env" "$here"/kube/{main.go,go.mod,go.sum} "$here"/flux/{tools.go,go.mod,go.sum} | sha256sum | cut -c1-12)
bin=${CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flux-assets-bootstrap/controlplane}/$KUBERNETES_VERSION-sc$SOURCE_CONTROLLER_VERSION-helm$HELM_VERSION-$key/bin
# source-controller refuses to start unless every kind it serves has its CRD, so all of its CRDs
# (from the same pinned module) go beside the binaries. Cheap, so also done for an older cache.
copy_crds() {
  local crds
  crds=$(cd "$here/flux" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' github.com/fluxcd/source-controller)/config/crd/bases
  cp "$crds"/source.toolkit.fluxcd.io_*.yaml "$1/"
  chmod u+w "$1"/*.yaml
}
if [[ -x $bin/kubeplane && -x $bin/source-controller && -x $bin/helm ]]; then
  [[ -f $bin/source.toolkit.fluxcd.io_gitrepositories.yaml ]] || copy_crds "$bin"
  echo "$bin"; exit 0
fi
mkdir -p "$bin.partial"
export GOFLAGS="-mod=readonly -trimpath" CGO_ENABLED=0 GOTOOLCHAIN=local
log() { echo "controlplane/build: $*" >&2; }

log "kubeplane $KUBERNETES_VERSION"
(cd "$here/kube" && go build -ldflags "-s -w \
  -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
  -X k8s.io/component-base/version.gitMajor=1 \
  -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")" \
  -o "$bin.partial/kubeplane" .)

log "source-controller $SOURCE_CONTROLLER_VERSION"
(cd "$here/flux" && go build -ldflags "-s -w" -o "$bin.partial/source-controller" github.com/fluxcd/source-controller)

log "helm $HELM_VERSION"
GOBIN="$bin.partial" GOFLAGS=-trimpath go install -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"

copy_crds "$bin.partial"

rm -rf "$bin" && mv "$bin.partial" "$bin"
echo "$bin"
