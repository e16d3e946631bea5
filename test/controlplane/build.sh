#!/usr/bin/env bash
# Builds the e2e plane's real binaries from Go modules through the module proxy, into a cache
# outside the repo keyed by the pinned versions and the wrapper modules. A warm cache builds nothing.
# Prints the bin folder on stdout.
#
# Two `go build` invocations, one per dependency graph, run side by side:
# - kube/: etcd, kube-apiserver, kube-controller-manager and kubectl as one `kubeplane` binary, in
#   the exact dependency graph of the Kubernetes release (merging it with Flux's would move 44 of
#   its modules, cel-go among them, off the versions that release ships);
# - flux/: source-, kustomize- and helm-controller of one Flux release (FLUX_VERSION) and the helm
#   CLI of the helm v4 library they link, so the four share all but their own command packages;
#   with them semver-constraint, Masterminds/semver's range parser as source-controller links it.
# Set CONTROLPLANE_BUILD_GRAPHS=<dir> to keep Go's action graphs (per-package compile and link
# timings) of a cold build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"

key=$(cat "$here/versions.env" "$here"/kube/{main.go,go.mod,go.sum} "$here"/flux/{tools.go,go.mod,go.sum,semver-constraint/main.go} | sha256sum | cut -c1-12)
bin=${CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flux-assets-bootstrap/controlplane}/$KUBERNETES_VERSION-flux$FLUX_VERSION-$key/bin
# A controller refuses to start unless every kind it serves has its CRD, so all of their CRDs
# (from the same pinned modules) go beside the binaries.
controllers=(source-controller kustomize-controller helm-controller)
copy_crds() {
  local controller crds
  for controller in "${controllers[@]}"; do
    crds=$(cd "$here/flux" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' "github.com/fluxcd/$controller")/config/crd/bases
    cp "$crds"/*.toolkit.fluxcd.io_*.yaml "$1/"
  done
  chmod u+w "$1"/*.yaml
}
built() { [[ -x $bin/kubeplane && -x $bin/source-controller && -x $bin/kustomize-controller && -x $bin/helm-controller && -x $bin/helm && -x $bin/semver-constraint ]]; }
if built; then echo "$bin"; exit 0; fi
# Two runs that find the cache cold (two checkouts, a test and a benchmark) build one after the
# other into it, instead of both into the same partial folder; the second then finds it built.
mkdir -p "$(dirname "$bin")"
exec {lock}>"$bin.lock"
flock "$lock"
if built; then echo "$bin"; exit 0; fi
partial=$bin.partial
rm -rf "$partial" && mkdir -p "$partial"
export GOFLAGS="-mod=readonly -trimpath" CGO_ENABLED=0 GOTOOLCHAIN=local
log() { echo "controlplane/build: $*" >&2; }
graph() { [[ -z ${CONTROLPLANE_BUILD_GRAPHS:-} ]] || echo "-debug-actiongraph=$CONTROLPLANE_BUILD_GRAPHS/$1.json"; }
[[ -z ${CONTROLPLANE_BUILD_GRAPHS:-} ]] || mkdir -p "$CONTROLPLANE_BUILD_GRAPHS"

# go build <graph name> <module dir> <go build args...>, timed.
build() {
  local name=$1 dir=$2 started=$SECONDS
  shift 2
  (cd "$dir" && go mod download) # fetched first, so the timing below is the build alone
  local fetched=$SECONDS
  (cd "$dir" && go build $(graph "$name") "$@")
  log "$name: modules $((fetched - started)) s, build $((SECONDS - fetched)) s"
}

log "kubeplane $KUBERNETES_VERSION, and Flux $FLUX_VERSION's controllers with helm, side by side"
trap wait EXIT # when one build fails, the other still ends before this script does: no orphan go build
build kube "$here/kube" -ldflags "-s -w \
  -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
  -X k8s.io/component-base/version.gitMajor=1 \
  -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")" \
  -o "$partial/kubeplane" . &
kube=$!
build flux "$here/flux" -ldflags "-s -w" -o "$partial/" "${controllers[@]/#/github.com/fluxcd/}" helm.sh/helm/v4/cmd/helm ./semver-constraint
wait "$kube"

copy_crds "$partial"
rm -rf "$bin" && mv "$partial" "$bin"
echo "$bin"
